// Pure helpers for the forecast chart: the page's state (actuals, horizon-1 forecasts, the newest forecast's curve)
// turned into uPlot's aligned columns, a live forecast merged in, and the forecast error recomputed.

/**
 * Aligned data for uPlot: [x, actual, forecast (h1), latest curve (P50), error, latest P10, latest P90]; times in
 * seconds. P10/P90 are null where the newest forecast has no band (a model without quantiles).
 */
export function alignedData(state) {
  const xs = new Set();
  for (const s of [state.actual, state.forecast, state.curve]) for (const t of s.t) xs.add(t);
  const x = [...xs].sort((a, b) => a - b);
  const col = (s) => {
    const m = new Map(s.t.map((t, i) => [t, s.v[i]]));
    return x.map((t) => (m.has(t) ? m.get(t) : null));
  };
  const err = errorSeries(state.actual, state.forecast);
  const em = new Map(err.t.map((t, i) => [t, err.error[i]]));
  const band = (k) => col({ t: state.curve.t, v: Array.isArray(state.curve[k]) ? state.curve[k] : state.curve.t.map(() => null) });
  return [x, col(state.actual), col(state.forecast), col(state.curve), x.map((t) => (em.has(t) ? em.get(t) : null)), band('p10'), band('p90')];
}

/** forecast - actual where both exist, with RMSE, MAE, bias and the RMSE of the last `window` errors. */
export function errorSeries(actual, forecast, window = 24) {
  const a = new Map(actual.t.map((t, i) => [t, actual.v[i]]));
  const pairs = [];
  forecast.t.forEach((t, i) => {
    const f = forecast.v[i];
    if (a.has(t) && Number.isFinite(a.get(t)) && Number.isFinite(f)) pairs.push([t, f - a.get(t)]);
  });
  pairs.sort((p, q) => p[0] - q[0]);
  const error = pairs.map((p) => p[1]);
  const n = error.length;
  const last = error.slice(-window);
  const rms = (xs) => (xs.length === 0 ? null : Math.sqrt(xs.reduce((s, e) => s + e * e, 0) / xs.length));
  return {
    t: pairs.map((p) => p[0]),
    error,
    n,
    rmse: rms(error),
    mae: n === 0 ? null : error.reduce((s, e) => s + Math.abs(e), 0) / n,
    bias: n === 0 ? null : error.reduce((s, e) => s + e, 0) / n,
    rollingRmse: rms(last),
    window: last.length,
  };
}

/** Merges a live forecast (times in ms) into the state: its horizon-1 point, and it becomes the latest curve. */
export function mergeForecast(state, f) {
  const t0 = Math.round(f.targetStart / 1000);
  const i = state.forecast.t.indexOf(t0);
  if (i >= 0) state.forecast.v[i] = f.values[0];
  else {
    state.forecast.t.push(t0);
    state.forecast.v.push(f.values[0]);
    const order = state.forecast.t.map((t, k) => [t, state.forecast.v[k]]).sort((p, q) => p[0] - q[0]);
    state.forecast.t = order.map((p) => p[0]);
    state.forecast.v = order.map((p) => p[1]);
  }
  state.curve = { t: f.values.map((_, h) => Math.round((f.targetStart + h * f.stepMs) / 1000)), v: f.values.slice(), p10: f.p10 ? f.p10.slice() : null, p90: f.p90 ? f.p90.slice() : null };
  state.curveInfo = { issuedAt: new Date(f.issuedAt).toISOString(), modelVersion: f.modelVersion };
  return state;
}

/**
 * Merges a fresh /api/history answer into the state: the actuals are replaced by the answer's (they only grow as
 * ticks arrive; the window slides), stored horizon-1 forecasts are added to those already shown (a live forecast the
 * store does not have yet stays), and the newest curve is taken when the answer's is newer than the one shown.
 */
export function mergeHistory(state, body) {
  state.actual = { t: body.actual.t.slice(), v: body.actual.v.slice() };
  const from = state.actual.t.length > 0 ? state.actual.t[0] : -Infinity;
  const f = new Map(state.forecast.t.map((t, i) => [t, state.forecast.v[i]]));
  body.forecast.t.forEach((t, i) => f.set(t, body.forecast.v[i]));
  const order = [...f.entries()].filter(([t]) => t >= from).sort((p, q) => p[0] - q[0]);
  state.forecast = { t: order.map((p) => p[0]), v: order.map((p) => p[1]) };
  const c = body.latestCurve;
  if (c && (!state.curveInfo || Date.parse(c.issuedAt) > Date.parse(state.curveInfo.issuedAt))) {
    state.curve = { t: c.t.slice(), v: c.v.slice(), p10: c.p10 ? c.p10.slice() : null, p90: c.p90 ? c.p90.slice() : null };
    state.curveInfo = { issuedAt: c.issuedAt, modelVersion: c.modelVersion };
  }
  if (body.unit) state.unit = body.unit;
  return state;
}

/** The share of past values (actuals and horizon-1 forecasts) the price axis is scaled to: their 5th to 95th percentile. */
export const BULK_QUANTILES = [0.05, 0.95];

/**
 * How far past the core range a value must be before it is clipped, in core spans: showing it would leave the normal
 * hours less than half the chart's height.
 */
export const CLIP_SPANS = 1;

/** The q-quantile (0..1) of ascending `sorted` by linear interpolation between closest ranks (R type 7). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * The price chart's y range from alignedData's columns (prices in the series' unit, e.g. USD/MWh), robust to a
 * scarcity spike: one interval at the $5,000 cap must not flatten 48 h of $20-60 hours and the forecast fan.
 * - The core range covers the newest forecast (P50 curve, P10 and P90) in full and the bulk of the past values
 *   (actuals and horizon-1 forecasts between their BULK_QUANTILES).
 * - Each end extends to the farthest value within CLIP_SPANS core spans of the core (an ordinary peak is shown whole);
 *   values farther out are left outside and returned in `clipped` ({t seconds, v, series 'actual' | 'forecast',
 *   side 'high' | 'low'}) for the chart to mark at its edge. Without such values the range is the data's full range.
 * Returns {min, max, full: [min, max] of every value, clipped}, or null when no column has a finite value.
 */
export function priceRange(data) {
  const [x, actual, forecast, curve, , p10, p90] = data;
  const finite = (col) => (col ?? []).filter((v) => v !== null && Number.isFinite(v));
  const past = [...finite(actual), ...finite(forecast)].sort((a, b) => a - b);
  const newest = [...finite(curve), ...finite(p10), ...finite(p90)];
  const every = [...past, ...newest];
  if (every.length === 0) return null;
  const full = [Math.min(...every), Math.max(...every)];
  const core = [...newest];
  if (past.length > 0) core.push(quantile(past, BULK_QUANTILES[0]), quantile(past, BULK_QUANTILES[1]));
  const lo = Math.min(...core);
  const hi = Math.max(...core);
  const reach = CLIP_SPANS * Math.max(hi - lo, 1);
  const shown = every.filter((v) => v >= lo - reach && v <= hi + reach);
  const max = Math.max(hi, ...shown);
  const min = Math.min(lo, ...shown);
  const clipped = [];
  for (const [series, col] of [['actual', actual], ['forecast', forecast]]) {
    (col ?? []).forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      if (v > max) clipped.push({ t: x[i], v, series, side: 'high' });
      else if (v < min) clipped.push({ t: x[i], v, series, side: 'low' });
    });
  }
  return { min, max, full, clipped };
}
