// Exact facts for answers, read from PostgreSQL with parameterised SQL: statistics of a series over a period
// (market_data), its latest value, and the current forecast (forecasts). Each fact carries the sentence the
// responder shows the model and the numbers it states, formatted as the sentence writes them.
import type pg from 'pg';
import { centralLabel, formatValue, kindLabel, round } from '../processors/summarizer/documents.js';

export interface Fact {
  /** What was asked: tool name and arguments, also the source id shown to the asker. */
  id: string;
  text: string;
  numbers: Record<string, number>;
}

export const SQL_SERIES_STATS = `SELECT unit, avg(value) AS mean, min(value) AS min, max(value) AS max, count(*)::int AS count,
    (count(*) FILTER (WHERE value < 0))::int AS negative,
    (array_agg(interval_start ORDER BY value ASC, interval_start))[1] AS min_at,
    (array_agg(interval_start ORDER BY value DESC, interval_start))[1] AS max_at
  FROM market_data
  WHERE market = $1 AND series_id = $2 AND kind = $3 AND interval_start >= $4 AND interval_start < $5
  GROUP BY unit`;

export const SQL_LATEST_VALUE = `SELECT value, unit, interval_start FROM market_data
  WHERE market = $1 AND series_id = $2 AND kind = $3 ORDER BY interval_start DESC LIMIT 1`;

export const SQL_LATEST_FORECAST = `SELECT model_version, step_ms, target_start, "values", unit, issued_at FROM forecasts
  WHERE market = $1 AND series_id = $2 AND kind = $3 ORDER BY issued_at DESC, stored_at DESC LIMIT 1`;

const unitText = (unit: string) => (unit === 'USD/MWh' ? '$/MWh' : unit);

export async function seriesStats(pool: pg.Pool, market: string, series: string, kind: string, from: number, to: number, label: string): Promise<Fact | null> {
  const res = await pool.query<{ unit: string; mean: number; min: number; max: number; count: number; negative: number; min_at: Date; max_at: Date }>(
    SQL_SERIES_STATS, [market, series, kind, new Date(from), new Date(to)]);
  const r = res.rows[0];
  if (!r || r.count === 0) return null;
  const f = (v: number) => formatValue(Number(v), r.unit);
  const u = unitText(r.unit);
  const neg = kind.endsWith('_PRICE') ? ` ${r.negative} intervals were negative.` : '';
  return {
    id: `stats:${series}:${kind}:${new Date(from).toISOString()}/${new Date(to).toISOString()}`,
    text: `${series} ${kindLabel(kind)} ${label} (${centralLabel(from)} to ${centralLabel(to)}): average ${f(r.mean)} ${u}, low ${f(r.min)} at ${centralLabel(r.min_at.getTime())}, high ${f(r.max)} at ${centralLabel(r.max_at.getTime())}, ${r.count} intervals.${neg}`,
    numbers: { mean: round(Number(r.mean), r.unit), min: round(Number(r.min), r.unit), max: round(Number(r.max), r.unit), intervals: r.count, negativeIntervals: r.negative },
  };
}

export async function latestValue(pool: pg.Pool, market: string, series: string, kind: string): Promise<Fact | null> {
  const res = await pool.query<{ value: number; unit: string; interval_start: Date }>(SQL_LATEST_VALUE, [market, series, kind]);
  const r = res.rows[0];
  if (!r) return null;
  return {
    id: `latest:${series}:${kind}`,
    text: `The latest ${series} ${kindLabel(kind)} in the database is ${formatValue(Number(r.value), r.unit)} ${unitText(r.unit)} for the interval starting ${centralLabel(r.interval_start.getTime())}.`,
    numbers: { value: round(Number(r.value), r.unit) },
  };
}

export async function currentForecast(pool: pg.Pool, market: string, series: string, kind: string): Promise<Fact | null> {
  const res = await pool.query<{ model_version: string; step_ms: number; target_start: Date; values: number[]; unit: string; issued_at: Date }>(SQL_LATEST_FORECAST, [market, series, kind]);
  const r = res.rows[0];
  if (!r || r.values.length === 0) return null;
  const values = r.values.map(Number);
  const step = Number(r.step_ms);
  const start = r.target_start.getTime();
  const f = (v: number) => formatValue(v, r.unit);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const hi = values.indexOf(Math.max(...values));
  const lo = values.indexOf(Math.min(...values));
  return {
    id: `forecast:${series}:${kind}:${r.model_version}:${start}`,
    text: `The current forecast for ${series} ${kindLabel(kind)} (model ${r.model_version}, issued ${centralLabel(r.issued_at.getTime())}) covers ${values.length} steps from ${centralLabel(start)}: next value ${f(values[0]!)} ${unitText(r.unit)}, average ${f(mean)}, low ${f(values[lo]!)} at ${centralLabel(start + lo * step)}, high ${f(values[hi]!)} at ${centralLabel(start + hi * step)}.`,
    numbers: { next: round(values[0]!, r.unit), mean: round(mean, r.unit), min: round(values[lo]!, r.unit), max: round(values[hi]!, r.unit), steps: values.length },
  };
}
