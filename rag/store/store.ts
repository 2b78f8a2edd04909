// The vector store behind retrieval: one interface, two backends (LanceDB embedded by default, Qdrant when
// QDRANT_URL is set). Each record is a document's embedding with its payload; its id is derived from the
// document id (UUID v5), so writing the same document again replaces it instead of adding a copy.
import { createHash } from 'node:crypto';
import { SdaError } from '../../platform/errors.js';

export interface VectorPayload {
  /** The MarketDocument id the vector was made from. */
  docId: string;
  /** hourly-summary, daily-summary, event, forecast-snapshot, concept. */
  kind: string;
  /** Settlement point or series id; null for documents about no one series (concepts). */
  series: string | null;
  /** Epoch ms of the period the text is about; null when it is about no period. */
  timeStart: number | null;
  timeEnd: number | null;
  text: string;
}

export interface VectorDoc {
  payload: VectorPayload;
  vector: Float32Array;
}

export interface StoredVector {
  id: string;
  vector: Float32Array;
  payload: VectorPayload;
}

export interface SearchFilter {
  series?: string;
  kind?: string;
  /** Keep documents whose period [timeStart, timeEnd) overlaps [from, to) (epoch ms); documents without a period are left out. */
  from?: number;
  to?: number;
}

export interface SearchHit {
  id: string;
  /** Cosine similarity to the query, 1 = same direction. */
  score: number;
  payload: VectorPayload;
}

export interface VectorStore {
  readonly backend: 'lancedb' | 'qdrant';
  readonly collection: string;
  /** Creates the collection for vectors of `dim` (cosine) unless it exists; throws if it exists with another dimension. */
  ensureCollection(dim: number): Promise<void>;
  /** Inserts or replaces by id (`pointId(docId)`); within one call the last document of an id wins. */
  upsert(docs: readonly VectorDoc[]): Promise<void>;
  search(vector: Float32Array, k: number, filter?: SearchFilter): Promise<SearchHit[]>;
  /** The records with these ids (point ids), in no particular order; unknown ids are skipped. */
  get(ids: readonly string[]): Promise<StoredVector[]>;
  /** Removes the records with these ids (a document withdrawn by a tombstone); unknown ids are ignored. */
  delete(ids: readonly string[]): Promise<void>;
  count(): Promise<number>;
  /** Deletes the collection and its data; a later ensureCollection starts empty. */
  drop(): Promise<void>;
  close(): Promise<void>;
}

/** A vector-store failure; `retriable` when a server did not answer, not for a wrong dimension or bad input. */
export class VectorStoreError extends SdaError<'VECTOR_DIM_MISMATCH' | 'VECTOR_NO_COLLECTION' | 'VECTOR_BAD_INPUT' | 'VECTOR_BACKEND'> {}

/** The namespace of this project's point ids (a fixed random UUID; changing it re-keys every store). */
export const POINT_ID_NAMESPACE = '7f0f3c1e-4a55-4d0b-9c57-6a3e1f2b8d41';

/** RFC 4122 version 5 (SHA-1, name-based) UUID of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new VectorStoreError('VECTOR_BAD_INPUT', `namespace ${namespace} is not a UUID`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The store id of a document: the same document id always gives the same point id. */
export function pointId(docId: string): string {
  return uuidV5(docId, POINT_ID_NAMESPACE);
}

/** Checks what every backend requires of a write, so both fail the same way on bad input. */
export function validateDocs(docs: readonly VectorDoc[], dim: number): void {
  for (const d of docs) {
    if (!d.payload.docId) throw new VectorStoreError('VECTOR_BAD_INPUT', 'a document without docId');
    if (d.vector.length !== dim) throw new VectorStoreError('VECTOR_BAD_INPUT', `document ${d.payload.docId}: vector of ${d.vector.length} values, the collection holds ${dim}`);
    if (!d.vector.every(Number.isFinite)) throw new VectorStoreError('VECTOR_BAD_INPUT', `document ${d.payload.docId}: vector holds a non-finite value`);
    for (const t of [d.payload.timeStart, d.payload.timeEnd]) {
      if (t !== null && !Number.isSafeInteger(t)) throw new VectorStoreError('VECTOR_BAD_INPUT', `document ${d.payload.docId}: time ${t} is not epoch milliseconds`);
    }
  }
}

/** The last document of each point id, in first-seen order. */
export function lastPerId(docs: readonly VectorDoc[]): Array<{ id: string; doc: VectorDoc }> {
  const byId = new Map<string, VectorDoc>();
  for (const d of docs) byId.set(pointId(d.payload.docId), d);
  return [...byId].map(([id, doc]) => ({ id, doc }));
}

export function validateSearch(vector: Float32Array, k: number, dim: number, filter: SearchFilter): void {
  if (vector.length !== dim) throw new VectorStoreError('VECTOR_BAD_INPUT', `query vector of ${vector.length} values, the collection holds ${dim}`);
  if (!Number.isInteger(k) || k < 1 || k > 1_000) throw new VectorStoreError('VECTOR_BAD_INPUT', `k=${k}: expected an integer 1-1000`);
  for (const t of [filter.from, filter.to]) {
    if (t !== undefined && !Number.isFinite(t)) throw new VectorStoreError('VECTOR_BAD_INPUT', `time filter ${t} is not a number`);
  }
}
