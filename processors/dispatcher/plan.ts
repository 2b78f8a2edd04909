// The dispatcher's pure core: one Forecast + the asset's previous schedule -> the next DispatchSchedule.
// Rolling horizon on the market clock: the battery follows its previous schedule until the next forecast arrives,
// so the new schedule starts from the state of charge that schedule reached at the new forecast's first interval.
import type { Highs } from 'highs';
import { type BatteryAsset, legEfficiency } from '../../dispatch/asset.js';
import { optimiseWith } from '../../dispatch/optimiser.js';
import { type PriceBasis, basisPrices } from '../../dispatch/strategies.js';
import type { DispatchSchedule, Forecast } from '../../schemas/types.js';
import { centralDateOf } from '../../market/central-time.js';

const HOUR_MS = 3_600_000;

/** Whether a forecast is the real-time price at the asset's settlement point (what the asset settles on). */
export function forecastFits(asset: BatteryAsset, f: Pick<Forecast, 'market' | 'seriesId' | 'kind'>): boolean {
  return f.market === asset.market && f.seriesId === asset.settlementPoint && f.kind === 'RT_PRICE';
}

/**
 * The battery's state at `atMs` if it followed `prev` (its latest schedule) until then: state of charge (MWh) and
 * the energy discharged out of storage so far on atMs's market day (MWh). No previous schedule: the asset's initial
 * state. `atMs` at or before prev's start: prev's own starting state (a re-delivered or older forecast).
 */
export function stateAt(asset: BatteryAsset, prev: Pick<DispatchSchedule, 'startAt' | 'stepMs' | 'socMwh' | 'dischargeMw' | 'initialSocMwh' | 'cycleEnergyUsedMwh'> | undefined, atMs: number): { socMwh: number; cycleEnergyUsedMwh: number } {
  if (!prev) return { socMwh: asset.initialSoc * asset.energyMwh, cycleEnergyUsedMwh: 0 };
  const day = centralDateOf(atMs);
  if (atMs <= prev.startAt) return { socMwh: prev.initialSocMwh, cycleEnergyUsedMwh: centralDateOf(prev.startAt) === day ? prev.cycleEnergyUsedMwh : 0 };
  const k = Math.min(Math.floor((atMs - prev.startAt) / prev.stepMs), prev.socMwh.length);
  const soc = k > 0 ? prev.socMwh[k - 1]! : prev.initialSocMwh;
  const eta = legEfficiency(asset);
  const h = prev.stepMs / HOUR_MS;
  let used = centralDateOf(prev.startAt) === day ? prev.cycleEnergyUsedMwh : 0;
  for (let i = 0; i < k; i++) {
    if (centralDateOf(prev.startAt + i * prev.stepMs) === day) used += (prev.dischargeMw[i]! * h) / eta;
  }
  const lo = asset.minSoc * asset.energyMwh;
  const hi = asset.maxSoc * asset.energyMwh;
  return { socMwh: Math.min(hi, Math.max(lo, soc)), cycleEnergyUsedMwh: used };
}

/**
 * The asset's schedule from a forecast (P50 prices; P10/P90 revenue when the forecast has quantiles), or null when
 * the forecast does not fit the asset or is older than the asset's latest schedule (the market clock never runs
 * backwards). Deterministic: the same forecast and previous schedule give the same record.
 */
export function planFromForecast(highs: Highs, asset: BatteryAsset, f: Forecast, prev: DispatchSchedule | undefined, basis: PriceBasis = 'p50'): DispatchSchedule | null {
  if (!forecastFits(asset, f) || f.values.length === 0) return null;
  if (prev && (f.inputEnd < prev.forecastInputEnd || (f.inputEnd === prev.forecastInputEnd && f.targetStart < prev.startAt))) return null;
  const start = stateAt(asset, prev, f.targetStart);
  const s = optimiseWith(highs, asset, { startMs: f.targetStart, stepMs: f.stepMs, prices: basisPrices(f.values, f.p10, f.p90, basis), p10: f.p10 ?? null, p90: f.p90 ?? null }, {
    initialSocMwh: start.socMwh,
    cycleEnergyUsedMwh: start.cycleEnergyUsedMwh,
  });
  return {
    market: asset.market,
    assetId: asset.id,
    settlementPoint: asset.settlementPoint,
    strategy: basis === 'mean' ? 'forecast:mean' : 'forecast',
    modelVersion: f.modelVersion,
    forecastIssuedAt: f.issuedAt,
    forecastInputEnd: f.inputEnd,
    startAt: f.targetStart,
    stepMs: f.stepMs,
    chargeMw: s.intervals.map((i) => i.chargeMw),
    dischargeMw: s.intervals.map((i) => i.dischargeMw),
    socMwh: s.intervals.map((i) => i.socMwh),
    prices: s.intervals.map((i) => i.price),
    initialSocMwh: start.socMwh,
    cycleEnergyUsedMwh: start.cycleEnergyUsedMwh,
    expectedRevenue: s.expectedRevenue,
    revenueAtP10: s.revenueAtP10,
    revenueAtP90: s.revenueAtP90,
    powerMw: asset.powerMw,
    energyMwh: asset.energyMwh,
    roundTripEfficiency: asset.roundTripEfficiency,
    milp: s.solver.milp,
  };
}
