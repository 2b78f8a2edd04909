// The PostgreSQL rows and retrieval pieces that the RAG responder's integration tests (responder.test.ts,
// rag-dispatch-sources.test.ts) set up under a market name of their own: quarter-hour real-time prices in market_data,
// hourly price forecasts in forecasts, the summarizer's documents embedded (all-MiniLM-L6-v2) into a temporary
// LanceDB, and the local chat model (SmolLM2). All real services and models, no mocks.
import fs from 'node:fs';
import type pg from 'pg';
import { buildDocuments } from '../../processors/summarizer/summarizer.js';
import { type OnnxEmbedder, createEmbedder } from '../../rag/embeddings.js';
import { type ChatModel, createChatModel } from '../../rag/llm.js';
import { LanceDbStore } from '../../rag/store/lancedb-store.js';
import { toVectorDoc } from '../../sinks/vector/documents-sink.js';
import { config } from './harness.js';

/** One quarter-hour real-time price: the interval's start (ms since the epoch) and its value (USD/MWh). */
export interface PricePoint {
  t: number;
  v: number;
}

/**
 * Inserts one settlement point's 15-minute real-time prices into market_data under `market`: point type HUB, kind
 * RT_PRICE, unit USD/MWh, source 'test', each interval ending 15 minutes after `t`.
 */
export async function insertRtPrices(pool: pg.Pool, market: string, seriesId: string, points: readonly PricePoint[]): Promise<void> {
  await pool.query(
    `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
     SELECT $1, $2, 'HUB', 'RT_PRICE', t, t + interval '15 minutes', v, 'USD/MWh', 'test', now() FROM unnest($3::timestamptz[], $4::float8[]) AS u(t, v)`,
    [market, seriesId, points.map((p) => new Date(p.t)), points.map((p) => p.v)],
  );
}

/** An hourly real-time price forecast as stored: times in ms since the epoch, values in USD/MWh, one per hour from targetStart. */
export interface TestPriceForecast {
  seriesId: string;
  modelVersion: string;
  targetStart: number;
  values: readonly number[];
  issuedAt: number;
  /** The input window the forecast read: [inputStart, inputEnd]. */
  inputStart: number;
  inputEnd: number;
}

/** Inserts an hourly (step 3,600,000 ms) RT_PRICE forecast under `market`; its target ends values.length hours after targetStart. */
export async function insertHourlyPriceForecast(pool: pg.Pool, market: string, f: TestPriceForecast): Promise<void> {
  await pool.query(
    `INSERT INTO forecasts (market, series_id, kind, step_ms, model_version, target_start, target_end, "values", unit, issued_at, input_start, input_end)
     VALUES ($1, $2, 'RT_PRICE', 3600000, $3, $4, $5, $6, 'USD/MWh', $7, $8, $9)`,
    [market, f.seriesId, f.modelVersion, new Date(f.targetStart), new Date(f.targetStart + f.values.length * 3_600_000), f.values, new Date(f.issuedAt), new Date(f.inputStart), new Date(f.inputEnd)],
  );
}

/** The configured embedder (all-MiniLM-L6-v2) and a LanceDB collection 'docs' in `dir` of its dimension. */
export async function openDocumentStore(dir: string): Promise<{ embedder: OnnxEmbedder; store: LanceDbStore }> {
  const embedder = await createEmbedder(config);
  const store = await LanceDbStore.open(dir, 'docs');
  await store.ensureCollection(embedder.dim);
  return { embedder, store };
}

/**
 * The summarizer's documents of `market` for [from, to) as of `now` (ms since the epoch), as it writes them from the
 * rows in PostgreSQL, embedded and upserted into `store` as the documents sink does.
 */
export async function storeDocuments(pool: pg.Pool, embedder: OnnxEmbedder, store: LanceDbStore, window: { market: string; from: number; to: number; now: number }): Promise<void> {
  const { docs } = await buildDocuments(pool, window);
  const vectors = await embedder.embed(docs.map((d) => d.text));
  await store.upsert(docs.map((d, i) => toVectorDoc(d, vectors[i]!)));
}

/** The local chat model (SmolLM2 through node-llama-cpp), whatever LLM_BASE_URL names. */
export function localChatModel(): Promise<ChatModel> {
  return createChatModel({ ...config, llm: { ...config.llm, baseUrl: undefined } });
}

/**
 * A RAG test's `after`: deletes `market`'s market_data and forecasts rows, ends the pool, closes the model, embedder
 * and store that were opened (any may be missing when `before` failed early) and removes `dir`.
 */
export async function closeRagTest(pool: pg.Pool, market: string, dir: string, opened: { llm?: ChatModel; embedder?: OnnxEmbedder; store?: LanceDbStore }): Promise<void> {
  await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
  await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
  await pool.end();
  await opened.llm?.close();
  await opened.embedder?.close();
  await opened.store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
