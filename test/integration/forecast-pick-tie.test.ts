// trace: D.gateway, D.forecaster
// Two model versions' forecasts of the same window with the same issue time and the same stored_at (a reviewer's
// finding, 2026-12-02: after the demo's rewind both versions forecast the same windows, and rows written by one sink
// transaction share stored_at = now(), e.g. when the forecasts table is rebuilt from market.forecasts): every pick of
// reports/forecasts.ts (GET /forecast, ?at=, the responder's issuedBy, GET /dispatch's latestTarget), the demo's
// table (reports/stored.ts forecastsBesideActuals) and the dashboard's rows go to the model the registry's `current`
// serves (forecastTieBreak: after a rollback, the older version promoted again), else to the newer model version,
// never to whichever row the sort happens to return. The current model's row wins also when the other version's row
// of the window was stored later (reviewer's finding, 2026-12-02: stored_at was compared first, so a rollback to v1
// still showed v2 wherever v2's row was stored after v1's). Real PostgreSQL, rows under this test's own market.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seriesHistory } from '../../gateway/dashboard-store.js';
import { CURRENT_FILE } from '../../model/registry.js';
import { createPool } from '../../platform/postgres/pool.js';
import { currentModelVersion, storedForecast } from '../../reports/forecasts.js';
import { forecastsBesideActuals } from '../../reports/stored.js';
import { config, uniqueName } from './harness.js';
import { insertForecastsStoredApart, insertTiedForecasts } from './tied-forecasts.js';

const H = 3_600_000;
const ISSUED = Date.UTC(2024, 6, 1, 12);
const OLD = '20261201T000000000Z-tfjs-aaaa';
const NEW = '20261202T000000000Z-tfjs-bbbb';

describe('forecast picks break a tie on issue and store time by the current model, then the newer version', () => {
  const market = `T${uniqueName('tie').slice(-8).toUpperCase()}`;
  const pool = createPool(config, 2);
  let registry: string;

  before(async () => {
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-tie-registry-'));
    // One statement per series: both rows get the same stored_at. Each series gets the two versions in the other order.
    await insertTiedForecasts(pool, market, ISSUED, OLD, NEW);
  });

  after(async () => {
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.end();
    await rm(registry, { recursive: true, force: true });
  });

  // current: the version the registry's `current` names. OLD: NEW was rolled back (OLD promoted again); null: no
  // current model, or one that issued neither row (a third version promoted since).
  for (const [current, winner] of [[OLD, OLD], [NEW, NEW], [null, NEW], ['20261203T000000000Z-tfjs-cccc', NEW]] as const) {
    for (const series of ['HB_NORTH', 'HB_WEST']) {
      it(`${series}, current ${current ?? 'none'}: the stored rows tie on issued_at and stored_at; every pick returns ${winner === OLD ? 'the current (older) version' : 'the newer version'}`, async () => {
        const r = await pool.query<{ n: string }>('SELECT count(DISTINCT stored_at) AS n FROM forecasts WHERE market = $1 AND series_id = $2', [market, series]);
        assert.equal(Number(r.rows[0]!.n), 1, 'the two versions share stored_at (the tie this test is about)');
        for (const pick of [{ latest: true }, { issuedBy: ISSUED }, { covering: ISSUED + H / 2 }, { latestTarget: true }] as const) {
          const f = await storedForecast(pool, market, series, 'RT_PRICE', pick, current);
          assert.equal(f?.modelVersion, winner, `pick ${JSON.stringify(pick)}`);
        }
        const rows = await forecastsBesideActuals(pool, { market, seriesId: series, kind: 'RT_PRICE', limit: 5, current });
        assert.deepEqual(rows.map((x) => [x.modelVersion, x.predicted]), [[winner, winner === NEW ? 20 : 10]]);
      });
    }
  }

  it("the dashboard's rows read `current` from the registry: a rollback there changes the tie's winner", async () => {
    for (const [current, winner] of [[OLD, OLD], [NEW, NEW]] as const) {
      await writeFile(path.join(registry, CURRENT_FILE), `${current}\n`);
      assert.equal(await currentModelVersion(registry), current);
      const h = await seriesHistory(pool, { market, series: 'HB_NORTH', kind: 'RT_PRICE', hours: 6, registryDir: registry });
      assert.deepEqual([h?.forecast.modelVersions, h?.forecast.v[0], h?.latestCurve?.modelVersion], [[winner], winner === NEW ? 20 : 10, winner], `current ${current}`);
    }
  });
});

describe('forecast picks give the current model\'s forecast of a window even when another version\'s was stored later', () => {
  const market = `T${uniqueName('tiest').slice(-8).toUpperCase()}`;
  const pool = createPool(config, 2);
  const STORED = Date.UTC(2026, 11, 2, 9);
  const STORED_FIRST = { HB_NORTH: OLD, HB_WEST: NEW } as const;
  let registry: string;

  before(async () => {
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-tie-registry-'));
    // HB_NORTH: OLD (v1) stored first, NEW (v2) 60 s later, as after a rewind with v2 then a rollback to v1.
    // HB_WEST: the other way round (NEW first, OLD later).
    await insertForecastsStoredApart(pool, market, 'HB_NORTH', ISSUED, STORED_FIRST.HB_NORTH, NEW, STORED);
    await insertForecastsStoredApart(pool, market, 'HB_WEST', ISSUED, STORED_FIRST.HB_WEST, OLD, STORED);
  });

  after(async () => {
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.end();
    await rm(registry, { recursive: true, force: true });
  });

  // [series, current, winner]: the current version whatever was stored last; with no current (or a third version
  // current) the row stored last, not the newer version.
  for (const [series, current, winner] of [
    ['HB_NORTH', OLD, OLD],
    ['HB_NORTH', NEW, NEW],
    ['HB_NORTH', null, NEW],
    ['HB_WEST', NEW, NEW],
    ['HB_WEST', OLD, OLD],
    ['HB_WEST', null, OLD],
    ['HB_WEST', '20261203T000000000Z-tfjs-cccc', OLD],
  ] as const) {
    it(`${series}, current ${current ?? 'none'}: every pick returns ${winner === OLD ? 'the older' : 'the newer'} version`, async () => {
      const r = await pool.query<{ n: string }>('SELECT count(DISTINCT stored_at) AS n FROM forecasts WHERE market = $1 AND series_id = $2', [market, series]);
      assert.equal(Number(r.rows[0]!.n), 2, 'the two versions were stored apart (the case this test is about)');
      for (const pick of [{ latest: true }, { issuedBy: ISSUED }, { covering: ISSUED + H / 2 }, { latestTarget: true }] as const) {
        const f = await storedForecast(pool, market, series, 'RT_PRICE', pick, current);
        assert.equal(f?.modelVersion, winner, `pick ${JSON.stringify(pick)}`);
      }
      const rows = await forecastsBesideActuals(pool, { market, seriesId: series, kind: 'RT_PRICE', limit: 5, current });
      // Values: 10 for the row stored first, 20 for the one stored later (insertForecastsStoredApart).
      assert.deepEqual(rows.map((x) => [x.modelVersion, x.predicted]), [[winner, winner === STORED_FIRST[series] ? 10 : 20]]);
    });
  }

  it("the dashboard's rows: a rollback to the version stored first shows that version's forecast", async () => {
    for (const [current, winner, v0] of [[OLD, OLD, 10], [NEW, NEW, 20]] as const) {
      await writeFile(path.join(registry, CURRENT_FILE), `${current}\n`);
      const h = await seriesHistory(pool, { market, series: 'HB_NORTH', kind: 'RT_PRICE', hours: 6, registryDir: registry });
      assert.deepEqual([h?.forecast.modelVersions, h?.forecast.v[0], h?.latestCurve?.modelVersion], [[winner], v0, winner], `current ${current}`);
    }
  });
});
