// trace: 3.4, D.forecaster
// Rolling-origin validation (model/rolling-origin.ts) and the choices made on it: the folds' layout (no fitted
// target inside a block, blocks at window-end boundaries, the one-slice fallback), the per-horizon source choice on
// pooled blocks picking the clearly better source, and split-conformal offsets reaching their nominal coverage on
// exchangeable residuals; then the trainer on a small synthetic dataset with 3 folds (a few seconds: units 4,
// 2 epochs, horizon 3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SEQUENCE_FEATURES } from '../../model/contract.js';
import { buildDataset } from '../../model/dataset.js';
import { mulberry32 } from '../../model/lstm.js';
import { chooseBlends, conformalOffsets, conformalOffsetsByBlock } from '../../model/quantile.js';
import { concatFolds, rollingOrigins } from '../../model/rolling-origin.js';
import { trainQuantileModel } from '../../model/train.js';
import { hourlyMatrix, normal } from './hourly-matrix.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Window ends: `series` samples per hour for `hours` hours, sorted by window end (as the dataset sorts them). */
function ends(hours: number, series = 1): number[] {
  const out: number[] = [];
  for (let t = 0; t < hours; t++) for (let s = 0; s < series; s++) out.push(t * HOUR);
  return out;
}


describe('rolling origins', () => {
  it('3 blocks of 10% at the end of training, oldest first; each fits only samples whose targets end before it', () => {
    const we = ends(1_000, 5); // 5,000 samples, 5 series per window end
    const H = 36;
    const folds = rollingOrigins(we, we.length, H * HOUR);
    assert.equal(folds.length, 3);
    assert.deepEqual(folds.map((f) => [f.from, f.to]), [[3_500, 4_000], [4_000, 4_500], [4_500, 5_000]]);
    for (const f of folds) {
      // every fitted sample's last target lies at or before the block's first window end
      assert.ok(we[f.fitCount - 1]! + H * HOUR <= we[f.from]!, `fold ${f.from}: fit ends ${we[f.fitCount - 1]}`);
      // and the next sample would reach into the block: the fit part is as large as it may be
      assert.ok(we[f.fitCount]! + H * HOUR > we[f.from]!);
      // a block starts on a new window end, so one instant's series share it
      assert.notEqual(we[f.from]!, we[f.from - 1]!);
    }
    assert.ok(folds[0]!.fitCount < folds[1]!.fitCount && folds[1]!.fitCount < folds[2]!.fitCount, 'expanding window');
  });

  it('moves a block start to the next window end when it would split an instant', () => {
    const we = ends(1_001, 3); // 3,003 samples: 10% boundaries fall inside instants
    for (const f of rollingOrigins(we, we.length, HOUR)) assert.ok(f.from === 0 || we[f.from]! !== we[f.from - 1]!, `block at ${f.from}`);
  });

  it('falls back to one slice (everything after the fit part validates) when a block spans under 3 days', () => {
    const we = ends(600); // 25 days: 10% = 2.5 days
    const folds = rollingOrigins(we, we.length, 36 * HOUR);
    assert.equal(folds.length, 1);
    const f = folds[0]!;
    assert.equal(f.to, 600);
    assert.equal(f.from, f.fitCount);
    // the fit part ends where the latest 20% begins, less the samples whose targets reach into it
    assert.equal(f.fitCount, 480 - 36 + 1);
    assert.deepEqual(rollingOrigins(ends(2_000), 2_000, HOUR, { folds: 1 }), [{ fitCount: 1_600, from: 1_600, to: 2_000 }]);
  });

  it('refuses layouts that leave nothing to fit', () => {
    assert.throws(() => rollingOrigins(ends(100), 100, HOUR, { folds: 10, blockFraction: 0.1 }), RangeError);
    assert.throws(() => rollingOrigins(ends(100), 100, HOUR, { folds: 0 }), RangeError);
    assert.throws(() => rollingOrigins(ends(10), 20, HOUR), RangeError);
  });

  it('concatFolds joins blocks in order', () => {
    assert.deepEqual(Array.from(concatFolds([[1, 2], new Float32Array([3]), []])), [1, 2, 3]);
  });
});

describe('source choice on pooled rolling-origin blocks', () => {
  it('picks the source that is clearly better, at every horizon, over one that only wins the newest block', () => {
    const rng = mulberry32(7);
    const H = 4;
    const per = 300; // samples per block, 3 blocks
    const y: number[] = [];
    const good: number[] = [];
    const lucky: number[] = [];
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < per; i++) {
        for (let h = 0; h < H; h++) {
          const v = 10 * normal(rng);
          y.push(v);
          // "good": error sd 1 in every block; "lucky": sd 0.9 in the newest block, sd 3 in the two before it
          good.push(v + normal(rng));
          lucky.push(v + (k === 2 ? 0.9 : 3) * normal(rng));
        }
      }
    }
    const newest = (a: number[]) => a.slice(2 * per * H);
    // on the newest block alone, "lucky" wins most horizons: the single hold-out is fooled
    const single = chooseBlends({ good: newest(good), lucky: newest(lucky) }, newest(y), H, 1);
    assert.ok(single.filter((c) => c.a === 'lucky').length >= 3, `newest block alone: ${single.map((c) => c.a).join(',')}`);
    // pooled over the three blocks, the clearly better source wins every horizon
    const pooled = chooseBlends({ good: concatFolds([good]), lucky: concatFolds([lucky]) }, y, H, 1);
    assert.deepEqual(pooled.map((c) => c.a), ['good', 'good', 'good', 'good']);
    // with blends allowed (default margin), a blend can only lean on the better source
    for (const c of chooseBlends({ good, lucky }, y, H)) assert.ok(c.a === 'good' && (c.b === null || c.w >= 0.5), JSON.stringify(c));
  });
});

describe('source choice scored by the worst rolling-origin block', () => {
  it('a calm block weighs as much as a volatile one: the source that holds up in every block wins', () => {
    const rng = mulberry32(5);
    const H = 2;
    const per = 400;
    const y: number[] = [];
    const a: number[] = [];
    const b: number[] = [];
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < per; i++) {
        for (let h = 0; h < H; h++) {
          const v = (k === 0 ? 10 : 1) * normal(rng);
          y.push(v);
          // A: error sd 3 in the volatile block, 0.5 in the calm ones; B: 3.3 and 0.2
          a.push(v + (k === 0 ? 3 : 0.5) * normal(rng));
          b.push(v + (k === 0 ? 3.3 : 0.2) * normal(rng));
        }
      }
    }
    // Pooled MSE (A ≈ 3.2, B ≈ 3.7) is decided by the volatile block: A.
    assert.deepEqual(chooseBlends({ a, b }, y, H, 1).map((c) => c.a), ['a', 'a']);
    // Worst block relative to its best single source: A ≈ 6 times B's MSE in the calm blocks, B ≈ 1.2 times A's in
    // the volatile one: B.
    const byBlock = chooseBlends({ a, b }, y, H, 1, [per, per, per]);
    assert.deepEqual(byBlock.map((c) => c.a), ['b', 'b']);
    for (const c of byBlock) assert.ok(c.mse > 1 && c.mse < 1.5, `worst-block ratio ${c.mse}`);
    assert.throws(() => chooseBlends({ a, b }, y, H, 1, [per, per]), RangeError);
  });
});

describe('split-conformal offsets on exchangeable residuals', () => {
  it('a band calibrated on n residuals covers fresh draws at the nominal 80% (10% each side), finite-sample rank', () => {
    // Calibrate on n = 199 residuals, test on fresh draws from the same (skewed) distribution; over 400 repetitions
    // the mean miss rate per side is 1 − ceil((n + 1)·0.9)/(n + 1) = 0.1 exactly (Vovk et al. 2005; Lei et al.
    // 2018, Thm 2.1), with sd ≈ sqrt(0.1·0.9/(400·50)) plus the calibration's own spread; the bound below is 5 sd.
    const rng = mulberry32(11);
    const H = 2;
    const n = 199;
    const reps = 400;
    const fresh = 50;
    const draw = (h: number) => (h === 0 ? normal(rng) : Math.exp(0.8 * normal(rng)) - 1); // symmetric and skewed
    let below = [0, 0];
    let above = [0, 0];
    let total = 0;
    for (let r = 0; r < reps; r++) {
      const y = new Float64Array(n * H);
      for (let i = 0; i < n; i++) for (let h = 0; h < H; h++) y[i * H + h] = draw(h);
      const zero = new Float64Array(n * H);
      const { cLo, cHi } = conformalOffsets(y, zero, zero, zero, H, 0.1);
      for (let t = 0; t < fresh; t++) {
        for (let h = 0; h < H; h++) {
          const v = draw(h);
          if (v < -cLo[h]!) below[h]!++;
          if (v > cHi[h]!) above[h]!++;
        }
      }
      total += fresh;
    }
    below = below.map((b) => b / total);
    above = above.map((a) => a / total);
    for (let h = 0; h < H; h++) {
      assert.ok(Math.abs(below[h]! - 0.1) < 0.012, `h${h + 1}: ${below[h]} below P10`);
      assert.ok(Math.abs(above[h]! - 0.1) < 0.012, `h${h + 1}: ${above[h]} above P90`);
      const coverage = 1 - below[h]! - above[h]!;
      assert.ok(Math.abs(coverage - 0.8) < 0.02, `h${h + 1}: coverage ${coverage}`);
    }
  });
});

describe('conformal offsets over rolling-origin blocks', () => {
  it('keeps the widest block: the band covers 80% of the most volatile block too', () => {
    const rng = mulberry32(9);
    const H = 1;
    const per = 999;
    const y = new Float64Array(2 * per);
    for (let i = 0; i < 2 * per; i++) y[i] = (i < per ? 2 : 10) * (rng() - 0.5); // uniform ±1, then ±5
    const zero = new Float64Array(2 * per);
    const byBlock = conformalOffsetsByBlock(y, zero, zero, zero, H, 0.1, [per, per]);
    assert.ok(Math.abs(byBlock.cLo[0]! - 4) < 0.2 && Math.abs(byBlock.cHi[0]! - 4) < 0.2, `offsets ${byBlock.cLo[0]} ${byBlock.cHi[0]}`);
    const calm = conformalOffsets(y.subarray(0, per), zero.subarray(0, per), zero.subarray(0, per), zero.subarray(0, per), H, 0.1);
    assert.ok(calm.cHi[0]! < 1, 'the calm block alone would give a band under 1');
    // one block: the plain offsets
    assert.deepEqual(conformalOffsetsByBlock(y, zero, zero, zero, H, 0.1, [2 * per]), conformalOffsets(y, zero, zero, zero, H, 0.1));
    assert.throws(() => conformalOffsetsByBlock(y, zero, zero, zero, H, 0.1, [per, 1]), RangeError);
  });
});

describe('trainQuantileModel with rolling origins', () => {
  it('trains one network per fold, pools the blocks for sources and band, and reports the folds', async () => {
    // 50 days hourly of a daily sine plus noise: 10% blocks span about 4 days, so 3 folds are used.
    const W = 24;
    const rng = mulberry32(3);
    const T0 = Date.UTC(2024, 6, 1);
    const rows = 50 * 24;
    const series = new Map<number, number>();
    const value = (t: number) => {
      if (!series.has(t)) series.set(t, 50 + 20 * Math.sin((2 * Math.PI * (t - T0)) / DAY) + 3 * normal(rng));
      return series.get(t)!;
    };
    const matrix = hourlyMatrix(T0, rows, W, value);
    const d = buildDataset([{ seriesId: 'A', matrix }], { horizon: 3, stepMs: HOUR, target: { market: 'TEST', kind: 'RT_PRICE', unit: 'USD/MWh' } });
    const lines: string[] = [];
    const r = await trainQuantileModel(d, { units: 4, layers: 1, epochs: 2, batchSize: 64, learningRates: [0.01], loss: 'pinball', huberDelta: 0.5, target: 'ridge', seed: 1, stepMs: HOUR, progress: false, folds: 3 }, (l) => lines.push(l));
    try {
      assert.equal(r.folds.length, 3, lines.join('\n'));
      assert.equal(r.validationCount, r.folds.reduce((a, f) => a + f.validationSamples, 0));
      for (const f of r.folds) assert.ok(f.bestEpoch >= 0 && f.bestEpoch <= 2 && Number.isFinite(f.validationMse));
      assert.ok(r.folds[0]!.fitSamples < r.folds[2]!.fitSamples);
      assert.equal(r.stepSources.length, 3);
      assert.equal(r.spec.cLo.length, 3);
      assert.ok([...r.spec.cLo, ...r.spec.cHi].every(Number.isFinite));
      assert.match(lines.join('\n'), /validation: rolling origin, 3 blocks/);
      // the refit trains the median of the folds' best epochs; a network left at 0 epochs is not served as 'lstm'
      const sorted = r.folds.map((f) => f.bestEpoch).sort((x, y) => x - y);
      assert.equal(r.refitEpochs, sorted[1]);
      if (r.refitEpochs === 0) assert.ok(r.stepSources.every((s) => !s.includes('lstm')), r.stepSources.join(', '));
      assert.ok(SEQUENCE_FEATURES.length === d.features);
    } finally {
      r.model.dispose();
    }
  });
});
