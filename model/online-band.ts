// The online (adaptive) P10-P90 band: per series and per forecast step, the band's distances below and above the
// served P50 are recalibrated as actuals arrive, from the residuals actual − served P50 of the forecasts issued over
// the trailing `windowDays`. One class, used by the hold-out evaluation (onlineBandForecasts below, from model/train.ts) and
// by the live forecaster, so both serve the same band from the same sequence of issues and actuals.
//
// Methods (OnlineBandSpec.method):
// - 'static': the trained offsets only (the band fixed at training time; the comparison point).
// - 'window': rolling-window (sliding) split conformal: each side's offset is the split-conformal quantile at
//   1 − tail (tail = (1 − level)/2) of the window's one-sided scores, P50 − actual below and actual − P50 above
//   (Vovk et al. 2005; for a sliding calibration window under drift, Barber, Candès, Ramdas & Tibshirani 2023,
//   "Conformal prediction beyond exchangeability", Ann. Statist. 51(2): a window is the 0/1-weighted case of §4).
// - 'aci': adaptive conformal inference (Gibbs & Candès 2021, "Adaptive conformal inference under distribution
//   shift", NeurIPS, eq. 2) on the window's scores: each side's miss level α_t follows
//   α_{t+1} = α_t + γ·(tail − err_t), err_t = 1 when the actual fell beyond that side of the band served at t,
//   and the offset is the window's quantile at 1 − α_t. γ = 0 is 'window'. The state is finite-memory: α starts at
//   tail at the window's oldest residual and runs over the window's residuals in time order (of target slot), kept
//   within ONLINE_BAND_BOUNDS; so it is a function of what the window holds (deterministic, exact under
//   corrections) and forgets as the window slides, where the paper's α carries all history. The cost of the finite
//   memory: a persistent excess miss rate δ is corrected to δ/(1 + γ·n) for n residuals in the window, not to 0. An
//   α carried across origins (the paper's) was measured on both bench datasets and moved no hold-out coverage by more
//   than 1 point (bench/RESULTS.md "the band's miss on the interval"), so the state stays a function of the window.
// - 'aci-interval': the paper's ACI as written, on the band's miss (err_t = 1 when the actual fell outside the band
//   served at t, on either side): one α_t per step, α_{t+1} = α_t + γ·((1 − level) − err_t), each side's offset the
//   window's one-sided quantile at 1 − α_t/2. Same finite memory as 'aci'; α kept within the same reach per side
//   (α_t/2 in 'aci''s bounds). Where one side cannot miss (a biased P50 whose one side sits at its floor), the other
//   side takes the misses the level allows, so the band's coverage, not each side's, tracks the level.
// Every online method serves offsets within a factor of the trained ones (ONLINE_BAND_BOUNDS), so neither side is
// served at zero width (P10 = P50) nor at a spike's size for the window's length.
// The centre (OnlineBandSpec.centreDays > 0): the served P50 is the model's P50 plus, per step, the median of the
// residuals actual − model P50 of the issues whose target slot ended in the trailing centreDays (an online median
// (bias) correction: the median of the residuals is the shift that leaves half the recent actuals on each side, the
// quantile-regression intercept under pinball loss at 0.5, Koenker & Bassett 1978). It is a function of the model's
// outputs and the actuals alone, never of what was served before, so a replay of the same windows recomputes it
// exactly. The band's scores are then taken against the served (centred) P50.
// Both sides are calibrated separately (a skewed or biased P50 gets an asymmetric band; Romano, Patterson &
// Candès 2019 §3 / Kivaranovic et al. 2020 for the one-sided scores). Time is UTC ms; a step's target slot is
// the slot ending originEnd + h·stepMs (h = 1..horizon), as in the dataset (model/dataset.ts).

import { SdaError } from '../platform/errors.js';

/** The band's recalibration methods (see the header). */
export const ONLINE_BAND_METHODS = ['static', 'window', 'aci', 'aci-interval'] as const;
export type OnlineBandMethod = (typeof ONLINE_BAND_METHODS)[number];

/** Whether a method counts misses against the band served at each origin (ACI, per side or on the interval): a rebuilt forecaster then needs the bands it served, read back from its output. */
export function readsServedBands(method: OnlineBandMethod | undefined): boolean {
  return method === 'aci' || method === 'aci-interval';
}

/** Stored in ModelMetadata.onlineBand (absent: the static band only, as before). */
export interface OnlineBandSpec {
  /** ONLINE_BAND_METHODS. */
  method: OnlineBandMethod;
  /** Days of target slots whose residuals calibrate the band (the sliding window), > 0. */
  windowDays: number;
  /** Nominal central coverage of the band, in (0, 1): 0.8 for P10-P90 (each side's tail (1 − level)/2). */
  level: number;
  /** ACI step size γ (per residual, in units of the miss level), >= 0; used by 'aci' and 'aci-interval' only. */
  gamma: number;
  /**
   * Residuals a step needs in its window before its offsets are the online ones alone: with n residuals the
   * offset is (n/minResiduals)·online + (1 − n/minResiduals)·trained below that (the trained offsets with none), an integer >= 1.
   * The centre's shift is scaled the same way toward 0.
   */
  minResiduals: number;
  /**
   * Days of target slots whose residuals (actual − the model's P50) give the centre's median shift of the served P50,
   * >= 0; 0 = no centre (the model's P50 is served). Absent in metadata written before it: 0.
   */
  centreDays: number;
}

/**
 * The defaults: ACI on the band's miss ('aci-interval') over a 14-day window, γ = 0.02, with α unbounded below
 * (ONLINE_BAND_BOUNDS.alphaFloor 0), chosen on the rolling-origin validation blocks (never the hold-out) as the
 * candidate whose worse coverage error of the two bench datasets (simulated market, taylor) is the smallest over
 * both bound settings (α >= tail/2 and α >= 0) × method × window × γ: 80.6% and 80.4% (worse error 0.6 points; the
 * 28-day window ties on coverage and loses on taylor's validation pinball, 199.58 vs 199.55; the best with α >= tail/2
 * was per-side 'aci' 7 d γ = 0.02, 1.0) (bench/RESULTS.md "the band's miss on the interval", 2026-12-02).
 * No centre (centreDays 0): a 7- or 14-day median centre raised the validation RMSE at h6-h36 on both datasets
 * (taylor h24 781 → 890 MW) and took taylor's validation coverage to 67% (bench/RESULTS.md "the median centre", 2026-12-02).
 */
export const ONLINE_BAND_DEFAULTS: OnlineBandSpec = Object.freeze({ method: 'aci-interval', windowDays: 14, level: 0.8, gamma: 0.02, minResiduals: 48, centreDays: 0 }) as OnlineBandSpec;

/**
 * The bounds every online band ('window', 'aci', 'aci-interval') is served within, so that neither side collapses to the P50
 * nor explodes after a run of spikes (bench/RESULTS.md "Forecast quality: an online band (issue 12)", the
 * 2026-12-02 bounds entry, and "the band's miss on the interval"):
 * - alphaFactor r and alphaFloor: ACI's miss level α_t of each side (α_t/2 on the interval) is kept in
 *   [alphaFloor, min(0.5, tail · r)] (tail = (1 − level)/2; 0-0.2 for P10-P90 with r = 2). Gibbs & Candès 2021 let
 *   α_t leave [0, 1] (an infinite or empty side); kept in [0, 0.5], a long run without misses on one side took that
 *   side to the window's median score, which is <= 0 under a biased P50 (P10 = P50 served): the cap tail · r keeps
 *   the level at 1 − tail · r or above, and the offset floor trained / F below is what keeps such a side from zero
 *   width (its quantile can still be <= 0). α = 0 serves the window's largest score on that side (a spike's residual after a run of misses), which the
 *   offset cap below keeps within F × trained. The floor was tail / r until the interval method: with it, α >= 0
 *   won on the validation blocks (worse-of-two coverage error 0.6 against 1.0 points). The bounds apply to every model
 *   served, so a model trained before with per-side 'aci' is served with the floor 0 too (its default, aci 7 d
 *   γ = 0.01, measured both ways in that section: hold-out 72.1% / 87.4% with the old floor, 76.1% / 88.2% with 0).
 * - offsetFactor F: each served offset is kept in [trained / F, trained · F] of the trained offset of its step and
 *   side (the static band's, calibrated on the validation blocks): the online band rescales the trained one by at
 *   most F either way (a trust region around the trained band). F = 4 lets a band follow a residual scale that
 *   triples (test/unit/online-band.test.ts).
 * Fixed here, not spec fields: every model served with an online band gets them (the forecaster and `sda train
 * evaluate` alike); model/gpu/train.py writes only the spec.
 */
export const ONLINE_BAND_BOUNDS: Readonly<{ alphaFactor: number; alphaFloor: number; offsetFactor: number }> = Object.freeze({ alphaFactor: 2, alphaFloor: 0, offsetFactor: 4 });

const DAY_MS = 86_400_000;

/** Why a spec is not usable (validateOnlineBandSpec; code ONLINE_BAND_INVALID, not retriable); the message names the field and the value. */
export class OnlineBandSpecError extends SdaError<'ONLINE_BAND_INVALID'> {
  constructor(message: string) {
    super('ONLINE_BAND_INVALID', message);
  }
}

/**
 * Check a parsed OnlineBandSpec (e.g. metadata.json's onlineBand): method one of ONLINE_BAND_METHODS, windowDays
 * finite > 0, level in (0, 1), gamma finite >= 0, minResiduals an integer >= 1, centreDays finite >= 0. Missing
 * gamma / minResiduals take ONLINE_BAND_DEFAULTS'; missing centreDays is 0 (metadata written before the centre). Returns a fresh spec; throws OnlineBandSpecError naming the first field wrong.
 */
export function validateOnlineBandSpec(x: unknown): OnlineBandSpec {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new OnlineBandSpecError('onlineBand must be an object');
  const o = x as Record<string, unknown>;
  if (!(ONLINE_BAND_METHODS as readonly unknown[]).includes(o.method)) throw new OnlineBandSpecError(`onlineBand.method must be one of ${ONLINE_BAND_METHODS.join(', ')}, got ${JSON.stringify(o.method)}`);
  const num = (k: string, ok: (v: number) => boolean, what: string, dflt?: number): number => {
    const v = o[k] === undefined ? dflt : o[k];
    if (typeof v !== 'number' || !ok(v)) throw new OnlineBandSpecError(`onlineBand.${k} must be ${what}, got ${JSON.stringify(o[k])}`);
    return v;
  };
  return {
    method: o.method as OnlineBandMethod,
    windowDays: num('windowDays', (v) => Number.isFinite(v) && v > 0, 'a number of days > 0'),
    level: num('level', (v) => v > 0 && v < 1, 'a level in (0, 1)'),
    gamma: num('gamma', (v) => Number.isFinite(v) && v >= 0, 'a number >= 0', ONLINE_BAND_DEFAULTS.gamma),
    minResiduals: num('minResiduals', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1', ONLINE_BAND_DEFAULTS.minResiduals),
    centreDays: num('centreDays', (v) => Number.isFinite(v) && v >= 0, 'a number of days >= 0', 0),
  };
}

/**
 * ModelMetadata.onlineBand: the spec, and the trained offsets per step (distances below / above the served P50,
 * target unit, length horizon) the band falls back to before it has residuals (the trainer's: the static band's
 * median distances on the validation blocks; `sda train` and model/gpu/train.py both write them). Required, so that
 * the forecaster and `sda train evaluate` start every band from the same offsets.
 */
export interface OnlineBandMetadata extends OnlineBandSpec {
  trained: { below: number[]; above: number[] };
}

/**
 * Check ModelMetadata.onlineBand for a model of `horizon` steps: validateOnlineBandSpec, and `trained` two arrays
 * of `horizon` finite numbers >= 0. Throws OnlineBandSpecError naming the field (also when `trained` is absent).
 */
export function validateOnlineBandMetadata(x: unknown, horizon: number): OnlineBandMetadata {
  const spec = validateOnlineBandSpec(x);
  const t = (x as Record<string, unknown>).trained;
  if (t === undefined) throw new OnlineBandSpecError(`onlineBand.trained is missing: the offsets per step (below, above; ${horizon} each) the band starts from (retrain, or add them)`);
  const ok = (a: unknown): a is number[] => Array.isArray(a) && a.length === horizon && a.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0);
  const o = t as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || !ok(o.below) || !ok(o.above)) throw new OnlineBandSpecError(`onlineBand.trained must hold below and above: ${horizon} finite offsets >= 0 each`);
  return { ...spec, trained: { below: [...o.below], above: [...o.above] } };
}

/** A short label of a spec for tables, e.g. "aci 14 d γ=0.01", "aci 7 d γ=0.01, median 7 d". */
export function onlineBandLabel(s: OnlineBandSpec): string {
  const centre = s.centreDays > 0 ? `, median ${s.centreDays} d` : '';
  if (s.method === 'static') return `static${centre}`;
  return `${s.method} ${s.windowDays} d${readsServedBands(s.method) ? ` γ=${s.gamma}` : ''}${centre}`;
}

interface Issued {
  /** The model's P50 (before the centre). */
  raw: Float64Array;
  /** The served P50 (the model's plus the centre's shift). */
  p50: Float64Array;
  /** The served band's edges (NaN where unknown). */
  p10: Float64Array;
  p90: Float64Array;
}

/**
 * One series' online band state. Deterministic: the same sequence of calls gives the same offsets (the state is
 * the issues and actuals held; offsets are computed from them afresh, so replacing an issue or an actual is
 * exact). Forgets issues whose last target slot, and actuals whose slot, ended more than max(windowDays,
 * centreDays) before the latest origin seen.
 */
export class OnlineBand {
  readonly spec: OnlineBandSpec;
  readonly horizon: number;
  readonly stepMs: number;
  private readonly trainedBelow: Float64Array;
  private readonly trainedAbove: Float64Array;
  private readonly issues = new Map<number, Issued>();
  private readonly actuals = new Map<number, number>();
  private sortedOrigins: number[] | null = [];
  private latest = Number.NEGATIVE_INFINITY;

  /**
   * spec: validated like validateOnlineBandSpec; horizon: steps per forecast (integer >= 1); stepMs: the slot
   * length (ms, integer > 0); trained: the static band's offsets per step (length horizon, target unit, finite
   * >= 0; negative ones are taken as 0), served when a step has no residuals. Throws RangeError on a bad argument.
   */
  constructor(spec: OnlineBandSpec, horizon: number, stepMs: number, trained: { below: ArrayLike<number>; above: ArrayLike<number> }) {
    this.spec = validateOnlineBandSpec(spec);
    if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`OnlineBand: horizon must be a positive integer, got ${horizon}`);
    if (!Number.isInteger(stepMs) || stepMs < 1) throw new RangeError(`OnlineBand: stepMs must be a positive integer, got ${stepMs}`);
    if (trained.below.length !== horizon || trained.above.length !== horizon) {
      throw new RangeError(`OnlineBand: trained offsets hold ${trained.below.length}/${trained.above.length} steps, the horizon is ${horizon}`);
    }
    const clean = (a: ArrayLike<number>, side: string) =>
      Float64Array.from({ length: horizon }, (_, h) => {
        const v = a[h]!;
        if (!Number.isFinite(v)) throw new RangeError(`OnlineBand: trained.${side}[${h}] is ${v}`);
        return Math.max(0, v);
      });
    this.trainedBelow = clean(trained.below, 'below');
    this.trainedAbove = clean(trained.above, 'above');
    this.horizon = horizon;
    this.stepMs = stepMs;
  }

  private get windowMs(): number {
    return this.spec.windowDays * DAY_MS;
  }

  /** How far back from the latest origin anything is used (ms): the band's window or the centre's, the longer. */
  private get keepMs(): number {
    return Math.max(this.spec.windowDays, this.spec.centreDays) * DAY_MS;
  }

  /**
   * The served forecast issued at origin `originEnd` (UTC ms; step h targets the slot ending originEnd + h·stepMs),
   * P50 per step (length horizon, target unit) and the band it was served with (P10/P90 per step; absent: the
   * band offsets(originEnd) gives now, which is what a caller serving it would have served). Re-issuing the same
   * origin replaces it. Throws RangeError on a non-finite origin or a wrong length.
   */
  issue(originEnd: number, p50: ArrayLike<number>, p10?: ArrayLike<number>, p90?: ArrayLike<number>, raw?: ArrayLike<number>): void {
    if (!Number.isFinite(originEnd)) throw new RangeError(`OnlineBand.issue: originEnd ${originEnd}`);
    for (const [name, a] of [['p50', p50], ['p10', p10], ['p90', p90], ['raw', raw]] as const) {
      if (a !== undefined && a.length !== this.horizon) throw new RangeError(`OnlineBand.issue: ${name} holds ${a.length} steps, the horizon is ${this.horizon}`);
    }
    const mid = Float64Array.from(p50);
    let lo: Float64Array;
    let hi: Float64Array;
    if (p10 === undefined || p90 === undefined) {
      const off = this.offsets(originEnd);
      lo = p10 ? Float64Array.from(p10) : mid.map((v, h) => v - off.below[h]!);
      hi = p90 ? Float64Array.from(p90) : mid.map((v, h) => v + off.above[h]!);
    } else {
      lo = Float64Array.from(p10);
      hi = Float64Array.from(p90);
    }
    if (!this.issues.has(originEnd)) this.sortedOrigins = null;
    // The model's P50 is kept apart only where the centre reads it (centre() returns 0 shifts without one).
    this.issues.set(originEnd, { raw: raw === undefined || this.spec.centreDays <= 0 ? mid : Float64Array.from(raw), p50: mid, p10: lo, p90: hi });
    this.see(originEnd);
  }

  /**
   * Serve the forecast issued at originEnd (UTC ms) from the model's P50 `raw` (length horizon, target unit): P50 =
   * raw + centre(originEnd), P10 = P50 − below and P90 = P50 + above from offsets(originEnd), or the band `known`
   * (P10/P90 per step) where the caller knows what was served there (a replay of origins served before); the forecast
   * is issued to the band. Returns the served P50/P10/P90 (length horizon each). Throws RangeError as issue().
   */
  serve(originEnd: number, raw: ArrayLike<number>, known?: { p10: ArrayLike<number>; p90: ArrayLike<number> }): { p50: Float64Array; p10: Float64Array; p90: Float64Array } {
    if (raw.length !== this.horizon) throw new RangeError(`OnlineBand.serve: raw holds ${raw.length} steps, the horizon is ${this.horizon}`);
    const shift = this.centre(originEnd);
    const p50 = Float64Array.from({ length: this.horizon }, (_, h) => raw[h]! + shift[h]!);
    let p10: Float64Array;
    let p90: Float64Array;
    if (known) {
      p10 = Float64Array.from(known.p10);
      p90 = Float64Array.from(known.p90);
    } else {
      const off = this.offsets(originEnd);
      p10 = p50.map((v, h) => v - off.below[h]!);
      p90 = p50.map((v, h) => v + off.above[h]!);
    }
    this.issue(originEnd, p50, p10, p90, raw);
    return { p50, p10, p90 };
  }

  /**
   * The centre's shift per step (index h − 1, target unit) for an issue at originEnd: the median of actual − model
   * P50 over the held issues whose step-h target slot ended within (originEnd − centreDays, originEnd], scaled by
   * min(1, n / minResiduals) for n residuals (0 with none, and at every step when centreDays is 0).
   */
  centre(originEnd: number): Float64Array {
    if (!Number.isFinite(originEnd)) throw new RangeError(`OnlineBand.centre: originEnd ${originEnd}`);
    this.see(originEnd);
    const shift = new Float64Array(this.horizon);
    if (this.spec.centreDays <= 0) return shift;
    const from = originEnd - this.spec.centreDays * DAY_MS;
    const origins = this.origins();
    const r = new Float64Array(origins.length);
    for (let h = 1; h <= this.horizon; h++) {
      let n = 0;
      for (let k = firstAbove(origins, from - h * this.stepMs); k < origins.length; k++) {
        const slot = origins[k]! + h * this.stepMs;
        if (slot > originEnd) break;
        const y = this.actuals.get(slot);
        const m = this.issues.get(origins[k]!)!.raw[h - 1]!;
        if (y === undefined || !Number.isFinite(m)) continue;
        r[n++] = y - m;
      }
      if (n > 0) shift[h - 1] = Math.min(1, n / this.spec.minResiduals) * median(r.subarray(0, n));
    }
    return shift;
  }

  /** The actual of the slot ending at slotEnd (UTC ms, target unit); a second call for the same slot replaces the value (late corrections). Non-finite values are ignored. */
  actual(slotEnd: number, value: number): void {
    if (!Number.isFinite(slotEnd) || !Number.isFinite(value)) return;
    if (slotEnd <= this.latest - this.keepMs) return; // older than anything a future offset or centre can use
    this.actuals.set(slotEnd, value);
  }

  /** Issues and actuals held now (for tests and metrics). */
  size(): { issues: number; actuals: number } {
    return { issues: this.issues.size, actuals: this.actuals.size };
  }

  /**
   * Offsets (distances below / above P50 per step h = 1..horizon at index h − 1, target unit, >= 0) to serve for
   * an issue at originEnd: from the residuals of the held issues whose target slot ended within
   * (originEnd − windowDays, originEnd], by spec.method; a step with n < minResiduals residuals blends toward the
   * trained offsets (all trained with none); every online offset kept within ONLINE_BAND_BOUNDS.offsetFactor of
   * the trained one. Forgets state older than max(windowDays, centreDays) before the latest origin seen.
   */
  offsets(originEnd: number): { below: Float64Array; above: Float64Array } {
    if (!Number.isFinite(originEnd)) throw new RangeError(`OnlineBand.offsets: originEnd ${originEnd}`);
    this.see(originEnd);
    const below = Float64Array.from(this.trainedBelow);
    const above = Float64Array.from(this.trainedAbove);
    if (this.spec.method === 'static') return { below, above };
    const tail = (1 - this.spec.level) / 2;
    const aMin = ONLINE_BAND_BOUNDS.alphaFloor;
    const aMax = Math.min(0.5, tail * ONLINE_BAND_BOUNDS.alphaFactor);
    const interval = this.spec.method === 'aci-interval';
    const from = originEnd - this.windowMs;
    const origins = this.origins();
    const sLo = new Float64Array(origins.length);
    const sHi = new Float64Array(origins.length);
    for (let h = 1; h <= this.horizon; h++) {
      let n = 0;
      let aLo = tail;
      let aHi = tail;
      // Origins ascend, so do their target slots: those in (from, originEnd] are one run, found by bisection.
      const first = firstAbove(origins, from - h * this.stepMs);
      for (let k = first; k < origins.length; k++) {
        const o = origins[k]!;
        const slot = o + h * this.stepMs;
        if (slot > originEnd) break;
        const y = this.actuals.get(slot);
        if (y === undefined) continue;
        const is = this.issues.get(o)!;
        const m = is.p50[h - 1]!;
        if (!Number.isFinite(m)) continue;
        sLo[n] = m - y;
        sHi[n] = y - m;
        n++;
        if (this.spec.method === 'aci' || interval) {
          // Gibbs & Candès 2021 eq. 2, err against the band served then: per side ('aci'), or on the interval with
          // each side at α/2 ('aci-interval': aLo = aHi = α/2, so α/2 += γ·(2·tail − err)/2). α kept in
          // [aMin, aMax] per side (ONLINE_BAND_BOUNDS.alphaFactor: the paper's α may leave [0, 1], an infinite or
          // empty side, which a served band must not be).
          const lo = is.p10[h - 1]!;
          const hi = is.p90[h - 1]!;
          const errLo = Number.isFinite(lo) && y < lo ? 1 : 0;
          const errHi = Number.isFinite(hi) && y > hi ? 1 : 0;
          if (interval) {
            aLo = Math.min(aMax, Math.max(aMin, aLo + (this.spec.gamma * (2 * tail - Math.max(errLo, errHi))) / 2));
            aHi = aLo;
          } else {
            aLo = Math.min(aMax, Math.max(aMin, aLo + this.spec.gamma * (tail - errLo)));
            aHi = Math.min(aMax, Math.max(aMin, aHi + this.spec.gamma * (tail - errHi)));
          }
        }
      }
      if (n === 0) continue;
      const w = Math.min(1, n / this.spec.minResiduals);
      const qLo = Math.max(0, splitConformal(sLo.subarray(0, n), 1 - aLo));
      const qHi = Math.max(0, splitConformal(sHi.subarray(0, n), 1 - aHi));
      below[h - 1] = boundOffset(w * qLo + (1 - w) * this.trainedBelow[h - 1]!, this.trainedBelow[h - 1]!);
      above[h - 1] = boundOffset(w * qHi + (1 - w) * this.trainedAbove[h - 1]!, this.trainedAbove[h - 1]!);
    }
    return { below, above };
  }

  private origins(): number[] {
    if (this.sortedOrigins === null) this.sortedOrigins = [...this.issues.keys()].sort((a, b) => a - b);
    return this.sortedOrigins;
  }

  /** Advance the latest origin seen and forget what no later offsets can use. */
  private see(originEnd: number): void {
    if (originEnd <= this.latest) return;
    this.latest = originEnd;
    const cut = originEnd - this.keepMs;
    const lastSlot = this.horizon * this.stepMs;
    let dropped = false;
    for (const o of this.issues.keys()) {
      if (o + lastSlot <= cut) {
        this.issues.delete(o);
        dropped = true;
      }
    }
    if (dropped) this.sortedOrigins = null;
    for (const s of this.actuals.keys()) if (s <= cut) this.actuals.delete(s);
  }
}

/**
 * An online offset kept within a factor ONLINE_BAND_BOUNDS.offsetFactor (F) of the trained one: in
 * [trained / F, trained · F] (target unit; `trained` >= 0, so a trained offset of 0 stays 0).
 */
function boundOffset(v: number, trained: number): number {
  const f = ONLINE_BAND_BOUNDS.offsetFactor;
  return Math.min(trained * f, Math.max(trained / f, v));
}

/** The median of `a` (sorted in place; the mean of the two middle values for an even length; a.length >= 1). */
function median(a: Float64Array): number {
  a.sort();
  const n = a.length;
  return (a[(n - 1) >> 1]! + a[n >> 1]!) / 2;
}

/** The index of the first element of ascending `a` greater than `x` (a.length when none). */
function firstAbove(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The split-conformal quantile of the scores at `level`: the ceil((n + 1)·level)-th smallest (the largest when
 * that rank exceeds n; the smallest at level 0). Same rule as model/quantile.ts conformalQuantile, over finite
 * scores it sorts in place.
 */
function splitConformal(scores: Float64Array, level: number): number {
  scores.sort();
  const rank = Math.min(scores.length, Math.ceil((scores.length + 1) * level));
  return scores[Math.max(0, rank - 1)]!;
}

/**
 * The candidates the trainer scores on its validation blocks (and, for the record, on the hold-out): the static
 * band; rolling-window conformal over 7, 14 and 28 days; ACI per side and on the interval ('aci', 'aci-interval') on
 * those windows with γ in 0.005, 0.01, 0.02, 0.05
 * (Gibbs & Candès 2021 use γ = 0.005; Zaffran et al. 2022, "Adaptive conformal predictions for time series", ICML,
 * show the best γ depends on the series, hence a grid); each without a centre and with each of `centres` (days of
 * the centre's median, > 0; none by default). Level 0.8, minResiduals as the defaults.
 */
export function onlineBandCandidates(level = ONLINE_BAND_DEFAULTS.level, centres: readonly number[] = []): OnlineBandSpec[] {
  const out: OnlineBandSpec[] = [];
  for (const centreDays of [0, ...centres]) {
    const base = { level, gamma: 0, minResiduals: ONLINE_BAND_DEFAULTS.minResiduals, centreDays };
    out.push({ ...base, method: 'static', windowDays: 14 });
    for (const windowDays of [7, 14, 28]) {
      out.push({ ...base, method: 'window', windowDays });
      for (const method of ['aci', 'aci-interval'] as const) {
        for (const gamma of [0.005, 0.01, 0.02, 0.05]) out.push({ ...base, method, windowDays, gamma });
      }
    }
  }
  return out;
}

/** Whether two specs are the same band (every field equal). */
export function sameOnlineBand(a: OnlineBandSpec, b: OnlineBandSpec): boolean {
  return a.method === b.method && a.windowDays === b.windowDays && a.level === b.level && a.gamma === b.gamma && a.minResiduals === b.minResiduals && a.centreDays === b.centreDays;
}

/**
 * How far before an origin the forecasts that the band served there depends on were issued (ms): for the band
 * ('window', 'aci', 'aci-interval'), the issues whose target slot lies in its window, windowDays + horizon steps back; with a centre,
 * each served P50 needs the model's P50 of the issues whose target slot lies in the centre's window before it, another
 * centreDays + horizon steps. So a replay from origin T − span recomputes at T exactly what an uninterrupted run
 * serves: (windowDays + centreDays)·day + 2·horizon·stepMs with both, one part with one, 0 for a static band without
 * a centre.
 */
export function onlineBandSpanMs(spec: Pick<OnlineBandSpec, 'method' | 'windowDays' | 'centreDays'>, horizon: number, stepMs: number): number {
  const band = spec.method === 'static' ? 0 : spec.windowDays * DAY_MS + horizon * stepMs;
  const centre = spec.centreDays > 0 ? spec.centreDays * DAY_MS + horizon * stepMs : 0;
  return band + centre;
}

/**
 * The first sample whose served forecast a live forecaster would replay to rebuild its band before the sample at
 * `first` (the first hold-out sample): those with window end > windowEnds[first] − onlineBandSpanMs(spec),
 * so that every sample the dataset holds whose residuals fall inside the window of the first origin is replayed.
 * Not every residual a live forecaster would have there: buildDataset (dataset.ts) drops the samples whose window
 * end lies within horizon steps before the hold-out cutoff (their targets reach into the hold-out), so the origins
 * of those last up to `horizon` steps per series are never issued and the warmed-up band starts with fewer
 * residuals (and, for ACI, no misses) there than a live one. windowEnds ascending (UTC ms); returns `first` for the
 * static method without a centre (nothing to rebuild).
 */
export function onlineBandWarmupFrom(windowEnds: ArrayLike<number>, first: number, spec: OnlineBandSpec, horizon: number, stepMs: number): number {
  const span = onlineBandSpanMs(spec, horizon, stepMs);
  if (span <= 0 || first <= 0) return first;
  const cut = windowEnds[first]! - span;
  let i = first;
  while (i > 0 && windowEnds[i - 1]! > cut) i--;
  return i;
}

/**
 * Median distance per step of a band below and above its P50 over samples ([count, horizon] row-major, target
 * unit; negative distances count as 0, non-finite points are skipped; 0 for a step with none): the `trained`
 * offsets an OnlineBand falls back to.
 */
export function medianBandOffsets(p50: ArrayLike<number>, p10: ArrayLike<number>, p90: ArrayLike<number>, horizon: number): { below: number[]; above: number[] } {
  const count = Math.floor(p50.length / horizon);
  const med = (a: number[]) => {
    if (a.length === 0) return 0;
    a.sort((x, y) => x - y);
    return (a[(a.length - 1) >> 1]! + a[a.length >> 1]!) / 2;
  };
  const below: number[] = [];
  const above: number[] = [];
  for (let h = 0; h < horizon; h++) {
    const b: number[] = [];
    const u: number[] = [];
    for (let i = 0; i < count; i++) {
      const j = i * horizon + h;
      if (!Number.isFinite(p50[j]!) || !Number.isFinite(p10[j]!) || !Number.isFinite(p90[j]!)) continue;
      b.push(Math.max(0, p50[j]! - p10[j]!));
      u.push(Math.max(0, p90[j]! - p50[j]!));
    }
    below.push(med(b));
    above.push(med(u));
  }
  return { below, above };
}

/**
 * Run the online band over samples in time order as the live forecaster would, one OnlineBand per series:
 * for each sample i (window end = its origin), the series' actuals of every slot ending at or before the origin
 * are fed first (never a later one: no peeking), then OnlineBand.serve gives the forecast served (P50 = the model's
 * P50 + the centre's shift, P10 = P50 − below, P90 = P50 + above) and issues it.
 * samples: seriesIds and windowEnds per sample (window ends ascending, UTC ms), p50 (the model's) and actual
 * [count, horizon] row-major in the target unit (actual[i, h−1] is the slot ending windowEnd + h·stepMs; NaN where
 * unknown). trained: the fallback offsets per step. Returns the served P50, P10 and P90 [count, horizon] (P50 = the
 * input's when spec.centreDays is 0). Throws RangeError when the window ends are not ascending or the arrays
 * disagree in length.
 */
export function onlineBandForecasts(
  spec: OnlineBandSpec, horizon: number, stepMs: number,
  samples: { seriesIds: ArrayLike<string>; windowEnds: ArrayLike<number>; p50: ArrayLike<number>; actual: ArrayLike<number> },
  trained: { below: ArrayLike<number>; above: ArrayLike<number> },
): { p50: Float64Array; p10: Float64Array; p90: Float64Array } {
  const count = checkBandSamples(horizon, samples);
  // Per series: its slots with an actual, ascending, and how many have been fed.
  const per = new Map<string, { band: OnlineBand; slots: number[]; values: Map<number, number>; fed: number }>();
  for (let i = 0; i < count; i++) {
    const s = samples.seriesIds[i]!;
    let e = per.get(s);
    if (!e) {
      e = { band: new OnlineBand(spec, horizon, stepMs, trained), slots: [], values: new Map(), fed: 0 };
      per.set(s, e);
    }
    for (let h = 1; h <= horizon; h++) {
      const y = samples.actual[i * horizon + h - 1]!;
      const slot = samples.windowEnds[i]! + h * stepMs;
      if (Number.isFinite(y) && !e.values.has(slot)) e.values.set(slot, y);
    }
  }
  for (const e of per.values()) e.slots = [...e.values.keys()].sort((a, b) => a - b);
  const p50 = new Float64Array(count * horizon);
  const p10 = new Float64Array(count * horizon);
  const p90 = new Float64Array(count * horizon);
  for (let i = 0; i < count; i++) {
    const e = per.get(samples.seriesIds[i]!)!;
    const origin = samples.windowEnds[i]!;
    while (e.fed < e.slots.length && e.slots[e.fed]! <= origin) {
      const slot = e.slots[e.fed++]!;
      e.band.actual(slot, e.values.get(slot)!);
    }
    const served = e.band.serve(origin, Float64Array.from({ length: horizon }, (_, h) => samples.p50[i * horizon + h]!));
    p50.set(served.p50, i * horizon);
    p10.set(served.p10, i * horizon);
    p90.set(served.p90, i * horizon);
  }
  return { p50, p10, p90 };
}

/**
 * The sample count of onlineBandForecasts' `samples` after checking them: windowEnds one per series id and ascending,
 * p50 and actual [count, horizon]. Throws RangeError naming the disagreeing lengths or the first sample out of order.
 */
export function checkBandSamples(horizon: number, samples: { seriesIds: ArrayLike<string>; windowEnds: ArrayLike<number>; p50: ArrayLike<number>; actual: ArrayLike<number> }): number {
  const count = samples.seriesIds.length;
  if (samples.windowEnds.length !== count || samples.p50.length !== count * horizon || samples.actual.length !== count * horizon) {
    throw new RangeError(`onlineBandForecasts: ${count} series ids, ${samples.windowEnds.length} window ends, ${samples.p50.length} P50 and ${samples.actual.length} actuals for horizon ${horizon}`);
  }
  for (let i = 1; i < count; i++) {
    if (samples.windowEnds[i]! < samples.windowEnds[i - 1]!) throw new RangeError(`onlineBandForecasts: window ends not ascending at sample ${i}`);
  }
  return count;
}

/**
 * Read an online band choice as written on a command line: 'off', 'auto', or
 * METHOD[,WINDOW_DAYS[,GAMMA[,CENTRE_DAYS]]] (e.g. 'aci,14,0.01', 'window,7', 'aci,7,0.01,7' for a 7-day median
 * centre; missing parts from ONLINE_BAND_DEFAULTS, level and minResiduals too). Throws OnlineBandSpecError naming what
 * is wrong.
 */
export function parseOnlineBandChoice(raw: string): OnlineBandSpec | 'auto' | 'off' {
  const s = raw.trim();
  if (s === 'off' || s === 'auto') return s;
  const [method, days, gamma, centre, ...rest] = s.split(',').map((p) => p.trim());
  if (rest.length > 0) throw new OnlineBandSpecError(`expected off, auto or METHOD[,WINDOW_DAYS[,GAMMA[,CENTRE_DAYS]]], got ${JSON.stringify(raw)}`);
  const num = (what: string, v: string | undefined, dflt: number) => {
    if (v === undefined || v === '') return dflt;
    if (!/^-?[0-9]*\.?[0-9]+$/.test(v)) throw new OnlineBandSpecError(`${what} must be a number, got ${JSON.stringify(v)} in ${JSON.stringify(raw)}`);
    return Number(v);
  };
  return validateOnlineBandSpec({ ...ONLINE_BAND_DEFAULTS, method, windowDays: num('WINDOW_DAYS', days, ONLINE_BAND_DEFAULTS.windowDays), gamma: num('GAMMA', gamma, ONLINE_BAND_DEFAULTS.gamma), centreDays: num('CENTRE_DAYS', centre, ONLINE_BAND_DEFAULTS.centreDays) });
}
