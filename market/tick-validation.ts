// Semantic checks on a MarketTick, applied by sources before publishing and by sinks before storing.
// Avro already guarantees the types; these rules catch values no market produces. Negative prices and prices
// at the $5,000/MWh offer cap are valid.
import type { MarketTick, TickKind } from '../schemas/types.js';

/** ERCOT's system-wide offer cap, $/MWh: the one definition (the simulator's price curve and the responder's tools use it). */
export const OFFER_CAP = 5_000;
/** Real-time prices can fall below the offer floor with adders; far beyond these bounds a price is corrupt. */
export const PRICE_BOUNDS = { min: -10_000, max: 10_000 } as const;
/** Above any system's size (ERCOT peaks near 85 GW). */
export const MAX_POWER_MW = 500_000;
/**
 * The lowest wind or solar output kept, in MW: about -1% of ERCOT's installed capacity. At night a plant's meter
 * reads its own station load, so the system-wide sum is slightly negative (ERCOT's NP4-737-CD shows values such as
 * -0.08 MW; field case 10 in test/fixtures/field-cases/); such values are real observations and kept as they are.
 * Far below that a value is corrupt. Capacities: wind about 40 GW and solar past 20 GW installed (ERCOT's Capacity,
 * Demand and Reserves report and fuel-mix figures for 2024, as recorded in the project's design notes), so the floor
 * is -1% of those: -400 MW for wind, -200 MW for solar. Load is never negative.
 */
export const MIN_GENERATION_MW: Readonly<Record<'WIND' | 'SOLAR', number>> = { WIND: -400, SOLAR: -200 };
const MIN_INTERVAL_MS = 60_000;
const MAX_INTERVAL_MS = 31 * 24 * 3_600_000;
const SERIES_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export const UNIT_FOR: Record<TickKind, string> = {
  RT_PRICE: 'USD/MWh',
  DAM_PRICE: 'USD/MWh',
  LOAD: 'MW',
  WIND: 'MW',
  SOLAR: 'MW',
};

export interface TickProblem {
  reasonCode: 'validation';
  message: string;
}

const isPrice = (kind: TickKind) => kind === 'RT_PRICE' || kind === 'DAM_PRICE';

/** Returns the first problem with the tick, or undefined when it is valid. */
export function checkTick(t: MarketTick): TickProblem | undefined {
  const bad = (message: string): TickProblem => ({ reasonCode: 'validation', message: `${t.seriesId || '(no series)'} ${t.kind}: ${message}` });
  if (!SERIES_ID.test(t.seriesId)) return bad(`seriesId ${JSON.stringify(t.seriesId)} must be 1-64 of A-Z a-z 0-9 _ . -`);
  if (!t.market || t.market.length > 32) return bad(`market ${JSON.stringify(t.market)} must be 1-32 characters`);
  if (!Number.isFinite(t.value)) return bad(`value ${t.value} is not a finite number`);
  if (!Number.isSafeInteger(t.intervalStart) || !Number.isSafeInteger(t.intervalEnd)) return bad('interval bounds must be integer epoch milliseconds');
  const length = t.intervalEnd - t.intervalStart;
  if (length < MIN_INTERVAL_MS || length > MAX_INTERVAL_MS) return bad(`interval [${t.intervalStart}, ${t.intervalEnd}) must last between 1 minute and 31 days`);
  if (t.intervalStart < Date.UTC(1990, 0, 1) || t.intervalStart > Date.UTC(2100, 0, 1)) return bad(`interval start ${new Date(t.intervalStart).toISOString()} is outside 1990-2100`);
  if (t.unit !== UNIT_FOR[t.kind]) return bad(`unit ${JSON.stringify(t.unit)} does not match kind (expected ${UNIT_FOR[t.kind]})`);
  if (isPrice(t.kind)) {
    if (t.value < PRICE_BOUNDS.min || t.value > PRICE_BOUNDS.max) return bad(`price ${t.value} is outside [${PRICE_BOUNDS.min}, ${PRICE_BOUNDS.max}]`);
  } else {
    const floor = t.kind === 'WIND' || t.kind === 'SOLAR' ? MIN_GENERATION_MW[t.kind] : 0;
    if (t.value < floor || t.value > MAX_POWER_MW) {
      return bad(`power ${t.value} MW is outside [${floor}, ${MAX_POWER_MW}]${floor < 0 ? ` (${t.kind} may read slightly negative at night, down to about -1% of installed capacity)` : ''}`);
    }
  }
  return undefined;
}
