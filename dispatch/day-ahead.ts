// Tomorrow's schedule of a battery from the latest forecast (pure apart from the solver): what GET /dispatch, the
// responder's battery question and the demo show.
import type { Highs } from 'highs';
import { HOUR_MS, addCentralDays, centralDateOf, centralMidnightUtc, ercotHourLabel } from '../market/central-time.js';
import { centralLabel, formatDollars, formatPrice, hourEndingRanges } from '../market/format.js';
import { type BatteryAsset, legEfficiency, usableEnergyMwh } from './asset.js';
import { optimiseWith, type Schedule } from './optimiser.js';
import { type ForecastCurve, type PriceBasis, basisPrices } from './strategies.js';

export interface DayAheadInterval {
  start: string;
  end: string;
  /** ERCOT hour ending of the interval's hour (1-24, US Central; 2 twice on the fall-back day, never 3 on the spring-forward day). */
  hourEnding: number;
  chargeMw: number;
  dischargeMw: number;
  socMwh: number;
  /** Price the plan used ($/MWh: the P50, or the expected price with basis=mean) and the forecast's band when it has one. */
  price: number;
  p10: number | null;
  p90: number | null;
  revenue: number;
}

export interface DayAheadPlan {
  assetId: string;
  settlementPoint: string;
  /** The US Central market day planned ("YYYY-MM-DD"). */
  day: string;
  /** How the day was chosen, in words (the market clock, not the wall clock). */
  dayBasis: string;
  /** Intervals of the day the forecast covers (24 for a whole day; fewer when the forecast ends early). */
  coveredHours: number;
  /** State of charge at the plan's first interval, MWh. */
  initialSocMwh: number;
  /** Where initialSocMwh came from, in words (the live dispatcher's stored schedule at that interval, or the asset's configured initial state of charge). */
  initialSocSource: string;
  /**
   * Energy already discharged out of storage on the plan's day before its first interval, MWh (storage side, as the
   * daily cycle limit counts it: dispatch/optimiser.ts); 0 when the start state gives none (PlanStartState).
   */
  cycleEnergyUsedMwh: number;
  /**
   * Energy the daily cycle limit leaves the plan to discharge out of storage on its day, MWh: dailyCycleLimit x usable
   * energy ((maxSoc - minSoc) x energyMwh) - cycleEnergyUsedMwh, at least 0; null when the battery has no cycle limit.
   */
  cycleEnergyLeftMwh: number | null;
  forecast: { modelVersion: string | null; issuedAt: string; targetStart: string; stepMs: number; steps: number; quantiles: boolean };
  intervals: DayAheadInterval[];
  expectedRevenue: number;
  revenueAtP10: number | null;
  revenueAtP90: number | null;
  chargedMwh: number;
  dischargedMwh: number;
  cycles: number;
  /** Hours ending with charging / discharging, e.g. "HE 3-5" and "HE 19-20". */
  chargeHours: string;
  dischargeHours: string;
}

/**
 * The forecast's steps [first, last) that fall on `day` ('tomorrow' = the US Central day after the forecast's first
 * interval, 'today' = that interval's own day) and the day's date; last <= first when the forecast covers none of it.
 */
export function daySpan(f: Pick<ForecastCurve, 'targetStart' | 'stepMs' | 'values'>, day: 'tomorrow' | 'today'): { target: string; first: number; last: number } {
  const today = centralDateOf(f.targetStart);
  const target = day === 'today' ? today : addCentralDays(today, 1);
  const dayStart = Math.max(centralMidnightUtc(target), f.targetStart);
  const dayEnd = centralMidnightUtc(addCentralDays(target, 1));
  const first = Math.ceil((dayStart - f.targetStart) / f.stepMs);
  const last = Math.min(f.values.length, Math.floor((dayEnd - f.targetStart) / f.stepMs));
  return { target, first, last };
}

/**
 * The battery's state at a plan's first interval: state of charge (MWh), the energy already discharged out of storage
 * on that interval's Central day (MWh, counts against the daily cycle limit), and where the two came from, in words.
 */
export interface PlanStartState {
  socMwh: number;
  cycleEnergyUsedMwh?: number;
  source: string;
}

/** The first interval (UTC ms) planDayAhead plans for `day` on forecast `f`, or null when the forecast covers none of it. */
export function planStartMs(f: Pick<ForecastCurve, 'targetStart' | 'stepMs' | 'values'>, day: 'tomorrow' | 'today'): number | null {
  const { first, last } = daySpan(f, day);
  return last <= first ? null : f.targetStart + first * f.stepMs;
}

/**
 * Plans the US Central day after the forecast's first interval (the market clock's "tomorrow"), or that first
 * interval's own day when `day` is 'today', on the forecast's P50 (or `basis`). Returns null when the forecast covers
 * no interval of that day. Errors: the optimiser's coded errors (DISPATCH_INFEASIBLE for a start state outside the
 * battery's limits).
 * `start`: the battery's state at the plan's first interval (reports/day-plan.ts planStartState reads it from the live
 * dispatcher's stored schedule); a number is a state of charge alone; without it the asset's configured initial state
 * of charge. A day already begun is planned from the forecast's first interval on (the hours before it are over).
 */
export function planDayAhead(highs: Highs, asset: BatteryAsset, f: ForecastCurve & { modelVersion?: string }, day: 'tomorrow' | 'today' = 'tomorrow', start?: number | PlanStartState, basis: PriceBasis = 'p50'): DayAheadPlan | null {
  const { target, first, last } = daySpan(f, day);
  if (last <= first) return null;
  const slice = <T>(a: T[] | null | undefined): T[] | null => (a && a.length === f.values.length ? a.slice(first, last) : null);
  const startMs = f.targetStart + first * f.stepMs;
  const state: PlanStartState = typeof start === 'number' ? { socMwh: start, source: 'the state of charge given' } : (start ?? { socMwh: asset.initialSoc * asset.energyMwh, source: `${asset.id}'s configured initial state of charge (${Number((asset.initialSoc * 100).toFixed(2))}%)` });
  const s: Schedule = optimiseWith(highs, asset, { startMs, stepMs: f.stepMs, prices: basisPrices(f.values, f.p10, f.p90, basis).slice(first, last), p10: slice(f.p10), p90: slice(f.p90) }, {
    initialSocMwh: state.socMwh,
    ...(state.cycleEnergyUsedMwh !== undefined ? { cycleEnergyUsedMwh: state.cycleEnergyUsedMwh } : {}),
  });
  const p10 = slice(f.p10);
  const p90 = slice(f.p90);
  const intervals = s.intervals.map((iv, k) => {
    const he = ercotHourLabel(iv.startMs).hourEnding;
    return {
      start: new Date(iv.startMs).toISOString(),
      end: new Date(iv.startMs + f.stepMs).toISOString(),
      hourEnding: he,
      chargeMw: round(iv.chargeMw, 4),
      dischargeMw: round(iv.dischargeMw, 4),
      socMwh: round(iv.socMwh, 4),
      price: round(iv.price, 2),
      p10: p10 ? round(p10[k]!, 2) : null,
      p90: p90 ? round(p90[k]!, 2) : null,
      revenue: round(iv.revenue, 2),
    };
  });
  return {
    assetId: asset.id,
    settlementPoint: asset.settlementPoint,
    day: target,
    dayBasis: `the US Central day ${day === 'today' ? 'of' : 'after'} the latest forecast's first interval (${new Date(f.targetStart).toISOString()}, the market clock)`,
    coveredHours: intervals.length * (f.stepMs / HOUR_MS),
    initialSocMwh: round(state.socMwh, 4),
    initialSocSource: state.source,
    cycleEnergyUsedMwh: round(state.cycleEnergyUsedMwh ?? 0, 4),
    cycleEnergyLeftMwh: asset.dailyCycleLimit === null ? null : round(Math.max(0, asset.dailyCycleLimit * usableEnergyMwh(asset) - (state.cycleEnergyUsedMwh ?? 0)), 4),
    forecast: { modelVersion: f.modelVersion ?? null, issuedAt: new Date(f.issuedAt).toISOString(), targetStart: new Date(f.targetStart).toISOString(), stepMs: f.stepMs, steps: f.values.length, quantiles: p10 !== null && p90 !== null },
    intervals,
    expectedRevenue: round(s.expectedRevenue, 2),
    revenueAtP10: s.revenueAtP10 === null ? null : round(s.revenueAtP10, 2),
    revenueAtP90: s.revenueAtP90 === null ? null : round(s.revenueAtP90, 2),
    chargedMwh: round(s.chargedMwh, 3),
    dischargedMwh: round(s.dischargedMwh, 3),
    cycles: round(s.dischargedMwh / legEfficiency(asset) / ((asset.maxSoc - asset.minSoc) * asset.energyMwh), 3),
    chargeHours: hourEndingRanges(intervals.filter((i) => i.chargeMw > 1e-6).map((i) => i.hourEnding)),
    dischargeHours: hourEndingRanges(intervals.filter((i) => i.dischargeMw > 1e-6).map((i) => i.hourEnding)),
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/**
 * One line a person reads: when to charge and discharge, the expected revenue and its band. The day and its hours
 * ending stay on US Central ("(US Central)"), not on a market clock (market/zone-clock.ts): day-ahead plans are made
 * for ERCOT batteries only (the configured assets sit at ERCOT settlement points, and the plan's day and hours ending
 * are ERCOT's Central operating day).
 */
export function describePlan(p: DayAheadPlan, asset: BatteryAsset): string {
  const partial = p.coveredHours < 23 ? ` The forecast covers only ${p.coveredHours} hours of that day.` : '';
  const idle = noTradeReason(p, asset);
  return `${asset.powerMw} MW / ${asset.energyMwh} MWh battery at ${asset.settlementPoint} on ${p.day} (US Central): charge ${p.chargeHours}, discharge ${p.dischargeHours}; ${p.chargedMwh.toFixed(1)} MWh in, ${p.dischargedMwh.toFixed(1)} MWh out, expected net revenue ${formatDollars(p.expectedRevenue)} at the forecast's P50 prices, on forecast ${p.forecast.modelVersion ?? '(unknown model)'} issued ${centralLabel(Date.parse(p.forecast.issuedAt))}.${idle ? ` ${idle.text}` : bandText(p)}${partial} It starts at ${p.initialSocMwh.toFixed(1)} MWh stored (${p.initialSocSource}).`;
}

/**
 * What the plan's P10/P90 revenues mean, in one sentence, or '' without quantiles: the same schedule (optimised on the
 * P50) valued on the forecast's P10 and P90 price curves, a sensitivity of these decisions to prices, not a quantile
 * of revenue (per-hour quantiles say nothing of their joint behaviour: dispatch/README.md "Quantiles"). No digits
 * beside the dollar figures, so an answer check reads only them.
 */
export function bandText(p: Pick<DayAheadPlan, 'revenueAtP10' | 'revenueAtP90'>): string {
  if (p.revenueAtP10 === null || p.revenueAtP90 === null) return '';
  return ` If prices instead follow the forecast's P10 curve (each hour's price with a one-in-ten chance of coming in lower), the same schedule earns ${formatDollars(p.revenueAtP10)}; on its P90 curve (a one-in-ten chance of coming in higher), ${formatDollars(p.revenueAtP90)}.`;
}

/**
 * Why a plan neither charges nor discharges, from the LP's own terms (dispatch/README.md "Formulation"), first the
 * limits that stop any trade whatever the prices (reviewer finding: a plan with its daily cycle limit spent was told
 * the spread was too small):
 * - the daily cycle limit used up (p.cycleEnergyLeftMwh 0: the energy discharged out of storage on the day already
 *   reaches dailyCycleLimit x usable energy): no discharge on the day, so no purchase pays in a plan that ends with it;
 * - the battery starting full (at maxSoc) with no price above the degradation cost k: it can buy nothing before it
 *   sells, and stored energy sells only above k;
 * - else the spread: 1 MWh bought at price a returns RTE MWh (round-trip efficiency), each paying k, so selling later
 *   at b pays only when b > a / RTE + k. The reason names the most profitable pair in the plan's prices (the hour to
 *   buy, a later hour to sell), the break-even price for its buy price, and, when the battery starts above its minimum
 *   state of charge, the day's highest price against k (stored energy sells only above k).
 * Null when the plan trades, or covers no interval. Pure.
 * @returns {text, buy, sell, breakEven ($/MWh), buyAt, sellAt (interval starts, ISO)} for the spread; {text,
 *          cycleEnergyUsedMwh, cycleEnergyLimitMwh (MWh)} for the cycle limit; {text} alone otherwise
 */
export function noTradeReason(p: DayAheadPlan, asset: BatteryAsset): { text: string; buy?: number; sell?: number; breakEven?: number; buyAt?: string; sellAt?: string; cycleEnergyUsedMwh?: number; cycleEnergyLimitMwh?: number } | null {
  if (p.chargeHours !== 'none' || p.dischargeHours !== 'none' || p.intervals.length === 0) return null;
  const rte = asset.roundTripEfficiency;
  const k = asset.degradationCostPerMwh;
  const rteText = `${Number((rte * 100).toFixed(2))}%`;
  const costs = `round-trip efficiency ${rteText}, degradation cost ${formatPrice(k)}/MWh discharged`;
  const storedMwh = p.initialSocMwh - asset.minSoc * asset.energyMwh;
  const top = p.intervals.reduce((m, iv) => (iv.price > m.price ? iv : m));
  const mwh = (x: number) => Number(x.toFixed(1)).toLocaleString('en-US');
  if (asset.dailyCycleLimit !== null && p.cycleEnergyLeftMwh !== null && p.cycleEnergyLeftMwh <= 1e-6) {
    const usable = usableEnergyMwh(asset);
    const limitMwh = asset.dailyCycleLimit * usable;
    return {
      text: `No charge or discharge: the battery's daily cycle limit is used up for ${p.day}: ${mwh(p.cycleEnergyUsedMwh)} MWh already discharged out of storage that day, and the limit allows ${mwh(limitMwh)} MWh (${asset.dailyCycleLimit} cycle${asset.dailyCycleLimit === 1 ? '' : 's'} a day x ${mwh(usable)} MWh usable between its minimum and maximum state of charge), so it cannot discharge again before the day ends, and energy bought would not be sold in this plan, which ends with the day.`,
      cycleEnergyUsedMwh: p.cycleEnergyUsedMwh, cycleEnergyLimitMwh: round(limitMwh, 4),
    };
  }
  if (asset.maxSoc * asset.energyMwh - p.initialSocMwh <= 1e-6 && top.price <= k) {
    return { text: `No charge or discharge: the battery starts full (${mwh(p.initialSocMwh)} MWh, its maximum state of charge), so it can buy nothing before it sells, and its stored energy sells only above the degradation cost, ${formatPrice(k)}/MWh; the highest price is ${formatPrice(top.price)}/MWh (HE ${top.hourEnding}).` };
  }
  const stored = storedMwh > 1e-6 ? ` The ${storedMwh.toFixed(1)} MWh stored above its minimum sells only above the degradation cost, ${formatPrice(k)}/MWh, and the highest price is ${formatPrice(top.price)}/MWh (HE ${top.hourEnding}).` : '';
  if (p.intervals.length < 2) return { text: `No charge or discharge: the forecast covers one interval of the day, so there is nothing to buy in one hour and sell in a later one (${costs}).${stored}` };
  // The best buy-then-sell pair: for each later hour j, the cheapest earlier hour i.
  let best: { i: number; j: number; gain: number } | null = null;
  let cheapest = 0;
  for (let j = 1; j < p.intervals.length; j++) {
    if (p.intervals[j - 1]!.price < p.intervals[cheapest]!.price) cheapest = j - 1;
    const gain = rte * (p.intervals[j]!.price - k) - p.intervals[cheapest]!.price;
    if (!best || gain > best.gain) best = { i: cheapest, j, gain };
  }
  const buy = p.intervals[best!.i]!;
  const sell = p.intervals[best!.j]!;
  const breakEven = Math.round((buy.price / rte + k) * 100) / 100;
  return {
    text: `No charge or discharge: the forecast's prices for the day never spread enough to pay for the losses and wear. The best pair is buying at ${formatPrice(buy.price)}/MWh (HE ${buy.hourEnding}) and selling at ${formatPrice(sell.price)}/MWh (HE ${sell.hourEnding}), but energy bought at ${formatPrice(buy.price)}/MWh pays only when sold above ${formatPrice(breakEven)}/MWh (the buy price / ${rte} + ${formatPrice(k)}/MWh: ${costs}).${stored}`,
    buy: buy.price, sell: sell.price, breakEven, buyAt: buy.start, sellAt: sell.start,
  };
}

