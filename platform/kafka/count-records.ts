// Counting a topic's data records: what a read_committed consumer reads from the log start to the end. The end offset
// minus the start offset is not that count on a transactional topic (each transaction's commit or abort marker takes
// an offset, an aborted transaction's records take offsets too) nor on a compacted one (the cleaner leaves gaps).
import type { Config } from '../config.js';
import { type Admin, type Kafka, partitionEnds } from './client.js';
import { readPartitionsToEnd } from './read-topic.js';

export interface TopicRecordCount {
  topic: string;
  partitions: number;
  /** Data records (tombstones included; transaction markers and aborted records not), summed over partitions. */
  records: number;
  /**
   * False when records exist past what was counted: a transaction was open on a partition when the count started (its
   * last stable offset below its high watermark: a read_committed reader stops at the open transaction's first record
   * until it commits or aborts), or the read stopped at the idle limit before reaching every partition's end offset
   * (a slow broker). `records` is then the committed records up to there.
   */
  complete: boolean;
}

export interface CountRecordsOptions {
  /** Ms without a fetched batch after which the count ends with what it has (default 3,000). */
  idleMs?: number;
  /** Prefix of the throw-away consumer group (default sda-count). */
  groupPrefix?: string;
}

/**
 * The data records of each of `topics`, counted by reading them, read_committed, from each partition's log start to
 * its last stable offset taken at the start (records appended later are not counted, nor those of a transaction open
 * then: `complete` false). `config` gives the brokers for the high watermarks (client.ts partitionEnds). Values are
 * not decoded. A topic that does not exist, or is deleted before the read subscribes to it (another run's clean-up),
 * is left out of the answer (one deleted during the read too, when the read fails on it; otherwise it is counted up to
 * there, `complete` false). One throw-away
 * consumer group (read-topic.ts readPartitionsToEnd) for all topics; commits nothing. Answers in the order of `topics`.
 * Errors: Kafka errors from the admin client and the consumer, and KafkaError KAFKA_UNAVAILABLE from partitionEnds,
 * when the topics concerned are still there.
 */
export async function countDataRecords(config: Config, kafka: Kafka, admin: Admin, topics: string[], opts: CountRecordsOptions = {}): Promise<TopicRecordCount[]> {
  const idleMs = opts.idleMs ?? 3_000;
  const out = new Map<string, TopicRecordCount>();
  /** topic -> partition -> the end offset the read must pass (partitions with records only). */
  const ends = new Map<string, Map<number, bigint>>();
  /** Those of `names` no longer on the broker: a failure that concerns them is their deletion meanwhile. */
  const gone = async (names: string[]): Promise<string[]> => {
    const listed = new Set(await admin.listTopics());
    return names.filter((t) => !listed.has(t));
  };
  /** f's answer, or undefined when it fails and `topic` is gone; its error otherwise. */
  const unlessGone = async <T>(topic: string, f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (err) {
      if ((await gone([topic])).length > 0) return undefined;
      throw err;
    }
  };
  for (const topic of topics) {
    const offsets = await unlessGone(topic, () => admin.fetchTopicOffsets(topic));
    if (!offsets) continue;
    // kafkajs lists read_committed: `high` is the last stable offset, the end of the read. A transaction open on a
    // partition leaves it below the high watermark; that count is not complete.
    const marks = await unlessGone(topic, () => partitionEnds(config, topic, offsets.map((o) => o.partition)));
    if (!marks) continue;
    const open = [...marks.values()].some((e) => e.lastStable < e.highWatermark);
    out.set(topic, { topic, partitions: offsets.length, records: 0, complete: !open });
    const toRead = offsets.filter((o) => BigInt(o.high) > BigInt(o.low));
    if (toRead.length > 0) ends.set(topic, new Map(toRead.map((o) => [o.partition, BigInt(o.high)])));
  }
  // One fetch wait of 200 ms: a count has nothing to wait for past the ends taken above. A read that fails because a
  // topic was deleted since (the subscribe fails on it) is read again without the deleted ones, from the start.
  let unfinished: Array<{ topic: string; partition: number }>;
  for (;;) {
    try {
      unfinished = await readPartitionsToEnd(
        kafka,
        ends,
        ({ topic, messages }) => {
          out.get(topic)!.records += messages.length;
        },
        { groupPrefix: opts.groupPrefix ?? 'sda-count', idleMs, firstIdleMs: idleMs * 3, maxWaitTimeInMs: 200 },
      );
      break;
    } catch (err) {
      const deleted = await gone([...ends.keys()]);
      if (deleted.length === 0) throw err;
      for (const t of deleted) {
        ends.delete(t);
        out.delete(t);
      }
      for (const count of out.values()) count.records = 0;
    }
  }
  for (const { topic } of unfinished) out.get(topic)!.complete = false;
  return topics.flatMap((t) => out.get(t) ?? []);
}
