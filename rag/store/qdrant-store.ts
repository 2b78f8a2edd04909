// The server vector store: a Qdrant collection (QDRANT_URL, optional QDRANT_API_KEY) with cosine distance and
// payload indexes on the fields retrieval filters by. Qdrant normalises vectors it stores under cosine distance;
// ours are already unit length, so what is read back is what was written (to float precision).
//
// Ids: Qdrant accepts only UUIDs (and unsigned integers) as point ids and answers 400 to anything else, where the
// VectorStore interface says unknown ids are skipped. So every id passes through qdrantPointId: a UUID stays itself
// (lower case), any other string becomes the UUID v5 of it in QDRANT_ID_NAMESPACE, deterministically, and the id
// as given is kept in the payload (field `pointKey`) and handed back by get and search.
// Errors keep Qdrant's own reason (the body's status.error), not only the HTTP status text.
// An existing collection is checked for both its size and its distance: a Euclid or Dot collection of the right
// size would silently turn scores into something other than cosine similarity.
import { QdrantClient } from '@qdrant/js-client-rest';
import {
  type SearchFilter,
  type SearchHit,
  type StoredVector,
  type VectorDoc,
  type VectorPayload,
  type VectorStore,
  VectorStoreError,
  lastPerId,
  uuidV5,
  validateDocs,
  validateSearch,
} from './store.js';

/** Namespace of the UUIDs that stand for ids that are not UUIDs themselves (a fixed random UUID). */
export const QDRANT_ID_NAMESPACE = '3d6f2b0e-98c1-4f7a-b2d4-5e0c71a9f6b3';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Qdrant point id of a store id: a UUID as itself (lower case), any other string its UUID v5 in QDRANT_ID_NAMESPACE. */
export function qdrantPointId(id: string): string {
  return UUID.test(id) ? id.toLowerCase() : uuidV5(id, QDRANT_ID_NAMESPACE);
}

/** The distance every collection of ours uses (the scores are cosine similarity). */
export const QDRANT_DISTANCE = 'Cosine';

/**
 * Qdrant's reason for a failed request: its JSON error body is {"status": {"error": "..."}, "time": ...} (REST API,
 * all endpoints); the client's ApiError keeps the parsed body in `data`. Falls back to the error's own message.
 */
export function qdrantReason(err: unknown): string {
  const data = (err as { data?: unknown }).data;
  const status = data && typeof data === 'object' ? (data as { status?: unknown }).status : undefined;
  if (status && typeof status === 'object' && typeof (status as { error?: unknown }).error === 'string') return (status as { error: string }).error;
  if (typeof data === 'string' && data.trim() !== '') return data.trim().slice(0, 500);
  return (err as Error)?.message ?? String(err);
}

/**
 * Checks an existing collection's vector parameters against what this store needs: one unnamed vector of `dim`
 * values under cosine distance. `vectors` is `config.params.vectors` of GET /collections/{name}.
 * @returns the problem in words, or undefined when it fits
 */
export function collectionMismatch(collection: string, vectors: unknown, dim: number): string | undefined {
  const v = vectors as { size?: unknown; distance?: unknown } | undefined;
  if (!v || typeof v.size !== 'number') return `Qdrant collection ${collection} uses named vectors; expected one unnamed vector`;
  if (v.size !== dim) return `Qdrant collection ${collection} holds vectors of ${v.size}, not ${dim}: drop it (or set VECTOR_COLLECTION) and re-index`;
  if (v.distance !== QDRANT_DISTANCE) return `Qdrant collection ${collection} uses ${String(v.distance)} distance, not ${QDRANT_DISTANCE}: its scores would not be cosine similarity; drop it (or set VECTOR_COLLECTION) and re-index`;
  return undefined;
}

/** Payload indexes: keyword fields filtered by equality, time fields by range. */
const PAYLOAD_INDEXES = [
  { field: 'series', schema: 'keyword' },
  { field: 'kind', schema: 'keyword' },
  { field: 'docId', schema: 'keyword' },
  { field: 'timeStart', schema: 'integer' },
  { field: 'timeEnd', schema: 'integer' },
] as const;

const UPSERT_CHUNK = 256;

type QdrantFilter = { must: Array<Record<string, unknown>> };

/** The filter in Qdrant's JSON form, or undefined when there is none. Periods [timeStart, timeEnd) overlap [from, to). */
export function qdrantFilter(filter: SearchFilter): QdrantFilter | undefined {
  const must: Array<Record<string, unknown>> = [];
  if (filter.series !== undefined) must.push({ key: 'series', match: { value: filter.series } });
  if (filter.kind !== undefined) must.push({ key: 'kind', match: { value: filter.kind } });
  if (filter.from !== undefined) must.push({ key: 'timeEnd', range: { gt: filter.from } });
  if (filter.to !== undefined) must.push({ key: 'timeStart', range: { lt: filter.to } });
  return must.length > 0 ? { must } : undefined;
}

/** The id a point was stored under (its payload's pointKey), else Qdrant's id. */
function idOf(p: { id: string | number; payload?: Record<string, unknown> | null }): string {
  return typeof p.payload?.pointKey === 'string' ? p.payload.pointKey : String(p.id);
}

function payloadOf(p: Record<string, unknown> | null | undefined): VectorPayload {
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return { docId: str(p?.docId) ?? '', kind: str(p?.kind) ?? '', series: str(p?.series), timeStart: num(p?.timeStart), timeEnd: num(p?.timeEnd), text: str(p?.text) ?? '' };
}

function backendError(what: string, err: unknown): VectorStoreError {
  // The client throws ApiError (with status) for HTTP errors, its own errors for timeouts and odd responses.
  const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : undefined;
  const retriable = status === undefined || status >= 500 || status === 429;
  const reason = qdrantReason(err);
  const statusText = (err as Error).message;
  return new VectorStoreError('VECTOR_BACKEND', `Qdrant ${what}: ${reason}${status ? ` (HTTP ${status}${statusText && statusText !== reason ? ` ${statusText}` : ''})` : ''}`, retriable, { cause: err });
}

export class QdrantStore implements VectorStore {
  readonly backend = 'qdrant' as const;
  private dim: number | undefined;

  private constructor(
    private readonly client: QdrantClient,
    readonly collection: string,
    readonly url: string,
  ) {}

  static open(url: string, collection: string, apiKey?: string): QdrantStore {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(collection)) throw new VectorStoreError('VECTOR_BAD_INPUT', `collection name ${JSON.stringify(collection)}: expected 1-64 of A-Z a-z 0-9 _ -`);
    const client = new QdrantClient({ url, ...(apiKey ? { apiKey } : {}), checkCompatibility: false, timeout: 30_000 });
    return new QdrantStore(client, collection, url);
  }

  /** The existing collection's vector parameters, or undefined when there is no such collection. */
  private async existingVectors(): Promise<{ size?: unknown; distance?: unknown } | undefined> {
    try {
      if (!(await this.client.collectionExists(this.collection)).exists) return undefined;
      const info = await this.client.getCollection(this.collection);
      return (info.config.params.vectors ?? {}) as { size?: unknown; distance?: unknown };
    } catch (err) {
      if (err instanceof VectorStoreError) throw err;
      throw backendError(`reading collection ${this.collection} at ${this.url}`, err);
    }
  }

  async ensureCollection(dim: number): Promise<void> {
    if (!Number.isInteger(dim) || dim < 1) throw new VectorStoreError('VECTOR_BAD_INPUT', `dimension ${dim}: expected a positive integer`);
    let existing = await this.existingVectors();
    if (existing === undefined) {
      try {
        await this.client.createCollection(this.collection, { vectors: { size: dim, distance: QDRANT_DISTANCE } });
      } catch (err) {
        // Another process may have created it meanwhile (Qdrant answers 400 or 409 then): fine if it exists now.
        if ((await this.existingVectors()) === undefined) throw backendError(`creating collection ${this.collection}`, err);
      }
      existing = await this.existingVectors();
    }
    const mismatch = collectionMismatch(this.collection, existing, dim);
    if (mismatch) throw new VectorStoreError('VECTOR_DIM_MISMATCH', mismatch);
    try {
      // Creating an index that exists is accepted by Qdrant, so this is safe to repeat.
      for (const idx of PAYLOAD_INDEXES) await this.client.createPayloadIndex(this.collection, { field_name: idx.field, field_schema: idx.schema, wait: true });
    } catch (err) {
      throw backendError(`creating payload indexes on ${this.collection}`, err);
    }
    this.dim = dim;
  }

  private ready(): number {
    if (this.dim === undefined) throw new VectorStoreError('VECTOR_NO_COLLECTION', `call ensureCollection before using ${this.collection}`);
    return this.dim;
  }

  async upsert(docs: readonly VectorDoc[]): Promise<void> {
    const dim = this.ready();
    if (docs.length === 0) return;
    validateDocs(docs, dim);
    const points = lastPerId(docs).map(({ id, doc }) => ({ id: qdrantPointId(id), vector: Array.from(doc.vector), payload: { ...doc.payload, pointKey: id } }));
    for (let i = 0; i < points.length; i += UPSERT_CHUNK) {
      try {
        await this.client.upsert(this.collection, { wait: true, points: points.slice(i, i + UPSERT_CHUNK) });
      } catch (err) {
        throw backendError(`upserting ${points.length} points into ${this.collection}`, err);
      }
    }
  }

  async search(vector: Float32Array, k: number, filter: SearchFilter = {}): Promise<SearchHit[]> {
    const dim = this.ready();
    validateSearch(vector, k, dim, filter);
    const qf = qdrantFilter(filter);
    try {
      const res = await this.client.query(this.collection, { query: Array.from(vector), limit: k, with_payload: true, ...(qf ? { filter: qf } : {}) });
      return res.points.map((p) => ({ id: idOf(p), score: p.score, payload: payloadOf(p.payload) }));
    } catch (err) {
      throw backendError(`searching ${this.collection}`, err);
    }
  }

  async get(ids: readonly string[]): Promise<StoredVector[]> {
    this.ready();
    if (ids.length === 0) return [];
    try {
      const points = await this.client.retrieve(this.collection, { ids: [...new Set(ids.map(qdrantPointId))], with_payload: true, with_vector: true });
      return points.map((p) => ({ id: idOf(p), vector: Float32Array.from(p.vector as number[]), payload: payloadOf(p.payload) }));
    } catch (err) {
      throw backendError(`retrieving ${ids.length} points from ${this.collection}`, err);
    }
  }

  async delete(ids: readonly string[]): Promise<void> {
    this.ready();
    if (ids.length === 0) return;
    try {
      await this.client.delete(this.collection, { wait: true, points: [...new Set(ids.map(qdrantPointId))] });
    } catch (err) {
      throw backendError(`deleting ${ids.length} points from ${this.collection}`, err);
    }
  }

  async count(): Promise<number> {
    this.ready();
    try {
      return (await this.client.count(this.collection, { exact: true })).count;
    } catch (err) {
      throw backendError(`counting ${this.collection}`, err);
    }
  }

  async drop(): Promise<void> {
    this.dim = undefined;
    try {
      if ((await this.client.collectionExists(this.collection)).exists) await this.client.deleteCollection(this.collection);
    } catch (err) {
      throw backendError(`deleting collection ${this.collection}`, err);
    }
  }

  async close(): Promise<void> {
    this.dim = undefined;
  }
}
