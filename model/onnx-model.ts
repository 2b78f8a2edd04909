// An ONNX model from the registry, run with onnxruntime-node: scaled batches in, unscaled forecasts out.
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { type ModelMetadata, ONNX_INPUT, ONNX_OUTPUT, SEQUENCE_FEATURES, type WindowInput, modelInput, unscaleTarget } from './contract.js';
import type { RegistryEntry } from './registry.js';

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
      throw new Error(`${path}: expected input "${ONNX_INPUT}" and output "${ONNX_OUTPUT}", found ${session.inputNames.join(',')} → ${session.outputNames.join(',')}`);
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

  /** Forecasts (unscaled, in the target's unit) for each window: horizon values per window. */
  async forecast(windows: readonly WindowInput[]): Promise<number[][]> {
    if (windows.length === 0) return [];
    const F = SEQUENCE_FEATURES.length;
    const size = this.steps * F;
    const input = new Float32Array(windows.length * size);
    windows.forEach((w, i) => {
      if (w.values.length !== this.steps) throw new Error(`forecast: window has ${w.values.length} steps, model ${this.version} reads ${this.steps}`);
      modelInput(w, this.metadata.scaler, input.subarray(i * size, (i + 1) * size));
    });
    const out = await this.predictScaled(input, windows.length);
    const H = this.horizon;
    return windows.map((_, i) => Array.from(out.subarray(i * H, (i + 1) * H), (v) => unscaleTarget(v, this.metadata.scaler)));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
