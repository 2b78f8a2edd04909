// The dispatcher: committed Forecasts (read_committed) -> one DispatchSchedule per asset and forecast issue, exactly
// once. Like the forecaster (the consume loop's transactional policy), each input batch of one partition is one Kafka
// transaction carrying its schedules, its dead letters and the consumer offsets. Its only state, each asset's latest
// schedule (where the battery is), is the last record per asset on its own output topic: read back at start-up
// (read_committed), so a restart carries on from exactly what was committed. Schedules are deterministic for the same forecasts.
import { pacer } from '../../model/paced.js';
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import type { BatteryAsset } from '../../dispatch/asset.js';
import { loadSolver } from '../../dispatch/optimiser.js';
import type { PriceBasis } from '../../dispatch/strategies.js';
import { loadSchema } from '../../schemas/catalog.js';
import type { DispatchSchedule, Forecast } from '../../schemas/types.js';
import type { Writer } from '../../platform/kafka/avro-serde.js';
import { partitionProducers } from '../../platform/kafka/client.js';
import { startConsumeLoop } from '../../platform/kafka/consume-loop.js';
import { readTopicToEnd } from '../../platform/kafka/read-topic.js';
import { DispatchError } from '../../dispatch/errors.js';
import { deadLetterReason } from '../../platform/errors.js';
import { KafkaError } from '../../platform/kafka/errors.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { TOPICS, ensureTopics, subjectFor } from '../../platform/kafka/topics.js';
import { planFromForecast } from './plan.js';

const log = logger('dispatcher');

export interface DispatcherOptions {
  assets: BatteryAsset[];
  /** The price schedules are optimised on: the forecast's P50 (default) or its expected price (dispatch/strategies.ts). */
  priceBasis?: PriceBasis;
  inputTopic?: string;
  outputTopic?: string;
  deadLetterTopic?: string;
  groupId?: string;
  transactionalIdPrefix?: string;
  onBatch?: (counts: DispatcherCounts) => void;
}

export interface DispatcherCounts {
  received: number;
  schedules: number;
  /** Forecasts no asset settles on (another series or kind), or older than the asset's latest schedule. */
  skipped: number;
  deadLettered: number;
  transactions: number;
  /** Latest schedules read back from the output topic at start-up. */
  restored: number;
}

/**
 * Each key's last value on a topic, read_committed from the beginning. Stops when every partition is read up to
 * its end offset (less the one commit marker a transactional partition ends with), or after `idleMs` without a
 * record (a tail of aborted transactions). Errors: readTopicToEnd's (KafkaError TOPIC_READ_FAILED for a record it
 * could not decode other than poison; nothing partial is returned).
 */
export async function readLatestByKey<T>(p: Provisioned, topic: string, reader: Writer<T>, idleMs = 2_000, keep: (value: T) => boolean = () => true): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const r of await readTopicToEnd(p, topic, reader, { idleMs, firstIdleFactor: 5, groupPrefix: 'sda-dispatcher-restore' })) {
    if (r.key !== null && keep(r.value)) out.set(r.key, r.value);
  }
  return out;
}

/**
 * The dispatcher's state at start-up: each asset's latest schedule of `strategy` on `topic` (readLatestByKey).
 * Errors: a read that stopped at a record (KafkaError TOPIC_READ_FAILED: the registry unreachable, ...) becomes
 * KafkaError STATE_RESTORE_FAILED, "dispatcher: cannot restore ..." with the read's message and what to do, retriable
 * as the read's error, cause the read's error: the dispatcher does not start on a partial state (a battery whose
 * latest schedule was not read back would be planned from the wrong state of charge, and a forecast already
 * scheduled scheduled again). Other Kafka errors as the read throws them.
 */
export async function restoreSchedules(p: Provisioned, topic: string, reader: Writer<DispatchSchedule>, strategy: string, idleMs = 2_000): Promise<Map<string, DispatchSchedule>> {
  try {
    return await readLatestByKey<DispatchSchedule>(p, topic, reader, idleMs, (s) => s.strategy === strategy);
  } catch (err) {
    if (!(err instanceof KafkaError && err.code === 'TOPIC_READ_FAILED')) throw err;
    throw new KafkaError(
      'STATE_RESTORE_FAILED',
      `dispatcher: cannot restore each asset's latest schedule from ${topic}, so it does not start (a partial state would plan from the wrong state of charge): ${err.message}. Fix that (is the stack up? sda stack status) and start the dispatcher again`,
      err.retriable,
      { cause: err },
    );
  }
}

/** The writer for a dispatch topic (created if missing): market.dispatch's own, or the schema registered under a run topic's subject. */
async function dispatchWriter(config: Config, p: Provisioned, topic: string, dlqTopic: string): Promise<Writer<DispatchSchedule>> {
  // Processors create the topics they write (a run's run.NAME.dispatch and run.NAME.dlq).
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ ...TOPICS.dispatch, name: topic }, { ...TOPICS.deadLetters, name: dlqTopic }], config.kafka.partitions);
  } finally {
    await admin.disconnect();
  }
  if (topic === TOPICS.dispatch.name) return p.writers.dispatch;
  return p.serde.register(subjectFor(topic), loadSchema('DispatchSchedule'));
}

export async function startDispatcher(config: Config, opts: DispatcherOptions, provisioned?: Provisioned) {
  if (opts.assets.length === 0) throw new DispatchError('ASSET_INVALID', 'dispatcher: no assets to schedule (config/assets.json)');
  const inputTopic = opts.inputTopic ?? TOPICS.forecasts.name;
  const outputTopic = opts.outputTopic ?? TOPICS.dispatch.name;
  const dlqTopic = opts.deadLetterTopic ?? TOPICS.deadLetters.name;
  const groupId = opts.groupId ?? 'sda-dispatcher';
  const txPrefix = opts.transactionalIdPrefix ?? groupId;
  const p = provisioned ?? (await provision(config, 'sda-dispatcher'));
  const highs = await loadSolver();
  // The input is checked before anything is created: a missing run leaves no run.NAME.dispatch, dlq or subject behind.
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    if (!existing.has(inputTopic)) throw new KafkaError('TOPIC_MISSING', `dispatcher: input topic ${inputTopic} does not exist; run the forecaster first (sda stack up creates the standard topics)`);
  } finally {
    await admin.disconnect();
  }
  const writer = await dispatchWriter(config, p, outputTopic, dlqTopic);
  // Schedules of the other price basis on the same topic are another dispatcher's state.
  const strategy = opts.priceBasis === 'mean' ? 'forecast:mean' : 'forecast';
  const latest = await restoreSchedules(p, outputTopic, writer, strategy);
  const counts: DispatcherCounts = { received: 0, schedules: 0, skipped: 0, deadLettered: 0, transactions: 0, restored: latest.size };
  const bySeries = new Map<string, BatteryAsset[]>();
  for (const a of opts.assets) bySeries.set(a.settlementPoint, [...(bySeries.get(a.settlementPoint) ?? []), a]);

  const { producers, producerFor } = partitionProducers(p.kafka, `${txPrefix}-${inputTopic}`);
  const loop = await startConsumeLoop<Forecast>(p.kafka, {
    name: 'dispatcher',
    topic: inputTopic,
    groupId,
    serde: p.serde,
    reader: p.writers.forecasts,
    commit: { kind: 'transactional', producerFor },
    deadLetters: { kind: 'publish', writer: p.writers.deadLetters, topic: dlqTopic },
    consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    handle: async (batch, ctx) => {
      // Tentative state: applied only after the transaction commits, so an aborted batch leaves no trace.
      const next = new Map<string, DispatchSchedule>();
      const out: DispatchSchedule[] = [];
      let skipped = 0;
      let letters = 0;
      const pace = pacer();
      for (const rec of batch.records) {
        const f = rec.value;
        const assets = bySeries.get(f.seriesId) ?? [];
        let used = false;
        for (const asset of assets) {
          try {
            const s = planFromForecast(highs, asset, f, next.get(asset.id) ?? latest.get(asset.id), opts.priceBasis);
            if (!s) continue;
            next.set(asset.id, s);
            out.push(s);
            used = true;
          } catch (err) {
            if (!(err instanceof DispatchError) || err.code === 'SOLVER_FAILED') throw err;
            ctx.deadLetter({ topic: rec.topic, partition: rec.partition, offset: rec.offset, key: rec.key, raw: rec.raw, reasonCode: deadLetterReason(err.code), message: `asset ${asset.id}: ${err.message}` });
            letters++;
            used = true;
          }
        }
        if (!used) skipped++;
        // One LP per forecast and asset is synchronous WASM: a backlog of thousands would hold the event loop for
        // seconds, and the consumers sharing this process (sda demo) would miss their heartbeats.
        await pace();
        await ctx.heartbeat();
      }
      await ctx.send(outputTopic, out.map((s) => ({ key: s.assetId, value: p.serde.encode(writer, s) })));
      ctx.onCommit(() => {
        for (const [k, v] of next) latest.set(k, v);
        counts.received += batch.received;
        counts.schedules += out.length;
        counts.skipped += skipped;
        counts.deadLettered += batch.rejected.length + letters;
        counts.transactions += 1;
        opts.onBatch?.(counts);
      });
    },
  });
  log.info({ inputTopic, outputTopic, groupId, assets: opts.assets.map((a) => a.id), restored: latest.size }, 'dispatcher started');
  return {
    counts,
    failed: loop.failed,
    /** Each asset's latest committed schedule. */
    latest: () => new Map(latest),
    async stop() {
      await loop.stop();
      await Promise.all([...producers.values()].map((pr) => pr.then((x) => x.disconnect()).catch(() => undefined)));
    },
  };
}
