// trace: D.gateway
// sda_forecast_end_to_end_seconds measures live latency only: a latency over an hour (old windows forecast again, a
// backlog) or negative (clock skew) is counted as excluded instead of filling the +Inf bucket. The latency itself
// (from the tick record's timestamp, gateway/dashboard.ts endToEndMs) is tested in integration/end-to-end-latency.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIVE_LATENCY_MAX_S, observeEndToEnd } from '../../gateway/dashboard.js';
import { GatewayMetrics } from '../../gateway/metrics.js';

async function read(m: GatewayMetrics) {
  const h = (await m.endToEnd.get()).values;
  const count = h.find((v) => v.metricName === 'sda_forecast_end_to_end_seconds_count')?.value ?? 0;
  const sum = h.find((v) => v.metricName === 'sda_forecast_end_to_end_seconds_sum')?.value ?? 0;
  const ex = (await m.endToEndExcluded.get()).values;
  const excluded = (reason: string) => ex.find((v) => v.labels.reason === reason)?.value ?? 0;
  return { count, sum, notLive: excluded('not_live'), future: excluded('future') };
}

describe('gateway end-to-end latency metric', () => {
  it('observes live latencies in seconds and counts event-time and future issue times as excluded', async () => {
    const m = new GatewayMetrics(null, '/nonexistent-registry');
    observeEndToEnd(m, 250); // 0.25 s: live
    observeEndToEnd(m, LIVE_LATENCY_MAX_S * 1_000); // exactly the limit: still live
    observeEndToEnd(m, 2.4 * 365 * 86_400_000); // years: not a live latency
    observeEndToEnd(m, -5_000); // issued "in the future" (clock skew)
    const r = await read(m);
    assert.equal(r.count, 2);
    assert.equal(r.sum, 0.25 + LIVE_LATENCY_MAX_S);
    assert.equal(r.notLive, 1);
    assert.equal(r.future, 1);
  });
});
