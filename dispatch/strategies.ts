// Dispatch strategies. Each turns what it may know at decision time into charge/discharge power per interval on
// the backtest grid; settlement (dispatch/backtest.ts) then values every strategy on the same actual prices.
import type { Highs } from 'highs';
import { centralCalendar } from '../market/calendar.js';
import { hourEndingRanges } from '../market/format.js';
import { centralDateOf } from '../market/central-time.js';
import { type BatteryAsset, legEfficiency, usableEnergyMwh } from './asset.js';
import { optimiseWith, type PriceCurve } from './optimiser.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const STRATEGY_NAMES = ['forecast', 'baseline', 'persistence', 'perfect'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** A forecast curve as the strategies need it (a Forecast record has these fields). Prices in $/MWh. */
export interface ForecastCurve {
  modelVersion?: string;
  issuedAt: number;
  /** End of the window the model read: the forecast is usable from this instant on (the market clock). */
  inputEnd: number;
  targetStart: number;
  stepMs: number;
  /** P50 (or the point forecast) per horizon. */
  values: number[];
  p10?: number[] | null;
  p90?: number[] | null;
}

/**
 * The price a forecast-driven decision optimises on: 'p50' (the median, `values`) or 'mean', the expected price by
 * Swanson's rule, 0.3 P10 + 0.4 P50 + 0.3 P90 (Hurst, Brown and Swanson, "Swanson's 30-40-30 rule", AAPG Bulletin
 * 84(12), 2000). Revenue is linear in price, so a risk-neutral battery wants the mean; real-time prices are skewed to
 * the right (scarcity), so the mean sits above the median exactly in the hours that pay most.
 */
export type PriceBasis = 'p50' | 'mean';
export const PRICE_BASES: readonly PriceBasis[] = ['p50', 'mean'];

/** Prices per step on a basis; without both quantiles (or with 'p50') the values themselves. */
export function basisPrices(values: number[], p10: number[] | null | undefined, p90: number[] | null | undefined, basis: PriceBasis): number[] {
  if (basis === 'p50' || !p10 || !p90 || p10.length !== values.length || p90.length !== values.length) return values;
  return values.map((v, i) => 0.3 * p10[i]! + 0.4 * v + 0.3 * p90[i]!);
}

/** What a strategy produced: power per interval of the grid and how it got there. */
export interface StrategyRun {
  name: StrategyName;
  charge: number[];
  discharge: number[];
  solves: number;
  solveMs: number;
  /**
   * Intervals the strategy had nothing to decide on (no forecast covering them yet, no yesterday in the history) and so
   * sat at zero power. Not the same as settlement's idleIntervals (every interval at zero power, for any reason).
   */
  noInputIntervals: number;
  notes: string[];
}

/** The grid a backtest runs on and the actual prices it settles on: actual.prices[i] covers actual.startMs + i*stepMs. */
export interface BacktestGrid {
  /** Actual real-time prices at the asset's settlement point, $/MWh, from before `fromMs` (history) to `toMs`. */
  actual: PriceCurve;
  fromMs: number;
  toMs: number;
}

/** Index of fromMs on the actual grid, and the number of intervals of the backtest. */
export function gridSpan(g: BacktestGrid): { first: number; count: number } {
  const first = Math.round((g.fromMs - g.actual.startMs) / g.actual.stepMs);
  const count = Math.round((g.toMs - g.fromMs) / g.actual.stepMs);
  return { first, count };
}

/** Carries state of charge and per-day cycle energy forward through committed power (the balance equation). */
class BatteryState {
  soc: number;
  private readonly usedByDay = new Map<string, number>();
  private readonly eta: number;
  constructor(private readonly asset: BatteryAsset, private readonly stepH: number) {
    this.soc = asset.initialSoc * asset.energyMwh;
    this.eta = legEfficiency(asset);
  }
  used(atMs: number): number {
    return this.usedByDay.get(centralDateOf(atMs)) ?? 0;
  }
  apply(atMs: number, c: number, d: number): void {
    this.soc = Math.min(this.asset.maxSoc * this.asset.energyMwh, Math.max(this.asset.minSoc * this.asset.energyMwh, this.soc + this.eta * c * this.stepH - (d * this.stepH) / this.eta));
    if (d > 0) {
      const day = centralDateOf(atMs);
      this.usedByDay.set(day, (this.usedByDay.get(day) ?? 0) + (d * this.stepH) / this.eta);
    }
  }
  /** The most discharge power (MW) the state and the day's cycle budget allow over one step. */
  maxDischarge(atMs: number): number {
    const byEnergy = ((this.soc - this.asset.minSoc * this.asset.energyMwh) * this.eta) / this.stepH;
    let byCycles = Infinity;
    if (this.asset.dailyCycleLimit !== null) byCycles = ((this.asset.dailyCycleLimit * usableEnergyMwh(this.asset) - this.used(atMs)) * this.eta) / this.stepH;
    return Math.max(0, Math.min(this.asset.powerMw, byEnergy, byCycles));
  }
  maxCharge(): number {
    return Math.max(0, Math.min(this.asset.powerMw, (this.asset.maxSoc * this.asset.energyMwh - this.soc) / this.eta / this.stepH));
  }
}

/**
 * Perfect foresight: the LP on the actual prices of the whole backtest at once, its objective the backtest's own
 * figure: settled revenue plus the end state of charge valued by the terminal rule every strategy is settled by
 * (dispatch/backtest.ts endSocValue: each MWh stored at the end is worth eta * (markPrice - degradation cost), so the LP
 * holds energy to the end when that mark pays). No other strategy can earn more on that figure on the same prices and
 * grid (every other schedule is a feasible point of this LP), so it is the upper bound (up to the LP's tie-break,
 * $10^-6 per MWh of throughput). Without markPrice ($/MWh) the end state is not valued (the settled revenue's bound).
 */
export function perfectForesight(highs: Highs, asset: BatteryAsset, g: BacktestGrid, markPrice?: number): StrategyRun {
  const { first, count } = gridSpan(g);
  const curve: PriceCurve = { startMs: g.fromMs, stepMs: g.actual.stepMs, prices: g.actual.prices.slice(first, first + count) };
  const s = optimiseWith(highs, asset, curve, markPrice === undefined ? {} : { terminalValuePerMwh: legEfficiency(asset) * (markPrice - asset.degradationCostPerMwh) });
  return {
    name: 'perfect',
    charge: s.intervals.map((i) => i.chargeMw),
    discharge: s.intervals.map((i) => i.dischargeMw),
    solves: 1,
    solveMs: s.solver.solveMs,
    noInputIntervals: 0,
    notes: [`one ${s.solver.milp ? 'MILP' : 'LP'} over ${count} intervals${markPrice === undefined ? '' : ', the end state of charge valued at the backtest\'s mark price'}`],
  };
}

/**
 * Forecast-driven, rolling horizon: at the start of every hour, take the latest forecast available then
 * (inputEnd <= now) that covers now, optimise from the current state of charge over the rest of its curve (P50),
 * and commit only the first hour. Idle while no forecast covers the hour.
 */
export function forecastDriven(highs: Highs, asset: BatteryAsset, g: BacktestGrid, forecasts: ForecastCurve[], onDay?: (done: number, total: number) => void, basis: PriceBasis = 'p50'): StrategyRun {
  const { count } = gridSpan(g);
  const step = g.actual.stepMs;
  const perHour = Math.max(1, Math.round(HOUR_MS / step));
  const sorted = [...forecasts].sort((a, b) => a.inputEnd - b.inputEnd || a.issuedAt - b.issuedAt);
  const charge = new Array<number>(count).fill(0);
  const discharge = new Array<number>(count).fill(0);
  const state = new BatteryState(asset, step / HOUR_MS);
  let next = 0;
  let latest: ForecastCurve | undefined;
  let solves = 0;
  let solveMs = 0;
  let idle = 0;
  const perDay = 24 * perHour;
  for (let i = 0; i < count; i += perHour) {
    const now = g.fromMs + i * step;
    if (onDay && i % perDay === 0) onDay(i / perDay, Math.ceil(count / perDay));
    while (next < sorted.length && sorted[next]!.inputEnd <= now) latest = sorted[next++];
    const curve = latest ? curveFrom(latest, now, step, basis) : null;
    const commit = Math.min(perHour, count - i);
    if (!curve) {
      for (let k = 0; k < commit; k++) state.apply(now + k * step, 0, 0);
      idle += commit;
      continue;
    }
    const s = optimiseWith(highs, asset, curve, { initialSocMwh: state.soc, cycleEnergyUsedMwh: state.used(now) });
    solves++;
    solveMs += s.solver.solveMs;
    for (let k = 0; k < commit; k++) {
      const at = now + k * step;
      const iv = s.intervals[k];
      // Beyond the curve's end (a forecast shorter than an hour left): idle.
      const c = iv ? Math.min(iv.chargeMw, state.maxCharge()) : 0;
      const d = iv ? Math.min(iv.dischargeMw, state.maxDischarge(at)) : 0;
      charge[i + k] = c;
      discharge[i + k] = d;
      state.apply(at, c, d);
    }
  }
  return { name: 'forecast', charge, discharge, solves, solveMs, noInputIntervals: idle, notes: [`${sorted.length} forecasts, re-optimised each hour on the ${basis === 'mean' ? 'expected price (0.3 P10 + 0.4 P50 + 0.3 P90)' : 'P50'}, first hour committed`] };
}

/**
 * The part of a forecast from `now` to its end, on a grid of `step` (each grid interval takes the forecast value of
 * the interval containing it), or null when the forecast does not cover `now`.
 */
export function curveFrom(f: ForecastCurve, now: number, step: number, basis: PriceBasis = 'p50'): PriceCurve | null {
  const end = f.targetStart + f.values.length * f.stepMs;
  if (now < f.targetStart || now >= end) return null;
  const n = Math.floor((end - now) / step);
  if (n <= 0) return null;
  const pick = (arr: number[]): number[] => Array.from({ length: n }, (_, k) => arr[Math.floor((now + k * step - f.targetStart) / f.stepMs)]!);
  return {
    startMs: now,
    stepMs: step,
    prices: pick(basisPrices(f.values, f.p10, f.p90, basis)),
    p10: f.p10 && f.p10.length === f.values.length ? pick(f.p10) : null,
    p90: f.p90 && f.p90.length === f.values.length ? pick(f.p90) : null,
  };
}

/**
 * "Yesterday's prices" persistence, the industry's benchmark: at each market day's start (US Central midnight),
 * optimise the day on the actual prices of the same intervals 24 hours earlier, and commit the whole day.
 * Idle on a day whose yesterday is not in the price history.
 */
export function persistence(highs: Highs, asset: BatteryAsset, g: BacktestGrid): StrategyRun {
  const { first, count } = gridSpan(g);
  const step = g.actual.stepMs;
  const back = Math.round(DAY_MS / step);
  const charge = new Array<number>(count).fill(0);
  const discharge = new Array<number>(count).fill(0);
  const state = new BatteryState(asset, step / HOUR_MS);
  let solves = 0;
  let solveMs = 0;
  let idle = 0;
  let i = 0;
  while (i < count) {
    const now = g.fromMs + i * step;
    const day = centralDateOf(now);
    let j = i;
    while (j < count && centralDateOf(g.fromMs + j * step) === day) j++;
    const src = first + i - back;
    if (src < 0) {
      for (let k = i; k < j; k++) state.apply(g.fromMs + k * step, 0, 0);
      idle += j - i;
      i = j;
      continue;
    }
    const prices = Array.from({ length: j - i }, (_, k) => g.actual.prices[src + k]!);
    const s = optimiseWith(highs, asset, { startMs: now, stepMs: step, prices }, { initialSocMwh: state.soc, cycleEnergyUsedMwh: state.used(now) });
    solves++;
    solveMs += s.solver.solveMs;
    for (let k = i; k < j; k++) {
      const at = g.fromMs + k * step;
      const iv = s.intervals[k - i]!;
      const c = Math.min(iv.chargeMw, state.maxCharge());
      const d = Math.min(iv.dischargeMw, state.maxDischarge(at));
      charge[k] = c;
      discharge[k] = d;
      state.apply(at, c, d);
    }
    i = j;
  }
  return { name: 'persistence', charge, discharge, solves, solveMs, noInputIntervals: idle, notes: ['each market day optimised on the prices 24 h earlier'] };
}

/** Fixed hours of a baseline bid: Central clock hours (0-23, the hour starting then; hour ending = hour + 1). */
export interface BaselineHours {
  chargeHours: number[];
  dischargeHours: number[];
}

/** Charge overnight (hours ending 2-5), discharge in the evening peak (hours ending 18-21): the usual fixed bid. */
export const DEFAULT_BASELINE_HOURS: BaselineHours = { chargeHours: [1, 2, 3, 4], dischargeHours: [17, 18, 19, 20] };

/**
 * Fixed hours from a price history (the period before the backtest): the k cheapest Central clock hours on average
 * for charging and the k dearest for discharging, k = hours to fill the usable energy at full power (rounded up).
 * Falls back to DEFAULT_BASELINE_HOURS with fewer than 7 days of history.
 */
export function baselineHoursFrom(asset: BatteryAsset, history: PriceCurve): BaselineHours {
  if (history.prices.length * history.stepMs < 7 * DAY_MS) return DEFAULT_BASELINE_HOURS;
  const sum = new Array<number>(24).fill(0);
  const n = new Array<number>(24).fill(0);
  history.prices.forEach((p, i) => {
    const h = centralCalendar(history.startMs + i * history.stepMs).hourOfDay;
    sum[h]! += p;
    n[h]!++;
  });
  const avg = sum.map((s, h) => (n[h]! > 0 ? s / n[h]! : NaN));
  const hours = [...Array(24).keys()].filter((h) => Number.isFinite(avg[h]));
  const k = Math.min(12, Math.max(1, Math.ceil(usableEnergyMwh(asset) / asset.powerMw)));
  const byPrice = [...hours].sort((a, b) => avg[a]! - avg[b]! || a - b);
  const chargeHours = byPrice.slice(0, k).sort((a, b) => a - b);
  const dischargeHours = byPrice.filter((h) => !chargeHours.includes(h)).slice(-k).sort((a, b) => a - b);
  return { chargeHours, dischargeHours };
}

/**
 * Baseline bid: in a charge hour charge at full power until full, in a discharge hour discharge at full power until
 * empty (within the day's cycle limit); idle otherwise. Needs no prices at all.
 */
export function baselineBid(asset: BatteryAsset, g: BacktestGrid, hours: BaselineHours = DEFAULT_BASELINE_HOURS): StrategyRun {
  const { count } = gridSpan(g);
  const step = g.actual.stepMs;
  const charge = new Array<number>(count).fill(0);
  const discharge = new Array<number>(count).fill(0);
  const state = new BatteryState(asset, step / HOUR_MS);
  const ch = new Set(hours.chargeHours);
  const dis = new Set(hours.dischargeHours);
  for (let i = 0; i < count; i++) {
    const at = g.fromMs + i * step;
    const h = centralCalendar(at).hourOfDay;
    const c = ch.has(h) ? state.maxCharge() : 0;
    const d = !ch.has(h) && dis.has(h) ? state.maxDischarge(at) : 0;
    charge[i] = c;
    discharge[i] = d;
    state.apply(at, c, d);
  }
  const he = (clockHours: number[]): string => hourEndingRanges(clockHours.map((h) => h + 1));
  return { name: 'baseline', charge, discharge, solves: 0, solveMs: 0, noInputIntervals: 0, notes: [`charge ${he(hours.chargeHours)}, discharge ${he(hours.dischargeHours)} (Central)`] };
}

/** A published schedule as the stitcher needs it (a DispatchSchedule record has these fields). */
export interface PublishedSchedule {
  forecastInputEnd: number;
  startAt: number;
  stepMs: number;
  chargeMw: number[];
  dischargeMw: number[];
}

/**
 * The forecast-driven strategy as the stream ran it: the dispatcher's schedules (run.NAME.dispatch) stitched on the
 * market clock. Each interval follows the latest schedule decided by then (forecastInputEnd <= interval start) that
 * covers it, exactly what the dispatcher assumed when it carried the state of charge from one schedule to the next.
 * Power is clipped to what the battery can do (it never needs to be when the schedules chain), and intervals no
 * schedule covers are idle.
 */
export function fromSchedules(asset: BatteryAsset, g: BacktestGrid, schedules: PublishedSchedule[]): StrategyRun {
  const { count } = gridSpan(g);
  const step = g.actual.stepMs;
  const sorted = [...schedules].sort((a, b) => a.forecastInputEnd - b.forecastInputEnd || a.startAt - b.startAt);
  const charge = new Array<number>(count).fill(0);
  const discharge = new Array<number>(count).fill(0);
  const state = new BatteryState(asset, step / HOUR_MS);
  let next = 0;
  let latest: PublishedSchedule | undefined;
  let idle = 0;
  for (let i = 0; i < count; i++) {
    const at = g.fromMs + i * step;
    while (next < sorted.length && sorted[next]!.forecastInputEnd <= at) latest = sorted[next++];
    let c = 0;
    let d = 0;
    const k = latest ? Math.floor((at - latest.startAt) / latest.stepMs) : -1;
    if (latest && k >= 0 && k < latest.chargeMw.length) {
      c = Math.min(latest.chargeMw[k]!, state.maxCharge());
      d = Math.min(latest.dischargeMw[k]!, state.maxDischarge(at));
    } else idle++;
    charge[i] = c;
    discharge[i] = d;
    state.apply(at, c, d);
  }
  return { name: 'forecast', charge, discharge, solves: sorted.length, solveMs: 0, noInputIntervals: idle, notes: [`${sorted.length} schedules from the dispatcher, stitched on the market clock`] };
}
