// trace: D.postgres
// The sinks' side of `sda run delete NAME` against the real PostgreSQL: every row under the run's markets and its
// dispatch schedules goes; a live row of the same series and hours, and another run's row, stay.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runMarket } from '../../platform/kafka/topics.js';
import { createPool } from '../../platform/postgres/pool.js';
import { deleteRunRows } from '../../sinks/postgres/run-rows.js';
import { config, uniqueName } from './harness.js';

describe('deleteRunRows', () => {
  const pool = createPool(config, 1);
  const run = uniqueName('rows')
    .replace(/[^a-z0-9-]/g, '-')
    .slice(-20);
  const other = `${run}-b`;
  const live = `T${run
    .replace(/[^a-z0-9]/g, '')
    .slice(-8)
    .toUpperCase()}`;
  const markets = [runMarket(live, run), runMarket(live, other), live];

  after(async () => {
    await pool.query('DELETE FROM market_data WHERE market = ANY($1)', [markets]);
    await pool.end();
  });

  it("removes the run's rows only, and reports them per table", async () => {
    for (const market of markets) {
      await pool.query(
        `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
         VALUES ($1, 'HB_NORTH', 'HUB', 'RT_PRICE', '2024-01-01T00:00:00Z', '2024-01-01T00:15:00Z', 20, 'USD/MWh', 'test', now()),
                ($1, 'HB_NORTH', 'HUB', 'RT_PRICE', '2024-01-01T00:15:00Z', '2024-01-01T00:30:00Z', 21, 'USD/MWh', 'test', now())`,
        [market],
      );
    }
    const deleted = await deleteRunRows(pool, run);
    assert.equal(deleted.market_data, 2);
    assert.equal(deleted.features, 0);
    assert.equal(deleted.forecasts, 0);
    assert.equal(deleted.dispatch_schedules, 0);
    const left = await pool.query<{ market: string; n: string }>('SELECT market, count(*) AS n FROM market_data WHERE market = ANY($1) GROUP BY market', [
      markets,
    ]);
    assert.deepEqual(
      left.rows.map((r) => [r.market, Number(r.n)]).sort(),
      [
        [live, 2],
        [runMarket(live, other), 2],
      ].sort(),
      'the live rows and the other run (whose name starts with this one) stay',
    );
    assert.deepEqual(await deleteRunRows(pool, run), { market_data: 0, features: 0, forecasts: 0, dispatch_schedules: 0 }, 'twice: nothing left');
    await assert.rejects(deleteRunRows(pool, "x'; DROP TABLE market_data; --"), /run/i, 'a run name is validated');
  });
});
