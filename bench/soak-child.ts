// One process of the soak bench (bench/soak.ts): a pipeline job or the gateway, started from JSON options, serving
// its Prometheus metrics on a free port that it prints as its first stdout line ({"metrics": url}). It imports only
// what its job needs, so the soak measures each job's own memory. Stops on SIGTERM.
import { loadConfig } from '../platform/config.js';
import { exposeCounts, startMetricsServer } from '../platform/metrics.js';

interface ChildOptions {
  job: 'ticks-sink' | 'windower' | 'features-sink' | 'forecaster' | 'forecasts-sink' | 'gateway';
  input?: string;
  output?: string;
  changelog?: string;
  group?: string;
  registryDir?: string;
  /** Gateway only: serve /query with the RAG responder (models in MODELS_DIR). */
  rag?: boolean;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
  const config = loadConfig();
  let stop: () => Promise<void>;
  let metricsUrl: string;
  if (o.job === 'gateway') {
    const { startGateway } = await import('../gateway/server.js');
    const rag = o.rag ? (await import('../rag/query-service.js')).createRagQueryService(config) : null;
    const gw = await startGateway(config, { port: 0, registryDir: o.registryDir, queryService: rag });
    metricsUrl = `${gw.url}/metrics`;
    process.stdout.write(`${JSON.stringify({ metrics: metricsUrl, url: gw.url })}\n`);
    stop = async () => {
      await gw.close();
      await rag?.close();
    };
  } else {
    const metrics = await startMetricsServer(0);
    metricsUrl = metrics.url;
    let job: { counts: { received: number; deadLettered: number }; stop(): Promise<void>; failed: Promise<never> };
    if (o.job === 'ticks-sink') {
      const { startTicksSink } = await import('../sinks/postgres/ticks-sink.js');
      job = await startTicksSink(config, { topic: o.input, groupId: o.group, processor: 'ticks-sink' });
    } else if (o.job === 'windower') {
      const { startWindower } = await import('../processors/windower/processor.js');
      job = await startWindower(config, { inputTopic: o.input, outputTopic: o.output, changelogTopic: o.changelog, groupId: o.group });
    } else if (o.job === 'features-sink') {
      const { startFeaturesSink } = await import('../sinks/postgres/features-sink.js');
      const s = await startFeaturesSink(config, { topic: o.input, groupId: o.group });
      job = { ...s, counts: s.counts };
    } else if (o.job === 'forecaster') {
      const { startForecaster } = await import('../processors/forecaster/processor.js');
      job = await startForecaster(config, { inputTopic: o.input, outputTopic: o.output, groupId: o.group, registryDir: o.registryDir, pollMs: 1_000 });
    } else {
      const { startForecastsSink } = await import('../sinks/postgres/forecasts-sink.js');
      job = await startForecastsSink(config, { topic: o.input, groupId: o.group });
    }
    exposeCounts(o.job, () => job.counts);
    process.stdout.write(`${JSON.stringify({ metrics: metricsUrl })}\n`);
    job.failed.catch((err: Error) => {
      process.stderr.write(`${o.job} failed: ${err.message}\n`);
      process.exit(1);
    });
    stop = async () => {
      await job.stop();
      await metrics.close();
    };
  }
  process.once('SIGTERM', () => {
    void stop().finally(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  process.stderr.write(`soak child failed to start: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
