// trace: 3.4, D.forecaster
// The level-adjusted last week with a price spike (reviewer, medium, model/last-week.ts at a29d021): the level is the
// median of the last L week-over-week changes (metadata.lastWeekLevel.rule 'median', written by the trainers), so one
// spike in either week does not move it; models without the rule keep the mean and serve as before. The formula, the
// forecaster (serveSteps from SeriesHistory) and the trainer's hold-out scoring (applyLastWeek from the dataset's
// week changes) on the reviewer's case and on a spiky series, the L choice on the median, the written metadata and
// the contract.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAST_WEEK_LEVEL_SOURCE, type ModelMetadata, validateMetadata } from '../../model/contract.js';
import { type Dataset, buildDataset } from '../../model/dataset.js';
import type { FeatureMatrix } from '../../model/feature-matrix.js';
import { LEVEL_MAX_SLOTS, LEVEL_RULE_ORDER, LEVEL_SLOT_CHOICES, lastWeekValue, weekChanges, weeklyLevel } from '../../model/last-week.js';
import { concatFolds, rollingOrigins } from '../../model/rolling-origin.js';
import { mulberry32 } from '../../model/lstm.js';
import { TRAIN_DEFAULTS, VALIDATION_FRACTION, applyLastWeek, chooseLevelSlots, levelVal, trainQuantileModel } from '../../model/train.js';
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


/** The median of xs, computed here by sorting a copy (the middle one; for an even count the two middle ones halved). */
function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// The reviewer's case: $40 flat this week and the week before, but for one $4,988 interval a week earlier, 4 slots
// before the origin's slot (inside L = 12).
const ORIGIN = T0 + 2 * WEEK;
const SPIKE_AT = ORIGIN - 4 * HOUR - WEEK;
const price = (t: number) => (t === SPIKE_AT ? 4_988 : 40);
const levelMeta = (rule?: 'mean' | 'median') =>
  ({
    architecture: { horizon: 2 }, stepSources: [LAST_WEEK_LEVEL_SOURCE, LAST_WEEK_LEVEL_SOURCE], lastWeekWeight: [1, 1],
    lastWeekLevel: { slots: 12, weight: [1, 1], ...(rule ? { rule } : {}) }, lastWeekBandFromGraph: true, training: { graphSources: ['lstm', 'lstm'] },
  }) as unknown as ModelMetadata;

describe('the level with a price spike: the formula', () => {
  it('weeklyLevel: the mean of the reviewer\'s 12 changes is −412.3, their median 0', () => {
    const changes = weekChanges(price, ORIGIN, HOUR, 12);
    assert.equal(changes.filter((d) => d !== 0).length, 1, 'one change holds the spike');
    assert.ok(Math.abs(weeklyLevel(changes, 12) - -412.333_333) < 1e-5, 'the old rule (mean) is the default');
    assert.equal(weeklyLevel(changes, 12, 'mean'), weeklyLevel(changes, 12));
    assert.equal(weeklyLevel(changes, 12, 'median'), 0);
    // a spike in this week's slots instead: the same
    const now = (t: number) => (t === ORIGIN - 2 * HOUR ? 4_988 : 40);
    assert.equal(weeklyLevel(weekChanges(now, ORIGIN, HOUR, 12), 12, 'median'), 0);
  });

  it('weeklyLevel median: the middle change, for even L the two middle ones halved; a persistent shift still moves it; NaN and bad rules as before', () => {
    const d = Float64Array.from({ length: 24 }, (_, i) => (i * 7) % 24); // 0, 7, 14, 21, 4, 11, ... (a permutation of 0..23)
    assert.equal(weeklyLevel(d, 6, 'median'), medianOf(Array.from(d.subarray(0, 6))));
    assert.equal(weeklyLevel(d, 24, 'median'), 11.5);
    assert.equal(weeklyLevel(d, 5, 'median'), 7, 'odd L: the middle one of 0, 7, 14, 21, 4');
    // 7 of 12 slots 300 above last week (a level shift 7 h ago), one spike, the rest 0: the median follows the shift
    const shift = Float64Array.from({ length: 12 }, (_, i) => (i < 7 ? 300 : 0));
    shift[2] = 5_000;
    assert.equal(weeklyLevel(shift, 12, 'median'), 300);
    const gap = Float64Array.from(d);
    gap[3] = Number.NaN;
    assert.ok(Number.isNaN(weeklyLevel(gap, 6, 'median')));
    assert.equal(weeklyLevel(gap, 3, 'median'), 7, 'a gap beyond L does not matter');
    assert.throws(() => weeklyLevel(d, 6, 'trimmed' as 'mean'), /rule must be one of mean, median/);
    assert.throws(() => weeklyLevel(d, 25, 'median'), RangeError);
  });

  it('lastWeekValue: rule median serves $40; a model without the rule keeps the mean (−372.3), as before', () => {
    const changes = weekChanges(price, ORIGIN, HOUR, LEVEL_MAX_SLOTS);
    assert.equal(lastWeekValue(levelMeta('median'), 0, 40, changes), 40);
    assert.ok(Math.abs(lastWeekValue(levelMeta(), 0, 40, changes) - -372.333_333) < 1e-5);
    assert.equal(lastWeekValue(levelMeta('mean'), 0, 40, changes), lastWeekValue(levelMeta(), 0, 40, changes));
    assert.deepEqual(LEVEL_RULE_ORDER, ['median', 'mean'], 'the trainers try the median first: it wins ties');
  });
});

describe('the level with a price spike: forecaster and hold-out scoring', () => {
  it('serveSteps (the forecaster\'s history) serves $40 at both steps with the median, −372.3 for an older model', () => {
    const w = (windowEnd: number) => ({ market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', stepMs: HOUR, windowEnd, values: Array.from({ length: W }, (_, i) => price(windowEnd - (W - 1 - i) * HOUR)) });
    const history = new SeriesHistory();
    // the windows of the week before (holding the spike and the two target slots a week back) and of this week
    for (const end of [ORIGIN + 2 * HOUR - WEEK, ORIGIN]) history.add(w(end));
    const served = serveSteps(w(ORIGIN), levelMeta('median'), [55, 56], { p10: [45, 46], p90: [65, 66] }, history);
    assert.deepEqual(served.values, [40, 40]);
    assert.deepEqual(served.p10, [30, 30], 'the graph\'s band moved to the served value');
    assert.deepEqual(served.stepSources, [LAST_WEEK_LEVEL_SOURCE, LAST_WEEK_LEVEL_SOURCE]);
    const old = serveSteps(w(ORIGIN), levelMeta(), [55, 56], undefined, history);
    old.values.forEach((v) => assert.ok(Math.abs(v - -372.333_333) < 1e-5, `older model: ${v}`));
  });

  it('applyLastWeek (training and sda train evaluate) on the same changes: $40 with the median, −372.3 without the rule', () => {
    const ds = { horizon: 2, n: 1, trainCount: 0, baselines: { same_hour_last_week: Float32Array.of(40, 40) }, weekChange: weekChanges(price, ORIGIN, HOUR, LEVEL_MAX_SLOTS) } as unknown as Dataset;
    const f = Float64Array.of(55, 56);
    applyLastWeek(ds, levelMeta('median'), f);
    assert.deepEqual(Array.from(f), [40, 40]);
    const g = Float64Array.of(55, 56);
    applyLastWeek(ds, levelMeta(), g);
    g.forEach((v) => assert.ok(Math.abs(v - -372.333_333) < 1e-5));
  });

  it('on a spiky series: the forecaster serves what applyLastWeek scores at every hold-out origin, the median of the changes, not their mean', () => {
    // Hourly: a weekly profile, a level that jumps by +60 at T0 + 15 days, noise, and a $3,000 spike every 53 hours.
    const rng = mulberry32(5);
    const noise = new Map<number, number>();
    const first = T0 - (W - 1) * HOUR;
    const value = (t: number) => {
      if (!noise.has(t)) noise.set(t, 2 * normal(rng));
      const k = ((t - T0) / HOUR) % 168;
      const spike = ((t - first) / HOUR) % 53 === 52 ? 3_000 : 0;
      return 40 + 15 * Math.sin((2 * Math.PI * k) / 24) + (t >= T0 + 15 * 24 * HOUR ? 60 : 0) + spike + noise.get(t)!;
    };
    const matrix = matrixOf(28 * 24, value);
    const H = 3;
    const d = buildDataset([{ seriesId: 'S', matrix }], { horizon: H, stepMs: HOUR, target: { market: 'TEST', kind: 'RT_PRICE', unit: 'USD/MWh' } });
    const meta = {
      architecture: { horizon: H },
      stepSources: [LAST_WEEK_LEVEL_SOURCE, `blend:0.6 ${LAST_WEEK_LEVEL_SOURCE} + 0.4 baseline:ridge`, `blend:0.5 baseline:same_hour_last_week + 0.5 ${LAST_WEEK_LEVEL_SOURCE}`],
      lastWeekWeight: [1, 0.6, 1],
      lastWeekLevel: { slots: 12, weight: [1, 1, 0.5], rule: 'median' },
      lastWeekBandFromGraph: true,
      training: { graphSources: ['lstm', 'baseline:ridge', 'lstm'] },
    } as unknown as ModelMetadata;
    const from = d.trainCount;
    const count = d.n - from;
    const graph = Float64Array.from({ length: count * H }, (_, j) => 50 + (j % 7));
    const forecast = Float64Array.from(graph);
    applyLastWeek(d, meta, forecast);
    const asMean = Float64Array.from(graph);
    applyLastWeek(d, { ...meta, lastWeekLevel: { ...meta.lastWeekLevel!, rule: 'mean' } }, asMean);
    const history = new SeriesHistory();
    const series = { market: 'TEST', seriesId: 'S', kind: 'RT_PRICE', stepMs: HOUR };
    let spiky = 0;
    for (const { i, end } of holdoutOrigins(d, matrix, series, history)) {
      const j = i * H;
      const s = serveSteps({ ...series, windowEnd: end, values: [] }, meta, Array.from(graph.subarray(j, j + H)), undefined, history);
      // Equal up to float32 rounding of last week's value (the dataset keeps its baselines as float32).
      for (let h = 0; h < H; h++) assert.ok(closeToFloat32(s.values[h]!, forecast[j + h]!), `origin ${i} h${h + 1}: served ${s.values[h]}, evaluated ${forecast[j + h]}`);
      // h1 is last week plus the median of the last 12 changes, computed here from the series
      const changes = Array.from({ length: 12 }, (_, k) => value(end - k * HOUR) - value(end - k * HOUR - WEEK));
      assert.ok(Math.abs(s.values[0]! - (value(end + HOUR - WEEK) + medianOf(changes))) < 1e-3, `origin ${i} h1`);
      if (Math.abs(forecast[j]! - asMean[j]!) > 100) spiky++;
    }
    assert.ok(spiky > 0, 'the hold-out holds origins where a spike moved the mean of the changes by over $100');
    // the trainer's validation levels (levelVal) are the same rule's
    const lv = levelVal(d, [{ from, to: from + 1 }], 12, 'median');
    assert.equal(lv[0], weeklyLevel(d.weekChange!.subarray(from * LEVEL_MAX_SLOTS, (from + 1) * LEVEL_MAX_SLOTS), 12, 'median'));
  });
});

describe('the trainer chooses and writes the median level on spiky data', () => {
  it('chooseLevelSlots scores each L with the median too: a series whose actual is last week + the median of 6 changes picks the median and L = 6', () => {
    // Per sample: the newest 6 changes are 20, 20, 20, 20, 900 (a spike), 20 (median 20, mean 166.7); older ones 50.
    const n = 30;
    const change = Float64Array.from({ length: n * LEVEL_MAX_SLOTS }, (_, j) => {
      const k = j % LEVEL_MAX_SLOTS;
      return k < 6 ? (k === 4 ? 900 : 20) : 50;
    });
    const scaler = { features: [], target: { mean: 0, std: 1 } } as unknown as Dataset['scaler'];
    const lw = Float64Array.from({ length: n }, (_, i) => 100 + i);
    const y = Float64Array.from(lw, (v) => v + 20);
    const r = chooseLevelSlots({ weekChange: change, horizon: 1, scaler }, [{ from: 0, to: n }], lw, y);
    assert.equal(r?.slots, 6);
    assert.equal(r?.rule, 'median');
    assert.deepEqual(r?.scores[0], { rule: 'median', slots: 6, rmse: 0 }, 'the median of the 6 changes is the actual\'s level exactly (the mean misses by 146.7)');
    assert.ok(Math.abs(r!.scores[3]!.rmse - (900 - 20) / 6) < 1e-9, `mean, L = 6: ${JSON.stringify(r!.scores[3])}`);
  });

  it('trainQuantileModel writes lastWeekLevel.rule median, which the contract accepts', async () => {
    // 50 days hourly: a weekly profile on a random-walk level (the level source wins), with a spike every 53 hours.
    const rows = 50 * 24;
    const series = weeklyRandomWalk(mulberry32(11), T0 - (W - 1) * HOUR, T0 + (rows - 1) * HOUR, (k) => (k % 53 === 52 ? 4_000 : 0));
    const d = buildDataset([{ seriesId: 'A', matrix: matrixOf(rows, (t) => series.get(t)!) }], { horizon: 3, stepMs: HOUR, target: { market: 'TEST', kind: 'LOAD', unit: 'MW' } });
    const lines: string[] = [];
    const r = await trainQuantileModel(d, { units: 4, layers: 1, epochs: 1, batchSize: 64, learningRates: [0.01], loss: 'pinball', huberDelta: 0.5, target: 'ridge', seed: 1, stepMs: HOUR, progress: false, folds: 3 }, (l) => lines.push(l));
    try {
      assert.match(lines.join('\n'), /level-adjusted last week: L = (6|12|24) slots, rule median \(.*per rule and L: median 6 .*; mean 6 .*\), level = the median of the week-over-week changes/);
      assert.ok(r.lastWeekLevel, `lastWeekLevel written: ${r.stepSources.join(', ')}`);
      assert.equal(r.lastWeekLevel.rule, 'median');
      const meta = lstmMetadata({ units: 4, steps: W, horizon: 3, scaler: d.scaler, target: d.target }, { stepSources: r.stepSources, lastWeekWeight: r.lastWeekWeight, lastWeekLevel: r.lastWeekLevel });
      assert.equal(validateMetadata(meta, 'x').lastWeekLevel?.rule, 'median');
    } finally {
      r.model.dispose();
    }
  });
});

/**
 * An hourly smooth demand-like series (ms -> MW) on T0 - (W - 1) h .. the last window's end: 5,000 + a daily cycle
 * (800 sin) + a weekly one (300 sin) + a trend of 0.4 MW per hour + 15·N(0, 1) noise (no spike: the week-over-week
 * changes are 67.2 + Gaussian noise, where the mean is the efficient estimator), plus `spike(k)` at hour k.
 */
function smoothSeries(seed: number, rows: number, spike: (k: number) => number = () => 0): Map<number, number> {
  const rng = mulberry32(seed);
  const out = new Map<number, number>();
  const first = T0 - (W - 1) * HOUR;
  for (let t = first, k = 0; t <= T0 + (rows - 1) * HOUR; t += HOUR, k++) {
    out.set(t, 5_000 + 800 * Math.sin((2 * Math.PI * k) / 24) + 300 * Math.sin((2 * Math.PI * k) / 168) + 0.4 * k + 15 * normal(rng) + spike(k));
  }
  return out;
}

/** chooseLevelSlots on `series` as trainQuantileModel calls it: the same rolling-origin blocks and validation arrays. */
function chooseOnTrainerBlocks(series: Map<number, number>, rows: number, H = 3) {
  const d = buildDataset([{ seriesId: 'A', matrix: matrixOf(rows, (t) => series.get(t)!) }], { horizon: H, stepMs: HOUR, target: { market: 'TEST', kind: 'LOAD', unit: 'MW' } });
  const folds = rollingOrigins(d.windowEnds, d.trainCount, H * HOUR, { folds: TRAIN_DEFAULTS.folds, singleFraction: VALIDATION_FRACTION });
  const lastWeekVal = concatFolds(folds.map((f) => d.baselines.same_hour_last_week.subarray(f.from * H, f.to * H)));
  const yVal = concatFolds(folds.map((f) => d.y.subarray(f.from * H, f.to * H)));
  return { d, r: chooseLevelSlots(d, folds, lastWeekVal, yVal) };
}

describe('the rule chosen jointly with L on the validation blocks (median or mean; ties keep the median)', () => {
  const ROWS = 50 * 24;
  const grid = LEVEL_RULE_ORDER.flatMap((rule) => LEVEL_SLOT_CHOICES.map((slots) => `${rule} ${slots}`));

  it('a spike-free smooth series chooses the mean; the same series with a $3,000 spike every 53 hours the median', () => {
    const smooth = chooseOnTrainerBlocks(smoothSeries(3, ROWS), ROWS).r;
    assert.ok(smooth);
    assert.deepEqual(smooth.scores.map((x) => `${x.rule} ${x.slots}`), grid, 'every rule with every L, rule-major, median first');
    const best = (r: NonNullable<typeof smooth>) => r.scores.reduce((b, x) => (x.rmse < b.rmse ? x : b));
    assert.equal(smooth.rule, 'mean', JSON.stringify(smooth.scores));
    assert.equal(smooth.slots, best(smooth).slots);
    assert.ok(smooth.scores.filter((x) => x.rule === 'median').every((x) => x.rmse > best(smooth).rmse), 'the mean is strictly better');
    const spiky = chooseOnTrainerBlocks(smoothSeries(3, ROWS, (k) => (k % 53 === 52 ? 3_000 : 0)), ROWS).r;
    assert.ok(spiky);
    assert.equal(spiky.rule, 'median', JSON.stringify(spiky.scores));
    assert.ok(spiky.scores.filter((x) => x.rule === 'mean').every((x) => x.rmse > best(spiky).rmse), 'the median is strictly better');
  });

  it('a tie keeps the median (then the smaller L): equal changes give the mean and the median the same level', () => {
    const n = 20;
    const change = Float64Array.from({ length: n * LEVEL_MAX_SLOTS }, (_, j) => 30 + Math.floor(j / LEVEL_MAX_SLOTS));
    const scaler = { features: [], target: { mean: 0, std: 1 } } as unknown as Dataset['scaler'];
    const lw = Float64Array.from({ length: n }, (_, i) => 100 + i);
    const y = Float64Array.from(lw, (v, i) => v + 30 + i + 5);
    const r = chooseLevelSlots({ weekChange: change, horizon: 1, scaler }, [{ from: 0, to: n }], lw, y);
    assert.ok(r);
    r.scores.forEach((x) => assert.equal(x.rmse, 5, `${x.rule} ${x.slots}`));
    assert.deepEqual({ rule: r.rule, slots: r.slots }, { rule: 'median', slots: 6 });
  });

  it('trainQuantileModel on the smooth series writes lastWeekLevel.rule mean and prints the rule it chose', async () => {
    const series = smoothSeries(3, ROWS);
    const { d, r: expected } = chooseOnTrainerBlocks(series, ROWS);
    const lines: string[] = [];
    const r = await trainQuantileModel(d, { units: 4, layers: 1, epochs: 1, batchSize: 64, learningRates: [0.01], loss: 'pinball', huberDelta: 0.5, target: 'ridge', seed: 1, stepMs: HOUR, progress: false, folds: 3 }, (l) => lines.push(l));
    try {
      const line = lines.find((l) => l.startsWith('level-adjusted last week:'));
      assert.ok(line, lines.join('\n'));
      assert.match(line, new RegExp(`^level-adjusted last week: L = ${expected!.slots} slots, rule mean \\(validation RMSE of the source alone, scaled, per rule and L: median 6 [0-9.]+, 12 [0-9.]+, 24 [0-9.]+; mean 6 [0-9.]+, 12 [0-9.]+, 24 [0-9.]+; ties keep the median\\), level = the mean of the week-over-week changes$`));
      assert.ok(r.lastWeekLevel, `lastWeekLevel written: ${r.stepSources.join(', ')}`);
      assert.deepEqual({ rule: r.lastWeekLevel.rule, slots: r.lastWeekLevel.slots }, { rule: 'mean', slots: expected!.slots });
    } finally {
      r.model.dispose();
    }
  });
});

describe('metadata lastWeekLevel.rule', () => {
  const meta = lstmMetadata({ units: 2, steps: 3, horizon: 2 }, { stepSources: [LAST_WEEK_LEVEL_SOURCE, 'lstm'], lastWeekWeight: [1, 0] });

  it('accepts median, mean or no rule (older models), and refuses another, naming the field', () => {
    for (const rule of ['median', 'mean'] as const) assert.equal(validateMetadata({ ...meta, lastWeekLevel: { slots: 6, weight: [1, 0], rule } }, 'x').lastWeekLevel?.rule, rule);
    assert.equal(validateMetadata({ ...meta, lastWeekLevel: { slots: 6, weight: [1, 0] } }, 'x').lastWeekLevel?.rule, undefined);
    assert.throws(() => validateMetadata({ ...meta, lastWeekLevel: { slots: 6, weight: [1, 0], rule: 'trimmed' } }, 'x'), /lastWeekLevel.rule must be "mean" or "median".*"trimmed"/);
    assert.throws(() => validateMetadata({ ...meta, lastWeekLevel: { slots: 6, weight: [1, 0], rule: 1 } }, 'x'), /lastWeekLevel.rule/);
  });
});
