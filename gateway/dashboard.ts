// The dashboard and monitoring side of the gateway, as parts gateway/server.ts mounts: middleware for every route
// (metrics, access log, security headers, rate limit) and the routes themselves (the page and its static files,
// the JSON API, the live feed, /query, /metrics, /openapi.json). It owns the live forecast feed (a Kafka consumer)
// and the consumer-lag reader, and closes them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type pg from 'pg';
import { type Config, projectRoot } from '../platform/config.js';
import { logger } from '../platform/logger.js';
import { ConsumerLagReader } from './consumer-lag.js';
import { dashboardApi } from './dashboard-api.js';
import { type FeedForecast, ForecastFeed } from './forecast-feed.js';
import { accessLogger, rateLimiter, securityHeaders } from './http-policy.js';
import { GatewayMetrics } from './metrics.js';
import { CORE_ROUTES, buildOpenApi, gatewayRoutes } from './openapi.js';
import { type QueryService, queryRouter } from './query.js';
import { dispatchApi } from './dispatch-api.js';
import { SseHub } from './sse.js';
import { validated } from './validate.js';

const log = logger('dashboard');

export interface DashboardOptions {
  pool: pg.Pool;
  registryDir: string;
  /** The RAG responder (rag/query-service.ts); null or absent: /query answers 503 (`sda serve --no-rag`). */
  queryService?: QueryService | null;
  /** Start the live feed (a Kafka consumer on config.gateway.forecastsTopic, or the catalogue's forecasts topic); default true. */
  liveFeed?: boolean;
  /** Read consumer lag from Kafka; default true. */
  consumerLag?: boolean;
}

export interface GatewayExtensions {
  /** Mounted before every route. */
  before: RequestHandler[];
  /** Mounted after the core routes, before the 404 handler. */
  routes: express.Router;
  metrics: GatewayMetrics;
  sse: SseHub;
  feed: ForecastFeed | null;
  /** Starts the live feed (once the server listens); `ready` settles after it. */
  start(): void;
  /** Resolves when start() was called and the live feed is consuming (or failed to, logged; at once when there is none). */
  ready: Promise<void>;
  /** Ends the SSE streams (first step of a shutdown). */
  closeStreams(): void;
  /** Stops the feed and the lag reader. */
  close(): Promise<void>;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The folder of uPlot's distributed files (served at /vendor/uplot). */
function uplotDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('uplot'));
}

/** The forecast as the page receives it (times in ms since the epoch). */
export function forecastEvent(f: FeedForecast) {
  return { market: f.market, seriesId: f.seriesId, kind: f.kind, modelVersion: f.modelVersion, issuedAt: f.issuedAt, targetStart: f.targetStart, stepMs: f.stepMs, values: f.values, p10: f.p10 ?? null, p90: f.p90 ?? null, stepSources: f.stepSources ?? null, unit: f.unit, inputEnd: f.inputEnd, receivedAt: f.receivedAt };
}

/** Latencies above this are not live ones (the histogram's top bucket): old windows forecast again, a long backlog. */
export const LIVE_LATENCY_MAX_S = 3_600;

/**
 * A forecast's end-to-end latency in ms: its arrival at the live feed minus its record's Kafka timestamp, which the
 * windower and the forecaster carry on from the tick record that completed its window (the tick's publication to
 * Kafka). Not minus issuedAt: that is the tick's ingestedAt, which the simulator and replays set to event time.
 */
export function endToEndMs(f: Pick<FeedForecast, 'receivedAt' | 'recordTimestamp'>): number {
  return f.receivedAt - f.recordTimestamp;
}

/**
 * Record one forecast's end-to-end latency (ms, endToEndMs) in sda_forecast_end_to_end_seconds, or count it as
 * excluded: negative ("future": clock skew between hosts) or over LIVE_LATENCY_MAX_S ("not_live": windows of more than
 * an hour ago forecast again, as after a model promotion the demo re-forecasts, or a backlog after an outage).
 */
export function observeEndToEnd(metrics: Pick<GatewayMetrics, 'endToEnd' | 'endToEndExcluded'>, latencyMs: number): void {
  const seconds = latencyMs / 1_000;
  if (!(seconds >= 0)) metrics.endToEndExcluded.inc({ reason: 'future' });
  else if (seconds > LIVE_LATENCY_MAX_S) metrics.endToEndExcluded.inc({ reason: 'not_live' });
  else metrics.endToEnd.observe(seconds);
}

export function createGatewayExtensions(config: Config, opts: DashboardOptions): GatewayExtensions {
  const lag = opts.consumerLag === false ? null : new ConsumerLagReader(config);
  const metrics = new GatewayMetrics(lag, opts.registryDir);
  const sse = new SseHub({ maxClients: config.gateway.sseMaxClients, heartbeatMs: config.gateway.sseHeartbeatMs, onClients: (n) => metrics.sseClients.set(n) });
  const feed = opts.liveFeed === false ? null : new ForecastFeed(config, { topic: config.gateway.forecastsTopic, onUndecodable: (n) => metrics.feedPoison.inc(n) });
  feed?.subscribe((f) => {
    metrics.forecastsReceived.inc();
    observeEndToEnd(metrics, endToEndMs(f));
    sse.publish('forecast', forecastEvent(f));
  });
  // The feed starts only when start() is called (startGateway: after listen succeeded), so a gateway that cannot
  // listen never logs a feed that started.
  let startFeed!: () => void;
  const ready = new Promise<void>((resolve) => {
    startFeed = () =>
      resolve(
        feed?.start().catch((err: Error) => {
          log.error({ err: err.message, topic: feed.topic }, 'live forecast feed failed to start; /events will carry no forecasts');
        }),
      );
  });

  const openapi = buildOpenApi(gatewayRoutes(), {
    version: packageVersion(),
    rateLimitPerMinute: config.gateway.rateLimitPerMinute,
    bodyLimitBytes: config.gateway.bodyLimitBytes,
  });

  const routes = express.Router();
  const noParams = (route: string) => CORE_ROUTES.find((r) => r.path === route)!;
  routes.get('/metrics', validated(noParams('/metrics')), metrics.handler());
  routes.get('/openapi.json', validated(noParams('/openapi.json')), (_req: Request, res: Response) => {
    res.json(openapi);
  });
  const events = sse.handler();
  routes.get('/events', validated(noParams('/events')), (req: Request, res: Response) => {
    if (!feed) {
      res.status(503).json({ error: 'live_feed_off', detail: 'this gateway runs without the live forecast feed' });
      return;
    }
    events(req, res);
  });
  routes.use(dashboardApi({ pool: opts.pool, lag, registryDir: opts.registryDir }));
  routes.use(dispatchApi({ pool: opts.pool }));
  // JSON bodies only where a route takes one, bounded.
  routes.use('/query', express.json({ limit: config.gateway.bodyLimitBytes, type: 'application/json' }));
  routes.use(queryRouter(opts.queryService ?? null));
  // Static files get one route label each folder, set only when a file is served (404s stay "unmatched").
  const statics = (label: string) => ({ index: 'index.html', fallthrough: true, maxAge: '5m', dotfiles: 'deny' as const, redirect: false, setHeaders: (res: Response) => void (res.locals.routeLabel = label) });
  routes.use('/vendor/uplot', express.static(uplotDir(), statics('/vendor/uplot/*')));
  routes.use(express.static(path.join(projectRoot(), 'gateway', 'public'), statics('/ (static)')));

  return {
    before: [metrics.middleware(), accessLogger(), securityHeaders(), rateLimiter(config.gateway.rateLimitPerMinute)],
    routes,
    metrics,
    sse,
    feed,
    start: () => startFeed(),
    ready,
    closeStreams: () => sse.close(),
    async close() {
      sse.close();
      await Promise.all([feed?.close(), lag?.close()]);
    },
  };
}
