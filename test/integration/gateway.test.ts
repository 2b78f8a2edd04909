// trace: D.gateway
// The HTTP gateway on an ephemeral port against the real PostgreSQL (rows under a market of this test's own) and
// the real Kafka and registry for /healthz.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MODEL_FILE } from '../../model/contract.js';
import { setCurrent, writeVersion } from '../../model/registry.js';
import { randomModelMetadata } from '../../processors/forecaster/random-model.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { writeForecasts } from '../../sinks/postgres/forecasts-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { loadConfig } from '../../platform/config.js';
import { config, uniqueName } from './harness.js';

const HOUR = 3_600_000;
const S = Date.UTC(2024, 6, 1, 12);
const iso = (t: number) => new Date(t).toISOString();

describe('gateway: GET /forecast and /healthz', () => {
  const market = `G${uniqueName('x').slice(-8).toUpperCase()}`;
  // A second market of this test's own holding a series the first does not (as GB holds TAYLOR_EW and ERCOT does not).
  const otherMarket = `${market}B`;
  const foreignSeries = `TAYLOR_${market}`;
  const pool = createPool(config, 2);
  let gw: RunningGateway;
  let registry: string;

  const get = async (pathAndQuery: string) => {
    const res = await fetch(`${gw.url}${pathAndQuery}`);
    const text = await res.text();
    assert.match(res.headers.get('content-type') ?? '', /application\/json/, `${pathAndQuery} answers JSON`);
    assert.doesNotMatch(text, /\bat [\w.<>]+ \(|node_modules|\.js:\d+/, 'no stack trace in the answer');
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  };

  before(async () => {
    const base = { market, kind: 'RT_PRICE' as const, stepMs: HOUR, unit: 'USD/MWh' };
    await writeForecasts(pool, [
      // A: from the window ending at S, horizons [S, S+4h)
      { ...base, seriesId: 'HB_NORTH', modelVersion: 'v1', issuedAt: S + 60_000, targetStart: S, values: [10, 20, 30, 40], inputStart: S - 24 * HOUR, inputEnd: S },
      // B: an hour later, horizons [S+1h, S+5h)
      { ...base, seriesId: 'HB_NORTH', modelVersion: 'v1', issuedAt: S + HOUR + 60_000, targetStart: S + HOUR, values: [11, 21, 31, 41], inputStart: S - 23 * HOUR, inputEnd: S + HOUR },
      // C: the same window as B by an older version, issued earlier
      { ...base, seriesId: 'HB_NORTH', modelVersion: 'v0', issuedAt: S + HOUR + 30_000, targetStart: S + HOUR, values: [-1, -2, -3, -4], inputStart: S - 23 * HOUR, inputEnd: S + HOUR },
      // Q: a 36-step forecast with quantiles; horizon 24 served by a baseline
      {
        ...base, seriesId: 'HB_SOUTH', modelVersion: 'q1', issuedAt: S + 60_000, targetStart: S, inputStart: S - 24 * HOUR, inputEnd: S,
        values: Array.from({ length: 36 }, (_, i) => 100 + i), p10: Array.from({ length: 36 }, (_, i) => 90 + i), p90: Array.from({ length: 36 }, (_, i) => 120 + i),
        stepSources: Array.from({ length: 36 }, (_, i) => (i === 23 ? 'baseline:same_hour_yesterday' : 'lstm')),
      },
    ]);
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       VALUES ($1, 'HB_DATAONLY', 'HUB', 'RT_PRICE', $2, $3, 42, 'USD/MWh', 'test', $3)`,
      [market, new Date(S), new Date(S + 900_000)],
    );
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       VALUES ($1, $2, 'HUB', 'LOAD', $3, $4, 42, 'MW', 'test', $4)`,
      [otherMarket, foreignSeries, new Date(S), new Date(S + 900_000)],
    );
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-gw-registry-'));
    gw = await startGateway(config, { port: 0, registryDir: registry });
  });

  after(async () => {
    await gw?.close();
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.query('DELETE FROM market_data WHERE market = ANY($1::text[])', [[market, otherMarket]]);
    await pool.end();
    await rm(registry, { recursive: true, force: true });
  });

  it('answers the newest-issued forecast whose interval contains `at`', async () => {
    const r = await get(`/forecast?series=HB_NORTH&market=${market}&at=${iso(S + 2 * HOUR + 30 * 60_000)}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      series: 'HB_NORTH', market, kind: 'RT_PRICE', modelVersion: 'v1',
      interval: { start: iso(S + 2 * HOUR), end: iso(S + 3 * HOUR) },
      predicted: 21, unit: 'USD/MWh', issuedAt: iso(S + HOUR + 60_000),
      inputs: { start: iso(S - 23 * HOUR), end: iso(S + HOUR) }, horizonStep: 2, horizon: 4,
      p10: null, p90: null, source: 'model',
      steps: [11, 21, 31, 41].map((v, i) => ({ h: i + 1, start: iso(S + (i + 1) * HOUR), end: iso(S + (i + 2) * HOUR), p10: null, p50: v, p90: null, source: 'model' })),
    });
    // An offset other than Z, and kind given explicitly.
    const offset = await get(`/forecast?series=HB_NORTH&market=${market}&kind=RT_PRICE&at=2024-07-01T09:00:00-05:00`); // = S + 2h
    assert.equal(offset.status, 200);
    assert.equal(offset.body.predicted, 21);
    // Only A covers S + 30 min.
    const early = await get(`/forecast?series=HB_NORTH&market=${market}&at=${iso(S + 30 * 60_000)}`);
    assert.equal(early.body.predicted, 10);
    assert.equal(early.body.horizonStep, 1);
    // Interval ends are exclusive: A covers [S, S+4h), so at S+4h only B (its fourth step) does.
    const edge = await get(`/forecast?series=HB_NORTH&market=${market}&at=${iso(S + 4 * HOUR)}`);
    assert.equal(edge.body.predicted, 41);
    assert.equal(edge.body.horizonStep, 4);
    // Just before: both cover it and B, issued later, wins over A's last step.
    const before = await get(`/forecast?series=HB_NORTH&market=${market}&at=${iso(S + 4 * HOUR - 1)}`);
    assert.equal(before.body.predicted, 31);
  });

  it('serves the whole 36-hour curve with P10/P50/P90 and each step\'s source; `at` selects any hour in it', async () => {
    const latest = await get(`/forecast?series=HB_SOUTH&market=${market}`);
    assert.equal(latest.status, 200);
    const steps = latest.body.steps as Array<Record<string, unknown>>;
    assert.equal(steps.length, 36);
    assert.deepEqual(steps[0], { h: 1, start: iso(S), end: iso(S + HOUR), p10: 90, p50: 100, p90: 120, source: 'lstm' });
    assert.deepEqual(steps[35], { h: 36, start: iso(S + 35 * HOUR), end: iso(S + 36 * HOUR), p10: 125, p50: 135, p90: 155, source: 'lstm' });
    assert.equal(steps[23]!.source, 'baseline:same_hour_yesterday');
    assert.equal(latest.body.predicted, 100);
    assert.equal(latest.body.p10, 90);
    assert.equal(latest.body.p90, 120);
    // Hour 24 of the curve (a baseline served it) and the last hour.
    const h24 = await get(`/forecast?series=HB_SOUTH&market=${market}&at=${iso(S + 23 * HOUR + 15 * 60_000)}`);
    assert.deepEqual([h24.body.horizonStep, h24.body.predicted, h24.body.p10, h24.body.p90, h24.body.source], [24, 123, 113, 143, 'baseline:same_hour_yesterday']);
    const h36 = await get(`/forecast?series=HB_SOUTH&market=${market}&at=${iso(S + 35 * HOUR)}`);
    assert.deepEqual([h36.body.horizonStep, h36.body.horizon, h36.body.predicted], [36, 36, 135]);
    const past = await get(`/forecast?series=HB_SOUTH&market=${market}&at=${iso(S + 36 * HOUR)}`);
    assert.equal(past.status, 404);
  });

  it('reads series, market and kind in any case as the stored upper case', async () => {
    const lower = await get(`/forecast?series=hb_north&market=${market.toLowerCase()}&kind=rt_price`);
    assert.equal(lower.status, 200, JSON.stringify(lower.body));
    assert.deepEqual([lower.body.series, lower.body.market, lower.body.kind, lower.body.predicted], ['HB_NORTH', market, 'RT_PRICE', 11]);
    const mixed = await get(`/api/history?series=Hb_North&market=${market.toLowerCase()}`);
    assert.equal(mixed.status, 200, JSON.stringify(mixed.body));
    // The dashboard's newest curve is /forecast's newest forecast (B, issued last), read by the same stored-forecast query.
    assert.deepEqual(mixed.body.latestCurve, {
      t: [1, 2, 3, 4].map((h) => (S + h * HOUR) / 1_000), v: [11, 21, 31, 41], issuedAt: iso(S + HOUR + 60_000), modelVersion: 'v1', p10: null, p90: null, sources: null,
    });
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { paths: Record<string, { get: { parameters: Array<{ name: string; description: string; schema: Record<string, unknown> }> } }> };
    const series = doc.paths['/forecast']!.get.parameters.find((p) => p.name === 'series')!;
    assert.equal(series.schema['x-case-insensitive'], true);
    assert.match(series.description, /Case-insensitive/);
  });

  it('without `at`, answers the newest forecast\'s first interval', async () => {
    const r = await get(`/forecast?series=HB_NORTH&market=${market}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.predicted, 11);
    assert.equal(r.body.horizonStep, 1);
    assert.deepEqual(r.body.interval, { start: iso(S + HOUR), end: iso(S + 2 * HOUR) });
  });

  it('refuses bad parameters with 400 and a JSON reason', async () => {
    const bad = [
      `/forecast?market=${market}`,
      '/forecast?series=',
      '/forecast?series=hb_n%C3%B6rth',
      `/forecast?series=${encodeURIComponent("HB_NORTH';DROP TABLE forecasts;--")}`,
      `/forecast?series=HB_NORTH&series=HB_WEST`,
      `/forecast?series=${'A'.repeat(65)}`,
      '/forecast?series=HB_NORTH&at=yesterday',
      '/forecast?series=HB_NORTH&at=2024-02-30T00:00:00Z',
      '/forecast?series=HB_NORTH&at=2024-07-01T12:00:00',
      '/forecast?series=HB_NORTH&at=1999-12-31T23:00:00Z',
      '/forecast?series=HB_NORTH&at=2100-01-01T00:00:00Z',
      '/forecast?series=HB_NORTH&kind=PRICE',
      '/forecast?series=HB_NORTH&market=ercot%27',
      '/forecast?series=HB_NORTH&limit=5',
    ];
    for (const q of bad) {
      const r = await get(q);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error, 'bad_request', q);
      assert.equal(typeof r.body.detail, 'string', q);
    }
    // Any parameter given empty is a 400 naming it: `at=` is not "the latest" (the tester's finding), `series=` not "missing".
    for (const [q, param] of [['series=HB_NORTH&at=', 'at'], ['series=', 'series'], ['series=HB_NORTH&kind=', 'kind'], ['series=HB_NORTH&market=', 'market']] as const) {
      const r = await get(`/forecast?${q}`);
      assert.equal(r.status, 400, q);
      assert.deepEqual(r.body, { error: 'bad_request', param, detail: r.body.detail }, q);
      assert.match(String(r.body.detail), new RegExp(`^${param} is given empty; `), q);
    }
    // A well-formed date that does not exist says so, not "not ISO-8601".
    const feb30 = await get('/forecast?series=HB_NORTH&at=2024-02-30T00:00:00Z');
    assert.equal(feb30.body.param, 'at');
    assert.equal(feb30.body.detail, 'at "2024-02-30T00:00:00Z" is not a valid time: 2024-02-30 does not exist: February 2024 has 29 days');
    const count = await pool.query<{ n: string }>('SELECT count(*) AS n FROM forecasts WHERE market = $1', [market]);
    assert.equal(Number(count.rows[0]!.n), 4, 'the table is untouched');
  });

  it('answers 404 for an unknown series and, distinctly, for a known series with no forecast at that time', async () => {
    const unknown = await get(`/forecast?series=NO_SUCH_SERIES&market=${market}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'unknown_series');
    assert.match(String(unknown.body.detail), /unknown series NO_SUCH_SERIES: .*known series in \w+ include HB_DATAONLY, HB_NORTH, HB_SOUTH$/, 'names the series it knows');
    const late = await get(`/forecast?series=HB_NORTH&market=${market}&at=${iso(S + 10 * 24 * HOUR)}`);
    assert.equal(late.status, 404);
    assert.equal(late.body.error, 'no_forecast');
    // The 404 says where the time lies and what the stored forecasts cover: HB_NORTH's rows cover [S, S+5h), issued S+1m to S+1h1m.
    const span = `the stored forecasts cover ${iso(S)} to ${iso(S + 5 * HOUR)} (issued ${iso(S + 60_000)} to ${iso(S + HOUR + 60_000)})`;
    assert.equal(late.body.detail, `no forecast of HB_NORTH (${market}, RT_PRICE) covers ${iso(S + 10 * 24 * HOUR)}: it is after the last forecast interval; ${span}`);
    const far = await get(`/forecast?series=HB_NORTH&market=${market}&at=2099-01-01T00:00:00Z`);
    assert.equal(far.status, 404);
    assert.equal(far.body.detail, `no forecast of HB_NORTH (${market}, RT_PRICE) covers 2099-01-01T00:00:00.000Z: it is after the last forecast interval; ${span}`);
    const early = await get(`/forecast?series=HB_NORTH&market=${market}&at=${iso(S - HOUR)}`);
    assert.equal(early.status, 404);
    assert.equal(early.body.detail, `no forecast of HB_NORTH (${market}, RT_PRICE) covers ${iso(S - HOUR)}: it is before the first forecast interval; ${span}`);
    // A series of another market (TAYLOR_EW asked in ERCOT): the answer names its market and how to ask there.
    const foreign = await get(`/forecast?series=${foreignSeries}&market=${market}`);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error, 'unknown_series');
    assert.equal(foreign.body.detail, `unknown series ${foreignSeries} in market ${market}: ${foreignSeries} is a series of market ${otherMarket}; ask with market=${otherMarket}`);
    const dataOnly = await get(`/forecast?series=HB_DATAONLY&market=${market}`);
    assert.equal(dataOnly.status, 404);
    assert.equal(dataOnly.body.error, 'no_forecast', 'a series with market data but no forecast is known');
    // The forecaster covers other series of the market: the answer says this one is not forecast, and which are.
    assert.match(String(dataOnly.body.detail), /^HB_DATAONLY \(\w+, RT_PRICE\) is not forecast; the forecaster predicts HB_NORTH, HB_SOUTH /);
    const otherKind = await get(`/forecast?series=HB_NORTH&market=${market}&kind=LOAD`);
    assert.equal(otherKind.body.error, 'no_forecast');
    assert.match(String(otherKind.body.detail), /has no forecast yet/, 'no LOAD forecast of any series: not yet, rather than not forecast');
    // A series with market data of another kind only (as SYSTEM has load, no price): no data of that kind, not "train a model".
    const noDataOfKind = await get(`/forecast?series=HB_DATAONLY&market=${market}&kind=LOAD`);
    assert.equal(noDataOfKind.status, 404);
    assert.equal(noDataOfKind.body.error, 'no_forecast');
    assert.equal(noDataOfKind.body.detail, `HB_DATAONLY (${market}) has no LOAD data, so there is no LOAD forecast for it; its market data is RT_PRICE (ask for kind=RT_PRICE)`);
    // market given empty is a 400, not ERCOT's answer.
    const emptyMarket = await get('/forecast?series=HB_NORTH&market=');
    assert.equal(emptyMarket.status, 400);
    assert.match(String(emptyMarket.body.detail), /market is given empty/);
    const route = await get('/nowhere');
    assert.equal(route.status, 404);
    assert.equal(route.body.error, 'not_found');
  });

  it('reports each dependency on /healthz', async () => {
    const r = await get('/healthz');
    assert.equal(r.status, 200, 'the stack is up');
    const deps = r.body.dependencies as Record<string, { up: boolean; required: boolean; detail: string; latencyMs: number }>;
    assert.deepEqual(Object.keys(deps).sort(), ['kafka', 'modelRegistry', 'postgres', 'schemaRegistry']);
    for (const name of ['postgres', 'kafka', 'schemaRegistry']) {
      assert.equal(deps[name]!.up, true, `${name}: ${deps[name]!.detail}`);
      assert.equal(deps[name]!.required, true);
      assert.equal(typeof deps[name]!.latencyMs, 'number');
    }
    assert.equal(deps.modelRegistry!.up, false, 'no model yet in the empty registry');
    assert.match(deps.modelRegistry!.detail, /no model in .*; run sda train/);
    assert.equal(r.body.status, 'degraded');

    const meta = randomModelMetadata({ version: 'gw-test-v1', market });
    await writeVersion(registry, meta, { [MODEL_FILE]: new Uint8Array([0]) });
    await setCurrent(registry, meta.version);
    const after = await get('/healthz');
    assert.equal(after.status, 200);
    assert.equal(after.body.status, 'ok');
    const model = (after.body.dependencies as Record<string, { up: boolean; detail: string }>).modelRegistry!;
    assert.equal(model.up, true);
    assert.match(model.detail, /^gw-test-v1 /);
  });

  it('answers 503 in JSON when PostgreSQL cannot be reached', async () => {
    // A real connection failure: nothing listens on this port.
    const down = await startGateway(loadConfig({ ...process.env, PGPORT: '9' }), { port: 0, registryDir: registry });
    try {
      const f = await fetch(`${down.url}/forecast?series=HB_NORTH`);
      assert.equal(f.status, 503);
      assert.equal(((await f.json()) as { error: string }).error, 'unavailable');
      const h = await fetch(`${down.url}/healthz`);
      assert.equal(h.status, 503);
      const body = (await h.json()) as { status: string; dependencies: Record<string, { up: boolean }> };
      assert.equal(body.status, 'down');
      assert.equal(body.dependencies.postgres!.up, false);
      assert.equal(body.dependencies.kafka!.up, true);
    } finally {
      await down.close();
    }
  });
});
