// Exact facts for answers, read from PostgreSQL with parameterised SQL: statistics of a series over a period
// (market_data), its latest value, and the current forecast (forecasts). Each fact carries the sentence the
// responder shows the model and the numbers it states, formatted as the sentence writes them.
import type pg from 'pg';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import { OFFER_CAP } from '../market/tick-validation.js';
import { storedForecast } from '../reports/forecasts.js';
import { formatValue, hourEndingRanges, kindLabel, roundAsWritten, unitText } from '../market/format.js';
import { ercotHourLabel } from '../market/central-time.js';
import { CENTRAL_CLOCK } from '../market/zone-clock.js';
import { marketClock } from '../market/zone-clock.js';
import { RUN_TOPIC_PREFIX, liveMarketSql } from '../platform/kafka/topics.js';
import { marketScanCte } from '../platform/postgres/loose-scan.js';

/** An instant as a fact writes it, on its market's clock: "2024-07-01 17:00 CT" (ERCOT), "2000-06-05 00:00 UK" (GB). */
const timeLabel = (market: string, utcMs: number): string => marketClock(market).label(utcMs);

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

export async function seriesStats(pool: pg.Pool, market: string, series: string, kind: string, from: number, to: number, label: string): Promise<Fact | null> {
  const res = await pool.query<{ unit: string; mean: number; min: number; max: number; count: number; negative: number; min_at: Date; max_at: Date }>(
    SQL_SERIES_STATS, [market, series, kind, new Date(from), new Date(to)]);
  const r = res.rows[0];
  if (!r || r.count === 0) return null;
  const f = (v: number) => formatValue(Number(v), r.unit);
  const u = unitText(r.unit);
  const neg = kind.endsWith('_PRICE') ? ` ${r.negative} ${Number(r.negative) === 1 ? 'interval was' : 'intervals were'} negative.` : '';
  return {
    id: `stats:${series}:${kind}:${new Date(from).toISOString()}/${new Date(to).toISOString()}`,
    text: `${series} ${kindLabel(kind)} ${label} (${timeLabel(market, from)} to ${timeLabel(market, to)}): average ${f(r.mean)} ${u}, low ${f(r.min)} at ${timeLabel(market, r.min_at.getTime())}, high ${f(r.max)} at ${timeLabel(market, r.max_at.getTime())}, ${r.count} intervals.${neg}`,
    numbers: { mean: roundAsWritten(Number(r.mean), r.unit), min: roundAsWritten(Number(r.min), r.unit), max: roundAsWritten(Number(r.max), r.unit), intervals: r.count, negativeIntervals: r.negative },
  };
}

export async function latestValue(pool: pg.Pool, market: string, series: string, kind: string): Promise<Fact | null> {
  const res = await pool.query<{ value: number; unit: string; interval_start: Date }>(SQL_LATEST_VALUE, [market, series, kind]);
  const r = res.rows[0];
  if (!r) return null;
  return {
    id: `latest:${series}:${kind}`,
    text: `The latest ${series} ${kindLabel(kind)} in the database is ${formatValue(Number(r.value), r.unit)} ${unitText(r.unit)} for the interval starting ${timeLabel(market, r.interval_start.getTime())}.`,
    numbers: { value: roundAsWritten(Number(r.value), r.unit) },
  };
}

export async function currentForecast(pool: pg.Pool, market: string, series: string, kind: string): Promise<Fact | null> {
  const r = await storedForecast(pool, market, series, kind, { latest: true });
  if (!r || r.values.length === 0) return null;
  const values = r.values.map(Number);
  const step = r.stepMs;
  const start = r.targetStart;
  const f = (v: number) => formatValue(v, r.unit);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const hi = values.indexOf(Math.max(...values));
  const lo = values.indexOf(Math.min(...values));
  return {
    id: `forecast:${series}:${kind}:${r.modelVersion}:${start}`,
    text: `The current forecast for ${series} ${kindLabel(kind)} (model ${r.modelVersion}, issued ${timeLabel(market, r.issuedAt)}) covers ${values.length} steps from ${timeLabel(market, start)}: next value ${f(values[0]!)} ${unitText(r.unit)}, average ${f(mean)}, low ${f(values[lo]!)} at ${timeLabel(market, start + lo * step)}, high ${f(values[hi]!)} at ${timeLabel(market, start + hi * step)}.`,
    numbers: { next: roundAsWritten(values[0]!, r.unit), mean: roundAsWritten(mean, r.unit), min: roundAsWritten(values[lo]!, r.unit), max: roundAsWritten(values[hi]!, r.unit), steps: values.length },
  };
}

// -----------------------------------------------------------------------------------------------------------------
// Issue 14: the market clock and one parameterised query per measure. Every fact names its series, kind, period and
// the time of each value it states (FactValue), so the model's words can be checked against them (rag/check.ts).

/** One number a fact states, with what it is: the structured check matches the model's numbers against these. */
export interface FactValue {
  series: string;
  kind: string;
  /** mean, min, max, latest, negativeIntervals, cappedIntervals, scarcityIntervals, intervals, correlation, slope, next, difference, ... */
  measure: string;
  value: number;
  unit: string;
  /** Interval start (UTC ms) the value belongs to, when it belongs to one. */
  at?: number;
}

export interface MeasureFact extends Fact {
  values: FactValue[];
  /**
   * What a dispatch fact is built on: the battery's settlement point, the period it was planned for, [from, to) UTC ms,
   * and the stored documents it read: `id` a MarketDocument id (the price forecast's forecast-snapshot), `names` a phrase
   * the stored text must hold to be about what was read (the forecast's model and issue time: a snapshot of another
   * forecast with the same target start has the same id). The responder lists those documents as the answer's sources
   * instead of a similarity search (rag/responder.ts dispatchDocuments).
   */
  basis?: { series: string; from: number; to: number; documents: Array<{ id: string; names: string }> };
}

/** The market clock and what the market holds, read in one statement. */
export interface MarketState {
  /** End of the latest stored interval of any series (day-ahead prices, a forward market, left out), UTC ms; null for an empty market. */
  now: number | null;
  /** Series id -> value kinds stored. */
  series: Map<string, string[]>;
}

/**
 * Every (series, kind) of a market with its latest interval end: a loose index scan over the primary key
 * (market, series_id, kind, interval_start), so it reads about two index entries per pair, not the table.
 */
export const SQL_MARKET_STATE = `WITH RECURSIVE pairs AS (
    (SELECT series_id, kind FROM market_data WHERE market = $1 ORDER BY series_id, kind LIMIT 1)
    UNION ALL
    SELECT n.series_id, n.kind FROM pairs p CROSS JOIN LATERAL (
      SELECT series_id, kind FROM market_data WHERE market = $1 AND (series_id, kind) > (p.series_id, p.kind)
      ORDER BY series_id, kind LIMIT 1) n
  )
  SELECT p.series_id, p.kind, l.interval_end FROM pairs p CROSS JOIN LATERAL (
    SELECT interval_end FROM market_data m WHERE m.market = $1 AND m.series_id = p.series_id AND m.kind = p.kind
    ORDER BY interval_start DESC LIMIT 1) l`;

/** The market clock ("now" = end of the latest stored interval; DAM prices excluded) and the market's series. */
export async function marketState(pool: pg.Pool, market: string): Promise<MarketState> {
  const res = await pool.query<{ series_id: string; kind: string; interval_end: Date }>(SQL_MARKET_STATE, [market]);
  const series = new Map<string, string[]>();
  let now: number | null = null;
  let anyEnd: number | null = null;
  for (const r of res.rows) {
    series.set(r.series_id, [...(series.get(r.series_id) ?? []), r.kind]);
    const end = r.interval_end.getTime();
    anyEnd = Math.max(anyEnd ?? end, end);
    if (r.kind !== 'DAM_PRICE') now = Math.max(now ?? end, end);
  }
  return { now: now ?? anyEnd, series };
}

/**
 * The live markets market_data holds: a loose index scan over the primary key's leading column (marketScanCte, one
 * probe per market); a run's markets (`run.NAME.<market>`) are left out (liveMarketSql; $1 = RUN_TOPIC_PREFIX).
 */
export const SQL_MARKETS = `WITH RECURSIVE ${marketScanCte('market_data', 'm')}
  SELECT market FROM m WHERE market IS NOT NULL AND ${liveMarketSql('market', 1)}`;

/**
 * Every live market with stored data (a run's markets left out, SQL_MARKETS), each with its own clock and series
 * (marketState, one statement per market: about two primary-key probes per (series, kind) pair, however many rows a
 * market holds), `own` first, then the others in market order. `own` must be read: its failure rejects (it is in
 * the map even when it holds nothing). Listing the other markets, or reading one of them, may fail without failing
 * the whole: `skipped` is told (market null for the listing) and that market is left out.
 * @param own     the market the caller answers for ("ERCOT")
 * @param skipped called once per market not read, with the error
 * Errors: the pool's, for `own` only.
 */
export async function allMarketStates(pool: pg.Pool, own: string, skipped: (market: string | null, err: Error) => void): Promise<Map<string, MarketState>> {
  const ownState = marketState(pool, own);
  const others = (async () => {
    let markets: string[];
    try {
      markets = (await pool.query<{ market: string }>(SQL_MARKETS, [RUN_TOPIC_PREFIX])).rows.map((r) => r.market).filter((m) => m !== own);
    } catch (err) {
      skipped(null, err as Error);
      return [];
    }
    const states = await Promise.all(markets.map(async (m) => {
      try {
        return [m, await marketState(pool, m)] as const;
      } catch (err) {
        skipped(m, err as Error);
        return null;
      }
    }));
    return states.filter((e) => e !== null);
  })();
  const [o, rest] = await Promise.all([ownState, others]);
  return new Map([[own, o], ...rest]);
}

const PERIOD_SQL = 'market = $1 AND series_id = $2 AND kind = $3 AND interval_start >= $4 AND interval_start < $5';

export interface FactPeriod {
  from: number;
  to: number;
  /** "yesterday (2024-08-07 00:00 CT to 2024-08-08 00:00 CT)" */
  text: string;
}

/** Mean, low and high with their interval starts, interval count and negative count of a series over a period. */
export async function statsFact(pool: pg.Pool, market: string, series: string, kind: string, p: FactPeriod): Promise<MeasureFact | null> {
  const res = await pool.query<{ unit: string; mean: number; min: number; max: number; count: number; negative: number; min_at: Date; max_at: Date }>(SQL_SERIES_STATS, [market, series, kind, new Date(p.from), new Date(p.to)]);
  const r = res.rows[0];
  if (!r || r.count === 0) return null;
  const f = (v: number) => formatValue(Number(v), r.unit);
  const u = unitText(r.unit);
  const v = (measure: string, value: number, at?: number): FactValue => ({ series, kind, measure, value: roundAsWritten(Number(value), r.unit), unit: u, ...(at !== undefined ? { at } : {}) });
  const neg = kind.endsWith('_PRICE') ? ` ${r.negative} of them ${Number(r.negative) === 1 ? 'was' : 'were'} negative.` : '';
  return {
    id: `stats:${series}:${kind}:${new Date(p.from).toISOString()}/${new Date(p.to).toISOString()}`,
    text: `${series} ${kindLabel(kind)}, ${p.text}: average ${f(r.mean)} ${u}, low ${f(r.min)} ${u} at ${timeLabel(market, r.min_at.getTime())}, high ${f(r.max)} ${u} at ${timeLabel(market, r.max_at.getTime())}, over ${r.count} intervals.${neg}`,
    numbers: { mean: roundAsWritten(Number(r.mean), r.unit), min: roundAsWritten(Number(r.min), r.unit), max: roundAsWritten(Number(r.max), r.unit), intervals: r.count, negativeIntervals: r.negative },
    values: [v('mean', r.mean), v('min', r.min, r.min_at.getTime()), v('max', r.max, r.max_at.getTime()), { series, kind, measure: 'intervals', value: r.count, unit: 'intervals' }, ...(kind.endsWith('_PRICE') ? [{ series, kind, measure: 'negativeIntervals', value: r.negative, unit: 'intervals' }] : [])],
  };
}

export const SQL_SERIES_SPAN = `SELECT (SELECT interval_start FROM market_data WHERE market = $1 AND series_id = $2 AND kind = $3 ORDER BY interval_start LIMIT 1) AS first,
  (SELECT interval_end FROM market_data WHERE market = $1 AND series_id = $2 AND kind = $3 ORDER BY interval_start DESC LIMIT 1) AS last`;

/** The stored span of a series: first interval start and last interval end (UTC ms), or null when it has no data. Two index probes. */
export async function seriesSpan(pool: pg.Pool, market: string, series: string, kind: string): Promise<{ from: number; to: number } | null> {
  const res = await pool.query<{ first: Date | null; last: Date | null }>(SQL_SERIES_SPAN, [market, series, kind]);
  const r = res.rows[0];
  return r?.first && r.last ? { from: r.first.getTime(), to: r.last.getTime() } : null;
}

/** How far the newest forecast issued at or before `now` reaches: its first step's start and last step's end (UTC ms), or null when there is none. */
export async function forecastReach(pool: pg.Pool, market: string, series: string, kind: string, now: number): Promise<{ from: number; to: number } | null> {
  const r = await storedForecast(pool, market, series, kind, { issuedBy: now });
  return r ? { from: r.targetStart, to: r.targetStart + r.values.length * r.stepMs } : null;
}

export const SQL_LATEST_BEFORE = `SELECT value, unit, interval_start, interval_end FROM market_data
  WHERE market = $1 AND series_id = $2 AND kind = $3 AND interval_start < $4 ORDER BY interval_start DESC LIMIT 1`;

/** The latest value of a series at or before the market clock. */
export async function latestFact(pool: pg.Pool, market: string, series: string, kind: string, now: number): Promise<MeasureFact | null> {
  const res = await pool.query<{ value: number; unit: string; interval_start: Date; interval_end: Date }>(SQL_LATEST_BEFORE, [market, series, kind, new Date(now)]);
  const r = res.rows[0];
  if (!r) return null;
  const at = r.interval_start.getTime();
  const u = unitText(r.unit);
  return {
    id: `latest:${series}:${kind}:${r.interval_start.toISOString()}`,
    text: `The latest ${series} ${kindLabel(kind)} is ${formatValue(Number(r.value), r.unit)} ${u}, for the interval ${timeLabel(market, at)} to ${timeLabel(market, r.interval_end.getTime())}.`,
    numbers: { value: roundAsWritten(Number(r.value), r.unit) },
    values: [{ series, kind, measure: 'latest', value: roundAsWritten(Number(r.value), r.unit), unit: u, at }],
  };
}

export const SQL_INTERVALS_WHERE = `SELECT interval_start, interval_end, value, unit FROM market_data
  WHERE ${PERIOD_SQL} AND value >= $6 AND value < $7 ORDER BY interval_start LIMIT 2000`;

/** Consecutive intervals as runs: [start, end, count, extreme value, its start]. */
function runsOf(rows: ReadonlyArray<{ interval_start: Date; interval_end: Date; value: number }>, pickLow: boolean): Array<{ start: number; end: number; count: number; value: number; at: number }> {
  const runs: Array<{ start: number; end: number; count: number; value: number; at: number }> = [];
  for (const r of rows) {
    const s = r.interval_start.getTime();
    const e = r.interval_end.getTime();
    const v = Number(r.value);
    const last = runs[runs.length - 1];
    if (last && last.end === s) {
      last.end = e;
      last.count += 1;
      if (pickLow ? v < last.value : v > last.value) [last.value, last.at] = [v, s];
    } else runs.push({ start: s, end: e, count: 1, value: v, at: s });
  }
  return runs;
}

/** A run of intervals on its market's clock: "2024-07-01 02:00-04:15 CT (9 intervals)". */
const runText = (market: string) => (r: { start: number; end: number; count: number }): string => {
  const c = marketClock(market);
  return `${c.label(r.start).slice(0, 16)}-${c.clockText(r.end)} ${c.suffix} (${r.count} interval${r.count === 1 ? '' : 's'})`;
};

/** Intervals of a price series below zero in a period: the count, the runs they form and the lowest price with its time. */
export async function negativeFact(pool: pg.Pool, market: string, series: string, kind: string, p: FactPeriod): Promise<MeasureFact> {
  const res = await pool.query<{ interval_start: Date; interval_end: Date; value: number; unit: string }>(SQL_INTERVALS_WHERE, [market, series, kind, new Date(p.from), new Date(p.to), -1e12, 0]);
  const id = `negative:${series}:${kind}:${new Date(p.from).toISOString()}/${new Date(p.to).toISOString()}`;
  const n = res.rows.length;
  if (n === 0) return { id, text: `${series} ${kindLabel(kind)}, ${p.text}: no interval was negative.`, numbers: { negativeIntervals: 0 }, values: [{ series, kind, measure: 'negativeIntervals', value: 0, unit: 'intervals' }] };
  const unit = res.rows[0]!.unit;
  const u = unitText(unit);
  const runs = runsOf(res.rows, true);
  const low = runs.reduce((a, b) => (b.value < a.value ? b : a));
  const shown = runs.slice(0, 6).map(runText(market)).join(', ');
  return {
    id,
    text: `${series} ${kindLabel(kind)}, ${p.text}: ${n} interval${n === 1 ? ' was' : 's were'} negative, in ${runs.length} run${runs.length === 1 ? '' : 's'}: ${shown}${runs.length > 6 ? `, and ${runs.length - 6} more` : ''}; the lowest was ${formatValue(low.value, unit)} ${u} at ${timeLabel(market, low.at)}.`,
    numbers: { negativeIntervals: n, min: roundAsWritten(low.value, unit) },
    values: [{ series, kind, measure: 'negativeIntervals', value: n, unit: 'intervals' }, { series, kind, measure: 'min', value: roundAsWritten(low.value, unit), unit: u, at: low.at }, ...runs.map((r) => ({ series, kind, measure: 'runIntervals', value: r.count, unit: 'intervals', at: r.start }))],
  };
}

/** The scarcity level, $/MWh (the summarizer's DEFAULT_EVENT_RULES); the offer cap is market/tick-validation.ts OFFER_CAP. */
export const SCARCITY_USD = 4_500;

/** Intervals of a price series at the offer cap and at scarcity levels in a period, with the peak and its time. */
export async function cappedFact(pool: pg.Pool, market: string, series: string, kind: string, p: FactPeriod): Promise<MeasureFact | null> {
  const stats = await statsFact(pool, market, series, kind, p);
  if (!stats) return null;
  const res = await pool.query<{ interval_start: Date; interval_end: Date; value: number; unit: string }>(SQL_INTERVALS_WHERE, [market, series, kind, new Date(p.from), new Date(p.to), SCARCITY_USD, 1e12]);
  const atCap = res.rows.filter((r) => Number(r.value) >= OFFER_CAP - 0.005).length;
  const scarce = res.rows.length;
  const max = stats.values.find((v) => v.measure === 'max')!;
  const runs = runsOf(res.rows, false);
  return {
    id: `capped:${series}:${kind}:${new Date(p.from).toISOString()}/${new Date(p.to).toISOString()}`,
    text: `${series} ${kindLabel(kind)}, ${p.text}: ${atCap} interval${atCap === 1 ? ' was' : 's were'} at the $5,000/MWh offer cap and ${scarce} at or above the scarcity level of $4,500/MWh${runs.length ? ` (${runs.slice(0, 6).map(runText(market)).join(', ')})` : ''}; the peak was ${max.value.toFixed(2)} ${max.unit} at ${timeLabel(market, max.at!)}.`,
    numbers: { cappedIntervals: atCap, scarcityIntervals: scarce, max: max.value },
    values: [
      { series, kind, measure: 'cappedIntervals', value: atCap, unit: 'intervals' }, { series, kind, measure: 'scarcityIntervals', value: scarce, unit: 'intervals' }, max,
      { series, kind, measure: 'offerCap', value: OFFER_CAP, unit: '$/MWh' }, { series, kind, measure: 'scarcityLevel', value: SCARCITY_USD, unit: '$/MWh' },
    ],
  };
}

export const SQL_RANK = `SELECT series_id, avg(value) AS mean, unit, count(*)::int AS count FROM market_data
  WHERE market = $1 AND series_id = ANY($2::text[]) AND kind = $3 AND interval_start >= $4 AND interval_start < $5
  GROUP BY series_id, unit ORDER BY avg(value) DESC, series_id`;

/** Series ranked by their mean over a period (highest first, or lowest first when `ascending`). */
export async function rankFact(pool: pg.Pool, market: string, series: readonly string[], kind: string, p: FactPeriod, ascending: boolean): Promise<MeasureFact | null> {
  const res = await pool.query<{ series_id: string; mean: number; unit: string; count: number }>(SQL_RANK, [market, series, kind, new Date(p.from), new Date(p.to)]);
  if (res.rows.length === 0) return null;
  const rows = ascending ? [...res.rows].reverse() : res.rows;
  const unit = rows[0]!.unit;
  const u = unitText(unit);
  return {
    id: `rank:${kind}:${new Date(p.from).toISOString()}/${new Date(p.to).toISOString()}`,
    text: `${kindLabel(kind)[0]!.toUpperCase()}${kindLabel(kind).slice(1)} average by series, ${p.text}, ${ascending ? 'lowest' : 'highest'} first: ${rows.map((r) => `${r.series_id} ${formatValue(Number(r.mean), unit)} ${u}`).join(', ')}. ${ascending ? 'Lowest' : 'Highest'}: ${rows[0]!.series_id}.`,
    numbers: Object.fromEntries(rows.map((r) => [r.series_id, roundAsWritten(Number(r.mean), unit)])),
    values: rows.map((r) => ({ series: r.series_id, kind, measure: 'mean', value: roundAsWritten(Number(r.mean), unit), unit: u })),
  };
}

export const SQL_RELATION = `WITH price AS (
    SELECT date_trunc('hour', interval_start) AS h, avg(value) AS v FROM market_data
    WHERE market = $1 AND series_id = $2 AND kind = $3 AND interval_start >= $5 AND interval_start < $6 GROUP BY 1),
  driver AS (
    SELECT date_trunc('hour', interval_start) AS h, avg(value) AS v FROM market_data
    WHERE market = $1 AND series_id = $7 AND kind = $4 AND interval_start >= $5 AND interval_start < $6 GROUP BY 1)
  SELECT corr(price.v, driver.v) AS r, regr_slope(price.v, driver.v) AS slope, count(*)::int AS hours,
    avg(price.v) AS price_mean, avg(driver.v) AS driver_mean
  FROM price JOIN driver USING (h)`;

/**
 * How a price moved with system wind, load or solar over a period: the Pearson correlation of hourly means
 * (PostgreSQL corr) and the least-squares slope in $/MWh per GW (regr_slope x 1000), over the hours both hold.
 */
export async function relationFact(pool: pg.Pool, market: string, series: string, kind: string, driver: 'WIND' | 'LOAD' | 'SOLAR', p: FactPeriod): Promise<MeasureFact | null> {
  const res = await pool.query<{ r: number | null; slope: number | null; hours: number; price_mean: number | null; driver_mean: number | null }>(SQL_RELATION, [market, series, kind, driver, new Date(p.from), new Date(p.to), SYSTEM_SERIES_ID]);
  const r = res.rows[0];
  if (!r || r.hours < 3 || r.r === null || r.slope === null) return null;
  const corr = Math.round(Number(r.r) * 100) / 100;
  const slope = Math.round(Number(r.slope) * 1000 * 100) / 100;
  const strength = Math.abs(corr) >= 0.7 ? 'strong' : Math.abs(corr) >= 0.4 ? 'moderate' : Math.abs(corr) >= 0.2 ? 'weak' : 'little or no';
  const dir = corr < 0 ? 'negative' : 'positive';
  return {
    id: `relation:${series}:${kind}:${driver}:${new Date(p.from).toISOString()}/${new Date(p.to).toISOString()}`,
    text: `${series} ${kindLabel(kind)} against system ${kindLabel(driver)}, ${p.text}, over ${r.hours} hours of hourly means: correlation ${corr.toFixed(2)} (${strength}${strength === 'little or no' ? '' : ` ${dir}`} relation); the price changed by ${slope.toFixed(2)} $/MWh per GW of ${kindLabel(driver)} (least-squares slope); average price ${formatValue(Number(r.price_mean), '$')} $/MWh, average ${kindLabel(driver)} ${Math.round(Number(r.driver_mean))} MW.`,
    numbers: { correlation: corr, slopePerGw: slope, hours: r.hours },
    values: [
      { series, kind, measure: 'correlation', value: corr, unit: '' }, { series, kind, measure: 'slope', value: slope, unit: '$/MWh per GW' }, { series, kind, measure: 'hours', value: r.hours, unit: 'hours' },
      { series, kind, measure: 'mean', value: roundAsWritten(Number(r.price_mean), '$'), unit: '$/MWh' }, { series: SYSTEM_SERIES_ID, kind: driver, measure: 'mean', value: Math.round(Number(r.driver_mean)), unit: 'MW' },
    ],
  };
}

/**
 * The hours of forecast steps as an answer names them: on US Central (ERCOT) each day's hours ending ("2024-06-25 HE
 * 3-5, 22"), per Central day; on another market's clock the steps' start times. Pure.
 */
function stepHours(market: string, ats: readonly number[]): string {
  const clock = marketClock(market);
  if (clock.zone !== CENTRAL_CLOCK.zone) return ats.map((t) => clock.label(t)).join(', ');
  const byDay = new Map<string, number[]>();
  for (const t of ats) {
    const h = ercotHourLabel(t);
    byDay.set(h.date, [...(byDay.get(h.date) ?? []), h.hourEnding]);
  }
  return [...byDay].map(([d, hes]) => `${d} ${hourEndingRanges(hes)}`).join('; ');
}

/**
 * Whether a price is forecast to go negative (the forecast measure with Intent.forecastNegative: "Will HB_WEST go
 * negative tomorrow?"), from the newest forecast issued by the clock, over its steps within `p` when given: a yes or no
 * on the median (P50 below 0 in which hours, else its lowest value), and the band's lower edge (P10 below 0 in which
 * hours) when the forecast has one. The P10 and P50 are the forecaster's 10% and 50% quantiles (model/README.md), so
 * P(price <= P10) = 10%: a P10 below 0 means P(price < 0) >= 10%, "at least a 1-in-10 chance"; a P50 below 0 means
 * P(price < 0) >= 50%, "at least even odds" (reviewer nit: it said "more likely than not", which is > 50%); a P10 at
 * or above 0, P(price < 0) <= 10%, "at most a 1-in-10 chance" (reviewer finding: it said "about a 1-in-10 chance" for
 * any P10 below 0). Null when no forecast step falls in `p` (the responder then says where the forecast ends).
 */
export async function negativeForecastFact(pool: pg.Pool, market: string, series: string, kind: string, now: number, p: FactPeriod | null): Promise<MeasureFact | null> {
  const r = await storedForecast(pool, market, series, kind, { issuedBy: now });
  if (!r || r.values.length === 0) return null;
  let steps = r.values.map((v, i) => ({ v: Number(v), at: r.targetStart + i * r.stepMs, p10: r.p10?.[i] === undefined || r.p10?.[i] === null ? null : Number(r.p10[i]) }));
  if (p) steps = steps.filter((x) => x.at < p.to && x.at + r.stepMs > p.from);
  if (steps.length === 0) return null;
  const u = unitText(r.unit);
  const f = (v: number) => formatValue(v, r.unit);
  const lo = steps.reduce((a, x) => (x.v < a.v ? x : a));
  const p50neg = steps.filter((x) => x.v < 0);
  const banded = steps.every((x) => x.p10 !== null);
  const p10neg = banded ? steps.filter((x) => x.p10! < 0) : [];
  const lo10 = banded ? steps.reduce((a, x) => (x.p10! < a.p10! ? x : a)) : null;
  const when = p ? p.text : `the ${steps.length} forecast steps from ${timeLabel(market, steps[0]!.at)}`;
  const end = r.targetStart + r.values.length * r.stepMs;
  const beyond = p && p.to > end ? ` The forecast ends ${timeLabel(market, end)}: it does not cover the rest of ${p.text}.` : '';
  const median = p50neg.length > 0
    ? `Yes on the median: its P50 is below 0 in ${stepHours(market, p50neg.map((x) => x.at))} (lowest ${f(lo.v)} ${u} at ${timeLabel(market, lo.at)})`
    : `Not on the median: its P50 never goes below 0 (lowest ${f(lo.v)} ${u} at ${timeLabel(market, lo.at)})`;
  // The hours whose P50 is below 0 as well: a negative price has at least even odds in them (P(price < 0) >= 50%).
  const likely = p50neg.length === 0 ? '' : p50neg.length === p10neg.length ? ', and at least even odds in each (its P50 is below 0 too)'
    : `, and at least even odds in ${stepHours(market, p50neg.map((x) => x.at))} (its P50 is below 0 there)`;
  const band = !banded ? '; the forecast has no P10-P90 band, so no chance is given'
    : p10neg.length > 0 ? `; its P10 is below 0 in ${stepHours(market, p10neg.map((x) => x.at))} (lowest ${f(lo10!.p10!)} ${u} at ${timeLabel(market, lo10!.at)}): at least a 1-in-10 chance of a negative price in each of those hours${likely}`
      : `; its P10 never goes below 0 either (lowest ${f(lo10!.p10!)} ${u} at ${timeLabel(market, lo10!.at)}): at most a 1-in-10 chance of a negative price in every hour`;
  const v = (measure: string, value: number, at?: number): FactValue => ({ series, kind, measure, value: roundAsWritten(value, r.unit), unit: u, ...(at !== undefined ? { at } : {}) });
  return {
    id: `forecast-negative:${series}:${kind}:${r.modelVersion}:${r.targetStart}`,
    text: `Will ${series} ${kindLabel(kind)} go negative, ${when}? The forecast (model ${r.modelVersion}, issued ${timeLabel(market, r.issuedAt)}): ${median}${band}.${beyond}`,
    numbers: { negativeP50Steps: p50neg.length, negativeP10Steps: p10neg.length, minP50: roundAsWritten(lo.v, r.unit) },
    values: [v('min', lo.v, lo.at), ...(lo10 ? [v('p10', lo10.p10!, lo10.at)] : []), { series, kind, measure: 'negativeP50Steps', value: p50neg.length, unit: 'steps' }, { series, kind, measure: 'negativeP10Steps', value: p10neg.length, unit: 'steps' }],
  };
}

/**
 * The N hours of the newest forecast with the highest (or lowest) P50 within `p` (the forecast measure with
 * Intent.topHours: "Top 3 hours to discharge at HB_WEST tomorrow"), ranked, each with its time, hour ending and value;
 * says where the forecast ends when `p` runs past it, and when it has fewer steps than asked. Null when no step falls
 * in `p`.
 */
export async function topHoursForecastFact(pool: pg.Pool, market: string, series: string, kind: string, now: number, p: FactPeriod | null, top: { count: number; order: 'highest' | 'lowest' }): Promise<MeasureFact | null> {
  const r = await storedForecast(pool, market, series, kind, { issuedBy: now });
  if (!r || r.values.length === 0) return null;
  let steps = r.values.map((v, i) => ({ v: Number(v), at: r.targetStart + i * r.stepMs }));
  if (p) steps = steps.filter((x) => x.at < p.to && x.at + r.stepMs > p.from);
  if (steps.length === 0) return null;
  const ranked = [...steps].sort((a, b) => (top.order === 'highest' ? b.v - a.v : a.v - b.v) || a.at - b.at).slice(0, top.count);
  const u = unitText(r.unit);
  const end = r.targetStart + r.values.length * r.stepMs;
  const beyond = p && p.to > end ? ` The forecast ends ${timeLabel(market, end)}: it does not cover the rest of ${p.text}.` : '';
  const fewer = ranked.length < top.count ? ` (only ${ranked.length} forecast hours fall in the period)` : '';
  const list = ranked.map((x, i) => `${i + 1}. ${stepHours(market, [x.at])} (from ${timeLabel(market, x.at)}): ${formatValue(x.v, r.unit)} ${u}`).join('; ');
  return {
    id: `forecast-top:${series}:${kind}:${r.modelVersion}:${r.targetStart}:${top.order}:${top.count}`,
    text: `The ${top.count} forecast hours of ${series} ${kindLabel(kind)} with the ${top.order} P50${p ? `, ${p.text}` : ''} (model ${r.modelVersion}, issued ${timeLabel(market, r.issuedAt)}; ${top.order === 'highest' ? 'the hours to discharge in' : 'the hours to charge in'})${fewer}: ${list}.${beyond}`,
    numbers: { hours: ranked.length },
    values: [...ranked.map((x) => ({ series, kind, measure: 'value', value: roundAsWritten(x.v, r.unit), unit: u, at: x.at })), { series, kind, measure: 'hours', value: ranked.length, unit: 'hours' }],
  };
}

/**
 * What a forecast question gets when forecastFact found nothing and the series is not forecast at all (it has
 * market data, the forecaster does not predict it): that it is not forecast and which series are (`forecast`, from
 * reports/forecasts.ts forecastSeries). A fact without numbers. Null when the series is forecast: then no forecast covers the time asked.
 */
export function notForecastFact(series: string, kind: string, forecast: readonly string[], market: string): MeasureFact | null {
  if (forecast.includes(series)) return null;
  const which = forecast.length > 0 ? `the forecaster predicts ${kindLabel(kind)} for ${forecast.join(', ')} only` : `no series' ${kindLabel(kind)} is forecast in market ${market}`;
  return { id: `not-forecast:${series}:${kind}`, text: `${series} ${kindLabel(kind)} is not forecast: ${which}.`, numbers: {}, values: [] };
}

/**
 * The newest forecast issued at or before the market clock; within `p` when given (its steps that overlap it, so
 * "18:30" finds the hourly step 18:00-19:00). One step is stated with its P10-P90 band when the forecast has one.
 */
export async function forecastFact(pool: pg.Pool, market: string, series: string, kind: string, now: number, p: FactPeriod | null): Promise<MeasureFact | null> {
  const r = await storedForecast(pool, market, series, kind, { issuedBy: now });
  if (!r || r.values.length === 0) return null;
  const step = r.stepMs;
  const start0 = r.targetStart;
  let steps = r.values.map((v, i) => ({ v: Number(v), at: start0 + i * step, p10: r.p10?.[i], p90: r.p90?.[i] }));
  if (p) steps = steps.filter((s) => s.at < p.to && s.at + step > p.from);
  if (steps.length === 0) return null;
  // A period asked that runs past the forecast's last step: said, with where the forecast ends (forecasts run 36 h).
  const end = start0 + r.values.length * step;
  const beyond = p && p.to > end ? ` The forecast ends ${timeLabel(market, end)}: it does not cover the rest of ${p.text}.` : '';
  const u = unitText(r.unit);
  const f = (v: number) => formatValue(v, r.unit);
  if (steps.length === 1) {
    const s0 = steps[0]!;
    const band = s0.p10 !== undefined && s0.p90 !== undefined && s0.p10 !== null && s0.p90 !== null ? { p10: Number(s0.p10), p90: Number(s0.p90) } : null;
    const fv = (measure: string, value: number): FactValue => ({ series, kind, measure, value: roundAsWritten(value, r.unit), unit: u, at: s0.at });
    return {
      id: `forecast:${series}:${kind}:${r.modelVersion}:${start0}`,
      text: `The forecast for ${series} ${kindLabel(kind)}${p ? `, ${p.text}` : ''} (model ${r.modelVersion}, issued ${timeLabel(market, r.issuedAt)})${p && p.from === s0.at && p.to === s0.at + step ? '' : ` for ${timeLabel(market, s0.at)} to ${timeLabel(market, s0.at + step)}`} is ${f(s0.v)} ${u}${band ? `, with an 80% band (P10 to P90) of ${f(band.p10)} to ${f(band.p90)} ${u}` : ''}.${beyond}`,
      numbers: { value: roundAsWritten(s0.v, r.unit), ...(band ? { p10: roundAsWritten(band.p10, r.unit), p90: roundAsWritten(band.p90, r.unit) } : {}), steps: 1 },
      values: [fv('value', s0.v), ...(band ? [fv('p10', band.p10), fv('p90', band.p90)] : [])],
    };
  }
  const mean = steps.reduce((a, s) => a + s.v, 0) / steps.length;
  const hi = steps.reduce((a, s) => (s.v > a.v ? s : a));
  const lo = steps.reduce((a, s) => (s.v < a.v ? s : a));
  const v = (measure: string, value: number, at?: number): FactValue => ({ series, kind, measure, value: roundAsWritten(value, r.unit), unit: u, ...(at !== undefined ? { at } : {}) });
  return {
    id: `forecast:${series}:${kind}:${r.modelVersion}:${start0}`,
    text: `The forecast for ${series} ${kindLabel(kind)}${p ? `, ${p.text}` : ''} (model ${r.modelVersion}, issued ${timeLabel(market, r.issuedAt)}) has ${steps.length} steps from ${timeLabel(market, steps[0]!.at)}: next value ${f(steps[0]!.v)} ${u}, average ${f(mean)} ${u}, low ${f(lo.v)} ${u} at ${timeLabel(market, lo.at)}, high ${f(hi.v)} ${u} at ${timeLabel(market, hi.at)}.${beyond}`,
    numbers: { next: roundAsWritten(steps[0]!.v, r.unit), mean: roundAsWritten(mean, r.unit), min: roundAsWritten(lo.v, r.unit), max: roundAsWritten(hi.v, r.unit), steps: steps.length },
    values: [v('next', steps[0]!.v, steps[0]!.at), v('mean', mean), v('min', lo.v, lo.at), v('max', hi.v, hi.at), { series, kind, measure: 'steps', value: steps.length, unit: 'steps' }],
  };
}
