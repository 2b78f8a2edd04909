// The evaluation's data path, shared by `sda bench rag-eval` and test/integration/rag-eval.test.ts: simulated
// ticks → market_data through the PostgreSQL sink's own write function (writeBatch), deterministic forecasts
// through the forecasts sink's (writeForecasts), the summarizer's documents (buildDocuments) plus the planted
// injection document → all-MiniLM-L6-v2 embeddings → a LanceDB table of the evaluation's own; then retrieval
// recall@5 through the responder's own retrieval (the question's intent against the market clock: series and period filters, concepts).
import type pg from 'pg';
import { buildDocuments } from '../../processors/summarizer/summarizer.js';
import type { Embedder } from '../../rag/embeddings.js';
import type { Responder } from '../../rag/responder.js';
import type { MarketDocument } from '../../schemas/types.js';
import { toVectorDoc } from '../../sinks/vector/documents-sink.js';
import type { SearchHit, VectorStore } from '../../rag/store/store.js';
import { writeForecasts } from '../../sinks/postgres/forecasts-sink.js';
import { writeBatch } from '../../sinks/postgres/ticks-sink.js';
import type { EvalQuestion, EvalSet } from './questions.js';

/** PostgreSQL advisory lock key held while a run owns the evaluation market ('RAGE'). */
export const EVAL_LOCK_KEY = 0x52414745;

/**
 * Waits for and takes the evaluation market: the bench and the integration test write the same market (document
 * texts name it, so another name would embed differently and move the figures), one run at a time. The lock goes
 * with the connection, so a run that dies releases it. Returns the release function.
 */
export async function lockEvalMarket(pool: pg.Pool): Promise<() => Promise<void>> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [EVAL_LOCK_KEY]);
  } catch (err) {
    client.release();
    throw err;
  }
  return async () => {
    try {
      await client.query('SELECT pg_advisory_unlock($1)', [EVAL_LOCK_KEY]);
    } finally {
      client.release();
    }
  };
}

/** Removes the evaluation market's rows (market_data and forecasts). */
export async function clearEvalMarket(pool: pg.Pool, market: string): Promise<void> {
  if (market === 'ERCOT') throw new Error('rag-eval: refusing to clear market ERCOT');
  await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
  await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
}

/** Writes the set's ticks and forecasts (after clearing the market, so a re-run starts from the same rows). */
export async function loadEvalMarket(pool: pg.Pool, set: EvalSet): Promise<{ ticks: number; forecasts: number }> {
  await clearEvalMarket(pool, set.market);
  const client = await pool.connect();
  try {
    await writeBatch(client, set.ticks.map((tick, i) => ({ seq: String(i), tick })), [], 'rag-eval');
  } finally {
    client.release();
  }
  await writeForecasts(pool, set.forecasts);
  return { ticks: set.ticks.length, forecasts: set.forecasts.length };
}

export interface IndexCounts {
  documents: number;
  byKind: Record<string, number>;
  embedSeconds: number;
  upsertSeconds: number;
}

/** The summarizer's documents for the set's window plus the planted document, embedded and written to `store`. */
export async function indexEvalDocuments(pool: pg.Pool, embedder: Embedder, store: VectorStore, set: EvalSet): Promise<{ docs: MarketDocument[]; counts: IndexCounts }> {
  const { docs: built } = await buildDocuments(pool, { market: set.market, from: set.from, to: set.to, now: set.now });
  const docs = [...built, set.injection];
  const t0 = performance.now();
  const vectors = await embedder.embed(docs.map((d) => d.text));
  const t1 = performance.now();
  for (let i = 0; i < docs.length; i += 1_000) await store.upsert(docs.slice(i, i + 1_000).map((d, j) => toVectorDoc(d, vectors[i + j]!)));
  const t2 = performance.now();
  const byKind: Record<string, number> = {};
  for (const d of docs) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  return { docs, counts: { documents: docs.length, byKind, embedSeconds: (t1 - t0) / 1_000, upsertSeconds: (t2 - t1) / 1_000 } };
}

export interface RetrievalResult {
  id: string;
  category: string;
  hit: boolean;
  /** 1-based rank of the first expected document, or null. */
  rank: number | null;
  retrieved: string[];
}

function judge(q: EvalQuestion, hits: readonly SearchHit[]): RetrievalResult {
  const retrieved = hits.slice(0, 5).map((h) => h.payload.docId);
  const at = retrieved.findIndex((id) => q.expectedDocs.includes(id));
  return { id: q.id, category: q.category, hit: at >= 0, rank: at >= 0 ? at + 1 : null, retrieved };
}

/** Recall@5 through the responder's retrieval (what the model is shown: k=4 filtered documents and one concept). */
export async function responderRecall(responder: Responder, set: EvalSet): Promise<RetrievalResult[]> {
  const out: RetrievalResult[] = [];
  // Questions with no expected document (issue 14's: answered from SQL facts) are not retrieval questions.
  for (const q of set.questions.filter((x) => x.expectedDocs.length > 0)) out.push(judge(q, await responder.retrieveFor(q.question)));
  return out;
}

/** Baseline: plain vector search, top 5 over the whole table, no filters. */
export async function plainRecall(embedder: Embedder, store: VectorStore, set: EvalSet): Promise<RetrievalResult[]> {
  const qs = set.questions.filter((x) => x.expectedDocs.length > 0);
  const vectors = await embedder.embed(qs.map((q) => q.question));
  const out: RetrievalResult[] = [];
  for (const [i, q] of qs.entries()) out.push(judge(q, await store.search(vectors[i]!, 5)));
  return out;
}

export const share = (xs: readonly boolean[]) => (xs.length === 0 ? 0 : xs.filter(Boolean).length / xs.length);
