// Probabilistic forecasts: scores (pinball loss, band coverage), split-conformal calibration of a P10-P90 band,
// the seasonal naive forecast's window index, and the per-horizon choice between the network and the baselines.
// Pure functions over flat arrays, shared by the trainer (model/train.ts), the served graph (model/served-graph.ts)
// and the tests.

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
  const count = Math.floor(y.length / horizon);
  const cLo = new Float64Array(horizon);
  const cHi = new Float64Array(horizon);
  const sLo = new Float64Array(count);
  const sHi = new Float64Array(count);
  for (let h = 0; h < horizon; h++) {
    for (let i = 0; i < count; i++) {
      const j = i * horizon + h;
      // How far beyond the uncalibrated band edge the actual lies (positive = outside).
      sLo[i] = p50[j]! - y[j]! - lo[j]!;
      sHi[i] = y[j]! - p50[j]! - hi[j]!;
    }
    const a = conformalQuantile(sLo, 1 - tail);
    const b = conformalQuantile(sHi, 1 - tail);
    cLo[h] = Number.isFinite(a) ? a : 0;
    cHi[h] = Number.isFinite(b) ? b : 0;
  }
  return { cLo, cHi };
}

/**
 * conformalOffsets over rolling-origin blocks: each block (`folds`: its sample count, in order, summing to the
 * sample count) is calibrated on its own and the widest offset per side and horizon is kept, so the band reaches
 * its nominal coverage on the calibration samples of every block, the most volatile one included (each block is
 * a calibration set of split conformal; taking the maximum is conservative when the blocks are exchangeable and
 * covers a shift to the worst origin seen when they are not). One block (or none given): conformalOffsets.
 * Arrays as in conformalOffsets. Throws RangeError when the folds do not add up to the sample count.
 */
export function conformalOffsetsByBlock(
  y: ArrayLike<number>, p50: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, horizon: number, tail = 0.1, folds?: readonly number[],
): { cLo: Float64Array; cHi: Float64Array } {
  const count = Math.floor(y.length / horizon);
  if (!folds || folds.length <= 1) return conformalOffsets(y, p50, lo, hi, horizon, tail);
  if (folds.reduce((a, b) => a + b, 0) !== count) throw new RangeError(`conformalOffsetsByBlock: folds hold ${folds.reduce((a, b) => a + b, 0)} samples, the forecasts ${count}`);
  const cLo = new Float64Array(horizon).fill(Number.NEGATIVE_INFINITY);
  const cHi = new Float64Array(horizon).fill(Number.NEGATIVE_INFINITY);
  const sl = (a: ArrayLike<number>, from: number, to: number) => Float64Array.from({ length: (to - from) * horizon }, (_, j) => a[from * horizon + j]!);
  let from = 0;
  for (const c of folds) {
    const to = from + c;
    const r = conformalOffsets(sl(y, from, to), sl(p50, from, to), sl(lo, from, to), sl(hi, from, to), horizon, tail);
    for (let h = 0; h < horizon; h++) {
      cLo[h] = Math.max(cLo[h]!, r.cLo[h]!);
      cHi[h] = Math.max(cHi[h]!, r.cHi[h]!);
    }
    from = to;
  }
  return { cLo, cHi };
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
export type StepSource = ServedSource | typeof LAST_WEEK_SOURCE;

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
 */
export function chooseBlends(candidates: Record<string, ArrayLike<number>>, y: ArrayLike<number>, horizon: number, margin = BLEND_MARGIN, folds?: readonly number[]): Blend[] {
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
    usable.forEach((a, ia) => {
      for (const b of usable.slice(ia + 1)) {
        for (const w of BLEND_WEIGHTS) {
          const e = mse((i) => w * v(a, i) + (1 - w) * v(b, i));
          if (e < (blend?.mse ?? Number.POSITIVE_INFINITY)) blend = { a, b, w, mse: e };
        }
      }
    });
    out.push(blend !== null && (blend as Blend).mse < (1 - margin) * single.mse ? blend : single);
  }
  return out;
}

/** The label of a choice: the source, or "blend:0.6 lstm + 0.4 baseline:same_hour_last_week". */
export function blendLabel(c: Pick<Blend, 'a' | 'b' | 'w'>): string {
  return c.b === null ? c.a : `blend:${c.w.toFixed(1)} ${c.a} + ${(1 - c.w).toFixed(1)} ${c.b}`;
}

/**
 * The weight of same hour last week per horizon (0: not used), from a model's metadata: lastWeekWeight, or 1 where
 * stepSources names it alone (models written before blends).
 */
export function lastWeekWeights(m: { stepSources?: string[]; lastWeekWeight?: number[]; architecture: { horizon: number } }): number[] {
  const H = m.architecture.horizon;
  if (Array.isArray(m.lastWeekWeight) && m.lastWeekWeight.length === H) return m.lastWeekWeight;
  return Array.from({ length: H }, (_, h) => (m.stepSources?.[h] === LAST_WEEK_SOURCE ? 1 : 0));
}
