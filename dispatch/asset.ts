// The battery asset model: what a storage asset can do, validated once at the edge.
import { DispatchError } from './errors.js';

/**
 * A grid-scale battery (energy storage resource) settled at one ERCOT settlement point.
 *
 * Units: power in MW at the grid connection, energy in MWh stored, efficiencies as fractions, costs in $/MWh.
 * State of charge (SoC) bounds are fractions of `energyMwh`; usable energy = (maxSoc - minSoc) * energyMwh.
 */
export interface BatteryAsset {
  /** Stable id (config/assets.json key, dispatch_schedules.asset_id). */
  id: string;
  /** Where the asset settles: an ERCOT settlement point (e.g. HB_NORTH); its RT price is the revenue price. */
  settlementPoint: string;
  market: string;
  /** Rated charge and discharge power at the grid, MW (> 0). */
  powerMw: number;
  /** Nameplate energy capacity, MWh (> 0). */
  energyMwh: number;
  /** Round-trip efficiency in (0, 1]: MWh delivered to the grid per MWh taken from it, split evenly as sqrt on each leg. */
  roundTripEfficiency: number;
  /** Lowest allowed SoC, fraction of energyMwh in [0, 1). */
  minSoc: number;
  /** Highest allowed SoC, fraction of energyMwh in (minSoc, 1]. */
  maxSoc: number;
  /** SoC at the start of a schedule, fraction in [minSoc, maxSoc]. */
  initialSoc: number;
  /**
   * Most equivalent full cycles per market day (US Central calendar day), null for no limit. One equivalent full
   * cycle = the usable energy discharged out of storage once.
   */
  dailyCycleLimit: number | null;
  /** Degradation cost, $ per MWh of throughput (energy discharged to the grid), >= 0. */
  degradationCostPerMwh: number;
}

/** Defaults for fields a config may leave out: a lithium-ion battery of today (about 85% round trip, 1 cycle a day). */
export const BATTERY_DEFAULTS = {
  market: 'ERCOT',
  roundTripEfficiency: 0.85,
  minSoc: 0,
  maxSoc: 1,
  initialSoc: 0,
  dailyCycleLimit: null as number | null,
  degradationCostPerMwh: 0,
} as const;

/** Upper bounds that keep an asset (and a request) physical and the LP well scaled. */
export const ASSET_LIMITS = { maxPowerMw: 10_000, maxEnergyMwh: 100_000, maxCyclesPerDay: 24, maxDegradationCostPerMwh: 10_000 } as const;

/** Efficiency of each leg: sqrt(round trip), the usual symmetric split (charge and discharge losses equal). */
export function legEfficiency(asset: Pick<BatteryAsset, 'roundTripEfficiency'>): number {
  return Math.sqrt(asset.roundTripEfficiency);
}

/** Usable energy, MWh: (maxSoc - minSoc) * energyMwh. */
export function usableEnergyMwh(asset: Pick<BatteryAsset, 'energyMwh' | 'minSoc' | 'maxSoc'>): number {
  return (asset.maxSoc - asset.minSoc) * asset.energyMwh;
}

/**
 * Builds and validates a battery from partial input (defaults above). Every problem is reported at once, in one
 * DispatchError with code ASSET_INVALID whose message lists each field and what was expected.
 */
export function makeBattery(input: Partial<BatteryAsset> & Pick<BatteryAsset, 'powerMw' | 'energyMwh'>): BatteryAsset {
  const a: BatteryAsset = {
    id: input.id ?? `battery-${input.powerMw}mw-${input.energyMwh}mwh`,
    settlementPoint: input.settlementPoint ?? 'HB_NORTH',
    market: input.market ?? BATTERY_DEFAULTS.market,
    powerMw: input.powerMw,
    energyMwh: input.energyMwh,
    roundTripEfficiency: input.roundTripEfficiency ?? BATTERY_DEFAULTS.roundTripEfficiency,
    minSoc: input.minSoc ?? BATTERY_DEFAULTS.minSoc,
    maxSoc: input.maxSoc ?? BATTERY_DEFAULTS.maxSoc,
    initialSoc: input.initialSoc ?? input.minSoc ?? BATTERY_DEFAULTS.initialSoc,
    dailyCycleLimit: input.dailyCycleLimit === undefined ? BATTERY_DEFAULTS.dailyCycleLimit : input.dailyCycleLimit,
    degradationCostPerMwh: input.degradationCostPerMwh ?? BATTERY_DEFAULTS.degradationCostPerMwh,
  };
  validateBattery(a);
  return a;
}

/** Throws DispatchError ASSET_INVALID listing every broken rule of `a`; returns `a` when it is a physical battery. */
export function validateBattery(a: BatteryAsset): BatteryAsset {
  const problems: string[] = [];
  const finite = (name: string, v: unknown): v is number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.push(`${name} must be a finite number (got ${JSON.stringify(v)})`);
      return false;
    }
    return true;
  };
  if (typeof a.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(a.id)) problems.push(`id must be 1-64 of A-Z a-z 0-9 _ . - (got ${JSON.stringify(a.id)})`);
  if (typeof a.settlementPoint !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(a.settlementPoint)) problems.push(`settlementPoint must be a settlement point name like HB_NORTH (got ${JSON.stringify(a.settlementPoint)})`);
  if (typeof a.market !== 'string' || a.market.length === 0) problems.push('market must be a non-empty string');
  if (finite('powerMw', a.powerMw) && !(a.powerMw > 0 && a.powerMw <= ASSET_LIMITS.maxPowerMw)) problems.push(`powerMw must be in (0, ${ASSET_LIMITS.maxPowerMw}] MW (got ${a.powerMw}); a negative or zero capacity is not a battery`);
  if (finite('energyMwh', a.energyMwh) && !(a.energyMwh > 0 && a.energyMwh <= ASSET_LIMITS.maxEnergyMwh)) problems.push(`energyMwh must be in (0, ${ASSET_LIMITS.maxEnergyMwh}] MWh (got ${a.energyMwh})`);
  if (finite('roundTripEfficiency', a.roundTripEfficiency) && !(a.roundTripEfficiency > 0 && a.roundTripEfficiency <= 1)) problems.push(`roundTripEfficiency must be in (0, 1] (got ${a.roundTripEfficiency})`);
  const socOk = [finite('minSoc', a.minSoc), finite('maxSoc', a.maxSoc), finite('initialSoc', a.initialSoc)].every(Boolean);
  if (socOk) {
    if (a.minSoc < 0 || a.maxSoc > 1) problems.push(`minSoc and maxSoc must lie in [0, 1] (got ${a.minSoc}, ${a.maxSoc})`);
    if (!(a.minSoc < a.maxSoc)) problems.push(`minSoc (${a.minSoc}) must be below maxSoc (${a.maxSoc})`);
    if (a.initialSoc < a.minSoc || a.initialSoc > a.maxSoc) problems.push(`initialSoc (${a.initialSoc}) must lie in [minSoc, maxSoc] = [${a.minSoc}, ${a.maxSoc}]`);
  }
  if (a.dailyCycleLimit !== null && finite('dailyCycleLimit', a.dailyCycleLimit) && !(a.dailyCycleLimit > 0 && a.dailyCycleLimit <= ASSET_LIMITS.maxCyclesPerDay)) {
    problems.push(`dailyCycleLimit must be null (no limit) or in (0, ${ASSET_LIMITS.maxCyclesPerDay}] cycles a day (got ${a.dailyCycleLimit})`);
  }
  if (finite('degradationCostPerMwh', a.degradationCostPerMwh) && !(a.degradationCostPerMwh >= 0 && a.degradationCostPerMwh <= ASSET_LIMITS.maxDegradationCostPerMwh)) {
    problems.push(`degradationCostPerMwh must be in [0, ${ASSET_LIMITS.maxDegradationCostPerMwh}] $/MWh (got ${a.degradationCostPerMwh})`);
  }
  if (problems.length > 0) throw new DispatchError('ASSET_INVALID', `battery ${JSON.stringify(a.id)} is invalid: ${problems.join('; ')}`);
  return a;
}
