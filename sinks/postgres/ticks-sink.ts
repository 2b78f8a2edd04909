// market.ticks → PostgreSQL market_data. Each partition batch is COPYed into a staging table and upserted by
// (market, series, kind, interval start) in one transaction, together with the batch's dead letters; the consume
// loop (platform/kafka/consume-loop.ts) commits the Kafka offsets only after that transaction commits. A crash
// anywhere re-delivers at most the uncommitted batch, whose upsert changes nothing: no row is lost or duplicated.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import type { MarketTick } from '../../schemas/types.js';
import { startConsumeLoop } from '../../platform/kafka/consume-loop.js';
import { type DeadLetterInput, toDeadLetter } from '../../platform/kafka/dead-letter.js';
import { type Provisioned, ensureOutputTopics, provision } from '../../platform/kafka/provision.js';
import { TOPICS, runMarket, topicSet } from '../../platform/kafka/topics.js';
import { seriesRecordKey } from '../../market/series.js';
import { checkTick } from '../../market/tick-validation.js';
import { copyLine } from '../../platform/postgres/copy-format.js';
import { createPool } from '../../platform/postgres/pool.js';

const log = logger('postgres-sink');

export interface SinkCounts {
  received: number;
  accepted: number;
  deadLettered: number;
  /** Context copies of SYSTEM ticks (platform/kafka/context-series.ts): skipped, their home record is stored. */
  contextCopies: number;
  batches: number;
}

export interface TicksSinkOptions {
  topic?: string;
  groupId?: string;
  /** Upper bound on rows per database transaction (a Kafka batch is split above it). */
  maxRows?: number;
  processor?: string;
  /** A run's ticks: rows are stored under market `run.NAME.<market>` (runMarket), apart from the live rows. */
  run?: string;
  onBatch?: (counts: SinkCounts) => void;
}

const STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS market_data_staging (
  seq bigint, market text, series_id text, point_type text, kind text, start_ms bigint, end_ms bigint,
  value double precision, unit text, source text, ingested_ms bigint, imputed boolean) ON COMMIT DELETE ROWS`;

// writeBatch leaves one row per key in staging (the highest offset wins). Changed rows are updated, new rows
// inserted: measured about twice as fast as INSERT .. ON CONFLICT DO UPDATE here (bench/RESULTS.md), and just as
// idempotent. Partitions are keyed by series, so one sink instance writes a key at a time; should two writers
// still race on a new key, the unique violation rolls the batch back and it is retried with ON CONFLICT.
const TS = (col: string) => `(timestamptz 'epoch' + ${col} * interval '1 millisecond')`;
const SAME_KEY = `m.market = s.market AND m.series_id = s.series_id AND m.kind = s.kind AND m.interval_start = ${TS('s.start_ms')}`;
const UPDATE_CHANGED = `UPDATE market_data m SET point_type = s.point_type, interval_end = ${TS('s.end_ms')}, value = s.value, unit = s.unit,
    source = s.source, ingested_at = ${TS('s.ingested_ms')}, imputed = s.imputed, stored_at = now()
  FROM market_data_staging s WHERE ${SAME_KEY}
   AND (m.value, m.interval_end, m.unit, m.imputed, m.point_type) IS DISTINCT FROM (s.value, ${TS('s.end_ms')}, s.unit, s.imputed, s.point_type)`;
const INSERT_COLUMNS = `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at, imputed)
  SELECT market, series_id, point_type, kind, ${TS('start_ms')}, ${TS('end_ms')}, value, unit, source, ${TS('ingested_ms')}, imputed FROM market_data_staging s`;
const INSERT_NEW = `${INSERT_COLUMNS} WHERE NOT EXISTS (SELECT 1 FROM market_data m WHERE ${SAME_KEY})`;
const UPSERT_FALLBACK = `${INSERT_COLUMNS}
  ON CONFLICT (market, series_id, kind, interval_start) DO UPDATE SET
    point_type = EXCLUDED.point_type, interval_end = EXCLUDED.interval_end, value = EXCLUDED.value, unit = EXCLUDED.unit,
    source = EXCLUDED.source, ingested_at = EXCLUDED.ingested_at, imputed = EXCLUDED.imputed, stored_at = now()`;

const DEAD_LETTER_INSERT = `INSERT INTO dead_letters (source_topic, partition, "offset", reason_code, message, raw, processor, failed_at)
  SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::timestamptz[])
  ON CONFLICT DO NOTHING`;

function tickLine(seq: string, t: MarketTick): string {
  return copyLine([seq, t.market, t.seriesId, t.pointType, t.kind, t.intervalStart, t.intervalEnd, t.value, t.unit, t.source, t.ingestedAt, t.imputed ?? false]);
}

/** One row per (market, series, kind, interval start); where a batch repeats a key (a re-sent correction), the later offset wins. */
export function lastPerKey<T extends { tick: MarketTick }>(rows: T[]): T[] {
  const byKey = new Map<string, T>();
  for (const r of rows) byKey.set(seriesRecordKey(r.tick, r.tick.intervalStart), r);
  return byKey.size === rows.length ? rows : [...byKey.values()];
}

export type WriteMode = 'direct' | 'staged' | 'upsert';

/** After a direct COPY meets an existing row, the next batches go through staging (re-runs repeat many rows). */
let skipDirect = 0;

// Many ticks share a timestamp (every series of one interval), and toISOString was a fifth of the sink's CPU.
const isoCache = new Map<number, string>();
function iso(ms: number): string {
  let s = isoCache.get(ms);
  if (s === undefined) {
    if (isoCache.size >= 100_000) isoCache.clear();
    s = new Date(ms).toISOString();
    isoCache.set(ms, s);
  }
  return s;
}

function isoLine(t: MarketTick): string {
  return copyLine([t.market, t.seriesId, t.pointType, t.kind, iso(t.intervalStart), iso(t.intervalEnd), t.value, t.unit, t.source, iso(t.ingestedAt), t.imputed ?? false]);
}

async function copyRows(client: pg.PoolClient, sql: string, rows: Array<{ seq: string; tick: MarketTick }>, line: (r: { seq: string; tick: MarketTick }) => string): Promise<void> {
  const copy = client.query(copyStreams.from(sql));
  let i = 0;
  const source = new Readable({
    read() {
      // Push in chunks of up to 2,000 lines so memory stays flat for large batches.
      if (i >= rows.length) return void this.push(null);
      let chunk = '';
      for (const end = Math.min(rows.length, i + 2_000); i < end; i++) chunk += line(rows[i]!);
      this.push(chunk);
    },
  });
  await pipeline(source, copy as unknown as Writable);
}

/**
 * Writes one batch of ticks and dead letters in a single transaction; returns once it has committed. Rows are in
 * offset order. Fast path: COPY straight into market_data, which succeeds when every key is new (the usual case)
 * and fails whole on a unique violation when one already exists (a re-delivery or a re-run); then the batch goes
 * through a staging table: new rows inserted, changed rows updated.
 */
export async function writeBatch(client: pg.PoolClient, batchRows: Array<{ seq: string; tick: MarketTick }>, letters: DeadLetterInput[], processor: string, only?: WriteMode): Promise<WriteMode> {
  const rows = lastPerKey(batchRows);
  const modes: WriteMode[] = only ? [only] : skipDirect > 0 ? ['staged', 'upsert'] : ['direct', 'staged', 'upsert'];
  if (skipDirect > 0) skipDirect--;
  for (const mode of modes) {
    try {
      await writeBatchOnce(client, rows, letters, processor, mode);
      return mode;
    } catch (err) {
      if ((err as { code?: string }).code !== '23505' || mode === 'upsert') throw err;
      if (mode === 'direct') skipDirect = 10;
    }
  }
  throw new Error('unreachable');
}

async function writeBatchOnce(client: pg.PoolClient, rows: Array<{ seq: string; tick: MarketTick }>, letters: DeadLetterInput[], processor: string, mode: WriteMode): Promise<void> {
  await client.query('BEGIN');
  try {
    if (rows.length > 0 && mode === 'direct') {
      await copyRows(client, 'COPY market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at, imputed) FROM STDIN', rows, (r) => isoLine(r.tick));
    } else if (rows.length > 0) {
      await client.query(STAGING_DDL);
      await copyRows(client, 'COPY market_data_staging FROM STDIN', rows, (r) => tickLine(r.seq, r.tick));
      if (mode === 'upsert') {
        // Safe even if another writer races on the same new key.
        await client.query(UPSERT_FALLBACK);
      } else {
        // Only when some rows already existed can one have changed.
        const inserted = await client.query(INSERT_NEW);
        if ((inserted.rowCount ?? 0) < rows.length) await client.query(UPDATE_CHANGED);
      }
    }
    if (letters.length > 0) {
      const dl = letters.map((l) => toDeadLetter(l, processor));
      await client.query(DEAD_LETTER_INSERT, [
        dl.map((d) => d.topic), dl.map((d) => d.partition), dl.map((d) => d.offset), dl.map((d) => d.reasonCode),
        dl.map((d) => d.message), dl.map((d) => d.raw), dl.map((d) => d.processor), dl.map((d) => new Date(d.failedAt)),
      ]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export interface RunningSink {
  counts: SinkCounts;
  /** Rejects if the consumer crashed beyond kafkajs's own restarts (a supervisor should then restart the sink). */
  failed: Promise<never>;
  stop(): Promise<void>;
}

export async function startTicksSink(config: Config, opts: TicksSinkOptions = {}, provisioned?: Provisioned): Promise<RunningSink> {
  const topic = opts.topic ?? TOPICS.ticks.name;
  const processor = opts.processor ?? 'postgres-sink';
  const maxRows = opts.maxRows ?? 50_000;
  const p = provisioned ?? (await provision(config, 'sda-postgres-sink'));
  // Its input and dead-letter topics, created if missing (a sink may start before the replay that feeds it).
  await ensureOutputTopics(config, p, [{ ...TOPICS.ticks, name: topic }, opts.run === undefined ? TOPICS.deadLetters : topicSet(opts.run).deadLetters]);
  const pool = createPool(config, 4);
  const counts: SinkCounts = { received: 0, accepted: 0, deadLettered: 0, contextCopies: 0, batches: 0 };
  const run = opts.run;
  const loop = await startConsumeLoop<MarketTick>(p.kafka, {
    name: processor,
    topic,
    groupId: opts.groupId ?? 'sda-postgres-sink',
    serde: p.serde,
    reader: p.writers.ticks,
    validate: checkTick,
    // Context copies of SYSTEM ticks are skipped: their home record is the one stored.
    skipContextCopies: true,
    maxRecordsPerBatch: maxRows,
    partitionsConsumedConcurrently: 3,
    commit: { kind: 'after-handler' },
    deadLetters: { kind: 'publish', writer: p.writers.deadLetters, topic: run === undefined ? undefined : topicSet(run).deadLetters.name },
    // A short session lets a restarted or surviving instance take over a crashed one's partitions quickly.
    consumer: { maxBytesPerPartition: 8 * 1_048_576, sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    handle: async (batch, ctx) => {
      const rows = batch.records.map((r) => ({ seq: r.offset, tick: run === undefined ? r.value : { ...r.value, market: runMarket(r.value.market, run) } }));
      // The dead letters are stored with the rows in one transaction (dead_letters, keyed by source topic/partition/
      // offset, is the exact record); the loop then publishes them to the dead-letter topic and commits the offsets.
      const client = await pool.connect();
      try {
        await writeBatch(client, rows, [...batch.rejected], processor);
      } finally {
        client.release();
      }
      ctx.onCommit(() => {
        counts.received += batch.received;
        counts.accepted += rows.length;
        counts.deadLettered += batch.rejected.length;
        counts.contextCopies += batch.received - batch.records.length - batch.rejected.length;
        counts.batches += 1;
        opts.onBatch?.(counts);
      });
    },
  });
  log.info({ topic, groupId: opts.groupId ?? 'sda-postgres-sink' }, 'postgres sink started');
  return {
    counts,
    failed: loop.failed,
    async stop() {
      await loop.stop();
      await pool.end();
      log.info(counts, 'postgres sink stopped');
    },
  };
}
