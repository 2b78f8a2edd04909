// Data-to-forecast staleness as stored: the newest tick's interval end in market_data against the newest forecast's
// first target hour in forecasts, for one market. For the demo and operators (`sda demo` prints it).
import type pg from 'pg';

export interface StoredStaleness {
  market: string;
  /** End of the newest stored tick interval (ms), null when the market has no ticks. */
  newestTickEnd: number | null;
  /** The newest forecast's first target start (ms), null when the market has no forecasts. */
  newestForecastTarget: number | null;
  /** newestTickEnd - newestForecastTarget in ms (positive = the forecast targets an hour already in the data). */
  stalenessMs: number | null;
}

/**
 * Reads the staleness of `market` from PostgreSQL (parameterised; two aggregate queries). Definition and aim
 * (under one step) in processors/windower/staleness.ts. Throws the pg error when the database cannot be reached.
 */
export async function storedStaleness(pool: pg.Pool | pg.PoolClient, market = 'ERCOT'): Promise<StoredStaleness> {
  const tick = await pool.query<{ t: Date | null }>('SELECT max(interval_end) AS t FROM market_data WHERE market = $1', [market]);
  const fc = await pool.query<{ t: Date | null }>('SELECT max(target_start) AS t FROM forecasts WHERE market = $1', [market]);
  const newestTickEnd = tick.rows[0]?.t ? tick.rows[0].t.getTime() : null;
  const newestForecastTarget = fc.rows[0]?.t ? fc.rows[0].t.getTime() : null;
  return { market, newestTickEnd, newestForecastTarget, stalenessMs: newestTickEnd !== null && newestForecastTarget !== null ? newestTickEnd - newestForecastTarget : null };
}

/** One line for the demo: "data to 15:45Z, newest forecast for 15:00Z: 0.75 h behind (aim: under 1 step)". */
export function describeStaleness(s: StoredStaleness, stepMs = 3_600_000): string {
  const hhmm = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
  if (s.newestTickEnd === null) return `${s.market}: no ticks stored yet`;
  if (s.newestForecastTarget === null || s.stalenessMs === null) return `${s.market}: data to ${hhmm(s.newestTickEnd)}, no forecast stored yet`;
  const steps = s.stalenessMs / stepMs;
  const verdict = s.stalenessMs < stepMs ? 'under one step' : 'one step or more behind';
  return `${s.market}: data to ${hhmm(s.newestTickEnd)}, newest forecast starts ${hhmm(s.newestForecastTarget)}: staleness ${(s.stalenessMs / 3_600_000).toFixed(2)} h = ${steps.toFixed(2)} steps (${verdict})`;
}
