// trace: D.numbers-from-tools
// Fresh-clone tester's finding: "Were there negative prices at HB_NORTH yesterday?" answered "...no interval was
// negative.\n\nNo, there were no negative prices at HB_NORTH yesterday.\n\nThe data is not available to answer the
// question." with day-ahead summaries of other days (06-09..06-13) as its sources. The facts read HB_NORTH's real-time
// prices of yesterday: the sources are documents of that series, kind and day only (Responder.retrieve exact), and a
// sentence of the model's saying the data is not available is dropped when facts were found (check.ts dropDataDenials).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import type { Embedder } from '../../rag/embeddings.js';
import type { ChatModel } from '../../rag/llm.js';
import { dropDataDenials } from '../../rag/check.js';
import { Responder } from '../../rag/responder.js';
import type { SearchFilter, SearchHit, VectorStore } from '../../rag/store/store.js';

const H = 3_600_000;
const NOW = Date.UTC(2024, 5, 20, 17); // 2024-06-20 12:00 CDT: the market clock; yesterday is 2024-06-19
const dayStart = (d: number) => Date.UTC(2024, 5, d, 5);
const doc = (docId: string, kind: string, day: number | null, text: string, score: number): SearchHit => ({
  id: docId, score, payload: { docId, kind, series: day === null ? null : 'HB_NORTH', timeStart: day === null ? null : dayStart(day), timeEnd: day === null ? null : dayStart(day) + 24 * H, text },
});
const yesterdayRt = doc('daily-summary:M:HB_NORTH:RT_PRICE:2024-06-19', 'daily-summary', 19, 'HB_NORTH real-time price (M) on 2024-06-19 (Central): average 25.45 $/MWh.', 0.5);
const yesterdayDam = doc('daily-summary:M:HB_NORTH:DAM_PRICE:2024-06-19', 'daily-summary', 19, 'HB_NORTH day-ahead price (M) on 2024-06-19 (Central): average 27.10 $/MWh.', 0.7);
const otherDays = [9, 10, 11, 12, 13].map((d) => doc(`daily-summary:M:HB_NORTH:DAM_PRICE:2024-06-${String(d).padStart(2, '0')}`, 'daily-summary', d, `HB_NORTH day-ahead price (M) on 2024-06-${d}: average 30 $/MWh, 2 negative hours.`, 0.8));
const concept = doc('concept:c:negative-prices', 'concept', null, 'Negative prices. Prices go negative when wind is high.', 0.3);
const storeOf = (docs: SearchHit[]) => ({
  search: async (_v: Float32Array, k: number, f: SearchFilter = {}) => docs
    .filter((d) => (f.kind === undefined || d.payload.kind === f.kind) && (f.series === undefined || d.payload.series === f.series)
      && (f.from === undefined || (d.payload.timeEnd !== null && d.payload.timeEnd > f.from)) && (f.to === undefined || (d.payload.timeStart !== null && d.payload.timeStart < f.to)))
    .sort((a, b) => b.score - a.score).slice(0, k),
}) as unknown as VectorStore;
const embedder = { dim: 3, modelName: 'fake', embed: async (t: readonly string[]) => t.map(() => new Float32Array(3)), close: async () => {} } as Embedder;
// No interval below zero yesterday; nothing else stored.
const pool = { query: async () => ({ rows: [] }) } as unknown as pg.Pool;
const llm = (text: string): ChatModel => ({ name: 'fake', close: async () => {}, complete: async () => ({ text, completionTokens: 1, seconds: 0, model: 'fake' }) });
const question = 'Were there negative prices at HB_NORTH yesterday?';
const docSources = (a: { sources: Array<{ id: string; title?: string }> }) => a.sources.filter((s) => s.title !== 'database fact').map((s) => s.id);

describe('a data answer lists the documents of the series, kind and day its facts read', () => {
  it('lists yesterday\'s real-time summary, not the day-ahead one of the same day', async () => {
    const a = await new Responder({ embedder, store: storeOf([yesterdayRt, yesterdayDam, ...otherDays, concept]), llm: llm(''), pool, market: 'M', now: () => NOW }).answer({ question });
    assert.equal(a.intent?.measure, 'negative');
    assert.match(a.answer, /HB_NORTH real-time price, yesterday \(2024-06-19 00:00 CT to 2024-06-20 00:00 CT\): no interval was negative\./);
    assert.deepEqual(docSources(a), [yesterdayRt.id, concept.id]);
  });

  it('lists no other day\'s documents when the day has none stored', async () => {
    const a = await new Responder({ embedder, store: storeOf([...otherDays, concept]), llm: llm(''), pool, market: 'M', now: () => NOW }).answer({ question });
    assert.deepEqual(docSources(a), [concept.id]);
  });
});

describe('model sentences saying the data is not available, when facts were found', () => {
  it('are dropped from the answer; the rest is kept', async () => {
    const said = 'No, there were no negative prices at HB_NORTH yesterday.\n\nThe data is not available to answer the question.';
    const a = await new Responder({ embedder, store: storeOf([yesterdayRt, concept]), llm: llm(said), pool, market: 'M', now: () => NOW }).answer({ question });
    assert.equal(a.mode, 'model');
    assert.ok(a.answer.endsWith('no interval was negative.\n\nNo, there were no negative prices at HB_NORTH yesterday.'), a.answer);
    assert.doesNotMatch(a.answer, /not available/);
    // Only that sentence: the model's words are then facts and nothing else, so a text of it alone leaves the facts.
    const alone = await new Responder({ embedder, store: storeOf([yesterdayRt, concept]), llm: llm('The data is not available to answer the question.'), pool, market: 'M', now: () => NOW }).answer({ question });
    assert.deepEqual([alone.mode, alone.phrasing], ['facts', '']);
    assert.doesNotMatch(alone.answer, /not available/);
  });

  it('dropDataDenials removes the denials only, and only when there are facts', () => {
    for (const s of ['The data is not available to answer the question.', 'There is no data for that day.', "I don't have enough information to answer.", 'I cannot answer that question.', 'Price data was not available for HB_NORTH.', 'The context does not contain the data.']) {
      assert.deepEqual(dropDataDenials(`Prices stayed positive. ${s}`, true, { series: ['HB_NORTH'] }), { text: 'Prices stayed positive.', dropped: [s] }, s);
    }
    for (const s of ['No, there were no negative prices at HB_NORTH yesterday.', 'No interval was negative.', 'Real-time prices are available every 15 minutes.', 'The lowest price was 14.69 $/MWh.']) {
      assert.deepEqual(dropDataDenials(s, true), { text: s, dropped: [] }, s);
    }
    assert.deepEqual(dropDataDenials('The data is not available.', false), { text: 'The data is not available.', dropped: [] });
  });

  // Reviewer (M3 on 832b4b3): true sentences were dropped as denials.
  it('keeps a count of data points, a series the facts do not cover, a partial day and a denial going on with a fact', () => {
    const facts = { series: ['HB_NORTH'] };
    for (const s of [
      'No data points were below zero at HB_NORTH yesterday.',
      'HB_WEST has no data for yesterday.',
      'Prices for hours ending 20 to 24 were not available yet.',
      'I cannot answer what prices will be next week, but yesterday the average was $25.10/MWh.',
    ]) {
      assert.deepEqual(dropDataDenials(`Prices stayed positive. ${s}`, true, facts), { text: `Prices stayed positive. ${s}`, dropped: [] }, s);
    }
    // A denial naming only the series the facts cover is still dropped; with no covered series given, one naming a
    // series is kept (nothing says the facts hold it).
    assert.deepEqual(dropDataDenials('There is no data for HB_NORTH yesterday.', true, facts).dropped, ['There is no data for HB_NORTH yesterday.']);
    assert.deepEqual(dropDataDenials('There is no data for HB_NORTH yesterday.', true).dropped, []);
  });

  // Reviewer LOW 6: true caveats were dropped as denials.
  it('keeps a sentence naming a battery, or a hub or zone by name the facts do not cover', () => {
    const facts = { series: ['HB_NORTH'] };
    for (const s of ['I cannot answer what bess-north actually did.', 'There is no data for the West hub.', 'The Houston load zone has no data for yesterday.']) {
      assert.deepEqual(dropDataDenials(`Prices stayed positive. ${s}`, true, facts), { text: `Prices stayed positive. ${s}`, dropped: [] }, s);
    }
    // A hub named in words that the facts cover is the facts' own series: its denial is still dropped.
    assert.deepEqual(dropDataDenials('There is no data for the North hub.', true, facts).dropped, ['There is no data for the North hub.']);
  });

  it('keeps the model\'s sentence about another series in the answer (the responder passes the facts\' series)', async () => {
    const said = 'No, there were no negative prices at HB_NORTH yesterday. HB_WEST has no data for yesterday.';
    const a = await new Responder({ embedder, store: storeOf([yesterdayRt, concept]), llm: llm(said), pool, market: 'M', now: () => NOW }).answer({ question });
    assert.equal(a.mode, 'model');
    assert.ok(a.answer.endsWith(said), a.answer);
  });
});
