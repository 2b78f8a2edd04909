// trace: 4.3, D.numbers-from-tools
// "What did bess-north do yesterday?" comes from the dispatch table, not a fresh plan (fresh tester's finding): the
// dispatcher's schedules stored in PostgreSQL (dispatch_schedules, written by the dispatch sink's own upsert,
// sinks/postgres/dispatch-sink.ts writeDispatchSchedules) under this test's own market are read back by
// reports/schedules.ts storedSchedules and stitched as the battery followed them (rag/dispatch-answer.ts dispatchFact).
// With none stored the answer says so and names the backtest. Real PostgreSQL from the shared stack.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createPool } from '../../platform/postgres/pool.js';
import { dispatchFact } from '../../rag/dispatch-answer.js';
import { parseIntent } from '../../rag/intent.js';
import { storedSchedules } from '../../reports/schedules.js';
import type { DispatchSchedule } from '../../schemas/types.js';
import { writeDispatchSchedules } from '../../sinks/postgres/dispatch-sink.js';
import { config, uniqueName } from './harness.js';

const H = 3_600_000;
const DAY = Date.UTC(2024, 6, 2, 5); // 2024-07-02 00:00 CDT: "yesterday"
const CLOCK = DAY + 36 * H; // 2024-07-03 12:00 CDT, the market clock

/** A schedule of bess-north from `start`, 24 hourly steps, charging / discharging 10 MW at the offsets given, at `price` $/MWh. */
function schedule(market: string, model: string, start: number, charge: number[], discharge: number[], price: number): DispatchSchedule {
  const n = 24;
  return {
    market, assetId: 'bess-north', settlementPoint: 'HB_NORTH', strategy: 'forecast', modelVersion: model, forecastIssuedAt: start - H, forecastInputEnd: start, startAt: start, stepMs: H,
    chargeMw: Array.from({ length: n }, (_, k) => (charge.includes(k) ? 10 : 0)), dischargeMw: Array.from({ length: n }, (_, k) => (discharge.includes(k) ? 10 : 0)),
    socMwh: Array.from({ length: n }, () => 1), prices: Array.from({ length: n }, () => price), initialSocMwh: 1, cycleEnergyUsedMwh: 0, expectedRevenue: 0, revenueAtP10: null, revenueAtP90: null,
    powerMw: 10, energyMwh: 20, roundTripEfficiency: 0.85, milp: false,
  };
}

describe('a battery\'s past day from the stored schedules', () => {
  const market = `T${uniqueName('dstored').slice(-8).toUpperCase()}`;
  const pool = createPool(config, 2);
  const intent = (q: string) => parseIntent(q, CLOCK, { series: new Map([['HB_NORTH', ['RT_PRICE']]]), assets: new Map([['bess-north', 'HB_NORTH']]) });

  after(async () => {
    await pool.query('DELETE FROM dispatch_schedules WHERE market = $1', [market]);
    await pool.end();
  });

  it('says none is stored, naming the backtest, before the dispatcher stored any', async () => {
    const [f] = await dispatchFact(pool, market, intent('What did bess-north do yesterday?'), CLOCK);
    assert.equal(f!.id, 'dispatch:unavailable');
    assert.equal(f!.text, 'No battery schedule is stored for yesterday (2024-07-02 00:00 CT to 2024-07-03 00:00 CT): the dispatch table (dispatch_schedules) holds no schedule of bess-north from the live pipeline or a backtest run covering it; for what bess-north could have earned, a backtest that re-plans the period hour by hour on the forecasts then issued and settles that on actual prices (not the stored schedules): run sda backtest --from 2024-07-02T05:00Z --to 2024-07-03T05:00Z --asset bess-north.');
  });

  it('reads the live schedules of yesterday, stitched, and a backtest run\'s only when the live ones are missing', async () => {
    const model = uniqueName('m').slice(-10);
    // A backtest run first: it alone covers yesterday.
    await writeDispatchSchedules(pool, 'bt', [schedule(market, model, DAY, [1], [20], 40)]);
    const [bt] = await dispatchFact(pool, market, intent('What did bess-north do yesterday?'), CLOCK);
    assert.match(bt!.id, /^dispatch-stored:bess-north:bt:2024-07-02T05:00:00\.000Z$/, bt!.text);
    assert.match(bt!.text, /as it was scheduled: 1 stored schedule of backtest run bt \(sda backtest --run bt; the live dispatcher stored none for it\)/);
    // The live dispatcher's two schedules (00:00 and 12:00): charge HE 3-4 from the first, discharge HE 20-21 from the second.
    await writeDispatchSchedules(pool, '', [schedule(market, model, DAY, [2, 3], [18, 19], 20), schedule(market, model, DAY + 12 * H, [], [7, 8], 60)]);
    const rows = await storedSchedules(pool, market, 'bess-north', DAY, DAY + 24 * H);
    assert.deepEqual(rows.map((r) => [r.run, r.startAt]), [['', DAY], ['', DAY + 12 * H], ['bt', DAY]]);
    const [f] = await dispatchFact(pool, market, intent('What did bess-north do yesterday?'), CLOCK);
    assert.equal(f!.id, 'dispatch-stored:bess-north:live:2024-07-02T05:00:00.000Z', f!.text);
    assert.match(f!.text, new RegExp(`^Battery bess-north \\(10 MW / 20 MWh at HB_NORTH\\), yesterday \\(2024-07-02 00:00 CT to 2024-07-03 00:00 CT\\), as it was scheduled: 2 stored schedules of the live dispatcher, on model ${model}'s forecasts issued 2024-07-01 23:00 CT to 2024-07-02 11:00 CT\\. Charge HE 3-4, discharge HE 20-21; 20\\.0 MWh in, 20\\.0 MWh out, 1\\.0 MWh stored at the end; \\$800 at the forecast prices it was scheduled on\\. `));
    // Another market's rows are not read.
    assert.deepEqual(await storedSchedules(pool, `${market}X`, 'bess-north', DAY, DAY + 24 * H), []);
  });
});
