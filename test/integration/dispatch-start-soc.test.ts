// trace: 8.1, 4.3, D.dispatcher, D.numbers-from-tools, D.market-clock
// A plan for a day already begun starts from the battery's real state of charge (fresh tester's HIGH finding: GET
// /dispatch?asset=bess-north&day=today answered initialSocMwh 1, "charge none, discharge none", while the live
// dispatcher's stored schedule on the same forecast started at 19 MWh; /query said "discharge none" too). GET /dispatch
// and the responder's dispatch fact both plan through reports/day-plan.ts planDay: the state at the plan's first
// interval by the live dispatcher's newest stored schedule (processors/dispatcher/plan.ts stateAt), and the plan says
// where it came from. Real PostgreSQL from the shared stack, rows under this test's own market.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { AD_HOC_ASSET_ID } from '../../dispatch/assets-config.js';
import { dispatchApi } from '../../gateway/dispatch-api.js';
import { centralLabel } from '../../market/format.js';
import { createPool } from '../../platform/postgres/pool.js';
import { dispatchFact } from '../../rag/dispatch-answer.js';
import { parseIntent } from '../../rag/intent.js';
import type { DispatchSchedule } from '../../schemas/types.js';
import { writeDispatchSchedules } from '../../sinks/postgres/dispatch-sink.js';
import { writeForecasts } from '../../sinks/postgres/forecasts-sink.js';
import { config, uniqueName } from './harness.js';

const H = 3_600_000;
// The forecast's first interval, 2024-07-01 23:00Z = 18:00 CDT (the market clock): HE 19-24 of the day are left.
const T = Date.UTC(2024, 6, 1, 23);
// Today's hours left fall (no spread to trade on from an empty battery); tomorrow: cheap night, dear HE 19-21.
const VALUES = [120, 120, 40, 35, 30, 25, ...Array.from({ length: 30 }, (_, k) => (k < 6 ? 15 : k >= 18 && k <= 20 ? 120 : 35))];

/** The live dispatcher's schedule of bess-north in `market` on the forecast issued at T, idle at `soc` MWh through the 36 hours. */
function idle(soc: number, market = ''): DispatchSchedule {
  const n = VALUES.length;
  return {
    market, assetId: 'bess-north', settlementPoint: 'HB_NORTH', strategy: 'forecast', modelVersion: 'soc-test', forecastIssuedAt: T, forecastInputEnd: T, startAt: T, stepMs: H,
    chargeMw: Array(n).fill(0), dischargeMw: Array(n).fill(0), socMwh: Array(n).fill(soc), prices: VALUES, initialSocMwh: soc, cycleEnergyUsedMwh: 0,
    expectedRevenue: 0, revenueAtP10: null, revenueAtP90: null, powerMw: 10, energyMwh: 20, roundTripEfficiency: 0.85, milp: false,
  };
}

describe('a plan for a day already begun starts from the live dispatcher\'s state of charge', () => {
  const market = `T${uniqueName('soc').slice(-8).toUpperCase()}`;
  // Another market with a battery of the same id (config/assets.json's ids are per deployment, not global).
  const otherMarket = `${market}X`;
  const pool = createPool(config, 2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-soc-'));
  const assetsFile = path.join(dir, 'assets.json');
  let url = '';
  let server: ReturnType<ReturnType<typeof express>['listen']> | undefined;
  const get = async (q: string) => {
    const r = await fetch(`${url}/dispatch?${q}`);
    assert.equal(r.status, 200, q);
    return (await r.json()) as {
      day: string; initialSocMwh: number; initialSocSource: string; chargeHours: string; dischargeHours: string; dischargedMwh: number; intervals: Array<{ start: string }>; noTradeReason: string | null;
      dispatcherSchedule: { strategy: string; forecastIssuedAt: string; forecastInputEnd: string; start: string; initialSocMwh: number; socMwh: number[] } | null;
    };
  };

  before(async () => {
    // bess-north as config/assets.json has it, in this test's market.
    fs.writeFileSync(assetsFile, JSON.stringify({ assets: [{ id: 'bess-north', settlementPoint: 'HB_NORTH', market, powerMw: 10, energyMwh: 20, roundTripEfficiency: 0.85, minSoc: 0.05, maxSoc: 0.95, initialSoc: 0.05, dailyCycleLimit: 2, degradationCostPerMwh: 2 }] }));
    await writeForecasts(pool, [{ market, seriesId: 'HB_NORTH', kind: 'RT_PRICE', modelVersion: 'soc-test', issuedAt: T, targetStart: T, stepMs: H, values: VALUES, unit: '$/MWh', inputStart: T - 24 * H, inputEnd: T, p10: null, p90: null, stepSources: null }]);
    const app = express().use(dispatchApi({ pool, assetsFile }));
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await pool.query('DELETE FROM dispatch_schedules WHERE market = ANY($1::text[])', [[market, otherMarket]]);
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without a stored schedule: the configured initial state, and the plan says so', async () => {
    const p = await get('asset=bess-north&day=today');
    assert.equal(p.initialSocMwh, 1);
    assert.match(p.initialSocSource, /^no live dispatcher schedule of bess-north is stored, so the battery's initial state of charge setting, 5%$/);
    assert.equal(p.dischargeHours, 'none');
  });

  it('GET /dispatch today and tomorrow, and /query\'s fact, start from the stored schedule\'s state of charge', async () => {
    // The live dispatcher's schedule on the same forecast: 19 MWh at 23:00Z, held (idle) through the 36 hours.
    const live = idle(19, market);
    // A backtest run's schedule of the same battery is never the live state.
    await writeDispatchSchedules(pool, 'bt', [{ ...live, initialSocMwh: 5, socMwh: Array(VALUES.length).fill(5) }]);
    await writeDispatchSchedules(pool, '', [live]);
    const today = await get('asset=bess-north&day=today');
    assert.equal(today.day, '2024-07-01');
    assert.equal(today.intervals.length, 6, 'only the hours left of the day (HE 19-24)');
    assert.equal(today.initialSocMwh, 19);
    assert.match(today.initialSocSource, /^the live dispatcher's schedule on forecast soc-test issued 2024-07-01 18:00 CT, at 2024-07-01 18:00 CT$/);
    // 18 MWh above the 1 MWh floor sell at $120 (HE 19-20): 18 x sqrt(0.85) = 16.6 MWh at the grid.
    assert.equal(today.dischargeHours, 'HE 19-20');
    assert.ok(Math.abs(today.dischargedMwh - 18 * Math.sqrt(0.85)) < 1e-3, String(today.dischargedMwh));
    assert.equal(today.noTradeReason, null);
    // Tomorrow starts where the stored schedule is at the Central midnight.
    const tomorrow = await get('asset=bess-north');
    assert.equal(tomorrow.day, '2024-07-02');
    assert.equal(tomorrow.initialSocMwh, 19);
    assert.match(tomorrow.initialSocSource, /at 2024-07-02 00:00 CT$/);
    // /query: the same plan on the market clock 18:00 CDT.
    const intent = parseIntent('What should bess-north do today?', T, { series: new Map([['HB_NORTH', ['RT_PRICE']]]), assets: new Map([['bess-north', 'HB_NORTH']]) });
    const [f] = await dispatchFact(pool, market, intent, T);
    assert.match(f!.text, /charge none, discharge HE 19-20; 0\.0 MWh in, 16\.6 MWh out/, f!.text);
    assert.match(f!.text, /It starts at 19\.0 MWh stored \(the live dispatcher's schedule on forecast soc-test issued 2024-07-01 18:00 CT, at 2024-07-01 18:00 CT\)\.$/, f!.text);
    assert.ok(f!.values.some((v) => v.measure === 'initialSocMwh' && v.value === 19), 'the starting state of charge is a fact value');
  });

  it("GET /dispatch's dispatcherSchedule is the row its start state came from (the battery's market, input ended by the plan's start, P50 first)", async () => {
    // Beside the schedule of the test above (P50, input end T, 19 MWh), rows that a read of "the asset's newest
    // schedule" without those bounds returned instead: the same asset id in another market, input ended later;
    // the mean strategy on the same forecast and first interval; and a schedule whose input ended an hour after
    // today's plan starts (T): today's plan cannot have followed it, tomorrow's does.
    await writeDispatchSchedules(pool, '', [
      { ...idle(7, otherMarket), forecastIssuedAt: T + 2 * H, forecastInputEnd: T + 2 * H, startAt: T + 2 * H },
      { ...idle(3, market), strategy: 'forecast:mean' },
      { ...idle(11, market), forecastIssuedAt: T + H, forecastInputEnd: T + H, startAt: T + H },
    ]);
    const today = await get('asset=bess-north&day=today');
    assert.equal(today.initialSocMwh, 19);
    assert.deepEqual(
      [today.dispatcherSchedule?.strategy, today.dispatcherSchedule?.forecastInputEnd, today.dispatcherSchedule?.initialSocMwh],
      ['forecast', new Date(T).toISOString(), 19],
    );
    assert.ok(today.initialSocSource.includes(`issued ${centralLabel(Date.parse(today.dispatcherSchedule!.forecastIssuedAt))}`), today.initialSocSource);
    const tomorrow = await get('asset=bess-north');
    assert.equal(tomorrow.initialSocMwh, 11);
    assert.deepEqual(
      [tomorrow.dispatcherSchedule?.strategy, tomorrow.dispatcherSchedule?.forecastInputEnd, tomorrow.dispatcherSchedule?.start, tomorrow.dispatcherSchedule?.initialSocMwh],
      ['forecast', new Date(T + H).toISOString(), new Date(T + H).toISOString(), 11],
    );
    assert.ok(tomorrow.initialSocSource.includes(`issued ${centralLabel(Date.parse(tomorrow.dispatcherSchedule!.forecastIssuedAt))}`), tomorrow.initialSocSource);
    // An ad-hoc battery has no dispatcher schedule.
    const adHoc = await get(`series=HB_NORTH&power=10&energy=20&day=today&market=${market}`);
    assert.equal(adHoc.dispatcherSchedule, null);
  });

  it('an ad-hoc battery starts from its configured state and reads no stored schedule, not even one of asset id adhoc', async () => {
    // Reviewer (2026-12-02): the ad-hoc battery's id is 'adhoc', and the plan read the live schedules of asset_id
    // 'adhoc'; a battery of that id (an asset file from before the id was reserved) gave it its state of charge.
    await writeDispatchSchedules(pool, '', [{ ...idle(13, market), assetId: AD_HOC_ASSET_ID }]);
    // Its initial setting is the configured bess-north's (at HB_NORTH), 5% of 20 MWh.
    for (const day of ['today', 'tomorrow']) {
      const adHoc = await get(`series=HB_NORTH&power=10&energy=20&day=${day}&market=${market}`);
      assert.equal(adHoc.initialSocMwh, 1, `${day}: the configured initial state, not the stored 13 MWh`);
      assert.notEqual(adHoc.initialSocMwh, 13);
      assert.equal(adHoc.initialSocSource, 'an ad-hoc battery, which follows no live dispatcher schedule, so its initial state of charge setting, 5%');
      assert.equal(adHoc.dispatcherSchedule, null);
    }
    // A configured battery still starts from its own stored schedule (the 19 MWh of the test above).
    assert.equal((await get('asset=bess-north&day=today')).initialSocMwh, 19);
  });

  it("/query's battery described by size starts from its configured state and reads no stored schedule, not even one of its own id", async () => {
    // /query's ad-hoc battery has the id adhoc-<power>mw-<energy>mwh-<point> (rag/dispatch-answer.ts dispatchFact) and
    // planned through the live schedules of that asset id; a schedule stored under it gave the battery its state.
    const id = 'adhoc-10mw-20mwh-HB_NORTH';
    await writeDispatchSchedules(pool, '', [{ ...idle(13, market), assetId: id }]);
    // config/assets.json's bess-north (the battery whose other settings a battery described by size takes): 5% of 20 MWh.
    const source = 'an ad-hoc battery, which follows no live dispatcher schedule, so its initial state of charge setting, 5%';
    for (const [day, when] of [['today', 'today'], ['tomorrow', 'tomorrow']] as const) {
      const intent = parseIntent(`What should a 10 MW / 20 MWh battery at HB_NORTH do ${when}?`, T, { series: new Map([['HB_NORTH', ['RT_PRICE']]]), assets: new Map([['bess-north', 'HB_NORTH']]) });
      assert.deepEqual(intent.battery, { powerMw: 10, energyMwh: 20 });
      const [f] = await dispatchFact(pool, market, intent, T);
      assert.match(f!.id, new RegExp(`^dispatch:${id}:`), `${day}: ${f!.text}`);
      assert.ok(f!.text.endsWith(`It starts at 1.0 MWh stored (${source}).`), `${day}: ${f!.text}`);
      const soc = f!.values.find((v) => v.measure === 'initialSocMwh');
      assert.equal(soc?.value, 1, `${day}: the configured 1 MWh, not the stored 13 MWh`);
    }
    // GET /dispatch's ad-hoc battery (bess-north's settings too, dispatch/assets-config.ts adHocBattery) says so in the same words.
    const adHoc = await get(`series=HB_NORTH&power=10&energy=20&day=today&market=${market}`);
    assert.equal(adHoc.initialSocSource, source);
  });

  it('GET /dispatch and /query plan a battery described by size the same: the configured battery\'s settings, said where from', async () => {
    // Fresh tester (2026-12-02): "a 37 MW / 111 MWh battery at HB_SOUTH" took bess-north's settings in /query (SoC
    // 5-95%, starting at 5%, 2 cycles a day, $2/MWh: charge HE 8-10, $776) and the asset defaults in GET /dispatch (0-100%,
    // no limit, $0: HE 7-10, $1,061). No battery is configured at HB_SOUTH, so both take the first one's, bess-north.
    await writeForecasts(pool, [{ market, seriesId: 'HB_SOUTH', kind: 'RT_PRICE', modelVersion: 'soc-test', issuedAt: T, targetStart: T, stepMs: H, values: VALUES, unit: '$/MWh', inputStart: T - 24 * H, inputEnd: T, p10: null, p90: null, stepSources: null }]);
    const body = (await (await fetch(`${url}/dispatch?series=HB_SOUTH&power=37&energy=111&market=${market}`)).json()) as {
      day: string; initialSocMwh: number; expectedRevenue: number; chargeHours: string; dischargeHours: string; intervals: Array<{ chargeMw: number; dischargeMw: number }>;
      asset: { minSoc: number; maxSoc: number; initialSoc: number; dailyCycleLimit: number | null; degradationCostPerMwh: number; roundTripEfficiency: number };
      adHocSettings: { from: string; reason: string; settings: Record<string, number | null>; efficiencyGiven: boolean } | null;
    };
    assert.deepEqual(body.adHocSettings, {
      from: 'bess-north', reason: 'the first configured battery; none is configured at HB_SOUTH', efficiencyGiven: false,
      settings: { roundTripEfficiency: 0.85, minSoc: 0.05, maxSoc: 0.95, initialSoc: 0.05, dailyCycleLimit: 2, degradationCostPerMwh: 2 },
    });
    assert.deepEqual(
      [body.asset.minSoc, body.asset.maxSoc, body.asset.initialSoc, body.asset.dailyCycleLimit, body.asset.degradationCostPerMwh],
      [0.05, 0.95, 0.05, 2, 2],
    );
    assert.ok(Math.abs(body.initialSocMwh - 0.05 * 111) < 1e-9, String(body.initialSocMwh));
    const intent = parseIntent('What should a 37 MW / 111 MWh battery at HB_SOUTH do tomorrow?', T, {
      series: new Map([['HB_NORTH', ['RT_PRICE']], ['HB_SOUTH', ['RT_PRICE']]]), assets: new Map([['bess-north', 'HB_NORTH']]),
    });
    assert.deepEqual(intent.battery, { powerMw: 37, energyMwh: 111 });
    const [f] = await dispatchFact(pool, market, intent, T);
    const fact = (m: string) => f!.values.find((v) => v.measure === m)?.value;
    assert.ok(f!.text.includes(`charge ${body.chargeHours}, discharge ${body.dischargeHours}`), `${body.chargeHours} / ${body.dischargeHours}: ${f!.text}`);
    assert.ok(Math.abs(fact('expectedRevenue')! - body.expectedRevenue) < 1e-6, `${fact('expectedRevenue')} vs ${body.expectedRevenue}`);
    assert.ok(Math.abs(fact('initialSocMwh')! - body.initialSocMwh) < 1e-9);
    // Hour by hour: the charge and discharge MW /query states are GET /dispatch's.
    const traded = body.intervals.flatMap((iv) => (iv.chargeMw > 1e-6 ? [iv.chargeMw] : iv.dischargeMw > 1e-6 ? [iv.dischargeMw] : []));
    const facts = f!.values.filter((v) => v.measure === 'chargeMw' || v.measure === 'dischargeMw').map((v) => v.value);
    assert.equal(facts.length, traded.length, f!.text);
    facts.forEach((x, i) => assert.ok(Math.abs(x - traded[i]!) < 1e-6, `${i}: ${x} vs ${traded[i]}`));
    assert.ok(traded.length > 0, 'the plan trades');
    // efficiency= replaces only the round trip, and says so.
    const lossless = (await (await fetch(`${url}/dispatch?series=HB_SOUTH&power=37&energy=111&efficiency=1&market=${market}`)).json()) as typeof body;
    assert.equal(lossless.asset.roundTripEfficiency, 1);
    assert.equal(lossless.asset.minSoc, 0.05);
    assert.equal(lossless.adHocSettings?.efficiencyGiven, true);
    assert.equal(lossless.adHocSettings?.settings.roundTripEfficiency, undefined);
    // At a settlement point a battery is configured at, that battery's settings.
    const north = (await (await fetch(`${url}/dispatch?series=HB_NORTH&power=37&energy=111&market=${market}`)).json()) as typeof body;
    assert.equal(north.adHocSettings?.reason, 'the configured battery at HB_NORTH');
  });
});
