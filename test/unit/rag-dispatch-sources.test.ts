// trace: D.numbers-from-tools
// Responder.dispatchDocuments: a battery answer's documents are the stored ones its plan read (MeasureFact.basis),
// then one concept; a basis document the store lacks, or holds written for another forecast with the same id, is left
// out, and nothing is searched beyond the concept (the integration test rag-dispatch-sources runs it end to end).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import type { Embedder } from '../../rag/embeddings.js';
import type { ChatModel } from '../../rag/llm.js';
import { Responder } from '../../rag/responder.js';
import { type SearchFilter, type SearchHit, type StoredVector, type VectorStore, pointId } from '../../rag/store/store.js';
import type { MeasureFact } from '../../rag/tools.js';

const SNAP = 'forecast-snapshot:M:HB_WEST:RT_PRICE:2024-07-03T05:00:00.000Z';
const stored = (docId: string, text: string, vector: number[]): StoredVector => ({
  id: pointId(docId), vector: Float32Array.from(vector), payload: { docId, kind: 'forecast-snapshot', series: 'HB_WEST', timeStart: 0, timeEnd: 1, text },
});
const concept: SearchHit = { id: 'c', score: 0.4, payload: { docId: 'concept:c:battery-arbitrage-basics', kind: 'concept', series: null, timeStart: null, timeEnd: null, text: 'Batteries charge low, discharge high.' } };

function rig(held: StoredVector[]) {
  const searches: SearchFilter[] = [];
  const store = {
    get: async (ids: readonly string[]) => held.filter((h) => ids.includes(h.id)),
    search: async (_v: Float32Array, k: number, f: SearchFilter = {}) => {
      searches.push(f);
      return f.kind === 'concept' ? [concept].slice(0, k) : [];
    },
  } as unknown as VectorStore;
  const embedder = { dim: 2, modelName: 'fake', embed: async (t: readonly string[]) => t.map(() => Float32Array.from([1, 0])), close: async () => {} } as Embedder;
  const responder = new Responder({ embedder, store, llm: {} as ChatModel, pool: {} as pg.Pool, market: 'M', now: () => 0 });
  return { responder, searches };
}

const fact = (documents: Array<{ id: string; names: string }>): MeasureFact => ({ id: 'dispatch:bess-west:2024-07-04:v1', text: 'plan', numbers: {}, values: [], basis: { series: 'HB_WEST', from: 0, to: 1, documents } });

describe('the documents of a battery answer', () => {
  it('lists the forecast the plan read, scored by cosine similarity, then one concept; searches nothing else', async () => {
    const { responder, searches } = rig([stored(SNAP, 'Forecast for HB_WEST real-time price (M) by model v1, issued 2024-07-02 23:59 CT, for 48 steps', [3, 4])]);
    const hits = await responder.dispatchDocuments('When should bess-west discharge tomorrow?', [fact([{ id: SNAP, names: 'by model v1, issued 2024-07-02 23:59 CT,' }])]);
    assert.deepEqual(hits.map((h) => h.payload.docId), [SNAP, 'concept:c:battery-arbitrage-basics']);
    assert.equal(hits[0]!.score, 0.6);
    assert.deepEqual(searches, [{ kind: 'concept' }]);
  });

  it('leaves out a basis document the store lacks, or holds for another forecast with the same id', async () => {
    const other = rig([stored(SNAP, 'Forecast for HB_WEST real-time price (M) by model v2, issued 2024-07-02 22:59 CT, for 48 steps', [1, 0])]);
    const wanted = [fact([{ id: SNAP, names: 'by model v1, issued 2024-07-02 23:59 CT,' }])];
    assert.deepEqual((await other.responder.dispatchDocuments('q', wanted)).map((h) => h.payload.docId), ['concept:c:battery-arbitrage-basics']);
    const none = rig([]);
    assert.deepEqual((await none.responder.dispatchDocuments('q', wanted)).map((h) => h.payload.docId), ['concept:c:battery-arbitrage-basics']);
    // A fact without a basis (the schedule could not be made) reads no document.
    assert.deepEqual((await none.responder.dispatchDocuments('q', [{ id: 'dispatch:unavailable', text: 'x', numbers: {}, values: [] }])).map((h) => h.payload.docId), ['concept:c:battery-arbitrage-basics']);
  });
});
