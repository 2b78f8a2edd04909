// Model metadata for the contract's unit tests (model-last-week-level, model-last-week-robust, online-band): the
// fields model/contract.ts validateMetadata requires of a one-layer LSTM over SEQUENCE_FEATURES, built by hand (not
// processors/forecaster/random-model.ts randomModelMetadata, which adds quantiles, ranges and a training note), so a
// test adds only the fields it is about.
import { type ModelMetadata, SEQUENCE_FEATURES } from '../../model/contract.js';

const HOUR = 3_600_000;

export interface LstmMetadataShape {
  /** LSTM units (architecture.units), one layer. */
  units: number;
  /** Window length in steps (architecture.steps). */
  steps: number;
  /** Forecast steps (architecture.horizon). */
  horizon: number;
  /** Default: mean 0, std 1 for every SEQUENCE_FEATURES entry and for the target. */
  scaler?: ModelMetadata['scaler'];
  /** Default: market 'M', kind 'K', no series ids, hourly (stepMs 3,600,000), unit 'MW'. */
  target?: ModelMetadata['target'];
}

/**
 * Plain metadata (not yet validated) of version 'v': formatVersion 1, architecture { type 'lstm', layers 1, units,
 * steps, features = SEQUENCE_FEATURES.length, horizon, recurrentActivation 'sigmoid' }, featureOrder =
 * SEQUENCE_FEATURES, scaler, target, onnx { file 'model.onnx', input 'input', output 'output', opset 17 }; then
 * `extra` (e.g. stepSources, lastWeekWeight, lastWeekLevel, onlineBand), which may override any of these. Throws
 * nothing itself: it is for validateMetadata to accept or refuse.
 */
export function lstmMetadata(shape: LstmMetadataShape, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    formatVersion: 1, version: 'v',
    architecture: { type: 'lstm', layers: 1, units: shape.units, steps: shape.steps, features: SEQUENCE_FEATURES.length, horizon: shape.horizon, recurrentActivation: 'sigmoid' },
    featureOrder: [...SEQUENCE_FEATURES],
    scaler: shape.scaler ?? { features: SEQUENCE_FEATURES.map(() => ({ mean: 0, std: 1 })), target: { mean: 0, std: 1 } },
    target: shape.target ?? { market: 'M', kind: 'K', seriesIds: [], stepMs: HOUR, unit: 'MW' },
    onnx: { file: 'model.onnx', input: 'input', output: 'output', opset: 17 },
    ...extra,
  };
}
