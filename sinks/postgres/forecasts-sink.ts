// market.forecasts → PostgreSQL `forecasts`. Reads only committed forecaster transactions (read_committed) and
// upserts by (market, series, kind, step, model version, target start), so a re-delivered forecast rewrites the
// same row; offsets are committed after the database commit (sinks/postgres/table-sink.ts).
import type pg from 'pg';
import type { Config } from '../../config/config.js';
import type { Forecast } from '../../schemas/types.js';
import type { Provisioned } from '../../streams/kafka/provision.js';
import { TOPICS } from '../../streams/kafka/topics.js';
import { type TableSinkCounts, startTableSink } from './table-sink.js';

const COLUMNS = ['market', 'series_id', 'kind', 'step_ms', 'model_version', 'target_start', 'target_end', 'values', 'unit', 'issued_at', 'input_start', 'input_end'] as const;
const TYPES = ['text', 'text', 'text', 'int', 'text', 'timestamptz', 'timestamptz', 'text', 'text', 'timestamptz', 'timestamptz', 'timestamptz'];
const KEY = ['market', 'series_id', 'kind', 'step_ms', 'model_version', 'target_start'];

// "values" travels as an array literal per row (unnest cannot carry a 2-D array) and is cast back.
const UPSERT = `INSERT INTO forecasts (${COLUMNS.map((c) => `"${c}"`).join(', ')})
  SELECT ${COLUMNS.map((c, i) => (c === 'values' ? `u.c${i}::float8[]` : `u.c${i}`)).join(', ')}
    FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${COLUMNS.map((_, i) => `c${i}`).join(', ')})
  ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET
  ${COLUMNS.filter((c) => !KEY.includes(c)).map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}, stored_at = now()`;

/** Upserts forecasts; one statement per call. Within one call a key seen twice keeps its last record. */
export async function writeForecasts(client: pg.PoolClient | pg.Pool, forecasts: Forecast[]): Promise<void> {
  if (forecasts.length === 0) return;
  // ON CONFLICT cannot touch the same row twice in one statement: keep the last record of each key.
  const byKey = new Map<string, Forecast>();
  for (const f of forecasts) byKey.set(`${f.market}\u0000${f.seriesId}\u0000${f.kind}\u0000${f.stepMs}\u0000${f.modelVersion}\u0000${f.targetStart}`, f);
  const cols: unknown[][] = COLUMNS.map(() => []);
  for (const f of byKey.values()) {
    const row: unknown[] = [f.market, f.seriesId, f.kind, f.stepMs, f.modelVersion, new Date(f.targetStart), new Date(f.targetStart + f.values.length * f.stepMs),
      `{${f.values.map((v) => (Number.isFinite(v) ? String(v) : 'NaN')).join(',')}}`, f.unit, new Date(f.issuedAt), new Date(f.inputStart), new Date(f.inputEnd)];
    row.forEach((v, i) => cols[i]!.push(v));
  }
  await client.query(UPSERT, cols);
}

export async function startForecastsSink(config: Config, opts: { topic?: string; groupId?: string; onBatch?: (c: TableSinkCounts) => void } = {}, provisioned?: Provisioned) {
  return startTableSink<Forecast>(
    config,
    { name: 'forecasts-sink', topic: opts.topic ?? TOPICS.forecasts.name, groupId: opts.groupId ?? 'sda-forecasts-sink', reader: (p) => p.writers.forecasts, write: writeForecasts },
    provisioned,
    opts.onBatch,
  );
}
