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
 * then: `complete` false). `config` gives the brokers for the high watermarks (client.ts partitionEnds). Values are not decoded. A topic that
 * does not exist (deleted meanwhile) is left out of the answer. One throw-away consumer group (read-topic.ts readPartitionsToEnd) for
 * all topics; commits nothing. Answers in the order of `topics`.
 * Errors: Kafka errors from the admin client and the consumer; KafkaError KAFKA_UNAVAILABLE from partitionEnds.
 */
export async function countDataRecords(config: Config, kafka: Kafka, admin: Admin, topics: string[], opts: CountRecordsOptions = {}): Promise<TopicRecordCount[]> {
  const idleMs = opts.idleMs ?? 3_000;
  const out = new Map<string, TopicRecordCount>();
  /** topic -> partition -> the end offset the read must pass (partitions with records only). */
  const ends = new Map<string, Map<number, bigint>>();
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => undefined);
    if (!offsets) continue;
    // kafkajs lists read_committed: `high` is the last stable offset, the end of the read. A transaction open on a
    // partition leaves it below the high watermark; that count is not complete.
    const marks = await partitionEnds(config, topic, offsets.map((o) => o.partition));
    const open = [...marks.values()].some((e) => e.lastStable < e.highWatermark);
    out.set(topic, { topic, partitions: offsets.length, records: 0, complete: !open });
    const toRead = offsets.filter((o) => BigInt(o.high) > BigInt(o.low));
    if (toRead.length > 0) ends.set(topic, new Map(toRead.map((o) => [o.partition, BigInt(o.high)])));
  }
  // One fetch wait of 200 ms: a count has nothing to wait for past the ends taken above.
  const unfinished = await readPartitionsToEnd(
    kafka,
    ends,
    ({ topic, messages }) => {
      out.get(topic)!.records += messages.length;
    },
    { groupPrefix: opts.groupPrefix ?? 'sda-count', idleMs, firstIdleMs: idleMs * 3, maxWaitTimeInMs: 200 },
  );
  for (const { topic } of unfinished) out.get(topic)!.complete = false;
  return topics.flatMap((t) => out.get(t) ?? []);
}
