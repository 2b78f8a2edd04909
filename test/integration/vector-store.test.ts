// trace: 4.1, D.vector-store
// The same contract against every vector store backend: LanceDB always (embedded, a temporary directory),
// Qdrant when QDRANT_URL names a server (`docker compose up qdrant`). Vectors are real embeddings.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EMBEDDING_DIM, type OnnxEmbedder, createEmbedder } from '../../rag/embeddings.js';
import { LanceDbStore } from '../../rag/store/lancedb-store.js';
import { QdrantStore } from '../../rag/store/qdrant-store.js';
import { type VectorDoc, type VectorPayload, type VectorStore, VectorStoreError, pointId } from '../../rag/store/store.js';
import { config, uniqueName } from './harness.js';

const H = 3_600_000;
const DAY0 = Date.UTC(2024, 6, 1, 5);

const PAYLOADS: VectorPayload[] = [
  { docId: 'event:HB_WEST:neg', kind: 'event', series: 'HB_WEST', timeStart: DAY0 + 2 * H, timeEnd: DAY0 + 3 * H, text: 'Real-time price at HB_WEST fell to -23.10 $/MWh at 02:00 as wind output peaked overnight.' },
  { docId: 'daily:HB_NORTH:d0', kind: 'daily-summary', series: 'HB_NORTH', timeStart: DAY0, timeEnd: DAY0 + 24 * H, text: 'HB_NORTH daily summary: real-time price averaged 31.40 $/MWh, peak 88.20 at 17:00.' },
  { docId: 'daily:HB_NORTH:d1', kind: 'daily-summary', series: 'HB_NORTH', timeStart: DAY0 + 24 * H, timeEnd: DAY0 + 48 * H, text: 'HB_NORTH daily summary: real-time price averaged 45.90 $/MWh, peak 410.00 at 18:00 during tight reserves.' },
  { docId: 'daily:HB_WEST:d1', kind: 'daily-summary', series: 'HB_WEST', timeStart: DAY0 + 24 * H, timeEnd: DAY0 + 48 * H, text: 'HB_WEST daily summary: real-time price averaged 12.30 $/MWh with strong wind.' },
  { docId: 'concept:offer-cap', kind: 'concept', series: null, timeStart: null, timeEnd: null, text: 'ERCOT caps energy offers at $5,000/MWh, the system-wide offer cap reached during scarcity.' },
];

function contract(name: string, open: () => Promise<VectorStore> | VectorStore, skip: string | false) {
  describe(`vector store contract: ${name}`, { skip }, () => {
    let embedder: OnnxEmbedder;
    let store: VectorStore;
    let docs: VectorDoc[];

    before(async () => {
      embedder = await createEmbedder(config);
      store = await open();
      await store.ensureCollection(EMBEDDING_DIM);
      const vectors = await embedder.embed(PAYLOADS.map((p) => p.text));
      docs = PAYLOADS.map((payload, i) => ({ payload, vector: vectors[i]! }));
      await store.upsert(docs);
    });

    after(async () => {
      await store?.drop();
      await store?.close();
      await embedder?.close();
    });

    it('reads back the id, vector and payload that were written', async () => {
      const ids = PAYLOADS.map((p) => pointId(p.docId));
      const got = await store.get(ids);
      assert.equal(got.length, PAYLOADS.length);
      for (const d of docs) {
        const rec = got.find((g) => g.id === pointId(d.payload.docId));
        assert.ok(rec, `record for ${d.payload.docId}`);
        assert.equal(rec.vector.length, EMBEDDING_DIM);
        for (let i = 0; i < EMBEDDING_DIM; i++) assert.ok(Math.abs(rec.vector[i]! - d.vector[i]!) < 1e-6, `${d.payload.docId} dim ${i}`);
        assert.deepEqual(rec.payload, d.payload);
      }
      assert.deepEqual(await store.get([pointId('no-such-document')]), []);
    });

    it('is idempotent: the same document id twice is one record, the last text wins', async () => {
      const before = await store.count();
      const changed = { payload: { ...docs[1]!.payload, text: 'HB_NORTH daily summary, corrected: real-time price averaged 31.45 $/MWh.' }, vector: docs[1]!.vector };
      await store.upsert([docs[1]!, changed]);
      await store.upsert([changed]);
      assert.equal(await store.count(), before);
      const [rec] = await store.get([pointId(changed.payload.docId)]);
      assert.equal(rec!.payload.text, changed.payload.text);
      await store.upsert([docs[1]!]);
    });

    it('returns the expected nearest neighbour with a cosine score', async () => {
      const [q] = await embedder.embed(['Why did West hub prices go negative at night?']);
      const hits = await store.search(q!, 3);
      assert.equal(hits.length, 3);
      assert.equal(hits[0]!.payload.docId, 'event:HB_WEST:neg');
      assert.ok(hits[0]!.score > hits[1]!.score && hits[0]!.score <= 1 + 1e-6);
      const [self] = await store.search(docs[4]!.vector, 1);
      assert.equal(self!.payload.docId, 'concept:offer-cap');
      assert.ok(Math.abs(self!.score - 1) < 1e-4, `self score ${self!.score}`);
    });

    it('filters by series, kind and overlapping period', async () => {
      const [q] = await embedder.embed(['daily real-time price summary']);
      const north = await store.search(q!, 10, { series: 'HB_NORTH' });
      assert.deepEqual(north.map((h) => h.payload.docId).sort(), ['daily:HB_NORTH:d0', 'daily:HB_NORTH:d1']);
      const concepts = await store.search(q!, 10, { kind: 'concept' });
      assert.deepEqual(concepts.map((h) => h.payload.docId), ['concept:offer-cap']);
      // Day 1 only: [DAY0+25h, DAY0+30h] overlaps the day-1 summaries, not day 0's or the 02:00 event.
      const day1 = await store.search(q!, 10, { from: DAY0 + 25 * H, to: DAY0 + 30 * H });
      assert.deepEqual(day1.map((h) => h.payload.docId).sort(), ['daily:HB_NORTH:d1', 'daily:HB_WEST:d1']);
      // Periods are half-open: a day that ends where the filter starts does not overlap it.
      const day1Exact = await store.search(q!, 10, { kind: 'daily-summary', from: DAY0 + 24 * H, to: DAY0 + 48 * H });
      assert.deepEqual(day1Exact.map((h) => h.payload.docId).sort(), ['daily:HB_NORTH:d1', 'daily:HB_WEST:d1']);
      const westDay1 = await store.search(q!, 10, { series: 'HB_WEST', kind: 'daily-summary', from: DAY0 + 24 * H });
      assert.deepEqual(westDay1.map((h) => h.payload.docId), ['daily:HB_WEST:d1']);
      assert.deepEqual(await store.search(q!, 10, { series: "HB_WEST' OR '1'='1" }), []);
    });

    it('refuses a vector of another dimension, and a collection of another dimension', async () => {
      await assert.rejects(store.search(new Float32Array(10), 1), (e: unknown) => e instanceof VectorStoreError && e.code === 'VECTOR_BAD_INPUT');
      await assert.rejects(store.ensureCollection(EMBEDDING_DIM + 1), (e: unknown) => e instanceof VectorStoreError && e.code === 'VECTOR_DIM_MISMATCH');
      await store.ensureCollection(EMBEDDING_DIM);
    });

    it('shows a second handle what the first one wrote', async () => {
      const other = await open();
      try {
        await other.ensureCollection(EMBEDDING_DIM);
        const extra = { payload: { ...docs[0]!.payload, docId: 'event:HB_WEST:neg:copy' }, vector: docs[0]!.vector };
        await other.upsert([extra]);
        // LanceDB re-reads the table version at most every second (readConsistencyInterval); Qdrant at once.
        const deadline = Date.now() + 10_000;
        while ((await store.count()) !== PAYLOADS.length + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        assert.equal(await store.count(), PAYLOADS.length + 1);
        assert.equal((await store.get([pointId('event:HB_WEST:neg:copy')])).length, 1);
        await other.delete([pointId('event:HB_WEST:neg:copy')]);
        const deadline2 = Date.now() + 10_000;
        while ((await store.count()) !== PAYLOADS.length && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 200));
        assert.equal(await store.count(), PAYLOADS.length);
      } finally {
        await other.close();
      }
    });

    it('counts, and starts empty after drop', async () => {
      assert.equal(await store.count(), PAYLOADS.length);
      await store.drop();
      await store.ensureCollection(EMBEDDING_DIM);
      assert.equal(await store.count(), 0);
    });
  });
}

const lanceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-lancedb-'));
process.on('exit', () => fs.rmSync(lanceDir, { recursive: true, force: true }));
const lanceCollection = uniqueName('test_docs').replace('.', '_');
contract('LanceDB (embedded)', () => LanceDbStore.open(lanceDir, lanceCollection), false);

const qdrantUrl = process.env.QDRANT_URL;
const qdrantCollection = uniqueName('test_docs').replace('.', '_');
contract(
  'Qdrant',
  () => QdrantStore.open(qdrantUrl!, qdrantCollection, process.env.QDRANT_API_KEY || undefined),
  qdrantUrl ? false : 'QDRANT_URL is not set: no Qdrant server to test against (start one with `docker compose up -d qdrant` and set QDRANT_URL=http://127.0.0.1:6333)',
);
