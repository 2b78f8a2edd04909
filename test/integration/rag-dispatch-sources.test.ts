// trace: 4.3, D.numbers-from-tools
// The sources of a battery answer are what its plan read (a fresh-clone tester's finding, 2026-12-02): POST /query
// "When should my battery charge tomorrow?" answered with bess-north's plan on the HB_NORTH forecast, but listed
// LZ_NORTH and HB_WEST forecast documents as its sources. The responder searched the vector store with the question's
// own series and period, so a question that names a battery (or none) and no settlement point was searched
// unfiltered, and one that names the point listed any of its documents for the day (an older forecast's snapshot).
// Now the dispatch fact names what it read (MeasureFact.basis) and the responder lists exactly that stored document,
// with one concept. Real pieces: PostgreSQL rows under this test's own market, the summarizer's documents embedded
// (all-MiniLM-L6-v2) into a temporary LanceDB, the dispatch engine (HiGHS) and the local SmolLM2 model.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OnnxEmbedder } from '../../rag/embeddings.js';
import { numbersIn } from '../../rag/grounding.js';
import type { ChatModel } from '../../rag/llm.js';
import { Responder, type ResponderAnswer } from '../../rag/responder.js';
import type { LanceDbStore } from '../../rag/store/lancedb-store.js';
import { pointId } from '../../rag/store/store.js';
import { createPool } from '../../platform/postgres/pool.js';
import { config, uniqueName } from './harness.js';
import { type PricePoint, closeRagTest, insertHourlyPriceForecast, insertRtPrices, localChatModel, openDocumentStore, storeDocuments } from './rag-fixture.js';

const H = 3_600_000;
const Q = 15 * 60_000;
const DAY1 = Date.UTC(2024, 6, 1, 5); // 2024-07-01 00:00 CDT; the market clock is DAY1 + 48 h (2024-07-03 00:00 CT)
const iso = (t: number) => new Date(t).toISOString();

/** The data documents among the sources (neither a database fact nor a concept). */
const documents = (a: ResponderAnswer) => a.sources.filter((s) => !s.id.startsWith('concept:') && s.title !== 'database fact').map((s) => s.id);

describe('sources of a battery answer', () => {
  const market = `T${uniqueName('bsrc').slice(-8).toUpperCase()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-dispatch-sources-'));
  const pool = createPool(config, 2);
  let embedder: OnnxEmbedder;
  let store: LanceDbStore;
  let llm: ChatModel;
  let responder: Responder;
  const snapshot = (series: string, targetStart: number) => `forecast-snapshot:${market}:${series}:RT_PRICE:${iso(targetStart)}`;

  before(async () => {
    // Two days of real-time prices at four settlement points (three with a configured battery: HB_NORTH, HB_WEST,
    // HB_HOUSTON; LZ_NORTH has none).
    for (const [series, base] of [['HB_NORTH', 25], ['LZ_NORTH', 27], ['HB_WEST', 20], ['HB_HOUSTON', 22]] as const) {
      const points: PricePoint[] = [];
      for (let i = 0; i < 2 * 96; i++) points.push({ t: DAY1 + i * Q, v: Math.round((base + 15 * Math.sin(((Math.floor(i / 4) % 24) - 6) / 24 * 2 * Math.PI) + (i % 4)) * 100) / 100 });
      await insertRtPrices(pool, market, series, points);
    }
    // Hourly price forecasts, 48 steps: for HB_NORTH an older one (issued on day 1, from day 2) and the newest (issued
    // on day 2, from day 3, the one every plan reads); for LZ_NORTH and HB_WEST the newest alone; HB_HOUSTON none.
    const forecast = (seriesId: string, modelVersion: string, issuedAt: number, base: number) =>
      insertHourlyPriceForecast(pool, market, { seriesId, modelVersion, targetStart: issuedAt + 60_000, values: Array.from({ length: 48 }, (_, i) => base + (i % 24)), issuedAt, inputStart: issuedAt - 24 * H, inputEnd: issuedAt });
    await forecast('HB_NORTH', 'old-v1', DAY1 + 24 * H - 60_000, 40);
    for (const [series, base] of [['HB_NORTH', 25], ['LZ_NORTH', 27], ['HB_WEST', 20]] as const) await forecast(series, 'test-v1', DAY1 + 48 * H - 60_000, base);
    ({ embedder, store } = await openDocumentStore(dir));
    // The summarizer as it runs day by day: day 1's window holds the older HB_NORTH forecast, day 2's the newest ones.
    for (const from of [DAY1, DAY1 + 24 * H]) await storeDocuments(pool, embedder, store, { market, from, to: from + 24 * H, now: from + 24 * H });
    // The snapshots a wrong source could be are in the store: the older HB_NORTH one, LZ_NORTH's and HB_WEST's.
    const wrong = [snapshot('HB_NORTH', DAY1 + 24 * H), snapshot('LZ_NORTH', DAY1 + 48 * H), snapshot('HB_NORTH', DAY1 + 48 * H), snapshot('HB_WEST', DAY1 + 48 * H)];
    assert.deepEqual((await store.get(wrong.map(pointId))).map((s) => s.payload.docId).sort(), [...wrong].sort());
    llm = await localChatModel();
    responder = new Responder({ embedder, store, llm, pool, market, maxTokens: 48, now: () => DAY1 + 48 * H });
  });

  after(() => closeRagTest(pool, market, dir, { llm, embedder, store }));

  it('a battery named without its settlement point: the sources are its own point\'s forecast, no other point\'s', async () => {
    const a = await responder.answer({ question: 'When should bess-west discharge tomorrow?' });
    assert.equal(a.intent?.measure, 'dispatch');
    assert.match(a.answer, /Battery bess-west, tomorrow \(2024-07-04 00:00 CT to 2024-07-05 00:00 CT\): 100 MW \/ 200 MWh battery at HB_WEST/);
    assert.ok(a.sources.some((s) => s.id === 'dispatch:bess-west:2024-07-04:test-v1'), a.sources.map((s) => s.id).join(' '));
    assert.deepEqual(documents(a), [snapshot('HB_WEST', DAY1 + 48 * H)]);
  });

  it('no battery and no point named: the first configured battery\'s forecast (HB_NORTH), not LZ_NORTH\'s', async () => {
    const a = await responder.answer({ question: 'When should my battery charge tomorrow?' });
    assert.match(a.answer, /Battery bess-north, tomorrow .*battery at HB_NORTH/);
    assert.deepEqual(documents(a), [snapshot('HB_NORTH', DAY1 + 48 * H)]);
    const excerpt = a.sources.find((s) => s.id === snapshot('HB_NORTH', DAY1 + 48 * H))!.excerpt!;
    assert.match(excerpt, /^Forecast for HB_NORTH real-time price \(T\w+\) by model test-v1, issued 2024-07-02 23:59 CT,/);
    // Every number the answer states is in the sources it lists.
    const data = new Set(a.sources.flatMap((s) => numbersIn(s.excerpt ?? '')).map((v) => Math.round(Math.abs(v) * 100)));
    for (const v of numbersIn(a.answer)) assert.ok(data.has(Math.round(Math.abs(v) * 100)), `${v} in "${a.answer}" is not in the sources`);
  });

  it('the point named, today: the forecast the plan read, not an older forecast of the same point for that day', async () => {
    const a = await responder.answer({ question: 'When should my battery at HB_NORTH charge today?' });
    assert.ok(a.sources.some((s) => s.id === 'dispatch:bess-north:2024-07-03:test-v1'), a.sources.map((s) => s.id).join(' '));
    assert.deepEqual(documents(a), [snapshot('HB_NORTH', DAY1 + 48 * H)]);
  });

  it('no plan (no forecast at HB_HOUSTON): the fact that says so and a concept, no document (the plan read none)', async () => {
    const a = await responder.answer({ question: 'When should bess-houston charge tomorrow?' });
    assert.match(a.answer, /there is no price forecast for HB_HOUSTON/);
    assert.deepEqual(documents(a), []);
    assert.deepEqual(a.sources.filter((s) => s.title === 'database fact').map((s) => s.id), ['dispatch:unavailable']);
    assert.ok(a.sources.every((s) => s.title === 'database fact' || s.id.startsWith('concept:')), a.sources.map((s) => s.id).join(' '));
  });
});
