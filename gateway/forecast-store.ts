// The gateway's answers from the `forecasts` table: GET /forecast's shape and the 404 rule for a series without a
// forecast. The stored reads themselves (which forecast, which series are forecast) are reports/forecasts.ts, shared
// with the responder. Parameterised.
import type pg from 'pg';
import { forecastSeries, storedForecast } from '../reports/forecasts.js';
import type { ForecastQuery } from './forecast-params.js';
import { TickKindValues } from '../schemas/types.js';
import { RUN_TOPIC_PREFIX, liveMarketSql } from '../platform/kafka/topics.js';
import { marketScanCte } from '../platform/postgres/loose-scan.js';

/** One horizon of a forecast: the interval [start, end), its quantiles and what produced it. */
export interface ForecastStep {
  /** Horizon, 1-based. */
  h: number;
  start: string;
  end: string;
  /** 10th percentile; null when the forecast carries no quantiles. */
  p10: number | null;
  /** The point forecast (the median when quantiles are present). */
  p50: number | null;
  /** 90th percentile; null when the forecast carries no quantiles. */
  p90: number | null;
  /** "lstm", "baseline:NAME" where a baseline served that horizon, or "model" when the forecast does not say. */
  source: string;
}

export interface ForecastAnswer {
  series: string;
  market: string;
  kind: string;
  modelVersion: string;
  interval: { start: string; end: string };
  predicted: number | null;
  unit: string;
  issuedAt: string;
  inputs: { start: string; end: string };
  /** Which horizon (1..n) of the forecast the interval is. */
  horizonStep: number;
  /** How many steps the forecast predicts. */
  horizon: number;
  /** The selected interval's 10th / 90th percentile (null without quantiles) and what produced it. */
  p10: number | null;
  p90: number | null;
  source: string;
  /** The whole forecast, horizon 1..n. */
  steps: ForecastStep[];
}

const SQL_KNOWN = `SELECT EXISTS (SELECT 1 FROM forecasts WHERE market = $1 AND series_id = $2)
  OR EXISTS (SELECT 1 FROM market_data WHERE market = $1 AND series_id = $2) AS known`;

/**
 * The newest-issued forecast whose intervals contain `at` (or the newest one, first interval), or null. The answer
 * carries the selected interval (horizonStep h covers [targetStart + (h-1)*step, targetStart + h*step)) and the
 * whole curve in `steps`, each with P10/P50/P90 and its source.
 */
export async function findForecast(pool: pg.Pool, q: ForecastQuery): Promise<ForecastAnswer | null> {
  const row = await storedForecast(pool, q.market, q.series, q.kind, q.at === null ? { latest: true } : { covering: q.at });
  if (!row) return null;
  const start = row.targetStart;
  const step = row.stepMs;
  const h = q.at === null ? 1 : Math.floor((q.at - start) / step) + 1;
  const iso = (t: number) => new Date(t).toISOString();
  const num = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const steps: ForecastStep[] = row.values.map((v, i) => ({
    h: i + 1,
    start: iso(start + i * step),
    end: iso(start + (i + 1) * step),
    p10: num(row.p10?.[i]),
    p50: num(v),
    p90: num(row.p90?.[i]),
    source: row.stepSources?.[i] ?? 'model',
  }));
  const sel = steps[h - 1]!;
  return {
    series: q.series,
    market: q.market,
    kind: q.kind,
    modelVersion: row.modelVersion,
    interval: { start: sel.start, end: sel.end },
    predicted: sel.p50,
    unit: row.unit,
    issuedAt: iso(row.issuedAt),
    inputs: { start: iso(row.inputStart), end: iso(row.inputEnd) },
    horizonStep: h,
    horizon: row.values.length,
    p10: sel.p10,
    p90: sel.p90,
    source: sel.source,
    steps,
  };
}

/** Whether the series has any forecast or any market data in the market. */
async function seriesKnown(pool: pg.Pool, market: string, series: string): Promise<boolean> {
  const res = await pool.query<{ known: boolean }>(SQL_KNOWN, [market, series]);
  return res.rows[0]?.known === true;
}

/** How many known series an unknown_series answer names. */
const KNOWN_SERIES_LISTED = 8;

// The distinct series of a market by a loose index scan (one primary-key probe per series, not a scan of every row):
// market_data holds a row per interval, so a plain DISTINCT would read them all on each unknown-series answer.
const skipScan = (table: string, cte: string) => `${cte} AS (
    (SELECT series_id FROM ${table} WHERE market = $1 ORDER BY series_id LIMIT 1)
    UNION ALL
    SELECT (SELECT t.series_id FROM ${table} t WHERE t.market = $1 AND t.series_id > ${cte}.series_id ORDER BY t.series_id LIMIT 1) FROM ${cte} WHERE ${cte}.series_id IS NOT NULL
  )`;
const SQL_SOME_SERIES = `WITH RECURSIVE ${skipScan('market_data', 'data_series')}, ${skipScan('forecasts', 'forecast_series')}
  SELECT series_id COLLATE "C" AS series_id FROM data_series WHERE series_id IS NOT NULL
  UNION SELECT series_id COLLATE "C" FROM forecast_series WHERE series_id IS NOT NULL
  ORDER BY 1 LIMIT $2`;

/** Up to `limit` series ids of `market` that have market data or forecasts, in byte order ([] for an unknown market). */
async function someKnownSeries(pool: pg.Pool, market: string, limit = KNOWN_SERIES_LISTED): Promise<string[]> {
  const res = await pool.query<{ series_id: string }>(SQL_SOME_SERIES, [market, limit]);
  return res.rows.map((r) => r.series_id);
}

// The distinct markets of both tables (marketScanCte: both primary keys lead with market), then one (market,
// series_id) primary-key probe per market: the live markets other than $2 that hold series $1. $3 is RUN_TOPIC_PREFIX.
const SQL_OTHER_MARKETS = `WITH RECURSIVE ${marketScanCte('market_data', 'data_markets')}, ${marketScanCte('forecasts', 'forecast_markets')}
  SELECT m.market FROM (SELECT market COLLATE "C" AS market FROM data_markets UNION SELECT market COLLATE "C" FROM forecast_markets) m
  WHERE m.market IS NOT NULL AND m.market <> $2 AND ${liveMarketSql('m.market', 3)}
    AND (EXISTS (SELECT 1 FROM market_data d WHERE d.market = m.market AND d.series_id = $1)
      OR EXISTS (SELECT 1 FROM forecasts f WHERE f.market = m.market AND f.series_id = $1))
  ORDER BY 1 LIMIT $4`;

/** How many other markets an unknown_series answer names. */
const OTHER_MARKETS_LISTED = 3;

/**
 * The live markets other than `market` in which `series` has market data or forecasts (byte order, at most `limit`):
 * TAYLOR_EW asked in ERCOT is GB's. Run-scoped markets (`run.NAME.<market>`) are left out.
 */
export async function otherMarketsOf(pool: pg.Pool, series: string, market: string, limit = OTHER_MARKETS_LISTED + 1): Promise<string[]> {
  const res = await pool.query<{ market: string }>(SQL_OTHER_MARKETS, [series, market, RUN_TOPIC_PREFIX, limit]);
  return res.rows.map((r) => r.market);
}

/** What the stored forecasts of one series and kind span: first and last issue, first and last target time (UTC ms). */
export interface ForecastCoverage {
  /** Issue times of the first- and last-issued forecast. */
  firstIssuedAt: number;
  lastIssuedAt: number;
  /** The start of the earliest forecast interval, and the end of the latest one. */
  firstTarget: number;
  lastTarget: number;
}

// Four ends of the (market, series_id, kind) index ranges: forecasts_series_target and forecasts_series_issued serve
// them; max(target_end) reads the series' rows (no index), only on a 404.
const SQL_COVERAGE = `SELECT min(issued_at) AS first_issued, max(issued_at) AS last_issued, min(target_start) AS first_target, max(target_end) AS last_target
  FROM forecasts WHERE market = $1 AND series_id = $2 AND kind = $3`;

/** The span of the stored forecasts of a series and kind, or null when it has none. */
export async function forecastCoverage(pool: pg.Pool, market: string, series: string, kind: string): Promise<ForecastCoverage | null> {
  const r = (await pool.query<{ first_issued: Date | null; last_issued: Date | null; first_target: Date | null; last_target: Date | null }>(SQL_COVERAGE, [market, series, kind])).rows[0];
  if (!r?.first_issued || !r.last_issued || !r.first_target || !r.last_target) return null;
  return { firstIssuedAt: r.first_issued.getTime(), lastIssuedAt: r.last_issued.getTime(), firstTarget: r.first_target.getTime(), lastTarget: r.last_target.getTime() };
}

/**
 * GET /forecast's 404 detail when no stored forecast of a series covers `at` (UTC ms): whether `at` lies after the
 * last forecast interval, before the first, or in a gap between forecasts, with the span the stored forecasts cover
 * (first and last target time, first and last issue), so a caller can pick a time that has one.
 */
export function notCoveredDetail(series: string, market: string, kind: string, at: number, c: ForecastCoverage | null): string {
  const iso = (t: number) => new Date(t).toISOString();
  const head = `no forecast of ${series} (${market}, ${kind}) covers ${iso(at)}`;
  if (c === null) return head;
  const where = at >= c.lastTarget ? 'it is after the last forecast interval' : at < c.firstTarget ? 'it is before the first forecast interval' : 'it falls between stored forecasts';
  return `${head}: ${where}; the stored forecasts cover ${iso(c.firstTarget)} to ${iso(c.lastTarget)} (issued ${iso(c.firstIssuedAt)} to ${iso(c.lastIssuedAt)})`;
}

const SQL_HAS_FORECAST = 'SELECT EXISTS (SELECT 1 FROM forecasts WHERE market = $1 AND series_id = $2 AND kind = $3) AS has';

// The tick kinds a series has market data of: one primary-key probe per kind (market, series_id, kind, interval_start).
const SQL_DATA_KINDS = 'SELECT k AS kind FROM unnest($3::text[]) WITH ORDINALITY AS t(k, n) WHERE EXISTS (SELECT 1 FROM market_data WHERE market = $1 AND series_id = $2 AND kind = t.k) ORDER BY n';

/** Why no forecast could be served: a 404's error code and detail. */
export interface MissingForecast {
  error: 'unknown_series' | 'no_forecast';
  detail: string;
}

/**
 * The one rule for a series without a forecast to serve (GET /forecast, GET /dispatch): `unknown_series` when the
 * series has neither forecasts nor market data in the market, naming up to KNOWN_SERIES_LISTED series it does know;
 * `no_forecast` saying the series "is not forecast" and naming the series the forecaster does predict when it has no
 * forecast of `kind` at all while others of the market have, or saying it has no market data of `kind` (only of
 * others, named) when that is why; otherwise `no_forecast` with the caller's
 * `noForecastDetail` (no forecasts of that kind anywhere yet, or none that covers the time asked). An unknown series
 * that another live market holds (TAYLOR_EW asked in ERCOT) names that market and says to ask with market=<it>.
 */
export async function missingForecast(pool: pg.Pool, market: string, series: string, kind: string, noForecastDetail: string): Promise<MissingForecast> {
  if (await seriesKnown(pool, market, series)) {
    const has = (await pool.query<{ has: boolean }>(SQL_HAS_FORECAST, [market, series, kind])).rows[0]?.has === true;
    if (has) return { error: 'no_forecast', detail: noForecastDetail };
    // A series with market data, none of this kind (SYSTEM has load, wind and solar, no price): nothing of that
    // kind can be forecast for it, whatever model is trained.
    const kinds = (await pool.query<{ kind: string }>(SQL_DATA_KINDS, [market, series, TickKindValues])).rows.map((r) => r.kind);
    if (kinds.length > 0 && !kinds.includes(kind)) {
      return { error: 'no_forecast', detail: `${series} (${market}) has no ${kind} data, so there is no ${kind} forecast for it; its market data is ${kinds.join(', ')} (ask for kind=${kinds[0]})` };
    }
    const forecast = await forecastSeries(pool, market, kind, KNOWN_SERIES_LISTED + 1);
    if (forecast.length === 0) return { error: 'no_forecast', detail: noForecastDetail };
    const listed = `${forecast.slice(0, KNOWN_SERIES_LISTED).join(', ')}${forecast.length > KNOWN_SERIES_LISTED ? ', ...' : ''}`;
    return { error: 'no_forecast', detail: `${series} (${market}, ${kind}) is not forecast; the forecaster predicts ${listed} (train a model that covers ${series}: sda train --series)` };
  }
  // A series of another market (TAYLOR_EW is GB's) asked in this one: say where it is and how to ask there.
  const elsewhere = await otherMarketsOf(pool, series, market);
  if (elsewhere.length > 0) {
    const markets = `${elsewhere.slice(0, OTHER_MARKETS_LISTED).join(', ')}${elsewhere.length > OTHER_MARKETS_LISTED ? ', ...' : ''}`;
    return { error: 'unknown_series', detail: `unknown series ${series} in market ${market}: ${series} is a series of market${elsewhere.length > 1 ? 's' : ''} ${markets}; ask with market=${elsewhere[0]}` };
  }
  const known = await someKnownSeries(pool, market, KNOWN_SERIES_LISTED + 1);
  const listed = known.length === 0 ? `market ${market} has no series at all` : `known series in ${market} include ${known.slice(0, KNOWN_SERIES_LISTED).join(', ')}${known.length > KNOWN_SERIES_LISTED ? ', ...' : ''}`;
  return { error: 'unknown_series', detail: `unknown series ${series}: no forecasts and no market data for it in market ${market}; ${listed}` };
}
