// PostgreSQL reads for the dashboard, all parameterised and bounded: the series that have market data (a skip scan
// over market_data's primary key, one index probe per series instead of a scan of every row) with each one's latest
// interval, and one series' history: hourly means of its actuals and its forecasts over at most 720 hours.
import type pg from 'pg';
import { type ErrorSummary, forecastError } from './forecast-error.js';
import { currentModelVersion, forecastTieBreak, storedForecast } from '../reports/forecasts.js';
import { RUN_TOPIC_PREFIX, liveMarketSql } from '../platform/kafka/topics.js';

const HOUR = 3_600_000;
/** Most series listed. */
export const MAX_SERIES = 500;
/** Most forecast rows read for one history. */
const MAX_FORECAST_ROWS = 5_000;

export interface SeriesLatest {
  market: string;
  series: string;
  pointType: string;
  kind: string;
  intervalStart: string;
  intervalEnd: string;
  value: number;
  unit: string;
  /** The tick's own ingested_at (ISO): what its source stamped; the simulator and a replay stamp the interval's time. */
  ingestedAt: string;
  /** When the ticks sink wrote the row to PostgreSQL (ISO, stored_at = now() at the write): the pipeline's wall clock. */
  storedAt: string;
}

// (market, series_id) pairs by a recursive walk of the primary key, then the latest row of `kind` of each; live
// markets only: a run's rows (market `run.NAME.<market>`, liveMarketSql) stay out of the live views.
const SQL_SERIES = `WITH RECURSIVE s AS (
    (SELECT market, series_id FROM market_data ORDER BY market, series_id LIMIT 1)
    UNION ALL
    SELECT n.market, n.series_id FROM s, LATERAL (
      SELECT m.market, m.series_id FROM market_data m
      WHERE (m.market, m.series_id) > (s.market, s.series_id) ORDER BY m.market, m.series_id LIMIT 1) n
  )
  SELECT s.market, s.series_id, l.point_type, l.interval_start, l.interval_end, l.value, l.unit, l.ingested_at, l.stored_at
  FROM s CROSS JOIN LATERAL (
    SELECT point_type, interval_start, interval_end, value, unit, ingested_at, stored_at FROM market_data m
    WHERE m.market = s.market AND m.series_id = s.series_id AND m.kind = $1 ORDER BY m.interval_start DESC LIMIT 1) l
  WHERE ${liveMarketSql('s.market', 2)}
  ORDER BY s.market, s.series_id
  LIMIT ${MAX_SERIES}`;

interface SeriesRow {
  market: string;
  series_id: string;
  point_type: string;
  interval_start: Date;
  interval_end: Date;
  value: number;
  unit: string;
  ingested_at: Date;
  stored_at: Date;
}

/**
 * Every series of a live market with data of `kind`, with its latest interval (at most MAX_SERIES, in market and
 * series order). A run's rows (`run.NAME.<market>`, platform/kafka/topics.ts runMarket) are left out: the overview,
 * the prices table and the series list show the live market only (README: runs replay beside the live one).
 */
export async function latestPerSeries(pool: pg.Pool, kind: string): Promise<SeriesLatest[]> {
  const res = await pool.query<SeriesRow>(SQL_SERIES, [kind, RUN_TOPIC_PREFIX]);
  return res.rows.map((r) => ({
    market: r.market,
    series: r.series_id,
    pointType: r.point_type,
    kind,
    intervalStart: r.interval_start.toISOString(),
    intervalEnd: r.interval_end.toISOString(),
    value: r.value,
    unit: r.unit,
    ingestedAt: r.ingested_at.toISOString(),
    storedAt: r.stored_at.toISOString(),
  }));
}

export interface History {
  market: string;
  series: string;
  kind: string;
  hours: number;
  unit: string | null;
  from: string | null;
  to: string | null;
  /** Hourly means of the actuals; times in seconds since the epoch (uPlot's unit). */
  actual: { t: number[]; v: number[] };
  /** The newest-issued horizon-1 forecast of each interval start. */
  forecast: { t: number[]; v: number[]; modelVersions: string[] };
  /** The newest forecast's whole horizon. */
  latestCurve: {
    t: number[]; v: number[]; issuedAt: string; modelVersion: string;
    /** P10/P90 per step (null for a forecast without quantiles) and what produced each step. */
    p10: Array<number | null> | null; p90: Array<number | null> | null; sources: string[] | null;
  } | null;
  error: ErrorSummary;
}

const SQL_LAST = `SELECT
    (SELECT interval_end FROM market_data WHERE market = $1 AND series_id = $2 AND kind = $3 ORDER BY interval_start DESC LIMIT 1) AS actual_end,
    (SELECT unit FROM market_data WHERE market = $1 AND series_id = $2 AND kind = $3 ORDER BY interval_start DESC LIMIT 1) AS unit,
    (SELECT target_end FROM forecasts WHERE market = $1 AND series_id = $2 AND kind = $3 ORDER BY target_start DESC LIMIT 1) AS forecast_end`;

const SQL_ACTUAL = `SELECT date_bin('1 hour', interval_start, TIMESTAMPTZ '2000-01-01 00:00:00Z') AS t, avg(value) AS v
  FROM market_data WHERE market = $1 AND series_id = $2 AND kind = $3 AND interval_start >= $4 AND interval_start < $5
  GROUP BY 1 ORDER BY 1`;

const SQL_FORECASTS = `SELECT target_start, step_ms, "values"[1] AS h1, model_version, issued_at FROM forecasts
  WHERE market = $1 AND series_id = $2 AND kind = $3 AND target_start >= $4 AND target_start < $5
  ORDER BY target_start, issued_at DESC, ${forecastTieBreak('$6')} LIMIT ${MAX_FORECAST_ROWS}`;

/**
 * The last `hours` hours of a series up to its latest actual (the data may be historical, so the window follows
 * the data, not the wall clock), with its forecasts; the newest forecast's horizon may reach past the actuals. Ties
 * between forecasts of one first step: reports/forecasts.ts forecastTieBreak, the served version `current` read from
 * `q.registryDir` (default the process's registry).
 */
export async function seriesHistory(pool: pg.Pool, q: { market: string; series: string; kind: string; hours: number; registryDir?: string }): Promise<History | null> {
  const args = [q.market, q.series, q.kind];
  const last = (await pool.query<{ actual_end: Date | null; unit: string | null; forecast_end: Date | null }>(SQL_LAST, args)).rows[0];
  if (!last || (last.actual_end === null && last.forecast_end === null)) return null;
  const anchor = (last.actual_end ?? last.forecast_end)!.getTime();
  const to = Math.ceil(anchor / HOUR) * HOUR;
  const from = to - q.hours * HOUR;
  const current = await currentModelVersion(q.registryDir);
  const [actualRes, forecastRes, c] = await Promise.all([
    pool.query<{ t: Date; v: number }>(SQL_ACTUAL, [...args, new Date(from), new Date(to)]),
    pool.query<{ target_start: Date; step_ms: number; h1: number | null; model_version: string; issued_at: Date }>(SQL_FORECASTS, [...args, new Date(from), new Date(to + HOUR), current]),
    storedForecast(pool, q.market, q.series, q.kind, { latest: true }, current),
  ]);
  const sec = (ms: number) => Math.round(ms / 1_000);
  const actual = { t: actualRes.rows.map((r) => sec(r.t.getTime())), v: actualRes.rows.map((r) => Number(r.v)) };
  const forecast = { t: [] as number[], v: [] as number[], modelVersions: [] as string[] };
  let prev = Number.NaN;
  for (const r of forecastRes.rows) {
    const t = r.target_start.getTime();
    if (t === prev || r.h1 === null || !Number.isFinite(r.h1)) continue; // rows are newest-issued first per start
    prev = t;
    forecast.t.push(sec(t));
    forecast.v.push(r.h1);
    if (!forecast.modelVersions.includes(r.model_version)) forecast.modelVersions.push(r.model_version);
  }
  const latestCurve = c
    ? {
      t: c.values.map((_, h) => sec(c.targetStart + h * c.stepMs)), v: c.values.map(Number), issuedAt: new Date(c.issuedAt).toISOString(), modelVersion: c.modelVersion,
      p10: c.p10 ? c.p10.map((x) => (Number.isFinite(x) ? Number(x) : null)) : null, p90: c.p90 ? c.p90.map((x) => (Number.isFinite(x) ? Number(x) : null)) : null, sources: c.stepSources,
    }
    : null;
  return {
    market: q.market,
    series: q.series,
    kind: q.kind,
    hours: q.hours,
    unit: last.unit,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    actual,
    forecast,
    latestCurve,
    error: forecastError(actual, forecast),
  };
}
