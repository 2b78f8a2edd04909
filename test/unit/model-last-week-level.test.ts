// trace: 3.4, D.forecaster
// The level-adjusted seasonal naive ("baseline:same_hour_last_week_level"): y(T − 7 days) + the mean of the last L
// week-over-week changes up to the origin. The formula on constructed series, the dataset's changes, the choice of
// L and of the source on the validation blocks, the forecaster serving what the trainer's hold-out scores, and the
// metadata's validation (older models unchanged).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAST_WEEK_LEVEL_SOURCE, type ModelMetadata, validateMetadata } from '../../model/contract.js';
import { type Dataset, buildDataset } from '../../model/dataset.js';
import type { FeatureMatrix } from '../../model/feature-matrix.js';
import { LEVEL_MAX_SLOTS, LEVEL_SLOT_CHOICES, lastWeekClip, lastWeekStep, lastWeekValue, weekChanges, weeklyLevel } from '../../model/last-week.js';
import { mulberry32 } from '../../model/lstm.js';
import { LAST_WEEK_SOURCE, lastWeekWeights } from '../../model/quantile.js';
import { applyLastWeek, chooseLevelSlots, trainQuantileModel } from '../../model/train.js';
import { SeriesHistory, serveSteps } from '../../processors/forecaster/history.js';
import { closeToFloat32, holdoutOrigins, hourlyMatrix, normal, weeklyRandomWalk } from './hourly-matrix.js';
import { lstmMetadata } from './model-metadata.js';

const HOUR = 3_600_000;
const WEEK = 168 * HOUR;
const T0 = Date.UTC(2024, 6, 1);
const W = 24;

/** Hourly windows of W slots ending T0 + j·h, j = 0..rows − 1; slot value f(slot end). */
function matrixOf(rows: number, f: (slotEnd: number) => number): FeatureMatrix {
  return hourlyMatrix(T0, rows, W, f);
}


describe('level-adjusted same hour last week: the formula', () => {
  // A weekly profile (hour of week k: 1000 + 10·k) on a level that is 0 until T0 + 2 weeks and 300 after: from then
  // on every slot runs 300 above the same slot a week earlier, for a week.
  const profile = (t: number) => 1_000 + 10 * (((t - T0) / HOUR) % 168);
  const shifted = (t: number) => profile(t) + (t >= T0 + 2 * WEEK ? 300 : 0);
  const get = (f: (t: number) => number) => (t: number) => (t >= T0 ? f(t) : undefined);

  it('weekChanges: y(s) − y(s − 7 days) for the slots up to the origin, newest first; NaN where a value is unknown', () => {
    const origin = T0 + 2 * WEEK + 5 * HOUR; // 6 slots (origin − 5 h .. origin) after the shift, the older before
    const d = weekChanges(get(shifted), origin, HOUR, 12);
    assert.deepEqual(Array.from(d), [300, 300, 300, 300, 300, 300, 0, 0, 0, 0, 0, 0]);
    // a week earlier the slots a week before that are not in the series
    const early = weekChanges(get(shifted), T0 + WEEK + 2 * HOUR, HOUR, 6);
    assert.deepEqual(Array.from(early).map((v) => (Number.isNaN(v) ? 'NaN' : v)), [0, 0, 0, 'NaN', 'NaN', 'NaN']);
  });

  it('weeklyLevel: the mean of the first L changes; NaN when one of them is unknown; L out of range refused', () => {
    const d = Float64Array.from({ length: 24 }, (_, i) => i); // newest change 0, then 1, 2, ...
    assert.equal(weeklyLevel(d, 6), 2.5);
    assert.equal(weeklyLevel(d, 12), 5.5);
    assert.equal(weeklyLevel(d, 24), 11.5);
    const gap = Float64Array.from(d);
    gap[7] = Number.NaN;
    assert.equal(weeklyLevel(gap, 6), 2.5, 'a gap beyond L does not matter');
    assert.ok(Number.isNaN(weeklyLevel(gap, 12)));
    assert.throws(() => weeklyLevel(d, 0), RangeError);
    assert.throws(() => weeklyLevel(d, 25), RangeError);
    assert.throws(() => weeklyLevel(d, 1.5), RangeError);
  });

  it('lastWeekValue: y(T − 7 days) + k·level; plain last week where k = 0 or the metadata has no level', () => {
    const origin = T0 + 2 * WEEK + 11 * HOUR; // the last 12 slots all 300 above last week
    const changes = weekChanges(get(shifted), origin, HOUR, 6);
    const meta = { lastWeekLevel: { slots: 6, weight: [1, 0.5, 0] } };
    for (const h of [1, 6, 12]) {
      const T = origin + h * HOUR;
      // the level-adjusted value is exactly the actual here; plain last week misses by the 300 shift
      assert.equal(lastWeekValue(meta, 0, shifted(T - WEEK), changes), shifted(T));
      assert.equal(shifted(T) - lastWeekValue({}, 0, shifted(T - WEEK), changes), 300);
    }
    assert.equal(lastWeekValue(meta, 1, 1_000, changes), 1_150);
    assert.equal(lastWeekValue(meta, 2, 1_000, changes), 1_000);
    assert.ok(Number.isNaN(lastWeekValue(meta, 0, 1_000, undefined)), "a level step without the changes is unknown");
    assert.ok(Number.isNaN(lastWeekValue(meta, 0, Number.NaN, changes)));
    assert.equal(lastWeekValue(meta, 2, 1_000, undefined), 1_000, 'a plain last-week step needs no level');
  });

  it('lastWeekWeights: a step named after the level-adjusted source alone counts as last week (metadata without lastWeekWeight)', () => {
    assert.deepEqual(lastWeekWeights({ architecture: { horizon: 3 }, stepSources: ['lstm', LAST_WEEK_SOURCE, LAST_WEEK_LEVEL_SOURCE] }), [0, 1, 1]);
  });
});

describe('level-adjusted last week in the dataset and the served forecast', () => {
  // Hourly: a weekly profile plus a level that jumps by +400 at T0 + 15 days and −250 at T0 + 20 days, plus noise.
  const rng = mulberry32(7);
  const noise = new Map<number, number>();
  const value = (t: number) => {
    if (!noise.has(t)) noise.set(t, 5 * normal(rng));
    const k = ((t - T0) / HOUR) % 168;
    return 2_000 + 300 * Math.sin((2 * Math.PI * k) / 24) + 4 * k + (t >= T0 + 15 * 24 * HOUR ? 400 : 0) + (t >= T0 + 20 * 24 * HOUR ? -250 : 0) + noise.get(t)!;
  };
  const matrix = matrixOf(28 * 24, value);
  const H = 4;
  const d = buildDataset([{ seriesId: 'A', matrix }], { horizon: H, stepMs: HOUR, target: { market: 'TEST', kind: 'LOAD', unit: 'MW' } });

  it('the dataset keeps each sample\'s week-over-week changes from the series, newest first', () => {
    assert.equal(d.weekChange?.length, d.n * LEVEL_MAX_SLOTS);
    const firstSlot = T0 - (W - 1) * HOUR;
    d.windowEnds.forEach((end, i) => {
      for (const k of [0, 5, 23]) {
        const s = end - k * HOUR;
        const got = d.weekChange![i * LEVEL_MAX_SLOTS + k]!;
        if (s - WEEK >= firstSlot) assert.equal(got, value(s) - value(s - WEEK), `sample ${i} change ${k}`);
        else assert.ok(Number.isNaN(got));
      }
    });
  });

  it('the forecaster (serveSteps, from the windows it saw) serves what applyLastWeek scores on the hold-out', () => {
    const meta = {
      architecture: { horizon: H },
      stepSources: ['lstm', LAST_WEEK_LEVEL_SOURCE, `blend:0.6 ${LAST_WEEK_LEVEL_SOURCE} + 0.4 baseline:ridge`, `blend:0.5 ${LAST_WEEK_SOURCE} + 0.5 ${LAST_WEEK_LEVEL_SOURCE}`],
      lastWeekWeight: [0, 1, 0.6, 1],
      lastWeekLevel: { slots: 12, weight: [0, 1, 1, 0.5] },
      lastWeekBandFromGraph: true,
      training: { graphSources: ['lstm', 'baseline:ridge', 'baseline:ridge', 'lstm'] },
    } as unknown as ModelMetadata;
    const from = d.trainCount;
    const count = d.n - from;
    const graph = Float64Array.from({ length: count * H }, (_, j) => 1_000 + j);
    const p10 = graph.map((v) => v - 30);
    const p90 = graph.map((v) => v + 50);
    const forecast = Float64Array.from(graph);
    const q10 = Float64Array.from(p10);
    const q90 = Float64Array.from(p90);
    applyLastWeek(d, meta, forecast, q10, q90);
    // The forecaster's history fed with every window up to each origin, in order.
    const history = new SeriesHistory();
    const series = { market: 'TEST', seriesId: 'A', kind: 'LOAD', stepMs: HOUR };
    let levelled = 0;
    for (const { i, end } of holdoutOrigins(d, matrix, series, history)) {
      const j = i * H;
      const s = serveSteps({ ...series, windowEnd: end, values: [] }, meta, Array.from(graph.subarray(j, j + H)), { p10: Array.from(p10.subarray(j, j + H)), p90: Array.from(p90.subarray(j, j + H)) }, history);
      // Equal up to float32 rounding of last week's value (the dataset keeps its baselines as float32, its file format).
      for (let h = 0; h < H; h++) {
        assert.ok(closeToFloat32(s.values[h]!, forecast[j + h]!), `origin ${i} h${h + 1}: served ${s.values[h]}, evaluated ${forecast[j + h]}`);
        assert.ok(closeToFloat32(s.p10![h]!, q10[j + h]!) && closeToFloat32(s.p90![h]!, q90[j + h]!), `origin ${i} h${h + 1} band`);
      }
      assert.deepEqual(s.stepSources, meta.stepSources);
      // h2 is the level-adjusted value itself: y(T − 7 days) + the mean of the last 12 weekly changes
      const T = end + 2 * HOUR;
      let lvl = 0;
      for (let k = 0; k < 12; k++) lvl += (value(end - k * HOUR) - value(end - k * HOUR - WEEK)) / 12;
      assert.ok(Math.abs(s.values[1]! - (value(T - WEEK) + lvl)) < 1e-6);
      if (Math.abs(lvl) > 100) levelled++;
    }
    assert.ok(levelled > 0, 'the hold-out holds origins a level shift moved');
  });

  it('a slot the history has not seen falls back to the graph\'s source, as a missing last-week slot does', () => {
    const meta = {
      architecture: { horizon: 2 }, stepSources: [LAST_WEEK_LEVEL_SOURCE, LAST_WEEK_SOURCE], lastWeekWeight: [1, 1],
      lastWeekLevel: { slots: 6, weight: [1, 0] }, lastWeekBandFromGraph: true, training: { graphSources: ['baseline:ridge', 'lstm'] },
    } as unknown as ModelMetadata;
    const T = T0 + 2 * WEEK;
    const w = (windowEnd: number, values: number[]) => ({ market: 'M', seriesId: 'S', kind: 'LOAD', stepMs: HOUR, windowEnd, values });
    const h = new SeriesHistory();
    // a week earlier: the two target slots' values (100, 200) and the 6 slots up to the origin (10 each)
    h.add(w(T + 2 * HOUR - WEEK, [10, 10, 10, 10, 10, 10, 100, 200]));
    h.add(w(T, [40, 40, 40, 40, 40]));
    // 5 of the 6 origin slots seen: the level is unknown, h1 falls back; h2 (plain last week) is served
    const missing = serveSteps(w(T, [40, 40, 40, 40, 40]), meta, [1, 2], undefined, h);
    assert.deepEqual(missing, { values: [1, 200], p10: null, p90: null, stepSources: ['baseline:ridge', LAST_WEEK_SOURCE] });
    h.add(w(T, [40, 40, 40, 40, 40, 40]));
    const full = serveSteps(w(T, [40, 40, 40, 40, 40, 40]), meta, [1, 2], undefined, h);
    // 100 + mean(40 − 10) = 130
    assert.deepEqual(full, { values: [130, 200], p10: null, p90: null, stepSources: [LAST_WEEK_LEVEL_SOURCE, LAST_WEEK_SOURCE] });
    // the trainer's hold-out: a sample whose changes are unknown keeps the graph's value there too
    const ds = { horizon: 2, n: 1, trainCount: 0, baselines: { same_hour_last_week: Float32Array.of(100, 200) }, weekChange: Float64Array.from({ length: LEVEL_MAX_SLOTS }, (_, k) => (k === 5 ? Number.NaN : 30)) } as unknown as Dataset;
    const f = Float64Array.of(1, 2);
    applyLastWeek(ds, meta, f);
    assert.deepEqual(Array.from(f), [1, 200]);
    ds.weekChange![5] = 30;
    const g = Float64Array.of(1, 2);
    applyLastWeek(ds, meta, g);
    assert.deepEqual(Array.from(g), [130, 200]);
  });
});

describe('choosing the level-adjusted source on the validation blocks', () => {
  it('chooseLevelSlots keeps the L with the lowest validation MSE', () => {
    // One horizon; the actual is last week + the mean of the last 24 changes, and the changes differ by age: only L = 24 is exact.
    const n = 40;
    const change = Float64Array.from({ length: n * LEVEL_MAX_SLOTS }, (_, j) => (j % LEVEL_MAX_SLOTS < 12 ? 10 : 50) + (Math.floor(j / LEVEL_MAX_SLOTS) % 3));
    const scaler = { features: [], target: { mean: 0, std: 1 } } as unknown as Dataset['scaler'];
    const lw = Float64Array.from({ length: n }, (_, i) => 100 + i);
    const level24 = (i: number) => change.subarray(i * LEVEL_MAX_SLOTS, (i + 1) * LEVEL_MAX_SLOTS).reduce((a, b) => a + b, 0) / 24;
    const y = Float64Array.from({ length: n }, (_, i) => lw[i]! + level24(i));
    const r = chooseLevelSlots({ weekChange: change, horizon: 1, scaler }, [{ from: 0, to: 20 }, { from: 20, to: 40 }], lw, y);
    assert.equal(r?.slots, 24);
    assert.deepEqual(r?.scores.map((s) => s.slots), [...LEVEL_SLOT_CHOICES, ...LEVEL_SLOT_CHOICES], 'median, then mean, each with every L');
    assert.equal(r?.scores[5]?.rmse, 0);
    assert.equal(r?.scores[2]?.rmse, 0, 'the median of 12 changes at 10 and 12 at 50 (+ the same offset) is their mean');
    assert.equal(r?.rule, 'median', 'a tie keeps the median');
    // the actual at the last 6 changes' mean: L = 6
    const y6 = Float64Array.from({ length: n }, (_, i) => lw[i]! + 10 + (i % 3));
    assert.equal(chooseLevelSlots({ weekChange: change, horizon: 1, scaler }, [{ from: 0, to: 40 }], lw, y6)?.slots, 6);
    assert.equal(chooseLevelSlots({ horizon: 1, scaler }, [{ from: 0, to: 40 }], lw, y6), null, 'a dataset without weekChange offers no level');
  });

  it('chooseLevelSlots scores each rule and L on the value served: last week plus the level, clipped as lastWeekStep clips it', () => {
    // Reviewer (2026-12-02): the choice was scored on unclipped values, so rule and L were chosen on values that
    // differ from those served wherever the clip binds. Last week 100; the 6 newest changes 200, the older 0: levels
    // median/mean L = 6: 200, L = 12: 100, L = 24: 0 (median) and 50 (mean), so forecasts 300, 200, 100 / 150. The
    // value input's range 50..130 clips at 130 + 0.25·80 = 150, where the actual is: served, every choice but the
    // median of 24 gives 150 (a tie, kept by the median of 6); unclipped, only the mean of 24 would have.
    const n = 10;
    const change = Float64Array.from({ length: n * LEVEL_MAX_SLOTS }, (_, j) => (j % LEVEL_MAX_SLOTS < 6 ? 200 : 0));
    const scaler = { features: [{ mean: 90, std: 20, min: 50, max: 130 }], target: { mean: 0, std: 1 } } as unknown as Dataset['scaler'];
    const lw = new Float64Array(n).fill(100);
    const y = new Float64Array(n).fill(150);
    const clip = lastWeekClip(scaler);
    assert.deepEqual([clip(300), clip(10), clip(100), clip(Number.NaN)], [150, 30, 100, Number.NaN]);
    // The same clip as served: lastWeekStep with last week alone (weight 1) serves 150 for 300.
    assert.equal(lastWeekStep({ lastWeekBand: { below: [0], above: [0] }, scaler }, 0, 1, 300, 0).value, 150);
    const r = chooseLevelSlots({ weekChange: change, horizon: 1, scaler }, [{ from: 0, to: n }], lw, y);
    assert.deepEqual(r?.scores.map((x) => `${x.rule} ${x.slots} ${x.rmse}`), ['median 6 0', 'median 12 0', 'median 24 50', 'mean 6 0', 'mean 12 0', 'mean 24 0']);
    assert.deepEqual([r?.rule, r?.slots], ['median', 6]);
    // Without a range (no clip) the same data chooses the mean of 24, the only exact one unclipped.
    const unclipped = chooseLevelSlots({ weekChange: change, horizon: 1, scaler: { ...scaler, features: [{ mean: 90, std: 20 }] } as unknown as Dataset['scaler'] }, [{ from: 0, to: n }], lw, y);
    assert.deepEqual([unclipped?.rule, unclipped?.slots, unclipped?.scores[0]?.rmse], ['mean', 24, 150]);
  });

  it('the trainer serves it where the weekly change persists, and writes lastWeekLevel', async () => {
    // 50 days hourly: a weekly profile (no daily pattern, so neither a 24 h window nor yesterday knows it) on a level
    // that random-walks: the week-over-week change persists over the hours ahead, so last week plus the current
    // change beats last week alone and every other source.
    const rows = 50 * 24;
    const series = weeklyRandomWalk(mulberry32(11), T0 - (W - 1) * HOUR, T0 + (rows - 1) * HOUR);
    const matrix = matrixOf(rows, (t) => series.get(t)!);
    const d = buildDataset([{ seriesId: 'A', matrix }], { horizon: 3, stepMs: HOUR, target: { market: 'TEST', kind: 'LOAD', unit: 'MW' } });
    const lines: string[] = [];
    const r = await trainQuantileModel(d, { units: 4, layers: 1, epochs: 2, batchSize: 64, learningRates: [0.01], loss: 'pinball', huberDelta: 0.5, target: 'ridge', seed: 1, stepMs: HOUR, progress: false, folds: 3 }, (l) => lines.push(l));
    try {
      assert.match(lines.join('\n'), /level-adjusted last week: L = (6|12|24) slots/);
      assert.ok(r.stepSources.every((s) => s.includes(LAST_WEEK_LEVEL_SOURCE)), `${r.stepSources.join(', ')}\n${lines.join('\n')}`);
      assert.ok(r.lastWeekLevel, 'lastWeekLevel written');
      assert.ok((LEVEL_SLOT_CHOICES as readonly number[]).includes(r.lastWeekLevel.slots));
      assert.ok(r.lastWeekLevel.weight.every((k) => k > 0));
      assert.ok(r.lastWeekWeight.every((w) => w > 0));
      // The metadata the trainer writes from these passes the contract.
      const meta = lstmMetadata({ units: 4, steps: W, horizon: 3, scaler: d.scaler, target: d.target }, { stepSources: r.stepSources, lastWeekWeight: r.lastWeekWeight, lastWeekLevel: r.lastWeekLevel });
      assert.equal(validateMetadata(meta, 'x').lastWeekLevel?.slots, r.lastWeekLevel.slots);
    } finally {
      r.model.dispose();
    }
  });
});

describe('metadata with lastWeekLevel', () => {
  const meta = lstmMetadata({ units: 2, steps: 3, horizon: 2 });

  it('older metadata (no lastWeekLevel, plain last week) loads as before', () => {
    const old = validateMetadata({ ...meta, stepSources: ['lstm', LAST_WEEK_SOURCE], lastWeekWeight: [0, 1] }, 'x');
    assert.equal(old.lastWeekLevel, undefined);
    assert.equal(lastWeekValue(old, 1, 500, undefined), 500);
  });

  it('accepts the level-adjusted source with its level weight, alone or in a blend', () => {
    const ok = validateMetadata({ ...meta, stepSources: [LAST_WEEK_LEVEL_SOURCE, `blend:0.7 lstm + 0.3 ${LAST_WEEK_LEVEL_SOURCE}`], lastWeekWeight: [1, 0.3], lastWeekLevel: { slots: 12, weight: [1, 1] } }, 'x');
    assert.deepEqual(ok.lastWeekLevel, { slots: 12, weight: [1, 1] });
  });

  it('refuses a bad lastWeekLevel or a level-adjusted step without a level weight, naming the field', () => {
    const v = (extra: Record<string, unknown>) => () => validateMetadata({ ...meta, ...extra }, 'x');
    assert.throws(v({ lastWeekLevel: { slots: 0, weight: [1, 1] } }), /lastWeekLevel.slots/);
    assert.throws(v({ lastWeekLevel: { slots: 25, weight: [1, 1] } }), /lastWeekLevel.slots/);
    assert.throws(v({ lastWeekLevel: { slots: 6.5, weight: [1, 1] } }), /lastWeekLevel.slots/);
    assert.throws(v({ lastWeekLevel: { slots: 6, weight: [1] } }), /lastWeekLevel.weight/);
    assert.throws(v({ lastWeekLevel: { slots: 6, weight: [1, 1.5] } }), /lastWeekLevel.weight/);
    assert.throws(v({ lastWeekLevel: null }), /lastWeekLevel.slots/);
    assert.throws(v({ stepSources: ['lstm', LAST_WEEK_LEVEL_SOURCE], lastWeekWeight: [0, 1] }), /stepSources\[1\].*lastWeekLevel.weight\[1\] is absent/);
    assert.throws(v({ stepSources: ['lstm', `blend:0.5 lstm + 0.5 ${LAST_WEEK_LEVEL_SOURCE}`], lastWeekWeight: [0, 0.5], lastWeekLevel: { slots: 6, weight: [1, 0] } }), /lastWeekLevel.weight\[1\] is 0/);
    assert.throws(v({ stepSources: ['lstm', LAST_WEEK_LEVEL_SOURCE], lastWeekWeight: [0, 0], lastWeekLevel: { slots: 6, weight: [0, 1] } }), /lastWeekWeight\[1\] is 0/);
  });
});
