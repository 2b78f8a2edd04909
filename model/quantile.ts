// Probabilistic forecasts: scores (pinball loss, band coverage), split-conformal calibration of a P10-P90 band,
// the seasonal naive forecast's window index, and the per-horizon choice between the network and the baselines.
// Pure functions over flat arrays, shared by the trainer (model/train.ts), the served graph (model/served-graph.ts)
// and the tests.
import { LAST_WEEK_LEVEL_SOURCE } from './contract.js';
import { dieboldMariano } from './diebold-mariano.js';

/**
 * Pinball (quantile) loss of one forecast q of the tau-quantile against the actual y:
 * tau·(y − q) when y ≥ q, (1 − tau)·(q − y) otherwise (Koenker & Bassett 1978; Gneiting & Raftery 2007, eq. 40).
 * Same unit as y; its mean is minimised by the true tau-quantile.
 */
export function pinball(y: number, q: number, tau: number): number {
  const d = y - q;
  return d >= 0 ? tau * d : (tau - 1) * d;
}

export interface QuantileScore {
  /** Points scored (finite actual and quantiles). */
  n: number;
  /** Mean pinball loss of each quantile, in the target's unit. */
  pinball: { p10: number; p50: number; p90: number };
  /** Mean of the three: the quantile score reported as "pinball loss". */
  meanPinball: number;
  /** Share of actuals inside [P10, P90] (both ends included); 0.8 for a calibrated band. */
  coverage: number;
  /** Shares below P10 and above P90 (0.1 each when calibrated). */
  below: number;
  above: number;
  /** Mean P90 − P10. */
  meanWidth: number;
}

/**
 * Pinball loss per quantile and empirical coverage of the P10-P90 band over the points where the actual and all
 * three quantiles are finite. Arrays are parallel (same length, any layout).
 */
export function quantileScore(actual: ArrayLike<number>, p10: ArrayLike<number>, p50: ArrayLike<number>, p90: ArrayLike<number>): QuantileScore {
  if (p10.length !== actual.length || p50.length !== actual.length || p90.length !== actual.length) {
    throw new Error(`quantileScore: ${actual.length} actuals, ${p10.length}/${p50.length}/${p90.length} quantiles`);
  }
  let n = 0;
  let l10 = 0;
  let l50 = 0;
  let l90 = 0;
  let inside = 0;
  let below = 0;
  let above = 0;
  let width = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i]!;
    const a = p10[i]!;
    const m = p50[i]!;
    const b = p90[i]!;
    if (!Number.isFinite(y) || !Number.isFinite(a) || !Number.isFinite(m) || !Number.isFinite(b)) continue;
    n++;
    l10 += pinball(y, a, 0.1);
    l50 += pinball(y, m, 0.5);
    l90 += pinball(y, b, 0.9);
    if (y < a) below++;
    else if (y > b) above++;
    else inside++;
    width += b - a;
  }
  const d = n || Number.NaN;
  const pin = { p10: l10 / d, p50: l50 / d, p90: l90 / d };
  return { n, pinball: pin, meanPinball: (pin.p10 + pin.p50 + pin.p90) / 3, coverage: inside / d, below: below / d, above: above / d, meanWidth: width / d };
}

/** Band width and coverage in the highest-actual points against the rest (bandByRegime). */
export interface RegimeBand {
  /** The actual at and above which a point counts as "top" (the (1 − share) empirical quantile). */
  threshold: number;
  top: { n: number; meanWidth: number; coverage: number };
  rest: { n: number; meanWidth: number; coverage: number };
}

/**
 * Mean P90 − P10 and P10-P90 coverage over the points whose actual is in the top `share` of the actuals (e.g. the
 * 5% highest-price hours), and over the rest; points with a non-finite value are skipped. Arrays parallel. A band
 * that sees the regime is wider in the top group.
 */
export function bandByRegime(actual: ArrayLike<number>, p10: ArrayLike<number>, p90: ArrayLike<number>, share = 0.05): RegimeBand {
  const idx: number[] = [];
  for (let i = 0; i < actual.length; i++) if (Number.isFinite(actual[i]!) && Number.isFinite(p10[i]!) && Number.isFinite(p90[i]!)) idx.push(i);
  const sorted = idx.map((i) => actual[i]!).sort((a, b) => a - b);
  const threshold = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * (1 - share)))]! : Number.NaN;
  const acc = { top: { n: 0, w: 0, c: 0 }, rest: { n: 0, w: 0, c: 0 } };
  for (const i of idx) {
    const g = actual[i]! >= threshold ? acc.top : acc.rest;
    g.n++;
    g.w += p90[i]! - p10[i]!;
    if (actual[i]! >= p10[i]! && actual[i]! <= p90[i]!) g.c++;
  }
  const out = (g: { n: number; w: number; c: number }) => ({ n: g.n, meanWidth: g.w / (g.n || Number.NaN), coverage: g.c / (g.n || Number.NaN) });
  return { threshold, top: out(acc.top), rest: out(acc.rest) };
}

/**
 * The split-conformal quantile of scores at level `level`: the ceil((n + 1)·level)-th smallest of the n finite
 * scores (Vovk et al. 2005; Romano, Patterson & Candès 2019, "Conformalized Quantile Regression", eq. 7), or the
 * largest when that rank exceeds n. NaN when there is no finite score.
 */
export function conformalQuantile(scores: ArrayLike<number>, level: number): number {
  const v = Float64Array.from(Array.from(scores).filter(Number.isFinite)).sort();
  if (v.length === 0) return Number.NaN;
  const rank = Math.min(v.length, Math.ceil((v.length + 1) * level));
  return v[Math.max(0, rank - 1)]!;
}

/**
 * Per-side, per-horizon conformal offsets for a band [p50 − relu(lo + cLo), p50 + relu(hi + cHi)] so that on the
 * calibration samples about `tail` of the actuals fall below it and `tail` above (CQR with each side calibrated on
 * its own, Romano et al. 2019 §3 / Kivaranovic et al. 2020). p50, lo, hi, y: [count, horizon] row-major (lo/hi the
 * band's half-widths below and above p50 before calibration; 0 for a point forecast, which then gets empirical
 * residual quantiles). Returns cLo, cHi per horizon (0 where there is no finite point).
 */
export function conformalOffsets(
  y: ArrayLike<number>, p50: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, horizon: number, tail = 0.1,
): { cLo: Float64Array; cHi: Float64Array } {
  // One calibration block: its own quantile per side (conformalOffsetsByBlock's 'max' of one block).
  return conformalOffsetsByBlock(y, p50, lo, hi, horizon, tail);
}

/**
 * How the rolling-origin blocks' conformity scores become one offset per side and horizon (conformalOffsetsByBlock):
 * - 'max': each block calibrated on its own (split conformal), the widest kept: nominal coverage on every block,
 *   the most volatile included; conservative, and wide when one block held a shift the others did not.
 * - 'pooled': one split-conformal quantile of all blocks' scores (exchangeable blocks).
 * - 'median': the median of the blocks' own conformal quantiles: a block's shift moves the offset only when most
 *   blocks share it (robust to one unusual block, which 'max' follows and 'pooled' partly follows).
 * - 'mean': the mean of the blocks' conformal quantiles.
 * - 'recent': weighted split conformal for drifting data (Barber, Candès, Ramdas & Tibshirani 2023, "Conformal
 *   prediction beyond exchangeability", Ann. Statist. 51(2), §4), each score weighted 2^−(age in blocks), the
 *   newest block 1, with the test point's weight 1 at +∞.
 */
export const BAND_RULES = ['max', 'pooled', 'median', 'mean', 'recent'] as const;
export type BandRule = (typeof BAND_RULES)[number];

/**
 * The weighted conformal quantile (Barber et al. 2023, eq. 11): the smallest score s with Σ_{s_i ≤ s} w_i ≥
 * level·(Σ w_i + wTest), the test point's weight `wTest` sitting at +∞ (then the largest score). Scores and weights
 * parallel; non-finite scores are skipped. NaN when no score is finite.
 */
export function weightedConformalQuantile(scores: ArrayLike<number>, weights: ArrayLike<number>, level: number, wTest = 1): number {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i]!) && weights[i]! > 0) idx.push(i);
  if (idx.length === 0) return Number.NaN;
  idx.sort((a, b) => scores[a]! - scores[b]!);
  const total = idx.reduce((a, i) => a + weights[i]!, 0) + wTest;
  let acc = 0;
  for (const i of idx) {
    acc += weights[i]!;
    if (acc >= level * total - 1e-12) return scores[i]!;
  }
  return scores[idx[idx.length - 1]!]!;
}

/**
 * One side's offset from the conformity scores of each rolling-origin block (oldest first), at `level` (0.9 for a
 * P90 edge), by `rule` (BAND_RULES). Blocks without a finite score are ignored; NaN when none has one.
 */
export function blockOffset(blocks: ArrayLike<number>[], level: number, rule: BandRule): number {
  const own = blocks.map((b) => conformalQuantile(b, level)).filter(Number.isFinite);
  if (own.length === 0) return Number.NaN;
  switch (rule) {
    case 'max':
      return Math.max(...own);
    case 'mean':
      return own.reduce((a, b) => a + b, 0) / own.length;
    case 'median': {
      const s = [...own].sort((a, b) => a - b);
      return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
    }
    case 'pooled':
      return conformalQuantile(blocks.flatMap((b) => Array.from(b)), level);
    case 'recent': {
      const scores = blocks.flatMap((b) => Array.from(b));
      const weights = blocks.flatMap((b, k) => Array.from({ length: b.length }, () => 2 ** -(blocks.length - 1 - k)));
      return weightedConformalQuantile(scores, weights, level);
    }
  }
}

/**
 * conformalOffsets over rolling-origin blocks (`folds`: each block's sample count, in order, summing to the sample
 * count), combined by `o.rule` (BAND_RULES; default 'max': each block calibrated on its own and the widest offset
 * kept). `o.scale` ([count] per sample, or [count, horizon] per point; positive): normalized conformal (Lei, G'Sell, Rinaldo, Tibshirani & Wasserman 2018,
 * "Distribution-free predictive inference for regression", JASA 113, §5.2; Papadopoulos et al. 2011): the scores
 * are divided by each sample's scale, so the band is [p50 − relu(lo + cLo·scale), p50 + relu(hi + cHi·scale)].
 * `o.sides`: 'separate' (default) calibrates each side at 1 − tail on its own scores; 'joint' is CQR's two-sided
 * score (Romano, Patterson & Candès 2019, eq. 6): max of the two sides' scores at 1 − 2·tail, one offset for both
 * sides, so a block whose misses fall on one side widens the other too.
 * Arrays as in conformalOffsets. One block (or none given) with rule 'max' and no scale: conformalOffsets.
 * Throws RangeError when the folds do not add up to the sample count or the scale has the wrong length.
 */
export function conformalOffsetsByBlock(
  y: ArrayLike<number>, p50: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, horizon: number, tail = 0.1, folds?: readonly number[],
  o: { rule?: BandRule; scale?: ArrayLike<number>; sides?: 'separate' | 'joint' } = {},
): { cLo: Float64Array; cHi: Float64Array } {
  const count = Math.floor(y.length / horizon);
  const sizes = folds && folds.length > 0 ? folds : [count];
  if (sizes.reduce((a, b) => a + b, 0) !== count) throw new RangeError(`conformalOffsetsByBlock: folds hold ${sizes.reduce((a, b) => a + b, 0)} samples, the forecasts ${count}`);
  if (o.scale && o.scale.length !== count && o.scale.length !== count * horizon) throw new RangeError(`conformalOffsetsByBlock: ${o.scale.length} scales for ${count} samples of ${horizon} horizons`);
  const perPoint = o.scale !== undefined && o.scale.length === count * horizon && horizon > 1;
  const rule = o.rule ?? 'max';
  const cLo = new Float64Array(horizon);
  const cHi = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    const lows: Float64Array[] = [];
    const highs: Float64Array[] = [];
    let from = 0;
    for (const c of sizes) {
      const sLo = new Float64Array(c);
      const sHi = new Float64Array(c);
      for (let i = 0; i < c; i++) {
        const j = (from + i) * horizon + h;
        const u = o.scale ? o.scale[perPoint ? j : from + i]! : 1;
        // How far beyond the uncalibrated band edge the actual lies (positive = outside), per unit of scale.
        sLo[i] = (p50[j]! - y[j]! - lo[j]!) / u;
        sHi[i] = (y[j]! - p50[j]! - hi[j]!) / u;
      }
      lows.push(sLo);
      highs.push(sHi);
      from += c;
    }
    const joint = o.sides === 'joint' ? blockOffset(lows.map((l, k) => l.map((v, i) => Math.max(v, highs[k]![i]!))), 1 - 2 * tail, rule) : Number.NaN;
    const a = o.sides === 'joint' ? joint : blockOffset(lows, 1 - tail, rule);
    const b = o.sides === 'joint' ? joint : blockOffset(highs, 1 - tail, rule);
    cLo[h] = Number.isFinite(a) ? a : 0;
    cHi[h] = Number.isFinite(b) ? b : 0;
  }
  return { cLo, cHi };
}

/**
 * How a band calibration carries forward across rolling origins, without the hold-out: for each block k ≥ 1 (of
 * `folds`, oldest first), offsets are calibrated (conformalOffsetsByBlock with `o`) on blocks 0..k−1 only and the
 * P10-P90 coverage [p50 − relu(lo + cLo·u), p50 + relu(hi + cHi·u)] is measured on block k. Returns the coverage
 * per tested block (empty with fewer than 2 blocks) and their mean (NaN then). `o.scale` as in
 * conformalOffsetsByBlock, [count, horizon] per point or [count] per sample. Arrays [count, horizon] row-major.
 */
export function nextBlockCoverage(
  y: ArrayLike<number>, p50: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, horizon: number, tail: number, folds: readonly number[],
  o: { rule?: BandRule; scale?: ArrayLike<number>; sides?: 'separate' | 'joint' } = {},
): { perBlock: number[]; mean: number } {
  const count = Math.floor(y.length / horizon);
  const perPoint = o.scale !== undefined && o.scale.length === count * horizon;
  const u = (i: number, h: number) => (o.scale ? o.scale[perPoint ? i * horizon + h : i]! : 1);
  const perBlock: number[] = [];
  let start = folds[0] ?? 0;
  for (let k = 1; k < folds.length; k++) {
    const n = start * horizon;
    const sl = (a: ArrayLike<number>) => Float64Array.from({ length: n }, (_, j) => a[j]!);
    const scale = o.scale ? Float64Array.from({ length: perPoint ? n : start }, (_, j) => o.scale![j]!) : undefined;
    const c = conformalOffsetsByBlock(sl(y), sl(p50), sl(lo), sl(hi), horizon, tail, folds.slice(0, k), { ...o, ...(scale ? { scale } : {}) });
    let inside = 0;
    let total = 0;
    for (let i = start; i < start + folds[k]!; i++) {
      for (let h = 0; h < horizon; h++) {
        const j = i * horizon + h;
        if (!Number.isFinite(y[j]!) || !Number.isFinite(p50[j]!)) continue;
        total++;
        const below = p50[j]! - Math.max(0, lo[j]! + c.cLo[h]! * u(i, h));
        const above = p50[j]! + Math.max(0, hi[j]! + c.cHi[h]! * u(i, h));
        if (y[j]! >= below && y[j]! <= above) inside++;
      }
    }
    perBlock.push(total ? inside / total : Number.NaN);
    start += folds[k]!;
  }
  return { perBlock, mean: perBlock.length ? perBlock.reduce((a, b) => a + b, 0) / perBlock.length : Number.NaN };
}

/**
 * The window index (0 = oldest step, steps − 1 = the last) holding the seasonal naive forecast of horizon h
 * (1-based) with period m steps: y(T + h − m·(k + 1)), k = floor((h − 1) / m) (Hyndman & Athanasopoulos,
 * "Forecasting: Principles and Practice", 3rd ed., §5.2), i.e. the same hour on the latest day known at issue
 * time. −1 when it lies before the window.
 */
export function seasonalNaiveIndex(h: number, m: number, steps: number): number {
  const k = Math.floor((h - 1) / m);
  const idx = steps - 1 + h - m * (k + 1);
  return idx >= 0 ? idx : -1;
}

/** The sources the served graph can compute for a horizon; 'lstm' is the network (on its ridge base). */
export const SERVED_SOURCES = ['lstm', 'baseline:ridge', 'baseline:naive_last', 'baseline:same_hour_yesterday'] as const;
export type ServedSource = (typeof SERVED_SOURCES)[number];
/**
 * Same hour last week needs a week of history, more than a window holds: the forecaster serves it from the windows
 * it has seen (processors/forecaster/history.ts) and falls back to the graph's source for a step it cannot fill.
 */
export const LAST_WEEK_SOURCE = 'baseline:same_hour_last_week';
/**
 * Same hour last week plus the current weekly change (model/last-week.ts lastWeekValue, metadata.lastWeekLevel):
 * served like LAST_WEEK_SOURCE from the forecaster's history, which must also hold the last L slots and the same
 * slots a week earlier.
 */
export { LAST_WEEK_LEVEL_SOURCE } from './contract.js';
export type StepSource = ServedSource | typeof LAST_WEEK_SOURCE | typeof LAST_WEEK_LEVEL_SOURCE;

/** A horizon's choice: source `a` with weight `w`, plus source `b` with 1 − w (b null: `a` alone, w = 1). */
export interface Blend {
  a: string;
  b: string | null;
  w: number;
  /** Validation MSE of the choice (scaled units); with rolling-origin folds its worst block's MSE ratio to that block's best single source. */
  mse: number;
}

/** A blend is chosen only when its validation MSE is this share below the best single source's. */
export const BLEND_MARGIN = 0.02;

/** Weights tried for a blend of two sources (on the first). */
export const BLEND_WEIGHTS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * Per horizon, the single source or two-source blend (weights BLEND_WEIGHTS, summing to 1) with the lowest mean
 * squared error on the validation samples: forecast combination (Bates & Granger 1969) with weights chosen on data
 * the forecasts were not fitted on. candidates: name → forecasts [count, horizon] row-major, NaN where unknown, in
 * order of preference (ties keep the earlier single source, and singles win ties against blends). A candidate
 * unknown at more than 10% of a horizon's points is not used there; the others are scored on the points where all
 * of them are known. A blend must beat the best single source by `margin` (relative MSE).
 *
 * `folds` (rolling-origin blocks, model/rolling-origin.ts): the number of samples of each block, in order, summing
 * to the sample count. With two or more, a choice is scored by its worst block: the largest over blocks of its
 * MSE there divided by the best single source's MSE there (minimax relative regret across forecast origins), so
 * a source must hold up at every origin, and a calm block weighs as much as a volatile one; `mse` is then that
 * ratio. Without folds (or one), the pooled MSE as above.
 *
 * `o.everyBlock` (with folds): a blend must also beat the chosen single source by `margin` in every block on its own
 * (dominance across origins), not only in the worst-block ratio, so a blend that wins big at one origin and loses
 * at another is not served. `o.dmLag` (h → lag in rows): a blend must also beat the single source in a one-sided
 * Diebold-Mariano test at 5% (diebold-mariano.ts dieboldMariano) with that Newey-West lag, so a small gain that autocorrelated
 * errors could produce by chance is not served.
 */
export function chooseBlends(
  candidates: Record<string, ArrayLike<number>>, y: ArrayLike<number>, horizon: number, margin = BLEND_MARGIN, folds?: readonly number[],
  o: { everyBlock?: boolean; dmLag?: (h: number) => number } = {},
): Blend[] {
  const names = Object.keys(candidates);
  const count = Math.floor(y.length / horizon);
  if (folds && folds.reduce((a, b) => a + b, 0) !== count) throw new RangeError(`chooseBlends: folds hold ${folds.reduce((a, b) => a + b, 0)} samples, the forecasts ${count}`);
  // The block of each sample (0 without folds).
  const blockOf = new Int32Array(count);
  if (folds && folds.length > 1) {
    let i = 0;
    folds.forEach((c, k) => {
      for (let j = 0; j < c; j++) blockOf[i++] = k;
    });
  }
  const blocks = folds && folds.length > 1 ? folds.length : 1;
  const out: Blend[] = [];
  for (let h = 0; h < horizon; h++) {
    const known = (k: string, i: number) => Number.isFinite(candidates[k]![i * horizon + h]!);
    const usable = names.filter((k) => {
      let n = 0;
      for (let i = 0; i < count; i++) if (known(k, i)) n++;
      return n > 0 && n >= 0.9 * count;
    });
    const rows: number[] = [];
    for (let i = 0; i < count; i++) if (Number.isFinite(y[i * horizon + h]!) && usable.every((k) => known(k, i))) rows.push(i);
    // MSE per block (one block without folds).
    const blockMse = (f: (i: number) => number) => {
      const sum = new Float64Array(blocks);
      const n = new Float64Array(blocks);
      for (const i of rows) {
        sum[blockOf[i]!]! += (f(i) - y[i * horizon + h]!) ** 2;
        n[blockOf[i]!]!++;
      }
      return Array.from(sum, (v, k) => (n[k]! > 0 ? v / n[k]! : Number.NaN));
    };
    const v = (k: string, i: number) => candidates[k]![i * horizon + h]!;
    // Per block, the best single source's MSE (the reference of the worst-block ratio).
    const ref = new Float64Array(blocks).fill(Number.POSITIVE_INFINITY);
    if (blocks > 1) {
      for (const k of usable) blockMse((i) => v(k, i)).forEach((e, b) => { if (e < ref[b]!) ref[b] = e; });
    }
    const mse = (f: (i: number) => number) => {
      const e = blockMse(f);
      if (blocks === 1) return rows.length && Number.isFinite(e[0]!) ? e[0]! : Number.POSITIVE_INFINITY;
      let worst = 0;
      let any = false;
      e.forEach((x, b) => {
        if (!Number.isFinite(x)) return;
        any = true;
        worst = Math.max(worst, ref[b]! > 0 ? x / ref[b]! : x === 0 ? 1 : Number.POSITIVE_INFINITY);
      });
      return any ? worst : Number.POSITIVE_INFINITY;
    };
    let best: Blend = { a: usable[0] ?? names[0]!, b: null, w: 1, mse: Number.POSITIVE_INFINITY };
    for (const k of usable) {
      const e = mse((i) => v(k, i));
      if (e < best.mse) best = { a: k, b: null, w: 1, mse: e };
    }
    // A blend must beat the best single source by BLEND_MARGIN, so noise on the validation slice does not pick one.
    const single = best;
    let blend: Blend | null = null;
    const singleBlocks = blockMse((i) => v(single.a, i));
    const dominates = (f: (i: number) => number) => blockMse(f).every((e, k) => !Number.isFinite(e) || !Number.isFinite(singleBlocks[k]!) || e < (1 - margin) * singleBlocks[k]!);
    usable.forEach((a, ia) => {
      for (const b of usable.slice(ia + 1)) {
        for (const w of BLEND_WEIGHTS) {
          const f = (i: number) => w * v(a, i) + (1 - w) * v(b, i);
          const e = mse(f);
          if (e < (blend?.mse ?? Number.POSITIVE_INFINITY) && (!o.everyBlock || blocks === 1 || dominates(f))) blend = { a, b, w, mse: e };
        }
      }
    });
    let significant = true;
    if (blend !== null && o.dmLag) {
      const bl = blend as Blend;
      const d = rows.map((i) => (v(single.a, i) - y[i * horizon + h]!) ** 2 - (bl.w * v(bl.a, i) + (1 - bl.w) * v(bl.b!, i) - y[i * horizon + h]!) ** 2);
      significant = dieboldMariano(d, o.dmLag(h + 1)) > DM_CRITICAL;
    }
    out.push(blend !== null && significant && (blend as Blend).mse < (1 - margin) * single.mse ? blend : single);
  }
  return out;
}

/** One-sided 5% critical value of the standard normal: a Diebold-Mariano statistic above it rejects "no better". */
export const DM_CRITICAL = 1.645;

/** The label of a choice: the source, or "blend:0.6 lstm + 0.4 baseline:same_hour_last_week". */
export function blendLabel(c: Pick<Blend, 'a' | 'b' | 'w'>): string {
  return c.b === null ? c.a : `blend:${c.w.toFixed(1)} ${c.a} + ${(1 - c.w).toFixed(1)} ${c.b}`;
}

/**
 * The weight of same hour last week per horizon (0: not used), from a model's metadata: lastWeekWeight, or 1 where
 * stepSources names it (or its level-adjusted form) alone (models written before blends).
 */
export function lastWeekWeights(m: { stepSources?: string[]; lastWeekWeight?: number[]; architecture: { horizon: number } }): number[] {
  const H = m.architecture.horizon;
  if (Array.isArray(m.lastWeekWeight) && m.lastWeekWeight.length === H) return m.lastWeekWeight;
  return Array.from({ length: H }, (_, h) => (m.stepSources?.[h] === LAST_WEEK_SOURCE || m.stepSources?.[h] === LAST_WEEK_LEVEL_SOURCE ? 1 : 0));
}
