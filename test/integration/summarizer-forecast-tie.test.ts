// trace: D.forecaster
// The summarizer's forecast snapshots (processors/summarizer/summarizer.ts loadForecastSnapshots: the documents the
// responder cites for a forecast) break a tie on issue time like every other pick (reports/forecasts.ts
// forecastTieBreak): two model versions' forecasts of one series with the same issued_at and the same stored_at (one
// sink transaction) give the newer version's snapshot, whichever order the rows were written in, when the registry's
// `current` names neither. Its tie-break had no test (fresh tester's finding 5; forecast-pick-tie covers the other
// picks). Real PostgreSQL, rows under this test's own market.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPool } from '../../platform/postgres/pool.js';
import { loadForecastSnapshots } from '../../processors/summarizer/summarizer.js';
import { currentModelVersion } from '../../reports/forecasts.js';
import { config, uniqueName } from './harness.js';
import { insertTiedForecasts } from './tied-forecasts.js';

const H = 3_600_000;
const ISSUED = Date.UTC(2024, 6, 1, 12);
const OLD = '20261201T000000000Z-tfjs-tie-old';
const NEW = '20261202T000000000Z-tfjs-tie-new';

describe('the summarizer\'s forecast snapshot breaks a tie on issue and store time by the newer version', () => {
  const market = `T${uniqueName('stie').slice(-8).toUpperCase()}`;
  const pool = createPool(config, 2);

  before(async () => {
    // One statement per series: both rows get the same stored_at. Each series gets the two versions in the other order.
    await insertTiedForecasts(pool, market, ISSUED, OLD, NEW);
  });

  after(async () => {
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.end();
  });

  it('gives each series the newer version\'s snapshot', async () => {
    const current = await currentModelVersion();
    assert.ok(current !== OLD && current !== NEW, `the process registry's current (${current}) names neither test version`);
    const r = await pool.query<{ n: string }>('SELECT count(DISTINCT stored_at) AS n FROM forecasts WHERE market = $1 GROUP BY series_id', [market]);
    assert.deepEqual(r.rows.map((x) => Number(x.n)), [1, 1], 'the two versions share stored_at in each series (the tie this test is about)');
    const snaps = await loadForecastSnapshots(pool, { market, from: ISSUED - H, to: ISSUED + H });
    assert.deepEqual(snaps.map((s) => [s.seriesId, s.modelVersion, s.values[0]]).sort(), [['HB_NORTH', NEW, 20], ['HB_WEST', NEW, 20]]);
  });
});
