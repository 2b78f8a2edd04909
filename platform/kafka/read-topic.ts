// Reading a topic from the beginning to its current end, read_committed, outside any consumer group's progress: for
// a backtest's outputs and for a processor restoring its state from its own output topic.
import type { Writer } from './avro-serde.js';
import { createConsumer } from './client.js';
import type { Provisioned } from './provision.js';
import { PoisonRecordError } from './errors.js';
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
  /** Ms without a record after which the read ends (default 3,000). */
  idleMs?: number;
  /** Before the first record the read waits this many times idleMs (default 3). */
  firstIdleFactor?: number;
  /** Prefix of the throw-away consumer group (default sda-read). */
  groupPrefix?: string;
}

/**
 * Every decoded value of `topic`, read_committed from the beginning up to the end offsets taken at the start (a
 * partition is done when the consumer's position passes its end offset − 1: its last record, or the commit marker or
 * aborted tail a transactional partition ends with), or until `idleMs` passes without a record; before the first
 * record it waits `firstIdleFactor` x `idleMs`. Returns records ordered by
 * (partition, offset), whatever the fetch interleaving; [] for a missing or empty topic. Records without a value
 * (tombstones; kept as `value: null` with `tombstones: true`) and poison records (PoisonRecordError: wrong wire
 * format, unknown schema, bad Avro) are skipped, the latter logged. Uses a throw-away consumer group (throwAwayGroupId); commits nothing.
 * Errors: Kafka and schema-registry errors from the client and the serde.
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
  let ends: Array<{ partition: number; offset: string }>;
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const pending = new Map(ends.filter((e) => BigInt(e.offset) > 0n).map((e) => [e.partition, BigInt(e.offset)]));
  const out: Array<TopicRecord<T | null>> = [];
  let poison = 0;
  if (pending.size === 0) return out;
  const consumer = createConsumer(p.kafka, throwAwayGroupId(opts.groupPrefix ?? 'sda-read'), { readUncommitted: false });
  await consumer.connect();
  // run() resolves once the consumer has joined its group; a disconnect before that (the first idle wait ending while
  // a slow join is still in flight) makes kafkajs log a crash of the consumer (kafkajs issue 1639), so the finally
  // waits for it.
  let running: Promise<void> | undefined;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let idle = setTimeout(resolve, idleMs * (opts.firstIdleFactor ?? 3));
      // A partition is read once the position passes the last offset taken at the start: a record there, or a batch
      // whose last offset (control records included) is there — kafkajs reports every batch it consumed, also one that
      // read_committed filtered empty, so a partition ending in a commit marker or an aborted transaction ends too.
      const done = (partition: number, offset: bigint) => {
        const end = pending.get(partition);
        if (end !== undefined && offset + 1n >= end) pending.delete(partition);
        if (pending.size === 0) {
          clearTimeout(idle);
          resolve();
        }
      };
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        if (e.payload.topic === topic) done(e.payload.partition, BigInt(e.payload.lastOffset));
      });
      running = consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            clearTimeout(idle);
            idle = setTimeout(resolve, idleMs);
            if (!message.value && opts.tombstones) out.push({ partition, offset: BigInt(message.offset), key: message.key ? message.key.toString('utf8') : null, value: null });
            if (message.value) {
              // A poison record (not the wire format, an unknown schema) is skipped and logged, never the end of the
              // read: the processors dead-letter such records; a reader of the whole topic steps over them.
              const d = await decodeOrPoison(p, message.value, reader);
              if ('value' in d) out.push({ partition, offset: BigInt(message.offset), key: message.key ? message.key.toString('utf8') : null, value: d.value });
              else {
                poison++;
                log.warn({ topic, partition, offset: message.offset, code: d.poison.code, err: d.poison.message }, 'undecodable record skipped');
              }
            }
            done(partition, BigInt(message.offset));
          },
        })
        .catch((err: unknown) => reject(err));
    });
  } finally {
    await running;
    await consumer.disconnect();
  }
  if (poison > 0) log.info({ topic, read: out.length, skipped: poison }, 'topic read with undecodable records skipped');
  out.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  return out;
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
