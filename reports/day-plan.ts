// The day-ahead plan of a battery from the state it is really in: GET /dispatch, the dashboard (which reads
// /dispatch) and the responder's dispatch answer all plan through planDay, so the three agree. A plan starts at its
// first interval (dispatch/day-ahead.ts planStartMs: the forecast's first interval on a day already begun, the
// Central midnight for tomorrow) from the battery's state there by the live dispatcher's own rule
// (processors/dispatcher/plan.ts stateAt: the battery follows its newest schedule until the next one), read from the
// dispatcher's newest stored schedule (reports/schedules.ts latestLiveSchedule). No stored schedule (no live
// dispatcher): the asset's configured initial state of charge, and the plan says so. An ad-hoc battery (opts.adHoc:
// GET /dispatch's and /query's battery given by size) reads none: its configured initial state (adHocStartState).
import type { Highs } from 'highs';
import type pg from 'pg';
import type { BatteryAsset } from '../dispatch/asset.js';
import { type DayAheadPlan, type PlanStartState, planDayAhead, planStartMs } from '../dispatch/day-ahead.js';
import type { ForecastCurve, PriceBasis } from '../dispatch/strategies.js';
import { centralLabel } from '../market/format.js';
import { stateAt } from '../processors/dispatcher/plan.js';
import { type LiveSchedule, latestLiveSchedule } from './schedules.js';

/**
 * The battery's state at `atMs` (UTC ms, a plan's first interval) by the live dispatcher's newest schedule whose
 * forecast input ended by min(atMs, asOf) (asOf: the market clock of the caller, UTC ms; default no bound): its state
 * of charge there (or where it ends, when it ends earlier) and the energy discharged on atMs's Central day before
 * atMs; the schedule read. Without one: the asset's configured initial state, `schedule` null. Pure.
 */
export function startStateFrom(asset: BatteryAsset, live: LiveSchedule | null, atMs: number): PlanStartState & { schedule: LiveSchedule | null } {
  if (!live) return { socMwh: asset.initialSoc * asset.energyMwh, cycleEnergyUsedMwh: 0, source: `no live dispatcher schedule of ${asset.id} is stored, so the battery's initial state of charge setting, ${Number((asset.initialSoc * 100).toFixed(2))}%`, schedule: null };
  const s = stateAt(asset, live, atMs);
  const end = live.startAt + live.socMwh.length * live.stepMs;
  // Times in Central prevailing time, as the plan's day and hours ending and the answers' other times (centralLabel).
  const where = atMs > end ? `where it ends, ${centralLabel(end)}, before the plan's first interval ${centralLabel(atMs)}` : `at ${centralLabel(atMs)}`;
  return { ...s, source: `the live dispatcher's schedule on forecast ${live.modelVersion} issued ${centralLabel(live.forecastIssuedAt)}, ${where}`, schedule: live };
}

/** startStateFrom on the newest live schedule stored of the battery in `market` (default its own). Errors: the pool's errors. */
export async function planStartState(pool: pg.Pool, asset: BatteryAsset, atMs: number, asOf = Number.POSITIVE_INFINITY, market = asset.market): Promise<PlanStartState & { schedule: LiveSchedule | null }> {
  return startStateFrom(asset, await latestLiveSchedule(pool, market, asset.id, Math.min(atMs, asOf)), atMs);
}

/**
 * The start state of an ad-hoc battery (GET /dispatch's series=, power=, energy=; /query's battery described by size,
 * rag/dispatch-answer.ts dispatchFact): its configured initial state of charge, no discharge used; no stored schedule
 * is read, as none is its own (its id, 'adhoc' or 'adhoc-...', is shared by every ad-hoc request of that size and
 * reserved in the asset list, dispatch/assets-config.ts isReservedAssetId). Pure.
 */
export function adHocStartState(asset: BatteryAsset): PlanStartState & { schedule: null } {
  return { socMwh: asset.initialSoc * asset.energyMwh, cycleEnergyUsedMwh: 0, source: `an ad-hoc battery, which follows no live dispatcher schedule, so its initial state of charge setting, ${Number((asset.initialSoc * 100).toFixed(2))}%`, schedule: null };
}

/** planDay's and planDayWithSchedule's options; see planDay. */
export interface PlanDayOptions {
  basis?: PriceBasis;
  asOf?: number;
  market?: string;
  adHoc?: boolean;
}

/**
 * planDayAhead from the battery's real state (planStartState) at the plan's first interval. opts: basis (default
 * 'p50'), asOf (the caller's market clock, UTC ms: schedules whose forecast input ended later are not read), market
 * (whose stored schedules; default the asset's), adHoc (an ad-hoc battery: adHocStartState, no schedule read). Null
 * when the forecast covers no interval of `day`. Errors: the pool's and the optimiser's coded errors.
 */
export async function planDay(pool: pg.Pool, highs: Highs, asset: BatteryAsset, f: ForecastCurve & { modelVersion?: string }, day: 'tomorrow' | 'today', opts: PlanDayOptions = {}): Promise<DayAheadPlan | null> {
  return (await planDayWithSchedule(pool, highs, asset, f, day, opts))?.plan ?? null;
}

/**
 * planDay, with the live dispatcher's stored schedule its start state was read from (`schedule`, null when none was,
 * and the plan started from the asset's setting): GET /dispatch returns that row as `dispatcherSchedule`, so the
 * response's schedule and its initialSocSource name the same row. Same options, nulls and errors as planDay.
 */
export async function planDayWithSchedule(
  pool: pg.Pool, highs: Highs, asset: BatteryAsset, f: ForecastCurve & { modelVersion?: string }, day: 'tomorrow' | 'today', opts: PlanDayOptions = {},
): Promise<{ plan: DayAheadPlan; schedule: LiveSchedule | null } | null> {
  const at = planStartMs(f, day);
  if (at === null) return null;
  const { schedule, ...start } = opts.adHoc ? adHocStartState(asset) : await planStartState(pool, asset, at, opts.asOf, opts.market);
  const plan = planDayAhead(highs, asset, f, day, start, opts.basis ?? 'p50');
  return plan ? { plan, schedule } : null;
}
