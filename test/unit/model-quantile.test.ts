// trace: D.forecaster
// Quantile forecasts: pinball loss and band coverage on constructed cases, split-conformal offsets, the seasonal
// naive index, the per-horizon choice of sources, the served graph (ONNX Runtime) against its TypeScript twin, and
// the forecaster's "same hour last week" steps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { type ModelMetadata, ONNX_INPUT, ONNX_OUTPUT, ONNX_QUANTILES, SEQUENCE_FEATURES } from '../../model/contract.js';
import { buildLstm, mulberry32, predictScaled } from '../../model/lstm.js';
import { exportTfjsLstmToOnnx } from '../../model/onnx-export.js';
import { blendLabel, chooseBlends, conformalOffsets, conformalQuantile, pinball, quantileScore, seasonalNaiveIndex } from '../../model/quantile.js';
import { type ServedSpec, composeServedGraph, servedForecast } from '../../model/served-graph.js';
import type { Dataset } from '../../model/dataset.js';
import { SeriesHistory, serveSteps } from '../../processors/forecaster/history.js';

describe('pinball loss and coverage', () => {
  it('pinball: tau·(y − q) above the quantile, (1 − tau)·(q − y) below', () => {
    assert.equal(pinball(10, 8, 0.9), 0.9 * 2);
    assert.ok(Math.abs(pinball(10, 12, 0.9) - 0.1 * 2) < 1e-12);
    assert.equal(pinball(10, 8, 0.1), 0.1 * 2);
    assert.equal(pinball(10, 12, 0.1), 0.9 * 2);
    assert.equal(pinball(5, 5, 0.5), 0);
  });

  it('scores a constructed case: 10 actuals, band [1, 8], median 5', () => {
    const y = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const s = quantileScore(y, y.map(() => 1), y.map(() => 5), y.map(() => 8));
    assert.equal(s.n, 10);
    // 1..8 inside (ends included), 0 below, 9 above.
    assert.equal(s.coverage, 0.8);
    assert.equal(s.below, 0.1);
    assert.equal(s.above, 0.1);
    assert.equal(s.meanWidth, 7);
    // P10 = 1: y = 0 costs 0.9·1; y = 1..9 cost 0.1·(y − 1) = 0.1·36.
    assert.ok(Math.abs(s.pinball.p10 - (0.9 + 3.6) / 10) < 1e-12);
    // P50 = 5: 0.5·|y − 5| summed = 0.5·25.
    assert.ok(Math.abs(s.pinball.p50 - 12.5 / 10) < 1e-12);
    // P90 = 8: y = 0..7 cost 0.1·(8 − y) = 0.1·36; y = 9 costs 0.9.
    assert.ok(Math.abs(s.pinball.p90 - (3.6 + 0.9) / 10) < 1e-12);
    assert.ok(Math.abs(s.meanPinball - (s.pinball.p10 + s.pinball.p50 + s.pinball.p90) / 3) < 1e-12);
  });

  it('skips points where the actual or a quantile is not finite', () => {
    const s = quantileScore([1, Number.NaN, 3], [0, 0, Number.NaN], [1, 1, 1], [2, 2, 2]);
    assert.equal(s.n, 1);
    assert.equal(s.coverage, 1);
  });
});

describe('split-conformal calibration', () => {
  it('conformalQuantile takes the ceil((n + 1)·level)-th smallest score', () => {
    const scores = [9, 1, 8, 2, 7, 3, 6, 4, 5]; // n = 9
    assert.equal(conformalQuantile(scores, 0.9), 9); // rank ceil(9) = 9
    assert.equal(conformalQuantile(scores, 0.5), 5); // rank ceil(5) = 5
    assert.equal(conformalQuantile(scores, 0.99), 9); // rank 10 > n: the largest
    assert.ok(Number.isNaN(conformalQuantile([Number.NaN], 0.9)));
  });

  it('offsets make a too-narrow band cover about 80% of the calibration points, 10% each side', () => {
    const rng = mulberry32(3);
    const n = 999;
    const H = 2;
    const y = new Float64Array(n * H);
    const p50 = new Float64Array(n * H);
    for (let i = 0; i < y.length; i++) y[i] = (rng() - 0.5) * 10 + (i % H) * 100;
    for (let i = 0; i < y.length; i++) p50[i] = (i % H) * 100;
    const zero = new Float64Array(n * H);
    const { cLo, cHi } = conformalOffsets(y, p50, zero, zero, H, 0.1);
    for (let h = 0; h < H; h++) {
      let below = 0;
      let above = 0;
      for (let i = 0; i < n; i++) {
        const j = i * H + h;
        if (y[j]! < p50[j]! - cLo[h]!) below++;
        if (y[j]! > p50[j]! + cHi[h]!) above++;
      }
      assert.ok(below / n <= 0.1 && below / n >= 0.09, `h${h + 1}: ${below / n} below`);
      assert.ok(above / n <= 0.1 && above / n >= 0.09, `h${h + 1}: ${above / n} above`);
      // Uniform on ±5: the 10% tails start at ±4.
      assert.ok(Math.abs(cLo[h]! - 4) < 0.2 && Math.abs(cHi[h]! - 4) < 0.2, `offsets ${cLo[h]} ${cHi[h]}`);
    }
  });
});

describe('seasonal naive and the per-horizon choice', () => {
  it('seasonalNaiveIndex: the same hour on the latest day known at issue time (FPP3 §5.2)', () => {
    assert.equal(seasonalNaiveIndex(1, 24, 24), 0); // T + 1 − 24: the oldest step of a 24-step window
    assert.equal(seasonalNaiveIndex(24, 24, 24), 23); // T: the last step
    assert.equal(seasonalNaiveIndex(25, 24, 24), 0); // two days back
    assert.equal(seasonalNaiveIndex(36, 24, 24), 11);
    assert.equal(seasonalNaiveIndex(1, 96, 24), -1); // a 15-minute series: yesterday is not in a 6-hour window
  });
});

describe('per-horizon blends', () => {
  it('chooses the baseline where it wins, a blend where two sources err independently, and keeps a single source within the margin', () => {
    const rng = mulberry32(5);
    const n = 400;
    const H = 3;
    const y = new Float64Array(n * H);
    const lstm = new Float64Array(n * H);
    const lastWeek = new Float64Array(n * H);
    for (let i = 0; i < n; i++) {
      for (let h = 0; h < H; h++) {
        const j = i * H + h;
        y[j] = Math.sin(i / 7 + h);
        const e1 = rng() - 0.5;
        const e2 = rng() - 0.5;
        // h1: the network is much better; h2: last week is much better; h3: equally good, independent errors.
        lstm[j] = y[j]! + (h === 0 ? 0.1 : 1) * e1;
        lastWeek[j] = h === 2 && i % 50 === 0 ? Number.NaN : y[j]! + (h === 1 ? 0.1 : h === 0 ? 1 : 1) * e2;
      }
    }
    const c = chooseBlends({ lstm, 'baseline:same_hour_last_week': lastWeek }, y, H);
    assert.deepEqual([c[0]!.a, c[0]!.b], ['lstm', null]);
    assert.deepEqual([c[1]!.a, c[1]!.b], ['baseline:same_hour_last_week', null]);
    // Two equally good forecasts with independent errors: the even blend halves the error variance.
    assert.deepEqual([c[2]!.a, c[2]!.b], ['lstm', 'baseline:same_hour_last_week']);
    assert.ok(Math.abs(c[2]!.w - 0.5) <= 0.1, `weight ${c[2]!.w}`);
    assert.equal(blendLabel(c[2]!), `blend:${c[2]!.w.toFixed(1)} lstm + ${(1 - c[2]!.w).toFixed(1)} baseline:same_hour_last_week`);
    // A source unknown at more than 10% of the points is not used.
    const sparse = Float64Array.from(lastWeek, (v, j) => (j % 3 === 2 && j % 2 === 0 ? Number.NaN : v));
    assert.equal(chooseBlends({ lstm, 'baseline:same_hour_last_week': sparse }, y, H)[2]!.b, null);
  });
});

describe('the served graph (ONNX Runtime) against servedForecast', () => {
  it('matches to float precision, keeps P10 <= P50 <= P90, and serves each horizon from its source', async () => {
    const steps = 24;
    const F = SEQUENCE_FEATURES.length;
    const H = 6;
    const P = steps * F;
    const net = buildLstm({ steps, features: F, horizon: H, units: 5, layers: 1, seed: 7, outputsPerStep: 3 });
    const rng = mulberry32(11);
    const spec: ServedSpec = {
      steps, features: F, horizon: H,
      baseW: Float32Array.from({ length: P * H }, () => (rng() - 0.5) * 0.02), baseB: Float32Array.from({ length: H }, () => rng() - 0.5),
      ridgeW: Float32Array.from({ length: P * H }, () => (rng() - 0.5) * 0.02), ridgeB: Float32Array.from({ length: H }, () => rng() - 0.5),
      seasonalIndex: Array.from({ length: H }, (_, h) => seasonalNaiveIndex(h + 1, 24, steps)),
      sources: ['lstm', 'baseline:ridge', 'baseline:naive_last', 'baseline:same_hour_yesterday', 'lstm', 'lstm'],
      // negative offsets shrink a band: relu keeps it from crossing
      cLo: Float32Array.from([0.1, 0.5, 0.2, 0.3, -5, 0]), cHi: Float32Array.from([0, 0.4, 0.1, 0.2, 0.3, -5]),
      shrink: Float32Array.from([0.5, 1, 1, 1, 0, 0.3]),
    };
    // h6 is a blend: 0.7 network + 0.3 naive last
    spec.weights = ['lstm', 'baseline:ridge', 'baseline:naive_last', 'baseline:same_hour_yesterday'].map((src) =>
      Float32Array.from(spec.sources, (s, h) => (h === 5 ? (src === 'lstm' ? 0.7 : src === 'baseline:naive_last' ? 0.3 : 0) : s === src ? 1 : 0)));
    const bytes = composeServedGraph(exportTfjsLstmToOnnx(net, { steps, features: F, horizon: 3 * H }), spec);
    const n = 9;
    const X = Float32Array.from({ length: n * P }, () => (rng() - 0.5) * 3);
    const d = { X, steps, features: F, horizon: H } as unknown as Dataset;
    const raw = predictScaled(net, d, 0, n);
    const ts = servedForecast(spec, X, raw, 0, n);
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', X, [n, steps, F]) });
      const p50 = out[ONNX_OUTPUT]!.data as Float32Array;
      const q = out[ONNX_QUANTILES]!;
      assert.deepEqual(q.dims, [n, 3, H]);
      const qd = q.data as Float32Array;
      for (let i = 0; i < n; i++) {
        for (let h = 0; h < H; h++) {
          const j = i * H + h;
          const [a, m, b] = [qd[i * 3 * H + h]!, qd[i * 3 * H + H + h]!, qd[i * 3 * H + 2 * H + h]!];
          assert.ok(a <= m && m <= b, `sample ${i} h${h + 1}: ${a} <= ${m} <= ${b}`);
          assert.ok(Math.abs(m - p50[j]!) < 1e-6, 'output equals the quantiles\' middle row');
          for (const [got, want, what] of [[a, ts.p10[j]!, 'P10'], [m, ts.p50[j]!, 'P50'], [b, ts.p90[j]!, 'P90']] as const) {
            assert.ok(Math.abs(got - want) < 1e-4 * (1 + Math.abs(want)), `sample ${i} h${h + 1} ${what}: onnx ${got} ts ${want}`);
          }
        }
        const value = (s: number) => X[(i * steps + s) * F]!;
        assert.ok(Math.abs(p50[i * H + 2]! - value(steps - 1)) < 1e-6, 'h3 serves naive last: the last step\'s scaled value');
        assert.ok(Math.abs(p50[i * H + 3]! - value(3)) < 1e-6, 'h4 serves same hour yesterday: window index 3');
        assert.ok(Math.abs(qd[i * 3 * H + 4]! - p50[i * H + 4]!) < 1e-6, 'h5 band below shrunk to nothing, not crossed');
        let base5 = spec.baseB[4]!;
        for (let k = 0; k < P; k++) base5 += X[i * P + k]! * spec.baseW[k * H + 4]!;
        assert.ok(Math.abs(p50[i * H + 4]! - base5) < 1e-4, 'h5 shrink 0: the linear base alone');
      }
    } finally {
      await session.release();
      net.dispose();
    }
  });
});

describe('forecaster: same hour last week from the windows seen', () => {
  const HOUR = 3_600_000;
  const meta = {
    architecture: { horizon: 2 },
    stepSources: ['lstm', 'baseline:same_hour_last_week'],
    lastWeekBand: { below: [0, 3], above: [0, 4] },
    training: { graphSources: ['lstm', 'baseline:ridge'] },
  } as unknown as ModelMetadata;
  const w = (windowEnd: number, values: number[]) => ({ market: 'M', seriesId: 'S', kind: 'LOAD', stepMs: HOUR, windowEnd, values });

  it('serves the slot 7 days before the target with its band, and falls back (labelled) when unseen', () => {
    const h = new SeriesHistory();
    const T = Date.UTC(2024, 0, 8);
    const served = serveSteps(w(T, [1, 2]), meta, [10, 20], { p10: [9, 19], p90: [11, 21] }, h);
    assert.deepEqual(served, { values: [10, 20], p10: [9, 19], p90: [11, 21], stepSources: ['lstm', 'baseline:ridge'] });
    // A window a week earlier whose last slot ends at T + 2h − 7 days.
    h.add(w(T + 2 * HOUR - 7 * 24 * HOUR, [40, 50]));
    const again = serveSteps(w(T, [1, 2]), meta, [10, 20], { p10: [9, 19], p90: [11, 21] }, h);
    assert.deepEqual(again, { values: [10, 50], p10: [9, 47], p90: [11, 54], stepSources: ['lstm', 'baseline:same_hour_last_week'] });
    // A blend: 0.25 of last week with 0.75 of the graph's value.
    const blend = { ...meta, lastWeekWeight: [0, 0.25], stepSources: ['lstm', 'blend:0.8 lstm + 0.2 baseline:same_hour_last_week'] } as unknown as ModelMetadata;
    const mixed = serveSteps(w(T, [1, 2]), blend, [10, 20], { p10: [9, 19], p90: [11, 21] }, h);
    assert.deepEqual(mixed.values, [10, 0.25 * 50 + 0.75 * 20]);
    assert.deepEqual(mixed.p10, [9, 27.5 - 3]);
    assert.equal(mixed.stepSources![1], 'blend:0.8 lstm + 0.2 baseline:same_hour_last_week');
  });
});
