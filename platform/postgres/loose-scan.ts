// Distinct leading-key values by a loose index scan (PostgreSQL has no skip scan: a recursive CTE takes the next value
// greater than the last, one primary-key probe per distinct value, instead of reading every row as DISTINCT would).

/**
 * The CTE body `<cte> AS (...)` (for a `WITH RECURSIVE` list) of the distinct markets of `table`, whose primary key
 * leads with `market` (market_data, forecasts): one row per market in byte order, then a final NULL row the caller
 * filters out (`WHERE <cte>.market IS NOT NULL`). `table` and `cte` are fixed identifiers of the caller's SQL, never
 * input (TypeError otherwise).
 */
export function marketScanCte(table: string, cte: string): string {
  for (const id of [table, cte]) if (!/^[a-z_][a-z0-9_]*$/.test(id)) throw new TypeError(`marketScanCte: not an identifier: ${id}`);
  return `${cte} AS (
    (SELECT market FROM ${table} ORDER BY market LIMIT 1)
    UNION ALL
    SELECT (SELECT t.market FROM ${table} t WHERE t.market > ${cte}.market ORDER BY t.market LIMIT 1) FROM ${cte} WHERE ${cte}.market IS NOT NULL
  )`;
}
