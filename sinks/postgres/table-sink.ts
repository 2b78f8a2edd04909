// Every topic-to-table sink: on the consume loop (platform/kafka/consume-loop.ts, committed records, offsets
// committed after the handler), each batch's good records are written in one PostgreSQL transaction; the loop
// dead-letters the poison ones and then commits the Kafka offsets. A batch re-delivered after a crash is written
// again, so `write` must be an idempotent upsert.
import type pg from 'pg';
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import type { Writer } from '../../platform/kafka/avro-serde.js';
import { startConsumeLoop } from '../../platform/kafka/consume-loop.js';
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
  const counts: TableSinkCounts = { received: 0, stored: 0, deadLettered: 0, batches: 0 };
  const loop = await startConsumeLoop<T>(p.kafka, {
    name: spec.name,
    topic: spec.topic,
    groupId: spec.groupId,
    serde: p.serde,
    reader: spec.reader(p),
    commit: { kind: 'after-handler' },
    deadLetters: { kind: 'publish', writer: p.writers.deadLetters, topic: spec.deadLetterTopic },
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    handle: async (batch, ctx) => {
      if (batch.records.length > 0) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await spec.write(client, batch.records.map((g) => g.value));
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      }
      ctx.onCommit(() => {
        counts.received += batch.received;
        counts.stored += batch.records.length;
        counts.deadLettered += batch.rejected.length;
        counts.batches += 1;
        onBatch?.(counts);
      });
    },
  });
  log.info({ topic: spec.topic, groupId: spec.groupId }, `${spec.name} started`);
  return {
    counts,
    failed: loop.failed,
    async stop() {
      await loop.stop();
      await pool.end();
    },
  };
}
