// market.forecasts → PostgreSQL `forecasts`. Reads only committed forecaster transactions (read_committed) and
// upserts by (market, series, kind, step, model version, target start), so a re-delivered forecast rewrites the
// same row; offsets are committed after the database commit (sinks/postgres/table-sink.ts).
import type pg from 'pg';
import type { Config } from '../../platform/config.js';
import { seriesRecordKey } from '../../market/series.js';
import type { Forecast } from '../../schemas/types.js';
import type { Provisioned } from '../../platform/kafka/provision.js';
import { TOPICS, runMarket, topicSet } from '../../platform/kafka/topics.js';
import { type TableSinkCounts, startTableSink } from './table-sink.js';

const COLUMNS = ['market', 'series_id', 'kind', 'step_ms', 'model_version', 'target_start', 'target_end', 'values', 'unit', 'issued_at', 'input_start', 'input_end', 'p10', 'p90', 'step_sources'] as const;
const TYPES = ['text', 'text', 'text', 'int', 'text', 'timestamptz', 'timestamptz', 'text', 'text', 'timestamptz', 'timestamptz', 'timestamptz', 'text', 'text', 'text'];
/** Array columns travel as array literals per row (unnest cannot carry a 2-D array) and are cast back. */
const ARRAY_CAST: Partial<Record<(typeof COLUMNS)[number], string>> = { values: 'float8[]', p10: 'float8[]', p90: 'float8[]', step_sources: 'text[]' };
const KEY = ['market', 'series_id', 'kind', 'step_ms', 'model_version', 'target_start'];

const UPSERT = `INSERT INTO forecasts (${COLUMNS.map((c) => `"${c}"`).join(', ')})
  SELECT ${COLUMNS.map((c, i) => (ARRAY_CAST[c] ? `u.c${i}::${ARRAY_CAST[c]}` : `u.c${i}`)).join(', ')}
    FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${COLUMNS.map((_, i) => `c${i}`).join(', ')})
  ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET
  ${COLUMNS.filter((c) => !KEY.includes(c)).map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}, stored_at = now()`;

/** A PostgreSQL array literal of doubles (NaN for a non-finite value), or null for a missing array. */
function floatArray(v: readonly number[] | null | undefined): string | null {
  return v == null ? null : `{${v.map((x) => (Number.isFinite(x) ? String(x) : 'NaN')).join(',')}}`;
}

/** A PostgreSQL array literal of strings, each quoted and escaped (array-literal rules), or null. */
function textArray(v: readonly string[] | null | undefined): string | null {
  return v == null ? null : `{${v.map((x) => `"${x.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** Upserts forecasts; one statement per call. Within one call a key seen twice keeps its last record. */
export async function writeForecasts(client: pg.PoolClient | pg.Pool, forecasts: Forecast[]): Promise<void> {
  if (forecasts.length === 0) return;
  // ON CONFLICT cannot touch the same row twice in one statement: keep the last record of each key.
  const byKey = new Map<string, Forecast>();
  for (const f of forecasts) byKey.set(seriesRecordKey(f, f.stepMs, f.modelVersion, f.targetStart), f);
  const cols: unknown[][] = COLUMNS.map(() => []);
  for (const f of byKey.values()) {
    const row: unknown[] = [f.market, f.seriesId, f.kind, f.stepMs, f.modelVersion, new Date(f.targetStart), new Date(f.targetStart + f.values.length * f.stepMs),
      floatArray(f.values), f.unit, new Date(f.issuedAt), new Date(f.inputStart), new Date(f.inputEnd), floatArray(f.p10), floatArray(f.p90), textArray(f.stepSources)];
    row.forEach((v, i) => cols[i]!.push(v));
  }
  await client.query(UPSERT, cols);
}

/** `run`: rows are stored under market `run.NAME.<market>` (runMarket), apart from the live rows. */
export async function startForecastsSink(config: Config, opts: { topic?: string; groupId?: string; run?: string; onBatch?: (c: TableSinkCounts) => void } = {}, provisioned?: Provisioned) {
  const run = opts.run;
  const write = run === undefined ? writeForecasts : (client: pg.PoolClient, forecasts: Forecast[]) => writeForecasts(client, forecasts.map((f) => ({ ...f, market: runMarket(f.market, run) })));
  return startTableSink<Forecast>(
    config,
    { name: 'forecasts-sink', topic: opts.topic ?? TOPICS.forecasts.name, groupId: opts.groupId ?? 'sda-forecasts-sink', reader: (p) => p.writers.forecasts, write, inputSpec: TOPICS.forecasts, deadLetterTopic: run === undefined ? undefined : topicSet(run).deadLetters.name },
    provisioned,
    opts.onBatch,
  );
}
