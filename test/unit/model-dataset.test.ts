// trace: 3.1
// The training dataset from synthetic feature matrices: targets, dropped samples, the time-ordered split, the
// scaler fitted on training samples only, scaling/missing handling, the baselines, and the file round trip.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SEQUENCE_FEATURES, UNSCALED_FEATURES, inputClipBounds, scaleSequence } from '../../model/contract.js';
import { type Dataset, EmptyDatasetError, buildDataset, exportDataset, fitRobustStandardizer, readDataset, unscaledTargets } from '../../model/dataset.js';
import { FEATURE_COLUMNS, type FeatureMatrix } from '../../model/feature-matrix.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 6, 1);
const W = 24;
const F = SEQUENCE_FEATURES.length;
const TARGET = { market: 'TEST', kind: 'RT_PRICE', unit: 'USD/MWh' };

/** A matrix with one row per hourly window end T0 + j·h (j = 0..rows-1); slot value f(slot end). */
function syntheticMatrix(rows: number, f: (slotEnd: number) => number, context: (end: number) => number | null = () => 40_000): FeatureMatrix {
  const columns = [...FEATURE_COLUMNS, ...Array.from({ length: W }, (_, i) => `v${i}`)];
  const windowEnds: number[] = [];
  const out: number[][] = [];
  for (let j = 0; j < rows; j++) {
    const end = T0 + j * HOUR;
    const values = Array.from({ length: W }, (_, i) => f(end - (W - 1 - i) * HOUR));
    const byName: Record<string, number> = {
      hour_of_day: new Date(end).getUTCHours(),
      day_of_week: new Date(end).getUTCDay(),
      is_holiday: 0,
      system_load: context(end) ?? Number.NaN,
      wind: 5_000,
      solar: 1_000,
      net_load: (context(end) ?? Number.NaN) - 6_000,
      last: values[W - 1]!,
    };
    out.push([...FEATURE_COLUMNS.map((c) => byName[c] ?? 0), ...values]);
    windowEnds.push(end);
  }
  return { columns, rows: out, windowEnds, shape: [rows, columns.length] };
}

const linear = (t: number) => (t - T0) / HOUR; // the slot's hour index: 0 at T0

describe('model dataset', () => {
  it('takes the next horizon values as targets and drops samples with a missing target', () => {
    const gap = T0 + 100 * HOUR;
    const m = syntheticMatrix(300, (t) => (t === gap ? Number.NaN : linear(t)));
    const d = buildDataset([{ seriesId: 'A', matrix: m }], { horizon: 3, stepMs: HOUR, target: TARGET });
    const y = unscaledTargets(d, 0, d.n);
    d.windowEnds.forEach((end, i) => {
      for (let k = 1; k <= 3; k++) assert.ok(Math.abs(y[i * 3 + k - 1]! - linear(end + k * HOUR)) < 1e-3, `sample ${i} step ${k}`);
      // no sample has the missing slot among its targets
      assert.ok(!(gap > end && gap <= end + 3 * HOUR), `sample ending ${end} should have been dropped`);
    });
    // windows whose targets run past the data are dropped too: the last sample ends 3 h before the last window
    assert.equal(Math.max(...d.windowEnds), m.windowEnds[m.windowEnds.length - 1]! - 3 * HOUR);
  });

  it('splits by time: the last 20% of the span is the hold-out, training targets stay before it, order by window end', () => {
    const d = buildDataset(
      [
        { seriesId: 'B', matrix: syntheticMatrix(500, linear) },
        { seriesId: 'A', matrix: syntheticMatrix(500, (t) => 2 * linear(t)) },
      ],
      { horizon: 2, stepMs: HOUR, target: TARGET },
    );
    const ends = d.windowEnds;
    for (let i = 1; i < d.n; i++) {
      assert.ok(ends[i]! > ends[i - 1]! || (ends[i] === ends[i - 1] && d.seriesIds[i]! > d.seriesIds[i - 1]!), 'sorted by window end, then series');
    }
    const lastTrain = ends[d.trainCount - 1]!;
    const firstHold = ends[d.trainCount]!;
    assert.ok(lastTrain + 2 * HOUR < firstHold, 'no training target inside the hold-out period');
    const span = ends[d.n - 1]! - ends[0]!;
    const holdSpan = ends[d.n - 1]! - firstHold;
    assert.ok(Math.abs(holdSpan / span - 0.2) < 0.01, `hold-out is ${holdSpan / span} of the span`);
    assert.deepEqual(new Set(d.seriesIds.slice(d.trainCount)), new Set(['A', 'B']));
    assert.equal(d.target.seriesIds.join(','), 'B,A');
    assert.equal(d.trainingRange.to, new Date(lastTrain).toISOString());
    assert.equal(d.holdoutRange.from, new Date(firstHold).toISOString());
  });

  it('fits the scaler on training samples only; value shares the target scaler; flags and sin/cos stay unscaled', () => {
    const d = buildDataset([{ seriesId: 'A', matrix: syntheticMatrix(400, linear, (end) => 30_000 + linear(end)) }], { horizon: 1, stepMs: HOUR, target: TARGET });
    const trainTargets = Array.from(unscaledTargets(d, 0, d.trainCount));
    const mean = trainTargets.reduce((a, b) => a + b, 0) / trainTargets.length;
    assert.ok(Math.abs(d.scaler.target.mean - mean) < 1e-6, 'target mean from training samples');
    const all = Array.from(unscaledTargets(d, 0, d.n));
    assert.ok(Math.abs(d.scaler.target.mean - all.reduce((a, b) => a + b, 0) / all.length) > 10, 'not from all samples');
    const { min: _min, max: _max, ...valueScale } = d.scaler.features[SEQUENCE_FEATURES.indexOf('value')]!;
    assert.deepEqual(valueScale, d.scaler.target);
    SEQUENCE_FEATURES.forEach((name, f) => {
      if (UNSCALED_FEATURES.has(name)) assert.deepEqual(d.scaler.features[f], { mean: 0, std: 1 }, name);
    });
    // system_load = 30000 + hour index of the window end: its training mean is 30000 + mean of training ends' indexes
    const loadIdx = SEQUENCE_FEATURES.indexOf('system_load');
    const trainEnds = d.windowEnds.slice(0, d.trainCount).map(linear);
    assert.ok(Math.abs(d.scaler.features[loadIdx]!.mean - (30_000 + trainEnds.reduce((a, b) => a + b, 0) / trainEnds.length)) < 1e-6);
    // scaled training targets have mean ~0, std ~1
    const ys = Array.from(d.y.subarray(0, d.trainCount));
    assert.ok(Math.abs(ys.reduce((a, b) => a + b, 0) / ys.length) < 1e-5);
  });

  it('inputs far beyond the training range are clipped (value over every step, context over the last; ranges from training only), in the hold-out and when served', () => {
    // Value and load rise with time, and the hold-out holds one huge value and one huge load: far outside the clip.
    const spikeT = T0 + 390 * HOUR;
    const value = (t: number) => linear(t) + (t === spikeT ? 1e6 : 0);
    const load = (end: number) => 30_000 + linear(end) + (end === spikeT ? 1e7 : 0);
    const matrix = syntheticMatrix(400, value, load);
    const d = buildDataset([{ seriesId: 'A', matrix }], { horizon: 1, stepMs: HOUR, target: TARGET });
    const vi = SEQUENCE_FEATURES.indexOf('value');
    const li = SEQUENCE_FEATURES.indexOf('system_load');
    const v = d.scaler.features[vi]!;
    const l = d.scaler.features[li]!;
    // The ranges are the training inputs' (value: every step of every training window; load: their last step).
    const trainEnds = d.windowEnds.slice(0, d.trainCount);
    const lastTrain = Math.max(...trainEnds);
    assert.equal(l.max, load(lastTrain), 'the load range ends at the last training window, not in the hold-out');
    assert.equal(l.min, load(Math.min(...trainEnds)));
    assert.equal(v.max, linear(lastTrain), 'the value range ends at the last training window\'s last slot');
    assert.equal(v.min, linear(Math.min(...trainEnds) - (W - 1) * HOUR), 'and starts at the first window\'s first slot');
    // Every input equals the unclipped one clamped into inputClipBounds: the same dataset scaled without ranges.
    const plain = { ...d.scaler, features: d.scaler.features.map(({ mean, std }) => ({ mean, std })) };
    const raw = buildDataset([{ seriesId: 'A', matrix }], { horizon: 1, stepMs: HOUR, target: TARGET, scaler: plain });
    let clipped = 0;
    for (const [f, s] of [[vi, v], [li, l]] as const) {
      const b = inputClipBounds(s)!;
      assert.ok(b.hi > s.max! && b.lo < s.min!, 'the bounds leave a margin');
      for (let k = f; k < d.X.length; k += F) {
        const x = raw.X[k]! * s.std + s.mean;
        const want = (Math.min(b.hi, Math.max(b.lo, x)) - s.mean) / s.std;
        assert.ok(Math.abs(d.X[k]! - want) < 1e-4 * Math.max(1, Math.abs(want)), `input ${k} (feature ${f}): ${d.X[k]} vs ${want}`);
        if (x > b.hi) clipped++;
      }
    }
    assert.ok(clipped > 0, 'the spikes were clipped');
    // The serving path (scaleSequence) clips the same way; a NaN still becomes 0; without a range nothing is clipped.
    const seq = new Float32Array(F * 2).fill(0);
    seq[vi] = 5_000_000;
    seq[F + vi] = Number.NaN;
    scaleSequence(seq, d.scaler);
    assert.ok(Math.abs(seq[vi]! - (inputClipBounds(v)!.hi - v.mean) / v.std) < 1e-5);
    assert.equal(seq[F + vi], 0);
    const seq2 = new Float32Array(F).fill(0);
    seq2[vi] = 5_000_000;
    scaleSequence(seq2, plain);
    assert.ok(Math.abs(seq2[vi]! - (5_000_000 - v.mean) / v.std) < 1);
    // A moderate new high passes (a record load a little above the season's).
    const seq3 = new Float32Array(F).fill(0);
    seq3[vi] = v.max! + 0.1 * (v.max! - v.min!);
    scaleSequence(seq3, d.scaler);
    assert.ok(Math.abs(seq3[vi]! - (v.max! + 0.1 * (v.max! - v.min!) - v.mean) / v.std) < 1e-4);
  });

  it('robust scaling: median and IQR / 1.349, untouched by rare spikes', () => {
    const values = Array.from({ length: 1_000 }, (_, i) => (i % 100 === 0 ? 3_000 : 20 + (i % 10)));
    const s = fitRobustStandardizer(values);
    assert.equal(s.mean, 25);
    assert.ok(Math.abs(s.std - (27 - 22) / 1.349) < 0.02, String(s.std));
    assert.deepEqual(fitRobustStandardizer([5, 5, 5, 5, 5]), { mean: 5, std: 1 }, 'no spread: std floor as fitStandardizer');
    const spiky = (t: number) => (linear(t) % 50 === 0 ? 5_000 : linear(t) % 7);
    const d = buildDataset([{ seriesId: 'A', matrix: syntheticMatrix(400, spiky) }], { horizon: 1, stepMs: HOUR, target: TARGET, targetScaling: 'robust' });
    assert.equal(d.scaler.target.mean, 3);
    assert.deepEqual({ mean: d.scaler.features[0]!.mean, std: d.scaler.features[0]!.std }, d.scaler.target);
    const std = buildDataset([{ seriesId: 'A', matrix: syntheticMatrix(400, spiky) }], { horizon: 1, stepMs: HOUR, target: TARGET });
    assert.ok(std.scaler.target.std > 10 * d.scaler.target.std, 'the spikes inflate the standard deviation');
  });

  it('scales X with missing values (and absent context) as 0 and flags them', () => {
    const holeEnd = T0 + 50 * HOUR;
    const m = syntheticMatrix(200, (t) => (t === holeEnd ? Number.NaN : linear(t)), () => null);
    const d = buildDataset([{ seriesId: 'A', matrix: m }], { horizon: 1, stepMs: HOUR, target: TARGET });
    assert.ok(d.X.every(Number.isFinite), 'no NaN in X');
    const i = d.windowEnds.indexOf(holeEnd); // the window whose last step is the hole
    assert.ok(i >= 0);
    const last = (W - 1) * F;
    assert.equal(d.X[i * W * F + last + SEQUENCE_FEATURES.indexOf('value')], 0);
    assert.equal(d.X[i * W * F + last + SEQUENCE_FEATURES.indexOf('missing')], 1);
    assert.equal(d.X[i * W * F + last + SEQUENCE_FEATURES.indexOf('system_load')], 0, 'absent context scales to 0');
    // a present value is (v - mean) / std
    const j = d.windowEnds.indexOf(T0 + 120 * HOUR);
    const v = d.X[j * W * F + last]!;
    assert.ok(Math.abs(v * d.scaler.target.std + d.scaler.target.mean - 120) < 1e-3);
    // naive last hour falls back to the newest present value
    assert.equal(d.baselines.naive_last[i], 49);
  });

  it('computes the naive, same-hour-yesterday and same-hour-last-week baselines from the history', () => {
    const d = buildDataset([{ seriesId: 'A', matrix: syntheticMatrix(600, linear) }], { horizon: 2, stepMs: HOUR, target: TARGET });
    const firstSlot = T0 - (W - 1) * HOUR; // the oldest slot any window holds
    d.windowEnds.forEach((end, i) => {
      for (let k = 1; k <= 2; k++) {
        const t = end + k * HOUR;
        const j = i * 2 + k - 1;
        assert.equal(d.baselines.naive_last[j], linear(end));
        assert.equal(d.baselines.same_hour_yesterday[j], linear(t - 24 * HOUR));
        const week = d.baselines.same_hour_last_week[j]!;
        if (t - 168 * HOUR >= firstSlot) assert.equal(week, linear(t - 168 * HOUR));
        else assert.ok(Number.isNaN(week));
      }
    });
  });

  it('writes and reads the dataset files (little-endian float32, header as documented)', async () => {
    const d = buildDataset([{ seriesId: 'A', matrix: syntheticMatrix(120, linear) }], { horizon: 2, stepMs: HOUR, target: TARGET });
    const dir = await mkdtemp(join(tmpdir(), 'sda-ds-'));
    try {
      await exportDataset(dir, d);
      const header = JSON.parse(await readFile(join(dir, 'dataset.json'), 'utf8')) as Record<string, unknown>;
      for (const k of ['formatVersion', 'featureOrder', 'steps', 'features', 'horizon', 'n', 'trainCount', 'seriesIds', 'windowEnds', 'scaler', 'target', 'trainingRange', 'holdoutRange']) assert.ok(k in header, k);
      const xBytes = await readFile(join(dir, 'X.f32'));
      assert.equal(xBytes.byteLength, d.n * W * F * 4);
      assert.equal(xBytes.readFloatLE(4 * 5), d.X[5]);
      const back: Dataset = await readDataset(dir);
      assert.deepEqual(back.X, d.X);
      assert.deepEqual(back.y, d.y);
      assert.deepEqual(back.baselines, d.baselines);
      assert.deepEqual({ ...back, X: 0, y: 0, baselines: 0 }, { ...d, X: 0, y: 0, baselines: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an empty or too short input with a clear error', () => {
    assert.throws(() => buildDataset([{ seriesId: 'A', matrix: syntheticMatrix(0, linear) }], { horizon: 1, stepMs: HOUR, target: TARGET }), EmptyDatasetError);
    assert.throws(() => buildDataset([{ seriesId: 'A', matrix: syntheticMatrix(2, linear) }], { horizon: 5, stepMs: HOUR, target: TARGET }), /no samples/);
  });
});
