// The forecaster: committed FeatureWindows (read_committed) → Forecast records, exactly once. On the consume loop's
// transactional policy, for each input batch of one partition one Kafka transaction carries its forecasts (to
// market.forecasts), its dead letters and the consumer offsets (sendOffsets), so a read_committed reader sees each
// forecast once however often the batch is processed. Forecasts are deterministic too (issuedAt = the window's computedAt), so even a replay by the same
// model version rewrites identical records. Partitions are processed concurrently and their windows share one
// onnxruntime run (inference-batcher.ts); the model follows the registry's `current` (model-watcher.ts).
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import { type ModelMetadata, servesWindow } from '../../model/contract.js';
import { registryRoot } from '../../model/registry.js';
import { readsServedBands } from '../../model/online-band.js';
import { seriesRecordKey } from '../../market/series.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';
import { type Admin, partitionProducers } from '../../platform/kafka/client.js';
import { startConsumeLoop } from '../../platform/kafka/consume-loop.js';
import { type Provisioned, ensureOutputTopics, provision } from '../../platform/kafka/provision.js';
import { KafkaError } from '../../platform/kafka/errors.js';
import { TOPICS, groupCommittedOffsets } from '../../platform/kafka/topics.js';
import { type BatchResult, InferenceBatcher } from './inference-batcher.js';
import { type TrailingReadOptions, readTrailingForecasts, readTrailingWindows } from './restore.js';
import { PartitionState, type WindowOutput, stateSpanMs } from './state.js';
import { type LiveMetric, LiveRmse } from './live-rmse.js';
import { ModelWatcher } from './model-watcher.js';

const log = logger('forecaster');

export interface ForecasterOptions {
  inputTopic?: string;
  outputTopic?: string;
  groupId?: string;
  /** Where poison records go; default market.dlq (a run's: run.NAME.dlq). */
  deadLetterTopic?: string;
  /** Prefix of the per-partition transactional ids; a restarted instance reuses them and so fences its zombie. */
  transactionalIdPrefix?: string;
  /** The model registry (default MODEL_REGISTRY_DIR or ./model_registry). */
  registryDir?: string;
  /** How often the registry's `current` is read (ms). */
  pollMs?: number;
  /** Partitions processed at once (their windows share inference runs). */
  concurrency?: number;
  /** Most windows per onnxruntime run. */
  maxBatch?: number;
  /** Fetch size per partition (bounds the records per transaction). */
  maxBytesPerPartition?: number;
  /** Errors per series in the live RMSE ring. */
  rmseWindow?: number;
  /** How often the live RMSE is logged and handed to onLiveMetrics (ms). */
  metricsIntervalMs?: number;
  /**
   * HOOK for the model_metrics table (migration 006, model/metrics-store.ts recordLiveMetric): called every
   * metricsIntervalMs with the live RMSE per (model version, series). forecasterHooks (hooks.ts) wires it.
   */
  onLiveMetrics?: (metrics: LiveMetric[]) => Promise<void> | void;
  onBatch?: (counts: ForecasterCounts) => void;
  /** How the trailing windows are read back on assignment (restore.ts; tests use small chunks). */
  restore?: TrailingReadOptions;
  /** Called when a partition's state has been rebuilt from its trailing windows (restore.ts), before it is processed. */
  onRestore?: (restore: PartitionRestore) => void;
  /** Aborts the wait for a first model. */
  signal?: AbortSignal;
}

export interface ForecasterCounts {
  received: number;
  forecasts: number;
  /** Windows the served model does not serve (market, kind, step, series or length differ). */
  skipped: number;
  /** Served windows with no points at all. */
  empty: number;
  deadLettered: number;
  transactions: number;
  inferenceRuns: number;
  modelVersion: string | null;
  modelSwitches: number;
}

/** What a partition's state rebuild on assignment read and took. */
export interface PartitionRestore {
  partition: number;
  /** The offsets read back: [from, to), to = the group's committed offset. */
  from: string;
  to: string;
  /** Records read and range reads made; windows replayed into the state; series, slots and online bands it holds after. */
  records: number;
  reads: number;
  windows: number;
  series: number;
  slots: number;
  bands: number;
  /** The model version whose forecasts fed the online bands (null: the model has none). */
  bandVersion: string | null;
  /** The span of event time behind each series' newest window the state needs (ms). */
  spanMs: number;
  /** Wall time of the whole set-up (fence, committed offset, read, replay), ms; and of its read, inference and replay. */
  ms: number;
  readMs: number;
  inferMs: number;
  replayMs: number;
  /** Forecasts read back from the output partition for an ACI band (0 otherwise). */
  servedForecasts: number;
}

/**
 * Whether a state read for model `a` (span, served-band read-back) is not what model `b` needs: they differ in
 * stateSpanMs or in having an ACI band.
 */
export function readDiffers(a: ModelMetadata | undefined, b: ModelMetadata | undefined): boolean {
  return stateSpanMs(a) !== stateSpanMs(b) || readsServedBands(a?.onlineBand?.method) !== readsServedBands(b?.onlineBand?.method);
}

/**
 * Awaits `p` while calling `heartbeat` every `everyMs` ms (kafkajs heartbeats only when the batch handler calls it or
 * between batches, so a rebuild awaited inside a batch would otherwise outlast the session timeout). A heartbeat that
 * fails (a rebalance under way) is left to the batch's commit, which fails the same way.
 */
async function heartbeatWhile<T>(p: Promise<T>, heartbeat: () => Promise<void>, everyMs = 1_000): Promise<T> {
  const timer = setInterval(() => void heartbeat().catch(() => undefined), everyMs);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

/** Per window of a batch result, its output. */
function outputsOf(r: BatchResult): WindowOutput[] {
  return r.values.map((values, i) => ({ version: r.version, metadata: r.metadata, values, band: r.bands[i] ?? null }));
}

export async function startForecaster(config: Config, opts: ForecasterOptions = {}, provisioned?: Provisioned) {
  const inputTopic = opts.inputTopic ?? TOPICS.features.name;
  const outputTopic = opts.outputTopic ?? TOPICS.forecasts.name;
  const deadLetterTopic = opts.deadLetterTopic ?? TOPICS.deadLetters.name;
  const groupId = opts.groupId ?? 'sda-forecaster';
  const txPrefix = opts.transactionalIdPrefix ?? groupId;
  const root = registryRoot(opts.registryDir);
  const watcher = new ModelWatcher(root, { pollMs: opts.pollMs ?? 2_000 });
  const counts: ForecasterCounts = { received: 0, forecasts: 0, skipped: 0, empty: 0, deadLettered: 0, transactions: 0, inferenceRuns: 0, modelVersion: null, modelSwitches: 0 };
  const rmse = new LiveRmse(opts.rmseWindow ?? 168);

  // Wait for a first model before consuming anything: windows stay in Kafka until there is something to serve them.
  watcher.start();
  try {
    await watcher.ready(opts.signal);
  } catch (err) {
    await watcher.close();
    throw err;
  }
  const batcher = new InferenceBatcher(watcher, opts.maxBatch ?? 4_096);
  const p = provisioned ?? (await provision(config, 'sda-forecaster'));
  // A missing output topic would make the transactional producer retry forever: create the topics this processor
  // writes (and its input, which a run's windower may not have created yet) before anything starts.
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    await ensureOutputTopics(config, p, [{ ...TOPICS.features, name: inputTopic }, { ...TOPICS.forecasts, name: outputTopic }, { ...TOPICS.deadLetters, name: deadLetterTopic }]);
    const existing = new Set(await admin.listTopics());
    const missing = [inputTopic, outputTopic].filter((t) => !existing.has(t));
    if (missing.length > 0) throw new Error(`forecaster: topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist; create ${missing.length > 1 ? 'them' : 'it'} (sda stack up creates the standard topics)`);
  } catch (err) {
    await watcher.close();
    throw err;
  } finally {
    await admin.disconnect();
  }
  const { producers, producerFor } = partitionProducers(p.kafka, `${txPrefix}-${inputTopic}`);
  const report = async () => {
    const live = rmse.snapshot();
    if (live.length === 0) return;
    log.info({ modelVersion: watcher.version, series: live.length, live: live.slice(0, 50).map((m) => ({ series: m.seriesId, kind: m.kind, version: m.modelVersion, rmse: Number(m.rmse.toPrecision(6)), n: m.n })) }, 'live RMSE (horizon 1)');
    try {
      await opts.onLiveMetrics?.(live);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'recording live metrics failed');
    }
  };
  const metricsTimer = setInterval(() => void report(), opts.metricsIntervalMs ?? 60_000);
  metricsTimer.unref();

  // Per input partition: its state, rebuilt on assignment from the partition's trailing windows (restore.ts) so that it
  // is a function of the input alone. Fence first (the partition's transactional producer: its InitProducerId waits for
  // a killed owner's last transaction to complete), then read the group's committed offset, then the windows before it.
  const states = new Map<number, Promise<PartitionState>>();
  const stateFor = (partition: number): Promise<PartitionState> => {
    let st = states.get(partition);
    if (!st) {
      st = rebuild(partition);
      states.set(partition, st);
      st.catch(() => {
        if (states.get(partition) === st) states.delete(partition);
      });
    }
    return st;
  };
  /**
   * The group's committed offset of an input partition (0 when none), over `admin` (connected, the caller's) or a
   * short-lived admin connection of its own.
   */
  const committedOffset = async (partition: number, admin?: Admin): Promise<bigint> => (await groupCommittedOffsets(admin ?? p.kafka, groupId, inputTopic)).get(partition) ?? 0n;
  /**
   * A partition kept across a new assignment keeps its state only if the group's committed offset is still where the
   * state ends: otherwise another member owned it in between (this member was paused past its session) and moved it
   * on, and the state is rebuilt like a newly assigned partition's. Fence first, as the windower does: the partition
   * gets a new producer (its InitProducerId waits out a transaction another owner still has open, and fences it), so
   * the committed offset read after it is stable (kafkajs's OffsetFetch has no requireStable). An offset that cannot
   * be read counts as moved: a rebuild is always correct, a stale state never is.
   */
  const revalidate = (partition: number, kept: Promise<PartitionState>): void => {
    const self: { st?: Promise<PartitionState> } = {};
    // Revoked (or set up again) while this waited: a producer created now would fence the new owner.
    const current = () => {
      if (states.get(partition) !== self.st) throw new Error(`forecaster: partition ${partition} was reassigned while its kept state was checked`);
    };
    const st = (self.st = (async () => {
      const state = await kept.catch(() => undefined);
      current();
      const old = producers.get(partition);
      if (old) {
        producers.delete(partition);
        void old.then((x) => x.disconnect()).catch(() => undefined);
      }
      await producerFor(partition);
      const committed = await committedOffset(partition).catch(() => undefined);
      current();
      if (state && committed !== undefined && state.nextOffset === committed) return state;
      log.warn({ partition, stateAt: state ? String(state.nextOffset) : null, committed: committed === undefined ? null : String(committed) }, 'kept partition moved on by another member (or its state failed): rebuilt from its trailing windows');
      return rebuild(partition);
    })());
    states.set(partition, st);
    st.catch(() => {
      if (states.get(partition) === st) states.delete(partition);
    });
  };
  // A rebuild reads the committed offset, every chunk's log offsets (restore.ts, readPartitionRange) and, with an ACI
  // band, both topics' end offsets over one admin connection, closed when it ends (was one connection per read).
  const rebuild = async (partition: number): Promise<PartitionState> => {
    const started = performance.now();
    const admin = p.kafka.admin();
    try {
      // A failed connection fails the rebuild as a failed committed-offset read does (retriable KAFKA_UNAVAILABLE).
      await admin.connect().catch((err: unknown) => {
        throw new KafkaError('KAFKA_UNAVAILABLE', `forecaster: partition ${partition} not rebuilt, no admin connection: ${(err as Error).message}`, true, { cause: err });
      });
      return await rebuildOver(admin, partition, started);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  /** rebuild's work over its connected `admin`; `started`: performance.now() when the rebuild began (PartitionRestore.ms). */
  const rebuildOver = async (admin: Admin, partition: number, started: number): Promise<PartitionState> => {
    await producerFor(partition);
    const committed = await committedOffset(partition, admin);
    // The span and read-back the current model's state needs; a later model that needs more reads the partition
    // again (outputsFor). The model can change between acquire() and the inference: then the partition is read again
    // for the model that answered (at most 3 reads; a model still changing after is left to outputsFor's check).
    const model = watcher.acquire();
    let meta = model?.metadata;
    if (model) watcher.release(model);
    let spanMs: number;
    let read: Awaited<ReturnType<typeof readTrailingWindows>>;
    let state: PartitionState;
    let servedRead: number;
    let outputs: WindowOutput[];
    let t0: number;
    let t1: number;
    let t2: number;
    for (let attempt = 0; ; attempt++) {
      spanMs = stateSpanMs(meta);
      t0 = performance.now();
      servedRead = 0;
      read = await readTrailingWindows(p, inputTopic, partition, committed, spanMs, { ...opts.restore, admin });
      state = new PartitionState(spanMs, committed);
      // Nothing consumed yet: nothing served before, so every band served is recorded live from here on.
      state.servedComplete = committed === 0n;
      // ACI counts an origin's misses against the band served there, which depends on all that came before: the bands
      // this forecaster served are read back from its output partition (the same partition number: both topics are
      // keyed by series id) and issued again as they were.
      const band = meta?.onlineBand;
      if (meta && band && readsServedBands(band.method) && committed > 0n) {
        const outEnds = await admin.fetchTopicOffsets(outputTopic);
        const inEnds = await admin.fetchTopicOffsets(inputTopic);
        const end = outEnds.find((o) => o.partition === partition);
        if (outEnds.length !== inEnds.length || !end) {
          log.warn({ partition, inputPartitions: inEnds.length, outputPartitions: outEnds.length }, 'input and output topics differ in partitions: the ACI band is replayed without the bands served');
        } else {
          const served = await readTrailingForecasts(p, outputTopic, partition, BigInt(end.offset), band.windowDays * 86_400_000 + meta.architecture.horizon * meta.target.stepMs + 86_400_000, { ...opts.restore, admin });
          for (const f of served) state.recordForecast(f);
          servedRead = served.length;
          state.servedComplete = true;
        }
      }
      t1 = performance.now();
      // With an online band, the windows go through the model again (batched), as they went when they were live.
      const result = meta?.onlineBand && read.windows.length > 0 ? await batcher.submit(read.windows) : undefined;
      outputs = result ? outputsOf(result) : [];
      t2 = performance.now();
      if (!result || !readDiffers(meta, result.metadata) || attempt >= 2) break;
      log.info({ partition, readFor: meta?.version ?? null, servedBy: result.version }, 'the model changed during the rebuild: the partition is read again for the model served now');
      meta = result.metadata;
    }
    await state.stepAll(read.windows, outputs);
    const t3 = performance.now();
    const restore: PartitionRestore = {
      partition, from: String(read.from), to: String(read.to), records: read.records, reads: read.reads, windows: read.windows.length,
      series: state.history.size, slots: state.history.slotCount, bands: state.bandCount, bandVersion: state.bandVersion, spanMs, ms: performance.now() - started,
      readMs: t1 - t0, inferMs: t2 - t1, replayMs: t3 - t2, servedForecasts: servedRead,
    };
    log.info({ ...restore, ms: Math.round(restore.ms), readMs: Math.round(restore.readMs), inferMs: Math.round(restore.inferMs), replayMs: Math.round(restore.replayMs) }, 'partition state rebuilt from its trailing windows');
    opts.onRestore?.(restore);
    return state;
  };
  const drop = (partition: number, st: Promise<PartitionState>) => {
    if (states.get(partition) === st) states.delete(partition);
  };
  /**
   * The batch's outputs with the state fed by the same model version: after a model switch the state's bands are
   * rebuilt from its trailing windows with the new model (one inference run for those and the batch), or the
   * partition is read again when the new model needs a longer span than the state holds.
   */
  const outputsFor = async (partition: number, windows: FeatureWindow[]): Promise<{ state: PartitionState; outputs: WindowOutput[]; result?: BatchResult }> => {
    let st = stateFor(partition);
    let state = await st;
    if (windows.length === 0) return { state, outputs: [] };
    let result = await batcher.submit(windows);
    for (let attempt = 0; result.metadata.onlineBand && state.bandVersion !== result.version && attempt < 3; attempt++) {
      if (state.needsRebuildFor(result.metadata)) {
        drop(partition, st);
        st = stateFor(partition);
        state = await st;
        result = await batcher.submit(windows);
        continue;
      }
      const trailing = state.trailing();
      const both = await batcher.submit([...trailing, ...windows]);
      const outs = outputsOf(both);
      await state.replay(both.version, outs.slice(0, trailing.length));
      if (trailing.length > 0) log.info({ partition, modelVersion: both.version, windows: trailing.length, bands: state.bandCount }, 'online bands rebuilt from the trailing windows for the model served now');
      const skipped = windows.filter((w) => !servesWindow(both.metadata, w)).length;
      const empty = windows.filter((w) => servesWindow(both.metadata, w) && w.count === 0).length;
      result = { ...both, values: both.values.slice(trailing.length), bands: both.bands.slice(trailing.length), skipped, empty };
    }
    return { state, outputs: outputsOf(result), result };
  };

  const loop = await startConsumeLoop<FeatureWindow>(p.kafka, {
    name: 'forecaster',
    topic: inputTopic,
    groupId,
    serde: p.serde,
    reader: p.writers.features,
    // Partitions processed at once: their windows share inference runs.
    partitionsConsumedConcurrently: opts.concurrency ?? config.kafka.partitions,
    commit: { kind: 'transactional', producerFor },
    deadLetters: { kind: 'publish', writer: p.writers.deadLetters, topic: deadLetterTopic },
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxBytesPerPartition: opts.maxBytesPerPartition ?? 1_048_576 },
    onAssignment: (partitions) => {
      // Producers and state of partitions this member no longer owns go; the new owner's producer fences them anyway,
      // and the new owner rebuilds the state from the partition. A partition kept keeps its state unless another
      // member moved it on in between (revalidate).
      const mine = new Set(partitions);
      for (const [partition, producer] of producers) {
        if (!mine.has(partition)) {
          producers.delete(partition);
          void producer.then((x) => x.disconnect()).catch(() => undefined);
        }
      }
      for (const partition of states.keys()) if (!mine.has(partition)) states.delete(partition);
      for (const partition of mine) {
        const kept = states.get(partition);
        if (kept) revalidate(partition, kept);
      }
      for (const partition of mine) void stateFor(partition).catch((err: unknown) => log.error({ partition, err: (err as Error).message }, 'partition state rebuild failed (retried by the next batch)'));
    },
    // The group's committed offset can be read before a killed owner's last transaction completes (kafkajs's OffsetFetch
    // has no requireStable): records before the offset the state was rebuilt to are in it already, and skipped.
    // Only the first batch after a (re)build can start before the state's offset; later batches follow the state.
    resumeAt: async (partition, heartbeat) => {
      const state = await heartbeatWhile(stateFor(partition), heartbeat);
      return state.live ? undefined : state.nextOffset;
    },
    handle: async (batch, ctx) => {
      const windows = batch.records.map((g) => g.value);
      // A batch that fails is delivered again: the state it may have changed is dropped and read back from the
      // partition (at worst one rebuild too many, never a state that saw the batch twice).
      ctx.onAbort(() => states.delete(batch.partition));
      const { state, outputs, result } = await heartbeatWhile(outputsFor(batch.partition, windows), () => ctx.heartbeat());
      // One window at a time, state first: a window's forecast depends on the windows before it in the partition and
      // itself only, never on how the records were cut into batches (a rebuild replays them in another cut).
      const forecasts: Forecast[] = [];
      // Each forecast's record carries its window record's Kafka timestamp: the windower set it to the timestamp of the
      // tick record that made the window final, so the gateway measures tick publication -> forecast at the gateway.
      const stamps: string[] = [];
      windows.forEach((w, i) => {
        const f = state.step(w, outputs[i]);
        if (f) {
          forecasts.push(f);
          stamps.push(batch.records[i]!.timestamp);
        }
      });
      const nextOffset = BigInt(batch.nextOffset);
      await ctx.send(outputTopic, forecasts.map((f, i) => ({ key: f.seriesId, value: p.serde.encode(p.writers.forecasts, f), timestamp: stamps[i] })));
      ctx.onCommit(() => {
        state.nextOffset = nextOffset;
        state.live = true;
        // Live RMSE after the commit, so a batch that is processed twice is scored once. Per window in order: its last
        // point scores an earlier forecast, then its own forecast waits for a later window.
        const byWindow = new Map(forecasts.map((f) => [seriesRecordKey(f, f.targetStart), f]));
        for (const w of windows) {
          rmse.observeActual(w);
          const f = byWindow.get(seriesRecordKey(w, w.windowEnd));
          if (f) rmse.recordForecast(f);
        }
        counts.received += batch.received;
        counts.forecasts += forecasts.length;
        counts.skipped += result?.skipped ?? 0;
        counts.empty += result?.empty ?? 0;
        counts.deadLettered += batch.rejected.length;
        counts.transactions += 1;
        counts.inferenceRuns = batcher.runs;
        counts.modelVersion = result?.version ?? counts.modelVersion;
        counts.modelSwitches = watcher.switches;
        opts.onBatch?.(counts);
      });
    },
  });
  log.info({ inputTopic, outputTopic, groupId, registry: root, modelVersion: watcher.version }, 'forecaster started');
  return {
    counts,
    /** The live RMSE per (model version, series) so far. */
    liveRmse: () => rmse.snapshot(),
    /** The version served now. */
    get modelVersion() {
      return watcher.version;
    },
    /** Reads the registry now instead of at the next poll. */
    pollModel: () => watcher.poll(),
    failed: loop.failed,
    async stop() {
      clearInterval(metricsTimer);
      await loop.stop();
      await Promise.all([...producers.values()].map((pr) => pr.then((x) => x.disconnect()).catch(() => undefined)));
      await report();
      await watcher.close();
    },
  };
}
