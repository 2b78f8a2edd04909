// market.features → PostgreSQL `features`. Reads only committed windower transactions (read_committed), upserts
// each batch by (market, series, kind, step, window end) in one transaction, and commits the Kafka offsets after
// it; a re-delivered batch rewrites the same rows.
import type pg from 'pg';
import type { Config } from '../../platform/config.js';
import { seriesRecordKey } from '../../market/series.js';
import type { FeatureWindow } from '../../schemas/types.js';
import type { Provisioned } from '../../platform/kafka/provision.js';
import { TOPICS, runMarket, topicSet } from '../../platform/kafka/topics.js';
import { type TableSinkCounts, startTableSink } from './table-sink.js';

const COLUMNS = ['market', 'series_id', 'kind', 'step_ms', 'window_start', 'window_end', 'values', 'count', 'missing', 'mean', 'std', 'min', 'max', 'last', 'trend',
  'lag_1h', 'lag_24h', 'lag_168h', 'hour_of_day', 'day_of_week', 'is_holiday', 'system_load', 'wind', 'solar', 'net_load', 'computed_at'] as const;
const TYPES = ['text', 'text', 'text', 'int', 'timestamptz', 'timestamptz', 'text', 'int', 'int', 'float8', 'float8', 'float8', 'float8', 'float8', 'float8',
  'float8', 'float8', 'float8', 'int2', 'int2', 'bool', 'float8', 'float8', 'float8', 'float8', 'timestamptz'];

// "values" travels as an array literal per row (unnest cannot carry a 2-D array) and is cast back.
const UPSERT = `INSERT INTO features (${COLUMNS.map((c) => `"${c}"`).join(', ')})
  SELECT ${COLUMNS.map((c, i) => (c === 'values' ? `u.c${i}::float8[]` : `u.c${i}`)).join(', ')}
    FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${COLUMNS.map((_, i) => `c${i}`).join(', ')})
  ON CONFLICT (market, series_id, kind, step_ms, window_end) DO UPDATE SET
  ${COLUMNS.filter((c) => !['market', 'series_id', 'kind', 'step_ms', 'window_end'].includes(c)).map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}`;

const arrayLiteral = (values: Array<number | null>) => `{${values.map((v) => (v === null ? 'NULL' : String(v))).join(',')}}`;

/**
 * Upserts feature windows; one statement per call. Within one call a key seen twice (a window fired early and
 * corrected later in the same batch) keeps its last record: ON CONFLICT cannot touch one row twice in a statement,
 * and a batch that always fails would stop the sink.
 */
export async function writeFeatures(client: pg.PoolClient | pg.Pool, windows: FeatureWindow[]): Promise<void> {
  if (windows.length === 0) return;
  const byKey = new Map<string, FeatureWindow>();
  for (const w of windows) byKey.set(seriesRecordKey(w, w.stepMs, w.windowEnd), w);
  const cols: unknown[][] = COLUMNS.map(() => []);
  for (const w of byKey.values()) {
    const row: unknown[] = [w.market, w.seriesId, w.kind, w.stepMs, new Date(w.windowStart), new Date(w.windowEnd), arrayLiteral(w.values), w.count, w.missing,
      w.mean ?? null, w.std ?? null, w.min ?? null, w.max ?? null, w.last ?? null, w.trend ?? null, w.lag1h ?? null, w.lag24h ?? null, w.lag168h ?? null,
      w.hourOfDay, w.dayOfWeek, w.isHoliday, w.systemLoad ?? null, w.wind ?? null, w.solar ?? null, w.netLoad ?? null, new Date(w.computedAt)];
    row.forEach((v, i) => cols[i]!.push(v));
  }
  await client.query(UPSERT, cols);
}

/** `run`: rows are stored under market `run.NAME.<market>` (runMarket), apart from the live rows. */
export async function startFeaturesSink(config: Config, opts: { topic?: string; groupId?: string; run?: string; onBatch?: (c: TableSinkCounts) => void } = {}, provisioned?: Provisioned) {
  const run = opts.run;
  const write = run === undefined ? writeFeatures : (client: pg.PoolClient, windows: FeatureWindow[]) => writeFeatures(client, windows.map((w) => ({ ...w, market: runMarket(w.market, run) })));
  return startTableSink<FeatureWindow>(
    config,
    { name: 'features-sink', topic: opts.topic ?? TOPICS.features.name, groupId: opts.groupId ?? 'sda-features-sink', reader: (p) => p.writers.features, write, inputSpec: TOPICS.features, deadLetterTopic: run === undefined ? undefined : topicSet(run).deadLetters.name },
    provisioned,
    opts.onBatch,
  );
}
