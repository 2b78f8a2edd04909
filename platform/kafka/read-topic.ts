// Reading a topic from the beginning to its current end, read_committed, outside any consumer group's progress: for
// a backtest's outputs and for a processor restoring its state from its own output topic.
import type { Writer } from './avro-serde.js';
import { type Kafka, type KafkaMessage, createConsumer } from './client.js';
import type { Provisioned } from './provision.js';
import { KafkaError, PoisonRecordError } from './errors.js';
import { logger } from '../logger.js';

const log = logger('read-topic');

/** Reads started by this process, to keep their throw-away groups apart. */
let reads = 0;

/**
 * A throw-away consumer group id, `<prefix>-<pid>-<time ms>-<n>`, n counting this process's calls: two reads started in
 * the same millisecond must not share a group, or they split the topic's partitions between them and each ends short.
 */
export function throwAwayGroupId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now()}-${++reads}`;
}

export interface TopicRecord<T> {
  partition: number;
  offset: bigint;
  /** The record key as UTF-8, null when the record has none. */
  key: string | null;
  value: T;
}

export interface ReadTopicOptions {
  /** Ms without a fetched batch after which the read ends (default 3,000; decoding time not counted). */
  idleMs?: number;
  /** Before the first record the read waits this many times idleMs (default 3). */
  firstIdleFactor?: number;
  /** Prefix of the throw-away consumer group (default sda-read). */
  groupPrefix?: string;
}

/**
 * Every decoded value of `topic`, read_committed from the beginning up to the end offsets taken at the start (a
 * partition is done when the consumer's position passes its end offset − 1: its last record, or the commit marker or
 * aborted tail a transactional partition ends with), or until `idleMs` passes without a batch; before the first
 * record it waits `firstIdleFactor` x `idleMs`. Returns records ordered by
 * (partition, offset), whatever the fetch interleaving; [] for a missing or empty topic. Records without a value
 * (tombstones; kept as `value: null` with `tombstones: true`) and poison records (PoisonRecordError: wrong wire
 * format, unknown schema, bad Avro) are skipped, the latter logged. The read is readPartitionsToEnd: a throw-away
 * consumer group (throwAwayGroupId) that commits nothing.
 * Errors: Kafka errors from the client; a record that cannot be decoded for another reason than poison (the schema
 * registry unreachable: KafkaError REGISTRY_UNAVAILABLE) rejects the read at once with KafkaError TOPIC_READ_FAILED
 * naming the topic, partition and offset (cause: that error; retriable as it is), never a partial topic.
 */
export async function readTopicToEnd<T>(p: Provisioned, topic: string, reader: Writer<T>, opts?: ReadTopicOptions & { tombstones?: false }): Promise<Array<TopicRecord<T>>>;
/** As above, with the records without a value (a compacted topic's deletes) kept in their place, as `value: null`. */
export async function readTopicToEnd<T>(p: Provisioned, topic: string, reader: Writer<T>, opts: ReadTopicOptions & { tombstones: true }): Promise<Array<TopicRecord<T | null>>>;
export async function readTopicToEnd<T>(
  p: Provisioned,
  topic: string,
  reader: Writer<T>,
  opts: ReadTopicOptions & { tombstones?: boolean } = {},
): Promise<Array<TopicRecord<T | null>>> {
  const idleMs = opts.idleMs ?? 3_000;
  const admin = p.kafka.admin();
  await admin.connect();
  let ends: Array<{ partition: number; offset: string; low: string }>;
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const out: Array<TopicRecord<T | null>> = [];
  let poison = 0;
  await readPartitionsToEnd(
    p.kafka,
    // Partitions with records only: one emptied by retention (log start = end) has nothing to wait for.
    new Map([[topic, new Map(ends.filter((e) => BigInt(e.offset) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.offset)]))]]),
    async ({ partition, messages, processed }) => {
      for (const message of messages) {
        if (!message.value) {
          if (opts.tombstones) out.push({ partition, offset: BigInt(message.offset), key: message.key ? message.key.toString('utf8') : null, value: null });
          processed(BigInt(message.offset));
          continue;
        }
        // A poison record (not the wire format, an unknown schema) is skipped and logged, never the end of the read:
        // the processors dead-letter such records; a reader of the whole topic steps over them.
        const d = await decodeOrPoison(p, message.value, reader);
        if ('value' in d) out.push({ partition, offset: BigInt(message.offset), key: message.key ? message.key.toString('utf8') : null, value: d.value });
        else {
          poison++;
          log.warn({ topic, partition, offset: message.offset, code: d.poison.code, err: d.poison.message }, 'undecodable record skipped');
        }
        processed(BigInt(message.offset));
      }
    },
    { groupPrefix: opts.groupPrefix ?? 'sda-read', idleMs, firstIdleMs: idleMs * (opts.firstIdleFactor ?? 3) },
  );
  if (poison > 0) log.info({ topic, read: out.length, skipped: poison }, 'topic read with undecodable records skipped');
  out.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  return out;
}

/** One fetched batch of one partition: its data records below the partition's end offset not handed over before, in offset order. */
export interface RawBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /**
   * Marks the records up to `offset` as processed, so a re-fetch after `onBatch` failed part-way (kafkajs restarts
   * the consumer, which reads again from the log start) hands over only the rest. A batch `onBatch` returns from is
   * processed whole.
   */
  processed(offset: bigint): void;
}

export interface ReadPartitionsOptions {
  /** Prefix of the throw-away consumer group (throwAwayGroupId). */
  groupPrefix: string;
  /** Ms without a fetched batch after which the read ends with what it has. */
  idleMs: number;
  /** The same before the first batch (the group join comes first). */
  firstIdleMs: number;
  /** The consumer's fetch wait, ms (kafkajs default 5,000 when absent). */
  maxWaitTimeInMs?: number;
}

/**
 * The raw read under readTopicToEnd and countDataRecords (count-records.ts): reads `ends` (topic -> partition -> end
 * offset taken by the caller; a partition not listed is not waited for, so list only those with records past their
 * log start) read_committed from the beginning, with one throw-away consumer group (throwAwayGroupId) that commits nothing, and hands each fetched batch
 * to `onBatch` (awaited; records at or past the end offset and records handed over before, a re-fetch, left out;
 * tombstones kept, transaction markers and aborted records not). A partition is done when the position passes its
 * end offset − 1: a record there, or a batch whose last offset (control records included) is there — kafkajs reports
 * every batch it consumed, also one that read_committed filtered empty, so a partition ending in a commit marker or
 * an aborted transaction ends too. The read ends when every partition is done, or when `idleMs` passes without a
 * batch (`firstIdleMs` before the first; the clock stops while `onBatch` runs). Returns the partitions not done
 * ({ topic, partition }; [] when the read reached every end).
 * Errors: Kafka errors from the consumer (a topic that does not exist fails the subscribe); an error `onBatch` throws
 * ends the read at once: it rejects with KafkaError TOPIC_READ_FAILED (readError: the topic, partition and the offset
 * of the first record of the batch not marked `processed`; cause: the error) after the consumer is disconnected, and
 * no later batch is handed over. (Before, the error took kafkajs's way for a failed batch, retries and then a consumer
 * restart, while the idle timer ended the read with what it had: a caller restoring state got a partial topic.)
 */
export async function readPartitionsToEnd(
  kafka: Kafka,
  ends: Map<string, Map<number, bigint>>,
  onBatch: (batch: RawBatch) => Promise<void> | void,
  opts: ReadPartitionsOptions,
): Promise<Array<{ topic: string; partition: number }>> {
  const key = (topic: string, partition: number) => `${topic} ${partition}`;
  /** `topic partition` -> the end offset the read must pass. */
  const pending = new Map<string, { topic: string; partition: number; end: bigint }>();
  for (const [topic, partitions] of ends) for (const [partition, end] of partitions) if (end > 0n) pending.set(key(topic, partition), { topic, partition, end });
  if (pending.size === 0) return [];
  /** `topic partition` -> the highest offset handed over, so a re-fetched record is handed over once. */
  const handed = new Map<string, bigint>();
  const topics = [...new Set([...pending.values()].map((v) => v.topic))];
  const consumer = createConsumer(kafka, throwAwayGroupId(opts.groupPrefix), { readUncommitted: false, ...(opts.maxWaitTimeInMs === undefined ? {} : { maxWaitTimeInMs: opts.maxWaitTimeInMs }) });
  await consumer.connect();
  // run() resolves once the consumer has joined its group; a disconnect before that (the first idle wait ending while
  // a slow join is still in flight) makes kafkajs log a crash of the consumer (kafkajs issue 1639), so the finally
  // waits for it.
  let running: Promise<void> | undefined;
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let finished = false;
      const finish = () => {
        finished = true;
        clearTimeout(idle);
        resolve();
      };
      const fail = (err: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(idle);
        reject(err);
      };
      let idle = setTimeout(finish, opts.firstIdleMs);
      const passed = (topic: string, partition: number, lastOffset: bigint) => {
        const k = key(topic, partition);
        const p = pending.get(k);
        if (p !== undefined && lastOffset + 1n >= p.end) pending.delete(k);
        if (pending.size === 0) finish();
      };
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => passed(e.payload.topic, e.payload.partition, BigInt(e.payload.lastOffset)));
      running = consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (finished) return;
            clearTimeout(idle);
            try {
              const k = key(batch.topic, batch.partition);
              const p = pending.get(k);
              const last = handed.get(k) ?? -1n;
              const messages = p === undefined ? [] : batch.messages.filter((m) => BigInt(m.offset) > last && BigInt(m.offset) < p.end);
              if (messages.length > 0) {
                try {
                  await onBatch({ topic: batch.topic, partition: batch.partition, messages, processed: (offset) => handed.set(k, offset) });
                } catch (err) {
                  // Not rethrown: kafkajs would retry the batch and restart the consumer while the idle timer ends the
                  // read short. The read rejects now; the finally below disconnects the consumer.
                  const done = handed.get(k) ?? last;
                  fail(readError(batch.topic, batch.partition, messages.find((m) => BigInt(m.offset) > done)?.offset ?? messages[0]!.offset, err));
                  return;
                }
                handed.set(k, BigInt(messages[messages.length - 1]!.offset));
              }
            } finally {
              if (!finished) idle = setTimeout(finish, opts.idleMs);
            }
          },
        })
        .catch((err: unknown) => fail(err));
    });
  } finally {
    await running;
    await consumer.disconnect();
  }
  return [...pending.values()].map(({ topic, partition }) => ({ topic, partition }));
}

/**
 * The error a history read ends with when the record of `topic` `partition` at `offset` could not be processed:
 * KafkaError TOPIC_READ_FAILED, "reading TOPIC partition P stopped at offset O: <the cause's message>", `cause` the
 * error, retriable when the cause says it is (SdaError's or kafkajs's `retriable`).
 */
export function readError(topic: string, partition: number, offset: string | bigint, cause: unknown): KafkaError {
  const retriable = typeof cause === 'object' && cause !== null && (cause as { retriable?: unknown }).retriable === true;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KafkaError('TOPIC_READ_FAILED', `reading ${topic} partition ${partition} stopped at offset ${offset}: ${message}`, retriable, { cause });
}

/**
 * One record value (Confluent wire format bytes) decoded into `reader`'s schema ({ value }), or the PoisonRecordError
 * saying why it cannot be ({ poison }: not the wire format, an unknown schema id, bytes the writer schema does not
 * read). The consumer that owns a partition dead-letters such records; readers of a topic's history step over them.
 * Any other error (the schema registry unreachable) throws.
 */
export async function decodeOrPoison<T>(p: Provisioned, bytes: Buffer, reader: Writer<T>): Promise<{ value: T } | { poison: PoisonRecordError }> {
  try {
    const { value } = p.serde.decodeCached<T>(bytes, reader) ?? (await p.serde.decode<T>(bytes, reader));
    return { value };
  } catch (err) {
    if (!(err instanceof PoisonRecordError)) throw err;
    return { poison: err };
  }
}
