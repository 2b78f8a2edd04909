// The windower as a Kafka processor with exactly-once effect, on the consume loop's transactional policy. For each
// input batch of one partition, one Kafka transaction carries: the FeatureWindows it made final (to market.features),
// its dead letters (late ticks, poison records), the partition's new state (to the compacted changelog), and the
// consumer offsets (sendOffsets). Either all of it becomes visible to read_committed readers or none does. On
// (re)assignment a partition's state is restored from the changelog, whose nextOffset is exactly where the committed
// offsets point. computedAt is the ingestion time of the tick that made a window final, so outputs depend on the
// input alone; a window's record carries that tick record's Kafka timestamp too (as Kafka Streams carries an input
// record's timestamp to its outputs), which the forecaster carries on to its forecast: the gateway measures the end-to-end
// latency from it (gateway/dashboard.ts endToEndMs), also for simulated and replayed ticks, whose ingestedAt is event time.
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import type { FeatureWindow, MarketTick, WindowerState } from '../../schemas/types.js';
import { type Producer, createProducer } from '../../platform/kafka/client.js';
import { KafkaError } from '../../platform/kafka/errors.js';
import { readTopicToEnd } from '../../platform/kafka/read-topic.js';
import { startConsumeLoop } from '../../platform/kafka/consume-loop.js';
import { type Provisioned, ensureOutputTopics, provision } from '../../platform/kafka/provision.js';
import { TOPICS, groupCommittedOffsets } from '../../platform/kafka/topics.js';
import { isContextCopy } from '../../platform/kafka/context-series.js';
import { checkTick } from '../../market/tick-validation.js';
import { seriesKey } from '../../market/series.js';
import { HOUR_MS, PartitionWindower, type QUARTER_MS, type SeriesSnapshot, type WindowerSnapshot } from './windower.js';

const log = logger('windower');

export interface WindowerProcessorOptions {
  inputTopic?: string;
  outputTopic?: string;
  changelogTopic?: string;
  /** Where late ticks and poison records go; default market.dlq (a run's: run.NAME.dlq). */
  deadLetterTopic?: string;
  groupId?: string;
  stepMs?: typeof HOUR_MS | typeof QUARTER_MS;
  /** Prefix of the per-partition transactional ids; a restarted instance reuses them and so fences its zombie. */
  transactionalIdPrefix?: string;
  /** Fetch size per partition, which bounds the records per transaction (tests use small ones). */
  maxBytesPerPartition?: number;
  onBatch?: (counts: WindowerCounts) => void;
  /** Called when the member has joined the group and holds its partitions (benchmarks time from here). */
  onGroupJoin?: () => void;
  /** Called when a newly assigned partition's state is restored (or found empty) and its producer is ready (bench/windower-restore.ts times this). */
  onPartitionReady?: (partition: number) => void;
}

export interface WindowerCounts {
  received: number;
  windows: number;
  deadLettered: number;
  /** Context copies of SYSTEM ticks read as related-series input (platform/kafka/context-series.ts). */
  context: number;
  /** Context copies older than this partition's watermark, dropped (the home partition judges the original). */
  contextLate: number;
  transactions: number;
  /** Milliseconds from the broker timestamp of the batch's last input record to its transaction's commit. */
  lastLagMs: number;
}

interface PartitionTask {
  windower: PartitionWindower;
  producer: Producer;
  /** Series keys last written to the changelog, to tombstone those that leave. */
  keys: Set<string>;
  /** The input offset the state has consumed up to (the restored state's, then each commit's); earlier records are in it already. */
  nextOffset?: bigint;
}

export interface PartitionState {
  partition: WindowerState;
  series: Map<string, SeriesSnapshot>;
}

/**
 * Reads the latest committed state of each partition of `inputTopic` from the changelog (read_committed, to the end
 * offsets taken at the start: readTopicToEnd). Changelog keys are `<inputTopic>:<partition>` (the partition record)
 * and `<inputTopic>:<partition>:<series key>` (a series, or its tombstone when the series left the state). Returns the
 * partitions that have a partition record. Errors: Kafka and registry errors.
 */
export async function readChangelog(p: Provisioned, changelogTopic: string, inputTopic: string): Promise<Map<number, PartitionState>> {
  const states = new Map<number, PartitionState>();
  const stateOf = (partition: number) => {
    let st = states.get(partition);
    if (!st) states.set(partition, (st = { partition: undefined as unknown as WindowerState, series: new Map() }));
    return st;
  };
  // A quiet 5 s ends the read short of the end offsets (a tail of aborted transactions, or a killed owner's open one
  // that read_committed cannot pass); the first record may wait for the throw-away group's join.
  const records = await readTopicToEnd(p, changelogTopic, p.writers.windowerChangelog, { tombstones: true, idleMs: 5_000, firstIdleFactor: 3, groupPrefix: 'sda-windower-restore' });
  for (const r of records) {
    const key = r.key ?? '';
    if (!key.startsWith(`${inputTopic}:`)) continue;
    if (r.value === null) {
      // A tombstone: the series left the state.
      const [, part, ...rest] = key.slice(inputTopic.length).split(':');
      if (rest.length > 0) stateOf(Number(part)).series.delete(rest.join(':'));
      continue;
    }
    const st = stateOf(r.value.partition);
    if (r.value.seriesKey) st.series.set(r.value.seriesKey, JSON.parse(r.value.snapshot) as SeriesSnapshot);
    else st.partition = r.value;
  }
  for (const [k, st] of states) if (!st.partition) states.delete(k); // series records without a committed partition record
  return states;
}

/** A partition's state as changelog records: the partition record, every series, and tombstones for series gone since `previous`. */
function stateRecords(p: Provisioned, inputTopic: string, partition: number, nextOffset: bigint, stepMs: number, savedAt: number, snap: WindowerSnapshot, previous: Set<string>) {
  const { series, ...partitionLevel } = snap;
  const base = { inputTopic, partition, nextOffset: Number(nextOffset), stepMs, savedAt };
  const records: Array<{ key: string; value: Buffer | null }> = [
    { key: `${inputTopic}:${partition}`, value: p.serde.encode(p.writers.windowerChangelog, { ...base, seriesKey: null, snapshot: JSON.stringify(partitionLevel) }) },
  ];
  const now = new Set<string>();
  for (const s of series) {
    const key = seriesKey(s.market, s.seriesId, s.kind);
    now.add(key);
    records.push({ key: `${inputTopic}:${partition}:${key}`, value: p.serde.encode(p.writers.windowerChangelog, { ...base, seriesKey: key, snapshot: JSON.stringify(s) }) });
  }
  for (const gone of previous) if (!now.has(gone)) records.push({ key: `${inputTopic}:${partition}:${gone}`, value: null });
  return { records, keys: now };
}

/**
 * Whether a partition's in-memory state, kept across a new assignment, is no longer the latest: `stateAt` is the input
 * offset just after the last record the state has processed (undefined: it has processed none and restored nothing),
 * `committed` the group's committed offset for the partition (undefined: none committed). The windower commits that
 * offset in the same transaction as the state it writes to the changelog, so the two differ only when another member
 * owned the partition in between and committed progress of its own (or this member's last commit is still being
 * acknowledged): the state must then be restored from the changelog. Equal (or both undefined): the state is the
 * latest and is kept.
 */
export function keptStale(stateAt: bigint | undefined, committed: bigint | undefined): boolean {
  return stateAt !== committed;
}

/**
 * Whether a state restored from the changelog ends before the group's committed input offset (both input offsets of
 * one partition; undefined: no state restored / nothing committed). The windower commits its input offset in the
 * same transaction as the state, so a committed offset past the restored state means the changelog read ended short
 * (readTopicToEnd stops after an idle spell) and the records in between would be missing from the state.
 */
export function restoredBehind(restoredAt: bigint | undefined, committed: bigint | undefined): boolean {
  return committed !== undefined && (restoredAt === undefined || restoredAt < committed);
}

export async function startWindower(config: Config, opts: WindowerProcessorOptions = {}, provisioned?: Provisioned) {
  const inputTopic = opts.inputTopic ?? TOPICS.ticks.name;
  const outputTopic = opts.outputTopic ?? TOPICS.features.name;
  const changelogTopic = opts.changelogTopic ?? TOPICS.windowerChangelog.name;
  const deadLetterTopic = opts.deadLetterTopic ?? TOPICS.deadLetters.name;
  const groupId = opts.groupId ?? 'sda-windower';
  const stepMs = opts.stepMs ?? HOUR_MS;
  const txPrefix = opts.transactionalIdPrefix ?? groupId;
  const p = provisioned ?? (await provision(config, 'sda-windower'));
  // The topics this processor writes, created (and their schemas registered) if missing.
  await ensureOutputTopics(config, p, [
    { ...TOPICS.features, name: outputTopic },
    { ...TOPICS.windowerChangelog, name: changelogTopic },
    { ...TOPICS.deadLetters, name: deadLetterTopic },
  ]);
  const kafka = p.kafka;
  const counts: WindowerCounts = { received: 0, windows: 0, deadLettered: 0, context: 0, contextLate: 0, transactions: 0, lastLagMs: 0 };
  const tasks = new Map<number, Promise<PartitionTask>>();

  const onAssignment = (partitions: number[]) => {
    // Partitions this member no longer owns: drop their state and producers; a new owner restores from the changelog.
    const mine = new Set(partitions);
    for (const [partition, task] of tasks) {
      if (!mine.has(partition)) {
        tasks.delete(partition);
        void task.then((t) => t.producer.disconnect()).catch(() => undefined);
      }
    }
    opts.onGroupJoin?.();
    // Every newly assigned partition set up at once: producers initialised in parallel, then one changelog read for all.
    // A partition kept from the last assignment keeps its state only if the group's committed offset is still where
    // its state ends (keptStale); otherwise another member owned it in between and it is restored like a new one.
    const fresh = partitions.filter((partition) => !tasks.has(partition));
    const kept = new Map(partitions.filter((partition) => tasks.has(partition)).map((partition) => [partition, tasks.get(partition)!] as const));
    if (fresh.length > 0 || kept.size > 0) setUp(fresh, kept);
  };

  /** The partition's task; a partition without one (a set-up that failed) is set up alone now. */
  const taskFor = (partition: number): Promise<PartitionTask> => {
    if (!tasks.has(partition)) setUp([partition]);
    return tasks.get(partition)!;
  };

  /** The group's committed offset of each input partition (the windower commits them in its transactions). */
  const committedOffsets = () => groupCommittedOffsets(kafka, groupId, inputTopic);

  /**
   * Which of the `kept` partitions (tasks this member held before the assignment) hold state that is no longer the
   * latest: each settled task's nextOffset compared with the group's committed offset (keptStale). A task that
   * failed, or an offset fetch that failed, counts as stale: restoring from the changelog is always correct, keeping a
   * stale state never is.
   */
  const staleOf = async (kept: Map<number, Promise<PartitionTask>>, offsets: Promise<Map<number, bigint | undefined>>): Promise<Set<number>> => {
    const settled = await Promise.all([...kept].map(([partition, task]) => task.then((t) => [partition, t] as const, () => [partition, undefined] as const)));
    let committed: Map<number, bigint | undefined>;
    try {
      committed = await offsets;
    } catch (err) {
      log.warn({ partitions: [...kept.keys()], err: (err as Error).message }, 'committed offsets not fetched; kept partitions restored from the changelog');
      return new Set(kept.keys());
    }
    const stale = new Set<number>();
    for (const [partition, task] of settled) {
      if (!task || keptStale(task.nextOffset, committed.get(partition))) {
        stale.add(partition);
        if (task) log.warn({ partition, stateAt: task.nextOffset === undefined ? null : String(task.nextOffset), committed: String(committed.get(partition) ?? null) }, 'kept partition moved on by another member; its state is restored from the changelog');
      }
    }
    return stale;
  };

  /**
   * Sets up the `fresh` partitions together and registers their tasks, and checks the `kept` ones (staleOf): a stale
   * one is set up like a fresh one, the others keep their state. Order: every partition's (fresh and kept) new
   * transactional producer is connected and fenced first (connectFenced: its transactional InitProducerId fences a
   * previous owner's producer, this member's own old one included, and returns once that owner's last transaction is
   * complete; a kept partition's old producer is disconnected and its task continues on the new one), then the group's
   * committed offsets are fetched (one OffsetFetch after all the fences, so no commit is still in flight and the kept
   * check cannot race one), then the changelog is read once for fresh and stale partitions alike. A restored state that ends
   * before the group's committed offset (a changelog read that ended short, readTopicToEnd's idle timeout) is
   * rejected with KafkaError KAFKA_UNAVAILABLE (restoredBehind) rather than silently losing the records in between.
   * A partition whose producer, offsets or read failed has its task rejected and dropped (its producer disconnected);
   * its next batch sets it up again. A partition revoked or set up again by a newer assignment meanwhile stops before
   * its producer connects (which would fence the partition's new owner) and before it becomes ready.
   */
  const setUp = (fresh: number[], kept = new Map<number, Promise<PartitionTask>>()): void => {
    const mine = new Map<number, Promise<PartitionTask>>();
    const current = (partition: number) => tasks.get(partition) === mine.get(partition);
    const revoked = (partition: number) => new Error(`partition ${partition} was revoked or set up again by a newer assignment; this set-up stops`);
    const connect = async (partition: number): Promise<Producer> => {
      // Registration is synchronous, so by now mine holds this set-up's task.
      await Promise.resolve();
      if (!current(partition)) throw revoked(partition);
      const producer = createProducer(kafka, { transactionalId: `${txPrefix}-${inputTopic}-${partition}` });
      await producer.connect();
      return producer;
    };
    // Every partition's producer is connected (fenced) first, kept ones too: the offsets fetched after that are stable
    // (no previous owner's commit still in flight), so the kept check cannot race one.
    const freshProducers = new Map(fresh.map((partition) => [partition, connect(partition)] as const));
    const keptProducers = new Map([...kept.keys()].map((partition) => [partition, connect(partition)] as const));
    const offsets = Promise.allSettled([...freshProducers.values(), ...keptProducers.values()]).then(committedOffsets);
    offsets.catch(() => undefined); // each task that needs it reports its failure
    const stale = kept.size > 0 ? staleOf(kept, offsets) : Promise.resolve(new Set<number>());
    const restored = Promise.allSettled([...freshProducers.values(), ...keptProducers.values()]).then(async () =>
      fresh.length > 0 || (await stale).size > 0 ? readChangelog(p, changelogTopic, inputTopic) : new Map<number, PartitionState>(),
    );
    const readyIfCurrent = async (partition: number, producer: Promise<Producer | undefined>): Promise<PartitionTask> => {
      const [pr, states, committed] = await Promise.all([producer, restored, offsets]);
      if (!current(partition)) throw revoked(partition);
      const saved = states.get(partition);
      const at = saved ? BigInt(saved.partition.nextOffset) : undefined;
      if (restoredBehind(at, committed.get(partition))) {
        throw new KafkaError('KAFKA_UNAVAILABLE', `partition ${partition}: the state read from ${changelogTopic} ends at offset ${at ?? 'none'}, before the group's committed offset ${committed.get(partition)} (the changelog read ended short); set up again`, true);
      }
      return ready(partition, pr!, saved);
    };
    const register = (partition: number, task: Promise<PartitionTask>, producer: Promise<Producer | undefined>) => {
      mine.set(partition, task);
      tasks.set(partition, task);
      task.catch((err: unknown) => {
        const stillCurrent = tasks.get(partition) === task;
        if (stillCurrent) tasks.delete(partition);
        void producer.then((pr) => pr?.disconnect()).catch(() => undefined);
        if (stillCurrent) log.error({ partition, err: (err as Error).message }, 'partition set-up failed; its next batch tries again');
        else log.info({ partition, err: (err as Error).message }, 'partition set-up stopped: a newer assignment took the partition');
      });
    };
    for (const [partition, producer] of freshProducers) register(partition, readyIfCurrent(partition, producer), producer);
    for (const [partition, old] of kept) {
      const producer = keptProducers.get(partition)!;
      const task = stale.then(async (s) => {
        // The old producer goes either way: the new one has fenced it.
        const before = await old.catch(() => undefined);
        void before?.producer.disconnect().catch(() => undefined);
        if (s.has(partition) || !before) return readyIfCurrent(partition, producer);
        // Still the latest: the state stays, on the new producer (a failed connect fails the set-up, which starts again).
        const pr = await producer;
        if (!current(partition)) throw revoked(partition);
        before.producer = pr;
        return before;
      });
      register(partition, task, producer);
    }
  };

  /** A partition's task from its ready producer and its restored state (undefined: nothing on the changelog, a fresh windower). */
  const ready = (partition: number, producer: Producer, saved: PartitionState | undefined): PartitionTask => {
    const windower = saved
      ? PartitionWindower.restore({ ...(JSON.parse(saved.partition.snapshot) as Omit<WindowerSnapshot, 'series'>), series: [...saved.series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s) }, { stepMs })
      : new PartitionWindower({ stepMs });
    const task: PartitionTask = { windower, producer, keys: new Set(saved ? saved.series.keys() : []), nextOffset: saved ? BigInt(saved.partition.nextOffset) : undefined };
    log.info({ partition, restoredFrom: saved ? String(saved.partition.nextOffset) : null, series: windower.seriesCount }, 'partition state ready');
    opts.onPartitionReady?.(partition);
    return task;
  };

  const loop = await startConsumeLoop<MarketTick>(kafka, {
    name: 'windower',
    topic: inputTopic,
    groupId,
    serde: p.serde,
    reader: p.writers.ticks,
    validate: checkTick,
    // One partition at a time: every partition's transaction writes to the one changelog partition, and a restore
    // (read_committed) cannot see past a killed instance's open transaction until it is fenced. Sequential
    // transactions keep every committed state before any open one, so a restore always sees it; concurrent ones
    // can hide one partition's committed state behind another's open transaction (a kill test caught this).
    partitionsConsumedConcurrently: 1,
    commit: { kind: 'transactional', producerFor: async (partition) => (await taskFor(partition)).producer },
    deadLetters: { kind: 'publish', writer: p.writers.deadLetters, topic: deadLetterTopic },
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1_048_576 },
    onAssignment,
    // The group's committed offset can be read while a killed owner's last transaction is still being committed
    // (kafkajs's OffsetFetch has no requireStable), so a batch may start before the restored state's offset:
    // those records are in the state already and are skipped, or they would be counted and emitted twice.
    resumeAt: async (partition) => (await taskFor(partition)).nextOffset,
    handle: async (batch, ctx) => {
      const task = await taskFor(batch.partition);
      const before = task.windower.snapshot();
      // The batch will be delivered again: put the state back as it was before it.
      ctx.onAbort(() => void (task.windower = PartitionWindower.restore(before, { stepMs })));
      const windows: FeatureWindow[] = [];
      /** The Kafka timestamp of the tick record that made each window final (windows[i] <- stamps[i]). */
      const stamps: string[] = [];
      let savedAt = 0;
      let context = 0;
      let contextLate = 0;
      let late = 0;
      for (const r of batch.records) {
        if (isContextCopy(r.headers)) {
          // A copy of a SYSTEM tick homed on another partition: aligned beside this partition's series only. A late
          // copy is dropped here; its home partition judges (and dead-letters) the original.
          // It may complete a slot other series wait on (early firing): those windows come out here.
          const result = task.windower.addContext(r.value, r.value.ingestedAt);
          if (result.late) contextLate++;
          windows.push(...result.windows);
          for (const _ of result.windows) stamps.push(r.timestamp);
          context++;
          continue;
        }
        const result = task.windower.add(r.value, r.value.ingestedAt);
        windows.push(...result.windows);
        for (const _ of result.windows) stamps.push(r.timestamp);
        savedAt = Math.max(savedAt, r.value.intervalStart);
        if (result.late) {
          ctx.deadLetter({ topic: batch.topic, partition: batch.partition, offset: r.offset, key: r.key, raw: r.raw, ...result.late });
          late++;
        }
      }
      const nextOffset = BigInt(batch.nextOffset);
      const state = stateRecords(p, inputTopic, batch.partition, nextOffset, stepMs, savedAt, task.windower.snapshot(), task.keys);
      await ctx.send(outputTopic, windows.map((w, i) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w), timestamp: stamps[i] })));
      await ctx.send(changelogTopic, state.records);
      ctx.onCommit(() => {
        task.keys = state.keys;
        task.nextOffset = nextOffset;
        counts.received += batch.received;
        counts.windows += windows.length;
        counts.deadLettered += batch.rejected.length + late;
        counts.context += context;
        counts.contextLate += contextLate;
        counts.transactions += 1;
        counts.lastLagMs = Date.now() - batch.lastTimestamp;
        opts.onBatch?.(counts);
      });
    },
  });
  return {
    counts,
    /** Rejects if the consumer crashed beyond kafkajs's own restarts. */
    failed: loop.failed,
    get crashed() {
      return loop.crashed();
    },
    async stop() {
      await loop.stop();
      await Promise.all([...tasks.values()].map((t) => t.then((x) => x.producer.disconnect()).catch(() => undefined)));
    },
  };
}

