// Metrics of processors that run inside one process (`sda demo` runs the ticks sink, windower, features sink,
// forecaster, forecasts sink, dispatcher and dispatch sink in-process), served the way Prometheus already scrapes them:
// each processor's own configured port (config.metricsPorts and config.dispatchMetricsPorts, deploy/prometheus.yml job
// sda-processors) answers GET /metrics with that processor's series. The process has one registry
// (platform/metrics.ts), so each port serves a filtered view:
//   - a series with a `processor` label goes to that processor's port only;
//   - series of the model (sda_model_*, sda_forecast_*) go to the forecaster's port;
//   - everything else (process CPU and memory, consumer errors by group, processors not in the seven) to the
//     postgres-sink port, the first one.
// So each series is scraped once across the seven targets and sums over them stay right. Run as separate processes
// (`sda process <name>`), each processor serves its whole registry on its port instead (cli/process.ts).
// While these ports serve the process registry, a gateway in the same process (`sda demo`) leaves it out of its own
// /metrics (gateway/metrics.ts reads processSeriesServedByPorts), or Prometheus would scrape every series twice.
import { Registry } from 'prom-client';
import type { Config } from './config.js';
import { exposeCounts, type MetricsServer, processorRegistry, startMetricsServer } from './metrics.js';

/** The processors Prometheus scrapes (deploy/prometheus.yml), their `processor` label and their configured port. */
export const SCRAPED_PROCESSORS = [
  { name: 'postgres-sink', port: (c: Config) => c.metricsPorts.postgresSink },
  { name: 'windower', port: (c: Config) => c.metricsPorts.windower },
  { name: 'features-sink', port: (c: Config) => c.metricsPorts.featuresSink },
  { name: 'forecaster', port: (c: Config) => c.metricsPorts.forecaster },
  { name: 'forecasts-sink', port: (c: Config) => c.metricsPorts.forecastsSink },
  { name: 'dispatcher', port: (c: Config) => c.dispatchMetricsPorts.dispatcher },
  { name: 'dispatch-sink', port: (c: Config) => c.dispatchMetricsPorts.dispatchSink },
] as const;

export type ScrapedProcessor = (typeof SCRAPED_PROCESSORS)[number]['name'];

const PROCESSOR_LABEL = /[{,]processor="((?:[^"\\]|\\.)*)"/;
const MODEL_SERIES = /^(sda_model_|sda_forecast_)/;

/** The processor whose port serves a sample line of the text exposition format (see the header). */
export function homeOf(sampleLine: string): ScrapedProcessor {
  const label = PROCESSOR_LABEL.exec(sampleLine)?.[1];
  const named = SCRAPED_PROCESSORS.find((p) => p.name === label);
  if (named) return named.name;
  if (MODEL_SERIES.test(sampleLine)) return 'forecaster';
  return 'postgres-sink';
}

/**
 * The lines of Prometheus text exposition `text` that belong to `processor`: its samples, and the # HELP / # TYPE
 * lines of each family that keeps at least one sample.
 */
export function filterExposition(text: string, processor: ScrapedProcessor): string {
  const out: string[] = [];
  let header: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      // A new family starts with its HELP line; keep its header until a sample of ours shows up.
      if (line.startsWith('# HELP ')) header = [];
      header.push(line);
      continue;
    }
    if (line.trim() === '') continue;
    if (homeOf(line) !== processor) continue;
    if (header.length > 0) {
      out.push(...header);
      header = [];
    }
    out.push(line);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** A read-only view of the process registry that exposes only one processor's series. */
class ProcessorView extends Registry {
  constructor(private readonly processor: ScrapedProcessor) {
    super();
  }

  override async metrics(): Promise<string> {
    return filterExposition(await processorRegistry.metrics(), this.processor);
  }
}

/** How many serveInProcessMetrics sets are running in this process (started and not stopped). */
let serving = 0;

/**
 * True while serveInProcessMetrics serves this process's registry (platform/metrics.ts processorRegistry) on the
 * processor ports: those ports are then the one place its series are exposed.
 */
export function processSeriesServedByPorts(): boolean {
  return serving > 0;
}

export interface InProcessMetrics {
  /** processor -> where its /metrics is served. */
  servers: Record<ScrapedProcessor, MetricsServer>;
  /** Reports a processor's cumulative counts ({received, deadLettered}, read at each scrape) as sda_records_*_total. */
  expose(processor: ScrapedProcessor, read: () => { received: number; deadLettered: number }): void;
  stop(): Promise<void>;
}

/**
 * Starts one metrics server per scraped processor on its configured port (a taken port falls back to a free one
 * with a warning, as startMetricsServer does). Call `expose` as each processor starts.
 */
export async function serveInProcessMetrics(config: Config): Promise<InProcessMetrics> {
  const servers = {} as Record<ScrapedProcessor, MetricsServer>;
  try {
    for (const p of SCRAPED_PROCESSORS) servers[p.name] = await startMetricsServer(p.port(config), { registry: new ProcessorView(p.name) });
  } catch (err) {
    await Promise.allSettled(Object.values(servers).map((s) => s.close()));
    throw err;
  }
  serving += 1;
  let stopped = false;
  return {
    servers,
    expose: (processor, read) => exposeCounts(processor, read),
    async stop() {
      if (!stopped) {
        stopped = true;
        serving -= 1;
      }
      await Promise.allSettled(Object.values(servers).map((s) => s.close()));
    },
  };
}
