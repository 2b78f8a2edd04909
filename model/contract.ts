// The model contract shared by both trainers (TypeScript/tfjs and model/gpu PyTorch) and the serving side
// (processors/forecaster, gateway): how a feature window becomes model input, the ONNX input/output names and
// shapes, and the metadata file written beside every model. A model from either trainer is served the same way.
//
// Input:  ONNX_INPUT, float32 [batch, steps, SEQUENCE_FEATURES.length], already scaled (see scaleSequence).
// Output: ONNX_OUTPUT, float32 [batch, horizon], the target for steps 1..horizon after the window end, scaled by
//         metadata.scaler.target; unscale with unscaleTarget. The point forecast: the median (P50) when the model
//         has quantiles.
//         ONNX_QUANTILES (when metadata.architecture.quantiles is set, e.g. [0.1, 0.5, 0.9]): float32
//         [batch, quantiles.length, horizon], same scaling, sorted along axis 1 at every step (P10 <= P50 <= P90);
//         its middle row equals ONNX_OUTPUT. Older models have no such output and serve point forecasts only.
//         metadata.stepSources[h-1] names what produced horizon h ("lstm" or "baseline:NAME"): a model whose
//         network lost to a baseline at some horizon on the validation slice computes that baseline inside the
//         graph for that horizon (model/served-graph.ts).
// The architecture: one (or more) LSTM layers, recurrent activation sigmoid, then a dense layer to `horizon` (or,
// with quantiles, to 3 x horizon: the P50 residual and the two softplus band widths; see model/README.md).
import { ModelError } from './errors.js';
import { type OnlineBandMetadata, OnlineBandSpecError, validateOnlineBandMetadata } from './online-band.js';

/** The most slots metadata.lastWeekLevel may average the weekly change over (the forecaster's history, processors/forecaster/history.ts HISTORY_KEEP_MS, reaches 7 days + (24 − 1 + 2) h back). */
export const LEVEL_MAX_SLOTS = 24;
/** The level-adjusted seasonal naive's source name (metadata.lastWeekLevel; model/last-week.ts). */
export const LAST_WEEK_LEVEL_SOURCE = 'baseline:same_hour_last_week_level';

/** The sources a step source names: itself, or the two parts of "blend:0.6 a + 0.4 b" (quantile.ts blendLabel). */
export function sourceParts(label: string): string[] {
  return label.startsWith('blend:') ? label.slice('blend:'.length).split(' + ').map((p) => p.replace(/^[0-9.]+ /, '')) : [label];
}

/** Name of the ONNX graph input. */
export const ONNX_INPUT = 'input';
/** Name of the ONNX graph output. */
export const ONNX_OUTPUT = 'output';
/** Name of the optional quantile output [batch, quantiles, horizon]. */
export const ONNX_QUANTILES = 'quantiles';
/** The quantile levels new models predict: P10, P50 (the point forecast), P90. */
export const QUANTILES = [0.1, 0.5, 0.9] as const;
/** ONNX opset both trainers write. */
export const ONNX_OPSET = 17;
/** File names inside a registry version directory. */
export const MODEL_FILE = 'model.onnx';
export const METADATA_FILE = 'metadata.json';

/**
 * Features per time step, in order. The window's own value at each step (scaled with the target scaler),
 * whether it was missing, the time of day of the step, and window-level context repeated at every step.
 */
export const SEQUENCE_FEATURES = [
  'value', 'missing', 'hour_sin', 'hour_cos', 'dow_sin', 'dow_cos', 'is_holiday', 'system_load', 'wind', 'solar', 'net_load',
] as const;
export type SequenceFeature = (typeof SEQUENCE_FEATURES)[number];

/** The part of a feature window a model reads: FeatureWindow (Avro) and a feature-matrix row both provide it. */
export interface WindowInput {
  stepMs: number;
  windowEnd: number;
  values: ReadonlyArray<number | null>;
  hourOfDay: number;
  dayOfWeek: number;
  isHoliday: boolean;
  systemLoad?: number | null;
  wind?: number | null;
  solar?: number | null;
  netLoad?: number | null;
}

export interface Standardizer {
  mean: number;
  std: number;
  /**
   * The range of the raw feature in the training inputs (optional; written by fitScaler since 2026-12-02):
   * scaleSequence clips an input into inputClipBounds (the range widened by INPUT_CLIP_MARGIN of its width each side)
   * before scaling, so a window far beyond anything the model was fitted on (a $5,000 price in a model trained on
   * $-10-$180) is not extrapolated linearly, while a moderate new high (a record load a little above the training
   * season's) passes. Winsorized inputs, as scikit-learn's MinMaxScaler(clip=True), with a margin. Absent: no clip.
   */
  min?: number;
  max?: number;
}

/**
 * How far beyond its training range an input may go before it is clipped, as a share of the range's width on each
 * side. 0.25: a load model trained on a 20-45 GW season still reads a 51 GW record as itself; a price model trained
 * on $-106-$102 reads a $5,000 interval as $154 (bench/RESULTS.md "model inputs clipped to the training range").
 */
export const INPUT_CLIP_MARGIN = 0.25;

/**
 * The interval a feature's raw inputs are clipped into: [min − m·(max − min), max + m·(max − min)], m =
 * INPUT_CLIP_MARGIN; null when the standardizer has no range (no clip).
 */
export function inputClipBounds(s: Standardizer): { lo: number; hi: number } | null {
  if (s.min === undefined || s.max === undefined) return null;
  const w = (s.max - s.min) * INPUT_CLIP_MARGIN;
  return { lo: s.min - w, hi: s.max + w };
}

export interface Scaler {
  /**
   * One entry per SEQUENCE_FEATURES element (the `value` entry has the target's mean and std, and the value inputs'
   * range).
   */
  features: Standardizer[];
  target: Standardizer;
}

export interface ModelMetadata {
  formatVersion: 1;
  version: string;
  createdAt: string;
  trainer: 'tfjs' | 'pytorch';
  /** The backend that trained it, e.g. "tfjs-wasm", "tfjs-cpu", "torch-cuda", "torch-cpu". */
  backend: string;
  architecture: {
    type: 'lstm'; layers: number; units: number; steps: number; features: number; horizon: number; recurrentActivation: 'sigmoid';
    /** Quantile levels of the ONNX_QUANTILES output, ascending (absent: point forecasts only). */
    quantiles?: number[];
  };
  /** What produced each horizon (length horizon): "lstm" or "baseline:NAME"; absent: all from the network. */
  stepSources?: string[];
  /**
   * Per horizon, the weight of "same hour last week" in the served value (0: unused; 1: alone; between: a blend
   * with the graph's output): the forecaster serves w·(value 168 h before the target, from the windows it has seen)
   * + (1 − w)·(graph P50), and the graph's output alone where it has no such value.
   */
  lastWeekWeight?: number[];
  /** For horizons with lastWeekWeight > 0: the P10/P90 band as distances below/above the served value, in the target's unit. */
  lastWeekBand?: { below: number[]; above: number[] };
  /**
   * True: a step that uses last week takes the graph's band at that step (its offsets calibrated on the served,
   * blended value's residuals), moved to the served value: P10 = served − (P50 − P10 of the graph), likewise P90;
   * lastWeekBand is then unused. Absent (models before 2026-12-01's band scale): lastWeekBand.
   */
  lastWeekBandFromGraph?: boolean;
  /**
   * The level-adjusted seasonal naive ("baseline:same_hour_last_week_level", model/last-week.ts lastWeekValue): at a
   * step with lastWeekWeight > 0, last week's value is y(T − 7 days) + weight[h]·level, level = the mean of y(s) −
   * y(s − 7 days) over the `slots` slots s up to the window end (target's unit). weight[h] in [0, 1] per horizon
   * (0: plain last week). Absent (models before 2026-12-02, or none chose it): plain last week at every step.
   * rule: how the changes are summarised (model/last-week.ts weeklyLevel): 'median' (written since 2026-12-02's
   * robust level: one price spike does not move it) or 'mean'; absent (models before it): 'mean'.
   */
  lastWeekLevel?: { slots: number; weight: number[]; rule?: 'mean' | 'median' };
  /**
   * The online P10-P90 band (model/online-band.ts): the forecaster recalibrates the band per series and step from
   * the residuals actual − served P50 of its trailing windowDays, falling back to `trained`; absent: the graph's
   * static band only, as before.
   */
  onlineBand?: OnlineBandMetadata;
  target: { market: string; kind: string; seriesIds: string[]; stepMs: number; unit: string };
  featureOrder: string[];
  scaler: Scaler;
  trainingRange: { from: string; to: string };
  holdoutRange: { from: string; to: string };
  /** Scores on the hold-out; keys such as "rmse", "mae", "rmse_naive_last", "rmse_ridge". */
  metrics: Record<string, number>;
  gitCommit: string;
  onnx: { file: string; input: string; output: string; opset: number; quantiles?: string };
  /** Free-form training details (epochs, batch size, loss per epoch, epoch seconds). */
  training?: Record<string, unknown>;
}

const TWO_PI = 2 * Math.PI;
const HOUR_MS = 3_600_000;

/** Mean/std with a floor so a constant (or absent) feature scales to 0 instead of dividing by zero. */
export function fitStandardizer(values: Iterable<number>): Standardizer {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  const std = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  return { mean: n > 0 ? mean : 0, std: std > 1e-9 ? std : 1 };
}

/**
 * Raw (unscaled) features of one window as [steps][SEQUENCE_FEATURES], row-major in `out`. Missing values are NaN
 * here; scaleSequence turns them into 0 (the mean) after scaling.
 */
export function windowToSequence(w: WindowInput, out: Float32Array = new Float32Array(w.values.length * SEQUENCE_FEATURES.length)): Float32Array {
  const F = SEQUENCE_FEATURES.length;
  const W = w.values.length;
  const stepHours = w.stepMs / HOUR_MS;
  const dow = (TWO_PI * w.dayOfWeek) / 7;
  const dowSin = Math.sin(dow);
  const dowCos = Math.cos(dow);
  const num = (v: number | null | undefined) => (v === null || v === undefined ? Number.NaN : v);
  const load = num(w.systemLoad);
  const wind = num(w.wind);
  const solar = num(w.solar);
  const net = num(w.netLoad);
  for (let i = 0; i < W; i++) {
    const o = i * F;
    const v = w.values[i];
    const missing = v === null || v === undefined || !Number.isFinite(v);
    // Step i starts (W - i) steps before the window end. The windower's hourOfDay is the local hour at the start of
    // the window's last step (W - 1), so step i's hour is (W - 1 - i) steps earlier.
    const hour = (((w.hourOfDay - (W - 1 - i) * stepHours) % 24) + 24) % 24;
    out[o] = missing ? Number.NaN : v;
    out[o + 1] = missing ? 1 : 0;
    out[o + 2] = Math.sin((TWO_PI * hour) / 24);
    out[o + 3] = Math.cos((TWO_PI * hour) / 24);
    out[o + 4] = dowSin;
    out[o + 5] = dowCos;
    out[o + 6] = w.isHoliday ? 1 : 0;
    out[o + 7] = load;
    out[o + 8] = wind;
    out[o + 9] = solar;
    out[o + 10] = net;
  }
  return out;
}

/** Features whose scaling is fixed (flags and sin/cos): the scaler keeps mean 0, std 1 for them. */
export const UNSCALED_FEATURES: ReadonlySet<SequenceFeature> = new Set(['missing', 'hour_sin', 'hour_cos', 'dow_sin', 'dow_cos', 'is_holiday']);

/**
 * Scale a raw sequence (from windowToSequence, [steps, SEQUENCE_FEATURES.length] row-major) in place: each value
 * clipped into its feature's inputClipBounds when the scaler has a range (Standardizer.min/max), then
 * (v − mean) / std; NaN (missing) becomes 0, the feature's mean.
 */
export function scaleSequence(seq: Float32Array, scaler: Scaler): Float32Array {
  const F = scaler.features.length;
  const bounds = scaler.features.map(inputClipBounds);
  for (let i = 0; i < seq.length; i++) {
    const s = scaler.features[i % F]!;
    const b = bounds[i % F];
    let v = seq[i]!;
    if (!Number.isFinite(v)) {
      seq[i] = 0;
      continue;
    }
    if (b) v = Math.min(b.hi, Math.max(b.lo, v));
    seq[i] = (v - s.mean) / s.std;
  }
  return seq;
}

export function scaleTarget(v: number, scaler: Scaler): number {
  return (v - scaler.target.mean) / scaler.target.std;
}

export function unscaleTarget(v: number, scaler: Scaler): number {
  return v * scaler.target.std + scaler.target.mean;
}

/** The model input for one window: windowToSequence then scaleSequence. */
export function modelInput(w: WindowInput, scaler: Scaler, out?: Float32Array): Float32Array {
  return scaleSequence(windowToSequence(w, out), scaler);
}

/** Whether a model serves this window (same market, kind and step; series in its list, or any when the list is empty). */
export function servesWindow(meta: ModelMetadata, w: { market: string; seriesId: string; kind: string; stepMs: number; values: ReadonlyArray<unknown> }): boolean {
  const t = meta.target;
  return (
    w.market === t.market && w.kind === t.kind && w.stepMs === t.stepMs && w.values.length === meta.architecture.steps &&
    (t.seriesIds.length === 0 || t.seriesIds.includes(w.seriesId))
  );
}

/** Check a parsed metadata.json; throws naming the first thing wrong. */
export function validateMetadata(m: unknown, where: string): ModelMetadata {
  const fail = (what: string): never => {
    throw new ModelError('MODEL_METADATA_INVALID', `${where}: invalid model metadata: ${what}`);
  };
  if (typeof m !== 'object' || m === null) fail('not a JSON object');
  const o = m as Record<string, unknown>;
  if (o.formatVersion !== 1) fail(`formatVersion ${String(o.formatVersion)} (expected 1)`);
  if (typeof o.version !== 'string' || o.version === '') fail('version missing');
  const a = o.architecture as Record<string, unknown> | undefined;
  if (a?.type !== 'lstm') fail('architecture.type must be "lstm"');
  for (const k of ['layers', 'units', 'steps', 'features', 'horizon'] as const) {
    if (!Number.isInteger(a![k]) || (a![k] as number) < 1) fail(`architecture.${k} must be a positive integer`);
  }
  if (a!.features !== SEQUENCE_FEATURES.length) fail(`architecture.features ${String(a!.features)} (this build reads ${SEQUENCE_FEATURES.length})`);
  const order = o.featureOrder;
  if (!Array.isArray(order) || order.join(',') !== SEQUENCE_FEATURES.join(',')) fail(`featureOrder must be ${SEQUENCE_FEATURES.join(',')}`);
  const sc = o.scaler as Scaler | undefined;
  const okStd = (s: unknown) => {
    if (typeof s !== 'object' || s === null) return false;
    const { mean, std, min, max } = s as Standardizer;
    const okBound = (b: unknown) => b === undefined || (typeof b === 'number' && Number.isFinite(b));
    return Number.isFinite(mean) && std > 0 && okBound(min) && okBound(max) && !(min !== undefined && max !== undefined && min > max);
  };
  if (!sc || !Array.isArray(sc.features) || sc.features.length !== SEQUENCE_FEATURES.length || !sc.features.every(okStd) || !okStd(sc.target)) {
    fail('scaler must hold a {mean, std>0, optional finite min <= max} per feature and for the target');
  }
  const t = o.target as Record<string, unknown> | undefined;
  if (!t || typeof t.market !== 'string' || typeof t.kind !== 'string' || !Array.isArray(t.seriesIds) || !Number.isInteger(t.stepMs)) {
    fail('target must name market, kind, seriesIds and stepMs');
  }
  const x = o.onnx as Record<string, unknown> | undefined;
  if (!x || x.input !== ONNX_INPUT || x.output !== ONNX_OUTPUT || typeof x.file !== 'string') fail(`onnx must name file, input "${ONNX_INPUT}", output "${ONNX_OUTPUT}"`);
  const q = a!.quantiles;
  if (q !== undefined) {
    if (!Array.isArray(q) || q.length < 1 || !q.every((v, i) => typeof v === 'number' && v > 0 && v < 1 && (i === 0 || v > (q[i - 1] as number)))) {
      fail('architecture.quantiles must be ascending levels in (0, 1)');
    }
    if (x!.quantiles !== ONNX_QUANTILES) fail(`onnx.quantiles must be "${ONNX_QUANTILES}" when architecture.quantiles is set`);
  }
  const lww = o.lastWeekWeight;
  if (lww !== undefined && (!Array.isArray(lww) || lww.length !== a!.horizon || !lww.every((v) => typeof v === 'number' && v >= 0 && v <= 1))) {
    fail(`lastWeekWeight must hold a weight in [0, 1] for each of the ${String(a!.horizon)} horizons`);
  }
  const lvl = o.lastWeekLevel as { slots?: unknown; weight?: unknown } | undefined;
  if (lvl !== undefined) {
    const lw = lvl?.weight;
    if (typeof lvl !== 'object' || lvl === null || !Number.isInteger(lvl.slots) || (lvl.slots as number) < 1 || (lvl.slots as number) > LEVEL_MAX_SLOTS) {
      fail(`lastWeekLevel.slots must be an integer number of slots in 1..${LEVEL_MAX_SLOTS}`);
    }
    if (!Array.isArray(lw) || lw.length !== a!.horizon || !lw.every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
      fail(`lastWeekLevel.weight must hold a weight in [0, 1] for each of the ${String(a!.horizon)} horizons`);
    }
    const rule = (lvl as { rule?: unknown }).rule;
    if (rule !== undefined && rule !== 'mean' && rule !== 'median') fail(`lastWeekLevel.rule must be "mean" or "median" (absent: "mean"), got ${JSON.stringify(rule)}`);
  }
  const src = o.stepSources;
  if (src !== undefined && (!Array.isArray(src) || src.length !== a!.horizon || !src.every((v) => typeof v === 'string' && v !== ''))) {
    fail(`stepSources must name a source for each of the ${String(a!.horizon)} horizons`);
  }
  // A step named after the level-adjusted source must be served with a level, else the record would say so wrongly.
  (src as string[] | undefined)?.forEach((v, h) => {
    if (!sourceParts(v).includes(LAST_WEEK_LEVEL_SOURCE)) return;
    const k = (lvl?.weight as number[] | undefined)?.[h] ?? 0;
    if (!(k > 0)) fail(`stepSources[${h}] is "${v}" but lastWeekLevel.weight[${h}] is ${lvl ? String(k) : 'absent'}: that source needs a level weight > 0`);
    if (Array.isArray(lww) && !((lww[h] as number) > 0)) fail(`stepSources[${h}] is "${v}" but lastWeekWeight[${h}] is 0`);
  });
  if (o.onlineBand !== undefined) {
    try {
      // The checked band replaces the raw one: fields written before they existed take their defaults (centreDays 0).
      o.onlineBand = validateOnlineBandMetadata(o.onlineBand, a!.horizon as number);
    } catch (e) {
      if (e instanceof OnlineBandSpecError) fail(e.message);
      throw e;
    }
  }
  return m as ModelMetadata;
}
