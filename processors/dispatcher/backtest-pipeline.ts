// `sda backtest --pipeline`: history through the whole pipeline on a run's topic set before the backtest settles it.
// Ticks (the simulator or files `sda replay` reads) -> run.NAME.ticks -> ticks sink (market_data under market
// run.NAME.<market>) + windower -> run.NAME.features -> features sink; an LSTM trained with the defaults on the run's
// windows that end at or before the backtest's start (so it has seen nothing it is scored on), registered in the
// run's own model registry; the forecaster on the run serves it -> run.NAME.forecasts -> forecasts sink. The
// dispatcher and dispatch sink then run on the run in runBacktestJob (backtest-job.ts).
import type { Config } from '../../platform/config.js';
import { TRAIN_DEFAULTS, runTraining } from '../../model/train.js';
import { createPool } from '../../platform/postgres/pool.js';
import { type Provisioned, ensureOutputTopics } from '../../platform/kafka/provision.js';
import { groupFor, topicSet } from '../../platform/kafka/topics.js';
import { REPLAY_FORMATS } from '../../streams/replay/formats.js';
import { replay } from '../../streams/replay/replay.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { TickPublisher } from '../../streams/tick-publisher.js';
import { startFeaturesSink } from '../../sinks/postgres/features-sink.js';
import { startForecastsSink } from '../../sinks/postgres/forecasts-sink.js';
import { startTicksSink } from '../../sinks/postgres/ticks-sink.js';
import { startForecaster } from '../forecaster/processor.js';
import { startWindower } from '../windower/processor.js';
import { waitCaughtUp } from './backtest-sources.js';

export type HistorySource = { kind: 'simulator'; start: number; days: number; seed: number; nodes?: string[] } | { kind: 'files'; files: string[] };

export interface RunPipelineOptions {
  run: string;
  history: HistorySource;
  /** The model trains on the run's windows ending at or before this time (UTC ms): the backtest's --from. */
  trainTo: number;
  /** The run's model registry (the forecaster serves its `current`). */
  registryDir: string;
  /** Training epochs (default: sda train's). */
  epochs?: number;
  onProgress?: (what: string) => void;
  /** Training output, a line at a time. */
  print?: (line: string) => void;
}

export interface RunPipelineResult {
  ticksPublished: number;
  ticksDeadLettered: number;
  windows: number;
  forecasts: number;
  modelVersion: string;
  /** Wall seconds per stage: publish, windows, train, forecasts. */
  seconds: Record<'publish' | 'windows' | 'train' | 'forecasts', number>;
}

/**
 * Runs the run's pipeline to completion (every published tick windowed, stored, forecast). Deterministic for the same
 * history, run name and training seed. Errors: RUN_NAME_INVALID, the sources' and sinks' coded errors, EmptyDatasetError
 * when no window ends before `trainTo` (choose a later --from or more history), the first job that stops for good.
 */
export async function runPipelineForBacktest(config: Config, p: Provisioned, o: RunPipelineOptions): Promise<RunPipelineResult> {
  const set = topicSet(o.run);
  const note = (what: string) => o.onProgress?.(what);
  const t0 = performance.now();
  await ensureOutputTopics(config, p, [set.ticks, set.deadLetters]);
  note(`publishing history to ${set.ticks.name}`);
  const publisher = new TickPublisher(config, p, 'backtest', { topic: set.ticks.name, deadLetterTopic: set.deadLetters.name });
  if (o.history.kind === 'simulator') {
    let batch: Array<{ ok: true; tick: ReturnType<typeof simulateMarket> extends Generator<infer T> ? T : never }> = [];
    for (const tick of simulateMarket({ start: o.history.start, days: o.history.days, seed: o.history.seed, ...(o.history.nodes ? { nodes: o.history.nodes } : {}) })) {
      batch.push({ ok: true, tick });
      if (batch.length === 2_000) {
        await publisher.add(batch);
        batch = [];
      }
    }
    await publisher.add(batch);
  } else {
    await replay(o.history.files, REPLAY_FORMATS, publisher, { speed: 'max' });
  }
  const published = await publisher.close();
  const t1 = performance.now();

  const dlq = set.deadLetters.name;
  const group = (job: string) => groupFor(`sda-backtest-${job}`, o.run);
  const stages: Array<{ stop: () => Promise<void>; failed: Promise<never> }> = [];
  let crashed: Error | undefined;
  const watch = <T extends { stop: () => Promise<void>; failed: Promise<never> }>(job: string, j: T): T => {
    j.failed.catch((err: Error) => {
      crashed ??= new Error(`${job}: ${err.message}`, { cause: err });
    });
    stages.push(j);
    return j;
  };
  const check = () => {
    if (crashed) throw crashed;
  };
  const pool = createPool(config, 2);
  try {
    note(`windowing ${published.accepted.toLocaleString('en-US')} ticks`);
    const ticksSink = watch('ticks-sink', await startTicksSink(config, { topic: set.ticks.name, groupId: group('ticks-sink'), processor: 'backtest-ticks-sink', run: o.run }, p));
    const windower = watch('windower', await startWindower(config, { inputTopic: set.ticks.name, outputTopic: set.features.name, changelogTopic: set.windowerChangelog.name, groupId: group('windower'), deadLetterTopic: dlq }, p));
    const featuresSink = watch('features-sink', await startFeaturesSink(config, { topic: set.features.name, groupId: group('features-sink'), run: o.run }, p));
    await waitCaughtUp(p, group('windower'), set.ticks.name, () => windower.counts.received);
    check();
    await waitCaughtUp(p, group('ticks-sink'), set.ticks.name, () => ticksSink.counts.accepted);
    check();
    await waitCaughtUp(p, group('features-sink'), set.features.name, () => featuresSink.counts.received);
    check();
    const t2 = performance.now();
    note(`training on the run's windows up to ${new Date(o.trainTo).toISOString()}`);
    const trained = await runTraining(pool, {
      ...TRAIN_DEFAULTS,
      ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
      run: o.run,
      to: new Date(o.trainTo),
      registry: o.registryDir,
      promote: true,
      progress: false,
      backend: 'auto',
      print: o.print ?? (() => undefined),
    });
    const t3 = performance.now();
    note(`forecasting with ${trained.version}`);
    const forecaster = watch('forecaster', await startForecaster(config, { inputTopic: set.features.name, outputTopic: set.forecasts.name, deadLetterTopic: dlq, groupId: group('forecaster'), registryDir: o.registryDir, pollMs: 500 }, p));
    const forecastsSink = watch('forecasts-sink', await startForecastsSink(config, { topic: set.forecasts.name, groupId: group('forecasts-sink'), run: o.run }, p));
    await waitCaughtUp(p, group('forecaster'), set.features.name, () => forecaster.counts.received, 30_000);
    check();
    await waitCaughtUp(p, group('forecasts-sink'), set.forecasts.name, () => forecastsSink.counts.received);
    check();
    return {
      ticksPublished: published.accepted,
      ticksDeadLettered: published.deadLettered,
      windows: windower.counts.windows,
      forecasts: forecaster.counts.forecasts,
      modelVersion: trained.version,
      seconds: { publish: (t1 - t0) / 1_000, windows: (t2 - t1) / 1_000, train: (t3 - t2) / 1_000, forecasts: (performance.now() - t3) / 1_000 },
    };
  } finally {
    // Upstream first, so nothing downstream waits on a stopped producer.
    for (const j of stages) await j.stop().catch(() => undefined);
    await pool.end();
  }
}
