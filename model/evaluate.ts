// Hold-out scores: RMSE and MAE of the model and of the baselines (model/baselines.ts), per series and overall,
// in the target's own unit. Every method is scored on the same points: those where all of them have a forecast
// (same-hour-last-week needs a week of history), so the figures are comparable.
import { fitDatasetRidge, predictRidge } from './baselines.js';
import { type Dataset, unscaledTargets } from './dataset.js';

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

export interface Evaluation {
  unit: string;
  horizon: number;
  /** Hold-out samples, and the points (sample × step) scored. */
  samples: number;
  points: number;
  scores: Score[];
  ridgeAlpha: number;
}

/**
 * Score unscaled model forecasts ([holdout samples, horizon], in sample order after trainCount) against the
 * hold-out targets, with every baseline. Ridge is fitted here on the training samples.
 */
export function evaluateHoldout(d: Dataset, modelForecast: ArrayLike<number>): Evaluation {
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
  for (let i = 0; i < count; i++) {
    const series = d.seriesIds[from + i]!;
    for (let h = 0; h < H; h++) {
      const j = i * H + h;
      const y = actual[j]!;
      if (!Number.isFinite(y) || !METHODS.every((m) => Number.isFinite(forecasts[m][j]))) continue;
      points++;
      for (const m of METHODS) {
        const e = forecasts[m][j]! - y;
        add(series, m, e);
        add(OVERALL, m, e);
      }
    }
  }
  const series = [...new Set(d.seriesIds.slice(from))].sort();
  const scores: Score[] = [];
  for (const s of [...series, OVERALL]) {
    for (const m of METHODS) {
      const a = acc.get(`${s}\u0000${m}`);
      if (!a) continue;
      scores.push({ seriesId: s, method: m, n: a.n, rmse: Math.sqrt(a.se / a.n), mae: a.ae / a.n });
    }
  }
  return { unit: d.target.unit, horizon: H, samples: count, points, scores, ridgeAlpha: ridge.alpha };
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
  return out;
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
  const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)}%`;
  return (
    `model RMSE ${fmt(m.rmse)} ${e.unit}: ${m.rmse < n.rmse ? 'beats' : 'does NOT beat'} naive last hour (${fmt(n.rmse)}, ${pct(m.rmse, n.rmse)}), ` +
    `${m.rmse < r.rmse ? 'beats' : 'does NOT beat'} ridge (${fmt(r.rmse)}, gap ${pct(m.rmse, r.rmse)}); ${e.points} points, horizon ${e.horizon}`
  );
}
