// The model_metrics table (migration 006): forecast scores per model version, series ('*' = all), split
// ('holdout' from training/evaluation, 'live' from the forecaster), metric and method ('model' or a baseline).
// Writes are idempotent: the same key again replaces value and recorded_at.
import { createWriteStream } from 'node:fs';
import type pg from 'pg';
import type { Evaluation } from './evaluate.js';

export type MetricSplit = 'holdout' | 'live';

export interface MetricRow {
  modelVersion: string;
  seriesId: string;
  split: MetricSplit;
  metric: string;
  /** 'model' for the model's own score, else the baseline's name. */
  baseline: string;
  value: number;
}

/** Upsert rows (one statement, parameterised). Returns the number of rows written. */
export async function recordMetricRows(pool: pg.Pool | pg.PoolClient, rows: MetricRow[]): Promise<number> {
  const finite = rows.filter((r) => Number.isFinite(r.value));
  if (finite.length === 0) return 0;
  const cols = ['model_version', 'series_id', 'split', 'metric', 'baseline', 'value'] as const;
  const params: unknown[] = [];
  const tuples = finite.map((r, i) => {
    params.push(r.modelVersion, r.seriesId, r.split, r.metric, r.baseline, r.value);
    return `(${cols.map((_, c) => `$${i * cols.length + c + 1}`).join(', ')}, now())`;
  });
  await pool.query(
    `INSERT INTO model_metrics (${cols.join(', ')}, recorded_at) VALUES ${tuples.join(', ')}
     ON CONFLICT (model_version, series_id, split, metric, baseline) DO UPDATE SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at`,
    params,
  );
  return finite.length;
}

/** The rows of an evaluation: rmse, mae and n for each series (and '*') and method. */
export function evaluationRows(version: string, e: Evaluation, split: MetricSplit = 'holdout'): MetricRow[] {
  return e.scores.flatMap((s) =>
    (['rmse', 'mae', 'n'] as const).map((metric) => ({ modelVersion: version, seriesId: s.seriesId, split, metric, baseline: s.method, value: s[metric] })),
  );
}

/** Record an evaluation's scores for a model version (idempotent). */
export async function recordMetrics(pool: pg.Pool, version: string, e: Evaluation, split: MetricSplit = 'holdout'): Promise<number> {
  return recordMetricRows(pool, evaluationRows(version, e, split));
}

/** For the forecaster: the live RMSE of a model on one series over n scored forecasts (idempotent per key). */
export async function recordLiveMetric(pool: pg.Pool, version: string, seriesId: string, rmse: number, n: number): Promise<number> {
  return recordMetricRows(pool, [
    { modelVersion: version, seriesId, split: 'live', metric: 'rmse', baseline: 'model', value: rmse },
    { modelVersion: version, seriesId, split: 'live', metric: 'n', baseline: 'model', value: n },
  ]);
}

export interface StoredMetric extends MetricRow {
  recordedAt: Date;
}

export async function readMetrics(pool: pg.Pool, filter: { modelVersion?: string; split?: MetricSplit } = {}): Promise<StoredMetric[]> {
  const res = await pool.query<{ model_version: string; series_id: string; split: MetricSplit; metric: string; baseline: string; value: number; recorded_at: Date }>(
    `SELECT model_version, series_id, split, metric, baseline, value, recorded_at FROM model_metrics
      WHERE ($1::text IS NULL OR model_version = $1) AND ($2::text IS NULL OR split = $2)
      ORDER BY model_version, split, series_id, baseline, metric`,
    [filter.modelVersion ?? null, filter.split ?? null],
  );
  return res.rows.map((r) => ({ modelVersion: r.model_version, seriesId: r.series_id, split: r.split, metric: r.metric, baseline: r.baseline, value: r.value, recordedAt: r.recorded_at }));
}

const csvField = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Write every model_metrics row (or one version's) as CSV with a header; returns the row count. */
export async function exportMetricsCsv(pool: pg.Pool, path: string, filter: { modelVersion?: string; split?: MetricSplit } = {}): Promise<number> {
  const rows = await readMetrics(pool, filter);
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  out.write('model_version,series_id,split,metric,baseline,value,recorded_at\n');
  for (const r of rows) {
    out.write(`${[r.modelVersion, r.seriesId, r.split, r.metric, r.baseline].map(csvField).join(',')},${r.value},${r.recordedAt.toISOString()}\n`);
  }
  out.end();
  await done;
  return rows.length;
}
