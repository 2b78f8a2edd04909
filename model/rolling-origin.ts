// Rolling-origin (time-series cross-) validation for the served forecast's choices: the training samples' latest
// blocks are each forecast by models fitted only on what came before them (an expanding window), and the
// out-of-sample forecasts of every block are pooled for the per-horizon source choice, the shrinkage of the
// network's correction and the conformal band. Choices made on one hold-out block are overfit to that block's
// weather; pooling several origins is the remedy of Tashman (2000), "Out-of-sample tests of forecasting accuracy:
// an analysis and review", IJF 16(4) §3 (rolling origin), and Hyndman & Athanasopoulos, FPP3 §5.10 (time series
// cross-validation). Pure functions; the trainer is model/train.ts trainQuantileModel.

/** One rolling origin: fit on samples [0, fitCount), forecast (validate) samples [from, to). */
export interface Fold {
  /** Samples fitted on: the first fitCount, whose targets all lie at or before the block's first window end. */
  fitCount: number;
  /** The validation block, samples [from, to) (sorted by window end like the dataset). */
  from: number;
  to: number;
}

/** Rolling-origin defaults: 3 blocks of 10% of the training samples each (the latest 30%, validated 3 times). */
export const ROLLING_FOLDS = 3;
export const ROLLING_BLOCK_FRACTION = 0.1;
/**
 * A block must span at least this many days of window ends to say anything about daily patterns; with less, the
 * trainer falls back to one validation slice of `singleFraction` (the behaviour before rolling origins).
 */
export const ROLLING_MIN_BLOCK_DAYS = 3;

/**
 * The rolling origins over `trainCount` training samples sorted by window end (`windowEnds`, UTC ms, at least
 * trainCount long): `folds` consecutive blocks of `blockFraction`·trainCount samples ending at trainCount, oldest
 * first; each fold fits on the samples whose last target (window end + horizonMs) is at or before the block's first
 * window end, so no fitted target lies in the block. Falls back to one block (the latest `singleFraction`) when
 * folds ≤ 1, or when a block would span less than `minBlockMs` of window ends: then the fit part ends before the
 * latest `singleFraction` and every later sample validates. Block boundaries are moved forward to a window-end
 * boundary so that one instant's samples (several series) share a block.
 * Throws RangeError for a fraction outside (0, 1), a non-integer folds, or blocks that leave nothing to fit.
 */
export function rollingOrigins(
  windowEnds: ArrayLike<number>, trainCount: number, horizonMs: number,
  o: { folds?: number; blockFraction?: number; singleFraction?: number; minBlockMs?: number } = {},
): Fold[] {
  const folds = o.folds ?? ROLLING_FOLDS;
  const frac = o.blockFraction ?? ROLLING_BLOCK_FRACTION;
  const single = o.singleFraction ?? 0.2;
  const minBlockMs = o.minBlockMs ?? ROLLING_MIN_BLOCK_DAYS * 86_400_000;
  if (!Number.isInteger(folds) || folds < 1) throw new RangeError(`rollingOrigins: folds must be a positive integer, got ${folds}`);
  if (!(frac > 0 && frac < 1) || !(single > 0 && single < 1)) throw new RangeError(`rollingOrigins: fractions must lie in (0, 1), got ${frac} and ${single}`);
  if (folds * frac >= 1) throw new RangeError(`rollingOrigins: ${folds} blocks of ${frac} leave nothing to fit`);
  if (windowEnds.length < trainCount) throw new RangeError(`rollingOrigins: ${windowEnds.length} window ends for ${trainCount} samples`);
  // The first sample at or after index i whose window end differs from its predecessor's (or trainCount).
  const boundary = (i: number) => {
    let k = Math.max(0, Math.min(trainCount, i));
    while (k > 0 && k < trainCount && windowEnds[k]! === windowEnds[k - 1]!) k++;
    return k;
  };
  const fitBefore = (from: number) => {
    const cutoff = windowEnds[from]!;
    let f = 0;
    while (f < from && windowEnds[f]! + horizonMs <= cutoff) f++;
    return f;
  };
  const make = (starts: number[]): Fold[] =>
    starts.map((from, k) => ({ fitCount: fitBefore(from), from, to: k + 1 < starts.length ? starts[k + 1]! : trainCount }));
  if (folds > 1) {
    const starts = Array.from({ length: folds }, (_, k) => boundary(Math.floor(trainCount * (1 - (folds - k) * frac))));
    const out = make(starts);
    const wide = out.every((f) => f.to > f.from && windowEnds[f.to - 1]! - windowEnds[f.from]! >= minBlockMs && f.fitCount >= 2);
    if (wide) return out;
  }
  // One slice: everything after the fitted samples validates (as before rolling origins).
  const fitCount = fitBefore(Math.floor(trainCount * (1 - single)));
  return [{ fitCount, from: fitCount, to: trainCount }];
}

/**
 * Concatenate per-fold arrays (each [count_k, width] row-major) into one [Σ count_k, width] array, in fold order.
 */
export function concatFolds(parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
