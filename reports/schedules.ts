// Stored battery schedules (the `dispatch_schedules` table, platform/postgres/migrations/009_dispatch_schedules.sql) as
// the responder reads them for a period already over: what the dispatcher scheduled a battery to do, from the live
// pipeline (run '') or a backtest run (run NAME, `sda backtest --run NAME`). One parameterised query; the stitching is
// pure and follows the battery's rule (processors/dispatcher/plan.ts, dispatch/strategies.ts fromSchedules): at each
// interval the battery follows the newest schedule whose forecast input ended by then.
import type pg from 'pg';
import type { DispatchSchedule } from '../schemas/types.js';

/**
 * One stored schedule: the generated DispatchSchedule's fields the table keeps and the responder reads (interval i
 * covers [startAt + i*stepMs, startAt + (i+1)*stepMs); MW, MWh at the interval's end, $/MWh: schemas/DispatchSchedule.avsc's
 * docs), picked from the generated type so the two cannot drift, plus the table's own columns.
 */
export interface StoredSchedule
  extends Pick<DispatchSchedule, 'strategy' | 'modelVersion' | 'forecastIssuedAt' | 'forecastInputEnd' | 'startAt' | 'stepMs' | 'chargeMw' | 'dischargeMw' | 'socMwh' | 'prices' | 'initialSocMwh'> {
  /** '' for the live pipeline, else the backtest run's name. */
  run: string;
  /** When the dispatch sink stored the row, UTC ms. */
  storedAt: number;
}

/**
 * Schedules of one battery of a market that reach into [$3, $4) and whose forecast input ended before $4, every run,
 * oldest input first; at most $5 rows. The primary key (run, asset_id, ...) and the index on (run, asset_id,
 * forecast_input_end) bound the read by asset.
 */
export const SQL_STORED_SCHEDULES = `SELECT run, strategy, model_version, forecast_issued_at, forecast_input_end, start_at, step_ms, charge_mw, discharge_mw, soc_mwh, prices, initial_soc_mwh, stored_at
  FROM dispatch_schedules WHERE market = $1 AND asset_id = $2 AND end_at > $3 AND start_at < $4 AND forecast_input_end < $4
  ORDER BY run, strategy, forecast_input_end, start_at LIMIT $5`;

/**
 * The stored schedules of battery `assetId` in `market` that cover part of [from, to) (UTC ms), every run; [] when the
 * table holds none (or does not exist yet: a database the dispatch migration has not reached). Errors: the pool's
 * other errors; RangeError for a span that is not from < to.
 */
export async function storedSchedules(pool: pg.Pool, market: string, assetId: string, from: number, to: number, limit = 5_000): Promise<StoredSchedule[]> {
  if (!(Number.isFinite(from) && Number.isFinite(to) && from < to)) throw new RangeError(`storedSchedules: the span must be from < to (got ${from}, ${to})`);
  let rows: Array<Record<string, unknown>>;
  try {
    rows = (await pool.query(SQL_STORED_SCHEDULES, [market, assetId, new Date(from), new Date(to), limit])).rows as Array<Record<string, unknown>>;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return []; // undefined_table
    throw err;
  }
  const ms = (d: unknown) => (d as Date).getTime();
  const nums = (a: unknown) => (a as Array<number | string>).map(Number);
  return rows.map((r) => ({
    run: r.run as string, strategy: r.strategy as string, modelVersion: r.model_version as string, forecastIssuedAt: ms(r.forecast_issued_at), forecastInputEnd: ms(r.forecast_input_end),
    startAt: ms(r.start_at), stepMs: Number(r.step_ms), chargeMw: nums(r.charge_mw), dischargeMw: nums(r.discharge_mw), socMwh: nums(r.soc_mwh), prices: nums(r.prices),
    initialSocMwh: Number(r.initial_soc_mwh), storedAt: ms(r.stored_at),
  }));
}

/** One interval of a stitched day: what the battery was scheduled to do in [start, start + stepMs). */
export interface FollowedInterval {
  start: number;
  chargeMw: number;
  dischargeMw: number;
  /** State of charge at the interval's end, MWh. */
  socMwh: number;
  /** The price the schedule followed was optimised on, $/MWh. */
  price: number;
  /** The schedule followed: its forecast's model and issue time (UTC ms). */
  modelVersion: string;
  forecastIssuedAt: number;
}

/**
 * What a battery did over [from, to) by its schedules of ONE run and strategy: at each interval (the smallest step of
 * the schedules) the newest schedule whose forecast input ended at or before the interval's start (ties: the later
 * first interval), its value at that interval; an interval no such schedule covers is left out (no schedule
 * applied). Pure.
 * @returns the intervals covered, in time order, and the schedules followed at least once
 */
export function followSchedules(schedules: readonly StoredSchedule[], from: number, to: number): { intervals: FollowedInterval[]; followed: StoredSchedule[] } {
  if (schedules.length === 0) return { intervals: [], followed: [] };
  const step = Math.min(...schedules.map((s) => s.stepMs));
  const sorted = [...schedules].sort((a, b) => a.forecastInputEnd - b.forecastInputEnd || a.startAt - b.startAt);
  const intervals: FollowedInterval[] = [];
  const followed = new Set<StoredSchedule>();
  let next = 0;
  let latest: StoredSchedule | undefined;
  for (let at = from; at < to; at += step) {
    while (next < sorted.length && sorted[next]!.forecastInputEnd <= at) latest = sorted[next++];
    if (!latest) continue;
    const k = Math.floor((at - latest.startAt) / latest.stepMs);
    if (k < 0 || k >= latest.chargeMw.length) continue;
    followed.add(latest);
    intervals.push({ start: at, chargeMw: latest.chargeMw[k]!, dischargeMw: latest.dischargeMw[k]!, socMwh: latest.socMwh[k]!, price: latest.prices[k]!, modelVersion: latest.modelVersion, forecastIssuedAt: latest.forecastIssuedAt });
  }
  return { intervals, followed: [...followed] };
}

/**
 * The run and strategy whose schedules a past period is read from: the live pipeline ('') when it covers any interval,
 * else the backtest run covering the most intervals (ties: the one stored last); within a run the strategy 'forecast'
 * (the P50) when stored, else the one covering the most. Null when no schedule covers any interval. Pure.
 */
export function chooseStoredRun(schedules: readonly StoredSchedule[], from: number, to: number): { run: string; strategy: string; intervals: FollowedInterval[]; followed: StoredSchedule[] } | null {
  const groups = new Map<string, StoredSchedule[]>();
  for (const s of schedules) {
    const key = `${s.run}\u0000${s.strategy}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const cands = [...groups.values()].map((g) => ({ run: g[0]!.run, strategy: g[0]!.strategy, storedAt: Math.max(...g.map((s) => s.storedAt)), ...followSchedules(g, from, to) })).filter((c) => c.intervals.length > 0);
  if (cands.length === 0) return null;
  const live = cands.filter((c) => c.run === '');
  const byRun = (c: (typeof cands)[number]) => Math.max(...cands.filter((x) => x.run === c.run).map((x) => x.intervals.length));
  const runStored = (c: (typeof cands)[number]) => Math.max(...cands.filter((x) => x.run === c.run).map((x) => x.storedAt));
  const run = live.length > 0 ? '' : [...cands].sort((a, b) => byRun(b) - byRun(a) || runStored(b) - runStored(a))[0]!.run;
  const inRun = cands.filter((c) => c.run === run);
  const best = inRun.find((c) => c.strategy === 'forecast') ?? [...inRun].sort((a, b) => b.intervals.length - a.intervals.length)[0];
  return best ? { run: best.run, strategy: best.strategy, intervals: best.intervals, followed: best.followed } : null;
}

/**
 * The newest schedule the live dispatcher (run '') stored for battery `assetId` of `market` whose forecast input ended
 * at or before `byInputEnd` (UTC ms): newest input end first, then the later first interval, then the P50 strategy
 * ('forecast') before 'forecast:mean'. With the cycle energy it started with, so the dispatcher's state rule
 * (processors/dispatcher/plan.ts stateAt) can roll it forward, and its revenues. Null when none is stored (or the
 * table does not exist). The one read of "the dispatcher's schedule" of a battery: a plan's start state
 * (reports/day-plan.ts) and GET /dispatch's `dispatcherSchedule` both come from it, so they name the same row.
 */
export const SQL_LIVE_SCHEDULE = `SELECT run, strategy, model_version, forecast_issued_at, forecast_input_end, start_at, step_ms, charge_mw, discharge_mw, soc_mwh, prices, initial_soc_mwh, cycle_energy_used_mwh,
    expected_revenue, revenue_at_p10, revenue_at_p90, stored_at
  FROM dispatch_schedules WHERE run = '' AND market = $1 AND asset_id = $2 AND forecast_input_end <= $3
  ORDER BY forecast_input_end DESC, start_at DESC, (strategy = 'forecast') DESC LIMIT 1`;

/**
 * A stored live schedule with the cycle energy (MWh discharged out of storage on its first interval's Central day
 * before it) it started with, and its expected net revenue at the forecast's P50 prices and the same schedule valued
 * on the P10 / P90 curves ($; null where the forecast had no quantiles), as the dispatcher stored them.
 */
export type LiveSchedule = StoredSchedule & Pick<DispatchSchedule, 'cycleEnergyUsedMwh' | 'expectedRevenue' | 'revenueAtP10' | 'revenueAtP90'>;

/** See SQL_LIVE_SCHEDULE. Errors: the pool's other errors; RangeError for a non-finite `byInputEnd`. */
export async function latestLiveSchedule(pool: pg.Pool, market: string, assetId: string, byInputEnd: number): Promise<LiveSchedule | null> {
  if (!Number.isFinite(byInputEnd)) throw new RangeError(`latestLiveSchedule: byInputEnd must be a finite UTC ms (got ${byInputEnd})`);
  let r: Record<string, unknown> | undefined;
  try {
    r = (await pool.query(SQL_LIVE_SCHEDULE, [market, assetId, new Date(byInputEnd)])).rows[0] as Record<string, unknown> | undefined;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return null; // undefined_table
    throw err;
  }
  if (!r) return null;
  const ms = (d: unknown) => (d as Date).getTime();
  const nums = (a: unknown) => (a as Array<number | string>).map(Number);
  return {
    run: r.run as string, strategy: r.strategy as string, modelVersion: r.model_version as string, forecastIssuedAt: ms(r.forecast_issued_at), forecastInputEnd: ms(r.forecast_input_end),
    startAt: ms(r.start_at), stepMs: Number(r.step_ms), chargeMw: nums(r.charge_mw), dischargeMw: nums(r.discharge_mw), socMwh: nums(r.soc_mwh), prices: nums(r.prices),
    initialSocMwh: Number(r.initial_soc_mwh), cycleEnergyUsedMwh: Number(r.cycle_energy_used_mwh), storedAt: ms(r.stored_at),
    expectedRevenue: Number(r.expected_revenue), revenueAtP10: r.revenue_at_p10 === null ? null : Number(r.revenue_at_p10), revenueAtP90: r.revenue_at_p90 === null ? null : Number(r.revenue_at_p90),
  };
}
