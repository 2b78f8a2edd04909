// trace: D.market-clock, D.numbers-from-tools
// A series another market holds (TAYLOR_EW, load in market GB) is answered in that market on that market's clock,
// never with the default market's SYSTEM figures (fresh-tester finding, 2026-12-01): rag/intent.ts reads the series
// (MarketCatalog.elsewhere), rag/responder.ts answers it in GB and says so, with GB's times on UK time (Europe/London)
// and its days counted on the UK calendar (market/zone-clock.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import type { Embedder } from '../../rag/embeddings.js';
import { checkModelText } from '../../rag/check.js';
import { marketsNamedIn, parseIntent } from '../../rag/intent.js';
import type { ChatModel } from '../../rag/llm.js';
import { Responder, marketNamesHeld } from '../../rag/responder.js';
import type { VectorStore } from '../../rag/store/store.js';
import { UK_CLOCK } from '../../market/zone-clock.js';
import { SQL_MARKET_STATE, SQL_MARKETS, SQL_SERIES_STATS } from '../../rag/tools.js';
import { SQL_FORECAST_ISSUED_BY, SQL_FORECAST_SERIES } from '../../reports/forecasts.js';

const ERCOT_NOW = Date.UTC(2024, 5, 24, 5); // 2024-06-24 00:00 CDT
const GB_END = Date.UTC(2014, 7, 31, 23); // taylor's last half hour ends 2014-09-01 00:00 BST (UK time), 2014-08-31 18:00 CDT

describe('intent: a series of another market', () => {
  const ercot = new Map<string, string[]>([['HB_NORTH', ['RT_PRICE', 'DAM_PRICE']], ['SYSTEM', ['LOAD', 'WIND', 'SOLAR']]]);
  it('names the series and its market instead of falling back to SYSTEM', () => {
    const i = parseIntent('What was the average TAYLOR_EW load?', ERCOT_NOW, { series: ercot, elsewhere: new Map([['TAYLOR_EW', 'GB']]) });
    assert.deepEqual(i.series, ['TAYLOR_EW']);
    assert.deepEqual(i.otherMarkets, { TAYLOR_EW: 'GB' });
    assert.equal(i.kind, 'LOAD');
    assert.equal(i.measure, 'mean');
    // Without the other markets it is not a known series: the old SYSTEM fallback stays only for plain "load".
    assert.deepEqual(parseIntent('What was the average load?', ERCOT_NOW, { series: ercot }).series, ['SYSTEM']);
  });

  it('takes the one kind a series stores when the question names none', () => {
    const gb = new Map<string, string[]>([['TAYLOR_EW', ['LOAD']]]);
    const i = parseIntent('What is the forecast for TAYLOR_EW?', GB_END, { series: gb });
    assert.equal(i.measure, 'forecast');
    assert.equal(i.kind, 'LOAD');
  });
});

describe('intent: markets named by name', () => {
  it('reads ISO/RTO names, and SPP only where it cannot be a settlement point price', () => {
    assert.deepEqual(marketsNamedIn('What is the forecast for the PJM West hub tomorrow?'), ['PJM']);
    assert.deepEqual(marketsNamedIn('NYISO Zone J, ISO New England, the IESO and AESO'), ['NYISO', 'ISO-NE', 'IESO', 'AESO']);
    assert.deepEqual(marketsNamedIn('prices in SPP yesterday'), ['SPP']);
    assert.deepEqual(marketsNamedIn('What was the RT SPP at HB_NORTH yesterday?'), []);
    assert.deepEqual(marketsNamedIn('the SPP at HB_WEST, in SPP prices'), []);
    assert.deepEqual(parseIntent('What is the forecast for the PJM West hub tomorrow?', ERCOT_NOW, { series: new Map() }).marketsNamed, ['PJM']);
    assert.equal(parseIntent('What was the HB_NORTH price yesterday?', ERCOT_NOW, { series: new Map() }).marketsNamed, undefined);
  });
});

describe('responder: TAYLOR_EW answered in market GB', () => {
  const embedder = { dim: 3, modelName: 'fake', embed: async (t: readonly string[]) => t.map(() => new Float32Array(3)), close: async () => {} } as Embedder;
  const llm: ChatModel = { name: 'fake', close: async () => {}, complete: async () => ({ text: '', completionTokens: 0, seconds: 0, model: 'fake' }) };
  const store = { search: async () => [] } as unknown as VectorStore;
  const asked: unknown[][] = [];
  const pool = {
    query: async (sql: string, params: unknown[] = []) => {
      asked.push([sql === SQL_SERIES_STATS ? 'stats' : sql === SQL_FORECAST_ISSUED_BY ? 'forecast' : sql === SQL_MARKET_STATE ? 'state' : 'other', ...params]);
      if (sql === SQL_MARKETS) return { rows: [{ market: 'ERCOT' }, { market: 'GB' }] };
      if (sql === SQL_MARKET_STATE) {
        return { rows: params[0] === 'GB' ? [{ series_id: 'TAYLOR_EW', kind: 'LOAD', interval_end: new Date(GB_END) }]
          : [{ series_id: 'HB_NORTH', kind: 'RT_PRICE', interval_end: new Date(ERCOT_NOW) }, { series_id: 'SYSTEM', kind: 'LOAD', interval_end: new Date(ERCOT_NOW) }] };
      }
      // SYSTEM load in ERCOT averages 65418 MW; TAYLOR_EW in GB 29876 MW. Only the right one may answer.
      if (sql === SQL_SERIES_STATS) {
        const gb = params[0] === 'GB' && params[1] === 'TAYLOR_EW';
        return { rows: [{ unit: 'MW', mean: gb ? 29876 : 65418, min: gb ? 21000 : 51002, max: gb ? 38000 : 80111, count: 48, negative: 0, min_at: new Date(GB_END - 3_600_000), max_at: new Date(GB_END - 7_200_000) }] };
      }
      if (sql === SQL_FORECAST_SERIES) return { rows: params[0] === 'GB' ? [{ series_id: 'TAYLOR_EW' }] : [{ series_id: 'HB_NORTH' }] };
      if (sql === SQL_FORECAST_ISSUED_BY && params[0] === 'GB' && params[1] === 'TAYLOR_EW' && params[2] === 'LOAD') {
        return { rows: [{ model_version: 'taylor-1', step_ms: 1_800_000, target_start: new Date(GB_END), values: [30100, 30500], p10: null, p90: null, step_sources: null, unit: 'MW', issued_at: new Date(GB_END), input_start: new Date(GB_END - 86_400_000), input_end: new Date(GB_END) }] };
      }
      return { rows: [] };
    },
  } as unknown as pg.Pool;
  const r = new Responder({ embedder, store, llm, pool, market: 'ERCOT' });

  it('the average TAYLOR_EW load comes from GB over the last 24 hours of GB\'s clock, and says so, its times in UK time', async () => {
    asked.length = 0;
    const a = await r.answer({ question: 'What was the average TAYLOR_EW load?' }, undefined, { model: 'off' });
    assert.equal(a.answer, 'TAYLOR_EW is in market GB, not ERCOT: answered for market GB, whose latest stored interval ends 2014-09-01 00:00 UK; times are UK time (Europe/London). Here is what the data shows: TAYLOR_EW load, the last 24 hours (2014-08-31 00:00 UK to 2014-09-01 00:00 UK): average 29876 MW, low 21000 MW at 2014-08-31 23:00 UK, high 38000 MW at 2014-08-31 22:00 UK, over 48 intervals.');
    assert.doesNotMatch(a.answer, /65418|SYSTEM|\bCT\b/);
    assert.equal(a.marketNow, '2014-09-01 00:00 UK');
    const stats = asked.filter((q) => q[0] === 'stats');
    assert.deepEqual(stats.map((q) => q.slice(1, 4)), [['GB', 'TAYLOR_EW', 'LOAD']]);
  });

  it('the forecast for TAYLOR_EW (load or no kind written) is GB\'s forecast of it, not SYSTEM or a concept', async () => {
    for (const question of ['What is the forecast for TAYLOR_EW load?', 'What is the forecast for TAYLOR_EW?']) {
      const a = await r.answer({ question }, undefined, { model: 'off' });
      assert.equal(a.intent?.measure, 'forecast', question);
      assert.match(a.answer, /The forecast for TAYLOR_EW load \(model taylor-1, issued 2014-09-01 00:00 UK\) has 2 steps from 2014-09-01 00:00 UK: next value 30100 MW, average 30300 MW, low 30100 MW at 2014-09-01 00:00 UK, high 30500 MW at 2014-09-01 00:30 UK\./, question);
      assert.doesNotMatch(a.answer, /SYSTEM|not forecast|HB_NORTH/, question);
    }
  });

  it('counts GB\'s days on the UK calendar: yesterday is the UK day before the clock\'s (BST midnight to midnight)', async () => {
    asked.length = 0;
    const a = await r.answer({ question: 'What was the average TAYLOR_EW load yesterday?' }, undefined, { model: 'off' });
    // The clock is 2014-09-01 00:00 BST: yesterday is 2014-08-31, 2014-08-30 23:00Z to 2014-08-31 23:00Z (on US Central
    // it would be 2014-08-30 05:00Z to 2014-08-31 05:00Z).
    assert.equal(a.period, 'yesterday (2014-08-31 00:00 UK to 2014-09-01 00:00 UK)');
    const stats = asked.filter((q) => q[0] === 'stats');
    assert.deepEqual(stats.map((q) => [q[4], q[5]]), [[new Date(Date.UTC(2014, 7, 30, 23)), new Date(Date.UTC(2014, 7, 31, 23))]]);
  });

  it('checks the model\'s words against GB\'s values on UK time', async () => {
    const values = [{ series: 'TAYLOR_EW', kind: 'LOAD', measure: 'max', value: 38000, unit: 'MW', at: GB_END - 7_200_000 }];
    assert.deepEqual(checkModelText('TAYLOR_EW load peaked at 38000 MW at 22:00.', values, { clock: UK_CLOCK }).wrong, []);
    // 22:00 UK is 16:00 CDT: read on Central time, the same sentence states a time no value has.
    assert.deepEqual(checkModelText('TAYLOR_EW load peaked at 38000 MW at 22:00.', values).wrong.length > 0, true);
    assert.deepEqual(checkModelText('TAYLOR_EW load peaked at 38000 MW at 16:00.', values, { clock: UK_CLOCK }).wrong.length > 0, true);
  });

  it('reads each market\'s state once per clock refresh, its own included', async () => {
    asked.length = 0;
    const fresh = new Responder({ embedder, store, llm, pool, market: 'ERCOT' });
    await fresh.answer({ question: 'What was the average TAYLOR_EW load?' }, undefined, { model: 'off' });
    await fresh.answer({ question: 'What was the average HB_NORTH price yesterday?' }, undefined, { model: 'off' });
    assert.deepEqual(asked.filter((q) => q[0] === 'state').map((q) => q[1]), ['ERCOT', 'GB']);
  });

  it('answers in its own market when another market (or the list of markets) cannot be read; fails when its own cannot', async () => {
    const failing = (what: (sql: string, params: unknown[]) => boolean) => ({
      query: async (sql: string, params: unknown[] = []) => {
        if (what(sql, params)) throw new Error('connection lost');
        return (pool.query as (s: string, p: unknown[]) => Promise<unknown>)(sql, params);
      },
    }) as unknown as pg.Pool;
    const question = 'What was the average HB_NORTH price yesterday?';
    const ask = (p: pg.Pool) => new Responder({ embedder, store, llm, pool: p, market: 'ERCOT' }).answer({ question }, undefined, { model: 'off' });
    const answered = await ask(pool);
    for (const p of [failing((sql, params) => sql === SQL_MARKET_STATE && params[0] === 'GB'), failing((sql) => sql === SQL_MARKETS)]) {
      const a = await ask(p);
      assert.equal(a.answer, answered.answer);
      assert.equal(a.marketNow, answered.marketNow);
    }
    // GB's series is then simply not known elsewhere: the question about it is answered as unknown in ERCOT.
    const gbDown = await new Responder({ embedder, store, llm, pool: failing((sql, params) => sql === SQL_MARKET_STATE && params[0] === 'GB'), market: 'ERCOT' })
      .answer({ question: 'What was the average TAYLOR_EW load?' }, undefined, { model: 'off' });
    assert.doesNotMatch(gbDown.answer, /29876/);
    await assert.rejects(ask(failing((sql, params) => sql === SQL_MARKET_STATE && params[0] === 'ERCOT')), /connection lost/);
  });

  it('refuses series of two markets in one question, naming where each is', async () => {
    const a = await r.answer({ question: 'Compare TAYLOR_EW and HB_NORTH yesterday' }, undefined, { model: 'off' });
    assert.equal(a.answer, 'HB_NORTH is in market ERCOT, TAYLOR_EW is in market GB: I answer one market at a time; ask about the series of one market.');
  });

  // Fresh-tester finding (2026-12-02): "the PJM West hub" was answered with ERCOT's HB_WEST forecast, "NYISO Zone J"
  // with "no real-time price data for the named series"; neither named the market asked nor the markets held.
  it('refuses a market it holds no data for, naming it and listing the markets held with their series', async () => {
    const held = 'the markets I answer about are ERCOT (HB_NORTH, SYSTEM) and GB (TAYLOR_EW). Ask about a series of one of them.';
    for (const [question, named] of [
      ['What is the forecast for the PJM West hub tomorrow?', 'PJM'],
      ['What is the forecast for NYISO Zone J tomorrow?', 'NYISO'],
      ['What was the average price in CAISO yesterday?', 'CAISO'],
      ['How high did prices go in the Southwest Power Pool last week?', 'SPP'],
      ['Compare ISO-NE and MISO prices yesterday', 'MISO or ISO-NE'],
    ] as const) {
      const a = await r.answer({ question }, undefined, { model: 'off' });
      assert.equal(a.answer, `I hold no data for ${named}: ${held}`, question);
      assert.deepEqual(a.modelSkipped, ['unknown'], question);
    }
    // A market held is no refusal: ERCOT's own series is answered as before.
    const own = await r.answer({ question: 'What was the average ERCOT HB_NORTH price yesterday?' }, undefined, { model: 'off' });
    assert.doesNotMatch(own.answer, /I hold no data/);
  });
});

describe('markets a question may name as held', () => {
  it('counts a market holding ERCOT hubs as ERCOT, whatever it is stored as; a market without hubs does not', () => {
    // The RAG evaluation set's market (RAGEVAL) is a simulated ERCOT: "the ERCOT system load" is answered there, not
    // refused as a market not held (CI at d3b6b16: nine evaluation questions refused).
    const sim = { now: ERCOT_NOW, series: new Map([['HB_NORTH', ['RT_PRICE']], ['SYSTEM', ['LOAD']]]) };
    const gb = { now: GB_END, series: new Map([['TAYLOR_EW', ['LOAD']]]) };
    assert.deepEqual([...marketNamesHeld(new Map([['RAGEVAL', sim], ['GB', gb]]))].sort(), ['ERCOT', 'GB', 'RAGEVAL']);
    assert.deepEqual([...marketNamesHeld(new Map([['GB', gb]]))], ['GB']);
    assert.ok(!marketNamesHeld(new Map([['RAGEVAL', sim]])).has('PJM'));
  });
});
