// trace: 3.4
// Ridge regression recovers a known linear function and picks its penalty on a time-ordered slice; the hold-out
// evaluation scores every method on the same points, per series and overall.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitRidge, predictLinear } from '../../model/baselines.js';
import type { Dataset } from '../../model/dataset.js';
import { OVERALL, evaluateHoldout, markdownTable, metricsRecord, score } from '../../model/evaluate.js';
import { Rng } from '../../streams/simulator/prng.js';

describe('ridge baseline', () => {
  it('recovers a known linear function with two outputs', () => {
    const rng = new Rng(3);
    const n = 2_000;
    const p = 12;
    const H = 2;
    const w = Array.from({ length: p * H }, () => rng.uniform() * 4 - 2);
    const b = [0.5, -1.5];
    const X = new Float64Array(n * p).map(() => rng.uniform() * 2 - 1);
    const Y = new Float64Array(n * H);
    for (let r = 0; r < n; r++) {
      for (let h = 0; h < H; h++) {
        let s = b[h]!;
        for (let j = 0; j < p; j++) s += X[r * p + j]! * w[j * H + h]!;
        Y[r * H + h] = s + 1e-3 * (rng.uniform() - 0.5);
      }
    }
    const m = fitRidge(X, Y, p, H, 1_600);
    for (let j = 0; j < p * H; j++) assert.ok(Math.abs(m.weights[j]! - w[j]!) < 1e-2, `weight ${j}: ${m.weights[j]} vs ${w[j]}`);
    assert.ok(Math.abs(m.weights[p * H]! - b[0]!) < 1e-2 && Math.abs(m.weights[p * H + 1]! - b[1]!) < 1e-2, 'intercepts');
    assert.equal(m.alpha, Math.min(...m.validation.map((v) => v.alpha)), 'noise-free data picks the smallest penalty');
    const pred = predictLinear(m.weights, X, p, H, 1_600, n);
    for (let i = 0; i < pred.length; i++) assert.ok(Math.abs(pred[i]! - Y[1_600 * H + i]!) < 1e-2);
  });

  it('stays solvable on duplicated (collinear) columns', () => {
    const rng = new Rng(9);
    const n = 300;
    const X = new Float64Array(n * 3);
    const Y = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const a = rng.uniform();
      X[r * 3] = a;
      X[r * 3 + 1] = a; // exact duplicate
      X[r * 3 + 2] = 1; // constant, like the intercept
      Y[r] = 3 * a;
    }
    const m = fitRidge(X, Y, 3, 1, n);
    assert.ok(Math.abs(m.weights[0]! + m.weights[1]! - 3) < 0.05, 'the duplicate columns share the weight');
  });
});

/** A tiny dataset: 1 feature "steps" of 1, hold-out of 4 samples over two series, horizon 1. */
function tinyDataset(): Dataset {
  const n = 10;
  const X = new Float32Array(n).map((_, i) => i / 10);
  const yRaw = Array.from({ length: n }, (_, i) => 10 + i);
  return {
    formatVersion: 1,
    featureOrder: [],
    steps: 1,
    features: 1,
    horizon: 1,
    n,
    trainCount: 6,
    seriesIds: ['A', 'A', 'B', 'A', 'B', 'A', 'A', 'B', 'A', 'B'],
    windowEnds: Array.from({ length: n }, (_, i) => i),
    scaler: { features: [{ mean: 0, std: 1 }], target: { mean: 10, std: 2 } },
    target: { market: 'T', kind: 'K', seriesIds: ['A', 'B'], stepMs: 1, unit: 'u' },
    trainingRange: { from: '', to: '' },
    holdoutRange: { from: '', to: '' },
    X,
    y: Float32Array.from(yRaw, (v) => (v - 10) / 2),
    baselines: {
      naive_last: Float32Array.from(yRaw, (v) => v - 1),
      same_hour_yesterday: Float32Array.from(yRaw, (v) => v + 2),
      same_hour_last_week: Float32Array.from(yRaw, (v, i) => (i === 9 ? Number.NaN : v - 4)),
    },
  };
}

describe('hold-out evaluation', () => {
  it('scores each method per series and overall on the points every method covers', () => {
    const d = tinyDataset();
    // model: exact on samples 6 and 7, off by 3 on sample 8, sample 9 has no last-week baseline (not scored)
    const e = evaluateHoldout(d, [16, 17, 21, 0]);
    assert.equal(e.samples, 4);
    assert.equal(e.points, 3);
    const all = score(e, OVERALL, 'model')!;
    assert.equal(all.n, 3);
    assert.ok(Math.abs(all.rmse - Math.sqrt(9 / 3)) < 1e-9);
    assert.ok(Math.abs(all.mae - 1) < 1e-9);
    assert.equal(score(e, OVERALL, 'naive_last')!.rmse, 1);
    assert.equal(score(e, OVERALL, 'same_hour_last_week')!.mae, 4);
    assert.equal(score(e, 'B', 'model')!.n, 1);
    assert.equal(score(e, 'A', 'same_hour_yesterday')!.rmse, 2);
    assert.ok(score(e, OVERALL, 'ridge')!.rmse < 1e-3, 'y is linear in X: ridge is near exact');
    const m = metricsRecord(e);
    assert.equal(m.rmse_naive_last, 1);
    assert.equal(m.n_holdout, 3);
    const table = markdownTable(e);
    assert.match(table, /^\| series \| method \| n \| RMSE \(u\) \| MAE \(u\) \| RMSE \/ naive \|/);
    assert.match(table, /\| \*\*all\*\* \| \*\*model\*\* \| 3 \| 1\.73 \| 1\.00 \| 1\.732 \|/);
  });
});
