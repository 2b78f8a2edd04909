// System energy price from net load through a merit-order (supply stack) curve, plus a scarcity adder in the
// spirit of ERCOT's operating reserve demand curve (ORDC). Pure functions; no state.
import { OFFER_CAP } from '../../market/tick-validation.js';

/** ERCOT's system-wide offer floor, USD/MWh (the cap is market/tick-validation.ts OFFER_CAP). */
export const OFFER_FLOOR = -250;

export const PRICE_PARAMS = {
  /** Merit order at a $3/MMBtu gas price: [net load GW, USD/MWh]. Negative below must-run generation
   * (wind bidding its production tax credit away); gas-fired plants set the flat middle. */
  meritOrder: [
    [0, -35],
    [4, -25],
    [8, -14],
    [11, -4],
    [13, 4],
    [16, 13],
    [20, 20],
    [25, 25],
    [35, 29],
    [45, 34],
    [55, 40],
    [65, 49],
    [75, 63],
    [90, 85],
  ] as ReadonlyArray<readonly [number, number]>,
  /** Gas price the merit order is written for. */
  referenceGas: 3,
  /** Peaking units as headroom (available capacity minus net load) shrinks: amp * exp(-(R - 3 GW) / scale). */
  peakerAmp: 80,
  peakerScaleGw: 3.5,
  peakerMax: 400,
  /** ORDC-like adder: (cap - energy price) * LOLP(R); LOLP = 1 at R <= minimum contingency level X, else
   * 1 - Phi((R - X - mu) / sigma). */
  ordcMinReserveGw: 2.5,
  ordcMuGw: 0.3,
  ordcSigmaGw: 1.2,
} as const;

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Merit-order price (USD/MWh) for net load netMw; the positive (fuel) part scales with the gas price. */
export function meritOrderPrice(netMw: number, gas: number): number {
  const table = PRICE_PARAMS.meritOrder;
  const gw = netMw / 1000;
  let i = 1;
  while (i < table.length - 1 && table[i]![0] < gw) i++;
  const [x0, y0] = table[i - 1]!;
  const [x1, y1] = table[i]!;
  const p = y0 + ((y1 - y0) * (gw - x0)) / (x1 - x0);
  return p > 0 ? (p * gas) / PRICE_PARAMS.referenceGas : p;
}

/** Probability that reserves are insufficient, given headroom in GW. */
export function lossOfLoadProbability(headroomGw: number, sigmaGw: number): number {
  const p = PRICE_PARAMS;
  if (headroomGw <= p.ordcMinReserveGw) return 1;
  return 1 - normalCdf((headroomGw - p.ordcMinReserveGw - p.ordcMuGw) / sigmaGw);
}

/**
 * System lambda (USD/MWh): merit order + peaker tail + scarcity adder, within [floor, cap].
 * sigmaGw widens the scarcity curve for a forecast (day-ahead) price.
 */
export function systemPrice(netMw: number, availableMw: number, gas: number, sigmaGw: number = PRICE_PARAMS.ordcSigmaGw): number {
  const p = PRICE_PARAMS;
  const headroomGw = (availableMw - netMw) / 1000;
  const energy = meritOrderPrice(netMw, gas) + Math.min(p.peakerMax, ((p.peakerAmp * gas) / p.referenceGas) * Math.exp(-(headroomGw - 3) / p.peakerScaleGw));
  const adder = (OFFER_CAP - Math.min(energy, OFFER_CAP)) * lossOfLoadProbability(headroomGw, sigmaGw);
  return clampPrice(energy + adder);
}

export function clampPrice(p: number): number {
  return p > OFFER_CAP ? OFFER_CAP : p < OFFER_FLOOR ? OFFER_FLOOR : p;
}
