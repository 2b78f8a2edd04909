// The feature matrix for training: windows of one series over a time range, from the `features` table, as
// N rows by M columns with the column order recorded.
import type pg from 'pg';

/** The scalar feature columns, in matrix order; the window's own values come after them (v0 oldest .. vW-1). */
export const FEATURE_COLUMNS = ['mean', 'std', 'min', 'max', 'last', 'trend', 'lag_1h', 'lag_24h', 'lag_168h', 'hour_of_day', 'day_of_week', 'is_holiday', 'system_load', 'wind', 'solar', 'net_load', 'missing'] as const;

export interface FeatureMatrix {
  /** Column names in order; length M. */
  columns: string[];
  /** N rows of M numbers; a missing value is NaN. */
  rows: number[][];
  /** The window end of each row (UTC ms). */
  windowEnds: number[];
  shape: [number, number];
}

export interface MatrixQuery {
  market?: string;
  seriesId: string;
  kind?: string;
  stepMs?: number;
  from: Date;
  to: Date;
  /** Include the window's values as columns (default true). */
  includeValues?: boolean;
}

export async function loadFeatureMatrix(pool: pg.Pool, q: MatrixQuery): Promise<FeatureMatrix> {
  if (!(q.from < q.to)) throw new Error(`loadFeatureMatrix: from (${q.from.toISOString()}) must be before to (${q.to.toISOString()})`);
  const res = await pool.query<Record<string, unknown>>(
    `SELECT ${FEATURE_COLUMNS.map((c) => `"${c}"`).join(', ')}, "values", window_end
       FROM features WHERE market = $1 AND series_id = $2 AND kind = $3 AND step_ms = $4 AND window_end > $5 AND window_end <= $6
      ORDER BY window_end`,
    [q.market ?? 'ERCOT', q.seriesId, q.kind ?? 'RT_PRICE', q.stepMs ?? 3_600_000, q.from, q.to],
  );
  const width = res.rows[0] ? (res.rows[0].values as Array<number | null>).length : 0;
  const includeValues = q.includeValues ?? true;
  const columns = [...FEATURE_COLUMNS, ...(includeValues ? Array.from({ length: width }, (_, i) => `v${i}`) : [])];
  const num = (v: unknown) => (v === null || v === undefined ? Number.NaN : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v));
  const rows = res.rows.map((r) => [...FEATURE_COLUMNS.map((c) => num(r[c])), ...(includeValues ? (r.values as Array<number | null>).map(num) : [])]);
  return { columns, rows, windowEnds: res.rows.map((r) => (r.window_end as Date).getTime()), shape: [rows.length, columns.length] };
}
