// GET /dispatch: tomorrow's schedule of a configured battery (?asset=) or an ad-hoc one (?series=&power=&energy=),
// optimised on the latest forecast of the settlement point's real-time price, with the expected revenue and the
// forecast it used. A configured asset's stored schedule from the live dispatcher (dispatch_schedules) that the plan's
// start state was read from is returned beside it when there is one. An ad-hoc battery takes a configured battery's
// operating settings (dispatch/assets-config.ts adHocBattery, as /query). Parameters validated by one schema (validate.ts), which also documents the route.
import express, { type Request, type Response } from 'express';
import type pg from 'pg';
import { ASSET_LIMITS, type BatteryAsset } from '../dispatch/asset.js';
import { AD_HOC_ASSET_ID, AD_HOC_INHERITED, adHocBasis, adHocBattery, assetById, loadAssets } from '../dispatch/assets-config.js';
import { daySpan, noTradeReason } from '../dispatch/day-ahead.js';
import { loadSolver } from '../dispatch/optimiser.js';
import type { ForecastCurve } from '../dispatch/strategies.js';
import { DispatchError } from '../dispatch/errors.js';
import { MARKET_PARAM, SERIES_PARAM } from './forecast-params.js';
import { missingForecast } from './forecast-store.js';
import { storedForecast } from '../reports/forecasts.js';
import { planDayWithSchedule } from '../reports/day-plan.js';
import type { LiveSchedule } from '../reports/schedules.js';
import { type RouteSchema, validated } from './validate.js';

export const DISPATCH_ROUTES = {
  dispatch: {
    method: 'get',
    path: '/dispatch',
    summary: 'Tomorrow\'s (US Central, on the market clock) charge/discharge schedule of a battery, optimised (LP, HiGHS) on the latest forecast of its settlement point\'s real-time price (P50; revenue also at P10/P90): per hour charge MW, discharge MW, state of charge MWh, price, revenue; the expected net revenue; the forecast used. Either asset= (config/assets.json) or series= with power= and energy= for an ad-hoc battery, which takes its other settings (round-trip efficiency unless efficiency= is given, state-of-charge limits, initial state of charge, daily cycle limit, degradation cost) from the configured battery at that settlement point in market= (its market in config/assets.json), else the first configured one, as /query plans a battery described by size.',
    tags: ['dispatch'],
    query: {
      asset: { type: 'string', description: 'A configured asset id (config/assets.json), case-insensitive.', pattern: /^[A-Za-z0-9_.-]{1,64}$/, maxLength: 64, example: 'bess-north' },
      series: { ...SERIES_PARAM, description: `Ad-hoc battery: its settlement point. ${SERIES_PARAM.description}` },
      power: { type: 'number', description: 'Ad-hoc battery: power, MW.', exclusiveMinimum: 0, maximum: ASSET_LIMITS.maxPowerMw, maxLength: 16, example: 10 },
      energy: { type: 'number', description: 'Ad-hoc battery: energy, MWh.', exclusiveMinimum: 0, maximum: ASSET_LIMITS.maxEnergyMwh, maxLength: 16, example: 20 },
      efficiency: { type: 'number', description: 'Ad-hoc battery: round-trip efficiency, a fraction; the inherited battery\'s (adHocSettings) when not given.', exclusiveMinimum: 0, maximum: 1, maxLength: 16 },
      market: MARKET_PARAM,
      day: { type: 'string', description: 'tomorrow (the day after the latest forecast\'s first interval) or today.', enum: ['tomorrow', 'today'], default: 'tomorrow', maxLength: 8 },
      basis: { type: 'string', description: 'Optimise on the forecast\'s p50 or its mean (0.3 P10 + 0.4 P50 + 0.3 P90, the expected price).', enum: ['p50', 'mean'], default: 'p50', maxLength: 4 },
    },
    responses: {
      '200': { description: 'The plan: day, initialSocMwh (the state of charge at the plan\'s first interval: the live dispatcher\'s stored schedule there, else the battery\'s initial setting) and initialSocSource (which, in words), intervals, expectedRevenue (at the forecast\'s P50 prices), revenueAtP10/P90 (the same schedule valued on the forecast\'s P10 / P90 price curves), chargeHours, dischargeHours, cycleEnergyUsedMwh (energy already discharged out of storage on the plan\'s day before its first interval) and cycleEnergyLeftMwh (what the daily cycle limit leaves for the day; null without a limit), noTradeReason (why a plan neither charges nor discharges: the daily cycle limit used up, a full battery with no price above the degradation cost, else its best spread against round-trip losses and degradation; null when it trades), forecast, adHocSettings (an ad-hoc battery only, else null: {from: the configured battery id, reason: why that one, in words, settings: the values taken from it, efficiencyGiven: whether efficiency= replaced its round-trip efficiency}), and dispatcherSchedule: the live dispatcher\'s stored schedule the plan\'s start state was read from (asset= only; the newest of the battery\'s market whose forecast input ended by the plan\'s first interval, the P50 strategy first: the row initialSocSource names) or null.' },
      '400': { description: 'Neither asset nor series+power+energy, both, or a parameter out of bounds.' },
      '404': { description: 'Unknown asset, or no forecast of the settlement point (or none covering the day).' },
      '503': { description: 'The store is unavailable.' },
    },
  },
  assets: {
    method: 'get',
    path: '/api/assets',
    summary: 'The configured batteries (config/assets.json): id, settlement point, power, energy, efficiency, state-of-charge bounds, cycle limit, degradation cost; and `plannable`: the day GET /dispatch can plan from the latest forecast (tomorrow, today, or null without one).',
    tags: ['dispatch'],
    query: {},
    responses: { '200': { description: '{assets: [...]}' }, '500': { description: 'The asset file is invalid (the detail names each problem).' } },
  },
} as const satisfies Record<string, RouteSchema>;

/** GET /dispatch's query as DISPATCH_ROUTES.dispatch validated it (defaults filled in). */
interface DispatchQuery {
  asset?: string;
  series?: string;
  /** MW, > 0. */
  power?: number;
  /** MWh, > 0. */
  energy?: number;
  /** Round trip, a fraction in (0, 1]. */
  efficiency?: number;
  market: string;
  day: 'tomorrow' | 'today';
  basis: 'p50' | 'mean';
}

/** The newest forecast of a series' real-time price (newest first interval, then newest issue). */
export async function latestPriceForecast(pool: pg.Pool, market: string, series: string): Promise<(ForecastCurve & { modelVersion: string }) | null> {
  return storedForecast(pool, market, series, 'RT_PRICE', { latestTarget: true });
}

/**
 * The live dispatcher's stored schedule a plan started from (reports/day-plan.ts planDayWithSchedule, read by
 * reports/schedules.ts latestLiveSchedule) as GET /dispatch returns it: times ISO, power MW, state of charge MWh,
 * prices $/MWh, revenues $ (P10/P90 null when the forecast had no quantiles).
 */
function scheduleJson(x: LiveSchedule): Record<string, unknown> {
  return {
    strategy: x.strategy, modelVersion: x.modelVersion, forecastIssuedAt: new Date(x.forecastIssuedAt).toISOString(), forecastInputEnd: new Date(x.forecastInputEnd).toISOString(),
    start: new Date(x.startAt).toISOString(), end: new Date(x.startAt + x.chargeMw.length * x.stepMs).toISOString(), stepMs: x.stepMs,
    chargeMw: x.chargeMw, dischargeMw: x.dischargeMw, socMwh: x.socMwh, prices: x.prices, initialSocMwh: x.initialSocMwh,
    expectedRevenue: x.expectedRevenue, revenueAtP10: x.revenueAtP10 ?? null, revenueAtP90: x.revenueAtP90 ?? null,
  };
}

/** An error answer: {error, detail}, and `param` (the parameter at fault) on a 400 about a parameter, as validate.ts answers. */
function sendError(res: Response, status: number, error: string, detail: string, param?: string): void {
  res.status(status).json(param === undefined ? { error, detail } : { error, param, detail });
}

/**
 * The first parameter an ad-hoc battery lacks (series, power, energy in that order), or undefined when it has all three.
 * With none of them and no asset either, `asset` is named: it is the first of the two ways to ask.
 */
function missingDispatchParam(q: DispatchQuery): 'asset' | 'series' | 'power' | 'energy' | undefined {
  if (q.series === undefined && q.power === undefined && q.energy === undefined && q.efficiency === undefined) return 'asset';
  if (q.series === undefined) return 'series';
  if (q.power === undefined) return 'power';
  if (q.energy === undefined) return 'energy';
  return undefined;
}

export function dispatchApi(deps: { pool: pg.Pool; assetsFile?: string }): express.Router {
  const router = express.Router();
  let assets: BatteryAsset[] | null = null;
  let assetsError: string | null = null;
  try {
    assets = loadAssets(deps.assetsFile);
  } catch (err) {
    assetsError = (err as Error).message;
  }
  router.get(DISPATCH_ROUTES.assets.path, validated(DISPATCH_ROUTES.assets), async (_req: Request, res: Response) => {
    if (!assets) return sendError(res, 500, 'assets_invalid', `the asset list cannot be used: ${assetsError}`);
    const out = [];
    for (const a of assets) {
      const f = await latestPriceForecast(deps.pool, a.market, a.settlementPoint);
      const steps = (day: 'tomorrow' | 'today') => (f === null ? 0 : Math.max(0, daySpan(f, day).last - daySpan(f, day).first));
      // The day a desk acts on: tomorrow, unless the forecast covers more of today (the market clock on a Central
      // midnight: all of the day just begun, half of tomorrow).
      const tomorrow = steps('tomorrow');
      const today = steps('today');
      out.push({ ...a, plannable: tomorrow > 0 && tomorrow >= today ? 'tomorrow' : today > 0 ? 'today' : null });
    }
    return res.json({ assets: out });
  });
  router.get(DISPATCH_ROUTES.dispatch.path, validated(DISPATCH_ROUTES.dispatch), async (_req: Request, res: Response) => {
    const q = res.locals.query as DispatchQuery;
    const adHoc = q.series !== undefined || q.power !== undefined || q.energy !== undefined || q.efficiency !== undefined;
    if (q.asset !== undefined && adHoc) return sendError(res, 400, 'bad_request', 'give either asset= or series= with power= and energy=, not both', 'asset');
    let asset: BatteryAsset;
    let inherited: { from: string; reason: string; settings: Record<string, number | null>; efficiencyGiven: boolean } | null = null;
    if (q.asset !== undefined) {
      if (!assets) return sendError(res, 500, 'assets_invalid', `the asset list cannot be used: ${assetsError}`);
      // Ids are case-insensitive (BESS-NORTH is bess-north); an exact match wins should two differ only in case.
      const found = assetById(assets, q.asset);
      if (!found) return sendError(res, 404, 'unknown_asset', `no asset ${q.asset}; configured: ${assets.map((a) => a.id).join(', ')}`);
      asset = found;
    } else {
      const missing = missingDispatchParam(q);
      if (missing === 'asset') return sendError(res, 400, 'bad_request', 'asset is required, or series=, power= and energy= for an ad-hoc battery: give asset= (e.g. asset=bess-north) or series=, power= and energy= (e.g. series=HB_NORTH&power=10&energy=20)', 'asset');
      if (missing !== undefined || q.series === undefined || q.power === undefined || q.energy === undefined) {
        const name = missing ?? 'series';
        return sendError(res, 400, 'bad_request', `${name} is required for an ad-hoc battery (series=, power= and energy=, e.g. series=HB_NORTH&power=10&energy=20), or give asset= (e.g. asset=bess-north)`, name);
      }
      // The configured battery's operating settings, as /query's battery described by size (adHocBattery, adHocBasis).
      if (!assets) return sendError(res, 500, 'assets_invalid', `the asset list cannot be used, and an ad-hoc battery takes its settings from it: ${assetsError}`);
      const basis = adHocBasis(assets, [q.series], q.market);
      try {
        asset = adHocBattery(basis.asset, { id: AD_HOC_ASSET_ID, settlementPoint: q.series, market: q.market, powerMw: q.power, energyMwh: q.energy, ...(q.efficiency !== undefined ? { roundTripEfficiency: q.efficiency } : {}) });
      } catch (err) {
        if (err instanceof DispatchError) return sendError(res, 400, 'bad_request', err.message);
        throw err;
      }
      inherited = { from: basis.asset.id, reason: basis.reason, settings: Object.fromEntries(AD_HOC_INHERITED.filter((k) => k !== 'roundTripEfficiency' || q.efficiency === undefined).map((k) => [k, basis.asset[k]])), efficiencyGiven: q.efficiency !== undefined };
    }
    const f = await latestPriceForecast(deps.pool, asset.market, asset.settlementPoint);
    if (!f) {
      const missing = await missingForecast(deps.pool, asset.market, asset.settlementPoint, 'RT_PRICE', `no forecast of ${asset.settlementPoint} (${asset.market}, RT_PRICE) yet; run the forecaster (sda process forecaster)`);
      return sendError(res, 404, missing.error, missing.detail);
    }
    const day = q.day;
    // From the battery's real state at the plan's first interval (the live dispatcher's stored schedule), so this plan,
    // the dashboard and /query agree (reports/day-plan.ts). An ad-hoc battery follows no schedule: its configured
    // initial state of charge, and no stored schedule is read (reviewer, 2026-12-02: one of asset id 'adhoc' was).
    const planned = await planDayWithSchedule(deps.pool, await loadSolver(), asset, f, day, { basis: q.basis, adHoc: q.asset === undefined });
    if (!planned) return sendError(res, 404, 'no_forecast', `the latest forecast of ${asset.settlementPoint} (first interval ${new Date(f.targetStart).toISOString()}, ${f.values.length} steps) does not reach ${day}; try day=today`);
    const { plan, schedule } = planned;
    return res.json({
      asset: { id: asset.id, settlementPoint: asset.settlementPoint, market: asset.market, powerMw: asset.powerMw, energyMwh: asset.energyMwh, roundTripEfficiency: asset.roundTripEfficiency, minSoc: asset.minSoc, maxSoc: asset.maxSoc, initialSoc: asset.initialSoc, dailyCycleLimit: asset.dailyCycleLimit, degradationCostPerMwh: asset.degradationCostPerMwh },
      ...plan,
      // Why a plan neither charges nor discharges (the cycle limit used up, a full battery, else the best spread against
      // round-trip losses and degradation), else null.
      noTradeReason: noTradeReason(plan, asset)?.text ?? null,
      // The configured battery an ad-hoc battery took its operating settings from, and why that one.
      adHocSettings: inherited,
      forecastCurve: { targetStart: new Date(f.targetStart).toISOString(), stepMs: f.stepMs, p50: f.values, p10: f.p10 ?? null, p90: f.p90 ?? null },
      // The row the plan's start state came from (initialSocSource names it), not a second read of "the newest".
      dispatcherSchedule: q.asset !== undefined && schedule ? scheduleJson(schedule) : null,
    });
  });
  return router;
}
