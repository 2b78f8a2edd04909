// trace: D.gateway
// sda_forecast_end_to_end_seconds for simulated ticks (the demo's live phase): their ingestedAt, and so the forecasts'
// issuedAt, is event time (2024), which once left the histogram empty (every forecast "not_live"). Against the real
// Kafka and registry: ticks published with known record timestamps go through the windower and the forecaster (a tiny
// untrained model) to the gateway's live feed (createGatewayExtensions, the wiring `sda serve` and `sda demo` use);
// each forecast record must carry the timestamp of the tick record that made its window final (the ticks are stamped
// t0 + i, so the tick is known exactly: an in-process PartitionWindower fed the same ticks says which), and every
// forecast is observed in the histogram with the latency from that tick's publication.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LIVE_LATENCY_MAX_S, createGatewayExtensions, endToEndMs } from '../../gateway/dashboard.js';
import type { FeedForecast } from '../../gateway/forecast-feed.js';
import { startForecaster } from '../../processors/forecaster/processor.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';
import { startWindower } from '../../processors/windower/processor.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import { BulkProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { createPool } from '../../platform/postgres/pool.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, until } from './harness.js';

describe('end-to-end latency of forecasts from simulated ticks', () => {
  const ticksTopic = uniqueName('test.e2e.ticks');
  const features = uniqueName('test.e2e.features');
  const changelog = uniqueName('test.e2e.changelog');
  const forecastsTopic = uniqueName('test.e2e.forecasts');
  const dlq = uniqueName('test.e2e.dlq');
  const market = `E${ticksTopic.slice(-8).toUpperCase()}`;
  const version = `e2e-${market}`;
  const pool = createPool(config, 1);
  let p: Provisioned;
  let registry: string;

  before(async () => {
    p = await provision(config, 'sda-test-e2e');
    await createTestTopic(ticksTopic, 1);
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
  });

  after(async () => {
    await deleteTestTopics([ticksTopic, features, changelog, forecastsTopic, dlq]);
    await pool.end();
    await rm(registry, { recursive: true, force: true });
  });

  it('observes every forecast, timed from its tick record, though issuedAt is event time', async () => {
    await writeRandomModel(registry, { version, market, seriesIds: [], horizon: 4, units: 4, seed: 3 });
    const windower = await startWindower(config, { inputTopic: ticksTopic, outputTopic: features, changelogTopic: changelog, deadLetterTopic: dlq, groupId: uniqueName('test-e2e-windower') }, p);
    const forecaster = await startForecaster(config, { inputTopic: features, outputTopic: forecastsTopic, deadLetterTopic: dlq, groupId: uniqueName('test-e2e-forecaster'), registryDir: registry, pollMs: 200 }, p);
    const gateway = createGatewayExtensions({ ...config, gateway: { ...config.gateway, forecastsTopic } }, { pool, registryDir: registry, consumerLag: false });
    const seen: FeedForecast[] = [];
    gateway.feed!.subscribe((f) => seen.push(f));
    try {
      gateway.start();
      await gateway.ready;
      // Three simulated days of one hub, event time in March 2024; the records stamped 2 minutes ago, 1 ms apart.
      const ticks = [...simulateMarket({ start: Date.UTC(2024, 2, 1, 6), days: 3, seed: 5, nodes: ['HB_NORTH'], includeSystem: false })].map((t) => ({ ...t, market }));
      const t0 = Date.now() - 120_000;
      const producer = new BulkProducer(config, 'sda-test-e2e-ticks');
      await producer.send(ticksTopic, ticks.map((t, i) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t), timestamp: String(t0 + i) })));
      await producer.close();

      await until(() => forecaster.counts.forecasts > 0 && seen.length === forecaster.counts.forecasts && windower.counts.received === ticks.length, 120_000, 'forecasts at the feed');
      await new Promise((r) => setTimeout(r, 1_000)); // none left in flight
      assert.equal(seen.length, forecaster.counts.forecasts);
      // The tick that made each window final: the windower's core fed the same ticks in the same order (one partition,
      // no context copies) emits the window on it; served windows are the RT_PRICE ones with data.
      const core = new PartitionWindower({ stepMs: 3_600_000 });
      const completedBy: string[] = [];
      ticks.forEach((t, i) => {
        for (const w of core.add(t, t.ingestedAt).windows) if (w.kind === 'RT_PRICE' && w.count > 0) completedBy.push(`${w.seriesId} ${new Date(w.windowEnd).toISOString()} <- tick ${i}`);
      });
      assert.ok(new Set(completedBy.map((x) => x.split(' <- ')[1])).size > 10, 'windows made final by many different ticks');
      assert.deepEqual(
        seen.map((f) => `${f.seriesId} ${new Date(f.targetStart).toISOString()} <- tick ${f.recordTimestamp - t0}`).sort(),
        completedBy.sort(),
        'each forecast record carries the timestamp t0 + i of the tick i that made its window final',
      );
      for (const f of seen) {
        assert.ok(f.receivedAt - f.issuedAt > LIVE_LATENCY_MAX_S * 1_000, 'issuedAt is event time, long before');
        assert.ok(endToEndMs(f) >= 120_000 - ticks.length && endToEndMs(f) < 600_000, `latency ${endToEndMs(f)} ms from the tick's publication`);
      }
      const h = (await gateway.metrics.endToEnd.get()).values;
      const count = h.find((v) => v.metricName === 'sda_forecast_end_to_end_seconds_count')?.value ?? 0;
      const sum = h.find((v) => v.metricName === 'sda_forecast_end_to_end_seconds_sum')?.value ?? 0;
      assert.equal(count, seen.length, 'every forecast observed in sda_forecast_end_to_end_seconds');
      assert.ok(Math.abs(sum - seen.reduce((s, f) => s + endToEndMs(f) / 1_000, 0)) < 1e-6, 'the histogram sum is the latencies from the tick records');
      const excluded = (await gateway.metrics.endToEndExcluded.get()).values.reduce((s, v) => s + v.value, 0);
      assert.equal(excluded, 0, 'none excluded');
    } finally {
      await gateway.close();
      await forecaster.stop();
      await windower.stop();
    }
  });
});
