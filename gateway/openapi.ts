// The OpenAPI 3.1 document of every gateway route, built from the same route schemas the validator enforces
// (validate.ts): each route's parameters are derived from its schema by paramJsonSchema, never written twice.
import { DASHBOARD_ROUTES } from './dashboard-api.js';
import { DISPATCH_ROUTES } from './dispatch-api.js';
import { FORECAST_ROUTE } from './forecast-params.js';
import { QUERY_ROUTES } from './query.js';
import { type RouteSchema, paramDescription, paramJsonSchema } from './validate.js';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'detail'],
  properties: { error: { type: 'string' }, detail: { type: 'string' }, param: { type: 'string', description: 'The parameter at fault (400 from validation).' } },
};

/** Routes served by gateway/server.ts and gateway/dashboard.ts themselves; the others' schemas live beside their handlers. */
export const CORE_ROUTES: RouteSchema[] = [
  FORECAST_ROUTE,
  { method: 'get', path: '/healthz', summary: 'Each dependency checked with a time limit.', tags: ['operations'], query: {}, responses: { '200': { description: 'ok or degraded.' }, '503': { description: 'A required dependency is down.' } } },
  { method: 'get', path: '/livez', summary: 'The process answers (no dependency).', tags: ['operations'], query: {}, responses: { '200': { description: 'ok.' } } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (text exposition format).', tags: ['operations'], query: {}, responses: { '200': { description: 'Metrics.', contentType: 'text/plain' } } },
  { method: 'get', path: '/events', summary: 'Server-sent events: `forecast` for each new forecast on the forecasts topic, heartbeats as comments.', tags: ['dashboard'], query: {}, responses: { '200': { description: 'An event stream.', contentType: 'text/event-stream' }, '503': { description: 'Too many clients, or the feed is off.' } } },
  { method: 'get', path: '/openapi.json', summary: 'This document.', tags: ['operations'], query: {}, responses: { '200': { description: 'OpenAPI 3.1.' } } },
  { method: 'get', path: '/', summary: 'The dashboard (HTML).', tags: ['dashboard'], query: {}, responses: { '200': { description: 'The page.', contentType: 'text/html' } } },
];

/** Every route the gateway serves, as its schema: what /openapi.json documents and what the validator enforces. */
export function gatewayRoutes(): RouteSchema[] {
  return [...CORE_ROUTES, ...Object.values(DASHBOARD_ROUTES), ...Object.values(DISPATCH_ROUTES), ...Object.values(QUERY_ROUTES)];
}

/**
 * The OpenAPI 3.1 document of `routes`: per route its operation id, summary, query parameters (paramJsonSchema of
 * each spec), JSON body schema (unknown properties refused), responses (errors as {error, detail, param}) and the
 * rate limit's 429. `info.version` is the package version; the limits are the gateway's configured ones.
 */
export function buildOpenApi(routes: RouteSchema[], info: { version: string; rateLimitPerMinute: number; bodyLimitBytes: number }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, d] of Object.entries(r.responses)) {
      const type = d.contentType ?? 'application/json';
      const schema = d.schema ?? (Number(status) >= 400 ? ERROR_SCHEMA : type === 'application/json' ? { type: 'object' } : { type: 'string' });
      responses[status] = { description: d.description, content: { [type]: { schema } } };
    }
    responses['429'] ??= { description: `More than ${info.rateLimitPerMinute} requests a minute from this address.`, content: { 'application/json': { schema: ERROR_SCHEMA } } };
    const op: Record<string, unknown> = {
      operationId: `${r.method}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')) || 'Root'}`,
      summary: r.summary,
      tags: r.tags ?? [],
      parameters: Object.entries(r.query ?? {}).map(([name, p]) => ({ name, in: 'query', required: p.required === true, description: paramDescription(p), schema: paramJsonSchema(p), ...(p.example !== undefined ? { example: p.example } : {}) })),
      responses,
    };
    if (r.body) {
      op.requestBody = {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              required: Object.entries(r.body).filter(([, p]) => p.required).map(([n]) => n),
              properties: Object.fromEntries(Object.entries(r.body).map(([n, p]) => [n, { description: paramDescription(p), ...paramJsonSchema(p) }])),
              maxProperties: Object.keys(r.body).length,
            },
          },
        },
        description: `A JSON object of at most ${info.bodyLimitBytes} bytes; unknown properties are refused.`,
      };
    }
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Smart Dispatch Assistant gateway', version: info.version, description: 'Forecasts, market data for the dashboard, questions to the RAG responder, and monitoring. Unknown query parameters are refused with 400 naming the parameter.' },
    servers: [{ url: '/' }],
    paths,
  };
}
