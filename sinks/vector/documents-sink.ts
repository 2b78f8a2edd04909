// market.documents → embeddings → the vector store. Each batch is embedded and upserted (point id derived from
// the document id, so a redelivered batch rewrites the same points); the consume loop commits the Kafka offsets
// only after the store write. The topic is compacted: a tombstone (null value) removes the document's point.
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import { type Embedder, createEmbedder } from '../../rag/embeddings.js';
import type { MarketDocument } from '../../schemas/types.js';
import { startConsumeLoop } from '../../platform/kafka/consume-loop.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { TOPICS } from '../../platform/kafka/topics.js';
import { openVectorStore } from '../../rag/store/open-store.js';
import { type VectorDoc, type VectorStore, pointId } from '../../rag/store/store.js';

const log = logger('documents-sink');

const EMBED_CHUNK = 64;

export interface DocumentsSinkCounts {
  received: number;
  upserted: number;
  deleted: number;
  deadLettered: number;
  batches: number;
}

export interface DocumentsSinkOptions {
  topic?: string;
  groupId?: string;
  /** Defaults: the configured store (Qdrant or LanceDB) and the all-MiniLM-L6-v2 embedder. */
  store?: VectorStore;
  embedder?: Embedder;
  onBatch?: (counts: DocumentsSinkCounts) => void;
}

/** A document the store cannot take: the reason, or undefined when it is fine. */
export function validateDocument(d: MarketDocument): { reasonCode: string; message: string } | undefined {
  if (!d.id.trim()) return { reasonCode: 'validation', message: 'document without id' };
  if (!d.text.trim()) return { reasonCode: 'validation', message: `document ${d.id} has no text` };
  if (d.rangeStart != null && d.rangeEnd != null && d.rangeEnd < d.rangeStart) return { reasonCode: 'validation', message: `document ${d.id}: rangeEnd before rangeStart` };
  return undefined;
}

export function toVectorDoc(d: MarketDocument, vector: Float32Array): VectorDoc {
  return {
    payload: { docId: d.id, kind: d.kind, series: d.seriesId ?? null, timeStart: d.rangeStart ?? null, timeEnd: d.rangeEnd ?? null, text: d.text },
    vector,
  };
}

type Action = { op: 'upsert'; doc: MarketDocument } | { op: 'delete' };

/**
 * What the batch leaves for each document id, in offset order: the last upsert or tombstone wins. Tombstones are
 * keyed by the record key (the document id); values by their own id. Both lists are in offset order.
 */
export function finalActions(records: Array<{ offset: string; value: MarketDocument }>, tombstones: Array<{ offset: string; key: string | null }>): Map<string, Action> {
  const events = [...records.map((r) => ({ offset: BigInt(r.offset), id: r.value.id, action: { op: 'upsert', doc: r.value } as Action })), ...tombstones.flatMap((t) => (t.key === null ? [] : [{ offset: BigInt(t.offset), id: t.key, action: { op: 'delete' } as Action }]))];
  events.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  const actions = new Map<string, Action>();
  for (const e of events) actions.set(e.id, e.action);
  return actions;
}

export async function startDocumentsSink(config: Config, opts: DocumentsSinkOptions = {}, provisioned?: Provisioned) {
  const topic = opts.topic ?? TOPICS.documents.name;
  const embedder = opts.embedder ?? (await createEmbedder(config));
  const store = opts.store ?? (await openVectorStore(config));
  await store.ensureCollection(embedder.dim);
  const p = provisioned ?? (await provision(config, 'sda-documents-sink'));
  const counts: DocumentsSinkCounts = { received: 0, upserted: 0, deleted: 0, deadLettered: 0, batches: 0 };
  const loop = await startConsumeLoop<MarketDocument>(p.kafka, {
    name: 'documents-sink',
    topic,
    groupId: opts.groupId ?? 'sda-documents-sink',
    serde: p.serde,
    reader: p.writers.documents,
    validate: validateDocument,
    tombstones: 'hand-over',
    commit: { kind: 'after-handler' },
    deadLetters: { kind: 'publish', writer: p.writers.deadLetters },
    consumer: { sessionTimeout: 30_000, heartbeatInterval: 3_000 },
    handle: async (batch, ctx) => {
      const actions = finalActions(batch.records, batch.tombstones);
      const upserts = [...actions.values()].flatMap((a) => (a.op === 'upsert' ? [a.doc] : []));
      const deletes = [...actions].flatMap(([id, a]) => (a.op === 'delete' ? [pointId(id)] : []));
      // Embedding is the slow part (tens of ms a text on a small CPU): heartbeat between chunks so a large batch
      // does not cost the group membership.
      const vectors: Float32Array[] = [];
      for (let i = 0; i < upserts.length; i += EMBED_CHUNK) {
        vectors.push(...(await embedder.embed(upserts.slice(i, i + EMBED_CHUNK).map((d) => d.text))));
        await ctx.heartbeat();
      }
      await store.upsert(upserts.map((d, i) => toVectorDoc(d, vectors[i]!)));
      await store.delete(deletes);
      ctx.onCommit(() => {
        counts.received += batch.received;
        counts.upserted += upserts.length;
        counts.deleted += deletes.length;
        counts.deadLettered += batch.rejected.length;
        counts.batches += 1;
        opts.onBatch?.({ ...counts });
      });
    },
  });
  log.info({ topic, backend: store.backend, collection: store.collection }, 'documents sink started');
  return {
    counts,
    failed: loop.failed,
    store,
    async stop() {
      await loop.stop();
      if (!opts.store) await store.close();
      if (!opts.embedder) await embedder.close();
    },
  };
}
