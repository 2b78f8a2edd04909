// trace: D.numbers-from-tools
// Fresh-clone tester's finding: "Were there negative prices at HB_NORTH yesterday?" answered "...no interval was
// negative.\n\nNo, there were no negative prices at HB_NORTH yesterday.\n\nThe data is not available to answer the
// question." with day-ahead summaries of other days (06-09..06-13) as its sources. What this file covers: the
// sources of a data answer are the documents of the series, kind and day its facts read (Responder.retrieve exact),
// not the day-ahead one of the same day nor other days', and none of another day when the day has none stored. All
// real: PostgreSQL rows under this test's own market (HB_NORTH real-time prices of 2024-06-19 to the clock), the
// documents embedded (all-MiniLM-L6-v2) into a temporary LanceDB and searched there, and the local chat model
// (SmolLM2, rag-fixture localChatModel, as responder.test uses it): the responder retrieves only with the model on,
// and the sources do not depend on the model's words, so they are asserted whatever it writes; so is that no
// sentence of its kept phrasing denies the data found. The denial cases (given model words -> the answer) are the
// unit test rag-data-sources on responder.ts phrasedAnswer, the function the responder hands each completion to: a
// real model cannot be made to write a given sentence, and a chat model returning fixed text would be a stand-in for
// the model service (our rule: no mocks of services in integration tests).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OnnxEmbedder } from '../../rag/embeddings.js';
import { dropDataDenials } from '../../rag/check.js';
import type { ChatModel } from '../../rag/llm.js';
import { Responder } from '../../rag/responder.js';
import { LanceDbStore } from '../../rag/store/lancedb-store.js';
import { createPool } from '../../platform/postgres/pool.js';
import { config, uniqueName } from './harness.js';
import { type PricePoint, closeRagTest, insertRtPrices, localChatModel, openDocumentStore } from './rag-fixture.js';

const H = 3_600_000;
const Q = 15 * 60_000;
const NOW = Date.UTC(2024, 5, 20, 17); // 2024-06-20 12:00 CDT: the market clock; yesterday is 2024-06-19
const dayStart = (d: number) => Date.UTC(2024, 5, d, 5);
const question = 'Were there negative prices at HB_NORTH yesterday?';

describe('a data answer lists the documents of the series, kind and day its facts read (real PostgreSQL and LanceDB)', () => {
  const market = `T${uniqueName('dsrc').slice(-8).toUpperCase()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-data-sources-'));
  const pool = createPool(config, 2);
  let embedder: OnnxEmbedder;
  let store: LanceDbStore;
  let llm: ChatModel;
  const id = (kind: string, day: number) => `daily-summary:${market}:HB_NORTH:${kind}:2024-06-${String(day).padStart(2, '0')}`;
  const yesterdayRt = id('RT_PRICE', 19);
  const yesterdayDam = id('DAM_PRICE', 19);
  const otherDays = [9, 10, 11, 12, 13].map((d) => id('DAM_PRICE', d));
  const concept = 'concept:c:negative-prices';
  /** The documents stored: docId -> kind, day (null: no series or period) and text. */
  const docs: Array<[string, string, number | null, string]> = [
    [yesterdayRt, 'daily-summary', 19, `HB_NORTH real-time price (${market}) on 2024-06-19 (Central): average 25.45 $/MWh, no negative interval.`],
    [yesterdayDam, 'daily-summary', 19, `HB_NORTH day-ahead price (${market}) on 2024-06-19 (Central): average 27.10 $/MWh.`],
    ...otherDays.map((d, i): [string, string, number, string] => [d, 'daily-summary', 9 + i, `HB_NORTH day-ahead price (${market}) on 2024-06-${9 + i}: average 30 $/MWh, 2 negative hours.`]),
    [concept, 'concept', null, 'Negative prices. Real-time prices go negative when wind output is high and demand is low.'],
  ];
  /** The stores storeOf opened, closed in `after`. */
  const extra: LanceDbStore[] = [];
  const docSources = (a: { sources: Array<{ id: string; title?: string }> }) => a.sources.filter((s) => s.title !== 'database fact').map((s) => s.id);
  /** The answer with the real local model; asserts what holds whatever it writes: a kept phrasing has no denial of the data found. */
  const answer = async (s: LanceDbStore) => {
    const a = await new Responder({ embedder, store: s, llm, pool, market, now: () => NOW }).answer({ question });
    assert.deepEqual(dropDataDenials(a.phrasing ?? '', true, { series: ['HB_NORTH'] }).dropped, [], a.answer);
    return a;
  };

  before(async () => {
    // Yesterday and today to the clock: HB_NORTH real-time prices, every interval positive (18-41 $/MWh).
    const points: PricePoint[] = [];
    for (let t = dayStart(19); t < NOW; t += Q) points.push({ t, v: 18 + ((t - dayStart(19)) / Q) % 24 });
    await insertRtPrices(pool, market, 'HB_NORTH', points);
    ({ embedder, store } = await openDocumentStore(dir));
    await fill(store, () => true);
    llm = await localChatModel();
  });

  after(async () => {
    for (const s of extra) await s.close();
    await closeRagTest(pool, market, dir, { llm, embedder, store });
  });

  /** Embeds the documents `keep` passes and upserts them into `s` (HB_NORTH's, over their Central day). */
  const fill = async (s: LanceDbStore, keep: (docId: string) => boolean) => {
    const kept = docs.filter((d) => keep(d[0]));
    const vectors = await embedder.embed(kept.map((d) => d[3]));
    await s.upsert(kept.map(([docId, kind, day, text], i) => ({
      payload: { docId, kind, series: day === null ? null : 'HB_NORTH', timeStart: day === null ? null : dayStart(day), timeEnd: day === null ? null : dayStart(day) + 24 * H, text },
      vector: vectors[i]!,
    })));
  };

  /** A second LanceDB collection of `name` holding only the documents `keep` passes (a day with nothing stored). */
  const storeOf = async (name: string, keep: (docId: string) => boolean): Promise<LanceDbStore> => {
    const s = await LanceDbStore.open(dir, name);
    extra.push(s);
    await s.ensureCollection(embedder.dim);
    await fill(s, keep);
    return s;
  };

  it('lists yesterday\'s real-time summary, not the day-ahead one of the same day nor other days\'', async () => {
    const a = await answer(store);
    assert.equal(a.intent?.measure, 'negative');
    assert.match(a.answer, /HB_NORTH real-time price, yesterday \(2024-06-19 00:00 CT to 2024-06-20 00:00 CT\): no interval was negative\./);
    assert.deepEqual(docSources(a), [yesterdayRt, concept]);
  });

  it('lists no other day\'s documents when the day has none stored', async () => {
    const s = await storeOf('no_yesterday', (d) => d !== yesterdayRt && d !== yesterdayDam);
    const a = await answer(s);
    assert.deepEqual(docSources(a), [concept]);
  });
});
