// What a forecasting model has to beat on the hold-out.
// - naive last hour: the newest value in the window (the value at its last step when present), for every step ahead;
// - same hour yesterday / last week: the series' value 24 h / 168 h before the target time, from its history;
// - ridge regression: a linear model on the same input the LSTM reads (the flattened, scaled [steps, features]
//   window plus an intercept), closed form, with a small L2 penalty chosen on a time-ordered validation slice.
// The first three come precomputed with the dataset (model/dataset.ts, `baselines`); ridge is fitted here.
import type { Dataset } from './dataset.js';

export interface RidgeModel {
  /** Weights [p + 1, horizon]: p input weights then the intercept, row-major. */
  weights: Float64Array;
  inputs: number;
  horizon: number;
  /** The penalty used (absolute, on the Gram matrix of the training rows). */
  lambda: number;
  /** The relative penalty chosen (lambda = alpha · trace(XᵀX) / p). */
  alpha: number;
  /** Validation MSE (scaled units) per alpha tried. */
  validation: Array<{ alpha: number; mse: number }>;
}

/** Relative penalties tried: lambda = alpha · mean diagonal of XᵀX. */
export const RIDGE_ALPHAS = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

/** Gram matrix [X 1]ᵀ[X 1] (upper triangle filled, (p+1)²) and [X 1]ᵀY ((p+1) × H) over rows [from, to). */
function gram(X: ArrayLike<number>, Y: ArrayLike<number>, p: number, H: number, from: number, to: number): { G: Float64Array; B: Float64Array } {
  const q = p + 1;
  const G = new Float64Array(q * q);
  const B = new Float64Array(q * H);
  const row = new Float64Array(q);
  for (let r = from; r < to; r++) {
    for (let j = 0; j < p; j++) row[j] = X[r * p + j]!;
    row[p] = 1;
    for (let i = 0; i < q; i++) {
      const xi = row[i]!;
      if (xi === 0) continue;
      const gi = i * q;
      for (let j = i; j < q; j++) G[gi + j]! += xi * row[j]!;
      for (let h = 0; h < H; h++) B[i * H + h]! += xi * Y[r * H + h]!;
    }
  }
  return { G, B };
}

/**
 * Solve (G + lambda·D) W = B with D = identity except the intercept (last) entry, by Cholesky on the upper
 * triangle of G. Returns null when the matrix is not positive definite.
 */
function solve(G: Float64Array, B: Float64Array, q: number, H: number, lambda: number): Float64Array | null {
  // L (lower) such that L Lᵀ = A, A[i][j] = G[min(i,j)*q + max(i,j)] + lambda on the diagonal (not the intercept).
  const L = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j <= i; j++) {
      let s = G[j * q + i]! + (i === j && i < q - 1 ? lambda : 0);
      for (let k = 0; k < j; k++) s -= L[i * q + k]! * L[j * q + k]!;
      if (i === j) {
        if (!(s > 1e-12)) return null;
        L[i * q + i] = Math.sqrt(s);
      } else {
        L[i * q + j] = s / L[j * q + j]!;
      }
    }
  }
  const W = new Float64Array(q * H);
  const z = new Float64Array(q);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < q; i++) {
      let s = B[i * H + h]!;
      for (let k = 0; k < i; k++) s -= L[i * q + k]! * z[k]!;
      z[i] = s / L[i * q + i]!;
    }
    for (let i = q - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < q; k++) s -= L[k * q + i]! * W[k * H + h]!;
      W[i * H + h] = s / L[i * q + i]!;
    }
  }
  return W;
}

/** Predictions [rows, H] of a weight matrix for rows [from, to) of X. */
export function predictLinear(W: Float64Array, X: ArrayLike<number>, p: number, H: number, from: number, to: number): Float64Array {
  const out = new Float64Array((to - from) * H);
  for (let r = from; r < to; r++) {
    for (let h = 0; h < H; h++) {
      let s = W[p * H + h]!;
      for (let j = 0; j < p; j++) s += X[r * p + j]! * W[j * H + h]!;
      out[(r - from) * H + h] = s;
    }
  }
  return out;
}

function mse(pred: Float64Array, Y: ArrayLike<number>, H: number, from: number): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i]! - Y[from * H + i]!;
    s += d * d;
  }
  return s / pred.length;
}

/**
 * Fit ridge on rows [0, trainCount) of X ([n, p]) and Y ([n, H]). The penalty is chosen on the last
 * `validationFraction` of those rows (time-ordered, fitted on the rows before it), then the model is refitted on
 * all training rows with it.
 */
export function fitRidge(X: ArrayLike<number>, Y: ArrayLike<number>, p: number, H: number, trainCount: number, opts: { validationFraction?: number; alphas?: number[] } = {}): RidgeModel {
  const q = p + 1;
  const alphas = opts.alphas ?? RIDGE_ALPHAS;
  const split = Math.floor(trainCount * (1 - (opts.validationFraction ?? 0.2)));
  if (trainCount < 2) throw new Error(`ridge: ${trainCount} training rows are too few`);
  const inner = gram(X, Y, p, H, 0, split);
  const rest = gram(X, Y, p, H, split, trainCount);
  const full = { G: inner.G.map((v, i) => v + rest.G[i]!), B: inner.B.map((v, i) => v + rest.B[i]!) };
  const scale = (G: Float64Array) => {
    let t = 0;
    for (let i = 0; i < p; i++) t += G[i * q + i]!;
    return t / Math.max(1, p) || 1;
  };
  const validation: Array<{ alpha: number; mse: number }> = [];
  let best = { alpha: alphas[alphas.length - 1]!, mse: Number.POSITIVE_INFINITY };
  if (split > 0 && split < trainCount) {
    for (const alpha of alphas) {
      const W = solve(inner.G, inner.B, q, H, alpha * scale(inner.G));
      if (!W) continue;
      const e = mse(predictLinear(W, X, p, H, split, trainCount), Y, H, split);
      validation.push({ alpha, mse: e });
      if (e < best.mse) best = { alpha, mse: e };
    }
  }
  // Refit on all training rows; a larger penalty if the chosen one is numerically singular.
  for (const alpha of [best.alpha, ...alphas.filter((a) => a > best.alpha)]) {
    const lambda = alpha * scale(full.G);
    const W = solve(full.G, full.B, q, H, lambda);
    if (W) return { weights: W, inputs: p, horizon: H, lambda, alpha, validation };
  }
  throw new Error('ridge: the normal equations are singular for every penalty tried');
}

/**
 * Relative penalties the served model's linear base may take per horizon step (fitRidgePerHorizon): wider than
 * RIDGE_ALPHAS, whose largest value the shared penalty reaches on the simulated market. The ridge baseline keeps
 * RIDGE_ALPHAS and one penalty.
 */
export const BASE_RIDGE_ALPHAS = [1e-3, 1e-2, 1e-1, 1, 3, 10, 30, 100];

const traceScale = (G: Float64Array, p: number) => {
  let t = 0;
  for (let i = 0; i < p; i++) t += G[i * (p + 1) + i]!;
  return t / Math.max(1, p) || 1;
};

/**
 * Ridge on rows [0, trainCount) of X ([n, p]) and Y ([n, H]) with a penalty of its own per horizon step: column h
 * solves (ZᵀZ + λ_h·D) w_h = Zᵀy_h, Z = [X 1], λ_h = alphas[h] · trace(XᵀX) / p, D the identity without the
 * intercept (as fitRidge). One regression per step ahead with its own hyper-parameter: the direct multi-step
 * strategy (Ben Taieb, Bontempi, Atiya & Sorjamaa 2012, "A review and comparison of strategies for multi-step ahead
 * time series forecasting", Expert Syst. Appl. 39(8), §2.2). Returns weights [p + 1, H] row-major (p input weights
 * then the intercept), as RidgeModel.weights. Throws RangeError for alphas not one positive number per step or
 * fewer than 2 rows, Error when a system is not positive definite.
 */
export function fitRidgePerHorizon(X: ArrayLike<number>, Y: ArrayLike<number>, p: number, H: number, trainCount: number, alphas: readonly number[]): Float64Array {
  if (alphas.length !== H || !alphas.every((a) => Number.isFinite(a) && a > 0)) throw new RangeError(`ridge per horizon: expected ${H} positive penalties, got [${alphas.join(', ')}]`);
  if (trainCount < 2) throw new RangeError(`ridge per horizon: ${trainCount} training rows are too few`);
  const q = p + 1;
  const { G, B } = gram(X, Y, p, H, 0, trainCount);
  const out = new Float64Array(q * H);
  for (const alpha of new Set(alphas)) {
    const W = solve(G, B, q, H, alpha * traceScale(G, p));
    if (!W) throw new Error(`ridge per horizon: the normal equations are singular at penalty ${alpha}`);
    for (let h = 0; h < H; h++) if (alphas[h] === alpha) for (let i = 0; i < q; i++) out[i * H + h] = W[i * H + h]!;
  }
  return out;
}

/** A rolling-origin block for chooseRidgeAlphasByBlock: fit on rows [0, fitCount), forecast rows [from, to). */
interface PenaltyFold {
  fitCount: number;
  from: number;
  to: number;
}

/**
 * Per horizon step, the penalty of `grid` (relative, as fitRidge's alpha) whose ridge forecasts hold up best across
 * rolling-origin blocks (model/rolling-origin.ts): each fold fits on rows [0, fitCount) and forecasts its block
 * [from, to); a penalty's score at step h is its worst block's MSE divided by that block's best penalty's MSE
 * (minimax relative regret across forecast origins, the rule quantile.ts chooseBlends scores sources by); the lowest
 * score wins, ties keep the earlier penalty of the grid. One fold: the lowest MSE on it. Returns the penalty per
 * step and each grid penalty's score per step (`worstRatio[gridIndex][h]`, ≥ 1). Throws RangeError for no folds, a
 * fold that fits on fewer than 2 rows or whose block is empty or lies outside the rows, or an empty grid.
 */
export function chooseRidgeAlphasByBlock(
  X: ArrayLike<number>, Y: ArrayLike<number>, p: number, H: number, folds: readonly PenaltyFold[], grid: readonly number[] = BASE_RIDGE_ALPHAS,
): { alphas: number[]; worstRatio: number[][] } {
  const steps = penaltyChoice(X, Y, p, H, folds, grid);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * chooseRidgeAlphasByBlock with `pace()` awaited after each fold's fits (a fold's Gram matrix and the grid's
 * solves), so that a long choice lets the event loop run (model/paced.ts). The same result and errors (as a
 * rejection).
 */
export async function chooseRidgeAlphasByBlockPaced(
  X: ArrayLike<number>, Y: ArrayLike<number>, p: number, H: number, folds: readonly PenaltyFold[], pace: () => Promise<void>, grid: readonly number[] = BASE_RIDGE_ALPHAS,
): Promise<{ alphas: number[]; worstRatio: number[][] }> {
  const steps = penaltyChoice(X, Y, p, H, folds, grid);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pace();
  }
}

/** chooseRidgeAlphasByBlock's work, pausing (yield) after each fold. */
function* penaltyChoice(
  X: ArrayLike<number>, Y: ArrayLike<number>, p: number, H: number, folds: readonly PenaltyFold[], grid: readonly number[],
): Generator<void, { alphas: number[]; worstRatio: number[][] }> {
  const rows = Math.floor(Y.length / H);
  if (folds.length === 0) throw new RangeError('ridge penalty per horizon: no validation block');
  if (grid.length === 0 || !grid.every((a) => Number.isFinite(a) && a > 0)) throw new RangeError(`ridge penalty per horizon: the grid must hold positive penalties, got [${grid.join(', ')}]`);
  for (const f of folds) {
    if (!(f.fitCount >= 2 && f.from < f.to && f.from >= 0 && f.to <= rows)) throw new RangeError(`ridge penalty per horizon: block fit ${f.fitCount}, [${f.from}, ${f.to}) does not fit ${rows} rows`);
  }
  const q = p + 1;
  // mse[fold][grid][h]
  const mse: Float64Array[][] = [];
  for (const f of folds) {
    const { G, B } = gram(X, Y, p, H, 0, f.fitCount);
    yield;
    mse.push(grid.map((alpha) => {
      const W = solve(G, B, q, H, alpha * traceScale(G, p));
      const e = new Float64Array(H).fill(Number.POSITIVE_INFINITY);
      if (!W) return e;
      e.fill(0);
      const pred = predictLinear(W, X, p, H, f.from, f.to);
      for (let i = 0; i < f.to - f.from; i++) for (let h = 0; h < H; h++) e[h]! += (pred[i * H + h]! - Y[(f.from + i) * H + h]!) ** 2;
      return e.map((v) => v / (f.to - f.from));
    }));
    yield;
  }
  const worstRatio = grid.map((_, g) =>
    Array.from({ length: H }, (_, h) =>
      Math.max(...mse.map((byGrid) => {
        const best = Math.min(...byGrid.map((e) => e[h]!));
        return best > 0 ? byGrid[g]![h]! / best : byGrid[g]![h]! === 0 ? 1 : Number.POSITIVE_INFINITY;
      })),
    ),
  );
  const alphas = Array.from({ length: H }, (_, h) => {
    let k = 0;
    grid.forEach((_, g) => {
      if (worstRatio[g]![h]! < worstRatio[k]![h]! - 1e-12) k = g;
    });
    return grid[k]!;
  });
  return { alphas, worstRatio };
}

/** Fit ridge on a dataset's training samples (scaled X flattened, scaled y). */
export function fitDatasetRidge(d: Dataset): RidgeModel {
  return fitRidge(d.X, d.y, d.steps * d.features, d.horizon, d.trainCount);
}

/** Scaled ridge predictions for samples [from, to). */
export function predictRidge(m: RidgeModel, X: ArrayLike<number>, from: number, to: number): Float64Array {
  return predictLinear(m.weights, X, m.inputs, m.horizon, from, to);
}
