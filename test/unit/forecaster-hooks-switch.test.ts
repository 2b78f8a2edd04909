// trace: D.forecaster
// processors/forecaster/hooks.ts forecasterHooks after a live model switch (a fresh-clone tester's finding): the live
// snapshot keeps the old version's ring, and the hooks upserted its frozen RMSE into model_metrics at every report
// and kept it in sda_forecast_live_rmse. Here, with a fake pool that records the queries: a row is written only for
// an entry whose score changed (its total grew) since the last write, an entry whose write failed is written at the
// next report, and the gauge holds only the version the last batch served.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import type { LiveMetric } from '../../processors/forecaster/live-rmse.js';
import { forecasterHooks } from '../../processors/forecaster/hooks.js';
import type { ForecasterCounts } from '../../processors/forecaster/processor.js';
import { processorRegistry } from '../../platform/metrics.js';

/** A pool whose query records the parameters ([version, series, split, metric, baseline, value] × rows) it was given. */
function fakePool(fail = () => false) {
  const writes: unknown[][] = [];
  const pool = {
    query: async (_sql: string, params: unknown[]) => {
      if (fail()) throw new Error('connection refused');
      writes.push(params);
      return { rows: [], rowCount: params.length / 6 };
    },
  };
  return { pool: pool as unknown as pg.Pool, writes };
}

const counts = (modelVersion: string): ForecasterCounts => ({ received: 1, forecasts: 1, skipped: 0, empty: 0, deadLettered: 0, transactions: 1, inferenceRuns: 1, modelVersion, modelSwitches: 0 });
const entry = (modelVersion: string, rmse: number, n: number): LiveMetric => ({ market: 'ERCOT', seriesId: 'HB_HOUSTON', kind: 'RT_PRICE', modelVersion, rmse, n, total: n });
/** The versions written by each query (its first parameter of each 6). */
const versions = (writes: unknown[][]) => writes.map((p) => p[0]);

async function gaugeVersions(): Promise<string[]> {
  const text = await processorRegistry.metrics();
  return [...text.matchAll(/^sda_forecast_live_rmse\{[^}]*series="HB_HOUSTON"[^}]*model_version="([^"]+)"\} /gm)].map((m) => m[1]!).sort();
}

describe('forecasterHooks after a live model switch', () => {
  it('writes model_metrics only for a score that changed and drops the old version from the gauge', async () => {
    const { pool, writes } = fakePool();
    const hooks = forecasterHooks(pool);
    hooks.onBatch(counts('sw-old'));
    await hooks.onLiveMetrics([entry('sw-old', 3.7298, 5)]);
    assert.deepEqual(versions(writes), ['sw-old'], 'the first report writes the served model');
    assert.deepEqual(await gaugeVersions(), ['sw-old']);

    // `sda train promote sw-new`: the next batch is served by the new version; the old ring stays in the snapshot.
    hooks.onBatch(counts('sw-new'));
    await hooks.onLiveMetrics([entry('sw-old', 3.7298, 5), entry('sw-new', 2.5, 1)]);
    assert.deepEqual(versions(writes), ['sw-old', 'sw-new'], 'the old, unchanged score is not written again');
    assert.deepEqual(await gaugeVersions(), ['sw-new'], 'the gauge drops the version no longer served');

    await hooks.onLiveMetrics([entry('sw-old', 3.7298, 5), entry('sw-new', 2.5, 1)]);
    assert.equal(writes.length, 2, 'nothing changed, nothing written');
    await hooks.onLiveMetrics([entry('sw-old', 3.7298, 5), entry('sw-new', 2.25, 2)]);
    assert.deepEqual(versions(writes), ['sw-old', 'sw-new', 'sw-new'], 'the served model gets a row when its score changes');
    assert.deepEqual(writes[2], ['sw-new', 'HB_HOUSTON', 'live', 'rmse', 'model', 2.25, 'sw-new', 'HB_HOUSTON', 'live', 'n', 'model', 2]);
  });

  it('writes at the next report an entry whose write failed', async () => {
    let down = true;
    const { pool, writes } = fakePool(() => down);
    const hooks = forecasterHooks(pool);
    hooks.onBatch(counts('sw-retry'));
    await assert.rejects(async () => hooks.onLiveMetrics([entry('sw-retry', 1.5, 3)]), /connection refused/);
    down = false;
    await hooks.onLiveMetrics([entry('sw-retry', 1.5, 3)]);
    assert.deepEqual(versions(writes), ['sw-retry']);
  });
});
