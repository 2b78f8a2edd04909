// The embedded vector store: LanceDB tables in a local directory (VECTOR_DIR, default .cache/lancedb).
// Searches are exact (no ANN index: the collections here are thousands of documents, not millions) and use
// cosine distance, so scores match Qdrant's. LanceDB filters are SQL text, so every value that enters one is
// validated or quoted here.
import fs from 'node:fs';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Float64, Schema, Utf8 } from 'apache-arrow';
import {
  type SearchFilter,
  type SearchHit,
  type StoredVector,
  type VectorDoc,
  type VectorPayload,
  type VectorStore,
  VectorStoreError,
  lastPerId,
  validateDocs,
  validateSearch,
} from './store.js';

function schemaFor(dim: number): Schema {
  return new Schema([
    new Field('id', new Utf8(), false),
    new Field('doc_id', new Utf8(), false),
    new Field('kind', new Utf8(), false),
    new Field('series', new Utf8(), true),
    new Field('time_start', new Float64(), true),
    new Field('time_end', new Float64(), true),
    new Field('text', new Utf8(), false),
    new Field('vector', new FixedSizeList(dim, new Field('item', new Float32(), true)), false),
  ]);
}

/** A SQL string literal for a LanceDB filter. */
export function sqlString(value: string): string {
  if (value.includes('\u0000')) throw new VectorStoreError('VECTOR_BAD_INPUT', 'a filter value holds a NUL character');
  return `'${value.replace(/'/g, "''")}'`;
}

/** The filter as LanceDB SQL, or undefined when there is none. Periods [timeStart, timeEnd) overlap [from, to). */
export function lanceWhere(filter: SearchFilter): string | undefined {
  const parts: string[] = [];
  if (filter.series !== undefined) parts.push(`series = ${sqlString(filter.series)}`);
  if (filter.kind !== undefined) parts.push(`kind = ${sqlString(filter.kind)}`);
  if (filter.from !== undefined) parts.push(`time_end IS NOT NULL AND time_end > ${Number(filter.from)}`);
  if (filter.to !== undefined) parts.push(`time_start IS NOT NULL AND time_start < ${Number(filter.to)}`);
  return parts.length > 0 ? parts.map((p) => `(${p})`).join(' AND ') : undefined;
}

interface Row {
  id: string;
  doc_id: string;
  kind: string;
  series: string | null;
  time_start: number | null;
  time_end: number | null;
  text: string;
  vector: { toArray(): Float32Array } | Float32Array | number[];
  _distance?: number;
}

function payloadOf(r: Row): VectorPayload {
  return { docId: r.doc_id, kind: r.kind, series: r.series ?? null, timeStart: r.time_start ?? null, timeEnd: r.time_end ?? null, text: r.text };
}

function vectorOf(v: Row['vector']): Float32Array {
  if (v instanceof Float32Array) return Float32Array.from(v);
  if (Array.isArray(v)) return Float32Array.from(v);
  return Float32Array.from(v.toArray());
}

export class LanceDbStore implements VectorStore {
  readonly backend = 'lancedb' as const;
  private table: lancedb.Table | undefined;
  private dim: number | undefined;

  private constructor(
    private readonly db: lancedb.Connection,
    readonly collection: string,
    readonly dir: string,
  ) {}

  static async open(dir: string, collection: string): Promise<LanceDbStore> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(collection)) throw new VectorStoreError('VECTOR_BAD_INPUT', `collection name ${JSON.stringify(collection)}: expected 1-64 of A-Z a-z 0-9 _ -`);
    fs.mkdirSync(dir, { recursive: true });
    // Another process (the vector sink) writes while this one (the gateway) reads: check for new versions at most
    // every second instead of never, LanceDB's default.
    return new LanceDbStore(await lancedb.connect(dir, { readConsistencyInterval: 1 }), collection, dir);
  }

  async ensureCollection(dim: number): Promise<void> {
    if (!Number.isInteger(dim) || dim < 1) throw new VectorStoreError('VECTOR_BAD_INPUT', `dimension ${dim}: expected a positive integer`);
    // existOk: another process may create it between the check and the create.
    const table = (await this.db.tableNames()).includes(this.collection)
      ? await this.db.openTable(this.collection)
      : await this.db.createEmptyTable(this.collection, schemaFor(dim), { mode: 'create', existOk: true });
    const vectorField = (await table.schema()).fields.find((f) => f.name === 'vector');
    const existing = vectorField?.type instanceof FixedSizeList ? vectorField.type.listSize : (vectorField?.type as { listSize?: number } | undefined)?.listSize;
    if (existing !== dim) {
      table.close();
      throw new VectorStoreError('VECTOR_DIM_MISMATCH', `LanceDB table ${this.collection} in ${this.dir} holds vectors of ${existing}, not ${dim}: drop it (or set VECTOR_COLLECTION) and re-index`);
    }
    this.table = table;
    this.dim = dim;
  }

  private ready(): { table: lancedb.Table; dim: number } {
    if (!this.table || this.dim === undefined) throw new VectorStoreError('VECTOR_NO_COLLECTION', `call ensureCollection before using ${this.collection}`);
    return { table: this.table, dim: this.dim };
  }

  async upsert(docs: readonly VectorDoc[]): Promise<void> {
    const { table, dim } = this.ready();
    if (docs.length === 0) return;
    validateDocs(docs, dim);
    const rows = lastPerId(docs).map(({ id, doc }) => ({
      id,
      doc_id: doc.payload.docId,
      kind: doc.payload.kind,
      series: doc.payload.series,
      time_start: doc.payload.timeStart,
      time_end: doc.payload.timeEnd,
      text: doc.payload.text,
      vector: Array.from(doc.vector),
    }));
    const data = lancedb.makeArrowTable(rows, { schema: schemaFor(dim) });
    await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data);
  }

  async search(vector: Float32Array, k: number, filter: SearchFilter = {}): Promise<SearchHit[]> {
    const { table, dim } = this.ready();
    validateSearch(vector, k, dim, filter);
    let q = (table.search(Array.from(vector), 'vector') as lancedb.VectorQuery).column('vector').distanceType('cosine').limit(k);
    const where = lanceWhere(filter);
    if (where) q = q.where(where);
    const rows = (await q.toArray()) as Row[];
    return rows.map((r) => ({ id: r.id, score: 1 - (r._distance ?? 1), payload: payloadOf(r) }));
  }

  async get(ids: readonly string[]): Promise<StoredVector[]> {
    const { table } = this.ready();
    if (ids.length === 0) return [];
    const rows = (await table.query().where(`id IN (${ids.map(sqlString).join(', ')})`).toArray()) as Row[];
    return rows.map((r) => ({ id: r.id, vector: vectorOf(r.vector), payload: payloadOf(r) }));
  }

  async delete(ids: readonly string[]): Promise<void> {
    const { table } = this.ready();
    if (ids.length === 0) return;
    await table.delete(`id IN (${ids.map(sqlString).join(', ')})`);
  }

  async count(): Promise<number> {
    return this.ready().table.countRows();
  }

  async drop(): Promise<void> {
    this.table?.close();
    this.table = undefined;
    this.dim = undefined;
    if ((await this.db.tableNames()).includes(this.collection)) await this.db.dropTable(this.collection);
  }

  async close(): Promise<void> {
    this.table?.close();
    this.table = undefined;
    this.db.close();
  }
}
