// market.features → PostgreSQL `features`. Reads only committed windower transactions (read_committed), upserts
// each batch by (market, series, kind, step, window end) in one transaction, and commits the Kafka offsets after
// it; a re-delivered batch rewrites the same rows.
import type pg from 'pg';
import type { Config } from '../../config/config.js';
import { logger } from '../../config/logger.js';
import type { FeatureWindow } from '../../schemas/types.js';
import { type EachBatchPayload, createConsumer, createProducer, watchCrash } from '../../streams/kafka/client.js';
import { DeadLetterPublisher } from '../../streams/kafka/dead-letter.js';
import { decodeBatch } from '../../streams/kafka/decoding-consumer.js';
import { type Provisioned, provision } from '../../streams/kafka/provision.js';
import { TOPICS } from '../../streams/kafka/topics.js';
import { createPool } from './pool.js';

const log = logger('features-sink');

const COLUMNS = ['market', 'series_id', 'kind', 'step_ms', 'window_start', 'window_end', 'values', 'count', 'missing', 'mean', 'std', 'min', 'max', 'last', 'trend',
  'lag_1h', 'lag_24h', 'lag_168h', 'hour_of_day', 'day_of_week', 'is_holiday', 'system_load', 'wind', 'solar', 'net_load', 'computed_at'] as const;
const TYPES = ['text', 'text', 'text', 'int', 'timestamptz', 'timestamptz', 'text', 'int', 'int', 'float8', 'float8', 'float8', 'float8', 'float8', 'float8',
  'float8', 'float8', 'float8', 'int2', 'int2', 'bool', 'float8', 'float8', 'float8', 'float8', 'timestamptz'];

// "values" travels as an array literal per row (unnest cannot carry a 2-D array) and is cast back.
const UPSERT = `INSERT INTO features (${COLUMNS.map((c) => `"${c}"`).join(', ')})
  SELECT ${COLUMNS.map((c, i) => (c === 'values' ? `u.c${i}::float8[]` : `u.c${i}`)).join(', ')}
    FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${COLUMNS.map((_, i) => `c${i}`).join(', ')})
  ON CONFLICT (market, series_id, kind, step_ms, window_end) DO UPDATE SET
  ${COLUMNS.filter((c) => !['market', 'series_id', 'kind', 'step_ms', 'window_end'].includes(c)).map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}`;

const arrayLiteral = (values: Array<number | null>) => `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;

export async function writeFeatures(client: pg.PoolClient | pg.Pool, windows: FeatureWindow[]): Promise<void> {
  if (windows.length === 0) return;
  const cols: unknown[][] = COLUMNS.map(() => []);
  for (const w of windows) {
    const row: unknown[] = [w.market, w.seriesId, w.kind, w.stepMs, new Date(w.windowStart), new Date(w.windowEnd), arrayLiteral(w.values), w.count, w.missing,
      w.mean ?? null, w.std ?? null, w.min ?? null, w.max ?? null, w.last ?? null, w.trend ?? null, w.lag1h ?? null, w.lag24h ?? null, w.lag168h ?? null,
      w.hourOfDay, w.dayOfWeek, w.isHoliday, w.systemLoad ?? null, w.wind ?? null, w.solar ?? null, w.netLoad ?? null, new Date(w.computedAt)];
    row.forEach((v, i) => cols[i]!.push(v));
  }
  await client.query(UPSERT, cols);
}

export async function startFeaturesSink(config: Config, opts: { topic?: string; groupId?: string } = {}, provisioned?: Provisioned) {
  const topic = opts.topic ?? TOPICS.features.name;
  const p = provisioned ?? (await provision(config, 'sda-features-sink'));
  const pool = createPool(config, 2);
  const consumer = createConsumer(p.kafka, opts.groupId ?? 'sda-features-sink', { readUncommitted: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const producer = createProducer(p.kafka);
  const deadLetters = new DeadLetterPublisher(p.serde, p.writers.deadLetters, producer, 'features-sink');
  await Promise.all([consumer.connect(), producer.connect()]);
  const counts = { received: 0, stored: 0, deadLettered: 0 };
  const { failed } = watchCrash(consumer, 'features-sink');
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
      if (batch.messages.length === 0) return;
      const { good, poison } = await decodeBatch<FeatureWindow>(p.serde, batch, p.writers.features);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await writeFeatures(client, good.map((g) => g.value));
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      await deadLetters.publish(poison);
      const last = batch.messages[batch.messages.length - 1]!;
      resolveOffset(last.offset);
      await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      counts.received += batch.messages.length;
      counts.stored += good.length;
      counts.deadLettered += poison.length;
      await heartbeat();
    },
  });
  log.info({ topic }, 'features sink started');
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
