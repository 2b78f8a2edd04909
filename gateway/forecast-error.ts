// Forecast error against actuals, for the dashboard: the error of each forecast point that has an actual at the
// same time, and RMSE / MAE over them (overall and over a trailing window). Pure.

export interface Points {
  /** Times (any unit, equal for equal instants). */
  t: number[];
  v: Array<number | null>;
}

export interface ErrorSummary {
  /** Times with both a forecast and an actual, ascending. */
  t: number[];
  /** forecast - actual at each of those times. */
  error: number[];
  /** RMSE of the trailing `window` errors up to each time. */
  rollingRmse: number[];
  n: number;
  rmse: number | null;
  mae: number | null;
  /** Mean of forecast - actual (positive: the model forecasts too high). */
  bias: number | null;
}

export function forecastError(actual: Points, forecast: Points, window = 24): ErrorSummary {
  const byTime = new Map<number, number>();
  actual.t.forEach((t, i) => {
    const v = actual.v[i];
    if (typeof v === 'number' && Number.isFinite(v)) byTime.set(t, v);
  });
  const pairs: Array<[number, number]> = [];
  forecast.t.forEach((t, i) => {
    const f = forecast.v[i];
    const a = byTime.get(t);
    if (a !== undefined && typeof f === 'number' && Number.isFinite(f)) pairs.push([t, f - a]);
  });
  pairs.sort((x, y) => x[0] - y[0]);
  const error = pairs.map((p) => p[1]);
  const rollingRmse: number[] = [];
  let sq = 0;
  error.forEach((e, i) => {
    sq += e * e;
    if (i >= window) sq -= error[i - window]! ** 2;
    rollingRmse.push(Math.sqrt(Math.max(0, sq) / Math.min(i + 1, window)));
  });
  const n = error.length;
  return {
    t: pairs.map((p) => p[0]),
    error,
    rollingRmse,
    n,
    rmse: n === 0 ? null : Math.sqrt(error.reduce((a, e) => a + e * e, 0) / n),
    mae: n === 0 ? null : error.reduce((a, e) => a + Math.abs(e), 0) / n,
    bias: n === 0 ? null : error.reduce((a, e) => a + e, 0) / n,
  };
}
