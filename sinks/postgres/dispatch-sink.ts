// market.dispatch (or run.NAME.dispatch) -> PostgreSQL `dispatch_schedules`. Reads only committed dispatcher
// transactions and upserts by (run, asset, strategy, model version, forecast issue, first interval), so a re-delivered
// schedule rewrites the same row; offsets are committed after the database commit (sinks/postgres/table-sink.ts).
import type pg from 'pg';
import type { Config } from '../../platform/config.js';
import type { DispatchSchedule } from '../../schemas/types.js';
import type { Provisioned } from '../../platform/kafka/provision.js';
import { TOPICS, runOfTopic } from '../../platform/kafka/topics.js';
import { type TableSinkCounts, startTableSink } from './table-sink.js';

const COLUMNS = ['run', 'market', 'asset_id', 'settlement_point', 'strategy', 'model_version', 'forecast_issued_at', 'forecast_input_end', 'start_at', 'end_at', 'step_ms',
  'charge_mw', 'discharge_mw', 'soc_mwh', 'prices', 'initial_soc_mwh', 'cycle_energy_used_mwh', 'expected_revenue', 'revenue_at_p10', 'revenue_at_p90', 'power_mw', 'energy_mwh',
  'round_trip_efficiency', 'milp'] as const;
const TYPES = ['text', 'text', 'text', 'text', 'text', 'text', 'timestamptz', 'timestamptz', 'timestamptz', 'timestamptz', 'int',
  'text', 'text', 'text', 'text', 'float8', 'float8', 'float8', 'float8', 'float8', 'float8', 'float8', 'float8', 'bool'];
const ARRAYS = new Set(['charge_mw', 'discharge_mw', 'soc_mwh', 'prices']);
const KEY = ['run', 'asset_id', 'strategy', 'model_version', 'forecast_issued_at', 'start_at'];

const UPSERT = `INSERT INTO dispatch_schedules (${COLUMNS.map((c) => `"${c}"`).join(', ')})
  SELECT ${COLUMNS.map((c, i) => (ARRAYS.has(c) ? `u.c${i}::float8[]` : `u.c${i}`)).join(', ')}
    FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${COLUMNS.map((_, i) => `c${i}`).join(', ')})
  ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET
  ${COLUMNS.filter((c) => !KEY.includes(c)).map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ')}, stored_at = now()`;

function floatArray(v: readonly number[]): string {
  return `{${v.map((x) => (Number.isFinite(x) ? String(x) : 'NaN')).join(',')}}`;
}

/** Upserts schedules of one run ('' = live); one statement per call; a key seen twice in a call keeps its last record. */
export async function writeDispatchSchedules(client: pg.PoolClient | pg.Pool, run: string, schedules: DispatchSchedule[]): Promise<void> {
  if (schedules.length === 0) return;
  const byKey = new Map<string, DispatchSchedule>();
  for (const s of schedules) byKey.set(`${s.assetId}\u0000${s.strategy}\u0000${s.modelVersion}\u0000${s.forecastIssuedAt}\u0000${s.startAt}`, s);
  const cols: unknown[][] = COLUMNS.map(() => []);
  for (const s of byKey.values()) {
    const row: unknown[] = [run, s.market, s.assetId, s.settlementPoint, s.strategy, s.modelVersion, new Date(s.forecastIssuedAt), new Date(s.forecastInputEnd), new Date(s.startAt),
      new Date(s.startAt + s.chargeMw.length * s.stepMs), s.stepMs, floatArray(s.chargeMw), floatArray(s.dischargeMw), floatArray(s.socMwh), floatArray(s.prices), s.initialSocMwh,
      s.cycleEnergyUsedMwh, s.expectedRevenue, s.revenueAtP10 ?? null, s.revenueAtP90 ?? null, s.powerMw, s.energyMwh, s.roundTripEfficiency, s.milp];
    row.forEach((v, i) => cols[i]!.push(v));
  }
  await client.query(UPSERT, cols);
}

/** The sink job; the run column is the topic's run (`run.NAME.dispatch` -> NAME, market.dispatch -> ''). */
export async function startDispatchSink(config: Config, opts: { topic?: string; groupId?: string; onBatch?: (c: TableSinkCounts) => void } = {}, provisioned?: Provisioned) {
  const topic = opts.topic ?? TOPICS.dispatch.name;
  const run = runOfTopic(topic) ?? '';
  return startTableSink<DispatchSchedule>(
    config,
    { name: 'dispatch-sink', topic, groupId: opts.groupId ?? 'sda-dispatch-sink', reader: (p) => p.writers.dispatch, write: (client, values) => writeDispatchSchedules(client, run, values) },
    provisioned,
    opts.onBatch,
  );
}
