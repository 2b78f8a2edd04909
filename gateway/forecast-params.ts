// GET /forecast: its route schema (the one source of its validation and of its OpenAPI entry) and the typed query
// the handler and forecast-store.ts read. Pure, so the rules are unit-tested without a server.
import { type TickKind, TickKindValues } from '../schemas/types.js';
import { type ParamSpec, type ParamValues, type RouteSchema, validateParams } from './validate.js';

/** A series id and a market as stored (upper case); the routes read lower case as upper (upperCase). */
export const SERIES_RE = /^[A-Z0-9_.-]{1,64}$/;
export const MARKET_RE = /^[A-Z0-9_]{1,64}$/;

/** The one market parameter of every route that takes one (/forecast, /dispatch, /api/history): the same rule and words. */
export const MARKET_PARAM = {
  type: 'string',
  description: 'Market: 1-64 of A-Z 0-9 _.',
  default: 'ERCOT',
  pattern: MARKET_RE,
  maxLength: 64,
  upperCase: true,
  // `market=` is a 400, not ERCOT (validate.ts refuses every parameter given empty): answering ERCOT's data would hide the mistake.
  example: 'ERCOT',
} as const satisfies ParamSpec;

/** The one series parameter of every route (/forecast, /dispatch, /query, /api/history): the same rule and words. */
export const SERIES_PARAM = {
  type: 'string',
  description: 'Series id: 1-64 of A-Z, 0-9, underscore, dot and hyphen.',
  pattern: SERIES_RE,
  maxLength: 64,
  example: 'HB_NORTH',
  upperCase: true,
} as const satisfies ParamSpec;
/** `at` must fall in [AT_MIN, AT_MAX) (UTC ms). */
export const AT_MIN = Date.UTC(2000, 0, 1);
export const AT_MAX = Date.UTC(2100, 0, 1);

export const FORECAST_ROUTE = {
  method: 'get',
  path: '/forecast',
  summary:
    "The newest forecast covering a time (or the newest forecast's first interval) for a series: the selected interval (predicted = P50, p10, p90, source) and the whole curve in `steps` (h, start, end, p10, p50, p90, source; up to 36 hourly steps). `at` selects any hour in the curve.",
  tags: ['forecast'],
  query: {
    series: { ...SERIES_PARAM, required: true },
    market: MARKET_PARAM,
    kind: { type: 'string', description: 'What is forecast.', enum: TickKindValues, default: 'RT_PRICE', maxLength: 16, upperCase: true },
    at: {
      type: 'instant',
      description:
        'An ISO-8601 instant with Z or an offset (or a date), 2000-01-01 to 2100-01-01; selects the interval containing it in the newest forecast that covers it. Left out: the newest forecast\'s first interval (given empty it is a 400, as every parameter).',
      minimum: AT_MIN,
      maximum: AT_MAX,
      maxLength: 40,
      example: '2024-07-01T15:00:00Z',
    },
  },
  responses: {
    '200': { description: 'The forecast.' },
    '400': { description: 'Bad parameter.' },
    '404': { description: 'Unknown series or no forecast.' },
    '503': { description: 'The store is unavailable.' },
  },
} as const satisfies RouteSchema;

export interface ForecastQuery {
  series: string;
  market: string;
  kind: TickKind;
  /** UTC ms, or null for "the latest forecast's first interval". */
  at: number | null;
}

/** The typed query from values FORECAST_ROUTE has validated (res.locals.query of `validated(FORECAST_ROUTE)`). */
export function forecastQuery(values: ParamValues): ForecastQuery {
  return { series: values.series as string, market: values.market as string, kind: values.kind as TickKind, at: (values.at as number | undefined) ?? null };
}

/** Validates a raw /forecast query against FORECAST_ROUTE; throws ValidationError naming the parameter at fault. */
export function parseForecastQuery(query: Record<string, unknown>): ForecastQuery {
  return forecastQuery(validateParams(FORECAST_ROUTE.query, query, 'query'));
}
