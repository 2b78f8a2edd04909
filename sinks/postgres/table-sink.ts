// The loop every topic-to-table sink shares: consume committed records (read_committed), decode a batch, write its
// good records in one PostgreSQL transaction, dead-letter the poison ones, then commit the Kafka offsets. A batch
// re-delivered after a crash is written again, so `write` must be an idempotent upsert.
import type pg from 'pg';
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import { type EachBatchPayload, createConsumer, createProducer, watchCrash } from '../../platform/kafka/client.js';
import type { Writer } from '../../platform/kafka/avro-serde.js';
import { DeadLetterPublisher } from '../../platform/kafka/dead-letter.js';
import { decodeBatch } from '../../platform/kafka/decoding-consumer.js';
import { type Provisioned, ensureOutputTopics, provision } from '../../platform/kafka/provision.js';
import { TOPICS, type TopicSpec } from '../../platform/kafka/topics.js';
import { createPool } from '../../platform/postgres/pool.js';

export interface TableSinkSpec<T> {
  /** Names the job in logs, dead letters and the default client id. */
  name: string;
  topic: string;
  groupId: string;
  /** The reader schema records are decoded into. */
  reader: (p: Provisioned) => Writer<T>;
  /** Where poison records go; default market.dlq. */
  deadLetterTopic?: string;
  /** The spec of the input topic: it is created (with the dead-letter topic) if missing, so a sink may start first. */
  inputSpec?: TopicSpec;
  /** Upsert the decoded values inside the open transaction. */
  write: (client: pg.PoolClient, values: T[]) => Promise<void>;
}

export interface TableSinkCounts {
  received: number;
  stored: number;
  deadLettered: number;
  batches: number;
}

export async function startTableSink<T>(config: Config, spec: TableSinkSpec<T>, provisioned?: Provisioned, onBatch?: (c: TableSinkCounts) => void) {
  const log = logger(spec.name);
  const p = provisioned ?? (await provision(config, `sda-${spec.name}`));
  await ensureOutputTopics(config, p, [
    ...(spec.inputSpec ? [{ ...spec.inputSpec, name: spec.topic }] : []),
    { ...TOPICS.deadLetters, name: spec.deadLetterTopic ?? TOPICS.deadLetters.name },
  ]);
  const pool = createPool(config, 2);
  const consumer = createConsumer(p.kafka, spec.groupId, { readUncommitted: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const producer = createProducer(p.kafka);
  const deadLetters = new DeadLetterPublisher(p.serde, p.writers.deadLetters, producer, spec.name, spec.deadLetterTopic);
  await Promise.all([consumer.connect(), producer.connect()]);
  const counts: TableSinkCounts = { received: 0, stored: 0, deadLettered: 0, batches: 0 };
  const { failed } = watchCrash(consumer, spec.name);
  const reader = spec.reader(p);
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
      if (batch.messages.length === 0) return;
      const { good, poison } = await decodeBatch<T>(p.serde, batch, reader);
      if (good.length > 0) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await spec.write(client, good.map((g) => g.value));
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      }
      await deadLetters.publish(poison);
      const last = batch.messages[batch.messages.length - 1]!;
      resolveOffset(last.offset);
      await consumer.commitOffsets([{ topic: spec.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      counts.received += batch.messages.length;
      counts.stored += good.length;
      counts.deadLettered += poison.length;
      counts.batches += 1;
      onBatch?.(counts);
      await heartbeat();
    },
  });
  log.info({ topic: spec.topic, groupId: spec.groupId }, `${spec.name} started`);
  return {
    counts,
    failed,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
      await pool.end();
    },
  };
}
