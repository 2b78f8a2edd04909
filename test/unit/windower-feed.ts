// Feeding a windower in the unit tests (windower-early, windower-window, windower-context, forecaster-history-late):
// every tick must be taken, and the windows come back in the order they were emitted.
import assert from 'node:assert/strict';
import type { PartitionWindower } from '../../processors/windower/windower.js';
import type { FeatureWindow, MarketTick } from '../../schemas/types.js';

/**
 * Adds `ticks` to `w` in order (PartitionWindower.add with `computedAt`, ms since the epoch, stamped on the windows)
 * and returns every window emitted, in emission order. Fails the test (assert.equal on AddResult.late) at the first
 * tick the windower does not take, naming its interval start.
 */
export function feedTicks(w: PartitionWindower, ticks: MarketTick[], computedAt = 1): FeatureWindow[] {
  const out: FeatureWindow[] = [];
  for (const t of ticks) {
    const r = w.add(t, computedAt);
    assert.equal(r.late, undefined, `tick ${new Date(t.intervalStart).toISOString()} taken`);
    out.push(...r.windows);
  }
  return out;
}
