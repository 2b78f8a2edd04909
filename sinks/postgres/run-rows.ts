// A run's rows in the tables the sinks write: market_data, features and forecasts under the run's markets
// (`run.NAME.<market>`, platform/kafka/topics.ts runMarket) and dispatch_schedules under `run = NAME`. Removing them
// is the sinks' side of `sda run delete NAME`; live rows (markets without the prefix) are never touched.
import type pg from 'pg';
import { RUN_TOPIC_PREFIX, validateRunName } from '../../platform/kafka/topics.js';

/** The tables keyed by a run-scoped market; fixed names, so they may be spliced into SQL. */
const MARKET_TABLES = ['market_data', 'features', 'forecasts'] as const;

/**
 * Deletes every row of run `name` (validated; RUN_NAME_INVALID otherwise) and returns the rows deleted per table.
 * A table that does not exist yet (a database migrated before it) is skipped and absent from the result.
 */
export async function deleteRunRows(pool: pg.Pool, name: string): Promise<Record<string, number>> {
  const prefix = `${RUN_TOPIC_PREFIX}${validateRunName(name)}.`;
  const out: Record<string, number> = {};
  for (const table of MARKET_TABLES) {
    if (!(await tableExists(pool, table))) continue;
    const r = await pool.query(`DELETE FROM ${table} WHERE starts_with(market, $1)`, [prefix]);
    out[table] = r.rowCount ?? 0;
  }
  if (await tableExists(pool, 'dispatch_schedules'))
    out.dispatch_schedules = (await pool.query('DELETE FROM dispatch_schedules WHERE run = $1', [name])).rowCount ?? 0;
  return out;
}

async function tableExists(pool: pg.Pool, table: string): Promise<boolean> {
  return Boolean((await pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table])).rows[0]?.t);
}
