// An ONNX model from the registry, run with onnxruntime-node: scaled batches in, unscaled forecasts out.
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { type ModelMetadata, ONNX_INPUT, ONNX_OUTPUT, ONNX_QUANTILES, SEQUENCE_FEATURES, type WindowInput, modelInput, unscaleTarget } from './contract.js';

/** One window's forecast: the point (P50 with quantiles) per horizon, and the P10/P90 band when the model has one. */
export interface WindowForecast {
  values: number[];
  p10?: number[];
  p90?: number[];
}
import type { RegistryEntry } from './registry.js';
import { ModelError } from './errors.js';

export class OnnxModel {
  private constructor(
    readonly version: string,
    readonly metadata: ModelMetadata,
    private readonly session: ort.InferenceSession,
  ) {}

  static async load(entry: RegistryEntry, options: { threads?: number } = {}): Promise<OnnxModel> {
    const path = join(entry.dir, entry.metadata.onnx.file);
    const session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    if (!session.inputNames.includes(ONNX_INPUT) || !session.outputNames.includes(ONNX_OUTPUT)) {
      throw new ModelError('MODEL_FILE_INVALID', `${path}: expected input "${ONNX_INPUT}" and output "${ONNX_OUTPUT}", found ${session.inputNames.join(',')} → ${session.outputNames.join(',')}`);
    }
    if (entry.metadata.architecture.quantiles && !session.outputNames.includes(ONNX_QUANTILES)) {
      throw new ModelError('MODEL_FILE_INVALID', `${path}: metadata names quantiles ${entry.metadata.architecture.quantiles.join(', ')} but the graph has no "${ONNX_QUANTILES}" output`);
    }
    return new OnnxModel(entry.version, entry.metadata, session);
  }

  get steps(): number {
    return this.metadata.architecture.steps;
  }

  get horizon(): number {
    return this.metadata.architecture.horizon;
  }

  /** Run a scaled batch [batch, steps, features]; returns the scaled output [batch, horizon]. */
  async predictScaled(input: Float32Array, batch: number): Promise<Float32Array> {
    const F = SEQUENCE_FEATURES.length;
    if (input.length !== batch * this.steps * F) throw new Error(`predict: input has ${input.length} numbers, expected ${batch}x${this.steps}x${F}`);
    const feeds = { [ONNX_INPUT]: new ort.Tensor('float32', input, [batch, this.steps, F]) };
    const out = await this.session.run(feeds);
    return out[ONNX_OUTPUT]!.data as Float32Array;
  }

  /** Whether the model outputs P10/P50/P90 ([batch, 3, horizon] ONNX_QUANTILES). */
  get hasQuantiles(): boolean {
    const q = this.metadata.architecture.quantiles;
    return Array.isArray(q) && q.length === 3;
  }

  /** Run a scaled batch; the scaled point output [batch, horizon] and, with quantiles, [batch, 3, horizon]. */
  async runScaled(input: Float32Array, batch: number): Promise<{ output: Float32Array; quantiles: Float32Array | null }> {
    const F = SEQUENCE_FEATURES.length;
    if (input.length !== batch * this.steps * F) throw new Error(`predict: input has ${input.length} numbers, expected ${batch}x${this.steps}x${F}`);
    const feeds = { [ONNX_INPUT]: new ort.Tensor('float32', input, [batch, this.steps, F]) };
    const out = await this.session.run(feeds);
    return { output: out[ONNX_OUTPUT]!.data as Float32Array, quantiles: this.hasQuantiles ? (out[ONNX_QUANTILES]!.data as Float32Array) : null };
  }

  private inputFor(windows: readonly WindowInput[]): Float32Array {
    const size = this.steps * SEQUENCE_FEATURES.length;
    const input = new Float32Array(windows.length * size);
    windows.forEach((w, i) => {
      if (w.values.length !== this.steps) throw new Error(`forecast: window has ${w.values.length} steps, model ${this.version} reads ${this.steps}`);
      modelInput(w, this.metadata.scaler, input.subarray(i * size, (i + 1) * size));
    });
    return input;
  }

  /** Forecasts (unscaled, in the target's unit) for each window: horizon values per window. */
  async forecast(windows: readonly WindowInput[]): Promise<number[][]> {
    if (windows.length === 0) return [];
    const out = await this.predictScaled(this.inputFor(windows), windows.length);
    const H = this.horizon;
    return windows.map((_, i) => Array.from(out.subarray(i * H, (i + 1) * H), (v) => unscaleTarget(v, this.metadata.scaler)));
  }

  /**
   * Forecasts with bands (unscaled): per window the P50 (or point) values and, when the model has quantiles, P10
   * and P90 per horizon (P10 <= P50 <= P90: unscaling is increasing, so the graph's order holds).
   */
  async forecastBands(windows: readonly WindowInput[]): Promise<WindowForecast[]> {
    if (windows.length === 0) return [];
    const { output, quantiles } = await this.runScaled(this.inputFor(windows), windows.length);
    const H = this.horizon;
    const un = (a: Float32Array) => Array.from(a, (v) => unscaleTarget(v, this.metadata.scaler));
    return windows.map((_, i) => {
      const values = un(output.subarray(i * H, (i + 1) * H));
      if (!quantiles) return { values };
      const q = quantiles.subarray(i * 3 * H, (i + 1) * 3 * H);
      return { values, p10: un(q.subarray(0, H)), p90: un(q.subarray(2 * H, 3 * H)) };
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
