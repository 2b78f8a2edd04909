// The one rule for a step served from "same hour last week" (the seasonal naive forecast with m = a week,
// Hyndman & Athanasopoulos, FPP3 §5.2), used by the trainer's hold-out scoring (train.ts applyLastWeek) and by the
// forecaster (processors/forecaster/history.ts serveSteps), so both serve the same value and band.
import { LEVEL_MAX_SLOTS, type ModelMetadata, SEQUENCE_FEATURES, type Scaler, inputClipBounds } from './contract.js';

export { LAST_WEEK_LEVEL_SOURCE, LEVEL_MAX_SLOTS } from './contract.js';

const VALUE = SEQUENCE_FEATURES.indexOf('value');

/** A served step: the P50 and, when a band was given or the metadata carries one, its P10/P90. */
export interface LastWeekStep {
  value: number;
  p10?: number;
  p90?: number;
}

/**
 * Step h (0-based horizon index) served with last week's value: served = w·lastWeek + (1 − w)·p50 (w: the step's
 * metadata.lastWeekWeight, in [0, 1]; 1: last week alone), all in the target's unit, last week's value clipped first
 * into the value input's inputClipBounds when meta.scaler has a range (as the model's own inputs are: a fresh-clone
 * tester saw a 0.1 weight on a $4,988 interval a week earlier serve $527-$541 against an actual of $40). The band: with
 * metadata.lastWeekBandFromGraph, the graph's band at the step moved to the served value (P10 = served − (p50 − p10),
 * P90 = served + (p90 − p50); only when p10/p90 are given); otherwise metadata.lastWeekBand's distances below/above
 * the served value (0 where absent). Throws RangeError for a weight outside [0, 1].
 */
export function lastWeekStep(meta: Pick<ModelMetadata, 'lastWeekBand'> & Pick<Partial<ModelMetadata>, 'lastWeekBandFromGraph' | 'scaler'>, h: number, w: number, lastWeek: number, p50: number, p10?: number, p90?: number): LastWeekStep {
  if (!(w >= 0 && w <= 1)) throw new RangeError(`lastWeekStep: weight must be in [0, 1], got ${w}`);
  const seen = lastWeekClip(meta.scaler)(lastWeek);
  const value = w * seen + (1 - w) * p50;
  if (meta.lastWeekBandFromGraph) {
    return { value, ...(p10 !== undefined ? { p10: value - (p50 - p10) } : {}), ...(p90 !== undefined ? { p90: value + (p90 - p50) } : {}) };
  }
  return { value, p10: value - (meta.lastWeekBand?.below[h] ?? 0), p90: value + (meta.lastWeekBand?.above[h] ?? 0) };
}

/**
 * The clip lastWeekStep applies to the last-week value it serves, clip(lw + k·level) (lw: same hour last week; k: the
 * step's share of the level, metadata.lastWeekLevel.weight, 0 for plain last week; lastWeekValue): into the value
 * input's inputClipBounds when `scaler` has a value feature with a range, else none; NaN stays NaN.
 * The trainers' validation candidates go through the same clip (model/train.ts chooseLevelSlots and its last-week
 * sources; model/gpu/train.py clip_last_week): the level's rule and L are chosen on clip(lw + level), the value served
 * at k = 1, and each last-week source is offered to the blends as served alone, clip(lw) and clip(lw + level).
 * Known limitation: a blend of the two (weight w on plain last week) is scored as w·clip(lw) + (1 − w)·clip(lw + level)
 * (quantile.ts chooseBlends mixes the two clipped candidates), while the forecaster serves clip(lw + k·level) with
 * k = 1 − w; they differ where the clip binds (bounds [−25, 125], lw 90, level 40, k 0.5: scored 107.5, served 110),
 * so such a blend is chosen on values other than the served ones there. The hold-out and validation figures after
 * the choice (model/train.ts servedVal, the band and its scores; train.py's hold-out loop) are on the served values.
 */
export function lastWeekClip(scaler: Pick<Scaler, 'features'> | undefined): (v: number) => number {
  const value = scaler?.features[VALUE];
  const b = value ? inputClipBounds(value) : null;
  return b ? (v) => Math.min(b.hi, Math.max(b.lo, v)) : (v) => v;
}

/** One week in ms: the seasonal period of "same hour last week". */
export const WEEK_MS = 7 * 86_400_000;
/**
 * The level terms the trainer chooses from on its validation blocks (number of slots L the weekly change is averaged
 * over); LEVEL_MAX_SLOTS, the largest, is how many week-over-week changes a dataset keeps per sample.
 */
export const LEVEL_SLOT_CHOICES = [6, 12, 24] as const;

/**
 * The week-over-week changes known at an origin (the end of a window's last slot, UTC ms): d_i = y(s_i) − y(s_i −
 * 7 days) for the slots s_i = origin − i·stepMs, i = 0..n − 1 (i = 0: the origin slot itself), in the target's unit;
 * NaN where either value is unknown. `value(slotEnd)` answers a slot's value or undefined (the dataset's series, the
 * forecaster's SeriesHistory).
 */
export function weekChanges(value: (slotEnd: number) => number | undefined, origin: number, stepMs: number, n = LEVEL_MAX_SLOTS): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = origin - i * stepMs;
    const a = value(s);
    const b = value(s - WEEK_MS);
    out[i] = a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) ? a - b : Number.NaN;
  }
  return out;
}

/**
 * How the level term summarises the week-over-week changes (metadata.lastWeekLevel.rule): 'mean' or 'median', chosen
 * per model on the validation blocks (LEVEL_RULE_ORDER); models written before 2026-12-02's robust level lack the
 * field and serve the mean.
 */
export type LevelRule = 'mean' | 'median';
/** The level rules metadata.lastWeekLevel.rule may name. */
export const LEVEL_RULES: readonly LevelRule[] = ['mean', 'median'];
/**
 * The order in which the trainers (model/train.ts chooseLevelSlots, model/gpu/train.py choose_level_slots) try the
 * rules for a new model, each with every L of LEVEL_SLOT_CHOICES; a tie in validation MSE keeps the earlier, so the
 * median, the robust one (one price spike among the L changes does not move it; see weeklyLevel), wins ties.
 */
export const LEVEL_RULE_ORDER: readonly LevelRule[] = ['median', 'mean'];

/**
 * The level term of the level-adjusted seasonal naive: the `rule` ('mean' default, as models without
 * lastWeekLevel.rule; 'median') of the first `slots` week-over-week changes (weekChanges, newest first), i.e. by how
 * much the last L slots up to the origin ran above the same slots a week earlier: the seasonal naive (Hyndman &
 * Athanasopoulos, FPP3 §5.2, m = a week) with a level term, the current location of the seasonal differences (the
 * naive-with-drift idea of §5.2 applied to y(t) − y(t − m)), target's unit.
 * The median (for even L the mean of the two middle changes, sorted ascending) is the standard robust estimator of
 * location (breakdown point 50%; Huber & Ronchetti, Robust Statistics, 2nd ed. 2009; FPP3's robust STL, §3.6, and
 * its "Dealing with outliers" section, ch. 13, likewise keep outliers out of the estimate): one spike of $4,988 in the week before
 * a flat $40 week moved the mean of L = 12 changes to −412.3 (served −372.3 $/MWh; reviewer at a29d021) and leaves
 * the median at 0. Clipping both values into the value input's inputClipBounds first was not taken: the bounds come
 * from the training range, which holds the spikes wherever the training data had any (the simulated market), so
 * the clip would not remove them there.
 * NaN when any of those changes is unknown (the step then falls back as a missing last-week slot does).
 * Throws RangeError for slots not an integer in 1..changes.length or an unknown rule.
 */
export function weeklyLevel(changes: ArrayLike<number>, slots: number, rule: LevelRule = 'mean'): number {
  if (!Number.isInteger(slots) || slots < 1 || slots > changes.length) throw new RangeError(`weeklyLevel: slots must be an integer in 1..${changes.length}, got ${slots}`);
  if (rule !== 'mean' && rule !== 'median') throw new RangeError(`weeklyLevel: rule must be one of ${LEVEL_RULES.join(', ')}, got ${String(rule)}`);
  let sum = 0;
  for (let i = 0; i < slots; i++) {
    const d = changes[i]!;
    if (!Number.isFinite(d)) return Number.NaN;
    sum += d;
  }
  if (rule === 'mean') return sum / slots;
  const sorted = Float64Array.from({ length: slots }, (_, i) => changes[i]!).sort();
  const m = slots >> 1;
  return slots % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/**
 * The last-week value step h (0-based) serves, before the blend with the graph: y(T − 7 days) + k·level, where k is
 * metadata.lastWeekLevel.weight[h] (0, or lastWeekLevel absent as in models before it: the plain seasonal naive
 * "baseline:same_hour_last_week"; 1: the level-adjusted "baseline:same_hour_last_week_level"; between: a blend of
 * the two) and level = weeklyLevel(changes, lastWeekLevel.slots, lastWeekLevel.rule ?? 'mean': models written before
 * the rule field keep the mean, so they serve and evaluate as before). NaN when last week's value is unknown, or when
 * k > 0 and the level is (changes undefined or one of its changes unknown): the step then falls back to the graph.
 */
export function lastWeekValue(meta: Pick<Partial<ModelMetadata>, 'lastWeekLevel'>, h: number, lastWeek: number, changes: ArrayLike<number> | undefined): number {
  if (!Number.isFinite(lastWeek)) return Number.NaN;
  const k = meta.lastWeekLevel?.weight[h] ?? 0;
  if (!(k > 0)) return lastWeek;
  const level = changes ? weeklyLevel(changes, meta.lastWeekLevel!.slots, meta.lastWeekLevel!.rule ?? 'mean') : Number.NaN;
  return Number.isFinite(level) ? lastWeek + k * level : Number.NaN;
}
