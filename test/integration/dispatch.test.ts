// trace: 8.1, D.dispatcher, D.exactly-once
// Dispatch in the stream and the backtest over a run-scoped topic set, against the real Kafka, registry and
// PostgreSQL: forecasts on run.NAME.forecasts -> the dispatcher -> run.NAME.dispatch (exactly once, a poison record
// dead-lettered) -> dispatch_schedules rows with run = NAME; the backtest settles those schedules on the actual
// prices, agrees with the engine's own rolling horizon, and gives the same figures when run again.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dispatchReportLines } from '../../cli/demo-dispatch.js';
import { planDayAhead } from '../../dispatch/day-ahead.js';
import { startGateway } from '../../gateway/server.js';
import { makeBattery } from '../../dispatch/asset.js';
import { hourlyPrices, runBacktest } from '../../dispatch/backtest.js';
import { loadSolver } from '../../dispatch/optimiser.js';
import { backtestJson } from '../../dispatch/report.js';
import { actualsFromSimulator, readTopic } from '../../processors/dispatcher/backtest-sources.js';
import { runBacktestJob } from '../../processors/dispatcher/backtest-job.js';
import { startDispatcher } from '../../processors/dispatcher/processor.js';
import type { DeadLetter, DispatchSchedule, Forecast } from '../../schemas/types.js';
import { writeForecasts } from '../../sinks/postgres/forecasts-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { createProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { topicSet } from '../../platform/kafka/topics.js';
import { config, createTestTopic, deleteTestTopics, withAdmin } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SIM = { start: Date.UTC(2024, 6, 1, 5), days: 6, seed: 5 };

describe('dispatch: run-scoped forecasts -> dispatcher -> run.NAME.dispatch -> dispatch_schedules, and the backtest on them', () => {
  const run = `t13-${randomUUID().slice(0, 8)}`;
  const topics = topicSet(run);
  const pool = createPool(config, 2);
  const asset = makeBattery({ id: `it-${run}`, settlementPoint: 'HB_NORTH', powerMw: 10, energyMwh: 20, roundTripEfficiency: 0.85, dailyCycleLimit: 2, degradationCostPerMwh: 1 });
  let p: Provisioned;
  let forecasts: Forecast[];

  before(async () => {
    p = await provision(config, 'sda-test-dispatch');
    await createTestTopic(topics.forecasts.name, 3);
    // Forecasts as a forecaster writes them: hourly issues, 36 hourly steps of the simulated actuals with a
    // deterministic error, P10/P90 around them; from day 2 on (day 1 is the persistence strategy's history).
    const points = actualsFromSimulator(SIM, 'HB_NORTH');
    const { curve } = hourlyPrices(points, SIM.start, SIM.start + SIM.days * DAY);
    forecasts = [];
    for (let i = 24; i < curve.prices.length - 1; i++) {
      const t = SIM.start + i * HOUR;
      const values = curve.prices.slice(i, i + 36).map((v, k) => v * (1 + 0.15 * Math.sin(i * 7 + k)));
      const base = { market: 'ERCOT', kind: 'RT_PRICE' as const, modelVersion: 'test-model', issuedAt: t, targetStart: t, stepMs: HOUR, unit: '$/MWh', inputStart: t - DAY, inputEnd: t };
      forecasts.push({ ...base, seriesId: 'HB_NORTH', values, p10: values.map((v) => v - 5), p90: values.map((v) => v + 5), stepSources: null });
      if (i % 12 === 0) forecasts.push({ ...base, seriesId: 'HB_WEST', values, p10: null, p90: null, stepSources: null });
    }
    const producer = createProducer(p.kafka, { transactionalId: `test-dispatch-${run}` });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: topics.forecasts.name, messages: forecasts.map((f) => ({ key: f.seriesId, value: p.serde.encode(p.writers.forecasts, f) })) });
    await tx.send({ topic: topics.forecasts.name, messages: [{ key: 'HB_NORTH', value: Buffer.from('not avro') }] });
    await tx.commit();
    await producer.disconnect();
  });

  after(async () => {
    await pool.query('DELETE FROM dispatch_schedules WHERE run = $1', [run]);
    await pool.end();
    const existing = new Set(await withAdmin((admin) => admin.listTopics()));
    await deleteTestTopics(Object.values(topics).map((t) => t.name).filter((t) => existing.has(t)));
  });

  it('publishes one schedule per forecast issue exactly once, stores them, and backtests them deterministically', async () => {
    const northForecasts = forecasts.filter((f) => f.seriesId === 'HB_NORTH');
    const opts = {
      assets: [asset],
      fromMs: SIM.start + DAY,
      toMs: SIM.start + (SIM.days - 1) * DAY,
      strategies: ['forecast', 'baseline', 'persistence', 'perfect'] as const,
      actuals: { kind: 'simulator' as const, ...SIM },
      run,
      allowLookahead: true,
    };
    const first = await runBacktestJob(config, { ...opts, strategies: [...opts.strategies] }, p);

    // The stream leg: one schedule per HB_NORTH forecast, none for HB_WEST, the poison record dead-lettered.
    const published = await readTopic<DispatchSchedule>(p, topics.dispatch.name, p.writers.dispatch);
    assert.equal(published.length, northForecasts.length);
    assert.equal(first.schedules, northForecasts.length);
    assert.ok(published.every((s) => s.assetId === asset.id && s.settlementPoint === 'HB_NORTH' && s.revenueAtP10 !== null));
    const letters = await readTopic<DeadLetter>(p, topics.deadLetters.name, p.writers.deadLetters);
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.reasonCode, 'wire-format');
    // Rolling horizon: each schedule starts where the previous one had the battery an hour later.
    const ordered = [...published].sort((a, b) => a.startAt - b.startAt);
    for (let k = 1; k < ordered.length; k++) {
      assert.ok(Math.abs(ordered[k]!.initialSocMwh - ordered[k - 1]!.socMwh[0]!) < 1e-6, `schedule ${k} starts at ${ordered[k]!.initialSocMwh} MWh, previous reached ${ordered[k - 1]!.socMwh[0]} MWh`);
    }
    const rows = await pool.query<{ n: string; revenue: number }>('SELECT count(*) AS n, sum(expected_revenue) AS revenue FROM dispatch_schedules WHERE run = $1 AND asset_id = $2', [run, asset.id]);
    assert.equal(Number(rows.rows[0]!.n), northForecasts.length);
    const sumPublished = published.reduce((a, s) => a + s.expectedRevenue, 0);
    assert.ok(Math.abs(rows.rows[0]!.revenue - sumPublished) < 1e-6);

    // Settlement: perfect foresight bounds every strategy; the stitched stream schedules are the engine's rolling horizon.
    const r = first.results[0]!;
    const by = Object.fromEntries(r.strategies.map((s) => [s.name, s]));
    for (const s of r.strategies) assert.ok(s.netRevenue <= by.perfect!.netRevenue + 0.01, `${s.name} above perfect foresight`);
    // Every hour had a schedule to follow (zero-power hours the schedules chose are idleIntervals, not this).
    assert.equal(by.forecast!.noInputIntervals, 0);
    const highs = await loadSolver();
    const points = actualsFromSimulator(SIM, 'HB_NORTH');
    const { curve } = hourlyPrices(points, SIM.start, opts.toMs);
    const engine = runBacktest(highs, { asset, grid: { actual: curve, fromMs: opts.fromMs, toMs: opts.toMs }, forecasts: northForecasts, strategies: ['forecast'] });
    assert.ok(Math.abs(engine.strategies[0]!.netRevenue - by.forecast!.netRevenue) < 1e-3, `engine ${engine.strategies[0]!.netRevenue} vs stream ${by.forecast!.netRevenue}`);

    // Again: nothing new on the topic or in the table, the same figures.
    const second = await runBacktestJob(config, { ...opts, strategies: [...opts.strategies] }, p);
    assert.equal((await readTopic<DispatchSchedule>(p, topics.dispatch.name, p.writers.dispatch)).length, northForecasts.length);
    assert.deepEqual(second.results.map((x) => backtestJson(x)), first.results.map((x) => backtestJson(x)));
    const rows2 = await pool.query<{ n: string }>('SELECT count(*) AS n FROM dispatch_schedules WHERE run = $1', [run]);
    assert.equal(Number(rows2.rows[0]!.n), northForecasts.length);
  });

  it('restores each asset\'s latest schedule from its output topic after a restart', async () => {
    const d = await startDispatcher(config, { assets: [asset], inputTopic: topics.forecasts.name, outputTopic: topics.dispatch.name, deadLetterTopic: topics.deadLetters.name, groupId: `sda-dispatcher.run.${run}` }, p);
    try {
      assert.equal(d.counts.restored, 1);
      const latest = d.latest().get(asset.id)!;
      assert.equal(latest.startAt, Math.max(...forecasts.filter((f) => f.seriesId === 'HB_NORTH').map((f) => f.targetStart)));
    } finally {
      await d.stop();
    }
  });
});

describe('GET /dispatch', () => {
  const market = `T${randomUUID().slice(0, 8).toUpperCase().replace(/-/g, '')}`;
  const pool = createPool(config, 2);
  // A forecast issued at 2024-07-01 05:00Z (midnight CDT), 36 hourly steps: cheap at night, dear in the evening.
  const start = Date.UTC(2024, 6, 1, 5);
  const values = Array.from({ length: 36 }, (_, h) => ((h % 24) >= 18 && (h % 24) <= 20 ? 120 : (h % 24) <= 5 ? 15 : 35));

  before(async () => {
    await writeForecasts(pool, [{
      market, seriesId: 'HB_NORTH', kind: 'RT_PRICE', modelVersion: 'gw-test', issuedAt: start, targetStart: start, stepMs: HOUR, values,
      unit: '$/MWh', inputStart: start - DAY, inputEnd: start, p10: values.map((v) => v - 10), p90: values.map((v) => v + 10), stepSources: null,
    }]);
    // A settlement point with prices but no forecast.
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       VALUES ($1, 'HB_DATAONLY', 'HUB', 'RT_PRICE', $2, $3, 42, 'USD/MWh', 'test', $3)`,
      [market, new Date(start), new Date(start + 900_000)],
    );
  });

  after(async () => {
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
    await pool.end();
  });

  it('plans an ad-hoc battery on the latest forecast, and answers bad requests with 400s that say what to do', async () => {
    const gw = await startGateway(config, { port: 0, liveFeed: false });
    try {
      const res = await fetch(`${gw.url}/dispatch?series=HB_NORTH&market=${market}&power=10&energy=20&efficiency=1&day=today`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        day: string; intervals: Array<{ hourEnding: number; chargeMw: number; dischargeMw: number }>; chargedMwh: number; dischargedMwh: number; expectedRevenue: number; revenueAtP10: number; forecast: { modelVersion: string };
        asset: { roundTripEfficiency: number; minSoc: number; maxSoc: number; initialSoc: number; dailyCycleLimit: number | null; degradationCostPerMwh: number }; adHocSettings: { from: string } | null;
      };
      assert.equal(body.day, '2024-07-01');
      assert.equal(body.forecast.modelVersion, 'gw-test');
      assert.equal(body.intervals.length, 24);
      // The ad-hoc battery takes config/assets.json's battery at HB_NORTH's operating settings (dispatch/assets-config.ts
      // adHocBattery), efficiency= aside: it buys from its initial state up to its highest SoC at $15 overnight and
      // sells down to its lowest at $120 in hours ending 19-21, less the degradation cost on what it sells (bess-north:
      // 1 -> 19 MWh, 18 MWh bought, 18 MWh sold, 18 x 120 - 18 x 15 - 18 x $2 = $1,854).
      const a = body.asset;
      assert.equal(body.adHocSettings?.from, 'bess-north');
      assert.equal(a.roundTripEfficiency, 1);
      assert.ok(a.dailyCycleLimit === null || a.dailyCycleLimit >= 1, 'one full cycle is allowed');
      const bought = (a.maxSoc - a.initialSoc) * 20;
      const sold = (a.maxSoc - a.minSoc) * 20;
      assert.ok(Math.abs(body.chargedMwh - bought) < 1e-6 && Math.abs(body.dischargedMwh - sold) < 1e-6, `${body.chargedMwh} / ${body.dischargedMwh}`);
      assert.ok(Math.abs(body.expectedRevenue - (sold * 120 - bought * 15 - sold * a.degradationCostPerMwh)) < 1e-3, String(body.expectedRevenue));
      assert.ok(Math.abs(body.revenueAtP10 - (sold * 110 - bought * 5 - sold * a.degradationCostPerMwh)) < 1e-3, String(body.revenueAtP10));
      for (const iv of body.intervals) {
        if (iv.dischargeMw > 0) assert.ok(iv.hourEnding >= 19 && iv.hourEnding <= 21, `discharge at HE ${iv.hourEnding}`);
        if (iv.chargeMw > 0) assert.ok(iv.hourEnding <= 6, `charge at HE ${iv.hourEnding}`);
      }
      assert.equal((body as unknown as { noTradeReason: unknown }).noTradeReason, null, 'a plan that trades has no reason to give');
      // At 10% round trip, $15 energy sold at $120 returns $12: nothing pays, and the plan says why (fresh tester: "$0" with no reason);
      // the break-even adds the inherited degradation cost.
      const lossy = (await (await fetch(`${gw.url}/dispatch?series=HB_NORTH&market=${market}&power=10&energy=20&efficiency=0.1&day=today`)).json()) as { chargeHours: string; noTradeReason: string | null };
      assert.equal(lossy.chargeHours, 'none');
      assert.match(lossy.noTradeReason ?? '', /^No charge or discharge: .*buying at \$15\.00\/MWh \(HE \d+\) and selling at \$120\.00\/MWh \(HE (?:19|20|21)\), but energy bought at \$15\.00\/MWh pays only when sold above \$152\.00\/MWh \(the buy price \/ 0\.1 \+ \$2\.00\/MWh/, 'bess-north\'s $2/MWh degradation cost is inherited');
      const tomorrow = await fetch(`${gw.url}/dispatch?series=HB_NORTH&market=${market}&power=10&energy=20`);
      assert.equal(tomorrow.status, 200);
      assert.equal(((await tomorrow.json()) as { coveredHours: number }).coveredHours, 12);
      const lower = await fetch(`${gw.url}/dispatch?series=hb_north&market=${market.toLowerCase()}&power=10&energy=20&day=today`);
      assert.equal(lower.status, 200, 'series and market in lower case are the stored upper case');
      assert.equal(((await lower.json()) as { asset: { settlementPoint: string } }).asset.settlementPoint, 'HB_NORTH');
      const bad = async (query: string, status: number, pattern: RegExp, error?: string, param?: string) => {
        const r = await fetch(`${gw.url}/dispatch?${query}`);
        assert.equal(r.status, status, query);
        const b = (await r.json()) as { error: string; detail: string; param?: string };
        assert.match(b.detail, pattern, query);
        if (error !== undefined) assert.equal(b.error, error, query);
        // A 400 about a parameter names it in `param`, as the schema's own 400s do (the body shape of validate.ts).
        if (param !== undefined) assert.deepEqual(Object.keys(b).sort(), ['detail', 'error', 'param'], query);
        if (param !== undefined) assert.equal(b.param, param, query);
      };
      await bad('', 400, /asset=/, 'bad_request', 'asset');
      // A missing parameter of an ad-hoc battery is named, like any other validation error (the tester's power=10 without energy).
      await bad('series=HB_NORTH&power=10', 400, /^energy is required for an ad-hoc battery/, 'bad_request', 'energy');
      await bad('series=HB_NORTH&energy=20', 400, /^power is required/, 'bad_request', 'power');
      await bad('power=10&energy=20', 400, /^series is required/, 'bad_request', 'series');
      // Given empty is a 400 naming the parameter, not "missing" and not a default.
      await bad('series=HB_NORTH&power=10&energy=', 400, /^energy is given empty/, 'bad_request', 'energy');
      await bad('series=HB_NORTH&power=10&energy=20&efficiency=', 400, /^efficiency is given empty/, 'bad_request', 'efficiency');
      await bad('series=HB_NORTH&power=10&energy=20&day=', 400, /^day is given empty; .*leave day out for tomorrow/, 'bad_request', 'day');
      await bad('asset=', 400, /^asset is given empty/, 'bad_request', 'asset');
      await bad('series=HB_NORTH&power=-1&energy=20', 400, /power/);
      await bad('series=HB_NORTH&power=0&energy=20', 400, /0 < power <= 10000/);
      await bad('series=HB_NORTH&power=1e400&energy=20', 400, /power must be a decimal number/);
      await bad('series=HB_NORTH&power=10&energy=20&efficiency=1.5', 400, /efficiency/);
      await bad('asset=bess-north&series=HB_NORTH&power=1&energy=2', 400, /not both/, 'bad_request', 'asset');
      await bad('asset=nope', 404, /configured/);
      await bad(`series=HB_NOWHERE&market=${market}&power=10&energy=20`, 404, /^unknown series HB_NOWHERE: .*include HB_DATAONLY, HB_NORTH$/, 'unknown_series');
      await bad(`series=HB_DATAONLY&market=${market}&power=10&energy=20`, 404, /^HB_DATAONLY \(\w+, RT_PRICE\) is not forecast; the forecaster predicts HB_NORTH /, 'no_forecast');
      // Asset ids and enums are case-insensitive (README writes P50).
      const upper = await fetch(`${gw.url}/dispatch?asset=BESS-NORTH&basis=P50&day=Tomorrow`);
      assert.notEqual(upper.status, 400, 'basis=P50, day=Tomorrow are read');
      assert.ok(!/unknown_asset/.test(await upper.text()), 'asset=BESS-NORTH is bess-north');
      await bad('series=HB_NORTH&power=10&energy=20&foo=1', 400, /unknown/);
      const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      assert.ok(doc.paths['/dispatch'] && doc.paths['/api/assets'], '/dispatch and /api/assets are documented');
      const assets = (await (await fetch(`${gw.url}/api/assets`)).json()) as { assets: Array<{ id: string }> };
      assert.ok(assets.assets.some((a) => a.id === 'bess-north'));
      // The dashboard's dispatch panel is served.
      const page = await (await fetch(`${gw.url}/`)).text();
      assert.match(page, /dispatch-panel\.js/);
      assert.equal((await fetch(`${gw.url}/dispatch-panel.js`)).status, 200);
    } finally {
      await gw.close();
    }
  });
});

describe('the demo\'s dispatch step, on stored data of its own market', () => {
  const market = `D${randomUUID().slice(0, 8).toUpperCase().replace(/-/g, '')}`;
  const pool = createPool(config, 2);
  const asset = makeBattery({ id: 'demo-test', market, settlementPoint: 'HB_NORTH', powerMw: 10, energyMwh: 20, dailyCycleLimit: 2 });
  let latest: Forecast;

  before(async () => {
    const points = actualsFromSimulator(SIM, 'HB_NORTH');
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       SELECT $1, 'HB_NORTH', 'HUB', 'RT_PRICE', t, t + interval '15 minutes', v, '$/MWh', 'test', now() FROM unnest($2::timestamptz[], $3::float8[]) AS u(t, v)`,
      [market, points.map(([t]) => new Date(t)), points.map(([, v]) => v)],
    );
    const { curve } = hourlyPrices(points, SIM.start, SIM.start + SIM.days * DAY);
    const fs: Forecast[] = [];
    for (let i = 24; i < curve.prices.length; i += 6) {
      const t = SIM.start + i * HOUR;
      const values = Array.from({ length: 36 }, (_, k) => curve.prices[Math.min(i + k, curve.prices.length - 1)]! * 0.95 + 1);
      fs.push({ market, seriesId: 'HB_NORTH', kind: 'RT_PRICE', modelVersion: 'demo-test', issuedAt: t, targetStart: t, stepMs: HOUR, values, unit: '$/MWh', inputStart: t - DAY, inputEnd: t, p10: null, p90: null, stepSources: null });
    }
    await writeForecasts(pool, fs);
    latest = fs[fs.length - 1]!;
  });

  after(async () => {
    await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.end();
  });

  it('prints the backtest table of the stored days and tomorrow\'s schedule', async () => {
    const plan = planDayAhead(await loadSolver(), asset, latest, 'today');
    const lines = await dispatchReportLines(config, pool, asset, plan);
    const text = lines.join('\n');
    for (const s of ['| forecast |', '| baseline |', '| persistence |', '| perfect |', '100.0%', 'in-sample', 'HE  price']) assert.ok(text.includes(s), `missing ${s} in\n${text}`);
    assert.equal(lines.filter((l) => /^ {1,2}\d{1,2} /.test(l)).length, plan!.intervals.length);
    // The line says where the plan's starting state of charge came from (fresh tester: a plan from 1 MWh while the battery held 19).
    assert.ok(text.includes(`from ${plan!.initialSocMwh.toFixed(1)} MWh stored (${plan!.initialSocSource}): charge `), text);
  });
});
