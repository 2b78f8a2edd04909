// The gateway's Prometheus metrics, served at GET /metrics: HTTP request durations per route and status, consumer
// lag per group and partition (read from the Kafka admin API when Prometheus scrapes, with a time limit), the
// end-to-end latency of forecasts reaching the gateway, the live-feed clients, the model registry's current version,
// and the process-wide series of platform/metrics.ts (merged in, so a processor run in this process shows too),
// except while platform/in-process-metrics.ts serves those on the processor ports (`sda demo`): then they are left
// out here, so each series is exposed by exactly one endpoint and Prometheus does not scrape it twice.
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { readCurrent } from '../model/registry.js';
import { processSeriesServedByPorts } from '../platform/in-process-metrics.js';
import { processorRegistry } from '../platform/metrics.js';
import type { ConsumerLagReader } from './consumer-lag.js';

/** The route label of a request: its matched route pattern (never the raw URL, which may carry ids or secrets). */
export function routeLabel(req: Request): string {
  const fixed = (req.res?.locals as { routeLabel?: unknown } | undefined)?.routeLabel;
  if (typeof fixed === 'string') return fixed;
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}` || '/';
  if (req.baseUrl) return `${req.baseUrl}/*`;
  return 'unmatched';
}

export class GatewayMetrics {
  private readonly own = new Registry();
  /** The gateway's series and the process-wide ones (what /metrics serves unless the processor ports serve the latter). */
  readonly registry: Registry;

  readonly httpDuration = new Histogram({
    name: 'sda_http_request_duration_seconds',
    help: 'Gateway HTTP request duration from arrival to the end of the response, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    // Up to 2 minutes: /query answers from a CPU language model take 10-30 s (its limit is 30 s, query.ts), and a
    // histogram that stopped at 5 s read every slow answer as 5 s.
    buckets: [0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 120],
    registers: [this.own],
  });

  readonly endToEnd = new Histogram({
    name: 'sda_forecast_end_to_end_seconds',
    help: 'Time from the publication to Kafka of the tick that completed a forecast\'s input window (the forecast record\'s Kafka timestamp, which the windower and the forecaster carry on from that tick\'s record) to the forecast\'s arrival at the gateway\'s live feed.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1_800, 3_600],
    registers: [this.own],
  });

  readonly endToEndExcluded = new Counter({
    name: 'sda_forecast_end_to_end_excluded_total',
    help: 'Forecasts left out of sda_forecast_end_to_end_seconds because their latency is not a live one: negative (reason "future": clock skew) or over an hour (reason "not_live": old windows forecast again, a backlog after an outage).',
    labelNames: ['reason'] as const,
    registers: [this.own],
  });

  readonly forecastsReceived = new Counter({
    name: 'sda_gateway_forecasts_received_total',
    help: 'Forecasts the gateway\'s live feed consumed from Kafka.',
    registers: [this.own],
  });

  readonly feedPoison = new Counter({
    name: 'sda_gateway_feed_undecodable_total',
    help: 'Records on the forecasts topic the live feed could not decode (skipped; the sinks dead-letter them).',
    registers: [this.own],
  });

  readonly sseClients = new Gauge({
    name: 'sda_gateway_sse_clients',
    help: 'Browsers connected to GET /events.',
    registers: [this.own],
  });

  constructor(lag: ConsumerLagReader | null, registryDir: string) {
    const own = this.own;
    new Gauge({
      name: 'sda_consumer_lag',
      help: 'Records a consumer group has not committed yet, per topic partition (log end offset - committed offset), read from Kafka when scraped. On transactional topics the commit markers count too. An optional group that never joined and committed nothing (the mean-basis dispatcher unless started) has no series.',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers: [own],
      async collect() {
        this.reset();
        if (!lag) return;
        for (const g of await lag.read()) for (const p of g.partitions) this.set({ group: g.group, topic: g.topic, partition: String(p.partition) }, p.lag);
      },
    });
    new Gauge({
      name: 'sda_consumer_lag_up',
      help: '1 when the last lag read of a group answered (also for an optional group found not running, which has no sda_consumer_lag series), else 0.',
      labelNames: ['group'] as const,
      registers: [own],
      async collect() {
        this.reset();
        if (!lag) return;
        for (const g of await lag.read()) this.set({ group: g.group }, g.lag === null && g.notRunning === undefined ? 0 : 1);
      },
    });
    new Gauge({
      name: 'sda_consumer_group_members',
      help: 'Consumers in a pipeline group now (Kafka DescribeGroups); 0: nothing consumes, so its lag cannot grow from a stall. Absent when Kafka did not describe the group.',
      labelNames: ['group'] as const,
      registers: [own],
      async collect() {
        this.reset();
        if (!lag) return;
        for (const g of await lag.read()) if (g.members !== null) this.set({ group: g.group }, g.members);
      },
    });
    new Gauge({
      name: 'sda_registry_model_info',
      help: 'The model registry\'s current version as the gateway reads it (value 1 on that version; no series when there is none).',
      labelNames: ['model_version'] as const,
      registers: [own],
      async collect() {
        this.reset();
        const v = await readCurrent(registryDir).catch(() => null);
        if (v !== null) this.set({ model_version: v }, 1);
      },
    });
    this.registry = Registry.merge([own, processorRegistry]);
  }

  /** Express middleware timing every request; the route label is read when the response has finished. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const t0 = process.hrtime.bigint();
      res.once('finish', () => {
        // A live-feed stream lasts as long as the browser stays; its duration is not a request latency.
        if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) return;
        this.httpDuration.observe({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }, Number(process.hrtime.bigint() - t0) / 1e9);
      });
      next();
    };
  }

  /**
   * The registry GET /metrics serves now: the gateway's own series alone while the process-wide ones are served on
   * the processor ports (processSeriesServedByPorts: `sda demo` runs the processors and the gateway in one process),
   * else both merged.
   */
  served(): Registry {
    return processSeriesServedByPorts() ? this.own : this.registry;
  }

  /** GET /metrics. */
  handler() {
    return async (_req: Request, res: Response): Promise<void> => {
      const registry = this.served();
      res.set('Content-Type', registry.contentType);
      res.send(await registry.metrics());
    };
  }
}
