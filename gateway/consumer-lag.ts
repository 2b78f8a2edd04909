// Consumer lag of the pipeline's groups from the Kafka admin API: per partition, the log end offset minus the
// group's committed offset (a group with no commit on a partition lags by the whole partition). One admin
// connection is kept and rebuilt after a failure; every read has a time limit, and a short cache keeps the
// dashboard and Prometheus scrapes from asking the broker more than once a second or so.
import type { Config } from '../platform/config.js';
import { type Admin, createKafka } from '../platform/kafka/client.js';
import { TOPICS } from '../platform/kafka/topics.js';

/**
 * The pipeline's consumer groups and the topic each reads, every consumer the pipeline runs (the defaults of
 * sinks/postgres/*, sinks/vector/documents-sink.ts and processors/*, and `sda-dispatcher-mean`, the dispatcher's group
 * when it plans on the forecast's mean price: `sda process dispatcher --price-basis mean`, cli/process-dispatch.ts, a
 * group of its own so the two bases can run side by side; "no consumer" where only the P50 dispatcher runs); `transactional` marks a topic written only inside
 * Kafka transactions (the windower writes market.features, the forecaster market.forecasts, the dispatcher
 * market.dispatch exactly once: TOPICS' `transactional`), whose log ends with a commit marker.
 */
export const PIPELINE_GROUPS: ReadonlyArray<{ group: string; topic: string; transactional?: boolean }> = [
  { group: 'sda-postgres-sink', topic: TOPICS.ticks.name },
  { group: 'sda-windower', topic: TOPICS.ticks.name },
  { group: 'sda-features-sink', topic: TOPICS.features.name, transactional: true },
  { group: 'sda-forecaster', topic: TOPICS.features.name, transactional: true },
  { group: 'sda-forecasts-sink', topic: TOPICS.forecasts.name, transactional: true },
  { group: 'sda-dispatcher', topic: TOPICS.forecasts.name, transactional: true },
  { group: 'sda-dispatcher-mean', topic: TOPICS.forecasts.name, transactional: true },
  { group: 'sda-dispatch-sink', topic: TOPICS.dispatch.name, transactional: true },
  { group: 'sda-documents-sink', topic: TOPICS.documents.name },
];

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  end: number;
  /** -1 when the group has committed nothing on the partition. */
  committed: number;
  lag: number;
}

export interface GroupLag {
  group: string;
  topic: string;
  /** Sum over partitions; null when Kafka did not answer. */
  lag: number | null;
  partitions: PartitionLag[];
  /**
   * The group's state as Kafka's DescribeGroups gives it ('Stable', 'PreparingRebalance', 'CompletingRebalance',
   * 'Empty': no member, 'Dead': no such group, i.e. no consumer ever joined or its offsets expired); null when Kafka did
   * not answer.
   */
  state: string | null;
  /** Consumers in the group now (0: nothing runs, so a lag of 0 only means nothing new arrived); null when unknown. */
  members: number | null;
  error?: string;
}

/**
 * Lag of one partition: end - committed, or end - start when nothing is committed. Pure. On a transactional topic
 * the last offset of an idle log is the commit marker of the last transaction (a control record no consumer
 * receives or commits past: KIP-98), so a group committed up to it has lag 0, not 1.
 */
export function partitionLag(end: number, start: number, committed: number, transactional = false): number {
  const lag = Math.max(0, end - (committed < 0 ? start : Math.max(committed, start)));
  return transactional && committed >= 0 && lag === 1 ? 0 : lag;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

export class ConsumerLagReader {
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;
  private cached: { at: number; value: Promise<GroupLag[]> } | undefined;

  constructor(
    private readonly config: Config,
    private readonly groups: ReadonlyArray<{ group: string; topic: string; transactional?: boolean }> = PIPELINE_GROUPS,
    private readonly opts: { timeoutMs?: number; cacheMs?: number } = {},
  ) {}

  private connect(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const a = createKafka(this.config, 'sda-gateway-lag', { quiet: true, retries: 0 }).admin();
      await a.connect();
      this.admin = a;
      return a;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Every group's lag (cached for cacheMs); a group Kafka did not answer for has lag null and an error. */
  read(): Promise<GroupLag[]> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < (this.opts.cacheMs ?? 1_000)) return this.cached.value;
    const value = this.readNow();
    this.cached = { at: now, value };
    return value;
  }

  private async readNow(): Promise<GroupLag[]> {
    const timeout = this.opts.timeoutMs ?? 2_000;
    let admin: Admin;
    try {
      admin = await withTimeout(this.connect(), timeout, 'kafka admin connect');
    } catch (err) {
      return this.groups.map((g) => ({ ...g, lag: null, partitions: [], state: null, members: null, error: (err as Error).message }));
    }
    const topics = [...new Set(this.groups.map((g) => g.topic))];
    const ends = new Map<string, Array<{ partition: number; high: number; low: number }>>();
    try {
      await withTimeout(
        Promise.all(topics.map(async (t) => ends.set(t, (await admin.fetchTopicOffsets(t)).map((o) => ({ partition: o.partition, high: Number(o.high), low: Number(o.low) }))))),
        timeout,
        'kafka topic offsets',
      );
    } catch (err) {
      await this.drop();
      return this.groups.map((g) => ({ ...g, lag: null, partitions: [], state: null, members: null, error: (err as Error).message }));
    }
    // Who runs: one DescribeGroups for every group (a failure leaves state and members unknown, the lag still counts).
    const described = new Map<string, { state: string; members: number }>();
    await withTimeout(admin.describeGroups([...new Set(this.groups.map((g) => g.group))]), timeout, 'kafka describe groups').then(
      (r) => r.groups.forEach((g) => described.set(g.groupId, { state: g.state, members: g.members.length })),
      () => undefined,
    );
    return Promise.all(
      this.groups.map(async ({ group, topic, transactional }): Promise<GroupLag> => {
        const { state, members } = described.get(group) ?? { state: null, members: null };
        try {
          const committed = (await withTimeout(admin.fetchOffsets({ groupId: group, topics: [topic] }), timeout, `offsets of ${group}`))[0]?.partitions ?? [];
          const partitions = (ends.get(topic) ?? []).map((e) => {
            const c = Number(committed.find((p) => p.partition === e.partition)?.offset ?? -1);
            return { group, topic, partition: e.partition, end: e.high, committed: c, lag: partitionLag(e.high, e.low, c, transactional) };
          });
          return { group, topic, lag: partitions.reduce((a, p) => a + p.lag, 0), partitions, state, members };
        } catch (err) {
          return { group, topic, lag: null, partitions: [], state, members, error: (err as Error).message };
        }
      }),
    );
  }

  private async drop(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    await a?.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drop();
  }
}
