// trace: D.forecaster
// The P10-P90 band's calibration: how the rolling-origin blocks' conformal offsets combine (max, pooled, median,
// mean, recency-weighted), normalized conformal with a per-window volatility scale, the band scale in the served
// graph (ONNX Runtime against servedForecast, monotone in the scale), the width by regime, and last-week steps that
// take the graph's band.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { type ModelMetadata, ONNX_INPUT, ONNX_QUANTILES, SEQUENCE_FEATURES } from '../../model/contract.js';
import type { Dataset } from '../../model/dataset.js';
import { buildLstm, mulberry32, predictScaled } from '../../model/lstm.js';
import { exportTfjsLstmToOnnx } from '../../model/onnx-export.js';
import { bandByRegime, blockOffset, chooseBlends, conformalOffsetsByBlock, conformalQuantile, nextBlockCoverage, seasonalNaiveIndex, weightedConformalQuantile } from '../../model/quantile.js';
import { dieboldMariano } from '../../model/diebold-mariano.js';
import { type ServedSpec, bandScales, composeServedGraph, servedForecast } from '../../model/served-graph.js';
import { applyLastWeek } from '../../model/train.js';
import { SeriesHistory, serveSteps } from '../../processors/forecaster/history.js';

const range = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));

describe('combining the blocks\' conformal offsets', () => {
  // Three blocks of 9 scores each: 1..9, 11..19, 101..109. Each block's 0.9 conformal quantile (rank ceil(10·0.9) = 9)
  // is its largest: 9, 19, 109.
  const blocks = [range(9, (i) => i + 1), range(9, (i) => i + 11), range(9, (i) => i + 101)];

  it('max keeps the widest block, median the middle one, mean their mean', () => {
    assert.equal(blockOffset(blocks, 0.9, 'max'), 109);
    assert.equal(blockOffset(blocks, 0.9, 'median'), 19);
    assert.equal(blockOffset(blocks, 0.9, 'mean'), (9 + 19 + 109) / 3);
  });

  it('pooled is one split-conformal quantile of all scores', () => {
    // 27 scores: rank ceil(28·0.9) = 26, the second largest
    assert.equal(blockOffset(blocks, 0.9, 'pooled'), 108);
    assert.equal(blockOffset(blocks, 0.9, 'pooled'), conformalQuantile(blocks.flatMap((b) => Array.from(b)), 0.9));
  });

  it('recent weighs the newest block most (weights 1/4, 1/2, 1) and follows it when it moves', () => {
    // total weight 9·(1/4 + 1/2 + 1) + 1 = 16.75; 0.9 of it = 15.075: block 1 (2.25) and 2 (4.5) add 6.75, then 9
    // scores of weight 1 reach 15.075 at the ninth: 109. With the calm block newest (1..9 weight 1, 11..19 weight
    // 1/2: 13.5), the 0.9 level is reached at the seventh of 101..109 (weight 1/4 each): 107.
    assert.equal(blockOffset(blocks, 0.9, 'recent'), 109);
    assert.equal(blockOffset([blocks[2]!, blocks[1]!, blocks[0]!], 0.9, 'recent'), 107);
    // a block without a finite score is ignored; none at all: NaN
    assert.equal(blockOffset([blocks[0]!, Float64Array.of(Number.NaN)], 0.9, 'max'), 9);
    assert.ok(Number.isNaN(blockOffset([Float64Array.of(Number.NaN)], 0.9, 'median')));
  });

  it('weightedConformalQuantile with equal weights is the split-conformal quantile', () => {
    const s = range(19, (i) => (i * 7) % 19);
    for (const level of [0.5, 0.8, 0.9]) assert.equal(weightedConformalQuantile(s, new Float64Array(19).fill(1), level), conformalQuantile(s, level));
  });

  it('conformalOffsetsByBlock applies the rule per side and horizon', () => {
    // One horizon; y above p50 by the block's scores, never below: the upper offsets are the rules' values.
    const y = Float64Array.from(blocks.flatMap((b) => Array.from(b)));
    const zero = new Float64Array(y.length);
    for (const rule of ['max', 'median', 'mean', 'pooled', 'recent'] as const) {
      const c = conformalOffsetsByBlock(y, zero, zero, zero, 1, 0.1, [9, 9, 9], { rule });
      assert.equal(c.cHi[0], blockOffset(blocks, 0.9, rule), rule);
      assert.ok(c.cLo[0]! < 0, `${rule}: no actual lies below P50, so the lower offset is negative`);
    }
  });
});

describe('two-sided (joint) calibration', () => {
  it('one offset for both sides: the 0.8 conformal quantile of the larger side\'s score', () => {
    // 19 actuals below P50 by 1..19 (upper scores −1..−19): the joint score is the lower one, its rank ceil(20·0.8)
    // = 16 gives 16 on both sides; separately the upper side would be negative (no actual above).
    const y = range(19, (i) => -(i + 1));
    const zero = new Float64Array(19);
    const joint = conformalOffsetsByBlock(y, zero, zero, zero, 1, 0.1, [19], { sides: 'joint' });
    assert.deepEqual([joint.cLo[0], joint.cHi[0]], [16, 16]);
    const separate = conformalOffsetsByBlock(y, zero, zero, zero, 1, 0.1, [19]);
    assert.equal(separate.cLo[0], 18); // rank ceil(20·0.9) = 18
    assert.ok(separate.cHi[0]! < 0);
  });
});

describe('next-block coverage: a calibration judged on the block after the ones it saw', () => {
  it('is near nominal for exchangeable blocks and low when the next block is more volatile', () => {
    const rng = mulberry32(13);
    const per = 2_000;
    const zero = new Float64Array(3 * per);
    const calm = range(3 * per, () => 2 * (rng() - 0.5)); // uniform ±1 in all three blocks
    const r = nextBlockCoverage(calm, zero, zero, zero, 1, 0.1, [per, per, per], { rule: 'pooled' });
    assert.equal(r.perBlock.length, 2);
    for (const c of r.perBlock) assert.ok(Math.abs(c - 0.8) < 0.03, `exchangeable: ${c}`);
    // the third block ±5: offsets near 0.8 from the calm blocks cover about 0.8 / 5 of it
    const shifted = Float64Array.from(calm, (v, i) => (i >= 2 * per ? 5 * v : v));
    const s2 = nextBlockCoverage(shifted, zero, zero, zero, 1, 0.1, [per, per, per], { rule: 'max' });
    assert.ok(Math.abs(s2.perBlock[1]! - 0.16) < 0.03, `volatile next block: ${s2.perBlock[1]}`);
    assert.ok(Math.abs(s2.mean - (s2.perBlock[0]! + s2.perBlock[1]!) / 2) < 1e-12);
    assert.ok(Number.isNaN(nextBlockCoverage(calm, zero, zero, zero, 1, 0.1, [3 * per]).mean), 'one block: nothing to test');
  });
});

describe('blends that must win in every block', () => {
  it('rejects a blend that is worse than its single source in one block, though its worst-block ratio is better', () => {
    // y = 0; block 1: a errs ±1, b ±3 (same sign); block 2: a ±1.5, b ∓1 (opposite sign). a has the better worst
    // block (2.25 vs 9); 0.9 a + 0.1 b is worse than a in block 1 (1.44 vs 1) but its worst ratio is 1.5625.
    const per = 50;
    const sign = (i: number) => (i % 2 === 0 ? 1 : -1);
    const a = range(2 * per, (i) => sign(i) * (i < per ? 1 : 1.5));
    const b = range(2 * per, (i) => sign(i) * (i < per ? 3 : -1));
    const y = new Float64Array(2 * per);
    const worst = chooseBlends({ a, b }, y, 1, 0.02, [per, per]);
    assert.deepEqual([worst[0]!.a, worst[0]!.b, worst[0]!.w], ['a', 'b', 0.9]);
    const every = chooseBlends({ a, b }, y, 1, 0.02, [per, per], { everyBlock: true });
    assert.deepEqual([every[0]!.a, every[0]!.b], ['a', null]);
  });
});

describe('the Diebold-Mariano test for a blend', () => {
  it('is large for a consistent gain, zero for none, and smaller when the differentials are autocorrelated', () => {
    const rng = mulberry32(17);
    const gain = range(400, () => 0.2 + (rng() - 0.5));
    assert.ok(dieboldMariano(gain, 0) > 5, 'a steady gain is significant');
    assert.equal(dieboldMariano(range(400, (i) => (i % 2 === 0 ? 1 : -1)), 0), 0);
    // the same values in runs of 10 (as errors of overlapping horizons are): the Newey-West variance grows
    const runs = range(400, (i) => gain[Math.floor(i / 10)]!);
    assert.ok(dieboldMariano(runs, 10) < dieboldMariano(runs, 0) / 2, `${dieboldMariano(runs, 10)} vs ${dieboldMariano(runs, 0)}`);
    assert.ok(Number.isNaN(dieboldMariano([1], 0)));
  });

  it('keeps the single source when the blend\'s gain is not significant', () => {
    // y = 0; a errs ±1; b errs ±1 with a sign independent of a's: 0.5 a + 0.5 b halves the MSE except by chance
    const rng = mulberry32(19);
    const n = 400;
    const a = range(n, (i) => (i % 2 === 0 ? 1 : -1));
    const b = range(n, () => (rng() < 0.5 ? 1 : -1));
    const y = new Float64Array(n);
    assert.ok(chooseBlends({ a, b }, y, 1, 0.02, undefined, { dmLag: () => 0 })[0]!.b !== null, 'a real gain passes');
    // a = z + u, c = z − u (z = ±1, u = ±0.1 uncorrelated with z): both MSE 1.01, the even blend 1.00, a 1% gain
    // whose differentials 2zu + 0.01 (±0.2) give a DM statistic of 0.01 / (0.2 / √400) = 1, not significant
    const z = (i: number) => (i % 2 === 0 ? 1 : -1);
    const u = (i: number) => (i % 4 < 2 ? 0.1 : -0.1);
    const a2 = range(n, (i) => z(i) + u(i));
    const c2 = range(n, (i) => z(i) - u(i));
    assert.equal(chooseBlends({ a2, c2 }, y, 1, 0, undefined, { dmLag: () => 0 })[0]!.b, null);
    const plain = chooseBlends({ a2, c2 }, y, 1, 0)[0]!;
    assert.deepEqual([plain.b, plain.w], ['c2', 0.5], 'without the test, a zero margin takes the blend');
  });
});

describe('normalized conformal: a band scaled by the window', () => {
  it('covers 80% in a calm and in a volatile regime when the scale follows the regime, unlike a constant band', () => {
    // Residuals uniform ±1 in calm windows (scale 1) and ±5 in volatile ones (scale 5), half of each.
    const rng = mulberry32(5);
    const n = 4_000;
    const scale = range(n, (i) => (i % 2 === 0 ? 1 : 5));
    const y = range(n, (i) => scale[i]! * 2 * (rng() - 0.5));
    const zero = new Float64Array(n);
    const scaled = conformalOffsetsByBlock(y, zero, zero, zero, 1, 0.1, [n / 2, n / 2], { rule: 'pooled', scale });
    const flat = conformalOffsetsByBlock(y, zero, zero, zero, 1, 0.1, [n / 2, n / 2], { rule: 'pooled' });
    const cover = (lo: (i: number) => number, hi: (i: number) => number, parity: number) => {
      let inside = 0;
      let count = 0;
      for (let i = parity; i < n; i += 2) {
        count++;
        if (y[i]! >= -lo(i) && y[i]! <= hi(i)) inside++;
      }
      return inside / count;
    };
    for (const parity of [0, 1]) {
      const c = cover((i) => scaled.cLo[0]! * scale[i]!, (i) => scaled.cHi[0]! * scale[i]!, parity);
      assert.ok(Math.abs(c - 0.8) < 0.04, `scaled band, ${parity ? 'volatile' : 'calm'} windows: coverage ${c}`);
    }
    const calmFlat = cover(() => flat.cLo[0]!, () => flat.cHi[0]!, 0);
    const volatileFlat = cover(() => flat.cLo[0]!, () => flat.cHi[0]!, 1);
    assert.ok(calmFlat > 0.95 && volatileFlat < 0.7, `constant band: calm ${calmFlat}, volatile ${volatileFlat}`);
    assert.throws(() => conformalOffsetsByBlock(y, zero, zero, zero, 1, 0.1, [n], { scale: scale.subarray(1) }), RangeError);
  });

  it('bandScales is floor + coef · mean |Δ value| over the window, 1 without a scale', () => {
    const steps = 4;
    const F = SEQUENCE_FEATURES.length;
    const V = SEQUENCE_FEATURES.indexOf('value');
    const X = new Float64Array(2 * steps * F);
    [0, 1, 0, 1].forEach((v, t) => { X[t * F + V] = v; });
    [0, 3, 0, 3].forEach((v, t) => { X[(steps + t) * F + V] = v; });
    assert.deepEqual(Array.from(bandScales({ steps, features: F, bandScale: { floor: 0.5, coef: 0.25 } }, X, 0, 2)), [0.5 + 0.25 * 1, 0.5 + 0.25 * 3]);
    assert.deepEqual(Array.from(bandScales({ steps, features: F }, X, 0, 2)), [1, 1]);
  });
});

describe('the band scale in the served graph', () => {
  it('ONNX Runtime matches servedForecast, and the band widens monotonically with the window\'s volatility', async () => {
    const steps = 24;
    const F = SEQUENCE_FEATURES.length;
    const V = SEQUENCE_FEATURES.indexOf('value');
    const H = 4;
    const P = steps * F;
    const net = buildLstm({ steps, features: F, horizon: H, units: 4, layers: 1, seed: 3, outputsPerStep: 3 });
    const rng = mulberry32(21);
    const spec: ServedSpec = {
      steps, features: F, horizon: H,
      baseW: Float32Array.from({ length: P * H }, () => (rng() - 0.5) * 0.02), baseB: new Float32Array(H),
      ridgeW: Float32Array.from({ length: P * H }, () => (rng() - 0.5) * 0.02), ridgeB: new Float32Array(H),
      seasonalIndex: Array.from({ length: H }, (_, h) => seasonalNaiveIndex(h + 1, 24, steps)),
      // h1 the network (its own band plus the scaled offsets), h2-h4 baselines (the scaled offsets alone)
      sources: ['lstm', 'baseline:ridge', 'baseline:naive_last', 'baseline:ridge'],
      cLo: Float32Array.from([0.2, 0.5, 0.3, 0.4]), cHi: Float32Array.from([0.1, 0.6, 0.2, 0.3]),
      bandScale: { floor: 0.5, coef: 0.8, level: 0.3 },
    };
    const bytes = composeServedGraph(exportTfjsLstmToOnnx(net, { steps, features: F, horizon: 3 * H }), spec);
    // Sample k: the same window with its values' oscillation amplified k times (k = 0: flat).
    const n = 6;
    const X = new Float32Array(n * P);
    const noise = Float32Array.from({ length: P }, () => (rng() - 0.5) * 0.2);
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < P; j++) X[k * P + j] = noise[j]!;
      for (let t = 0; t < steps; t++) X[k * P + t * F + V] = 0.3 + k * 0.5 * (t % 2 === 0 ? 1 : -1);
    }
    const raw = predictScaled(net, { X, steps, features: F, horizon: H } as unknown as Dataset, 0, n);
    const ts = servedForecast(spec, X, raw, 0, n);
    const session = await ort.InferenceSession.create(bytes);
    try {
      const q = (await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', X, [n, steps, F]) }))[ONNX_QUANTILES]!.data as Float32Array;
      for (let i = 0; i < n; i++) {
        for (let h = 0; h < H; h++) {
          const j = i * H + h;
          for (const [got, want, what] of [[q[i * 3 * H + h]!, ts.p10[j]!, 'P10'], [q[i * 3 * H + H + h]!, ts.p50[j]!, 'P50'], [q[i * 3 * H + 2 * H + h]!, ts.p90[j]!, 'P90']] as const) {
            assert.ok(Math.abs(got - want) < 1e-4 * (1 + Math.abs(want)), `sample ${i} h${h + 1} ${what}: onnx ${got} ts ${want}`);
          }
        }
      }
      // At a baseline step the band is exactly (cLo + cHi)·u, u = 0.5 + 0.8 · k + 0.3 · |P50| (mean |Δ| of an
      // oscillation of ±0.5k is k).
      for (let k = 0; k < n; k++) {
        const width = ts.p90[k * H + 1]! - ts.p10[k * H + 1]!;
        assert.ok(Math.abs(width - (0.5 + 0.6) * (0.5 + 0.8 * k + 0.3 * Math.abs(ts.p50[k * H + 1]!))) < 1e-5, `sample ${k}: width ${width}`);
      }
      // Monotone in each term: more volatile windows (level term off), and a forecast further from the median.
      const vol = servedForecast({ ...spec, bandScale: { floor: 0.5, coef: 0.8 } }, X, raw, 0, n);
      const w = (q: typeof ts, i: number, h: number) => q.p90[i * H + h]! - q.p10[i * H + h]!;
      for (let k = 1; k < n; k++) {
        for (let h = 0; h < H; h++) assert.ok(w(vol, k, h) >= w(vol, k - 1, h) - 1e-9, `h${h + 1}: the band does not narrow as the window gets more volatile`);
      }
      const higher = servedForecast({ ...spec, ridgeB: new Float32Array(H).fill(3) }, X, raw, 0, n);
      for (let k = 0; k < n; k++) assert.ok(w(higher, k, 1) > w(ts, k, 1), `sample ${k}: a forecast further from the median gets a wider band`);
    } finally {
      await session.release();
      net.dispose();
    }
    assert.throws(() => composeServedGraph(exportTfjsLstmToOnnx(buildLstm({ steps, features: F, horizon: H, units: 2, layers: 1, seed: 1, outputsPerStep: 3 }), { steps, features: F, horizon: 3 * H }), { ...spec, bandScale: { floor: 0, coef: 1 } }), /floor > 0/);
  });
});

describe('band width by regime', () => {
  it('splits the points at the top 5% of the actuals', () => {
    const actual = range(100, (i) => i);
    const p10 = range(100, (i) => i - (i >= 95 ? 10 : 1));
    const p90 = range(100, (i) => (i >= 98 ? i - 0.5 : i + (i >= 95 ? 10 : 1)));
    const r = bandByRegime(actual, p10, p90, 0.05);
    assert.equal(r.threshold, 95);
    assert.equal(r.top.n, 5);
    assert.equal(r.rest.n, 95);
    assert.equal(r.rest.meanWidth, 2);
    assert.equal(r.top.meanWidth, (3 * 20 + 2 * 9.5) / 5);
    assert.equal(r.top.coverage, 3 / 5); // the two highest lie above their P90
    assert.equal(r.rest.coverage, 1);
  });
});

describe('last-week steps with the graph\'s band', () => {
  const HOUR = 3_600_000;
  const meta = {
    architecture: { horizon: 2 },
    stepSources: ['lstm', 'blend:0.5 baseline:ridge + 0.5 baseline:same_hour_last_week'],
    lastWeekWeight: [0, 0.5],
    lastWeekBandFromGraph: true,
    training: { graphSources: ['lstm', 'baseline:ridge'] },
  } as unknown as ModelMetadata;

  it('the forecaster moves the graph\'s band at that step to the served value', () => {
    const h = new SeriesHistory();
    const T = Date.UTC(2024, 0, 8);
    const w = (windowEnd: number, values: number[]) => ({ market: 'M', seriesId: 'S', kind: 'LOAD', stepMs: HOUR, windowEnd, values });
    h.add(w(T + 2 * HOUR - 7 * 24 * HOUR, [40, 60]));
    const served = serveSteps(w(T, [1, 2]), meta, [10, 20], { p10: [9, 17], p90: [11, 25] }, h);
    // h2: 0.5 · 60 + 0.5 · 20 = 40; the graph's band there is 3 below and 5 above its P50
    assert.deepEqual(served, { values: [10, 40], p10: [9, 37], p90: [11, 45], stepSources: meta.stepSources });
  });

  it('applyLastWeek (the trainer\'s and `sda train evaluate`\'s hold-out) does the same', () => {
    const H = 2;
    const d = { horizon: H, n: 2, trainCount: 1, baselines: { same_hour_last_week: Float64Array.of(0, 0, Number.NaN, 60) } } as unknown as Dataset;
    const forecast = Float64Array.of(10, 20);
    const p10 = Float64Array.of(9, 17);
    const p90 = Float64Array.of(11, 25);
    applyLastWeek(d, meta, forecast, p10, p90);
    assert.deepEqual([Array.from(forecast), Array.from(p10), Array.from(p90)], [[10, 40], [9, 37], [11, 45]]);
  });
});
