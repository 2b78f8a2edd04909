// Where a backtest's inputs come from: actual prices (replay files, the simulator, or market_data) and forecasts
// (a run's forecasts topic, or the forecasts table); and the stream leg of a run: the dispatcher and the dispatch
// sink in-process on run.NAME.forecasts -> run.NAME.dispatch -> dispatch_schedules, until caught up.
import type pg from 'pg';
import type { Config } from '../../platform/config.js';
import type { BatteryAsset } from '../../dispatch/asset.js';
import type { ForecastCurve, PriceBasis } from '../../dispatch/strategies.js';
import { HOUR_MS } from '../../market/central-time.js';
import { loadEntry, registryRoot } from '../../model/registry.js';
import type { DispatchSchedule, Forecast } from '../../schemas/types.js';
import type { Writer } from '../../platform/kafka/avro-serde.js';
import type { Provisioned } from '../../platform/kafka/provision.js';
import { readTopicToEnd } from '../../platform/kafka/read-topic.js';
import { groupFor, topicSet } from '../../platform/kafka/topics.js';
import { REPLAY_FORMATS } from '../../streams/replay/formats.js';
import { readReplayFile } from '../../streams/replay/replay.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { startDispatchSink } from '../../sinks/postgres/dispatch-sink.js';
import { startDispatcher } from './processor.js';
import { DispatchError } from '../../dispatch/errors.js';

/** [interval start, $/MWh] of the real-time price of one settlement point. */
export type PricePoints = Array<[number, number]>;

/** Real-time prices of `seriesId` from files `sda replay` reads (the project's CSV, ERCOT MIS RT SPP). */
export async function actualsFromFiles(files: string[], market: string, seriesId: string): Promise<PricePoints> {
  const out: PricePoints = [];
  for (const f of files) {
    const read = await readReplayFile(f, REPLAY_FORMATS, Date.now());
    for (const it of read.items) {
      if (it.ok && it.tick.market === market && it.tick.seriesId === seriesId && it.tick.kind === 'RT_PRICE') out.push([it.tick.intervalStart, it.tick.value]);
    }
  }
  return out;
}

/** Real-time prices of one node from the simulator (the same ticks `sda simulate` publishes for these options). */
export function actualsFromSimulator(opts: { start: number; days: number; seed: number }, seriesId: string): PricePoints {
  const out: PricePoints = [];
  for (const t of simulateMarket({ start: opts.start, days: opts.days, seed: opts.seed, nodes: [seriesId], includeSystem: false })) {
    if (t.seriesId === seriesId && t.kind === 'RT_PRICE') out.push([t.intervalStart, t.value]);
  }
  return out;
}

/** Real-time prices stored in market_data for [fromMs, toMs). */
export async function actualsFromDb(pool: pg.Pool, market: string, seriesId: string, fromMs: number, toMs: number): Promise<PricePoints> {
  const r = await pool.query<{ t: string; v: number }>(
    `SELECT (extract(epoch FROM interval_start) * 1000)::bigint AS t, value AS v FROM market_data
      WHERE market = $1 AND series_id = $2 AND kind = 'RT_PRICE' AND interval_start >= $3 AND interval_start < $4 ORDER BY interval_start`,
    [market, seriesId, new Date(fromMs), new Date(toMs)],
  );
  return r.rows.map((x) => [Number(x.t), x.v]);
}

/** The covered range of the stored real-time prices of a series, or null when there are none. */
export async function storedPriceRange(pool: pg.Pool, market: string, seriesId: string): Promise<{ from: number; to: number } | null> {
  const r = await pool.query<{ lo: Date | null; hi: Date | null }>(
    `SELECT min(interval_start) AS lo, max(interval_end) AS hi FROM market_data WHERE market = $1 AND series_id = $2 AND kind = 'RT_PRICE'`,
    [market, seriesId],
  );
  const row = r.rows[0];
  return row?.lo && row.hi ? { from: row.lo.getTime(), to: row.hi.getTime() } : null;
}

/**
 * The whole hours a backtest of the stored data can cover for a series: from its first stored RT-price forecast's
 * decision time (input_end, rounded up to the hour) to its last stored actual (rounded down), UTC ms, with the model
 * versions of those forecasts; null when either is missing or they overlap by less than 24 hours.
 */
export async function storedBacktestRange(pool: pg.Pool, market: string, seriesId: string): Promise<{ fromMs: number; toMs: number; models: string[] } | null> {
  const f = await pool.query<{ lo: Date | null; models: string[] | null }>(
    `SELECT min(input_end) AS lo, array_agg(DISTINCT model_version) AS models FROM forecasts WHERE market = $1 AND series_id = $2 AND kind = 'RT_PRICE'`,
    [market, seriesId],
  );
  const actuals = await storedPriceRange(pool, market, seriesId);
  const lo = f.rows[0]?.lo;
  if (!lo || !actuals) return null;
  const fromMs = Math.ceil(lo.getTime() / HOUR_MS) * HOUR_MS;
  const toMs = Math.floor(actuals.to / HOUR_MS) * HOUR_MS;
  return toMs - fromMs >= 24 * HOUR_MS ? { fromMs, toMs, models: f.rows[0]?.models ?? [] } : null;
}

/** Stored forecasts of a series' real-time price usable in [fromMs, toMs) (input_end before toMs, covering past fromMs). */
export async function forecastsFromDb(pool: pg.Pool, market: string, seriesId: string, fromMs: number, toMs: number, modelVersion?: string): Promise<Array<ForecastCurve & { modelVersion: string }>> {
  const r = await pool.query<{ model_version: string; issued_at: Date; input_end: Date; target_start: Date; step_ms: number; values: number[]; p10: number[] | null; p90: number[] | null }>(
    `SELECT model_version, issued_at, input_end, target_start, step_ms, "values", p10, p90 FROM forecasts
      WHERE market = $1 AND series_id = $2 AND kind = 'RT_PRICE' AND input_end < $4 AND target_end > $3 AND ($5::text IS NULL OR model_version = $5)
      ORDER BY input_end, issued_at, model_version`,
    [market, seriesId, new Date(fromMs), new Date(toMs), modelVersion ?? null],
  );
  return r.rows.map((x) => ({ modelVersion: x.model_version, issuedAt: x.issued_at.getTime(), inputEnd: x.input_end.getTime(), targetStart: x.target_start.getTime(), stepMs: x.step_ms, values: x.values, p10: x.p10, p90: x.p90 }));
}

/**
 * Every value of a topic from the beginning to its current end, in (partition, offset) order (see readTopicToEnd).
 * Errors: readTopicToEnd's; a record it could not decode other than poison fails the backtest with KafkaError
 * TOPIC_READ_FAILED naming the topic, partition and offset, never settles on a partial topic.
 */
export async function readTopic<T>(p: Provisioned, topic: string, reader: Writer<T>, idleMs = 3_000): Promise<T[]> {
  return (await readTopicToEnd(p, topic, reader, { idleMs, groupPrefix: 'sda-backtest-read' })).map((r) => r.value);
}

/**
 * Checks that each model whose forecasts a backtest uses saw no data from `fromMs` on (its training and hold-out
 * ranges end by then), reading the registry's metadata. Returns the versions it could not find (no check possible).
 * Throws naming the model and the fix when one looked ahead.
 */
export async function assertNoLookahead(versions: string[], fromMs: number, registryDir?: string): Promise<string[]> {
  const unknown: string[] = [];
  const root = registryRoot(registryDir);
  for (const v of [...new Set(versions)]) {
    let entry: Awaited<ReturnType<typeof loadEntry>>;
    try {
      entry = await loadEntry(root, v);
    } catch {
      unknown.push(v);
      continue;
    }
    const m = entry.metadata as { trainingRange?: { to: string }; holdoutRange?: { to: string } };
    const seen = Math.max(Date.parse(m.trainingRange?.to ?? ''), Date.parse(m.holdoutRange?.to ?? ''));
    if (Number.isFinite(seen) && seen > fromMs) {
      throw new DispatchError('BACKTEST_INVALID', `model ${v} was trained on data up to ${new Date(seen).toISOString()}, after the backtest's start ${new Date(fromMs).toISOString()}: its forecasts would look ahead. Train one on earlier data (sda train --to ${new Date(fromMs).toISOString().slice(0, 10)}) or start the backtest later (--allow-lookahead skips this check)`);
    }
  }
  return unknown;
}

/**
 * The stream leg of a run's backtest: the dispatcher on run.NAME.forecasts -> run.NAME.dispatch and the dispatch sink
 * -> dispatch_schedules (run = NAME), in-process, until both have read everything there is. Returns the run's
 * schedules of the given assets as read back from run.NAME.dispatch. A second call finds them committed and adds none.
 */
export async function dispatchRun(config: Config, p: Provisioned, run: string, assets: BatteryAsset[], onProgress?: (what: string) => void, priceBasis: PriceBasis = 'p50'): Promise<DispatchSchedule[]> {
  const topics = topicSet(run);
  const dispatcher = await startDispatcher(config, {
    assets,
    priceBasis,
    inputTopic: topics.forecasts.name,
    outputTopic: topics.dispatch.name,
    deadLetterTopic: topics.deadLetters.name,
    groupId: dispatcherGroup(run, priceBasis),
    onBatch: (c) => onProgress?.(`dispatcher: ${c.received} forecasts read, ${c.schedules} schedules`),
  }, p);
  try {
    await waitCaughtUp(p, dispatcherGroup(run, priceBasis), topics.forecasts.name, () => dispatcher.counts.received);
  } finally {
    await dispatcher.stop();
  }
  const all = await readTopic<DispatchSchedule>(p, topics.dispatch.name, p.writers.dispatch);
  const sink = await startDispatchSink(config, { topic: topics.dispatch.name, groupId: `sda-dispatch-sink.run.${run}`, onBatch: (c) => onProgress?.(`dispatch-sink: ${c.stored}/${all.length} rows`) }, p);
  try {
    await waitCaughtUp(p, `sda-dispatch-sink.run.${run}`, topics.dispatch.name, () => sink.counts.received);
  } finally {
    await sink.stop();
  }
  const ids = new Set(assets.map((a) => a.id));
  const strategy = priceBasis === 'mean' ? 'forecast:mean' : 'forecast';
  return all.filter((s) => ids.has(s.assetId) && s.strategy === strategy);
}

/** The run's dispatcher group: one per price basis, so each basis dispatches the run's forecasts once. */
export function dispatcherGroup(run: string, basis: PriceBasis): string {
  return groupFor(basis === 'mean' ? 'sda-dispatcher-mean' : 'sda-dispatcher', run);
}

/**
 * Waits until a consumer group's committed offsets reach the end of every partition of `topic` (end - 1 counts: a
 * transactional partition ends with a commit marker), or until `count()` has not moved for `quietMs` after a grace
 * period for joining the group (a tail of aborted transactions).
 */
export async function waitCaughtUp(p: Provisioned, group: string, topic: string, count: () => number, quietMs = 15_000): Promise<void> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    let last = -1;
    let since = Date.now();
    for (;;) {
      const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
      const done = ends.every((e) => {
        const end = BigInt(e.offset);
        if (end === 0n) return true;
        const c = committed.find((x) => x.partition === e.partition)?.offset;
        return c !== undefined && c !== '-1' && BigInt(c) >= end - 1n;
      });
      if (done) return;
      const n = count();
      if (n !== last) {
        last = n;
        since = Date.now();
      } else if (Date.now() - since > quietMs) return;
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The forecast curves of one series among a run's Forecast records. */
export function curvesOf(records: Forecast[], market: string, seriesId: string): Array<ForecastCurve & { modelVersion: string }> {
  return records
    .filter((f) => f.market === market && f.seriesId === seriesId && f.kind === 'RT_PRICE')
    .map((f) => ({ modelVersion: f.modelVersion, issuedAt: f.issuedAt, inputEnd: f.inputEnd, targetStart: f.targetStart, stepMs: f.stepMs, values: f.values, p10: f.p10 ?? null, p90: f.p90 ?? null }));
}
