// market.documents → embeddings → the vector store. Each batch is embedded and upserted (point id derived from
// the document id, so a redelivered batch rewrites the same points), and the Kafka offsets are committed only
// after the store write. The topic is compacted: a tombstone (null value) removes the document's point.
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import { type Embedder, createEmbedder } from '../../rag/embeddings.js';
import type { MarketDocument } from '../../schemas/types.js';
import { type EachBatchPayload, type KafkaMessage, createConsumer, createProducer, watchCrash } from '../../platform/kafka/client.js';
import { DeadLetterPublisher } from '../../platform/kafka/dead-letter.js';
import { decodeBatch } from '../../platform/kafka/decoding-consumer.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { TOPICS } from '../../platform/kafka/topics.js';
import { openVectorStore } from './open-store.js';
import { type VectorDoc, type VectorStore, pointId } from './store.js';

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
 * keyed by the record key (the document id); values by their own id.
 */
export function finalActions(messages: KafkaMessage[], decoded: Map<string, MarketDocument>): Map<string, Action> {
  const actions = new Map<string, Action>();
  for (const m of messages) {
    if (m.value === null) {
      if (m.key) actions.set(m.key.toString('utf8'), { op: 'delete' });
      continue;
    }
    const doc = decoded.get(m.offset);
    if (doc) actions.set(doc.id, { op: 'upsert', doc });
  }
  return actions;
}

export async function startDocumentsSink(config: Config, opts: DocumentsSinkOptions = {}, provisioned?: Provisioned) {
  const topic = opts.topic ?? TOPICS.documents.name;
  const embedder = opts.embedder ?? (await createEmbedder(config));
  const store = opts.store ?? (await openVectorStore(config));
  await store.ensureCollection(embedder.dim);
  const p = provisioned ?? (await provision(config, 'sda-documents-sink'));
  const consumer = createConsumer(p.kafka, opts.groupId ?? 'sda-documents-sink', { sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  const producer = createProducer(p.kafka);
  const deadLetters = new DeadLetterPublisher(p.serde, p.writers.deadLetters, producer, 'documents-sink');
  await Promise.all([consumer.connect(), producer.connect()]);
  const counts: DocumentsSinkCounts = { received: 0, upserted: 0, deleted: 0, deadLettered: 0, batches: 0 };
  const { failed } = watchCrash(consumer, 'documents-sink');
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
      if (batch.messages.length === 0) return;
      const values = batch.messages.filter((m) => m.value !== null);
      const { good, poison } = await decodeBatch<MarketDocument>(p.serde, { topic: batch.topic, partition: batch.partition, messages: values }, p.writers.documents, validateDocument);
      const actions = finalActions(batch.messages, new Map(good.map((g) => [g.offset, g.value])));
      const upserts = [...actions.values()].flatMap((a) => (a.op === 'upsert' ? [a.doc] : []));
      const deletes = [...actions].flatMap(([id, a]) => (a.op === 'delete' ? [pointId(id)] : []));
      // Embedding is the slow part (tens of ms a text on a small CPU): heartbeat between chunks so a large batch
      // does not cost the group membership.
      const vectors: Float32Array[] = [];
      for (let i = 0; i < upserts.length; i += EMBED_CHUNK) {
        vectors.push(...(await embedder.embed(upserts.slice(i, i + EMBED_CHUNK).map((d) => d.text))));
        await heartbeat();
      }
      await store.upsert(upserts.map((d, i) => toVectorDoc(d, vectors[i]!)));
      await store.delete(deletes);
      await deadLetters.publish(poison);
      const last = batch.messages[batch.messages.length - 1]!;
      resolveOffset(last.offset);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      counts.received += batch.messages.length;
      counts.upserted += upserts.length;
      counts.deleted += deletes.length;
      counts.deadLettered += poison.length;
      counts.batches += 1;
      opts.onBatch?.({ ...counts });
      await heartbeat();
    },
  });
  log.info({ topic, backend: store.backend, collection: store.collection }, 'documents sink started');
  return {
    counts,
    failed,
    store,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
      if (!opts.store) await store.close();
      if (!opts.embedder) await embedder.close();
    },
  };
}
