// The supervised dataset both trainers learn from: one sample per feature window of one or more series.
//   X = windowToSequence(window) scaled ([steps, features], model/contract.ts),
//   y = the series' own value for the `horizon` steps after the window end (scaled with the target scaler).
// Samples are sorted by window end (then series); the last part of time is the hold-out, never shuffled into
// training. The scaler is fitted on training samples only. exportDataset writes the files the PyTorch trainer
// (model/gpu) reads; the format is described in model/README.md ("Dataset files").
import { endianness } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SEQUENCE_FEATURES,
  type Scaler,
  type Standardizer,
  UNSCALED_FEATURES,
  type WindowInput,
  fitStandardizer,
  inputClipBounds,
  scaleSequence,
  scaleTarget,
  windowToSequence,
} from './contract.js';
import { FEATURE_COLUMNS, type FeatureMatrix } from './feature-matrix.js';
import { SdaError } from '../platform/errors.js';
import { seriesLabel } from '../market/format.js';
import { ModelError } from './errors.js';
import { LEVEL_MAX_SLOTS, weekChanges } from './last-week.js';

export const DATASET_FORMAT_VERSION = 1;
export const DATASET_FILE = 'dataset.json';
export const X_FILE = 'X.f32';
export const Y_FILE = 'y.f32';
/** Raw (unscaled) baseline forecasts, [3, n, horizon]: naive last, same hour yesterday, same hour last week. */
export const BASELINES_FILE = 'baselines.f32';
export const BASELINE_KEYS = ['naive_last', 'same_hour_yesterday', 'same_hour_last_week'] as const;
/** Optional: Dataset.weekChange, float64 little-endian [n, LEVEL_MAX_SLOTS] (absent in directories written before it). */
export const WEEK_CHANGE_FILE = 'week-change.f64';
export type BaselineKey = (typeof BASELINE_KEYS)[number];

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export interface DatasetTarget {
  market: string;
  kind: string;
  seriesIds: string[];
  stepMs: number;
  unit: string;
}

/** Everything in dataset.json (the arrays live in the .f32 files). */
export interface DatasetHeader {
  formatVersion: 1;
  featureOrder: string[];
  steps: number;
  features: number;
  horizon: number;
  n: number;
  /** The first trainCount samples are training, the rest the hold-out. */
  trainCount: number;
  /** Per sample, in sample order. */
  seriesIds: string[];
  /** Per sample: window end, UTC ms. */
  windowEnds: number[];
  scaler: Scaler;
  target: DatasetTarget;
  /** Window ends of the first and last training / hold-out samples (ISO). */
  trainingRange: { from: string; to: string };
  holdoutRange: { from: string; to: string };
}

export interface Dataset extends DatasetHeader {
  /** [n, steps, features], scaled, missing = 0. */
  X: Float32Array;
  /** [n, horizon], scaled. */
  y: Float32Array;
  /** Raw baseline forecasts per sample and horizon step ([n, horizon] each, NaN where unknown). */
  baselines: Record<BaselineKey, Float32Array>;
  /**
   * Per sample, the week-over-week changes known at its window end, newest first ([n, LEVEL_MAX_SLOTS], target's
   * unit, NaN where unknown; model/last-week.ts weekChanges): the level term of the level-adjusted last week.
   * Absent in a dataset read from files written without it (the level-adjusted source is then unknown).
   */
  weekChange?: Float64Array;
}

/** The feature matrix of one series (loadFeatureMatrix with values). */
export interface SeriesMatrix {
  seriesId: string;
  matrix: FeatureMatrix;
}

export interface BuildOptions {
  horizon: number;
  stepMs: number;
  target: { market: string; kind: string; unit: string };
  /** Fraction of the time span (by window end) held out at the end; default 0.2. */
  holdoutFraction?: number;
  /** Split here instead: samples with window end >= holdoutFrom are the hold-out (re-evaluating a model). */
  holdoutFrom?: number;
  /** Use this scaler instead of fitting one (re-evaluating a model with its own scaler). */
  scaler?: Scaler;
  /** How the value/target standardizer is fitted when no scaler is given (default 'standard'). */
  targetScaling?: TargetScaling;
}

/** The database holds too little history to build the requested samples (code DATASET_EMPTY, not retriable). */
export class EmptyDatasetError extends SdaError<'DATASET_EMPTY'> {
  constructor(message: string) {
    super('DATASET_EMPTY', message);
  }
}

interface RawSample {
  seriesId: string;
  windowEnd: number;
  seq: Float32Array;
  y: Float64Array;
  base: Float64Array; // [3, horizon]
  change: Float64Array; // [LEVEL_MAX_SLOTS]
}

/** A matrix row as the model contract's WindowInput. */
export function rowToWindow(matrix: FeatureMatrix, row: number[], windowEnd: number, stepMs: number): WindowInput {
  const col = columnIndex(matrix);
  const at = (name: string) => row[col(name)]!;
  const opt = (name: string) => (Number.isFinite(at(name)) ? at(name) : null);
  const first = FEATURE_COLUMNS.length;
  return {
    stepMs,
    windowEnd,
    values: row.slice(first).map((v) => (Number.isFinite(v) ? v : null)),
    hourOfDay: at('hour_of_day'),
    dayOfWeek: at('day_of_week'),
    isHoliday: at('is_holiday') === 1,
    systemLoad: opt('system_load'),
    wind: opt('wind'),
    solar: opt('solar'),
    netLoad: opt('net_load'),
  };
}

function columnIndex(matrix: FeatureMatrix): (name: string) => number {
  return (name) => {
    const i = matrix.columns.indexOf(name);
    if (i < 0) throw new Error(`feature matrix has no column ${name}`);
    return i;
  };
}

/** Slot end time → value, from every window's values (a slot's value is the same in every window holding it). */
function seriesHistory(m: FeatureMatrix, stepMs: number): Map<number, number> {
  const first = FEATURE_COLUMNS.length;
  const W = m.columns.length - first;
  const hist = new Map<number, number>();
  m.rows.forEach((row, r) => {
    const end = m.windowEnds[r]!;
    for (let i = 0; i < W; i++) {
      const v = row[first + i]!;
      if (Number.isFinite(v)) hist.set(end - (W - 1 - i) * stepMs, v);
    }
  });
  return hist;
}

function rawSamples(series: SeriesMatrix[], horizon: number, stepMs: number): { samples: RawSample[]; steps: number } {
  const F = SEQUENCE_FEATURES.length;
  let steps = -1;
  const samples: RawSample[] = [];
  for (const { seriesId, matrix } of series) {
    if (matrix.rows.length === 0) continue;
    const W = matrix.columns.length - FEATURE_COLUMNS.length;
    if (W < 1) throw new Error(`feature matrix of ${seriesId} has no value columns (load it with includeValues)`);
    if (steps === -1) steps = W;
    else if (W !== steps) throw new Error(`series ${seriesId} has ${W}-step windows, others ${steps}`);
    const hist = seriesHistory(matrix, stepMs);
    const lookup = (t: number) => hist.get(t) ?? Number.NaN;
    matrix.rows.forEach((row, r) => {
      const end = matrix.windowEnds[r]!;
      const y = new Float64Array(horizon);
      for (let k = 1; k <= horizon; k++) {
        const v = lookup(end + k * stepMs);
        if (!Number.isFinite(v)) return; // a missing target: no sample
        y[k - 1] = v;
      }
      const w = rowToWindow(matrix, row, end, stepMs);
      let last = Number.NaN;
      for (let i = w.values.length - 1; i >= 0 && !Number.isFinite(last); i--) last = w.values[i] ?? Number.NaN;
      const base = new Float64Array(3 * horizon);
      // Seasonal naive as known at issue time (Hyndman & Athanasopoulos, FPP3 §5.2): y(T + h − m·(k + 1)),
      // k = floor((h − 1) / m); beyond a day ahead, "same hour yesterday" is the same hour two days back.
      const perDay = Math.max(1, Math.round(DAY_MS / stepMs));
      const perWeek = Math.max(1, Math.round(WEEK_MS / stepMs));
      for (let k = 1; k <= horizon; k++) {
        const t = end + k * stepMs;
        base[k - 1] = last;
        base[horizon + k - 1] = lookup(t - (Math.floor((k - 1) / perDay) + 1) * DAY_MS);
        base[2 * horizon + k - 1] = lookup(t - (Math.floor((k - 1) / perWeek) + 1) * WEEK_MS);
      }
      const change = weekChanges((t) => hist.get(t), end, stepMs, LEVEL_MAX_SLOTS);
      samples.push({ seriesId, windowEnd: end, seq: windowToSequence(w, new Float32Array(W * F)), y, base, change });
    });
  }
  samples.sort((a, b) => a.windowEnd - b.windowEnd || (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : 0));
  return { samples, steps };
}

/** How the value/target standardizer is fitted: mean and standard deviation, or median and IQR / 1.349. */
export type TargetScaling = 'standard' | 'robust';

/**
 * A robust standardizer: median and interquartile range / 1.349 (equal to mean and std for a normal
 * distribution). Prices have rare scarcity spikes thousands of dollars high that inflate the standard deviation
 * and squeeze ordinary prices into a sliver of the scaled range; these two statistics ignore them.
 */
export function fitRobustStandardizer(values: Iterable<number>): Standardizer {
  const v = Float64Array.from([...values].filter(Number.isFinite)).sort();
  if (v.length < 4) return fitStandardizer(v);
  const q = (p: number) => {
    const x = p * (v.length - 1);
    const i = Math.floor(x);
    return v[i]! + (v[Math.min(i + 1, v.length - 1)]! - v[i]!) * (x - i);
  };
  const spread = (q(0.75) - q(0.25)) / 1.349;
  return spread > 1e-9 ? { mean: q(0.5), std: spread } : fitStandardizer(v);
}

/**
 * Fit the scaler on training samples: value and target share one standardizer (mean, std); flags and sin/cos stay
 * 0/1. Every scaled input feature also gets the range of its finite training inputs (Standardizer.min/max: the value
 * over every step of every training window, a context feature over each window's last step), which scaleSequence
 * clips later inputs into. train: raw sequences [steps, SEQUENCE_FEATURES.length] and targets.
 */
export function fitScaler(train: ReadonlyArray<{ seq: Float32Array; y: ArrayLike<number> }>, steps: number, scaling: TargetScaling = 'standard'): Scaler {
  const F = SEQUENCE_FEATURES.length;
  const fit = scaling === 'robust' ? fitRobustStandardizer : fitStandardizer;
  const target = fit((function* () {
    for (const s of train) yield s.y[0]!;
  })());
  const range = (f: number, fromStep: number): { min?: number; max?: number } => {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const s of train) {
      for (let t = fromStep; t < steps; t++) {
        const v = s.seq[t * F + f]!;
        if (!Number.isFinite(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    return min <= max ? { min, max } : {};
  };
  const features: Standardizer[] = SEQUENCE_FEATURES.map((name, f) => {
    if (name === 'value') return { mean: target.mean, std: target.std, ...range(f, 0) };
    if (UNSCALED_FEATURES.has(name)) return { mean: 0, std: 1 };
    // Window-level context: the same at every step, so one value per sample (its last step).
    const st = fitStandardizer((function* () {
      for (const s of train) yield s.seq[(steps - 1) * F + f]!;
    })());
    return { ...st, ...range(f, steps - 1) };
  });
  return { features, target };
}

/** Build the dataset from series matrices (all of one market, kind and step). */
export function buildDataset(series: SeriesMatrix[], opts: BuildOptions): Dataset {
  const H = opts.horizon;
  if (!Number.isInteger(H) || H < 1 || H > 24 * 4) throw new Error(`horizon ${H}: expected an integer from 1 to 96`);
  const frac = opts.holdoutFraction ?? 0.2;
  if (!(frac > 0 && frac < 1)) throw new Error(`holdoutFraction ${frac}: expected a number between 0 and 1`);
  const { samples, steps } = rawSamples(series, H, opts.stepMs);
  const what = seriesLabel(opts.target.market, series.map((s) => s.seriesId), opts.target.kind);
  if (samples.length === 0) throw new EmptyDatasetError(`no samples for ${what}: no windows with ${H} known value(s) after them`);

  // Time split. Hold-out: window end after the cutoff. Training: every target at or before the cutoff, so no
  // training target lies inside the hold-out period. Samples in between (at most horizon steps) are dropped.
  const t0 = samples[0]!.windowEnd;
  const t1 = samples[samples.length - 1]!.windowEnd;
  const cutoff = opts.holdoutFrom !== undefined ? opts.holdoutFrom - 1 : t0 + (1 - frac) * (t1 - t0);
  const train = samples.filter((s) => s.windowEnd + H * opts.stepMs <= cutoff);
  const hold = samples.filter((s) => s.windowEnd > cutoff);
  if (train.length === 0) throw new EmptyDatasetError(`no training samples for ${what}: all ${samples.length} windows fall in the hold-out; widen --from/--to`);
  if (hold.length === 0) throw new EmptyDatasetError(`no hold-out samples for ${what}; widen --from/--to`);
  const ordered = [...train, ...hold];

  const scaler = opts.scaler ?? fitScaler(train, steps, opts.targetScaling);
  const F = SEQUENCE_FEATURES.length;
  const n = ordered.length;
  const X = new Float32Array(n * steps * F);
  const y = new Float32Array(n * H);
  const baselines = Object.fromEntries(BASELINE_KEYS.map((k) => [k, new Float32Array(n * H)])) as Record<BaselineKey, Float32Array>;
  const weekChange = new Float64Array(n * LEVEL_MAX_SLOTS);
  ordered.forEach((s, i) => {
    weekChange.set(s.change, i * LEVEL_MAX_SLOTS);
    const seq = X.subarray(i * steps * F, (i + 1) * steps * F);
    seq.set(s.seq);
    scaleSequence(seq, scaler);
    for (let k = 0; k < H; k++) {
      y[i * H + k] = scaleTarget(s.y[k]!, scaler);
      BASELINE_KEYS.forEach((key, b) => {
        baselines[key][i * H + k] = s.base[b * H + k]!;
      });
    }
  });
  const iso = (t: number) => new Date(t).toISOString();
  const seriesIds = [...new Set(series.filter((s) => s.matrix.rows.length > 0).map((s) => s.seriesId))];
  return {
    formatVersion: 1,
    featureOrder: [...SEQUENCE_FEATURES],
    steps,
    features: F,
    horizon: H,
    n,
    trainCount: train.length,
    seriesIds: ordered.map((s) => s.seriesId),
    windowEnds: ordered.map((s) => s.windowEnd),
    scaler,
    target: { ...opts.target, seriesIds, stepMs: opts.stepMs },
    trainingRange: { from: iso(train[0]!.windowEnd), to: iso(train[train.length - 1]!.windowEnd) },
    holdoutRange: { from: iso(hold[0]!.windowEnd), to: iso(hold[hold.length - 1]!.windowEnd) },
    X,
    y,
    baselines,
    weekChange,
  };
}

/** The target values (unscaled) of samples [from, to) as [count, horizon]. */
export function unscaledTargets(d: Dataset, from: number, to: number): Float64Array {
  const H = d.horizon;
  const out = new Float64Array((to - from) * H);
  const { mean, std } = d.scaler.target;
  for (let i = 0; i < out.length; i++) out[i] = d.y[from * H + i]! * std + mean;
  return out;
}

function header(d: Dataset): DatasetHeader {
  const { X: _x, y: _y, baselines: _b, weekChange: _c, ...h } = d;
  return h;
}

function f32Bytes(a: Float32Array): Uint8Array {
  if (endianness() !== 'LE') throw new ModelError('DATASET_FILE_INVALID', 'dataset files are little-endian float32; this machine is big-endian');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function leBytes(a: Float64Array): Uint8Array {
  if (endianness() !== 'LE') throw new ModelError('DATASET_FILE_INVALID', 'dataset files are little-endian; this machine is big-endian');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** An optional float64 file: undefined when it does not exist; throws DATASET_FILE_INVALID for a wrong size. */
async function readF64(path: string, expected: number): Promise<Float64Array | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (buf.byteLength !== expected * 8) throw new ModelError('DATASET_FILE_INVALID', `${path}: ${buf.byteLength} bytes, expected ${expected * 8} (${expected} float64)`);
  const out = new Float64Array(expected);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

async function readF32(path: string, expected: number): Promise<Float32Array> {
  const buf = await readFile(path);
  if (buf.byteLength !== expected * 4) throw new ModelError('DATASET_FILE_INVALID', `${path}: ${buf.byteLength} bytes, expected ${expected * 4} (${expected} float32)`);
  const out = new Float32Array(expected);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Write dataset.json, X.f32, y.f32, baselines.f32 and (when the dataset has it) week-change.f64 into dir (created if missing). */
export async function exportDataset(dir: string, d: Dataset): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const base = new Float32Array(3 * d.n * d.horizon);
  BASELINE_KEYS.forEach((k, b) => base.set(d.baselines[k], b * d.n * d.horizon));
  const files: Array<[string, Uint8Array | string]> = [
    [X_FILE, f32Bytes(d.X)],
    [Y_FILE, f32Bytes(d.y)],
    [BASELINES_FILE, f32Bytes(base)],
    [DATASET_FILE, `${JSON.stringify(header(d))}\n`],
    ...(d.weekChange ? [[WEEK_CHANGE_FILE, leBytes(d.weekChange)] as [string, Uint8Array]] : []),
  ];
  for (const [name, data] of files) await writeFile(join(dir, name), data);
  return files.map(([name]) => join(dir, name));
}

/** Read a dataset directory written by exportDataset (checks sizes and the feature order). */
export async function readDataset(dir: string): Promise<Dataset> {
  const path = join(dir, DATASET_FILE);
  let h: DatasetHeader;
  try {
    h = JSON.parse(await readFile(path, 'utf8')) as DatasetHeader;
  } catch (err) {
    throw new ModelError('DATASET_FILE_INVALID', `${path}: cannot read dataset header (${(err as Error).message})`, false, { cause: err });
  }
  if (h.formatVersion !== DATASET_FORMAT_VERSION) throw new ModelError('DATASET_FILE_INVALID', `${path}: formatVersion ${String(h.formatVersion)} (expected ${DATASET_FORMAT_VERSION})`);
  if (!Array.isArray(h.featureOrder) || h.featureOrder.join(',') !== SEQUENCE_FEATURES.join(',')) throw new ModelError('DATASET_FILE_INVALID', `${path}: featureOrder must be ${SEQUENCE_FEATURES.join(',')}`);
  if (h.seriesIds.length !== h.n || h.windowEnds.length !== h.n || !(h.trainCount > 0 && h.trainCount < h.n)) throw new ModelError('DATASET_FILE_INVALID', `${path}: n, trainCount, seriesIds and windowEnds disagree`);
  const X = await readF32(join(dir, X_FILE), h.n * h.steps * h.features);
  const y = await readF32(join(dir, Y_FILE), h.n * h.horizon);
  const base = await readF32(join(dir, BASELINES_FILE), 3 * h.n * h.horizon);
  const size = h.n * h.horizon;
  const baselines = Object.fromEntries(BASELINE_KEYS.map((k, b) => [k, base.slice(b * size, (b + 1) * size)])) as Record<BaselineKey, Float32Array>;
  const weekChange = await readF64(join(dir, WEEK_CHANGE_FILE), h.n * LEVEL_MAX_SLOTS);
  return { ...h, X, y, baselines, ...(weekChange ? { weekChange } : {}) };
}

/**
 * Re-express X (scaled with the dataset's scaler) in another scaler (a model's), in place. A missing value
 * (missing flag 1) stays 0; other features are unscaled, clipped into the model's inputClipBounds (as
 * scaleSequence) and scaled again. An input the dataset's own range clipped stays clipped there (its raw value is
 * gone), so a dataset whose range is narrower than the model's scores the model on inputs it would not be served.
 */
export function rescaleInputs(d: Dataset, to: Scaler): void {
  const F = d.features;
  const from = d.scaler;
  const same = (a: Standardizer, b: Standardizer) => a.mean === b.mean && a.std === b.std && a.min === b.min && a.max === b.max;
  const bounds = to.features.map(inputClipBounds);
  if (from.features.every((s, f) => same(s, to.features[f]!))) return;
  const valueIdx = SEQUENCE_FEATURES.indexOf('value');
  const missingIdx = SEQUENCE_FEATURES.indexOf('missing');
  for (let o = 0; o < d.X.length; o += F) {
    for (let f = 0; f < F; f++) {
      if (f === valueIdx && d.X[o + missingIdx] === 1) continue;
      const a = from.features[f]!;
      const b = to.features[f]!;
      let v = d.X[o + f]! * a.std + a.mean;
      const c = bounds[f];
      if (c) v = Math.min(c.hi, Math.max(c.lo, v));
      d.X[o + f] = (v - b.mean) / b.std;
    }
  }
}
