// The one rule for a step served from "same hour last week" (the seasonal naive forecast with m = a week,
// Hyndman & Athanasopoulos, FPP3 §5.2), used by the trainer's hold-out scoring (train.ts applyLastWeek) and by the
// forecaster (processors/forecaster/history.ts serveSteps), so both serve the same value and band.
import { type ModelMetadata, SEQUENCE_FEATURES, inputClipBounds } from './contract.js';

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
  const b = meta.scaler ? inputClipBounds(meta.scaler.features[VALUE]!) : null;
  const seen = b ? Math.min(b.hi, Math.max(b.lo, lastWeek)) : lastWeek;
  const value = w * seen + (1 - w) * p50;
  if (meta.lastWeekBandFromGraph) {
    return { value, ...(p10 !== undefined ? { p10: value - (p50 - p10) } : {}), ...(p90 !== undefined ? { p90: value + (p90 - p50) } : {}) };
  }
  return { value, p10: value - (meta.lastWeekBand?.below[h] ?? 0), p90: value + (meta.lastWeekBand?.above[h] ?? 0) };
}
