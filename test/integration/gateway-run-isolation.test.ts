// trace: D.run-scoped
// A run-scoped backtest's rows (market `run.NAME.<market>`, platform/kafka/topics.ts runMarket) stay out of the live
// views: against the shared stack, a live row and a run row of the same series with a later interval and a later
// ingest time are stored; GET /api/overview (its last tick, last interval and prices table), GET /api/series and
// /query's market list (rag/tools.ts allMarketStates) show the live row only, while the live history still reads.
// The ingest times are far in the future so no other row of the shared database is later than this test's.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { isRunMarket, runMarket } from '../../platform/kafka/topics.js';
import { createPool } from '../../platform/postgres/pool.js';
import { allMarketStates } from '../../rag/tools.js';
import { config, uniqueName } from './harness.js';

const QUARTER = 900_000;
const LIVE_START = Date.UTC(2098, 5, 28, 23, 45);
const RUN_START = Date.UTC(2098, 6, 20, 23, 45);
const LIVE_INGESTED = '2099-06-29T00:00:00.000Z';
const RUN_INGESTED = '2099-07-21T00:00:00.000Z';

interface SeriesLatest { market: string; series: string; intervalEnd: string; ingestedAt: string; value: number }

describe('a run\'s rows stay out of the live views', () => {
  const id = uniqueName('x').slice(-8);
  const live = `L${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const run = `leak-${id}`;
  const runM = runMarket(live, run);
  const series = 'HB_RUNLEAK';
  const pool = createPool(config, 2);
  let registry: string;
  let gw: RunningGateway;

  const getJson = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${gw.url}${p}`);
    assert.equal(res.status, 200, `${p}: ${res.status}`);
    return (await res.json()) as T;
  };

  before(async () => {
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       SELECT u.m, $5, 'HUB', 'RT_PRICE', u.a, u.a + interval '15 minutes', u.v, 'USD/MWh', 'test', u.i
       FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::timestamptz[]) AS u(m, a, v, i)`,
      [[live, runM], [new Date(LIVE_START), new Date(RUN_START)], [31.25, 26.5], [LIVE_INGESTED, RUN_INGESTED], series],
    );
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-runleak-registry-'));
    gw = await startGateway(config, { port: 0, registryDir: registry, liveFeed: false, poolSize: 2 });
  });

  after(async () => {
    await gw?.close();
    await pool.query('DELETE FROM market_data WHERE market = ANY($1::text[]) AND series_id = $2', [[live, runM], series]);
    await pool.end();
    if (registry) await rm(registry, { recursive: true, force: true });
  });

  it('the stored run row is there (the test would prove nothing otherwise)', async () => {
    const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM market_data WHERE market = $1 AND series_id = $2', [runM, series]);
    assert.equal(r.rows[0]!.n, 1);
    assert.ok(isRunMarket(runM) && !isRunMarket(live));
  });

  it('GET /api/overview: last tick, last interval and prices table are the live row\'s', async () => {
    const o = await getJson<{ prices: SeriesLatest[]; pipeline: { lastTickIngestedAt: string | null; lastIntervalEnd: string | null } }>('/api/overview');
    assert.equal(o.pipeline.lastTickIngestedAt, LIVE_INGESTED, 'the run row (ingested later) set the last tick');
    assert.equal(o.pipeline.lastIntervalEnd, new Date(LIVE_START + QUARTER).toISOString());
    const mine = o.prices.filter((p) => p.series === series);
    assert.deepEqual(mine.map((p) => [p.market, p.value]), [[live, 31.25]], 'the prices table shows the live row only');
    assert.deepEqual(o.prices.filter((p) => isRunMarket(p.market)).map((p) => p.market), [], 'no run market in the prices table');
  });

  it('GET /api/series lists the live series only', async () => {
    const s = await getJson<{ series: SeriesLatest[] }>('/api/series?kind=RT_PRICE');
    assert.deepEqual(s.series.filter((x) => x.series === series).map((x) => x.market), [live]);
    assert.deepEqual(s.series.filter((x) => isRunMarket(x.market)).map((x) => x.market), [], 'no run market in the series list');
  });

  it('GET /api/history of the live series still reads its row', async () => {
    const h = await getJson<{ market: string; actual: { t: number[]; v: number[] } }>(`/api/history?market=${live}&series=${series}&hours=2`);
    assert.equal(h.market, live);
    assert.deepEqual(h.actual.v, [31.25]);
  });

  it('/query\'s market list (allMarketStates) names the live market, not the run\'s', async () => {
    const skipped: string[] = [];
    const states = await allMarketStates(pool, 'ERCOT', (m, err) => skipped.push(`${m}: ${err.message}`));
    assert.deepEqual(skipped, []);
    assert.ok(states.has(live), 'the live market is listed');
    assert.deepEqual([...states.keys()].filter(isRunMarket), [], 'no run market listed');
  });
});
