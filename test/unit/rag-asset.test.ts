// trace: D.numbers-from-tools
// Fresh-tester finding: "How does bess-north work?" was answered with tomorrow's dispatch plan, and "What is
// bess-north?" with the latest price at HB_NORTH. A question asking what a configured battery is or how it works is the
// asset measure (rag/intent.ts): its configuration from config/assets.json and how the dispatcher schedules it
// (rag/dispatch-answer.ts assetFact), read from no market data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import { loadAssets } from '../../dispatch/assets-config.js';
import { assetFact } from '../../rag/dispatch-answer.js';
import type { Embedder } from '../../rag/embeddings.js';
import { type MarketCatalog, parseIntent } from '../../rag/intent.js';
import type { ChatModel } from '../../rag/llm.js';
import { Responder } from '../../rag/responder.js';
import type { VectorStore } from '../../rag/store/store.js';

const NOW = Date.UTC(2024, 5, 20, 17); // 2024-06-20 12:00 CDT
const catalog: MarketCatalog = {
  series: new Map<string, string[]>([...['HB_HOUSTON', 'HB_NORTH', 'HB_WEST'].map((s) => [s, ['RT_PRICE', 'DAM_PRICE']] as [string, string[]]), ['SYSTEM', ['LOAD', 'WIND', 'SOLAR']]]),
  assets: new Map([['bess-north', 'HB_NORTH'], ['bess-west', 'HB_WEST'], ['bess-houston', 'HB_HOUSTON']]),
};
const intent = (q: string) => parseIntent(q, NOW, catalog);

describe('a question about what a configured battery is', () => {
  for (const [q, name] of [
    ['How does bess-north work?', 'bess-north'], ['What is bess-north?', 'bess-north'], ['Tell me about bess-west', 'bess-west'],
    ["What is bess-west's round-trip efficiency?", 'bess-west'], ['What is the capacity of bess-houston?', 'bess-houston'], ['How is bess-north scheduled?', 'bess-north'],
  ] as const) {
    it(`reads "${q}" as the asset measure for ${name}`, () => {
      const i = intent(q);
      assert.equal(i.measure, 'asset', q);
      assert.deepEqual(i.assetNames, [name]);
      assert.equal(i.kind, null);
    });
  }

  it('keeps a period, a price or a generic battery on their measures', () => {
    assert.equal(intent('How does bess-north charge tomorrow?').measure, 'dispatch');
    assert.equal(intent('What should bess-north do tomorrow?').measure, 'dispatch');
    assert.equal(intent('What did bess-north do yesterday?').measure, 'dispatch');
    assert.equal(intent('What is the price at bess-north now?').measure, 'latest');
    assert.equal(intent('How does a battery work?').measure, 'concept');
  });

  it('describes bess-north from its configuration: size, efficiency, state of charge, settlement point, scheduling', () => {
    const f = assetFact(loadAssets(), intent('How does bess-north work?'));
    assert.equal(f.id, 'asset:bess-north');
    // config/assets.json: 10 MW / 20 MWh at HB_NORTH, 85% round trip, SoC 5%-95%, starts at 5%, 2 cycles a day, $2/MWh.
    for (const part of [
      'Battery bess-north (config/assets.json): 10 MW / 20 MWh, 2 hours at full power, settled at HB_NORTH (market ERCOT) on its real-time price.',
      'Round-trip efficiency 85% (92.2% each way): 1 MWh charged from the grid returns 0.85 MWh.',
      'State of charge kept between 5% and 95% of 20 MWh (1 MWh to 19 MWh: 18 MWh usable); a plan with no earlier schedule starts at 5% (1 MWh).',
      'It runs at most 2 full cycles a day (36 MWh out of storage per US Central day) and counts a degradation cost of $2/MWh discharged.',
      'How it is scheduled: the dispatcher (sda process dispatcher) reads each new price forecast of HB_NORTH',
      'energy bought at a price p is sold only when the later price is above p / 0.85 + $2/MWh',
    ]) assert.ok(f.text.includes(part), `${part}\n  not in\n${f.text}`);
    const v = Object.fromEntries(f.values.map((x) => [x.measure, x.value]));
    assert.deepEqual([v.powerMw, v.energyMwh, v.roundTripEfficiency, v.minSoc, v.maxSoc, v.usableEnergyMwh, v.dailyCycleLimit, v.degradationCostPerMwh], [10, 20, 85, 5, 95, 18, 2, 2]);
    assert.ok(f.values.every((x) => x.series === 'HB_NORTH'));
  });

  it('says which batteries are configured when the one named is not', () => {
    const f = assetFact(loadAssets(), intent('How does bess-south work?'));
    assert.equal(f.id, 'dispatch:unavailable');
    assert.equal(f.text, 'No battery named bess-south is configured (configured: bess-north, bess-west, bess-houston).');
  });

  it('answers through the responder from the configuration, with no plan and no price', async () => {
    const pool = { query: async () => ({ rows: [] }) } as unknown as pg.Pool;
    const embedder = { dim: 3, modelName: 'fake', embed: async (t: readonly string[]) => t.map(() => new Float32Array(3)), close: async () => {} } as Embedder;
    const store = { search: async () => [], get: async () => [] } as unknown as VectorStore;
    const llm: ChatModel = { name: 'fake', close: async () => {}, complete: async () => ({ text: '', completionTokens: 1, seconds: 0, model: 'fake' }) };
    const a = await new Responder({ embedder, store, llm, pool, market: 'ERCOT', now: () => NOW }).answer({ question: 'How does bess-north work?' }, undefined, { model: 'off' });
    assert.equal(a.intent?.measure, 'asset');
    assert.match(a.answer, /Battery bess-north \(config\/assets\.json\): 10 MW \/ 20 MWh/);
    assert.doesNotMatch(a.answer, /charge HE|expected net revenue|real-time price, /);
    assert.deepEqual(a.sources.map((s) => s.id), ['asset:bess-north']);
    // A market with no data yet (no market clock): the configuration is still the answer.
    const empty = await new Responder({ embedder, store, llm, pool, market: 'ERCOT' }).answer({ question: 'What is bess-west?' }, undefined, { model: 'off' });
    assert.equal(empty.marketNow, null);
    assert.match(empty.answer, /Battery bess-west \(config\/assets\.json\): 100 MW \/ 200 MWh, 2 hours at full power, settled at HB_WEST/);
  });
});
