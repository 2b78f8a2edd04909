// Prometheus metrics shared by the stream processors and sinks: one registry per process, the series every
// processor reports (records processed and dead-lettered), the forecaster's (inference latency, model version, live
// RMSE), and a tiny HTTP server that exposes them on the processor's own port for Prometheus to scrape.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { loadConfig } from './config.js';
import { logger } from './logger.js';
import { type ConsumerFault, consumerFaults } from './kafka/client.js';

const log = logger('metrics');

/** This process's registry (the gateway merges it into its own /metrics). */
export const processorRegistry = new Registry();
collectDefaultMetrics({ register: processorRegistry, prefix: 'sda_' });

/** Count sources read when Prometheus scrapes (see exposeCounts). */
const countSources = new Map<string, () => void>();

export const recordsProcessed = new Counter({
  name: 'sda_records_processed_total',
  help: 'Records a processor or sink consumed and handled (accepted), by processor.',
  labelNames: ['processor'] as const,
  registers: [processorRegistry],
  collect() {
    for (const update of countSources.values()) update();
  },
});

export const recordsDeadLettered = new Counter({
  name: 'sda_records_dead_lettered_total',
  help: 'Records a processor or sink sent to the dead-letter topic, by processor.',
  labelNames: ['processor'] as const,
  registers: [processorRegistry],
});

export const consumerErrors = new Counter({
  name: 'sda_consumer_errors_total',
  help: 'Failed batches (the batch is delivered again), crashes and stalls (silent past the stall timeout: the watchdog restarts it) of a consumer, by consumer group, kind (batch, crash, stall) and reason (kafka-unavailable, rebalance, postgres-unavailable, registry-unavailable, no-progress, other).',
  labelNames: ['group', 'kind', 'reason'] as const,
  registers: [processorRegistry],
});

export const consumerRestarts = new Counter({
  name: 'sda_consumer_restarts_total',
  help: 'Crashes and stalls a consumer restarted from by itself, by consumer group.',
  labelNames: ['group'] as const,
  registers: [processorRegistry],
});

/** Per group, the faults counted so far (read synchronously by tests and the soak bench). */
const faultsByGroup = new Map<string, number>();

consumerFaults.on('fault', (f: ConsumerFault) => {
  consumerErrors.inc({ group: f.group, kind: f.kind, reason: f.reason });
  if (f.kind !== 'batch' && f.restart) consumerRestarts.inc({ group: f.group });
  faultsByGroup.set(f.group, (faultsByGroup.get(f.group) ?? 0) + 1);
});

/** Failed batches plus crashes of consumer group `group` in this process so far (what sda_consumer_errors_total sums to). */
export function consumerErrorCount(group: string): number {
  return faultsByGroup.get(group) ?? 0;
}

/** One onnxruntime run (a batch of windows), in seconds; the forecaster observes it. */
export const inferenceSeconds = new Histogram({
  name: 'sda_model_inference_seconds',
  help: 'Duration of one model inference run (one onnxruntime session.run over a batch of windows), by model version.',
  labelNames: ['model_version'] as const,
  buckets: [0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [processorRegistry],
});

export const modelInfo = new Gauge({
  name: 'sda_model_info',
  help: 'The model version a process serves (value 1 on the served version).',
  labelNames: ['model_version'] as const,
  registers: [processorRegistry],
});

export const liveRmse = new Gauge({
  name: 'sda_forecast_live_rmse',
  help: 'Live RMSE of horizon-1 forecasts against the actuals that arrived later, over the last N errors, per model version and series.',
  labelNames: ['market', 'series', 'kind', 'model_version'] as const,
  registers: [processorRegistry],
});

/** Marks `version` as the served model (and no other). */
export function setModelVersion(version: string | null): void {
  modelInfo.reset();
  if (version !== null) modelInfo.set({ model_version: version }, 1);
}

/** Replaces the live RMSE gauge with a fresh snapshot (series that left the snapshot disappear). */
export function setLiveRmse(rows: ReadonlyArray<{ market: string; seriesId: string; kind: string; modelVersion: string; rmse: number }>): void {
  liveRmse.reset();
  for (const r of rows) if (Number.isFinite(r.rmse)) liveRmse.set({ market: r.market, series: r.seriesId, kind: r.kind, model_version: r.modelVersion }, r.rmse);
}

/**
 * An onBatch hook for cumulative counts ({received|stored|forecasts, deadLettered}): adds the growth since the
 * previous call to the processed and dead-lettered counters of `processor`.
 */
export function countsReporter(processor: string): (c: { deadLettered: number; received: number }) => void {
  let seenReceived = 0;
  let seenDead = 0;
  return (c) => {
    const dead = c.deadLettered - seenDead;
    const accepted = c.received - seenReceived - dead;
    if (accepted > 0) recordsProcessed.inc({ processor }, accepted);
    if (dead > 0) recordsDeadLettered.inc({ processor }, dead);
    seenReceived = c.received;
    seenDead = c.deadLettered;
  };
}

/**
 * Reports a processor's cumulative counts (its `counts` object, read at each scrape) as the processed and
 * dead-lettered counters, without touching the processor's loop.
 */
export function exposeCounts(processor: string, read: () => { received: number; deadLettered: number }): void {
  const report = countsReporter(processor);
  // Both series exist from the start (value 0), so rate() works before the first record.
  recordsProcessed.inc({ processor }, 0);
  recordsDeadLettered.inc({ processor }, 0);
  countSources.set(processor, () => report(read()));
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (Prometheus text format) from `registry` on host:port (port 0 = any free port; host defaults to
 * METRICS_HOST, 127.0.0.1 unless set). When the port
 * is taken (a second instance of the same processor on this machine) it serves on a free port instead and warns:
 * metrics must never stop a processor.
 */
export async function startMetricsServer(port: number, opts: { host?: string; registry?: Registry; strictPort?: boolean } = {}): Promise<MetricsServer> {
  try {
    return await listenMetrics(port, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.strictPort || port === 0) throw err;
    const server = await listenMetrics(0, opts);
    log.warn({ wanted: port, url: server.url }, 'metrics port in use; serving on a free port that Prometheus does not scrape');
    return server;
  }
}

async function listenMetrics(port: number, opts: { host?: string; registry?: Registry }): Promise<MetricsServer> {
  const registry = opts.registry ?? processorRegistry;
  const host = opts.host ?? loadConfig().metricsHost;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found', detail: 'only GET /metrics is served here' }));
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text),
      (err: Error) => {
        log.warn({ err: err.message }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal', detail: 'collecting metrics failed' }));
      },
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`;
  log.info({ url }, 'metrics listening');
  return {
    url,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
