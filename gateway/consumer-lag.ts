// Consumer lag of the pipeline's groups from the Kafka admin API: per partition, the log end offset minus the
// group's committed offset (a group with no commit on a partition lags by the whole partition). One admin
// connection is kept and rebuilt after a failure; every read has a time limit, and a short cache keeps the
// dashboard and Prometheus scrapes from asking the broker more than once a second or so.
import type { Config } from '../platform/config.js';
import { type Admin, createKafka } from '../platform/kafka/client.js';
import { TOPICS } from '../platform/kafka/topics.js';

/** A pipeline group's entry: the topic it reads; `transactional` and `optional` as PIPELINE_GROUPS says. */
export interface PipelineGroup {
  group: string;
  topic: string;
  transactional?: boolean;
  /**
   * Set on a group nothing starts by default (not `sda demo`, docker-compose.yml or deploy/k8s): the command that
   * starts it. While such a group has never joined (DescribeGroups state 'Dead') and holds no committed offset, its
   * lag is not counted (GroupLag.notRunning).
   */
  optional?: string;
}

/**
 * The pipeline's consumer groups and the topic each reads, every consumer the pipeline runs (the defaults of
 * sinks/postgres/*, sinks/vector/documents-sink.ts and processors/*, and `sda-dispatcher-mean`, the dispatcher's group
 * when it plans on the forecast's mean price: `sda process dispatcher --price-basis mean`, cli/process-dispatch.ts, a
 * group of its own so the two bases can run side by side); `transactional` marks a topic written only inside
 * Kafka transactions (the windower writes market.features, the forecaster market.forecasts, the dispatcher
 * market.dispatch exactly once: TOPICS' `transactional`), whose log ends with a commit marker. `optional`: the mean
 * dispatcher alone, as nothing starts it by default (reviewer, 2026-12-02: counted as never joined, its lag was the
 * whole market.forecasts log and grew in Grafana's lag panel); the documents sink is not optional (`sda demo`,
 * docker-compose.yml's and deploy/k8s's vector-sink start it).
 */
export const PIPELINE_GROUPS: ReadonlyArray<PipelineGroup> = [
  { group: 'sda-postgres-sink', topic: TOPICS.ticks.name },
  { group: 'sda-windower', topic: TOPICS.ticks.name },
  { group: 'sda-features-sink', topic: TOPICS.features.name, transactional: true },
  { group: 'sda-forecaster', topic: TOPICS.features.name, transactional: true },
  { group: 'sda-forecasts-sink', topic: TOPICS.forecasts.name, transactional: true },
  { group: 'sda-dispatcher', topic: TOPICS.forecasts.name, transactional: true },
  { group: 'sda-dispatcher-mean', topic: TOPICS.forecasts.name, transactional: true, optional: 'sda process dispatcher --price-basis mean' },
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
  /** Sum over partitions; null when Kafka did not answer (error) or an optional group is not running (notRunning). */
  lag: number | null;
  /** Per partition; empty when Kafka did not answer or the group is notRunning. */
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
  /**
   * Present only for an optional group (PipelineGroup.optional) that is not running: DescribeGroups says 'Dead' (never
   * joined, or its offsets expired) and no partition has a committed offset; the command that starts it. Its lag is
   * not counted (lag null, no partitions): with nothing committed it would be the whole topic, growing with it, for a
   * consumer nobody asked for. A group that ran once keeps its committed offsets and is counted as usual.
   */
  notRunning?: string;
}

/**
 * Whether an optional group is not running, so its lag is left out (GroupLag.notRunning): `optional` is set, the
 * state is 'Dead' and no committed offset is >= 0. Pure; false when the state is unknown (null).
 */
export function optionalNotRunning(optional: string | undefined, state: string | null, committed: readonly number[]): boolean {
  return optional !== undefined && state === 'Dead' && committed.every((c) => c < 0);
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
    private readonly groups: ReadonlyArray<PipelineGroup> = PIPELINE_GROUPS,
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
      return this.groups.map((g) => ({ group: g.group, topic: g.topic, lag: null, partitions: [], state: null, members: null, error: (err as Error).message }));
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
      return this.groups.map((g) => ({ group: g.group, topic: g.topic, lag: null, partitions: [], state: null, members: null, error: (err as Error).message }));
    }
    // Who runs: one DescribeGroups for every group (a failure leaves state and members unknown, the lag still counts).
    const described = new Map<string, { state: string; members: number }>();
    await withTimeout(admin.describeGroups([...new Set(this.groups.map((g) => g.group))]), timeout, 'kafka describe groups').then(
      (r) => r.groups.forEach((g) => described.set(g.groupId, { state: g.state, members: g.members.length })),
      () => undefined,
    );
    return Promise.all(
      this.groups.map(async ({ group, topic, transactional, optional }): Promise<GroupLag> => {
        const { state, members } = described.get(group) ?? { state: null, members: null };
        try {
          const committed = (await withTimeout(admin.fetchOffsets({ groupId: group, topics: [topic] }), timeout, `offsets of ${group}`))[0]?.partitions ?? [];
          const partitions = (ends.get(topic) ?? []).map((e) => {
            const c = Number(committed.find((p) => p.partition === e.partition)?.offset ?? -1);
            return { group, topic, partition: e.partition, end: e.high, committed: c, lag: partitionLag(e.high, e.low, c, transactional) };
          });
          if (optionalNotRunning(optional, state, partitions.map((p) => p.committed))) return { group, topic, lag: null, partitions: [], state, members, notRunning: optional! };
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
