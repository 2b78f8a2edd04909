// Hold-out scores: RMSE and MAE of the model and of the baselines (model/baselines.ts), per series and overall,
// in the target's own unit. Every method is scored on the same points: those where all of them have a forecast
// (same-hour-last-week needs a week of history), so the figures are comparable.
import { fitDatasetRidge, predictRidge } from './baselines.js';
import { type Dataset, unscaledTargets } from './dataset.js';
import { type DmTest, dieboldMarianoTest } from './diebold-mariano.js';
import { type QuantileScore, quantileScore } from './quantile.js';

export const METHODS = ['model', 'naive_last', 'same_hour_yesterday', 'same_hour_last_week', 'ridge'] as const;
export type Method = (typeof METHODS)[number];

export const METHOD_LABELS: Record<Method, string> = {
  model: 'model',
  naive_last: 'naive last hour',
  same_hour_yesterday: 'same hour yesterday',
  same_hour_last_week: 'same hour last week',
  ridge: 'ridge',
};

/** The series id of the overall rows. */
export const OVERALL = '*';

export interface Score {
  seriesId: string;
  method: Method;
  n: number;
  rmse: number;
  mae: number;
}

/** Horizons reported in the per-horizon table (those up to the model's horizon). */
export const REPORT_HORIZONS = [1, 6, 12, 24, 36] as const;

export interface HorizonScore {
  /** Horizon, 1-based. */
  h: number;
  method: Method;
  n: number;
  rmse: number;
  /** Mean absolute error at this horizon, in the target's unit. */
  mae: number;
}

export interface Evaluation {
  unit: string;
  horizon: number;
  /** Hold-out samples, and the points (sample × step) scored. */
  samples: number;
  points: number;
  scores: Score[];
  /** All series together, per horizon 1..H and method (same points as `scores`). */
  byHorizon: HorizonScore[];
  /** The model's P10/P50/P90 on the same points, when it has quantiles: the served band (the online band when the model has one). */
  quantiles?: QuantileScore;
  /** With an online band (model/online-band.ts): the static band's P10/P50/P90 on the same points, for comparison. */
  staticQuantiles?: QuantileScore;
  /** Per reported horizon (REPORT_HORIZONS up to the horizon): the model against the best baseline there. */
  significance: HorizonSignificance[];
  ridgeAlpha: number;
}

/**
 * The served forecast against the baseline with the lowest hold-out RMSE at one horizon: a Diebold-Mariano test
 * (diebold-mariano.ts dieboldMarianoTest: squared-error loss, Newey-West with h − 1 lags, HLN correction, two-sided
 * p from Student t with n − 1 df) on the loss differential per forecast origin, the baseline's squared error minus
 * the model's, averaged over the series that share the window end (the samples interleave the series; one value
 * per hour keeps the lags in steps). A positive statistic favours the model. The RMSEs are the table's.
 */
export interface HorizonSignificance {
  /** Horizon, 1-based. */
  h: number;
  baseline: Exclude<Method, 'model'>;
  modelRmse: number;
  baselineRmse: number;
  /** The model's forecast equals the baseline's at every scored point (it serves that baseline there). */
  same: boolean;
  /**
   * Forecast origins (window ends) more than one step after the previous one: where there are any, the h − 1 lags
   * count rows, not steps, across them.
   */
  gaps: number;
  test: DmTest;
}

/** Optional P10/P90 of the model ([hold-out samples, horizon] each, unscaled); the point forecast is the P50. */
export interface ModelQuantiles {
  p10: ArrayLike<number>;
  p90: ArrayLike<number>;
  /** The P50 the band lies around, when it is not the served forecast (the static band beside an online band with a centre). */
  p50?: ArrayLike<number>;
}

/**
 * Score unscaled model forecasts ([holdout samples, horizon], in sample order after trainCount) against the
 * hold-out targets, with every baseline. Ridge is fitted here on the training samples. `quantiles`: the served
 * band; `staticQuantiles` (with an online band): the static band, scored on the same points.
 */
export function evaluateHoldout(d: Dataset, modelForecast: ArrayLike<number>, quantiles?: ModelQuantiles, staticQuantiles?: ModelQuantiles): Evaluation {
  const H = d.horizon;
  const from = d.trainCount;
  const count = d.n - from;
  if (modelForecast.length !== count * H) throw new Error(`evaluate: ${modelForecast.length} forecasts for ${count} hold-out samples × horizon ${H}`);
  const actual = unscaledTargets(d, from, d.n);
  const ridge = fitDatasetRidge(d);
  const { mean, std } = d.scaler.target;
  const ridgeForecast = predictRidge(ridge, d.X, from, d.n).map((v) => v * std + mean);
  const forecasts: Record<Method, ArrayLike<number>> = {
    model: modelForecast,
    naive_last: d.baselines.naive_last.subarray(from * H),
    same_hour_yesterday: d.baselines.same_hour_yesterday.subarray(from * H),
    same_hour_last_week: d.baselines.same_hour_last_week.subarray(from * H),
    ridge: ridgeForecast,
  };
  const acc = new Map<string, { n: number; se: number; ae: number }>();
  const add = (series: string, m: Method, err: number) => {
    const k = `${series}\u0000${m}`;
    const a = acc.get(k) ?? { n: 0, se: 0, ae: 0 };
    a.n++;
    a.se += err * err;
    a.ae += Math.abs(err);
    acc.set(k, a);
  };
  let points = 0;
  const perH = METHODS.map(() => ({ se: new Float64Array(H), ae: new Float64Array(H), n: new Float64Array(H) }));
  const q = { y: [] as number[], p10: [] as number[], p50: [] as number[], p90: [] as number[], s10: [] as number[], s50: [] as number[], s90: [] as number[] };
  for (let i = 0; i < count; i++) {
    const series = d.seriesIds[from + i]!;
    for (let h = 0; h < H; h++) {
      const j = i * H + h;
      const y = actual[j]!;
      if (!Number.isFinite(y) || !METHODS.every((m) => Number.isFinite(forecasts[m][j]))) continue;
      points++;
      METHODS.forEach((m, k) => {
        const e = forecasts[m][j]! - y;
        add(series, m, e);
        add(OVERALL, m, e);
        perH[k]!.se[h]! += e * e;
        perH[k]!.ae[h]! += Math.abs(e);
        perH[k]!.n[h]! += 1;
      });
      if (quantiles) {
        q.y.push(y);
        q.p10.push(quantiles.p10[j]!);
        q.p50.push(modelForecast[j]!);
        q.p90.push(quantiles.p90[j]!);
        if (staticQuantiles) {
          q.s10.push(staticQuantiles.p10[j]!);
          q.s50.push(staticQuantiles.p50 ? staticQuantiles.p50[j]! : modelForecast[j]!);
          q.s90.push(staticQuantiles.p90[j]!);
        }
      }
    }
  }
  const byHorizon: HorizonScore[] = [];
  for (let h = 0; h < H; h++) {
    METHODS.forEach((m, k) => {
      const n = perH[k]!.n[h]!;
      if (n > 0) byHorizon.push({ h: h + 1, method: m, n, rmse: Math.sqrt(perH[k]!.se[h]! / n), mae: perH[k]!.ae[h]! / n });
    });
  }
  const significance = holdoutSignificance(d, actual, forecasts, byHorizon);
  const series = [...new Set(d.seriesIds.slice(from))].sort();
  const scores: Score[] = [];
  for (const s of [...series, OVERALL]) {
    for (const m of METHODS) {
      const a = acc.get(`${s}\u0000${m}`);
      if (!a) continue;
      scores.push({ seriesId: s, method: m, n: a.n, rmse: Math.sqrt(a.se / a.n), mae: a.ae / a.n });
    }
  }
  return {
    unit: d.target.unit, horizon: H, samples: count, points, scores, byHorizon, significance, ridgeAlpha: ridge.alpha,
    ...(quantiles ? { quantiles: quantileScore(q.y, q.p10, q.p50, q.p90) } : {}),
    ...(quantiles && staticQuantiles ? { staticQuantiles: quantileScore(q.y, q.s10, q.s50, q.s90) } : {}),
  };
}

/**
 * HorizonSignificance per reported horizon, on the points evaluateHoldout scores (actual and every method known).
 * actual and forecasts: [hold-out samples, horizon] in the target's unit; byHorizon picks the best baseline.
 */
function holdoutSignificance(d: Dataset, actual: ArrayLike<number>, forecasts: Record<Method, ArrayLike<number>>, byHorizon: readonly HorizonScore[]): HorizonSignificance[] {
  const H = d.horizon;
  const from = d.trainCount;
  const count = d.n - from;
  const out: HorizonSignificance[] = [];
  for (const h of REPORT_HORIZONS.filter((x) => x <= H)) {
    const rows = byHorizon.filter((s) => s.h === h);
    const model = rows.find((s) => s.method === 'model');
    const others = rows.filter((s) => s.method !== 'model');
    if (!model || others.length === 0) continue;
    const best = others.reduce((a, b) => (b.rmse < a.rmse ? b : a));
    const baseline = best.method as Exclude<Method, 'model'>;
    // Mean differential per window end (samples are sorted by window end, then series).
    const diffs: number[] = [];
    // "Serves the baseline": equal up to the float32 rounding of the served graph (scaled and back), relative to the
    // value or, near zero (prices), to the baseline's error.
    const tol = 1e-5;
    let gaps = 0;
    let same = true;
    let end = Number.NaN;
    let sum = 0;
    let k = 0;
    const flush = () => {
      if (k > 0) diffs.push(sum / k);
      sum = 0;
      k = 0;
    };
    for (let i = 0; i < count; i++) {
      const j = i * H + h - 1;
      const y = actual[j]!;
      if (!Number.isFinite(y) || !METHODS.every((m) => Number.isFinite(forecasts[m][j]))) continue;
      if (d.windowEnds[from + i] !== end) {
        flush();
        if (d.windowEnds[from + i]! - end > d.target.stepMs) gaps++;
        end = d.windowEnds[from + i]!;
      }
      const fm = forecasts.model[j]!;
      const fb = forecasts[baseline][j]!;
      if (Math.abs(fm - fb) > tol * Math.max(Math.abs(fb), best.rmse)) same = false;
      sum += (fb - y) ** 2 - (fm - y) ** 2;
      k++;
    }
    flush();
    // A model that serves the baseline differs from it only by float rounding: the test of no difference is exact.
    const test = same ? { ...dieboldMarianoTest(diffs.map(() => 0), h), meanDiff: 0 } : dieboldMarianoTest(diffs, h);
    out.push({ h, baseline, modelRmse: model.rmse, baselineRmse: best.rmse, same, gaps, test });
  }
  return out;
}

/**
 * The significance table: per reported horizon, the model's and the best baseline's hold-out RMSE (target's unit),
 * the Diebold-Mariano statistic (HLN-corrected; positive: the model is better), its two-sided p-value and the
 * number of forecast origins (and gaps between them, if any). Empty string when the evaluation has none.
 */
export function significanceTable(e: Evaluation): string {
  if (e.significance.length === 0) return '';
  const lines = [
    `| h | model RMSE (${e.unit}) | best baseline | its RMSE | DM (HLN; + = model better) | p (two-sided) | origins |`,
    '|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const s of e.significance) {
    const stat = s.same ? '0 (serves it)' : s.test.statistic.toFixed(2);
    const p = s.test.pValue < 0.0001 ? '< 0.0001' : s.test.pValue.toFixed(4);
    lines.push(`| ${s.h} | ${fmt(s.modelRmse)} | ${METHOD_LABELS[s.baseline]} | ${fmt(s.baselineRmse)} | ${stat} | ${p} | ${s.test.n}${s.gaps ? ` (${s.gaps} gaps)` : ''} |`);
  }
  return lines.join('\n');
}

/** The significance table under a heading line that says what was tested (for the trainer's and the bench's output). */
export function significanceLines(e: Evaluation): string {
  const t = significanceTable(e);
  if (!t) return '';
  return `Diebold-Mariano test per horizon, the served forecast against the best baseline of that horizon on the hold-out (squared error; Newey-West with h-1 lags; Harvey-Leybourne-Newbold correction; p from Student t, n-1 df; one loss differential per window end, averaged over the series):\n${t}`;
}

export function score(e: Evaluation, seriesId: string, method: Method): Score | undefined {
  return e.scores.find((s) => s.seriesId === seriesId && s.method === method);
}

/** Overall scores as metadata metrics: rmse, mae, rmse_<baseline>, mae_<baseline>, n_holdout. */
export function metricsRecord(e: Evaluation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of e.scores) {
    if (s.seriesId !== OVERALL) continue;
    const suffix = s.method === 'model' ? '' : `_${s.method}`;
    out[`rmse${suffix}`] = s.rmse;
    out[`mae${suffix}`] = s.mae;
  }
  out.n_holdout = e.points;
  for (const s of e.byHorizon) {
    if (!(REPORT_HORIZONS as readonly number[]).includes(s.h)) continue;
    out[`rmse_h${s.h}${s.method === 'model' ? '' : `_${s.method}`}`] = s.rmse;
  }
  if (e.quantiles) {
    out.pinball = e.quantiles.meanPinball;
    out.pinball_p10 = e.quantiles.pinball.p10;
    out.pinball_p50 = e.quantiles.pinball.p50;
    out.pinball_p90 = e.quantiles.pinball.p90;
    out.coverage_p10_p90 = e.quantiles.coverage;
  }
  if (e.staticQuantiles) {
    out.pinball_static = e.staticQuantiles.meanPinball;
    out.coverage_p10_p90_static = e.staticQuantiles.coverage;
  }
  return out;
}

/**
 * RMSE (or MAE with `metric: 'mae'`) per reported horizon (rows) and method (columns), all series together, best of
 * each row in bold; in the target's unit.
 */
export function horizonTable(e: Evaluation, metric: 'rmse' | 'mae' = 'rmse'): string {
  const hs = REPORT_HORIZONS.filter((h) => h <= e.horizon);
  const lines = [`| h | ${METHODS.map((m) => METHOD_LABELS[m]).join(' | ')} |`, `|---:|${METHODS.map(() => '---:').join('|')}|`];
  for (const h of hs) {
    const row = METHODS.map((m) => e.byHorizon.find((s) => s.h === h && s.method === m)?.[metric] ?? Number.NaN);
    const best = Math.min(...row.filter(Number.isFinite));
    lines.push(`| ${h} | ${row.map((v) => (v === best ? `**${fmt(v)}**` : fmt(v))).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** One line: pinball loss per quantile and the P10-P90 band's coverage on the hold-out. */
export function quantileLine(e: Evaluation): string {
  const q = e.quantiles;
  if (!q) return 'no quantiles';
  return (
    `quantiles on the hold-out: pinball loss ${fmt(q.meanPinball)} ${e.unit} (P10 ${fmt(q.pinball.p10)}, P50 ${fmt(q.pinball.p50)}, P90 ${fmt(q.pinball.p90)}); ` +
    `P10-P90 coverage ${(q.coverage * 100).toFixed(1)}% (target 80%; ${(q.below * 100).toFixed(1)}% below, ${(q.above * 100).toFixed(1)}% above), mean width ${fmt(q.meanWidth)} ${e.unit}; ${q.n} points` +
    (e.staticQuantiles
      ? ` — the online band; the static band on the same points: pinball loss ${fmt(e.staticQuantiles.meanPinball)} ${e.unit}, coverage ${(e.staticQuantiles.coverage * 100).toFixed(1)}% (${(e.staticQuantiles.below * 100).toFixed(1)}% below, ${(e.staticQuantiles.above * 100).toFixed(1)}% above), mean width ${fmt(e.staticQuantiles.meanWidth)} ${e.unit}`
      : '')
  );
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4));

/** The scores as a Markdown table: one row per series and method, RMSE relative to naive last hour. */
export function markdownTable(e: Evaluation): string {
  const lines = [
    `| series | method | n | RMSE (${e.unit}) | MAE (${e.unit}) | RMSE / naive |`,
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const s of e.scores) {
    const naive = score(e, s.seriesId, 'naive_last');
    const rel = naive && naive.rmse > 0 ? (s.rmse / naive.rmse).toFixed(3) : '';
    const name = s.seriesId === OVERALL ? '**all**' : s.seriesId;
    const method = s.method === 'model' ? '**model**' : METHOD_LABELS[s.method];
    lines.push(`| ${name} | ${method} | ${s.n} | ${fmt(s.rmse)} | ${fmt(s.mae)} | ${rel} |`);
  }
  return lines.join('\n');
}

/** One line: the model against naive last hour and ridge, overall. */
export function summaryLine(e: Evaluation): string {
  const m = score(e, OVERALL, 'model');
  const n = score(e, OVERALL, 'naive_last');
  const r = score(e, OVERALL, 'ridge');
  if (!m || !n || !r) return 'no hold-out points with every forecast available';
  return formatSummary(m.rmse, n.rmse, r.rmse, e.unit, e.points, e.horizon);
}

/**
 * summaryLine's line from a registry entry's stored hold-out scores (metadata.metrics as metricsRecord or the
 * PyTorch trainer writes them: rmse, rmse_naive_last, rmse_ridge, n_holdout; RMSE in `unit`); null when one of the
 * three RMSEs is missing or not finite (an untrained or foreign entry).
 */
export function metricsSummaryLine(metrics: Readonly<Record<string, number>>, unit: string, horizon: number): string | null {
  const { rmse, rmse_naive_last: naive, rmse_ridge: ridge, n_holdout: points } = metrics;
  if (![rmse, naive, ridge].every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  return formatSummary(rmse!, naive!, ridge!, unit, points ?? Number.NaN, horizon);
}

function formatSummary(model: number, naive: number, ridge: number, unit: string, points: number, horizon: number): string {
  const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)}%`;
  return (
    `model RMSE ${fmt(model)} ${unit}: ${model < naive ? 'beats' : 'does NOT beat'} naive last hour (${fmt(naive)}, ${pct(model, naive)}), ` +
    `${model < ridge ? 'beats' : 'does NOT beat'} ridge (${fmt(ridge)}, gap ${pct(model, ridge)}); ${points} points, horizon ${horizon}`
  );
}
