// Stored forecasts (the `forecasts` table) as the gateway and the responder read them: which series of a market are
// forecast, and one stored forecast of a series picked by time. One query each, so GET /forecast, GET /dispatch and
// the responder's answers agree on which forecast is "the" forecast. Parameterised; each lookup is bounded by the
// primary-key prefix (market, series_id, kind).
import type pg from 'pg';
import { readCurrent, registryRoot } from '../model/registry.js';
import { FORECAST_MAX_SPAN_MS } from '../processors/forecaster/forecast.js';

/**
 * The series of a market that have forecasts of a kind, by a loose index scan over the primary key (one probe per
 * series, not a read of every forecast row), at most $3 of them, in byte order: `forecasts.series_id` is declared
 * COLLATE "C" (platform/postgres/migrations/007_forecasts.sql), so ORDER BY and `>` compare bytes there (under another
 * collation the order, and so which series fall within the limit, would follow that locale).
 */
export const SQL_FORECAST_SERIES = `WITH RECURSIVE s AS (
    (SELECT series_id FROM forecasts WHERE market = $1 AND kind = $2 ORDER BY series_id LIMIT 1)
    UNION ALL
    SELECT (SELECT f.series_id FROM forecasts f WHERE f.market = $1 AND f.kind = $2 AND f.series_id > s.series_id ORDER BY f.series_id LIMIT 1) FROM s WHERE s.series_id IS NOT NULL
  )
  SELECT series_id FROM s WHERE series_id IS NOT NULL LIMIT $3`;

/**
 * The series ids of `market` that have forecasts of `kind` (RT_PRICE, LOAD, ...), in order, at most `limit`
 * (default: all; a positive whole number); [] when none is forecast. Errors: the pool's.
 */
export async function forecastSeries(pool: pg.Pool, market: string, kind: string, limit: number | null = null): Promise<string[]> {
  if (limit !== null && !(Number.isInteger(limit) && limit > 0)) throw new RangeError(`forecastSeries: limit must be a positive whole number or null (got ${limit})`);
  const res = await pool.query<{ series_id: string }>(SQL_FORECAST_SERIES, [market, kind, limit]);
  return res.rows.map((r) => r.series_id);
}

/** One stored forecast: `values` (P50, the point forecast) step i covers [targetStart + i*stepMs, targetStart + (i+1)*stepMs). */
export interface StoredForecast {
  modelVersion: string;
  /** When the forecaster issued it, UTC ms. */
  issuedAt: number;
  /** The input window it was made from, [inputStart, inputEnd), UTC ms (inputEnd: the decision time). */
  inputStart: number;
  inputEnd: number;
  /** Start of the first step, UTC ms, and the step length, ms. */
  targetStart: number;
  stepMs: number;
  /** Point forecast per step, in `unit` (USD/MWh, MW, ...), as PostgreSQL's float8[] gives it (a missing step is null). */
  values: number[];
  /** 10th and 90th percentiles per step; null when the forecast carries no quantiles. */
  p10: number[] | null;
  p90: number[] | null;
  /** What produced each step ("lstm", "baseline:NAME"); null when the forecast does not say. */
  stepSources: string[] | null;
  unit: string;
}

/**
 * Which forecast of a series: the newest issued (`latest`: GET /forecast); the newest issued at or before a time
 * (`issuedBy`, UTC ms: the responder on the market clock, its dispatch answer); the newest issued whose steps contain
 * a time (`covering`, UTC ms: GET /forecast?at=; only forecasts starting within FORECAST_MAX_SPAN_MS before it are
 * read); or the one whose first step starts last, newest issued among those (`latestTarget`: GET /dispatch's price
 * curve). Ties on issue time are broken by forecastTieBreak, for every pick: for `latestTarget` that tie-break is new
 * (GET /dispatch's own query before reports/forecasts.ts ordered by target_start and issued_at only, so two forecasts
 * with the same first step and issue time, e.g. two model versions, came back in no defined order).
 */
export type ForecastPick = { latest: true } | { issuedBy: number } | { covering: number } | { latestTarget: true };

/**
 * The tie-break of every pick of "the" stored forecast among rows that tie on the pick's own order (issue time; first
 * step for GET /dispatch), an ORDER BY fragment; `currentParam` is the query's parameter holding the served model
 * version (text, NULL when there is none). Rows that tie there are forecasts of one window (issuedAt is the window's
 * computedAt, processors/forecaster/forecast.ts) by different model versions (the primary key holds model_version):
 * 1. the current model's, the version the registry's `current` names (`model_version = current`): `current` is the
 *    served model, the operator's choice (model/registry.ts: "model_registry/current names the served version";
 *    `sda train promote VERSION` sets it, and promoting an older version is how a model is rolled back), so after a
 *    rollback the window's forecast is the model the system serves, not the withdrawn newer one, whenever either row
 *    was stored (reviewer's findings, 2026-12-02: first the tie went to the newer version whatever was promoted; then
 *    `stored_at` was compared first, so a newer version's row stored after the older one's still won after a rollback);
 * 2. then the one stored last (`stored_at DESC`), among versions that are not current;
 * 3. then the newer model version (versions start with their UTC creation time, model/registry.ts newVersion): ties
 *    on stored_at are real, rows of one sink transaction share stored_at = now(), e.g. two versions' forecasts of the
 *    same window when the forecasts table is rebuilt from market.forecasts.
 * The one rule for storedForecast, forecastsBesideActuals (reports/stored.ts), the dashboard's rows
 * (gateway/dashboard-store.ts) and the summarizer's snapshots (processors/summarizer/summarizer.ts).
 */
export function forecastTieBreak(currentParam: string): string {
  return `(model_version = ${currentParam}::text) IS TRUE DESC, stored_at DESC, model_version DESC`;
}

/**
 * The version the model registry's `current` names (model/registry.ts readCurrent) under `registryDir` (default
 * registryRoot(): MODEL_REGISTRY_DIR, else ./model_registry, where the forecaster serves from), for forecastTieBreak;
 * null when there is none or it cannot be read (then ties go to the newer version). Reads the small `current` file
 * each call, so a promotion or rollback counts from the next pick.
 */
export async function currentModelVersion(registryDir?: string): Promise<string | null> {
  return readCurrent(registryRoot(registryDir)).catch(() => null);
}

const FIELDS = 'model_version, issued_at, input_start, input_end, target_start, step_ms, "values", p10, p90, step_sources, unit';
const newest = (currentParam: string) => `ORDER BY issued_at DESC, ${forecastTieBreak(currentParam)} LIMIT 1`;
/** Parameters: market, series, kind, the current model version (or null). */
export const SQL_FORECAST_LATEST = `SELECT ${FIELDS} FROM forecasts WHERE market = $1 AND series_id = $2 AND kind = $3 ${newest('$4')}`;
/** Parameters: market, series, kind, issued at or before, the current model version (or null). */
export const SQL_FORECAST_ISSUED_BY = `SELECT ${FIELDS} FROM forecasts WHERE market = $1 AND series_id = $2 AND kind = $3 AND issued_at <= $4 ${newest('$5')}`;
/** Parameters: market, series, kind, the current model version (or null). */
export const SQL_FORECAST_LATEST_TARGET = `SELECT ${FIELDS} FROM forecasts WHERE market = $1 AND series_id = $2 AND kind = $3
  ORDER BY target_start DESC, issued_at DESC, ${forecastTieBreak('$4')} LIMIT 1`;
/** Parameters: market, series, kind, the time covered, the earliest first step read (exclusive), the current model version (or null). */
export const SQL_FORECAST_COVERING = `SELECT ${FIELDS} FROM forecasts
  WHERE market = $1 AND series_id = $2 AND kind = $3 AND target_start <= $4 AND target_start > $5 AND target_end > $4 ${newest('$6')}`;

interface Row {
  model_version: string;
  issued_at: Date;
  input_start: Date;
  input_end: Date;
  target_start: Date;
  step_ms: number;
  values: number[];
  p10: number[] | null;
  p90: number[] | null;
  step_sources: string[] | null;
  unit: string;
}

/**
 * The stored forecast of (market, series, kind) that `pick` selects, or null when there is none; ties as
 * forecastTieBreak says, `current` being the served model version (default: currentModelVersion(), the process's
 * registry; null: none, ties to the newer version). Errors: RangeError for a time that is not finite; the pool's.
 */
export async function storedForecast(pool: pg.Pool, market: string, series: string, kind: string, pick: ForecastPick, current?: string | null): Promise<StoredForecast | null> {
  const served = current === undefined ? await currentModelVersion() : current;
  let res: pg.QueryResult<Row>;
  if ('latest' in pick) res = await pool.query<Row>(SQL_FORECAST_LATEST, [market, series, kind, served]);
  else if ('latestTarget' in pick) res = await pool.query<Row>(SQL_FORECAST_LATEST_TARGET, [market, series, kind, served]);
  else if ('issuedBy' in pick) {
    if (!Number.isFinite(pick.issuedBy)) throw new RangeError(`storedForecast: issuedBy must be UTC ms (got ${pick.issuedBy})`);
    res = await pool.query<Row>(SQL_FORECAST_ISSUED_BY, [market, series, kind, new Date(pick.issuedBy), served]);
  } else {
    if (!Number.isFinite(pick.covering)) throw new RangeError(`storedForecast: covering must be UTC ms (got ${pick.covering})`);
    res = await pool.query<Row>(SQL_FORECAST_COVERING, [market, series, kind, new Date(pick.covering), new Date(pick.covering - FORECAST_MAX_SPAN_MS), served]);
  }
  const r = res.rows[0];
  if (!r) return null;
  return {
    modelVersion: r.model_version,
    issuedAt: r.issued_at.getTime(),
    inputStart: r.input_start.getTime(),
    inputEnd: r.input_end.getTime(),
    targetStart: r.target_start.getTime(),
    stepMs: Number(r.step_ms),
    values: r.values,
    p10: r.p10,
    p90: r.p90,
    stepSources: r.step_sources,
    unit: r.unit,
  };
}
