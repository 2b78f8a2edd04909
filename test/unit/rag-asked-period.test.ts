// trace: D.market-clock
// A period the question names is never silently replaced by the last 24 hours (fresh-tester finding, 2026-12-01):
// "in 1999" and "next week" resolve (rag/market-clock.ts), and an answer with no data or no forecast for them names
// the period and what the market holds (rag/responder.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import type { Embedder } from '../../rag/embeddings.js';
import type { ChatModel } from '../../rag/llm.js';
import { type Period, describePeriod, isUnknownPeriod, resolvePeriod } from '../../rag/market-clock.js';
import { Responder } from '../../rag/responder.js';
import { topHoursIn } from '../../rag/intent.js';
import type { VectorStore } from '../../rag/store/store.js';
import { SQL_SERIES_SPAN } from '../../rag/tools.js';
import { SQL_FORECAST_ISSUED_BY, SQL_FORECAST_SERIES } from '../../reports/forecasts.js';

/** 2024-06-24 00:00 CDT, a Monday: the end of the latest stored interval. */
const NOW = Date.UTC(2024, 5, 24, 5);
const FIRST = Date.UTC(2024, 4, 1, 5); // 2024-05-01 00:00 CDT

function period(q: string): Period {
  const p = resolvePeriod(q, NOW);
  assert.ok(p && !isUnknownPeriod(p), `${q}: ${JSON.stringify(p)}`);
  return p;
}

describe('market clock: years, next week, next month', () => {
  it('names CDT/CST for a time of the repeated fall-back hour: "in 1 hour" at 2024-11-03 00:30 CDT (reviewer, 2026-12-02)', () => {
    // 00:30 CDT = 05:30 UTC; the clock hour 1 hour ahead is 01:00 CDT (06:00 UTC) to 01:00 CST (07:00 UTC).
    const p = resolvePeriod('What will HB_NORTH be in 1 hour?', Date.UTC(2024, 10, 3, 5, 30));
    assert.ok(p && !isUnknownPeriod(p));
    assert.deepEqual([p.from, p.to], [Date.UTC(2024, 10, 3, 6), Date.UTC(2024, 10, 3, 7)]);
    assert.equal(describePeriod(p), 'in 1 hour (2024-11-03 01:00 CDT to 2024-11-03 01:00 CST)');
  });

  it('reads "in N hours" after charge/discharge/empty/fill, or with an N-hour battery, as a duration, not a period', () => {
    for (const q of [
      'How much can a 10 MW / 40 MWh battery at HB_NORTH discharge in 4 hours?',
      'Can my battery at HB_WEST fully charge in 2 hours?',
      'Could bess-north empty the battery in 3 hours?',
      'Can a 4-hour battery at HB_NORTH earn more in 4 hours?',
      'How much does a 2h BESS at HB_WEST discharge within 2 hours?',
    ]) assert.equal(resolvePeriod(q, NOW), null, q);
    // Still the clock hour N hours ahead.
    assert.equal(describePeriod(period('What will HB_NORTH be in 3 hours?')), 'in 3 hours (2024-06-24 03:00 CT to 2024-06-24 04:00 CT)');
    assert.equal(period('Should I charge at HB_NORTH 2 hours from now?').rule, 'clock-time');
  });

  it('reads a year written alone as that Central calendar year', () => {
    assert.equal(describePeriod(period('What was the average HB_NORTH price in 1999?')), '1999 (1999-01-01 00:00 CT to 2000-01-01 00:00 CT)');
    assert.equal(period('HB_WEST high during 2024').rule, 'year');
    // Not a quantity, and a written date stays a date.
    assert.equal(resolvePeriod('Did HB_WEST go above 2000 $/MWh?', NOW), null);
    assert.equal(period('HB_WEST on 2024-06-20').rule, 'date');
  });

  it('reads next week and next month as the coming Central week and month', () => {
    assert.equal(describePeriod(period('What is the average HB_NORTH price next week?')), 'next week (2024-07-01 00:00 CT to 2024-07-08 00:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH next month')), 'next month (2024-07-01 00:00 CT to 2024-08-01 00:00 CT)');
  });
});

describe('market clock: weekends, the day after tomorrow, in N days / hours', () => {
  it('reads this / next / last weekend as Saturday 00:00 to Monday 00:00, "the weekend" in the past tense as the last one', () => {
    // NOW is Monday 2024-06-24 00:00 CDT.
    assert.equal(describePeriod(period('HB_NORTH this weekend')), 'this weekend (2024-06-29 00:00 CT to 2024-07-01 00:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH next weekend')), 'next weekend (2024-07-06 00:00 CT to 2024-07-08 00:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH last weekend')), 'last weekend (2024-06-22 00:00 CT to 2024-06-24 00:00 CT)');
    assert.equal(describePeriod(period('What was HB_NORTH over the weekend?')), 'last weekend (2024-06-22 00:00 CT to 2024-06-24 00:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH the day before yesterday')), 'the day before yesterday (2024-06-22 00:00 CT to 2024-06-23 00:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH 2 days from now at 3pm')), 'in 2 days 15:00-16:00 (2024-06-26 15:00 CT to 2024-06-26 16:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH tomorrow night')), 'tomorrow night (2024-06-25 18:00 CT to 2024-06-26 06:00 CT)');
    assert.deepEqual(resolvePeriod('HB_NORTH in 200 days', NOW), { unknown: 'in 200 days' });
    // A habit, not a period.
    assert.equal(resolvePeriod('Are HB_NORTH prices lower on weekends?', NOW), null);
    assert.equal(resolvePeriod('What is a typical weekend price at HB_NORTH?', NOW), null);
    assert.deepEqual(resolvePeriod('HB_NORTH the day after next', NOW), { unknown: 'the day after next' });
  });

  // Reviewer (2026-12-02): a lookahead on "prices" after "weekend" made these period null (answered as the latest).
  it('reads a weekend with a determiner followed by "prices" as that weekend', () => {
    assert.equal(describePeriod(period('What are next weekend prices at HB_NORTH?')), 'next weekend (2024-07-06 00:00 CT to 2024-07-08 00:00 CT)');
    assert.equal(describePeriod(period('What were last weekend prices at HB_NORTH?')), 'last weekend (2024-06-22 00:00 CT to 2024-06-24 00:00 CT)');
    // No determiner: still a habit, not a period.
    assert.equal(resolvePeriod('What is a typical weekend price at HB_NORTH?', NOW), null);
    assert.equal(resolvePeriod('Show HB_NORTH weekend prices', NOW), null);
  });
});

describe('market clock: weekdays (fresh-tester finding: "at 3pm next Tuesday" was today 15:00)', () => {
  it('reads next/this/last/bare weekdays as that Central day, narrowed by a clock time', () => {
    // NOW is Monday 2024-06-24 00:00 CDT.
    assert.equal(describePeriod(period('What will HB_NORTH be at 3pm next Tuesday?')), 'next Tuesday 15:00-16:00 (2024-07-02 15:00 CT to 2024-07-02 16:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH on Friday')), 'Friday (2024-06-28 00:00 CT to 2024-06-29 00:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH this Sunday')), 'this Sunday (2024-06-30 00:00 CT to 2024-07-01 00:00 CT)');
    assert.equal(describePeriod(period('HB_NORTH last Monday')), 'last Monday (2024-06-17 00:00 CT to 2024-06-18 00:00 CT)');
    // Past tense: the latest one begun by the clock (today, Monday, has not begun at 00:00: the Monday before).
    assert.equal(describePeriod(period('What was HB_NORTH on Monday?')), 'Monday (2024-06-17 00:00 CT to 2024-06-18 00:00 CT)');
    assert.equal(describePeriod(period('What was HB_NORTH on Saturday?')), 'Saturday (2024-06-22 00:00 CT to 2024-06-23 00:00 CT)');
    // A plural is a habit, not a day.
    assert.equal(resolvePeriod('Are HB_NORTH prices low on Sundays?', NOW), null);
  });
});

describe('responder: a period it cannot serve is named, never replaced', () => {
  const embedder = { dim: 3, modelName: 'fake', embed: async (t: readonly string[]) => t.map(() => new Float32Array(3)), close: async () => {} } as Embedder;
  const llm: ChatModel = { name: 'fake', close: async () => {}, complete: async () => ({ text: '', completionTokens: 0, seconds: 0, model: 'fake' }) };
  const store = { search: async () => [] } as unknown as VectorStore;
  // HB_NORTH real-time price is stored from 2024-05-01 to the clock and forecast 36 hours from it; nothing else answers.
  const pool = {
    query: async (sql: string) => ({
      rows: sql === SQL_SERIES_SPAN ? [{ first: new Date(FIRST), last: new Date(NOW) }]
        : sql === SQL_FORECAST_ISSUED_BY ? [{ model_version: 'm1', target_start: new Date(NOW), step_ms: 3_600_000, values: Array.from({ length: 36 }, () => 30), p10: null, p90: null, step_sources: null, unit: 'USD/MWh', issued_at: new Date(NOW), input_start: new Date(NOW - 86_400_000), input_end: new Date(NOW) }]
        : sql === SQL_FORECAST_SERIES ? [{ series_id: 'HB_NORTH' }] : [],
    }),
  } as unknown as pg.Pool;
  const r = new Responder({ embedder, store, llm, pool, market: 'ERCOT', now: () => NOW });

  it('a year with no data: names it and the span the market holds', async () => {
    const a = await r.answer({ question: 'What was the average HB_NORTH price in 1999?' }, undefined, { model: 'off' });
    assert.equal(a.period, '1999 (1999-01-01 00:00 CT to 2000-01-01 00:00 CT)');
    assert.equal(a.answer, 'There is no real-time price data for HB_NORTH, 1999 (1999-01-01 00:00 CT to 2000-01-01 00:00 CT): market ERCOT holds HB_NORTH real-time price from 2024-05-01 00:00 CT to 2024-06-24 00:00 CT; the market\'s latest stored interval ends 2024-06-24 00:00 CT.');
    assert.doesNotMatch(a.answer, /last 24 hours/);
  });

  it('next week: in the future, with how far the forecast reaches', async () => {
    const a = await r.answer({ question: 'What is the average HB_NORTH price next week?' }, undefined, { model: 'off' });
    assert.equal(a.intent?.measure, 'forecast');
    assert.equal(a.period, 'next week (2024-07-01 00:00 CT to 2024-07-08 00:00 CT)');
    assert.equal(a.answer, 'No stored forecast of HB_NORTH real-time price covers next week (2024-07-01 00:00 CT to 2024-07-08 00:00 CT), which is in the future: the newest forecast covers 2024-06-24 00:00 CT until 2024-06-25 12:00 CT; the market\'s latest stored interval ends 2024-06-24 00:00 CT.');
  });

  it('a time past the forecast is said with where the forecast ends, never answered with another period', async () => {
    const a = await r.answer({ question: 'What will HB_NORTH be at 3pm next Tuesday?' }, undefined, { model: 'off' });
    assert.equal(a.answer, 'No stored forecast of HB_NORTH real-time price covers next Tuesday 15:00-16:00 (2024-07-02 15:00 CT to 2024-07-02 16:00 CT), which is in the future: the newest forecast covers 2024-06-24 00:00 CT until 2024-06-25 12:00 CT; the market\'s latest stored interval ends 2024-06-24 00:00 CT.');
    // A period the forecast covers in part: its part, and where the forecast ends.
    const t = await r.answer({ question: 'What is the HB_NORTH price forecast for tomorrow?' }, undefined, { model: 'off' });
    assert.match(t.answer, /has 12 steps from 2024-06-25 00:00 CT: .* The forecast ends 2024-06-25 12:00 CT: it does not cover the rest of tomorrow \(2024-06-25 00:00 CT to 2024-06-26 00:00 CT\)\.$/);
  });
});

// Fresh-tester finding (2026-12-02, second run): "the day after tomorrow" was answered as tomorrow, "this weekend" and
// "in 2 days" with no period, "in 3 days" with the whole forecast; "the week after next" must not become next week.
describe('responder: the day after tomorrow, in N days / hours, the weekend', () => {
  const embedder = { dim: 3, modelName: 'fake', embed: async (t: readonly string[]) => t.map(() => new Float32Array(3)), close: async () => {} } as Embedder;
  const llm: ChatModel = { name: 'fake', close: async () => {}, complete: async () => ({ text: '', completionTokens: 0, seconds: 0, model: 'fake' }) };
  const store = { search: async () => [] } as unknown as VectorStore;
  // HB_NORTH forecast: 36 hourly steps of 30 $/MWh from the clock (2024-06-24 00:00 CDT to 2024-06-25 12:00 CDT).
  const pool = {
    query: async (sql: string) => ({
      rows: sql === SQL_SERIES_SPAN ? [{ first: new Date(FIRST), last: new Date(NOW) }]
        : sql === SQL_FORECAST_ISSUED_BY ? [{ model_version: 'm1', target_start: new Date(NOW), step_ms: 3_600_000, values: Array.from({ length: 36 }, (_, i) => 30 + i), p10: null, p90: null, step_sources: null, unit: 'USD/MWh', issued_at: new Date(NOW), input_start: new Date(NOW - 86_400_000), input_end: new Date(NOW) }]
        : sql === SQL_FORECAST_SERIES ? [{ series_id: 'HB_NORTH' }] : [],
    }),
  } as unknown as pg.Pool;
  const r = new Responder({ embedder, store, llm, pool, market: 'ERCOT', now: () => NOW });
  const beyond = (p: string) => `No stored forecast of HB_NORTH real-time price covers ${p}, which is in the future: the newest forecast covers 2024-06-24 00:00 CT until 2024-06-25 12:00 CT; the market's latest stored interval ends 2024-06-24 00:00 CT.`;

  it('the day after tomorrow, in 3 days and this weekend are their own days, past the forecast: said so', async () => {
    const cases: Array<[string, string]> = [
      ['What is the forecast for HB_NORTH the day after tomorrow?', 'the day after tomorrow (2024-06-26 00:00 CT to 2024-06-27 00:00 CT)'],
      ['What will HB_NORTH be in 3 days?', 'in 3 days (2024-06-27 00:00 CT to 2024-06-28 00:00 CT)'],
      ['What is the HB_NORTH forecast for this weekend?', 'this weekend (2024-06-29 00:00 CT to 2024-07-01 00:00 CT)'],
      ['What will HB_NORTH prices be over the weekend?', 'this weekend (2024-06-29 00:00 CT to 2024-07-01 00:00 CT)'],
    ];
    for (const [q, p] of cases) {
      const a = await r.answer({ question: q }, undefined, { model: 'off' });
      assert.equal(a.period, p, q);
      assert.equal(a.answer, beyond(p), q);
    }
  });

  it('in 3 hours is the clock hour 3 hours after the clock, answered from the forecast', async () => {
    const a = await r.answer({ question: 'What will HB_NORTH be in 3 hours?' }, undefined, { model: 'off' });
    assert.equal(a.period, 'in 3 hours (2024-06-24 03:00 CT to 2024-06-24 04:00 CT)');
    assert.match(a.answer, /33\.00/);
    assert.doesNotMatch(a.answer, /\b30\.00\b|\b65\.00\b/);
  });

  // Fresh-tester LOW (2026-12-02): for "now" the reply's period said the latest stored interval (23:45-00:00 here) while
  // the text planned the current and next hour (00:00-02:00): the field states what was answered.
  it('a battery plan\'s period field is the span the plan answers', async () => {
    const now = await r.answer({ question: 'What should bess-north do now?' }, undefined, { model: 'off' });
    assert.equal(now.intent?.measure, 'dispatch');
    assert.equal(now.period, 'now (2024-06-24 00:00 CT to 2024-06-24 02:00 CT)');
    assert.ok(now.answer.includes('Battery bess-north, now (2024-06-24 00:00 CT to 2024-06-24 02:00 CT): '), now.answer);
    const plain = await r.answer({ question: 'What should bess-north do?' }, undefined, { model: 'off' });
    assert.equal(plain.period, 'tomorrow (2024-06-25 00:00 CT to 2024-06-26 00:00 CT)');
  });

  it('a future phrase it does not resolve is named, never answered as another period', async () => {
    for (const [q, phrase] of [['What will HB_NORTH be the week after next?', 'the week after next'], ['What is the HB_NORTH forecast in 3 weeks?', 'in 3 weeks'], ['HB_NORTH price in a few days?', 'in a few days']]) {
      const a = await r.answer({ question: q! }, undefined, { model: 'off' });
      assert.equal(a.period, null, q);
      assert.match(a.answer, new RegExp(`I cannot resolve the period "${phrase}"`), q);
    }
  });
});

// Fresh-tester finding (2026-12-02): "Will HB_WEST go negative tomorrow?" got the forecast's average, not a yes or no.
describe('responder: will a price go negative, from the forecast\'s P50 and P10', () => {
  const embedder = { dim: 3, modelName: 'fake', embed: async (t: readonly string[]) => t.map(() => new Float32Array(3)), close: async () => {} } as Embedder;
  const llm: ChatModel = { name: 'fake', close: async () => {}, complete: async () => ({ text: '', completionTokens: 0, seconds: 0, model: 'fake' }) };
  const store = { search: async () => [] } as unknown as VectorStore;
  // 36 hourly steps from the clock: P50 30 $/MWh except -2 at 2024-06-25 02:00 CDT (HE 3) and 4 at 03:00 (HE 4); P10 = P50 - 8.
  const values = Array.from({ length: 36 }, (_, i) => (i === 26 ? -2 : i === 27 ? 4 : 30));
  const pool = {
    query: async (sql: string) => ({
      rows: sql === SQL_FORECAST_ISSUED_BY ? [{ model_version: 'm1', target_start: new Date(NOW), step_ms: 3_600_000, values, p10: values.map((v) => v - 8), p90: values.map((v) => v + 8), step_sources: null, unit: 'USD/MWh', issued_at: new Date(NOW), input_start: new Date(NOW - 86_400_000), input_end: new Date(NOW) }]
        : sql === SQL_FORECAST_SERIES ? [{ series_id: 'HB_WEST' }] : [],
    }),
  } as unknown as pg.Pool;
  const r = new Responder({ embedder, store, llm, pool, market: 'ERCOT', now: () => NOW });

  // Reviewer LOW: a P10 below 0 means P(price < 0) >= 10% ("at least a 1-in-10 chance", it said "about"); a P50 below
  // 0 means P(price < 0) >= 50% ("at least even odds"; reviewer nit: "more likely than not" said > 50%).
  it('answers yes on the median with the hours, the P10 hours as at least a 1-in-10 chance, the P50 hours as at least even odds', async () => {
    const a = await r.answer({ question: 'Will HB_WEST go negative tomorrow?' }, undefined, { model: 'off' });
    assert.equal(a.intent?.forecastNegative, true);
    assert.equal(a.answer, 'Here is what the data shows: Will HB_WEST real-time price go negative, tomorrow (2024-06-25 00:00 CT to 2024-06-26 00:00 CT)? The forecast (model m1, issued 2024-06-24 00:00 CT): Yes on the median: its P50 is below 0 in 2024-06-25 HE 3 (lowest -2.00 $/MWh at 2024-06-25 02:00 CT); its P10 is below 0 in 2024-06-25 HE 3-4 (lowest -10.00 $/MWh at 2024-06-25 02:00 CT): at least a 1-in-10 chance of a negative price in each of those hours, and at least even odds in 2024-06-25 HE 3 (its P50 is below 0 there). The forecast ends 2024-06-25 12:00 CT: it does not cover the rest of tomorrow (2024-06-25 00:00 CT to 2024-06-26 00:00 CT).');
  });

  it('ranks the forecast hours for "top 3 hours to discharge" and "the 2 cheapest hours"', async () => {
    const a = await r.answer({ question: 'Top 3 hours to discharge at HB_WEST tomorrow' }, undefined, { model: 'off' });
    assert.deepEqual(a.intent?.topHours, { count: 3, order: 'highest' });
    // Ties (30.00 in every other hour) keep time order.
    assert.equal(a.answer, 'Here is what the data shows: The 3 forecast hours of HB_WEST real-time price with the highest P50, tomorrow (2024-06-25 00:00 CT to 2024-06-26 00:00 CT) (model m1, issued 2024-06-24 00:00 CT; the hours to discharge in): 1. 2024-06-25 HE 1 (from 2024-06-25 00:00 CT): 30.00 $/MWh; 2. 2024-06-25 HE 2 (from 2024-06-25 01:00 CT): 30.00 $/MWh; 3. 2024-06-25 HE 5 (from 2024-06-25 04:00 CT): 30.00 $/MWh. The forecast ends 2024-06-25 12:00 CT: it does not cover the rest of tomorrow (2024-06-25 00:00 CT to 2024-06-26 00:00 CT).');
    const c = await r.answer({ question: 'What are the 2 cheapest hours at HB_WEST tomorrow?' }, undefined, { model: 'off' });
    assert.match(c.answer, /with the lowest P50, tomorrow .*; the hours to charge in\): 1\. 2024-06-25 HE 3 \(from 2024-06-25 02:00 CT\): -2\.00 \$\/MWh; 2\. 2024-06-25 HE 4 \(from 2024-06-25 03:00 CT\): 4\.00 \$\/MWh\./);
    assert.deepEqual(topHoursIn('best 4 hours to charge'), { count: 4, order: 'lowest' });
    assert.equal(topHoursIn('the top 3 battery discharge hours'), null);
  });

  it('answers no on the median but at least a 1-in-10 chance where only the P10 is below 0', async () => {
    // HE 4: P50 4 $/MWh, P10 -4 $/MWh.
    const a = await r.answer({ question: 'Will HB_WEST go negative at 3am tomorrow?' }, undefined, { model: 'off' });
    assert.match(a.answer, /Not on the median: its P50 never goes below 0 \(lowest 4\.00 \$\/MWh at 2024-06-25 03:00 CT\); its P10 is below 0 in 2024-06-25 HE 4 \(lowest -4\.00 \$\/MWh at 2024-06-25 03:00 CT\): at least a 1-in-10 chance of a negative price in each of those hours\.$/, a.answer);
    assert.doesNotMatch(a.answer, /at least even odds|more likely than not|about a 1-in-10/);
  });

  it('answers no when neither the P50 nor the P10 goes below 0', async () => {
    const a = await r.answer({ question: 'Will HB_WEST go negative today?' }, undefined, { model: 'off' });
    assert.equal(a.answer, 'Here is what the data shows: Will HB_WEST real-time price go negative, today (2024-06-24 00:00 CT to 2024-06-25 00:00 CT)? The forecast (model m1, issued 2024-06-24 00:00 CT): Not on the median: its P50 never goes below 0 (lowest 30.00 $/MWh at 2024-06-24 00:00 CT); its P10 never goes below 0 either (lowest 22.00 $/MWh at 2024-06-24 00:00 CT): at most a 1-in-10 chance of a negative price in every hour.');
  });
});
