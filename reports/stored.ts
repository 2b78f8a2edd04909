// Read-only figures over the stored tables (market_data, features, forecasts) that commands print: the demo's
// checks that the pipeline stored what it was given, and its tables. The CLI holds no SQL (it parses and prints);
// sinks/ only write; the gateway's and the responder's reads stay beside them. Parameterised queries only.
import type pg from 'pg';
import { currentModelVersion, forecastTieBreak } from './forecasts.js';

/** The identity and value of one stored tick, as the simulator produced it. */
export interface TickIdentity {
  seriesId: string;
  kind: string;
  /** Interval start, UTC ms. */
  intervalStart: number;
  value: number;
}

/**
 * How many of `ticks` market_data holds in `market` with the same key (series, kind, interval start) and the same
 * value, whichever source wrote them. One query, the ticks passed as arrays (tens of thousands are fine).
 */
export async function countStoredTicks(pool: pg.Pool, market: string, ticks: readonly TickIdentity[]): Promise<number> {
  const r = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM market_data m
       JOIN unnest($2::text[], $3::text[], $4::bigint[], $5::float8[]) AS t(series_id, kind, start_ms, value)
         ON m.market = $1 AND m.series_id = t.series_id AND m.kind = t.kind
        AND m.interval_start = timestamptz 'epoch' + t.start_ms * interval '1 millisecond' AND m.value = t.value`,
    [market, ticks.map((t) => t.seriesId), ticks.map((t) => t.kind), ticks.map((t) => t.intervalStart), ticks.map((t) => t.value)],
  );
  return Number(r.rows[0]!.n);
}

/** The number of market_data rows of one series (every kind). */
export async function countSeriesRows(pool: pg.Pool, market: string, seriesId: string): Promise<number> {
  const r = await pool.query<{ n: string }>('SELECT count(*) AS n FROM market_data WHERE market = $1 AND series_id = $2', [market, seriesId]);
  return Number(r.rows[0]!.n);
}

/** Real-time price statistics of one hub over a period: intervals, mean/min/max in the series' unit, negative intervals. */
export interface HubPriceStats {
  seriesId: string;
  intervals: number;
  mean: number;
  min: number;
  max: number;
  negative: number;
}

/** HubPriceStats of every hub (point type HUB) of `market` with RT prices whose interval starts in [fromMs, toMs), by series id. */
export async function hubPriceStats(pool: pg.Pool, market: string, fromMs: number, toMs: number): Promise<HubPriceStats[]> {
  const r = await pool.query<{ series_id: string; n: string; mean: number; min: number; max: number; negative: string }>(
    `SELECT series_id, count(*) AS n, avg(value) AS mean, min(value) AS min, max(value) AS max, count(*) FILTER (WHERE value < 0) AS negative
       FROM market_data WHERE market = $1 AND kind = 'RT_PRICE' AND point_type = 'HUB' AND interval_start >= $2 AND interval_start < $3
      GROUP BY series_id ORDER BY series_id`,
    [market, new Date(fromMs), new Date(toMs)],
  );
  return r.rows.map((x) => ({ seriesId: x.series_id, intervals: Number(x.n), mean: x.mean, min: x.min, max: x.max, negative: Number(x.negative) }));
}

/** One stored feature window (features table): its end, points present and missing, and the features. */
export interface FeatureWindowRow {
  windowEnd: Date;
  count: number;
  missing: number;
  mean: number;
  std: number;
  trend: number;
  lag24h: number | null;
  systemLoad: number | null;
  wind: number | null;
}

/**
 * The latest `limit` windows of one series with step `stepMs` (ms) and at least `minCount` points, oldest first.
 */
export async function latestFeatureWindows(
  pool: pg.Pool,
  q: { market: string; seriesId: string; kind: string; stepMs: number; minCount: number; limit: number },
): Promise<FeatureWindowRow[]> {
  const r = await pool.query<{
    window_end: Date;
    count: number;
    missing: number;
    mean: number;
    std: number;
    trend: number;
    lag_24h: number | null;
    system_load: number | null;
    wind: number | null;
  }>(
    `SELECT window_end, count, missing, mean, std, trend, lag_24h, system_load, wind FROM features
      WHERE market = $1 AND series_id = $2 AND kind = $3 AND step_ms = $4 AND count >= $5
      ORDER BY window_end DESC LIMIT $6`,
    [q.market, q.seriesId, q.kind, q.stepMs, q.minCount, q.limit],
  );
  return r.rows
    .reverse()
    .map((x) => ({
      windowEnd: x.window_end,
      count: x.count,
      missing: x.missing,
      mean: x.mean,
      std: x.std,
      trend: x.trend,
      lag24h: x.lag_24h,
      systemLoad: x.system_load,
      wind: x.wind,
    }));
}

/** A forecast's first step beside the mean of the actuals stored in that step (null before they are). */
export interface ForecastBesideActual {
  targetStart: Date;
  /** The first step's value (P50), in the series' unit. */
  predicted: number;
  actual: number | null;
  modelVersion: string;
}

/**
 * The forecasts of one series for the `limit` latest first steps, one per first step (the newest issued there, ties
 * on issue time by reports/forecasts.ts forecastTieBreak as GET /forecast picks: two model versions issue the same
 * window's forecast at the same time; `q.current` the served model version, default currentModelVersion(), null for
 * none), oldest first, each beside the mean of the stored actuals over its first step (null before they are).
 */
export async function forecastsBesideActuals(
  pool: pg.Pool,
  q: { market: string; seriesId: string; kind: string; limit: number; current?: string | null },
): Promise<ForecastBesideActual[]> {
  const current = q.current === undefined ? await currentModelVersion() : q.current;
  const r = await pool.query<{ target_start: Date; predicted: number; actual: number | null; model_version: string }>(
    `SELECT f.target_start, f.predicted, f.model_version,
            (SELECT avg(m.value) FROM market_data m WHERE m.market = f.market AND m.series_id = f.series_id AND m.kind = f.kind
                AND m.interval_start >= f.target_start AND m.interval_start < f.target_start + f.step_ms * interval '1 millisecond') AS actual
       FROM (SELECT DISTINCT ON (target_start) market, series_id, kind, step_ms, target_start, "values"[1] AS predicted, model_version
               FROM forecasts WHERE market = $1 AND series_id = $2 AND kind = $3
              ORDER BY target_start DESC, issued_at DESC, ${forecastTieBreak('$5')} LIMIT $4) f
      ORDER BY f.target_start DESC`,
    [q.market, q.seriesId, q.kind, q.limit, current],
  );
  return r.rows
    .reverse()
    .map((x) => ({ targetStart: x.target_start, predicted: x.predicted, actual: x.actual === null ? null : Number(x.actual), modelVersion: x.model_version }));
}

/** The end of the latest interval `source` stored in `market` (UTC ms), or null when it stored none. */
export async function latestIntervalEnd(pool: pg.Pool, market: string, source: string): Promise<number | null> {
  const r = await pool.query<{ t: Date | null }>('SELECT max(interval_end) AS t FROM market_data WHERE market = $1 AND source = $2', [market, source]);
  return r.rows[0]?.t?.getTime() ?? null;
}
