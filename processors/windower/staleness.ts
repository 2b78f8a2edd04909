// Data-to-forecast staleness: how far the newest forecast's first target hour trails the newest data.
// staleness = newest tick end - newest forecast target start (ms; positive = the forecast is for an hour that
// has already passed in the data, 0 = it forecasts the hour right after the newest data). The forecaster issues
// a forecast for every FeatureWindow, with targetStart = windowEnd (processors/forecaster/forecast.ts), so over
// the windower alone the newest target start is the newest emitted windowEnd. Issue 12 asks for under one step.
import type { MarketTick } from '../../schemas/types.js';
import { PartitionWindower, type WindowerOptions } from './windower.js';

export interface StalenessSummary {
  /** Samples: one each time the data has reached a step boundary (just before the first tick of a later step). */
  samples: number;
  /** Mean, median and max staleness over the samples, in ms. */
  meanMs: number;
  p50Ms: number;
  maxMs: number;
}

/**
 * Feeds `ticks` (in arrival order, event time non-decreasing by step as a live feed delivers them) through one
 * PartitionWindower with `opts`, and samples the staleness (newest intervalEnd taken minus newest windowEnd emitted)
 * each time a step's data is in: just before the first tick that starts at or after the newest end, and at the end.
 * Samples start once a first window exists. Pure; the same input gives the same figures. `fireWhenComplete: false`
 * measures the watermark-only windower (the behaviour before issue 12).
 */
export function simulateStaleness(ticks: Iterable<MarketTick>, opts: WindowerOptions): StalenessSummary {
  const w = new PartitionWindower(opts);
  let newestEnd = -Infinity;
  let newestTarget = -Infinity;
  const samples: number[] = [];
  const sample = () => {
    if (newestTarget !== -Infinity) samples.push(newestEnd - newestTarget);
  };
  for (const t of ticks) {
    if (t.intervalStart >= newestEnd && newestEnd % opts.stepMs === 0) sample();
    const r = w.add(t, t.ingestedAt);
    if (!r.late) newestEnd = Math.max(newestEnd, t.intervalEnd);
    for (const x of r.windows) if (x.windowEnd > newestTarget) newestTarget = x.windowEnd;
  }
  sample();
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN;
  return { samples: samples.length, meanMs: mean, p50Ms: sorted[Math.floor(sorted.length / 2)] ?? NaN, maxMs: sorted[sorted.length - 1] ?? NaN };
}
