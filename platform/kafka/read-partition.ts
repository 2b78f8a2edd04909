// Reading one partition's offset range, read_committed, outside any consumer group's progress: for a processor that
// rebuilds its in-memory state from the trailing records of its own input partition on assignment
// (processors/forecaster/restore.ts). readTopicToEnd (read-topic.ts) reads whole topics; this reads a bounded range.
import type { Writer } from './avro-serde.js';
import { type Admin, createConsumer } from './client.js';
import type { Provisioned } from './provision.js';
import { KafkaError } from './errors.js';
import { type TopicRecord, decodeOrPoison, throwAwayGroupId } from './read-topic.js';
import { logger } from '../logger.js';

const log = logger('read-partition');

export interface PartitionRange<T> {
  /** Decoded records of the range in offset order (poison records and tombstones left out). */
  records: Array<TopicRecord<T>>;
  /** The range actually read: `from` raised to the partition's log start offset when retention deleted the start. */
  from: bigint;
  to: bigint;
  /** Records left out: undecodable (poison) or without a value. */
  skipped: number;
}

export interface ReadPartitionOptions {
  /** Ms without a record (before the first, and between) after which the read fails (default 30,000). */
  idleMs?: number;
  /** Prefix of the throw-away consumer group (default sda-read-partition). */
  groupPrefix?: string;
  /**
   * A connected admin client to read the partition's offsets with, owned (and closed) by the caller: a scan of many
   * ranges reads them all over one connection. Default: a short-lived one per call.
   */
  admin?: Admin;
}

/**
 * The records of `topic` partition `partition` at offsets [from, to), read_committed (aborted records and
 * transaction markers are never returned), decoded into `reader`'s shape. `from` below the partition's log start
 * offset starts there instead (returned as `from`); `to` above its end offset stops at the end. The read ends when the
 * consumer has passed offset to − 1, whatever lies there (a record, a transaction marker, an aborted record), so `to`
 * may be the partition's end offset of a transactional topic. Uses a throw-away consumer group of its own
 * (throwAwayGroupId) that commits nothing; the topic's other partitions are paused. The log start and end offsets come
 * from `opts.admin` when given, else from an admin connection of its own.
 * Errors: KafkaError KAFKA_UNAVAILABLE (retriable) when `idleMs` passes without a record before the range's end (a
 * partial range is never returned); Kafka errors from the client; schema-registry errors from the serde.
 */
export async function readPartitionRange<T>(p: Provisioned, topic: string, partition: number, from: bigint, to: bigint, reader: Writer<T>, opts: ReadPartitionOptions = {}): Promise<PartitionRange<T>> {
  if (!Number.isInteger(partition) || partition < 0) throw new RangeError(`readPartitionRange: partition must be an integer >= 0, got ${partition}`);
  if (from < 0n || to < from) throw new RangeError(`readPartitionRange: expected 0 <= from <= to, got [${from}, ${to})`);
  const idleMs = opts.idleMs ?? 30_000;
  const admin = opts.admin ?? p.kafka.admin();
  if (!opts.admin) await admin.connect();
  let low: bigint;
  let high: bigint;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const mine = offsets.find((o) => o.partition === partition);
    if (!mine) throw new RangeError(`readPartitionRange: ${topic} has no partition ${partition}`);
    low = BigInt(mine.low);
    high = BigInt(mine.high);
  } finally {
    if (!opts.admin) await admin.disconnect();
  }
  const start = from < low ? low : from;
  const end = to > high ? high : to;
  const out: Array<TopicRecord<T>> = [];
  let skipped = 0;
  if (start >= end) return { records: out, from: start, to: end, skipped };
  // A group of its own even for reads started in the same millisecond (the forecaster rebuilds its partitions at once):
  // two reads in one group would split the partitions and one would never be given its own.
  const consumer = createConsumer(p.kafka, throwAwayGroupId(opts.groupPrefix ?? 'sda-read-partition'), { readUncommitted: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  let running: Promise<void> | undefined;
  try {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = (e.payload.memberAssignment[topic] ?? []) as number[];
      const others = assigned.filter((x) => x !== partition);
      if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
      consumer.seek({ topic, partition, offset: String(start) });
    });
    await consumer.subscribe({ topic, fromBeginning: false });
    await new Promise<void>((resolve, reject) => {
      let last = start - 1n;
      const stalled = () => {
        log.warn({ topic, partition, from: String(start), to: String(end), lastOffset: String(last), read: out.length }, 'partition range read stalled');
        reject(new KafkaError('KAFKA_UNAVAILABLE', `reading ${topic} partition ${partition} [${start}, ${end}): no record for ${idleMs} ms after offset ${last}`, true));
      };
      let idle = setTimeout(stalled, idleMs);
      let done = false;
      // kafkajs reports every batch it consumed, also one that read_committed filtered empty (only transaction
      // markers or aborted records, never handed to eachBatch), with its last offset: the position has then passed
      // the range's end even when the range ends in a marker (a transactional topic's end) or an aborted transaction.
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        if (done || e.payload.topic !== topic || e.payload.partition !== partition) return;
        const lastOffset = BigInt(e.payload.lastOffset);
        if (lastOffset < start || lastOffset + 1n < end) return;
        done = true;
        clearTimeout(idle);
        resolve();
      });
      running = consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (done || batch.partition !== partition) return;
            clearTimeout(idle);
            idle = setTimeout(stalled, idleMs);
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset < start) continue; // a fetch from before the seek
              if (offset > last) last = offset;
              if (offset >= end) {
                done = true;
                break;
              }
              // Poison records were dead-lettered by the consumer that owns the partition; a restore steps over them.
              const d = message.value ? await decodeOrPoison(p, message.value, reader) : undefined;
              if (d && 'value' in d) out.push({ partition, offset, key: message.key ? message.key.toString('utf8') : null, value: d.value });
              else skipped++;
              if (offset + 1n >= end) done = true;
            }
            if (done) {
              clearTimeout(idle);
              resolve();
            }
          },
        })
        .catch((err: unknown) => reject(err));
    });
  } finally {
    await running;
    await consumer.disconnect();
  }
  // A re-fetch after the seek may deliver a record twice: keep the first of each offset, in order.
  out.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  const records = out.filter((r, i) => i === 0 || r.offset !== out[i - 1]!.offset);
  return { records, from: start, to: end, skipped };
}
