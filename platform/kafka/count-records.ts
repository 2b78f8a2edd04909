// Counting a topic's data records: what a read_committed consumer reads from the log start to the end. The end offset
// minus the start offset is not that count on a transactional topic (each transaction's commit or abort marker takes
// an offset, an aborted transaction's records take offsets too) nor on a compacted one (the cleaner leaves gaps); on
// a topic written without transactions and not compacted it is (CountRecordsOptions.byOffsets: no read there).
import type { Config } from '../config.js';
import { type Admin, type Kafka, type PartitionEnds, headersToStrings, topicPartitionEnds } from './client.js';
import { isContextCopy } from './context-series.js';
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
   * (a slow broker). `records` is then the committed records up to there. `incomplete` says which.
   */
  complete: boolean;
  /**
   * Why `complete` is false (absent when true): 'transaction-open' (records stop at an open transaction; those before
   * it all counted), 'read-cut-short' (the read ended at its idle limit before an end: fewer than the committed
   * records up to there may be counted; wins over 'transaction-open' when both), 'not-counted' (cli/run.ts, the
   * topics were not read).
   */
  incomplete?: IncompleteReason;
  /**
   * How `records` was found: 'read' (read read_committed from each partition's log start: exact on any topic) or
   * 'offsets' (end − log start offsets summed over partitions, no read: CountRecordsOptions.byOffsets, exact on a
   * topic written without transactions and not compacted). Absent when the topic was not counted ('not-counted').
   */
  countedBy?: 'read' | 'offsets';
  /**
   * Of `records`, the SYSTEM series context copies (records with the context-series.ts CONTEXT_HEADER: a publisher
   * writes each SYSTEM load/wind/solar tick once more to every partition but its home one). Only for the topics
   * CountRecordsOptions.contextCopies names (read, then, whatever byOffsets says).
   */
  contextCopies?: number;
}

export type IncompleteReason = 'transaction-open' | 'read-cut-short' | 'not-counted';

/**
 * What a count reads of one topic, from its partitions' log starts (`low`, kafkajs fetchTopicOffsets) and their ends
 * taken in one client.ts partitionEnds call: each partition is read up to its `lastStable` (partitions with records
 * there only, in `ends`), and the count is complete when no partition's `lastStable` is below its `highWatermark`.
 * Both from the same listing, so a transaction that commits between the two listings cannot leave the read's end
 * below its records while the count reads complete. Offsets are bigint; a partition missing from `marks` throws.
 */
export function countPlan(lows: Array<{ partition: number; low: bigint }>, marks: Map<number, PartitionEnds>): { ends: Map<number, bigint>; complete: boolean } {
  const ends = new Map<number, bigint>();
  let complete = true;
  for (const { partition, low } of lows) {
    const m = marks.get(partition);
    if (m === undefined) throw new Error(`no end offsets for partition ${partition}`);
    if (m.lastStable < m.highWatermark) complete = false;
    if (m.lastStable > low) ends.set(partition, m.lastStable);
  }
  return { ends, complete };
}

export interface CountRecordsOptions {
  /** Ms without a fetched batch after which the count ends with what it has (default 3,000). */
  idleMs?: number;
  /** Prefix of the throw-away consumer group (default sda-count). */
  groupPrefix?: string;
  /**
   * Topics counted by their offsets instead of a read: end − log start summed over partitions (kafkajs
   * fetchTopicOffsets, whose end is the last stable offset), complete, `countedBy` 'offsets'. Only for topics where
   * the two agree, written without transactions and not compacted (topics.ts recordsAreOffsets). Default: none,
   * every topic read.
   */
  byOffsets?: (topic: string) => boolean;
  /**
   * Topics whose context copies are counted too (TopicRecordCount.contextCopies): read, never counted by offsets,
   * each record's headers checked (context-series.ts isContextCopy). Default: none.
   */
  contextCopies?: (topic: string) => boolean;
}

/**
 * The data records of each of `topics`, counted by reading them, read_committed, from each partition's log start to
 * its last stable offset taken at the start (records appended later are not counted, nor those of a transaction open
 * then: `complete` false; countPlan), `countedBy` 'read'; those `opts.byOffsets` names by their offsets instead (no
 * read, no end listing). `config` gives the brokers for the ends of the topics read, listed together over one
 * connection (client.ts topicPartitionEnds). Values are not decoded. A topic that does not exist, or is deleted before the read subscribes to it (another run's clean-up),
 * is left out of the answer (one deleted during the read too, when the read fails on it; otherwise it is counted up to
 * there, `complete` false). One throw-away
 * consumer group (read-topic.ts readPartitionsToEnd) for all topics; commits nothing. Answers in the order of `topics`.
 * Errors: Kafka errors from the admin client and the consumer, and KafkaError KAFKA_UNAVAILABLE from
 * topicPartitionEnds, when the topics concerned are still there.
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
  /** The topics to read: topic -> each partition's log start. */
  const lows = new Map<string, Array<{ partition: number; low: bigint }>>();
  for (const topic of topics) {
    const offsets = await unlessGone(topic, () => admin.fetchTopicOffsets(topic));
    if (!offsets) continue;
    if (opts.byOffsets?.(topic) && !opts.contextCopies?.(topic)) {
      const records = offsets.reduce((n, o) => n + (BigInt(o.high) - BigInt(o.low)), 0n);
      out.set(topic, { topic, partitions: offsets.length, records: Number(records), complete: true, countedBy: 'offsets' });
      continue;
    }
    lows.set(topic, offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low) })));
  }
  // The read's end and `complete` from the same listing (countPlan), not kafkajs's `high` (also a last stable
  // offset, but taken earlier: a transaction committed in between would stop the read below its records, complete).
  // All the topics' ends in one listing; when it fails because topics were deleted since, again without them.
  let marks: Map<string, Map<number, PartitionEnds>>;
  for (;;) {
    try {
      marks = await topicPartitionEnds(config, new Map([...lows].map(([t, l]) => [t, l.map((x) => x.partition)])));
      break;
    } catch (err) {
      const deleted = await gone([...lows.keys()]);
      if (deleted.length === 0) throw err;
      for (const t of deleted) lows.delete(t);
    }
  }
  for (const [topic, l] of lows) {
    const plan = countPlan(l, marks.get(topic) ?? new Map());
    out.set(topic, { topic, partitions: l.length, records: 0, complete: plan.complete, ...(plan.complete ? {} : { incomplete: 'transaction-open' as const }), countedBy: 'read', ...(opts.contextCopies?.(topic) ? { contextCopies: 0 } : {}) });
    if (plan.ends.size > 0) ends.set(topic, plan.ends);
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
          const count = out.get(topic)!;
          count.records += messages.length;
          if (count.contextCopies !== undefined) for (const m of messages) if (isContextCopy(headersToStrings(m.headers))) count.contextCopies++;
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
      for (const count of out.values()) {
        if (count.countedBy !== 'read') continue; // counted by offsets: nothing was read
        count.records = 0;
        if (count.contextCopies !== undefined) count.contextCopies = 0;
      }
    }
  }
  for (const { topic } of unfinished) Object.assign(out.get(topic)!, { complete: false, incomplete: 'read-cut-short' });
  return topics.flatMap((t) => out.get(t) ?? []);
}
