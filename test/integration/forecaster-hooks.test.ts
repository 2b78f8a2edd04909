// trace: D.forecaster
// The forecaster's reporting hooks (processors/forecaster/hooks.ts forecasterHooks), the ones `sda process forecaster`
// and `sda demo` pass to startForecaster: against the real Kafka, registry and PostgreSQL, a forecaster with a tiny
// untrained model reads three simulated days of one hub's windows; its live RMSE must land in model_metrics (split
// 'live', the value the forecaster computed) and in the process registry as sda_forecast_live_rmse, and the served
// version as sda_model_info.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forecasterHooks } from '../../processors/forecaster/hooks.js';
import { startForecaster } from '../../processors/forecaster/processor.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import { processorRegistry } from '../../platform/metrics.js';
import { createPool } from '../../platform/postgres/pool.js';
import { BulkProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import type { FeatureWindow } from '../../schemas/types.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, until } from './harness.js';

describe('forecasterHooks: live RMSE into model_metrics and /metrics, model version into sda_model_info', () => {
  const features = uniqueName('test.fchooks.features');
  const forecastsTopic = uniqueName('test.fchooks.forecasts');
  const market = `H${features.slice(-8).toUpperCase()}`;
  const version = `fc-hooks-${market}`;
  const pool = createPool(config, 2);
  let p: Provisioned;
  let registry: string;

  before(async () => {
    p = await provision(config, 'sda-test-forecaster-hooks');
    await createTestTopic(features, 1);
    await createTestTopic(forecastsTopic, 1);
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
  });

  after(async () => {
    await pool.query('DELETE FROM model_metrics WHERE model_version = $1', [version]);
    await pool.end();
    await deleteTestTopics([features, forecastsTopic]);
    await rm(registry, { recursive: true, force: true });
  });

  it('records what the forecaster computed', async () => {
    await writeRandomModel(registry, { version, market, seriesIds: [], horizon: 4, units: 4, seed: 3 });
    const hourly = new PartitionWindower({ stepMs: 3_600_000 });
    const windows: FeatureWindow[] = [];
    for (const t of simulateMarket({ start: Date.UTC(2024, 2, 1, 6), days: 3, seed: 5, nodes: ['HB_NORTH'], includeSystem: false })) {
      windows.push(...hourly.add({ ...t, market }, t.ingestedAt).windows);
    }
    const producer = new BulkProducer(config, 'sda-test-forecaster-hooks-input');
    await producer.send(features, windows.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w) })));
    await producer.close();

    const f = await startForecaster(config, { inputTopic: features, outputTopic: forecastsTopic, groupId: uniqueName('test-fchooks'), registryDir: registry, pollMs: 200, metricsIntervalMs: 300, ...forecasterHooks(pool) }, p);
    const stored = async () =>
      (await pool.query<{ metric: string; value: number }>(
        "SELECT metric, value FROM model_metrics WHERE model_version = $1 AND series_id = 'HB_NORTH' AND split = 'live' AND baseline = 'model' ORDER BY metric",
        [version],
      )).rows;
    try {
      await until(() => f.counts.received === windows.length, 120_000, 'the windows consumed');
      const live = f.liveRmse().find((m) => m.seriesId === 'HB_NORTH' && m.modelVersion === version);
      assert.ok(live && live.n > 0 && Number.isFinite(live.rmse), `the forecaster scored HB_NORTH: ${JSON.stringify(f.liveRmse())}`);
      // The next report after the last window carries the final figure; wait for the table to hold it.
      const deadline = Date.now() + 60_000;
      let rows = await stored();
      while (Date.now() < deadline && rows.find((r) => r.metric === 'n')?.value !== live.n) {
        await new Promise((r) => setTimeout(r, 200));
        rows = await stored();
      }
      assert.deepEqual(rows.map((r) => r.metric), ['n', 'rmse'], 'rmse and n recorded under split live');
      assert.equal(rows[1]!.value, live.rmse);
      assert.equal(rows[0]!.value, live.n);

      const text = await processorRegistry.metrics();
      const gauge = text.split('\n').find((l) => l.startsWith('sda_forecast_live_rmse{') && l.includes(`market="${market}"`) && l.includes('series="HB_NORTH"') && l.includes(`model_version="${version}"`));
      assert.ok(gauge, 'sda_forecast_live_rmse has the series');
      assert.ok(Math.abs(Number(gauge.split(' ').pop()) - live.rmse) <= 1e-9 * live.rmse, `gauge ${gauge} vs ${live.rmse}`);
      assert.match(text, new RegExp(`^sda_model_info\\{model_version="${version}"\\} 1$`, 'm'));
    } finally {
      await f.stop();
    }
  });
});
