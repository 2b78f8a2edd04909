// Forecast rows that tie on issue and store time, for the tests of the tie-break every forecast pick uses
// (reports/forecasts.ts forecastTieBreak): forecast-pick-tie.test.ts and summarizer-forecast-tie.test.ts.
import type pg from 'pg';

/**
 * Two model versions' forecasts of HB_NORTH and of HB_WEST under `market`: RT_PRICE, step 1 h, target
 * [issued, issued + 2 h), issued at `issued` (ms since the epoch) from the input [issued - 24 h, issued], values
 * [20, 11] USD/MWh for `newer` and [10, 11] for `older`. Both rows of a series are written by one statement, so they
 * share stored_at (now() is the transaction's start); HB_NORTH gets them newer first, HB_WEST older first, so a sort
 * that keeps insertion order fails one of them.
 */
export async function insertTiedForecasts(pool: pg.Pool, market: string, issued: number, older: string, newer: string): Promise<void> {
  for (const [series, order] of [['HB_NORTH', [newer, older]], ['HB_WEST', [older, newer]]] as const) {
    await pool.query(
      `INSERT INTO forecasts (market, series_id, kind, step_ms, model_version, target_start, target_end, "values", unit, issued_at, input_start, input_end)
       SELECT $1, $2, 'RT_PRICE', 3600000, v, $3, $4, ARRAY[CASE WHEN v = $7 THEN 20.0 ELSE 10.0 END, 11.0]::float8[], 'USD/MWh', $5, $6, $5
         FROM unnest($8::text[]) AS u(v)`,
      [market, series, new Date(issued), new Date(issued + 2 * 3_600_000), new Date(issued), new Date(issued - 24 * 3_600_000), newer, order],
    );
  }
}

/**
 * Two model versions' forecasts of one window of `series` (RT_PRICE under `market`, step 1 h, target [issued, issued +
 * 2 h), issued at `issued`, ms since the epoch) stored apart: `first` with stored_at = `storedAt` (UTC ms) and values
 * [10, 11] USD/MWh, `second` with stored_at = storedAt + 60 s and values [20, 11], so the rows tie on issued_at and
 * target_start but not on stored_at (count(DISTINCT stored_at) = 2).
 */
export async function insertForecastsStoredApart(pool: pg.Pool, market: string, series: string, issued: number, first: string, second: string, storedAt: number): Promise<void> {
  await pool.query(
    `INSERT INTO forecasts (market, series_id, kind, step_ms, model_version, target_start, target_end, "values", unit, issued_at, input_start, input_end, stored_at)
     SELECT $1, $2, 'RT_PRICE', 3600000, v, $3, $4, ARRAY[p, 11.0]::float8[], 'USD/MWh', $5, $6, $5, s
       FROM unnest($7::text[], $8::float8[], $9::timestamptz[]) AS u(v, p, s)`,
    [market, series, new Date(issued), new Date(issued + 2 * 3_600_000), new Date(issued), new Date(issued - 24 * 3_600_000), [first, second], [10, 20], [new Date(storedAt), new Date(storedAt + 60_000)]],
  );
}
