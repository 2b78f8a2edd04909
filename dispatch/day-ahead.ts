// Tomorrow's schedule of a battery from the latest forecast (pure apart from the solver): what GET /dispatch, the
// responder's battery question and the demo show.
import type { Highs } from 'highs';
import { HOUR_MS, addCentralDays, centralDateOf, centralMidnightUtc, ercotHourLabel } from '../market/central-time.js';
import { formatDollars, hourEndingRanges } from '../market/format.js';
import { type BatteryAsset, legEfficiency } from './asset.js';
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
  initialSocMwh: number;
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
 * Plans the US Central day after the forecast's first interval (the market clock's "tomorrow"), or that first
 * interval's own day when `day` is 'today', on the forecast's P50 from the asset's initial state of charge.
 * Returns null when the forecast covers no interval of that day. Errors: the optimiser's coded errors.
 */
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

export function planDayAhead(highs: Highs, asset: BatteryAsset, f: ForecastCurve & { modelVersion?: string }, day: 'tomorrow' | 'today' = 'tomorrow', initialSocMwh?: number, basis: PriceBasis = 'p50'): DayAheadPlan | null {
  const { target, first, last } = daySpan(f, day);
  if (last <= first) return null;
  const slice = <T>(a: T[] | null | undefined): T[] | null => (a && a.length === f.values.length ? a.slice(first, last) : null);
  const startMs = f.targetStart + first * f.stepMs;
  const s: Schedule = optimiseWith(highs, asset, { startMs, stepMs: f.stepMs, prices: basisPrices(f.values, f.p10, f.p90, basis).slice(first, last), p10: slice(f.p10), p90: slice(f.p90) }, initialSocMwh === undefined ? {} : { initialSocMwh });
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
    initialSocMwh: initialSocMwh ?? asset.initialSoc * asset.energyMwh,
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
  const band = p.revenueAtP10 !== null && p.revenueAtP90 !== null ? ` (at the forecast's P10 prices ${formatDollars(p.revenueAtP10)}, at P90 ${formatDollars(p.revenueAtP90)})` : '';
  const partial = p.coveredHours < 23 ? ` The forecast covers only ${p.coveredHours} hours of that day.` : '';
  return `${asset.powerMw} MW / ${asset.energyMwh} MWh battery at ${asset.settlementPoint} on ${p.day} (US Central): charge ${p.chargeHours}, discharge ${p.dischargeHours}; ${p.chargedMwh.toFixed(1)} MWh in, ${p.dischargedMwh.toFixed(1)} MWh out, expected net revenue ${formatDollars(p.expectedRevenue)}${band}, on forecast ${p.forecast.modelVersion ?? '(unknown model)'} issued ${p.forecast.issuedAt}.${partial}`;
}
