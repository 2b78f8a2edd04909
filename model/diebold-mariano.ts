// The Diebold-Mariano test of equal predictive accuracy (Diebold & Mariano 1995, JBES 13(3)) on a series of loss
// differentials, with the Newey-West long-run variance (h-step errors overlap, so the differentials are correlated
// up to h − 1 steps), the Harvey-Leybourne-Newbold small-sample correction (Harvey, Leybourne & Newbold 1997, IJF
// 13(2), 281-291) and a p-value from Student's t with n − 1 degrees of freedom, as R's forecast::dm.test does with
// varestimator = "bartlett". Pure; the blend rule (quantile.ts chooseBlends) and the hold-out tables
// (evaluate.ts) use it.

/**
 * The Newey-West long-run variance of x (finite values, in time order): γ0 + 2 Σ_{l=1..L} (1 − l/(L+1)) γl, with
 * γl = (1/n) Σ_t (x_t − x̄)(x_{t−l} − x̄) and L = min(lag, n − 1) (Bartlett weights keep it non-negative).
 * NaN with fewer than 2 values.
 */
export function neweyWestVariance(x: readonly number[], lag: number): number {
  const n = x.length;
  if (n < 2) return Number.NaN;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  const gamma = (l: number) => {
    let s = 0;
    for (let t = l; t < n; t++) s += (x[t]! - mean) * (x[t - l]! - mean);
    return s / n;
  };
  let v = gamma(0);
  const L = Math.min(Math.max(0, Math.floor(lag)), n - 1);
  for (let l = 1; l <= L; l++) v += 2 * (1 - l / (L + 1)) * gamma(l);
  return v;
}

/**
 * The Diebold-Mariano statistic of loss differentials d (in time order, e.g. squared error of the reference minus
 * that of the challenger): mean(d) / sqrt(V / n), V the Newey-West long-run variance with Bartlett weights up to
 * `lag`. Positive: the challenger has the lower loss. Non-finite differentials are dropped. NaN with fewer than 2
 * finite differentials; ±∞ when all are equal and non-zero; 0 when all are zero. No small-sample correction
 * (dieboldMarianoTest has it).
 */
export function dieboldMariano(d: ArrayLike<number>, lag: number): number {
  const x = Array.from(d).filter(Number.isFinite);
  const n = x.length;
  if (n < 2) return Number.NaN;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  const v = neweyWestVariance(x, lag);
  if (!(v > 0)) return mean > 0 ? Number.POSITIVE_INFINITY : mean < 0 ? Number.NEGATIVE_INFINITY : 0;
  return mean / Math.sqrt(v / n);
}

/**
 * The Harvey-Leybourne-Newbold factor for n differentials of h-step forecasts: sqrt((n + 1 − 2h + h(h − 1)/n) / n)
 * (HLN 1997, eq. 9). It multiplies the DM statistic; below 1, so the corrected test rejects less often in small
 * samples. HLN derived it for the truncated (uniform-weight) variance with h − 1 lags; with Newey-West weights it is
 * the usual approximation. NaN where the bracket is not positive (h too large for n).
 */
export function hlnFactor(n: number, h: number): number {
  const k = (n + 1 - 2 * h + (h * (h - 1)) / n) / n;
  return k > 0 ? Math.sqrt(k) : Number.NaN;
}

/** One Diebold-Mariano test's figures (dieboldMarianoTest). */
export interface DmTest {
  /** Finite differentials used. */
  n: number;
  /** Their mean, in the loss's unit (squared error: the target's unit squared). */
  meanDiff: number;
  /** Newey-West lags used (h − 1, at most n − 1). */
  lag: number;
  /** The statistic before the correction (dieboldMariano). */
  dm: number;
  /** The statistic after the HLN correction (or dm when the correction is off); positive: the challenger is better. */
  statistic: number;
  /** Degrees of freedom of the reference Student t (n − 1). */
  df: number;
  /** Two-sided p-value of "equal accuracy" from Student t with df degrees of freedom (1 when the statistic is 0). */
  pValue: number;
}

/**
 * The Diebold-Mariano test of equal accuracy at forecast horizon h (steps, ≥ 1) on loss differentials d (time order,
 * one per forecast origin; reference's loss minus the challenger's, so a positive statistic favours the challenger):
 * Newey-West variance with h − 1 lags, the statistic times hlnFactor(n, h) unless `o.hln === false`, two-sided
 * p-value from Student t with n − 1 degrees of freedom (HLN 1997; with the correction off, the same t reference).
 * NaN statistic and p-value with fewer than 2 finite differentials or where the HLN factor is undefined. All
 * differentials zero: statistic 0, p = 1; all equal and non-zero: ±∞, p = 0. Throws RangeError for h < 1.
 */
export function dieboldMarianoTest(d: ArrayLike<number>, h: number, o: { hln?: boolean } = {}): DmTest {
  if (!(Number.isInteger(h) && h >= 1)) throw new RangeError(`dieboldMarianoTest: horizon must be an integer >= 1, got ${h}`);
  const x = Array.from(d).filter(Number.isFinite);
  const n = x.length;
  const meanDiff = n > 0 ? x.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const lag = Math.max(0, Math.min(h - 1, n - 1));
  const dm = dieboldMariano(x, lag);
  const statistic = o.hln === false ? dm : dm === 0 ? 0 : dm * hlnFactor(n, h);
  const df = n - 1;
  const pValue = Number.isNaN(statistic) ? Number.NaN : studentTTwoSided(statistic, df);
  return { n, meanDiff, lag, dm, statistic, df, pValue };
}

/** P(|T| ≥ |t|) for Student's t with df > 0 degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). 1 at t = 0, 0 at ±∞. */
export function studentTTwoSided(t: number, df: number): number {
  if (!(df > 0) || Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** Student's t cumulative distribution P(T ≤ t) with df > 0 degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoSided(t, df) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The regularized incomplete beta function I_x(a, b) for x in [0, 1], a, b > 0: the continued fraction of Numerical
 * Recipes (3rd ed., §6.4, modified Lentz), on the side of x where it converges fast. Accurate to about 1e-12 here.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1) || !(a > 0) || !(b > 0)) return Number.NaN;
  if (x === 0 || x === 1) return x;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

// Lanczos approximation (g = 7, 9 terms), relative error about 1e-15 for positive arguments.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0. */
export function lnGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  const x = z - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i]! / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}
