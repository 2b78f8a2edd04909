// An untrained model of the contract's architecture (model/contract.ts), written to a registry as a version: for
// tests, benchmarks and a smoke run of the serving path before `sda train` has produced a real one. Its weights are
// seeded, so the same options give the same model.
import * as tf from '@tensorflow/tfjs';
import { MODEL_FILE, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, ONNX_QUANTILES, QUANTILES, SEQUENCE_FEATURES, type ModelMetadata } from '../../model/contract.js';
import type { OnlineBandMetadata } from '../../model/online-band.js';
import { LAST_WEEK_SOURCE, seasonalNaiveIndex } from '../../model/quantile.js';
import { type ServedSpec, composeServedGraph } from '../../model/served-graph.js';
import { buildLstm } from '../../model/lstm.js';
import { exportTfjsLstmToOnnx } from '../../model/onnx-export.js';
import { setCurrent, writeVersion } from '../../model/registry.js';

export interface RandomModelOptions {
  version: string;
  market?: string;
  kind?: string;
  seriesIds?: string[];
  stepMs?: number;
  unit?: string;
  steps?: number;
  horizon?: number;
  units?: number;
  seed?: number;
  /** Target scaler; the other numeric features get mean 0, std 1. */
  target?: { mean: number; std: number };
  /**
   * A quantile model (P10/P50/P90 output, model/served-graph.ts) with these step sources (length horizon; "lstm",
   * "baseline:ridge", "baseline:naive_last", "baseline:same_hour_yesterday"); the ridge part is zero.
   */
  stepSources?: string[];
  /**
   * With stepSources: the steps (1-based horizons) whose metadata source is "same hour last week", served by the
   * forecaster from the windows it has seen with this weight (default 1) and the graph's band moved to the served
   * value (lastWeekBandFromGraph); the graph itself serves stepSources there (training.graphSources).
   */
  lastWeek?: { steps: number[]; weight?: number };
  /** metadata.onlineBand (model/online-band.ts): the forecaster serves its online P10-P90 band. */
  onlineBand?: OnlineBandMetadata;
}

export function randomModelMetadata(o: RandomModelOptions): ModelMetadata {
  const steps = o.steps ?? 24;
  const target = o.target ?? { mean: 40, std: 15 };
  const now = new Date().toISOString();
  const H = o.horizon ?? 4;
  if (o.lastWeek && (!o.stepSources || !o.lastWeek.steps.every((h) => Number.isInteger(h) && h >= 1 && h <= H))) throw new RangeError(`randomModelMetadata: lastWeek needs stepSources and steps in 1..${H}`);
  const lastWeek = o.lastWeek ? new Set(o.lastWeek.steps) : undefined;
  const metaSources = o.stepSources?.map((src, h) => (lastWeek?.has(h + 1) ? LAST_WEEK_SOURCE : src));
  return {
    formatVersion: 1,
    version: o.version,
    createdAt: now,
    trainer: 'tfjs',
    backend: `tfjs-${tf.getBackend() ?? 'cpu'}`,
    architecture: { type: 'lstm', layers: 1, units: o.units ?? 4, steps, features: SEQUENCE_FEATURES.length, horizon: o.horizon ?? 4, recurrentActivation: 'sigmoid', ...(o.stepSources ? { quantiles: [...QUANTILES] } : {}) },
    ...(metaSources ? { stepSources: metaSources } : {}),
    ...(o.onlineBand ? { onlineBand: { ...o.onlineBand } } : {}),
    ...(lastWeek ? { lastWeekWeight: Array.from({ length: H }, (_, h) => (lastWeek.has(h + 1) ? (o.lastWeek!.weight ?? 1) : 0)), lastWeekBandFromGraph: true } : {}),
    target: { market: o.market ?? 'ERCOT', kind: o.kind ?? 'RT_PRICE', seriesIds: o.seriesIds ?? [], stepMs: o.stepMs ?? 3_600_000, unit: o.unit ?? 'USD/MWh' },
    featureOrder: [...SEQUENCE_FEATURES],
    scaler: { features: SEQUENCE_FEATURES.map((f) => (f === 'value' ? { ...target } : { mean: 0, std: 1 })), target: { ...target } },
    trainingRange: { from: now, to: now },
    holdoutRange: { from: now, to: now },
    metrics: {},
    gitCommit: 'untrained',
    onnx: { file: MODEL_FILE, input: ONNX_INPUT, output: ONNX_OUTPUT, opset: ONNX_OPSET, ...(o.stepSources ? { quantiles: ONNX_QUANTILES } : {}) },
    training: { note: 'untrained: seeded random weights', ...(o.stepSources ? { graphSources: [...o.stepSources] } : {}) },
  };
}

/** Builds the model, exports it to ONNX and writes the version into `root`; with `makeCurrent`, points `current` at it. */
export async function writeRandomModel(root: string, o: RandomModelOptions, makeCurrent = true): Promise<ModelMetadata> {
  const meta = randomModelMetadata(o);
  const a = meta.architecture;
  const q = o.stepSources ? 3 : 1;
  const model = buildLstm({ steps: a.steps, features: a.features, horizon: a.horizon, units: a.units, layers: 1, seed: o.seed ?? 1, outputsPerStep: q });
  try {
    let onnxBytes = exportTfjsLstmToOnnx(model, { steps: a.steps, features: a.features, horizon: q * a.horizon });
    if (o.stepSources) {
      const P = a.steps * a.features;
      const H = a.horizon;
      const spec: ServedSpec = {
        steps: a.steps, features: a.features, horizon: H,
        baseW: new Float32Array(P * H), baseB: new Float32Array(H), ridgeW: new Float32Array(P * H), ridgeB: new Float32Array(H),
        seasonalIndex: Array.from({ length: H }, (_, h) => seasonalNaiveIndex(h + 1, Math.round(86_400_000 / (o.stepMs ?? 3_600_000)), a.steps)),
        sources: o.stepSources as ServedSpec['sources'],
        cLo: new Float32Array(H).fill(0.1), cHi: new Float32Array(H).fill(0.1),
      };
      onnxBytes = composeServedGraph(onnxBytes, spec);
    }
    await writeVersion(root, meta, { [MODEL_FILE]: onnxBytes });
  } finally {
    model.dispose();
  }
  if (makeCurrent) await setCurrent(root, meta.version);
  return meta;
}
