// The whole consuming side of the pipeline in one process: ticks sink, windower, features sink, forecaster and
// forecasts sink on one topic set, each with its own consumer group. The fault tests (test/integration/faults.test.ts)
// and the soak bench (bench/soak.ts) run it; production runs each job as its own `sda process <name>`.
import type { Config } from '../platform/config.js';
import { startFeaturesSink } from '../sinks/postgres/features-sink.js';
import { startForecastsSink } from '../sinks/postgres/forecasts-sink.js';
import { startTicksSink } from '../sinks/postgres/ticks-sink.js';
import type { Provisioned } from '../platform/kafka/provision.js';
import { startForecaster } from './forecaster/processor.js';
import { startWindower } from './windower/processor.js';

export interface PipelineTopics {
  ticks: string;
  features: string;
  forecasts: string;
  /** The windower's compacted state changelog. */
  changelog: string;
}

export interface PipelineOptions {
  topics: PipelineTopics;
  /** Prefix of the five consumer group ids (`<prefix>-ticks-sink`, `<prefix>-windower`, ...). */
  groupPrefix: string;
  /** The model registry the forecaster follows (its `current`). */
  registryDir: string;
  /** The windower's fetch size per partition, which bounds the ticks per transaction. */
  windowerMaxBytes?: number;
  /** Most rows per ticks-sink database transaction. */
  ticksSinkMaxRows?: number;
  /** Called after every committed batch of any job, with the job's name. */
  onBatch?: (job: PipelineJob) => void;
}

export const PIPELINE_JOBS = ['ticks-sink', 'windower', 'features-sink', 'forecaster', 'forecasts-sink'] as const;
export type PipelineJob = (typeof PIPELINE_JOBS)[number];

/** Each job's consumer group and the topic it reads. */
export function pipelineGroups(o: Pick<PipelineOptions, 'topics' | 'groupPrefix'>): Record<PipelineJob, { group: string; topic: string }> {
  return {
    'ticks-sink': { group: `${o.groupPrefix}-ticks-sink`, topic: o.topics.ticks },
    windower: { group: `${o.groupPrefix}-windower`, topic: o.topics.ticks },
    'features-sink': { group: `${o.groupPrefix}-features-sink`, topic: o.topics.features },
    forecaster: { group: `${o.groupPrefix}-forecaster`, topic: o.topics.features },
    'forecasts-sink': { group: `${o.groupPrefix}-forecasts-sink`, topic: o.topics.forecasts },
  };
}

/**
 * Starts the five jobs (the forecaster waits for a model in `registryDir`). `failed` rejects with the first job that
 * stopped for good (a crash its consumer will not restart from); `stop()` stops all of them.
 */
export async function startPipeline(config: Config, p: Provisioned, o: PipelineOptions) {
  const g = pipelineGroups(o);
  const tick = (job: PipelineJob) => () => o.onBatch?.(job);
  const ticksSink = await startTicksSink(config, { topic: o.topics.ticks, groupId: g['ticks-sink'].group, processor: 'ticks-sink', maxRows: o.ticksSinkMaxRows, onBatch: tick('ticks-sink') }, p);
  const windower = await startWindower(config, {
    inputTopic: o.topics.ticks, outputTopic: o.topics.features, changelogTopic: o.topics.changelog, groupId: g.windower.group,
    maxBytesPerPartition: o.windowerMaxBytes, onBatch: tick('windower'),
  }, p);
  const featuresSink = await startFeaturesSink(config, { topic: o.topics.features, groupId: g['features-sink'].group, onBatch: tick('features-sink') }, p);
  const forecaster = await startForecaster(config, { inputTopic: o.topics.features, outputTopic: o.topics.forecasts, groupId: g.forecaster.group, registryDir: o.registryDir, pollMs: 500, onBatch: tick('forecaster') }, p);
  const forecastsSink = await startForecastsSink(config, { topic: o.topics.forecasts, groupId: g['forecasts-sink'].group, onBatch: tick('forecasts-sink') }, p);
  const named = (job: PipelineJob, f: Promise<never>) => f.catch((err: Error) => { throw new Error(`${job}: ${err.message}`, { cause: err }); });
  const failed = Promise.race([
    named('ticks-sink', ticksSink.failed), named('windower', windower.failed), named('features-sink', featuresSink.failed),
    named('forecaster', forecaster.failed), named('forecasts-sink', forecastsSink.failed),
  ]);
  failed.catch(() => undefined);
  return {
    groups: g,
    counts: { 'ticks-sink': ticksSink.counts, windower: windower.counts, 'features-sink': featuresSink.counts, forecaster: forecaster.counts, 'forecasts-sink': forecastsSink.counts },
    failed,
    async stop() {
      // Upstream first, so nothing downstream waits on a stopped producer.
      for (const job of [ticksSink, windower, featuresSink, forecaster, forecastsSink]) await job.stop().catch(() => undefined);
    },
  };
}
