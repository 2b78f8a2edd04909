// `sda process <name>`: long-running consumers that turn topics into tables and derived topics.
import type { Command } from 'commander';
import { type TopicSpec, TOPICS, groupFor, topicSet } from '../platform/kafka/topics.js';
import { loadConfig } from '../platform/config.js';
import { startTicksSink } from '../sinks/postgres/ticks-sink.js';
import { startWindower } from '../processors/windower/processor.js';
import { startFeaturesSink } from '../sinks/postgres/features-sink.js';
import { startForecaster } from '../processors/forecaster/processor.js';
import { startForecastsSink } from '../sinks/postgres/forecasts-sink.js';
import { createPool } from '../platform/postgres/pool.js';
import { forecasterHooks } from '../processors/forecaster/hooks.js';
import { exposeCounts, setModelVersion, startMetricsServer } from '../platform/metrics.js';
import { OptionError, intOption, oneOfIntOption, topicOption } from './options.js';
import { Progress } from '../platform/progress.js';
import { setLoopProgress } from '../platform/kafka/loop-progress.js';
import { registerRagProcesses } from './process-rag.js';
import { registerDispatchProcesses } from './process-dispatch.js';

/** Resolves on SIGINT or SIGTERM, so a job can stop cleanly (offsets are only committed after a sink commit). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
}

/** Ms between a `sda process` job's lag checks (platform/kafka/loop-progress.ts). */
export const PROCESS_PROGRESS_MS = 10_000;

const RUN_HELP = 'run-scoped: read and write run.NAME.* topics with run-scoped consumer groups and transactional ids (see `sda run list`); the topic and group options are then set by the run';

/**
 * `--run NAME`: the run's topic set (platform/kafka/topics.ts topicSet), or undefined without --run. The run sets
 * the topics and groups itself, so an explicit topic/group option beside it is refused (OptionError).
 */
export function runScope(cmd: Command, run: string | undefined, explicit: string[]): { [K in keyof typeof TOPICS]: TopicSpec } | undefined {
  if (run === undefined) return undefined;
  const set = topicSet(run); // throws RUN_NAME_INVALID for a bad name
  const clash = explicit.filter((name) => cmd.getOptionValueSource(name) === 'cli');
  if (clash.length > 0) throw new OptionError('--run', `sets the topics and consumer group itself; leave out ${clash.map((n) => `--${n}`).join(', ')}`);
  return set;
}

export function registerProcess(program: Command): Command {
  const proc = program
    .command('process')
    .description(`long-running stream processors and sinks (stop with Ctrl-C / SIGTERM); each reports its consumer lag on its input topic every ${PROCESS_PROGRESS_MS / 1_000} s while behind, and "caught up (lag 0) at offsets ..." on stderr when it reaches the end`);
  // Every consume loop of the job reports its lag (platform/kafka/loop-progress.ts), the one place that does.
  proc.hook('preAction', () => setLoopProgress({ everyMs: PROCESS_PROGRESS_MS }));
  proc
    .command('postgres-sink')
    .description('consume market.ticks into PostgreSQL market_data: COPY into staging + idempotent upsert per batch, offsets committed after the database commit, bad records to market.dlq')
    .option('--topic <name>', 'topic to consume', TOPICS.ticks.name)
    .option('--group <id>', 'consumer group (instances with the same group share partitions)', 'sda-postgres-sink')
    .option('--max-rows <n>', 'most rows per database transaction', '50000')
    .option('--run <name>', `${RUN_HELP}; rows stored under market run.NAME.<market>`)
    .action(async (opts: { topic: string; group: string; maxRows: string; run?: string }, cmd: Command) => {
      const maxRows = intOption('--max-rows', opts.maxRows, 1, 1_000_000);
      const set = runScope(cmd, opts.run, ['topic', 'group']);
      if (set) Object.assign(opts, { topic: set.ticks.name, group: groupFor(opts.group, opts.run) });
      topicOption('--topic', opts.topic);
      const progress = new Progress('postgres-sink');
      const config = loadConfig();
      const metrics = await startMetricsServer(config.metricsPorts.postgresSink);
      const sink = await startTicksSink(config, {
        topic: opts.topic,
        groupId: opts.group,
        maxRows,
        run: opts.run,
        onBatch: (c) => progress.update(c.received, `accepted ${c.accepted}, dead-lettered ${c.deadLettered}, context copies ${c.contextCopies}, batches ${c.batches}`),
      });
      exposeCounts('postgres-sink', () => sink.counts);
      const sig = await Promise.race([untilSignal(), sink.failed]);
      await sink.stop();
      await metrics.close();
      process.stdout.write(`postgres-sink stopped on ${sig}: ${JSON.stringify(sink.counts)}\n`);
    });
  proc
    .command('windower')
    .description('consume market ticks into rolling 24-hour FeatureWindows on market.features, exactly once: windows, dead letters, state (changelog) and input offsets commit in one Kafka transaction per batch')
    .option('--step <minutes>', 'window step: 60 or 15', '60')
    .option('--input <topic>', 'ticks topic', TOPICS.ticks.name)
    .option('--output <topic>', 'features topic', TOPICS.features.name)
    .option('--changelog <topic>', 'state changelog topic (compacted)', TOPICS.windowerChangelog.name)
    .option('--group <id>', 'consumer group (instances share partitions)', 'sda-windower')
    .option('--max-batch-bytes <n>', 'fetch size per partition, which bounds the records per transaction', String(4 * 1_048_576))
    .option('--run <name>', `${RUN_HELP}; event time is the run's own (old history is not late)`)
    .addHelpText('after', '\nA series\' window is emitted as soon as its slot is complete (four 15-minute ticks for an hourly slot, one hourly tick),\nor when the watermark (newest event time - 2 steps) passes it; a later tick within those 2 steps re-emits it corrected;\nolder ones go to the dead-letter topic (reason late). See processors/windower/README.md.')
    .action(async (opts: { step: string; input: string; output: string; changelog: string; group: string; maxBatchBytes: string; run?: string }, cmd: Command) => {
      const set = runScope(cmd, opts.run, ['input', 'output', 'changelog', 'group']);
      if (set) Object.assign(opts, { input: set.ticks.name, output: set.features.name, changelog: set.windowerChangelog.name, group: groupFor(opts.group, opts.run) });
      const step = oneOfIntOption('--step', opts.step, [60, 15]);
      for (const [name, t] of [['--input', opts.input], ['--output', opts.output], ['--changelog', opts.changelog]] as const) topicOption(name, t);
      const maxBytesPerPartition = intOption('--max-batch-bytes', opts.maxBatchBytes, 1_024, 256 * 1_048_576);
      const progress = new Progress('windower');
      const config = loadConfig();
      const metrics = await startMetricsServer(config.metricsPorts.windower);
      const w = await startWindower(config, {
        stepMs: step === 60 ? 3_600_000 : 900_000,
        inputTopic: opts.input,
        outputTopic: opts.output,
        changelogTopic: opts.changelog,
        deadLetterTopic: set?.deadLetters.name,
        groupId: opts.group,
        maxBytesPerPartition,
        onBatch: (c) => progress.update(c.received, `windows ${c.windows}, dead-lettered ${c.deadLettered}, transactions ${c.transactions}`),
      });
      exposeCounts('windower', () => w.counts);
      const sig = await Promise.race([untilSignal(), w.failed]);
      await w.stop();
      await metrics.close();
      process.stdout.write(`windower stopped on ${sig}: ${JSON.stringify(w.counts)}\n`);
    });
  proc
    .command('features-sink')
    .description('consume committed FeatureWindows from market.features into the PostgreSQL features table (idempotent upsert, offsets after the database commit)')
    .option('--topic <name>', 'features topic', TOPICS.features.name)
    .option('--group <id>', 'consumer group', 'sda-features-sink')
    .option('--run <name>', `${RUN_HELP}; rows stored under market run.NAME.<market>`)
    .action(async (opts: { topic: string; group: string; run?: string }, cmd: Command) => {
      const set = runScope(cmd, opts.run, ['topic', 'group']);
      if (set) Object.assign(opts, { topic: set.features.name, group: groupFor(opts.group, opts.run) });
      topicOption('--topic', opts.topic);
      const config = loadConfig();
      const metrics = await startMetricsServer(config.metricsPorts.featuresSink);
      const sink = await startFeaturesSink(config, { topic: opts.topic, groupId: opts.group, run: opts.run });
      exposeCounts('features-sink', () => sink.counts);
      const sig = await Promise.race([untilSignal(), sink.failed]);
      await sink.stop();
      await metrics.close();
      process.stdout.write(`features-sink stopped on ${sig}: ${JSON.stringify(sink.counts)}\n`);
    });
  proc
    .command('forecaster')
    .description('consume committed FeatureWindows, forecast the ones the current model serves (one onnxruntime run per batch across series) and publish Forecasts to market.forecasts exactly once; follows model_registry/current without a restart; logs a live RMSE per series')
    .option('--input <topic>', 'features topic', TOPICS.features.name)
    .option('--output <topic>', 'forecasts topic', TOPICS.forecasts.name)
    .option('--group <id>', 'consumer group (instances share partitions)', 'sda-forecaster')
    .option('--registry <dir>', 'model registry (default MODEL_REGISTRY_DIR or ./model_registry)')
    .option('--poll-ms <n>', 'how often model_registry/current is read', '2000')
    .option('--max-batch <n>', 'most windows per onnxruntime run', '4096')
    .option('--rmse-window <n>', 'errors per series in the live RMSE', '168')
    .option('--metrics-interval <s>', 'seconds between live RMSE reports', '60')
    .option('--run <name>', RUN_HELP)
    .action(async (opts: { input: string; output: string; group: string; registry?: string; pollMs: string; maxBatch: string; rmseWindow: string; metricsInterval: string; run?: string }, cmd: Command) => {
      const set = runScope(cmd, opts.run, ['input', 'output', 'group']);
      if (set) Object.assign(opts, { input: set.features.name, output: set.forecasts.name, group: groupFor(opts.group, opts.run) });
      for (const [name, t] of [['--input', opts.input], ['--output', opts.output]] as const) topicOption(name, t);
      // Every option value before the metrics server and the pool start: a bad one leaves nothing running.
      const tuning = {
        pollMs: intOption('--poll-ms', opts.pollMs, 100, 3_600_000),
        maxBatch: intOption('--max-batch', opts.maxBatch, 1, 65_536),
        rmseWindow: intOption('--rmse-window', opts.rmseWindow, 1, 100_000),
        metricsIntervalMs: intOption('--metrics-interval', opts.metricsInterval, 1, 86_400) * 1_000,
      };
      const progress = new Progress('forecaster');
      const config = loadConfig();
      const pool = createPool(config, 1);
      const metrics = await startMetricsServer(config.metricsPorts.forecaster);
      const abort = new AbortController();
      const signal = untilSignal().then((sig) => { abort.abort(); return sig; });
      const hooks = forecasterHooks(pool);
      const f = await startForecaster(config, {
        inputTopic: opts.input,
        outputTopic: opts.output,
        groupId: opts.group,
        deadLetterTopic: set?.deadLetters.name,
        registryDir: opts.registry,
        ...tuning,
        signal: abort.signal,
        // The live RMSE per (model version, series) into model_metrics (split 'live'), every --metrics-interval.
        onLiveMetrics: hooks.onLiveMetrics,
        onBatch: (c) => {
          hooks.onBatch(c);
          progress.update(c.received, `forecasts ${c.forecasts}, skipped ${c.skipped}, dead-lettered ${c.deadLettered}, runs ${c.inferenceRuns}, model ${c.modelVersion}`);
        },
      }).catch(async (err: unknown) => {
        if (abort.signal.aborted) return undefined;
        // Close what keeps the process alive, so a failed start ends the command.
        await Promise.all([pool.end(), metrics.close()]).catch(() => undefined);
        throw err;
      });
      if (!f) {
        await pool.end();
        await metrics.close();
        process.stdout.write(`forecaster stopped on ${await signal} before a model appeared\n`);
        return;
      }
      exposeCounts('forecaster', () => f.counts);
      setModelVersion(f.modelVersion);
      const sig = await Promise.race([signal, f.failed]).finally(() => f.stop().then(() => Promise.all([pool.end(), metrics.close()])));
      process.stdout.write(`forecaster stopped on ${sig}: ${JSON.stringify(f.counts)}\n`);
    });
  proc
    .command('forecasts-sink')
    .description('consume committed Forecasts from market.forecasts into the PostgreSQL forecasts table (idempotent upsert, offsets after the database commit)')
    .option('--topic <name>', 'forecasts topic', TOPICS.forecasts.name)
    .option('--group <id>', 'consumer group', 'sda-forecasts-sink')
    .option('--run <name>', `${RUN_HELP}; rows stored under market run.NAME.<market>`)
    .action(async (opts: { topic: string; group: string; run?: string }, cmd: Command) => {
      const set = runScope(cmd, opts.run, ['topic', 'group']);
      if (set) Object.assign(opts, { topic: set.forecasts.name, group: groupFor(opts.group, opts.run) });
      topicOption('--topic', opts.topic);
      const config = loadConfig();
      const metrics = await startMetricsServer(config.metricsPorts.forecastsSink);
      const sink = await startForecastsSink(config, { topic: opts.topic, groupId: opts.group, run: opts.run });
      exposeCounts('forecasts-sink', () => sink.counts);
      const sig = await Promise.race([untilSignal(), sink.failed]);
      await sink.stop();
      await metrics.close();
      process.stdout.write(`forecasts-sink stopped on ${sig}: ${JSON.stringify(sink.counts)}\n`);
    });
  registerRagProcesses(proc);
  registerDispatchProcesses(proc);
  return proc;
}
