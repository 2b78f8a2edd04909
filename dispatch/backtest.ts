// The backtest engine (pure apart from the solver): strategies on one grid, settled on actual prices.
import type { Highs } from 'highs';
import { centralDateOf } from '../market/central-time.js';
import { DispatchError } from './errors.js';
import { type BatteryAsset, legEfficiency, validateBattery } from './asset.js';
import { scheduleFromPower, validateCurve, type PriceCurve } from './optimiser.js';
import {
  type BacktestGrid, type BaselineHours, type ForecastCurve, type PriceBasis, type PublishedSchedule, type StrategyName, type StrategyRun,
  baselineBid, baselineHoursFrom, forecastDriven, fromSchedules, gridSpan, perfectForesight, persistence,
} from './strategies.js';

/** One strategy's settled result. Money in $, energy in MWh. */
export interface StrategyResult {
  name: StrategyName;
  /** Settled on actual prices, net of degradation cost: the cash of the period alone, nothing valued at the end. */
  netRevenue: number;
  /** State of charge at the start of the period (the asset's initialSoc), MWh stored. */
  startSocMwh: number;
  /** State of charge at the end of the last interval, MWh stored. */
  endSocMwh: number;
  /**
   * The energy left in the battery relative to the start, marked to market, $:
   * (endSocMwh - startSocMwh) * eta * (markPrice - degradation $/MWh), eta = the discharge leg's efficiency (see
   * endSocValue()). Negative when the strategy ended emptier than it began.
   */
  endSocValue: number;
  /** netRevenue + endSocValue: what the strategy earned with its end state of charge valued ($). */
  valuedRevenue: number;
  /** valuedRevenue / perfect foresight's valuedRevenue * 100 (null without perfect foresight or when it earns <= 0). */
  pctOfPerfect: number | null;
  cycles: number;
  chargedMwh: number;
  /** Energy throughput: MWh discharged to the grid (what degradation cost is charged on). */
  dischargedMwh: number;
  /** Net revenue by US Central month, 'YYYY-MM' -> $. */
  revenueByMonth: Record<string, number>;
  solves: number;
  solveMs: number;
  /** Intervals at zero power: neither charging nor discharging (for any reason, planned or for want of input). */
  idleIntervals: number;
  /** Of those, the intervals the strategy had nothing to decide on (no forecast yet, no yesterday): StrategyRun.noInputIntervals. */
  noInputIntervals: number;
  notes: string[];
  /** Per interval of the grid (for plots): charge, discharge MW, state of charge MWh, cumulative P&L $. */
  series: { chargeMw: number[]; dischargeMw: number[]; socMwh: number[]; cumulativePnl: number[] };
}

export interface BacktestInput {
  asset: BatteryAsset;
  grid: BacktestGrid;
  /** Forecasts of the asset's settlement point's real-time price (needed by 'forecast'). */
  forecasts: ForecastCurve[];
  /** The dispatcher's published schedules: when given, 'forecast' settles these instead of re-optimising here. */
  schedules?: PublishedSchedule[];
  strategies: StrategyName[];
  /** Fixed hours for 'baseline'; default: from the price history before fromMs (baselineHoursFrom). */
  baselineHours?: BaselineHours;
  /** Called after each strategy (for a progress bar). */
  onStrategy?: (name: StrategyName, done: number, total: number) => void;
  /** The price the forecast-driven strategy optimises on (default p50). */
  priceBasis?: PriceBasis;
  /** Called each simulated day of the forecast-driven rolling horizon (its days done, of total). */
  onForecastDay?: (done: number, total: number) => void;
}

export interface BacktestResult {
  assetId: string;
  settlementPoint: string;
  fromMs: number;
  toMs: number;
  stepMs: number;
  intervals: number;
  /** Actual prices of the backtest intervals, $/MWh. */
  prices: number[];
  /** The price the end state of charge is marked at, $/MWh: endSocMarkPrice(prices), the same for every strategy. */
  endSocPrice: number;
  strategies: StrategyResult[];
}

/** Power below which an interval counts as idle, MW (the solver's round-off, far below any real set point). */
export const IDLE_MW = 1e-6;

/** What the end state of charge is marked at (for the table footnote and the JSON). */
export const END_SOC_PRICE_RULE = 'mean actual price of the last 24 hours of the period';

/**
 * The price the energy left in the battery at the end is marked at, $/MWh: the mean actual price of the last 24 hours
 * of the period (of the whole period when it is shorter), i.e. the market's own recent level, the same for every
 * strategy so that none is credited with its own forecast. Input: the period's actual prices on its grid (finite,
 * non-empty; validateCurve checks that). Errors: PRICES_INVALID on an empty curve.
 */
export function endSocMarkPrice(actual: PriceCurve): number {
  const n = Math.max(1, Math.round(86_400_000 / actual.stepMs));
  const last = actual.prices.slice(-n);
  if (last.length === 0) throw new DispatchError('PRICES_INVALID', 'no actual prices to mark the end state of charge at');
  return last.reduce((a, b) => a + b, 0) / last.length;
}

/**
 * The value of the state-of-charge difference at the end of a period, $: (endSocMwh - startSocMwh) * eta *
 * (markPrice - degradation), eta = sqrt(round-trip efficiency), the discharge leg. That is what selling the extra stored
 * energy at markPrice would bring to the grid net of degradation (or, when negative, what the energy the strategy took
 * out of the starting charge is worth at the same price), the usual mark-to-market of terminal inventory in storage
 * backtests, linear so that a strategy cannot gain by ending full or empty per se. Pure.
 */
export function endSocValue(asset: BatteryAsset, startSocMwh: number, endSocMwh: number, markPrice: number): number {
  return (endSocMwh - startSocMwh) * legEfficiency(asset) * (markPrice - asset.degradationCostPerMwh);
}

/**
 * Runs the strategies over [fromMs, toMs) and settles each on the actual prices: revenue = sum over intervals of
 * price * (discharge - charge) * hours - degradation * discharge * hours; the state of charge left at the end relative
 * to the start is then valued at endSocMarkPrice (endSocValue), and % of perfect foresight compares those valued
 * figures. Deterministic for the same input.
 * Errors: ASSET_INVALID, PRICES_INVALID (grid not aligned, prices missing), and the optimiser's errors.
 */
export function runBacktest(highs: Highs, input: BacktestInput): BacktestResult {
  const { asset, grid } = input;
  validateBattery(asset);
  validateCurve(grid.actual);
  const { first, count } = gridSpan(grid);
  if (first < 0 || count <= 0 || first + count > grid.actual.prices.length || (grid.fromMs - grid.actual.startMs) % grid.actual.stepMs !== 0) {
    throw new DispatchError('PRICES_INVALID', `actual prices (${new Date(grid.actual.startMs).toISOString()} + ${grid.actual.prices.length} x ${grid.actual.stepMs / 60_000} min) do not cover the backtest ${new Date(grid.fromMs).toISOString()} to ${new Date(grid.toMs).toISOString()} on whole intervals`);
  }
  const actual: PriceCurve = { startMs: grid.fromMs, stepMs: grid.actual.stepMs, prices: grid.actual.prices.slice(first, first + count) };
  // One terminal rule for every strategy (endSocValue at this mark), perfect foresight's LP included, so it bounds them all.
  const markPrice = endSocMarkPrice(actual);
  const runs: StrategyRun[] = [];
  const order = [...input.strategies];
  order.forEach((name, k) => {
    if (name === 'perfect') runs.push(perfectForesight(highs, asset, grid, markPrice));
    else if (name === 'forecast') runs.push(input.schedules ? fromSchedules(asset, grid, input.schedules) : forecastDriven(highs, asset, grid, input.forecasts, input.onForecastDay, input.priceBasis));
    else if (name === 'persistence') runs.push(persistence(highs, asset, grid));
    else {
      const history: PriceCurve = { startMs: grid.actual.startMs, stepMs: grid.actual.stepMs, prices: grid.actual.prices.slice(0, first) };
      runs.push(baselineBid(asset, grid, input.baselineHours ?? baselineHoursFrom(asset, history)));
    }
    input.onStrategy?.(name, k + 1, order.length);
  });
  const settled = runs.map((r) => settle(asset, actual, r, markPrice));
  const perfect = settled.find((s) => s.name === 'perfect');
  for (const s of settled) s.pctOfPerfect = perfect && perfect.valuedRevenue > 0 ? (100 * s.valuedRevenue) / perfect.valuedRevenue : null;
  return {
    assetId: asset.id,
    settlementPoint: asset.settlementPoint,
    fromMs: grid.fromMs,
    toMs: grid.toMs,
    stepMs: grid.actual.stepMs,
    intervals: count,
    prices: actual.prices,
    endSocPrice: markPrice,
    strategies: settled,
  };
}

/**
 * Settles a strategy's power on actual prices and values its end state of charge at markPrice ($/MWh, default
 * endSocMarkPrice(actual)) (pure). An interval is idle when both its charge and its discharge are 0 MW (below IDLE_MW).
 */
export function settle(asset: BatteryAsset, actual: PriceCurve, run: StrategyRun, markPrice: number = endSocMarkPrice(actual)): StrategyResult {
  const s = scheduleFromPower(asset, actual, run.charge, run.discharge);
  const startSocMwh = asset.initialSoc * asset.energyMwh;
  const endSocMwh = s.intervals.at(-1)?.socMwh ?? startSocMwh;
  const value = endSocValue(asset, startSocMwh, endSocMwh, markPrice);
  const revenueByMonth: Record<string, number> = {};
  const cumulativePnl: number[] = [];
  let cum = 0;
  for (const iv of s.intervals) {
    const month = centralDateOf(iv.startMs).slice(0, 7);
    revenueByMonth[month] = (revenueByMonth[month] ?? 0) + iv.revenue;
    cum += iv.revenue;
    cumulativePnl.push(cum);
  }
  return {
    name: run.name,
    netRevenue: s.expectedRevenue,
    startSocMwh,
    endSocMwh,
    endSocValue: value,
    valuedRevenue: s.expectedRevenue + value,
    pctOfPerfect: null,
    cycles: s.cycles,
    chargedMwh: s.chargedMwh,
    dischargedMwh: s.dischargedMwh,
    revenueByMonth,
    solves: run.solves,
    solveMs: run.solveMs,
    idleIntervals: s.intervals.filter((iv) => Math.abs(iv.chargeMw) < IDLE_MW && Math.abs(iv.dischargeMw) < IDLE_MW).length,
    noInputIntervals: run.noInputIntervals,
    notes: run.notes,
    series: { chargeMw: run.charge, dischargeMw: run.discharge, socMwh: s.intervals.map((i) => i.socMwh), cumulativePnl },
  };
}

/**
 * Hourly mean price per hour from ticks at any step that divides an hour (15-minute RT SPP): the settlement price of
 * a schedule that holds its power for the hour (sum of p_q * x * 0.25 = x * mean p_q). Hours missing any interval
 * are filled from the hour before (the first priced hour for leading gaps) and counted, so the grid has no holes. Input: [startMs, price] pairs.
 */
export function hourlyPrices(points: Array<[number, number]>, fromMs: number, toMs: number): { curve: PriceCurve; filledHours: number } {
  const HOUR = 3_600_000;
  const n = Math.round((toMs - fromMs) / HOUR);
  const sum = new Float64Array(n);
  const cnt = new Uint16Array(n);
  for (const [t, p] of points) {
    const i = Math.floor((t - fromMs) / HOUR);
    if (i < 0 || i >= n || !Number.isFinite(p)) continue;
    sum[i]! += p;
    cnt[i]!++;
  }
  const prices: number[] = [];
  let filled = 0;
  const firstReal = cnt.findIndex((c) => c > 0);
  for (let i = 0; i < n; i++) {
    if (cnt[i]! > 0) prices.push(sum[i]! / cnt[i]!);
    else {
      filled++;
      // Before the first priced hour, the first priced hour; after it, the hour before.
      prices.push(i < firstReal || prices.length === 0 ? (firstReal >= 0 ? sum[firstReal]! / cnt[firstReal]! : 0) : prices[prices.length - 1]!);
    }
  }
  return { curve: { startMs: fromMs, stepMs: HOUR, prices }, filledHours: filled };
}
