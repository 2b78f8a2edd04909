// trace: D.numbers-from-tools
// Fresh-clone tester's finding: "What did bess-north do yesterday?" was read as a summary of no series and answered
// "There is no real-time price data for the named series, yesterday (...)" though the day's prices were stored. A
// question naming a configured battery about what it does or did is a dispatch question (rag/intent.ts); the battery
// names its settlement point (MarketCatalog.assets); a past day is answered with the plan made for it on the forecast
// issued by its start, saying it is a plan, not what the battery did, and naming the backtest that settles the day
// (rag/dispatch-answer.ts askedDay {past}, dispatchFact).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import { SQL_FORECAST_ISSUED_BY } from '../../reports/forecasts.js';
import { askedDay, dispatchFact } from '../../rag/dispatch-answer.js';
import { type MarketCatalog, parseIntent } from '../../rag/intent.js';
import { UK_CLOCK } from '../../market/zone-clock.js';

const H = 3_600_000;
const CLOCK = Date.UTC(2024, 5, 20, 17); // 2024-06-20 12:00 CDT: the market clock; yesterday is 2024-06-19
const Y_START = Date.UTC(2024, 5, 19, 5); // 2024-06-19 00:00 CDT
const catalog: MarketCatalog = {
  series: new Map<string, string[]>([
    ...['HB_HOUSTON', 'HB_NORTH', 'HB_WEST'].map((s) => [s, ['RT_PRICE', 'DAM_PRICE']] as [string, string[]]),
    ['SYSTEM', ['LOAD', 'WIND', 'SOLAR']],
  ]),
  assets: new Map([['bess-north', 'HB_NORTH'], ['bess-west', 'HB_WEST']]),
};
const intent = (q: string) => parseIntent(q, CLOCK, catalog);

describe('a question naming a configured battery about a day', () => {
  for (const q of ['What did bess-north do yesterday?', 'what should bess-north do yesterday?', 'What is bess-north doing today?', 'bess-north yesterday']) {
    it(`reads "${q}" as dispatch for bess-north at HB_NORTH`, () => {
      const i = intent(q);
      assert.equal(i.measure, 'dispatch');
      assert.deepEqual(i.assetNames, ['bess-north']);
      assert.deepEqual(i.series, ['HB_NORTH']);
    });
  }

  it('gives a data question naming a battery its settlement point instead of no series', () => {
    const i = intent('Were prices at bess-north negative yesterday?');
    assert.equal(i.measure, 'negative');
    assert.deepEqual(i.series, ['HB_NORTH']);
    const m = intent('What was the average price at bess-west yesterday?');
    assert.equal(m.measure, 'mean');
    assert.deepEqual(m.series, ['HB_WEST']);
    // Without the asset map (no engine, no asset file) no settlement point is invented; the battery is still named.
    const bare = parseIntent('What did bess-north do yesterday?', CLOCK, { series: catalog.series });
    assert.deepEqual([bare.measure, bare.series, bare.assetNames], ['dispatch', [], ['bess-north']]);
  });

  it('reads yesterday as that past day, not tomorrow', () => {
    assert.deepEqual(askedDay(intent('What did bess-north do yesterday?'), CLOCK), { past: { date: '2024-06-19', from: Y_START, to: Y_START + 24 * H, label: 'yesterday' } });
    const evening = askedDay(intent('What did bess-north do yesterday evening?'), CLOCK);
    assert.ok('past' in evening && evening.past.date === '2024-06-19' && evening.past.window?.from === Y_START + 18 * H, JSON.stringify(evening));
    // Several past days are not one day's plan.
    assert.ok('other' in askedDay(intent('What did bess-north do last week?'), CLOCK));
  });
});

describe('a past day is answered with the plan made for it before it began', () => {
  // The pool answers only the issued-by query, and only for the start of yesterday: a forecast issued at 23:00 the
  // day before, for 36 hours from yesterday's 00:00.
  const asks: unknown[][] = [];
  const pool = {
    query: async (sql: string, params: unknown[]) => {
      asks.push(params);
      if (sql !== SQL_FORECAST_ISSUED_BY) return { rows: [] };
      if ((params[3] as Date).getTime() !== Y_START) return { rows: [] };
      return { rows: [{ model_version: 'm1', issued_at: new Date(Y_START - H), input_start: new Date(Y_START - 24 * H), input_end: new Date(Y_START), target_start: new Date(Y_START), step_ms: H, values: Array.from({ length: 36 }, (_, i) => 20 + (i % 24) * 3), p10: null, p90: null, step_sources: null, unit: 'USD/MWh' }] };
    },
  } as unknown as pg.Pool;

  it('plans yesterday on the forecast issued by its start, says so, and names the backtest', async () => {
    const [f] = await dispatchFact(pool, 'ERCOT', intent('What did bess-north do yesterday?'), CLOCK);
    assert.equal(f!.id, 'dispatch:bess-north:2024-06-19:m1', f!.text);
    assert.ok(f!.text.startsWith('Battery bess-north, yesterday (2024-06-19 00:00 CT to 2024-06-20 00:00 CT): the plan made for 2024-06-19 before it began, on the newest HB_NORTH forecast issued by 2024-06-19 00:00 CT (issued 2024-06-18 23:00 CT); plans look forward, so this is what was planned, not what the battery did; to see what bess-north would have done on 2024-06-19 settled on actual prices, run sda backtest --from 2024-06-19T05:00Z --to 2024-06-20T05:00Z --asset bess-north. '), f!.text);
    assert.doesNotMatch(f!.text, /no (?:real-time )?price data/);
    // Its sources: that forecast's snapshot, of HB_NORTH, for yesterday.
    assert.deepEqual({ series: f!.basis!.series, from: f!.basis!.from, to: f!.basis!.to }, { series: 'HB_NORTH', from: Y_START, to: Y_START + 24 * H });
    assert.equal(f!.basis!.documents[0]!.id, `forecast-snapshot:ERCOT:HB_NORTH:RT_PRICE:${new Date(Y_START).toISOString()}`);
    assert.ok(asks.some((p) => p[1] === 'HB_NORTH' && (p[3] as Date).getTime() === Y_START));
  });

  it('says plainly when no forecast was issued before the day, with the backtest', async () => {
    const none = { query: async () => ({ rows: [] }) } as unknown as pg.Pool;
    const [f] = await dispatchFact(none, 'ERCOT', intent('What should bess-north do yesterday?'), CLOCK);
    assert.equal(f!.id, 'dispatch:unavailable');
    assert.equal(f!.text, 'I cannot show a battery plan for yesterday (2024-06-19 00:00 CT to 2024-06-20 00:00 CT): there is no price forecast for HB_NORTH issued by 2024-06-19 00:00 CT, the start of that day (plans look forward: a day is planned on the forecasts issued before it); to see what bess-north would have done on 2024-06-19 settled on actual prices, run sda backtest --from 2024-06-19T05:00Z --to 2024-06-20T05:00Z --asset bess-north.');
  });
});

// Reviewer (M1, M4, L8 on 832b4b3): a past period that is not one Central day fell through to tomorrow's plan; an
// ad-hoc battery's backtest named a configured one; a market on another clock refused a past question naming tomorrow.
describe('a period already over is never answered with tomorrow', () => {
  const none = { query: async () => ({ rows: [] }) } as unknown as pg.Pool;
  const cases: Array<[string, number, number, string]> = [
    // last night: 2024-06-19 18:00 CDT to 2024-06-20 06:00 CDT (across midnight, so not one past day)
    ['What did bess-north do last night?', Y_START + 18 * H, Y_START + 30 * H, 'last night (2024-06-19 18:00 CT to 2024-06-20 06:00 CT)'],
    ['What did bess-north do between 10 pm and 2 am last night?', Y_START + 18 * H, Y_START + 30 * H, 'last night (2024-06-19 18:00 CT to 2024-06-20 06:00 CT)'],
    // the last 3 hours: today 09:00 to 12:00 CDT, before the market clock
    ['What did bess-north do in the last 3 hours?', CLOCK - 3 * H, CLOCK, 'the last 3 hours (2024-06-20 09:00 CT to 2024-06-20 12:00 CT)'],
  ];
  for (const [q, from, to, named] of cases) {
    it(`"${q}" says plans look forward and names the backtest for that period`, async () => {
      const asked = askedDay(intent(q), CLOCK);
      assert.ok('elapsed' in asked && asked.elapsed.from === from && asked.elapsed.to === to, JSON.stringify(asked));
      const [f] = await dispatchFact(none, 'ERCOT', intent(q), CLOCK);
      const utc = (t: number) => `${new Date(t).toISOString().slice(0, 16)}Z`;
      assert.equal(f!.id, 'dispatch:unavailable');
      assert.equal(f!.text, `I cannot show a battery plan for ${named}: plans look forward (they are made for today and tomorrow, or shown for one past day as planned before it began), so no plan covers a period already over; to see what bess-north would have done in it settled on actual prices, run sda backtest --from ${utc(from)} --to ${utc(to)} --asset bess-north.`);
      assert.doesNotMatch(f!.text, /tomorrow \(/);
    });
  }

  it('an ad-hoc battery\'s backtest is by its size and settlement point, not a configured battery', async () => {
    const q = 'Should I have charged my 10 MW / 20 MWh battery at HB_WEST yesterday?';
    assert.equal(intent(q).measure, 'dispatch');
    const [f] = await dispatchFact(none, 'ERCOT', intent(q), CLOCK);
    assert.match(f!.text, /run sda backtest --from 2024-06-19T05:00Z --to 2024-06-20T05:00Z --power 10 --energy 20 --series HB_WEST\.$/, f!.text);
    assert.doesNotMatch(f!.text, /--asset/);
    const [g] = await dispatchFact(none, 'ERCOT', intent('Should I have charged my 10 MW / 20 MWh battery at HB_WEST last night?'), CLOCK);
    assert.match(g!.text, /what your battery would have done in it settled on actual prices, run sda backtest --from 2024-06-19T23:00Z --to 2024-06-20T11:00Z --power 10 --energy 20 --series HB_WEST\.$/, g!.text);
  });

  it('a market on another clock names the past day asked, not tomorrow', async () => {
    const uk = parseIntent('What did bess-north do yesterday?', CLOCK, { ...catalog, clock: UK_CLOCK });
    const [f] = await dispatchFact(none, 'GB', uk, CLOCK);
    assert.equal(f!.id, 'dispatch:unavailable');
    assert.match(f!.text, /^I cannot schedule a battery for yesterday \(2024-06-19 00:00 UK to 2024-06-20 00:00 UK\): /, f!.text);
    assert.doesNotMatch(f!.text, /tomorrow/);
  });
});
