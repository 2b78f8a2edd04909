// Counting a topic's data records: what a read_committed consumer reads from the log start to the end. The end offset
// minus the start offset is not that count on a transactional topic (each transaction's commit or abort marker takes
// an offset, an aborted transaction's records take offsets too) nor on a compacted one (the cleaner leaves gaps).
import type { Config } from '../config.js';
import { type Admin, type Kafka, createConsumer, partitionEnds } from './client.js';
import { throwAwayGroupId } from './read-topic.js';

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
 * does not exist (deleted meanwhile) is left out of the answer. One throw-away consumer group (throwAwayGroupId) for
 * all topics; commits nothing. Answers in the order of `topics`.
 * Errors: Kafka errors from the admin client and the consumer; KafkaError KAFKA_UNAVAILABLE from partitionEnds.
 */
export async function countDataRecords(config: Config, kafka: Kafka, admin: Admin, topics: string[], opts: CountRecordsOptions = {}): Promise<TopicRecordCount[]> {
  const idleMs = opts.idleMs ?? 3_000;
  const out = new Map<string, TopicRecordCount>();
  /** `topic partition` -> the end offset the read must pass. */
  const pending = new Map<string, bigint>();
  /** `topic partition` -> the highest offset counted, so a re-fetched record is counted once. */
  const counted = new Map<string, bigint>();
  const key = (topic: string, partition: number) => `${topic} ${partition}`;
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => undefined);
    if (!offsets) continue;
    // kafkajs lists read_committed: `high` is the last stable offset, the end of the read. A transaction open on a
    // partition leaves it below the high watermark; that count is not complete.
    const ends = await partitionEnds(config, topic, offsets.map((o) => o.partition));
    const open = [...ends.values()].some((e) => e.lastStable < e.highWatermark);
    out.set(topic, { topic, partitions: offsets.length, records: 0, complete: !open });
    for (const o of offsets) if (BigInt(o.high) > BigInt(o.low)) pending.set(key(topic, o.partition), BigInt(o.high));
  }
  const toRead = [...new Set([...pending.keys()].map((k) => k.slice(0, k.lastIndexOf(' '))))];
  if (toRead.length > 0) {
    const consumer = createConsumer(kafka, throwAwayGroupId(opts.groupPrefix ?? 'sda-count'), { readUncommitted: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    let running: Promise<void> | undefined;
    try {
      await consumer.subscribe({ topics: toRead, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        // The first fetch waits for the group join; later ones for the next batch.
        let idle = setTimeout(resolve, idleMs * 3);
        const passed = (topic: string, partition: number, lastOffset: bigint) => {
          const k = key(topic, partition);
          const end = pending.get(k);
          if (end !== undefined && lastOffset + 1n >= end) pending.delete(k);
          if (pending.size === 0) {
            clearTimeout(idle);
            resolve();
          }
        };
        // kafkajs reports every batch it consumed, also one read_committed filtered empty (only markers or aborted
        // records), with its last offset, markers included: a partition ending in a commit marker ends too.
        consumer.on(consumer.events.END_BATCH_PROCESS, (e) => passed(e.payload.topic, e.payload.partition, BigInt(e.payload.lastOffset)));
        running = consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              clearTimeout(idle);
              idle = setTimeout(resolve, idleMs);
              const k = key(batch.topic, batch.partition);
              const end = pending.get(k);
              const count = out.get(batch.topic);
              if (end === undefined || !count) return;
              let last = counted.get(k) ?? -1n;
              for (const m of batch.messages) {
                const offset = BigInt(m.offset);
                if (offset <= last || offset >= end) continue;
                count.records++;
                last = offset;
              }
              counted.set(k, last);
            },
          })
          .catch((err: unknown) => reject(err));
      });
    } finally {
      await running;
      await consumer.disconnect();
    }
    for (const k of pending.keys()) out.get(k.slice(0, k.lastIndexOf(' ')))!.complete = false;
  }
  return topics.flatMap((t) => out.get(t) ?? []);
}
