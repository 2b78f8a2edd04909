// trace: D.numbers-from-tools
// "Should I charge my battery at HB_HOUSTON tomorrow?" is a dispatch question about the battery configured at that
// settlement point (fresh-tester finding, 2026-12-01): rag/intent.ts reads it, rag/dispatch-answer.ts chooseAsset
// picks bess-houston from config/assets.json.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAssets } from '../../dispatch/assets-config.js';
import type pg from 'pg';
import { UK_CLOCK } from '../../market/zone-clock.js';
import { chooseAsset, dispatchFact } from '../../rag/dispatch-answer.js';
import { type MarketCatalog, parseIntent } from '../../rag/intent.js';

const NOW = Date.UTC(2024, 7, 8, 5); // 2024-08-08 00:00 CDT
const catalog: MarketCatalog = {
  series: new Map<string, string[]>([
    ...['HB_HOUSTON', 'HB_NORTH', 'HB_WEST', 'LZ_HOUSTON'].map((s) => [s, ['RT_PRICE', 'DAM_PRICE']] as [string, string[]]),
    ['SYSTEM', ['LOAD', 'WIND', 'SOLAR']],
  ]),
};
const intent = (q: string) => parseIntent(q, NOW, catalog);

describe('dispatch questions about my battery at a settlement point', () => {
  it('reads charge/discharge my battery at a settlement point as dispatch', () => {
    const i = intent('Should I charge my battery at HB_HOUSTON tomorrow?');
    assert.equal(i.measure, 'dispatch');
    assert.deepEqual(i.series, ['HB_HOUSTON']);
    assert.equal(i.period?.rule, 'tomorrow');
    assert.equal(intent('When should I discharge the battery at the West hub today?').measure, 'dispatch');
    assert.equal(intent('Should we charge our battery tonight?').measure, 'dispatch');
    assert.equal(intent('Should I charge my battery?').measure, 'dispatch');
  });

  it('keeps a question about how batteries charge a concept', () => {
    assert.equal(intent('How does a battery charge and discharge?').measure, 'concept');
    assert.equal(intent('What does it cost to charge batteries?').measure, 'concept');
  });

  it('plans the battery configured at that settlement point', () => {
    const assets = loadAssets();
    const at = (q: string) => {
      const c = chooseAsset(assets, intent(q));
      return 'asset' in c ? c.asset.id : `missing ${c.missing}`;
    };
    assert.equal(at('Should I charge my battery at HB_HOUSTON tomorrow?'), 'bess-houston');
    assert.equal(at('Should I charge my battery at the west hub tomorrow?'), 'bess-west');
    assert.equal(at('bess-north schedule tomorrow'), 'bess-north');
    assert.equal(at('bess-south schedule tomorrow'), 'missing bess-south');
  });
});

describe('dispatch questions in a market not on US Central', () => {
  // Battery plans are ERCOT's, on the US Central operating day (dispatch/day-ahead.ts): in GB (UK time) the answer
  // says so instead of heading a Central-day plan with a UK day, and reads nothing.
  const GB_NOW = Date.UTC(2014, 7, 31, 23); // 2014-09-01 00:00 BST
  const gbCatalog: MarketCatalog = { series: new Map([['TAYLOR_EW', ['LOAD']]]), clock: UK_CLOCK };
  const asked: string[] = [];
  const pool = { query: async (sql: string) => (asked.push(sql), { rows: [] }) } as unknown as pg.Pool;
  for (const market of ['GB', 'run.backtest-1.GB']) {
    it(`refuses in ${market}, naming the UK day asked and why, without a query`, async () => {
      asked.length = 0;
      const i = parseIntent('Should I charge my battery tomorrow?', GB_NOW, gbCatalog);
      assert.equal(i.measure, 'dispatch');
      const facts = await dispatchFact(pool, market, i, GB_NOW);
      assert.deepEqual(facts.map((f) => f?.id), ['dispatch:unavailable']);
      assert.equal(facts[0]!.text, `I cannot schedule a battery for tomorrow (2014-09-02 00:00 UK to 2014-09-03 00:00 UK): battery plans are made for ERCOT batteries on the US Central operating day, and market ${market} keeps UK time (Europe/London).`);
      assert.deepEqual(asked, []);
    });
  }
});
