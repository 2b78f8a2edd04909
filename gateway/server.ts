// The HTTP gateway (express 5): GET /forecast from the `forecasts` table, GET /healthz with each dependency,
// GET /livez (no dependency; the baseline of bench/forecast.ts). Every answer is JSON; errors are
// {error, detail} with no stack trace, and every query parameter is validated and bounded by the route's schema
// (validate.ts; /forecast's in forecast-params.ts), the same schema /openapi.json is built from.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type pg from 'pg';
import type { Config } from '../platform/config.js';
import { logger } from '../platform/logger.js';
import { registryRoot } from '../model/registry.js';
import { createPool } from '../platform/postgres/pool.js';
import { FORECAST_ROUTE, forecastQuery } from './forecast-params.js';
import { findForecast, forecastCoverage, missingForecast, notCoveredDetail } from './forecast-store.js';
import { Health, kafkaCheck, modelRegistryCheck, postgresCheck, schemaRegistryCheck } from './health.js';
import { type GatewayExtensions, createGatewayExtensions } from './dashboard.js';
import { answerClientErrors, badPercentEncoding, drainServer } from './http-policy.js';
import { CORE_ROUTES } from './openapi.js';
import { MAX_QUESTION_CHARS, type QueryService } from './query.js';
import { validated } from './validate.js';

const log = logger('gateway');

/** The longest URL accepted (path and query). */
export const MAX_URL_LENGTH = 2_048;

export interface GatewayDeps {
  pool: pg.Pool;
  health: Health;
  /** The dashboard, live feed, /query, /metrics, /openapi.json and the HTTP policy (gateway/dashboard.ts). */
  extensions?: GatewayExtensions;
}

function sendError(res: Response, status: number, error: string, detail: string): void {
  res.status(status).json({ error, detail });
}

export function createGateway(_config: Config, deps: GatewayDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('etag', false);
  for (const m of deps.extensions?.before ?? []) app.use(m);

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    if (req.url.length > MAX_URL_LENGTH) return sendError(res, 414, 'uri_too_long', `the request URL is ${req.url.length} characters; the limit is ${MAX_URL_LENGTH}${req.path === '/query' ? ` (a question may have up to ${MAX_QUESTION_CHARS} characters; one that does not fit in a URL goes in the body of POST /query)` : ''}`);
    const encoding = badPercentEncoding(req.url);
    if (encoding) return sendError(res, 400, 'bad_encoding', encoding);
    if (req.method !== 'GET' && req.method !== 'HEAD' && !(req.method === 'POST' && req.path === '/query')) return sendError(res, 405, 'method_not_allowed', `${req.method} is not supported; the gateway answers GET (and POST /query)`);
    next();
  });

  const core = (route: string) => CORE_ROUTES.find((r) => r.path === route)!;
  app.get('/livez', validated(core('/livez')), (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });

  app.get('/healthz', validated(core('/healthz')), async (_req: Request, res: Response) => {
    const report = await deps.health.report();
    res.status(report.status === 'down' ? 503 : 200).json(report);
  });

  app.get('/forecast', validated(FORECAST_ROUTE), async (_req: Request, res: Response) => {
    const q = forecastQuery(res.locals.query);
    const answer = await findForecast(deps.pool, q);
    if (answer) return res.json(answer);
    const missing = await missingForecast(
      deps.pool,
      q.market,
      q.series,
      q.kind,
      q.at === null ? `series ${q.series} (${q.market}, ${q.kind}) has no forecast yet` : notCoveredDetail(q.series, q.market, q.kind, q.at, await forecastCoverage(deps.pool, q.market, q.series, q.kind)),
    );
    return sendError(res, 404, missing.error, missing.detail);
  });

  if (deps.extensions) app.use(deps.extensions.routes);

  app.use((req: Request, res: Response) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path.slice(0, 100)}; try GET /forecast?series=HB_NORTH or GET /healthz`));

  // Errors: logged here, a short JSON answer to the client (never a stack trace).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { code?: string; message?: string; status?: number; type?: string; limit?: number; length?: number; expose?: boolean };
    if (res.headersSent) {
      log.error({ path: req.path, code: e.code, err: e.message }, 'request failed after its answer had started');
      return;
    }
    // Body-reading errors (body-parser's `type`) say what was wrong and the limit.
    if (e.type === 'entity.too.large') {
      return sendError(res, 413, 'payload_too_large', `the request body${e.length !== undefined ? ` is ${e.length} bytes; it` : ''} is larger than the limit of ${e.limit ?? _config.gateway.bodyLimitBytes} bytes (GATEWAY_BODY_LIMIT_BYTES)`);
    }
    if (e.type === 'entity.parse.failed') return sendError(res, 400, 'bad_json', `the body is not valid JSON: ${(e.message ?? '').slice(0, 200)}`);
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') return sendError(res, 415, 'unsupported_encoding', `${(e.message ?? '').slice(0, 200)}; send UTF-8 JSON without content encoding`);
    if (e.type === 'request.aborted' || e.type === 'request.size.invalid') return sendError(res, 400, 'bad_request', `the request body could not be read: ${(e.message ?? '').slice(0, 200)}`);
    if (err instanceof URIError) return sendError(res, 400, 'bad_encoding', `the request path is not valid percent-encoding: ${e.message}`);
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return sendError(res, e.status, 'bad_request', `the request could not be read${e.expose && e.message ? `: ${e.message.slice(0, 200)}` : ''}`);
    const unavailable = typeof e.code === 'string' && (/^(08|57P)/.test(e.code) || ['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET'].includes(e.code)) || /timeout|terminated|Connection/i.test(e.message ?? '');
    log.error({ path: req.path, code: e.code, err: e.message }, 'request failed');
    if (unavailable) return sendError(res, 503, 'unavailable', 'the forecast store is unavailable; try again shortly');
    return sendError(res, 500, 'internal', 'internal error; see the gateway log');
  });
  return app;
}

export interface GatewayOptions {
  port?: number;
  host?: string;
  registryDir?: string;
  /** PostgreSQL connections. */
  poolSize?: number;
  /** The live forecast feed behind GET /events (a Kafka consumer); default true. */
  liveFeed?: boolean;
  /** The RAG responder behind /query (issue 7); without one /query answers 503. */
  queryService?: QueryService | null;
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  extensions: GatewayExtensions;
  close(): Promise<void>;
}

/** Starts the gateway on GATEWAY_PORT (or opts.port; 0 = an ephemeral port) with its own pool and health checks. */
export async function startGateway(config: Config, opts: GatewayOptions = {}): Promise<RunningGateway> {
  const pool = createPool(config, opts.poolSize ?? 8);
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle PostgreSQL connection failed'));
  const kafka = kafkaCheck(config);
  const root = registryRoot(opts.registryDir);
  const health = new Health({
    postgres: { check: postgresCheck(pool), required: true },
    kafka: { check: kafka, required: true },
    schemaRegistry: { check: schemaRegistryCheck(config.registry.url), required: true },
    modelRegistry: { check: modelRegistryCheck(root), required: false },
  });
  const extensions = createGatewayExtensions(config, { pool, registryDir: root, liveFeed: opts.liveFeed, queryService: opts.queryService });
  const app = createGateway(config, { pool, health, extensions });
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? config.gateway.port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    // Nothing started yet but the pool and the checks' clients: close them, the caller reports the error.
    await extensions.close();
    await kafka.close();
    await pool.end();
    throw err;
  });
  extensions.start();
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server, { maxUrlLength: MAX_URL_LENGTH });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, registry: root }, 'gateway listening');
  return {
    url,
    port,
    server,
    extensions,
    async close() {
      // Graceful: live-feed streams end, in-flight requests get up to GATEWAY_SHUTDOWN_GRACE_MS to finish.
      extensions.closeStreams();
      await drainServer(server, config.gateway.shutdownGraceMs);
      await extensions.close();
      await kafka.close();
      await pool.end();
    },
  };
}
