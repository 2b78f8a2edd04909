// The battery arbitrage LP (see dispatch/README.md for the formulation and its source), solved with HiGHS (WASM).
// Building the model is pure; the solver is loaded once per process and solves synchronously after that.
import { createRequire } from 'node:module';
import type { Highs, ModelData, ObjectiveSense, VariableType } from 'highs';
import { DispatchError } from './errors.js';
import { centralDateOf } from '../market/central-time.js';
import { type BatteryAsset, legEfficiency, usableEnergyMwh, validateBattery } from './asset.js';

const HOUR_MS = 3_600_000;
/** Below this a MW or MWh figure is solver noise, printed and stored as 0. */
const EPS = 1e-7;
/**
 * Tie-break cost, $ per MWh charged and per MWh discharged, in the objective only (never in reported revenue): a
 * break-even trade (round trip 1, no degradation cost, equal prices) is left out instead of picked arbitrarily.
 */
export const TIE_BREAK_PER_MWH = 1e-6;
/** The longest problem one call accepts: a year of 15-minute intervals plus a day. */
export const MAX_INTERVALS = 366 * 96;

/**
 * A price curve: prices[i] in $/MWh covers [startMs + i*stepMs, startMs + (i+1)*stepMs).
 * Optional p10/p90 (same length) are the forecast's 10th/90th percentiles per interval.
 */
export interface PriceCurve {
  startMs: number;
  /** 15 minutes (900_000) or an hour (3_600_000); any whole number of minutes from 5 to 60 is accepted. */
  stepMs: number;
  prices: number[];
  p10?: number[] | null;
  p90?: number[] | null;
}

export interface OptimiseOptions {
  /** SoC at the start, MWh; default asset.initialSoc * energyMwh. */
  initialSocMwh?: number;
  /** Energy already discharged out of storage (MWh, storage side) on the market day of the first interval. */
  cycleEnergyUsedMwh?: number;
  /** Lowest SoC allowed at the end of the last interval, MWh (e.g. hand the next day what this one was given). */
  finalSocMinMwh?: number;
  /**
   * Value of each MWh stored at the end of the last interval, $/MWh, added to the objective only (never to the reported
   * revenue): a backtest's terminal rule (dispatch/backtest.ts endSocValue: eta * (mark price - degradation cost)) so
   * perfect foresight may hold energy to the end when that valuation pays. Default 0. Finite.
   */
  terminalValuePerMwh?: number;
  /**
   * How simultaneous charge and discharge is kept out: 'auto' (default) solves the LP and, only if an interval
   * both charges and discharges (it can pay at negative prices), re-solves as a MILP with a binary per interval;
   * 'milp' always uses the MILP; 'lp' never does (the LP relaxation; faster, may overstate negative-price revenue).
   */
  simultaneous?: 'auto' | 'milp' | 'lp';
}

/** One interval of a schedule. Power at the grid connection; revenue in $ on the prices the schedule was made on. */
export interface ScheduleInterval {
  startMs: number;
  chargeMw: number;
  dischargeMw: number;
  /** State of charge at the end of the interval, MWh. */
  socMwh: number;
  /** The price the decision used, $/MWh. */
  price: number;
  /** price * (discharge - charge) * hours - degradation cost * discharge * hours, $. */
  revenue: number;
}

export interface Schedule {
  assetId: string;
  startMs: number;
  stepMs: number;
  intervals: ScheduleInterval[];
  /** Sum of interval revenue, $ (net of degradation cost). */
  expectedRevenue: number;
  /** The same schedule valued at the P10 / P90 price curve (null without quantiles). See README: quantiles. */
  revenueAtP10: number | null;
  revenueAtP90: number | null;
  /** Energy charged from / discharged to the grid, MWh. */
  chargedMwh: number;
  dischargedMwh: number;
  /** Equivalent full cycles: energy discharged out of storage / usable energy. */
  cycles: number;
  solver: { milp: boolean; solveMs: number; columns: number; rows: number };
}

let highsPromise: Promise<Highs> | undefined;

/** The HiGHS WASM runtime, loaded once per process (about 0.2-0.3 s the first time). */
export function loadSolver(): Promise<Highs> {
  // highs is a CommonJS package whose types declare an ES default export: require() gives an object that is both.
  const highsLoader = createRequire(import.meta.url)('highs') as typeof import('highs');
  highsPromise ??= highsLoader.default().catch((err: unknown) => {
    highsPromise = undefined;
    throw new DispatchError('SOLVER_FAILED', `cannot load the HiGHS solver (npm highs): ${(err as Error).message}; run npm ci`, false, { cause: err });
  });
  return highsPromise!;
}

/** Throws DispatchError PRICES_INVALID unless `curve` is a usable price curve (finite prices, a sane step, quantiles aligned). */
export function validateCurve(curve: PriceCurve): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(curve.startMs)) problems.push(`startMs must be an integer epoch millisecond (got ${curve.startMs})`);
  if (!Number.isSafeInteger(curve.stepMs) || curve.stepMs % 60_000 !== 0 || curve.stepMs < 5 * 60_000 || curve.stepMs > HOUR_MS) {
    problems.push(`stepMs must be whole minutes from 5 to 60 (got ${curve.stepMs})`);
  }
  if (!Array.isArray(curve.prices) || curve.prices.length === 0) problems.push('prices must be a non-empty array');
  else if (curve.prices.length > MAX_INTERVALS) problems.push(`at most ${MAX_INTERVALS} intervals per problem (got ${curve.prices.length})`);
  else {
    const bad = curve.prices.findIndex((p) => typeof p !== 'number' || !Number.isFinite(p));
    if (bad >= 0) problems.push(`prices[${bad}] is not a finite number (${curve.prices[bad]})`);
    for (const q of ['p10', 'p90'] as const) {
      const arr = curve[q];
      if (arr == null) continue;
      if (arr.length !== curve.prices.length) problems.push(`${q} has ${arr.length} values for ${curve.prices.length} prices`);
      else if (arr.some((p) => !Number.isFinite(p))) problems.push(`${q} holds a non-finite value`);
    }
  }
  if (problems.length > 0) throw new DispatchError('PRICES_INVALID', `price curve is invalid: ${problems.join('; ')}`);
}

/** The solver's encodings the model needs (highs.constants), passed in so building stays pure. */
export interface SolverConstants {
  maximize: ObjectiveSense;
  integer: VariableType;
  infinity: number;
}

/** The LP (or MILP) of one problem in HiGHS's column-wise form, plus what is needed to read the answer back. */
export interface BatteryModel {
  model: ModelData;
  steps: number;
  milp: boolean;
}

/**
 * Builds the battery arbitrage model (pure). Columns per interval t: charge c_t (MW), discharge d_t (MW), SoC s_t
 * (MWh at the end of t); with `milp`, a binary u_t (1 = may charge). Rows: the SoC balance per interval, one cycle
 * row per market day when the asset has a daily cycle limit, and the two big-M rows per interval of the MILP.
 * Objective (maximise): sum_t [price_t (d_t - c_t) - kappa d_t] * hours + v s_{T-1} (v = opts.terminalValuePerMwh, default 0).
 * Source: README "Formulation".
 */
export function buildBatteryModel(asset: BatteryAsset, curve: PriceCurve, opts: OptimiseOptions, milp: boolean, k: SolverConstants): BatteryModel {
  const { infinity } = k;
  const T = curve.prices.length;
  const h = curve.stepMs / HOUR_MS;
  const eta = legEfficiency(asset);
  const P = asset.powerMw;
  const sMin = asset.minSoc * asset.energyMwh;
  const sMax = asset.maxSoc * asset.energyMwh;
  const s0 = opts.initialSocMwh ?? asset.initialSoc * asset.energyMwh;
  if (!(Number.isFinite(s0) && s0 >= sMin - EPS && s0 <= sMax + EPS)) {
    throw new DispatchError('DISPATCH_INFEASIBLE', `initial state of charge ${s0} MWh lies outside [${sMin}, ${sMax}] MWh of battery ${asset.id}`);
  }
  const terminal = opts.terminalValuePerMwh ?? 0;
  if (!Number.isFinite(terminal)) throw new DispatchError('PRICES_INVALID', `the terminal value of stored energy must be a finite $/MWh (got ${terminal})`);
  const finalMin = opts.finalSocMinMwh ?? sMin;
  if (finalMin > sMax + EPS) throw new DispatchError('DISPATCH_INFEASIBLE', `final state of charge of at least ${finalMin} MWh is above the battery's maximum ${sMax} MWh`);

  // Market days (US Central) for the cycle rows.
  const dayOf: number[] = new Array<number>(T);
  let days = 0;
  if (asset.dailyCycleLimit !== null) {
    let last = '';
    for (let t = 0; t < T; t++) {
      const d = centralDateOf(curve.startMs + t * curve.stepMs);
      if (d !== last) { days++; last = d; }
      dayOf[t] = days - 1;
    }
  }
  const cycleRow0 = T;
  const milpRow0 = T + days;
  const numRows = milpRow0 + (milp ? 2 * T : 0);
  const numCols = 3 * T + (milp ? T : 0);

  const colCost = new Float64Array(numCols);
  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols);
  const starts = new Int32Array(numCols + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const push = (row: number, v: number): void => { indices.push(row); values.push(v); };

  for (let t = 0; t < T; t++) {
    const price = curve.prices[t]!;
    // c_t
    let j = 3 * t;
    starts[j] = indices.length;
    colCost[j] = (-price - TIE_BREAK_PER_MWH) * h;
    colUpper[j] = P;
    push(t, -eta * h);
    if (milp) push(milpRow0 + 2 * t, 1);
    // d_t
    j = 3 * t + 1;
    starts[j] = indices.length;
    colCost[j] = (price - asset.degradationCostPerMwh - TIE_BREAK_PER_MWH) * h;
    colUpper[j] = P;
    push(t, h / eta);
    if (asset.dailyCycleLimit !== null) push(cycleRow0 + dayOf[t]!, h / eta);
    if (milp) push(milpRow0 + 2 * t + 1, 1);
    // s_t
    j = 3 * t + 2;
    starts[j] = indices.length;
    colLower[j] = t === T - 1 ? Math.max(sMin, finalMin) : sMin;
    if (t === T - 1) colCost[j] = terminal;
    colUpper[j] = sMax;
    push(t, 1);
    if (t + 1 < T) push(t + 1, -1);
  }
  if (milp) {
    for (let t = 0; t < T; t++) {
      const j = 3 * T + t;
      starts[j] = indices.length;
      colUpper[j] = 1;
      push(milpRow0 + 2 * t, -P);
      push(milpRow0 + 2 * t + 1, P);
    }
  }
  starts[numCols] = indices.length;

  const rowLower = new Float64Array(numRows);
  const rowUpper = new Float64Array(numRows);
  // Balance: s_t - s_{t-1} - eta h c_t + (h / eta) d_t = 0, with s_{-1} = s0 moved to the right-hand side.
  rowLower[0] = s0;
  rowUpper[0] = s0;
  if (asset.dailyCycleLimit !== null) {
    const budget = asset.dailyCycleLimit * usableEnergyMwh(asset);
    for (let d = 0; d < days; d++) {
      rowLower[cycleRow0 + d] = -infinity;
      rowUpper[cycleRow0 + d] = Math.max(0, budget - (d === 0 ? opts.cycleEnergyUsedMwh ?? 0 : 0));
    }
  }
  if (milp) {
    for (let t = 0; t < T; t++) {
      rowLower[milpRow0 + 2 * t] = -infinity; // c_t - P u_t <= 0
      rowUpper[milpRow0 + 2 * t] = 0;
      rowLower[milpRow0 + 2 * t + 1] = -infinity; // d_t + P u_t <= P
      rowUpper[milpRow0 + 2 * t + 1] = P;
    }
  }
  const model: ModelData = {
    numCols,
    numRows,
    sense: k.maximize,
    colCost,
    colLower,
    colUpper,
    rowLower,
    rowUpper,
    matrix: { format: 'csc', numRows, numCols, starts, indices: Int32Array.from(indices), values: Float64Array.from(values) },
    ...(milp ? { integrality: Int32Array.from({ length: numCols }, (_, col) => (col >= 3 * T ? k.integer : 0)) } : {}),
  };
  return { model, steps: T, milp };
}

function clean(x: number): number {
  return Math.abs(x) < EPS ? 0 : x;
}

/**
 * Optimal battery schedule for a price curve (the forecast's P50, or actual prices for perfect foresight).
 * Returns a Schedule whose revenue figures are on `curve.prices` (and P10/P90 when given).
 * Errors: ASSET_INVALID, PRICES_INVALID, DISPATCH_INFEASIBLE (no schedule meets the constraints), SOLVER_FAILED.
 */
export function optimiseWith(highs: Highs, asset: BatteryAsset, curve: PriceCurve, opts: OptimiseOptions = {}): Schedule {
  validateBattery(asset);
  validateCurve(curve);
  const mode = opts.simultaneous ?? 'auto';
  let result = solveOnce(highs, asset, curve, opts, mode === 'milp');
  if (mode === 'auto' && !result.milp && hasSimultaneous(result.x, result.steps)) {
    result = solveOnce(highs, asset, curve, opts, true);
  }
  return toSchedule(asset, curve, result.x, result.milp, result.solveMs, result.columns, result.rows, opts.initialSocMwh);
}

/** optimiseWith after loading the solver once. */
export async function optimise(asset: BatteryAsset, curve: PriceCurve, opts: OptimiseOptions = {}): Promise<Schedule> {
  return optimiseWith(await loadSolver(), asset, curve, opts);
}

function hasSimultaneous(x: Float64Array, T: number): boolean {
  for (let t = 0; t < T; t++) if (x[3 * t]! > 1e-6 && x[3 * t + 1]! > 1e-6) return true;
  return false;
}

function solveOnce(highs: Highs, asset: BatteryAsset, curve: PriceCurve, opts: OptimiseOptions, milp: boolean) {
  const built = buildBatteryModel(asset, curve, opts, milp, { maximize: highs.constants.objectiveSense.maximize, integer: highs.constants.variableType.integer, infinity: highs.infinity });
  const t0 = performance.now();
  const res = milp ? highs.raw.mipCall(built.model) : highs.raw.lpCall(built.model);
  const solveMs = performance.now() - t0;
  if (res.status === -1) throw new DispatchError('SOLVER_FAILED', `HiGHS returned an error for battery ${asset.id} (${built.steps} intervals${milp ? ', MILP' : ''})`);
  const status = res.value.modelStatus as number;
  const codes = highs.constants.modelStatus;
  if (status === codes.infeasible || status === codes.unboundedOrInfeasible) {
    throw new DispatchError('DISPATCH_INFEASIBLE', `no schedule of battery ${asset.id} meets its constraints over ${built.steps} intervals (initial state of charge, final state of charge or cycle limit cannot all hold)`);
  }
  if (status !== codes.optimal) throw new DispatchError('SOLVER_FAILED', `HiGHS ended with model status ${status} for battery ${asset.id}`);
  return { x: res.value.solution.colValue, milp, steps: built.steps, solveMs, columns: built.model.numCols, rows: built.model.numRows };
}

/** Reads a solved column vector back into a Schedule (pure). */
function toSchedule(asset: BatteryAsset, curve: PriceCurve, x: Float64Array, milp: boolean, solveMs: number, columns: number, rows: number, initialSocMwh: number | undefined): Schedule {
  const T = curve.prices.length;
  const charge: number[] = [];
  const discharge: number[] = [];
  for (let t = 0; t < T; t++) {
    charge.push(clamp(clean(x[3 * t]!), 0, asset.powerMw));
    discharge.push(clamp(clean(x[3 * t + 1]!), 0, asset.powerMw));
  }
  return scheduleFromPower(asset, curve, charge, discharge, { milp, solveMs, columns, rows }, initialSocMwh);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * A Schedule from given charge/discharge power per interval (pure): SoC follows the balance equation from the
 * initial state; revenue on curve.prices. Used by the optimiser and by rule-based strategies, so every strategy's
 * schedule has the same shape and the same accounting.
 */
export function scheduleFromPower(asset: BatteryAsset, curve: PriceCurve, charge: number[], discharge: number[], solver: Schedule['solver'] = { milp: false, solveMs: 0, columns: 0, rows: 0 }, initialSocMwh?: number): Schedule {
  const h = curve.stepMs / HOUR_MS;
  const eta = legEfficiency(asset);
  let soc = initialSocMwh ?? asset.initialSoc * asset.energyMwh;
  const intervals: ScheduleInterval[] = [];
  let chargedMwh = 0;
  let dischargedMwh = 0;
  let revenue = 0;
  let r10: number | null = curve.p10 ? 0 : null;
  let r90: number | null = curve.p90 ? 0 : null;
  for (let t = 0; t < curve.prices.length; t++) {
    const c = charge[t] ?? 0;
    const d = discharge[t] ?? 0;
    soc = clean(soc + eta * c * h - (d * h) / eta);
    const price = curve.prices[t]!;
    const rev = (price * (d - c) - asset.degradationCostPerMwh * d) * h;
    intervals.push({ startMs: curve.startMs + t * curve.stepMs, chargeMw: c, dischargeMw: d, socMwh: soc, price, revenue: rev });
    chargedMwh += c * h;
    dischargedMwh += d * h;
    revenue += rev;
    if (r10 !== null) r10 += (curve.p10![t]! * (d - c) - asset.degradationCostPerMwh * d) * h;
    if (r90 !== null) r90 += (curve.p90![t]! * (d - c) - asset.degradationCostPerMwh * d) * h;
  }
  return {
    assetId: asset.id,
    startMs: curve.startMs,
    stepMs: curve.stepMs,
    intervals,
    expectedRevenue: revenue,
    revenueAtP10: r10,
    revenueAtP90: r90,
    chargedMwh,
    dischargedMwh,
    cycles: dischargedMwh / eta / usableEnergyMwh(asset),
    solver,
  };
}
