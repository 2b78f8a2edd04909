// trace: 3.4, D.forecaster
// The Diebold-Mariano test of the hold-out tables: Student t against closed forms, the statistic and its
// Harvey-Leybourne-Newbold (1997) correction on differentials worked by hand and against R's forecast::dm.test, the known answers (no difference: 0 and
// p = 1; a clear gain: a small p), and evaluateHoldout's per-horizon test against the best baseline.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset } from '../../model/dataset.js';
import { dieboldMariano, dieboldMarianoTest, hlnFactor, lnGamma, neweyWestVariance, studentTCdf, studentTTwoSided } from '../../model/diebold-mariano.js';
import { evaluateHoldout, significanceTable } from '../../model/evaluate.js';
import { mulberry32 } from '../../model/lstm.js';

const close = (a: number, b: number, tol = 1e-9, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

// Student t with 3 degrees of freedom in closed form: F(t) = 1/2 + (1/π)(u/(1 + u²) + atan u), u = t/√3.
const t3Cdf = (t: number) => {
  const u = t / Math.sqrt(3);
  return 0.5 + (u / (1 + u * u) + Math.atan(u)) / Math.PI;
};

describe('Student t distribution', () => {
  it('matches closed forms (1, 2 and 3 degrees of freedom) and table values', () => {
    for (const t of [0, 0.3, 1, 2.5, 7]) {
      close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `Cauchy at ${t}`);
      close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12, `df 2 at ${t}`);
      close(studentTCdf(t, 3), t3Cdf(t), 1e-12, `df 3 at ${t}`);
      close(studentTCdf(-t, 3), 1 - t3Cdf(t), 1e-12, `df 3 at ${-t}`);
    }
    // two-sided 5% critical values: t(10) 2.228139, t(1) 12.706205, the normal 1.959964
    close(studentTTwoSided(2.228138852, 10), 0.05, 1e-8);
    close(studentTTwoSided(12.70620474, 1), 0.05, 1e-8);
    close(studentTTwoSided(1.959963985, 1e7), 0.05, 1e-6);
    assert.equal(studentTTwoSided(0, 5), 1);
    assert.equal(studentTTwoSided(Number.POSITIVE_INFINITY, 5), 0);
    close(lnGamma(5), Math.log(24), 1e-12);
    close(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12);
  });
});

describe('the Diebold-Mariano test', () => {
  it('worked by hand: d = 2, 0, 2, 0 at h = 1 and h = 2, with and without the HLN correction', () => {
    const d = [2, 0, 2, 0];
    // mean 1, deviations ±1: γ0 = 1, γ1 = −3/4
    close(neweyWestVariance(d, 0), 1);
    close(neweyWestVariance(d, 1), 1 + 2 * 0.5 * -0.75);
    // h = 1: no lags, DM = 1 / sqrt(1/4) = 2; HLN factor sqrt((4 + 1 − 2 + 0)/4) = sqrt(3)/2, so the statistic is √3
    const h1 = dieboldMarianoTest(d, 1);
    assert.deepEqual([h1.n, h1.lag, h1.df], [4, 0, 3]);
    close(h1.meanDiff, 1);
    close(h1.dm, 2);
    close(h1.statistic, Math.sqrt(3));
    close(h1.pValue, 2 * (1 - t3Cdf(Math.sqrt(3))), 1e-12, 'two-sided p from t(3)');
    // h = 2: one Newey-West lag, V = 1/4, DM = 1 / sqrt(1/16) = 4; HLN (Harvey, Leybourne & Newbold 1997, eq. 9):
    // sqrt((n + 1 − 2h + h(h − 1)/n)/n) = sqrt((4 + 1 − 4 + 2/4)/4) = sqrt(3/8), so the statistic is 4·sqrt(3/8) = √6
    const h2 = dieboldMarianoTest(d, 2);
    assert.equal(h2.lag, 1);
    close(h2.dm, 4);
    close(hlnFactor(4, 2), Math.sqrt(3 / 8));
    close(h2.statistic, Math.sqrt(6));
    close(h2.pValue, 2 * (1 - t3Cdf(Math.sqrt(6))), 1e-12);
    // without the correction the statistic is the plain DM, the reference the same t(3): a smaller p
    const raw = dieboldMarianoTest(d, 2, { hln: false });
    close(raw.statistic, 4);
    assert.ok(raw.pValue < h2.pValue, `${raw.pValue} < ${h2.pValue}`);
    // the statistic is the blend rule's (dieboldMariano) before the correction
    close(dieboldMariano(d, 1), h2.dm);
  });

  it('identical losses: statistic 0 and p = 1; a clearly better forecast: a small p; a mixed one: a large p', () => {
    const zero = dieboldMarianoTest(new Float64Array(200), 6);
    assert.deepEqual([zero.statistic, zero.pValue, zero.meanDiff], [0, 1, 0]);
    const rng = mulberry32(5);
    // squared errors of a reference with error sd 2 and a challenger with error sd 1, over 300 origins
    const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const d = Array.from({ length: 300 }, () => (2 * gauss()) ** 2 - gauss() ** 2);
    const better = dieboldMarianoTest(d, 1);
    assert.ok(better.statistic > 5 && better.pValue < 1e-6, JSON.stringify(better));
    // the same comparison the other way round: the same p, the statistic's sign flipped
    const worse = dieboldMarianoTest(d.map((v) => -v), 1);
    close(worse.statistic, -better.statistic);
    close(worse.pValue, better.pValue, 1e-15);
    // equal error variances: no evidence either way
    const same = dieboldMarianoTest(Array.from({ length: 300 }, () => gauss() ** 2 - gauss() ** 2), 1);
    assert.ok(same.pValue > 0.05, JSON.stringify(same));
  });

  it("matches R's forecast::dm.test (8.20, power 2, varestimator \"bartlett\") on 50 differentials", () => {
    // set.seed(1); e1 <- rnorm(50) + 0.3 * c(0, rnorm(49)); e2 <- rnorm(50) * 0.8; d = e1^2 - e2^2 (positive: e2 better)
    const d = [
      0.24901515294165705, -0.15445257192689205, 1.0377079069385722, 2.3508444127217381, -0.015896267939121134, -0.12168976743269644, -0.82916646024501817,
      0.065834254402106551, -0.46125920429256828, -0.076380116100853879, 0.35360160015161535, 0.97416658440127324, 0.26431077963767685, 2.7182560693344948,
      1.0134607616919424, 0.044254418945777092, -0.097114770105669171, 0.09635133464975644, 1.5399789639425496, 0.25314083975428558, 2.4471642152953827,
      0.69139949912532084, -1.1352422983984658, 3.2326509002711905, 0.094691804170815477, 0.1803886179908441, -0.32037837644857936, 2.5685183121675901,
      0.22740401904474492, -0.10356830324331806, 1.3294094619562655, 0.072424850078789113, -0.10145897352230303, -0.091019671150890935, 1.888498202368321,
      -0.0040664311325559893, -1.424159747362209, 0.0094253128434059336, 0.83900632534378561, 0.49204743921224453, 0.0050505045885671594, -2.1723001553816466,
      0.23618383214460159, -0.95553119995641178, 0.091634970441521024, -0.74341087188736787, -0.077626579324166056, -2.6393562210427786, 0.080647512402580571,
      -0.79501190637289398,
    ];
    // R: h, statistic, p.value
    for (const [h, stat, p] of [[1, 1.63242075828132, 0.109001655674923], [3, 1.52342768770861, 0.134080157828243], [6, 1.26954112403866, 0.210244723394357]] as const) {
      const r = dieboldMarianoTest(d, h);
      close(r.statistic, stat, 1e-12, `h ${h} statistic`);
      close(r.pValue, p, 1e-12, `h ${h} p`);
    }
  });

  it('overlapping h-step errors: the same gain in runs of h is less significant with h − 1 lags than without', () => {
    const rng = mulberry32(11);
    const base = Array.from({ length: 50 }, () => 0.3 + (rng() - 0.5));
    const runs = Array.from({ length: 500 }, (_, i) => base[Math.floor(i / 10)]!);
    const h10 = dieboldMarianoTest(runs, 10);
    const h1 = dieboldMarianoTest(runs, 1);
    assert.ok(h10.pValue > h1.pValue * 10, `${h10.pValue} vs ${h1.pValue}`);
  });

  it('rejects a horizon below 1 and gives NaN with fewer than 2 differentials', () => {
    assert.throws(() => dieboldMarianoTest([1, 2], 0), RangeError);
    const one = dieboldMarianoTest([1], 1);
    assert.ok(Number.isNaN(one.statistic) && Number.isNaN(one.pValue));
  });
});

/** Two series (A, B) sharing each window end; y varies widely and X is noise, so ridge is poor and naive last best. */
function pairedDataset(ends: number, trainEnds: number, modelErr: (i: number) => number): { d: Dataset; model: number[] } {
  const rng = mulberry32(23);
  const n = 2 * ends;
  const yRaw = Array.from({ length: n }, (_, i) => 100 * Math.sin(i * 0.7) + 50 * Math.cos(i * 1.3));
  const naiveErr = (i: number) => (i % 4 < 2 ? 1 : -1);
  const d: Dataset = {
    formatVersion: 1,
    featureOrder: [],
    steps: 1,
    features: 1,
    horizon: 1,
    n,
    trainCount: 2 * trainEnds,
    seriesIds: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'A' : 'B')),
    windowEnds: Array.from({ length: n }, (_, i) => Math.floor(i / 2) * 3_600_000),
    scaler: { features: [{ mean: 0, std: 1 }], target: { mean: 0, std: 100 } },
    target: { market: 'T', kind: 'K', seriesIds: ['A', 'B'], stepMs: 3_600_000, unit: 'u' },
    trainingRange: { from: '', to: '' },
    holdoutRange: { from: '', to: '' },
    X: Float32Array.from({ length: n }, () => rng() - 0.5),
    y: Float32Array.from(yRaw, (v) => v / 100),
    baselines: {
      naive_last: Float32Array.from(yRaw, (v, i) => v + naiveErr(i)),
      same_hour_yesterday: Float32Array.from(yRaw, (v) => v + 5),
      same_hour_last_week: Float32Array.from(yRaw, (v) => v - 5),
    },
  };
  // float32 targets, as the dataset stores them
  const model = Array.from({ length: n - d.trainCount }, (_, k) => d.y[d.trainCount + k]! * 100 + modelErr(d.trainCount + k));
  return { d, model };
}

describe('the hold-out test per horizon (evaluateHoldout)', () => {
  it('a model that serves the best baseline: "serves it", statistic 0, p = 1, one origin per window end', () => {
    const { d, model } = pairedDataset(60, 40, (i) => (i % 4 < 2 ? 1 : -1));
    const e = evaluateHoldout(d, model);
    assert.equal(e.significance.length, 1, 'horizon 1 only');
    const s = e.significance[0]!;
    assert.equal(s.baseline, 'naive_last');
    assert.equal(s.same, true);
    assert.deepEqual([s.test.statistic, s.test.pValue, s.test.n, s.gaps], [0, 1, 20, 0]);
    assert.match(significanceTable(e), /\| 1 \| 1\.00 \| naive last hour \| 1\.00 \| 0 \(serves it\) \| 1\.0000 \| 20 \|/);
    // up to float32 rounding of the served graph (scaled and back): still the baseline, not noise for the test
    const rounded = model.map((v, k) => v + (k % 3 === 0 ? 2e-5 : -1e-5));
    const r = evaluateHoldout(d, rounded).significance[0]!;
    assert.deepEqual([r.same, r.test.statistic, r.test.pValue], [true, 0, 1]);
  });

  it('a model clearly better than the best baseline: a positive statistic and a small p; worse: negative', () => {
    const rng = mulberry32(29);
    const better = pairedDataset(60, 40, () => 0.4 * (rng() - 0.5));
    const s = evaluateHoldout(better.d, better.model).significance[0]!;
    assert.equal(s.baseline, 'naive_last');
    assert.equal(s.same, false);
    assert.ok(s.modelRmse < s.baselineRmse);
    assert.ok(s.test.statistic > 3 && s.test.pValue < 0.01, JSON.stringify(s.test));
    assert.equal(s.test.n, 20, 'the two series of a window end are one differential');
    // a missing hour among the origins is counted
    const gap = pairedDataset(60, 40, () => 0.4 * (rng() - 0.5));
    for (let i = 2 * 50; i < gap.d.n; i++) gap.d.windowEnds[i]! += 3_600_000;
    assert.equal(evaluateHoldout(gap.d, gap.model).significance[0]!.gaps, 1);
    const worse = pairedDataset(60, 40, () => 3 * (rng() < 0.5 ? 1 : -1) + (rng() - 0.5));
    const w = evaluateHoldout(worse.d, worse.model).significance[0]!;
    assert.ok(w.test.statistic < -3 && w.test.pValue < 0.01, JSON.stringify(w.test));
  });
});
