// The OpenAPI 3.1 document of every gateway route, built from the same route schemas the validator enforces
// (validate.ts), plus the routes whose parameters are checked elsewhere (/forecast: forecast-params.ts).
import { TickKindValues } from '../schemas/types.js';
import type { ParamSpec, RouteSchema } from './validate.js';

function paramSchema(p: ParamSpec): Record<string, unknown> {
  if (p.type === 'integer') return { type: 'integer', minimum: p.minimum, maximum: p.maximum, ...(p.default !== undefined ? { default: p.default } : {}) };
  return {
    type: 'string',
    maxLength: p.maxLength,
    ...(p.minLength !== undefined ? { minLength: p.minLength } : {}),
    ...(p.pattern ? { pattern: p.pattern.source } : {}),
    ...(p.enum ? { enum: [...p.enum] } : {}),
    ...(p.default !== undefined ? { default: p.default } : {}),
  };
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'detail'],
  properties: { error: { type: 'string' }, detail: { type: 'string' }, param: { type: 'string', description: 'The parameter at fault (400 from validation).' } },
};

/** Routes served by gateway/server.ts itself, described here. */
export const CORE_ROUTES: RouteSchema[] = [
  {
    method: 'get',
    path: '/forecast',
    summary: 'The newest forecast covering a time (or the newest forecast\'s first interval) for a series: the selected interval (predicted = P50, p10, p90, source) and the whole curve in `steps` (h, start, end, p10, p50, p90, source; up to 36 hourly steps). `at` selects any hour in the curve.',
    tags: ['forecast'],
    query: {
      series: { type: 'string', description: 'Series id.', required: true, pattern: /^[A-Z0-9_]{1,64}$/, maxLength: 64, example: 'HB_NORTH' },
      market: { type: 'string', description: 'Market.', default: 'ERCOT', pattern: /^[A-Z0-9_]{1,64}$/, maxLength: 64 },
      kind: { type: 'string', description: 'What is forecast.', enum: TickKindValues, default: 'RT_PRICE', maxLength: 16 },
      at: { type: 'string', description: 'An ISO-8601 instant with Z or an offset (or a date), 2000-01-01 to 2100-01-01; selects the interval containing it in the newest forecast that covers it.', maxLength: 40 },
    },
    responses: { '200': { description: 'The forecast.' }, '400': { description: 'Bad parameter.' }, '404': { description: 'Unknown series or no forecast.' }, '503': { description: 'The store is unavailable.' } },
  },
  { method: 'get', path: '/healthz', summary: 'Each dependency checked with a time limit.', tags: ['operations'], query: {}, responses: { '200': { description: 'ok or degraded.' }, '503': { description: 'A required dependency is down.' } } },
  { method: 'get', path: '/livez', summary: 'The process answers (no dependency).', tags: ['operations'], query: {}, responses: { '200': { description: 'ok.' } } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (text exposition format).', tags: ['operations'], query: {}, responses: { '200': { description: 'Metrics.', contentType: 'text/plain' } } },
  { method: 'get', path: '/events', summary: 'Server-sent events: `forecast` for each new forecast on the forecasts topic, heartbeats as comments.', tags: ['dashboard'], query: {}, responses: { '200': { description: 'An event stream.', contentType: 'text/event-stream' }, '503': { description: 'Too many clients, or the feed is off.' } } },
  { method: 'get', path: '/openapi.json', summary: 'This document.', tags: ['operations'], query: {}, responses: { '200': { description: 'OpenAPI 3.1.' } } },
  { method: 'get', path: '/', summary: 'The dashboard (HTML).', tags: ['dashboard'], query: {}, responses: { '200': { description: 'The page.', contentType: 'text/html' } } },
];

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
      parameters: Object.entries(r.query ?? {}).map(([name, p]) => ({ name, in: 'query', required: p.required === true, description: p.description, schema: paramSchema(p), ...(p.example !== undefined ? { example: p.example } : {}) })),
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
              properties: Object.fromEntries(Object.entries(r.body).map(([n, p]) => [n, { description: p.description, ...paramSchema(p) }])),
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
