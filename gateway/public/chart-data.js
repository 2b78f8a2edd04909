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

/**
 * Why the error line ends where it does (fresh tester: in the live demo it ended at 15:00 while the actual line went on
 * to 20:00): an hour has an error only when it has both its actual and a horizon-1 forecast (errorSeries), so the
 * error ends at the last hour that has both. When actuals run past it, says so with the hours concerned and what is
 * missing there; '' when the errors reach the last actual, or with no actual or no error. Times: seconds (uPlot);
 * `actual`, `forecast`: {t, v}.
 */
export function errorCoverageNote(actual, forecast) {
  const err = errorSeries(actual, forecast);
  const lastActual = actual.t.length > 0 ? Math.max(...actual.t) : null;
  if (err.n === 0 || lastActual === null) return '';
  const lastError = err.t.at(-1);
  if (lastError >= lastActual) return '';
  const hours = actual.t.filter((t) => t > lastError).length;
  const text = (ts) => utcText(new Date(ts * 1000).toISOString());
  const later = forecast.t.filter((t) => t > lastError);
  const why = later.length === 0
    ? `no horizon-1 forecast after it has been stored or received yet (forecasts to ${text(lastError)})`
    : `those hours have no horizon-1 forecast (the next one is for ${text(Math.min(...later))})`;
  return `The error ends at ${text(lastError)}, the actuals go on to ${text(lastActual)} (${hours} more hour${hours === 1 ? '' : 's'}): an hour has an error only where it has both its actual and a horizon-1 forecast, and ${why}.`;
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
 * The robust range rule shared by the price and error charts (values in the chart's unit): the core range covers
 * every `newest` value in full and the bulk of the `past` values (between their BULK_QUANTILES); each end extends to
 * the farthest value within CLIP_SPANS core spans of the core, so an ordinary peak is shown whole and only values
 * farther out are left outside. Returns {min, max, full: [min, max] of every value}, or null without a finite value.
 */
export function robustRange(past, newest = []) {
  const finite = (xs) => xs.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  const sorted = finite(past).sort((a, b) => a - b);
  const fresh = finite(newest);
  const every = [...sorted, ...fresh];
  if (every.length === 0) return null;
  const full = [Math.min(...every), Math.max(...every)];
  const core = [...fresh];
  if (sorted.length > 0) core.push(quantile(sorted, BULK_QUANTILES[0]), quantile(sorted, BULK_QUANTILES[1]));
  const lo = Math.min(...core);
  const hi = Math.max(...core);
  const reach = CLIP_SPANS * Math.max(hi - lo, 1);
  const shown = every.filter((v) => v >= lo - reach && v <= hi + reach);
  return { min: Math.min(lo, ...shown), max: Math.max(hi, ...shown), full };
}

/** The values of the named columns (aligned with x, seconds) above `max` or below `min`: {t, v, series, side}. */
function clippedBeyond(x, named, min, max) {
  const clipped = [];
  for (const [series, col] of named) {
    (col ?? []).forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      if (v > max) clipped.push({ t: x[i], v, series, side: 'high' });
      else if (v < min) clipped.push({ t: x[i], v, series, side: 'low' });
    });
  }
  return clipped;
}

/**
 * The price chart's y range from alignedData's columns (prices in the series' unit, e.g. USD/MWh), robust to a
 * scarcity spike: one interval at the $5,000 cap must not flatten 48 h of $20-60 hours and the forecast fan.
 * robustRange with the newest forecast (P50 curve, P10 and P90) as `newest` and the actuals and horizon-1 forecasts
 * as `past`; values outside are returned in `clipped` ({t seconds, v, series 'actual' | 'forecast', side 'high' |
 * 'low'}) for the chart to mark at its edge. Without such values the range is the data's full range.
 * Returns {min, max, full: [min, max] of every value, clipped}, or null when no column has a finite value.
 */
export function priceRange(data) {
  const [x, actual, forecast, curve, , p10, p90] = data;
  const r = robustRange([...(actual ?? []), ...(forecast ?? [])], [...(curve ?? []), ...(p10 ?? []), ...(p90 ?? [])]);
  if (r === null) return null;
  return { ...r, clipped: clippedBeyond(x, [['actual', actual], ['forecast', forecast]], r.min, r.max) };
}

/**
 * The error chart's y range (forecast − actual, alignedData's column 4, in the price unit): the same robust rule as
 * the price axis (robustRange over the errors), made symmetric around zero so the zero line sits in the middle:
 * [-m, m] with m the larger end's magnitude (at least 1). A spike's error (the $5,000 hour's -4,950) lies outside and
 * is returned in `clipped` (series 'error'). Returns {min, max, full: symmetric over every error, clipped}, or null
 * when there is no error.
 */
export function errorRange(data) {
  const [x, , , , error] = data;
  const r = robustRange(error ?? []);
  if (r === null) return null;
  const m = Math.max(1, Math.abs(r.min), Math.abs(r.max));
  const f = Math.max(1, Math.abs(r.full[0]), Math.abs(r.full[1]));
  return { min: -m, max: m, full: [-f, f], clipped: clippedBeyond(x, [['error', error]], -m, m) };
}

/** The label of a clipped-value marker: the value rounded to whole units ("5,000"), with the count when merged ("5,000 (×3)"). */
export function markerLabel(v, n = 1) {
  const value = v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return n > 1 ? `${value} (×${n})` : value;
}

/**
 * Where a clipped-value marker's triangle and label sit, in the chart's canvas pixels: the triangle's half width, the
 * gap between triangle and label, and the least gap between two markers' boxes.
 */
export const MARKER_PX = { half: 5, gap: 3, space: 4 };

/**
 * Lays out the clipped-value markers so no two labels (nor a label and another marker's triangle) overlap: per edge
 * ('high', 'low'), across series, the points are taken left to right and a point whose triangle would touch the
 * current marker's box joins it; a marker shows its most extreme value (highest above, lowest below) and the count
 * when it holds more than one point ("5,000 (×3)"), in that point's series. The label sits right of the marker's last
 * triangle, or left of its first one where it would pass `right`, so it covers none of its triangles; a marker whose box still touches the one before is
 * merged into it. Every point keeps its triangle (`points`).
 *
 * `points`: {x (pixels), v, series, side}; `measure(label)`: the label's width in pixels; `px`: the device pixel
 * ratio (MARKER_PX is in CSS pixels); `right`: the plot area's right edge in pixels. Returns, per marker, {side, v, n,
 * series, label, labelX, align 'left' | 'right' (canvas textAlign), box: [left, right], points: [{x, series}]};
 * within an edge the boxes are ascending and at least MARKER_PX.space × px apart. Throws on a non-finite x.
 */
export function layoutMarkers(points, measure, { px = 1, right = Infinity } = {}) {
  const half = MARKER_PX.half * px;
  const gap = MARKER_PX.gap * px;
  const space = MARKER_PX.space * px;
  const place = (m) => {
    const ext = m.side === 'high' ? m.all.reduce((a, p) => (p.v > a.v ? p : a)) : m.all.reduce((a, p) => (p.v < a.v ? p : a));
    const label = markerLabel(ext.v, m.all.length);
    const w = measure(label);
    const xs = m.all.map((p) => p.x);
    const first = Math.min(...xs);
    const last = Math.max(...xs);
    // Past the marker's last triangle (or before its first), so the label covers none of its triangles.
    const atRight = last + half + gap + w <= right;
    const labelX = atRight ? last + half + gap : first - half - gap;
    const box = atRight ? [first - half, labelX + w] : [labelX - w, last + half];
    return { side: m.side, v: ext.v, n: m.all.length, series: ext.series, label, labelX, align: atRight ? 'left' : 'right', box, all: m.all };
  };
  const out = [];
  for (const side of ['high', 'low']) {
    const row = points.filter((p) => p.side === side).sort((a, b) => a.x - b.x);
    const markers = [];
    for (const p of row) {
      if (!Number.isFinite(p.x)) throw new Error(`layoutMarkers: x of a clipped point is not a number: ${p.x}`);
      const last = markers.at(-1);
      if (last && p.x - half < last.box[1] + space) markers[markers.length - 1] = place({ side, all: [...last.all, p] });
      else markers.push(place({ side, all: [p] }));
      // A label put left of its triangle (the right edge) or a grown count may reach back to the marker before.
      while (markers.length >= 2 && markers.at(-1).box[0] < markers.at(-2).box[1] + space) {
        const b = markers.pop();
        const a = markers.pop();
        markers.push(place({ side, all: [...a.all, ...b.all] }));
      }
    }
    for (const m of markers) {
      const { all, ...rest } = m;
      out.push({ ...rest, points: all.map((p) => ({ x: p.x, series: p.series })) });
    }
  }
  return out;
}

/**
 * The status line's text when no horizon-1 forecast has an actual: a series with no forecast stored at all (no
 * newest curve, no horizon-1 forecast in the window) is not forecast, as GET /forecast says ("... is not forecast");
 * otherwise its forecasts have no actual yet. `series`: {market, series, kind}.
 */
export function noErrorStatus(state, series) {
  const none = !state.curveInfo && state.forecast.t.length === 0 && state.curve.t.length === 0;
  if (none) return `${series.series} (${series.market}, ${series.kind}) is not forecast: no forecast of it is stored, so there is no forecast error to show (train a model that covers ${series.series}: sda train --series)`;
  return 'no forecast has an actual yet';
}

/** An ISO time as the dashboard writes it: "2024-07-01 12:00Z"; '?' when there is none. */
export const utcText = (iso) => (iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z') : '?');

/** A chart time (seconds since the epoch, uPlot's x) as the dashboard writes times: "2024-07-01 12:00Z"; '–' without one. */
export const secondsText = (ts) => (ts === null || ts === undefined || !Number.isFinite(ts) ? '–' : utcText(new Date(ts * 1000).toISOString()));

/**
 * A value as the dashboard's hover legends write it: `digits` decimals (default 2) with thousands separators and the
 * unit ("25.75 USD/MWh", "-10.00 MW"); '–' for a missing value. Rounded by Intl (half away from zero), and -0 is "0".
 */
export function valueText(v, unit, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const text = (v + 0).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const shown = /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
  return unit ? `${shown} ${unit}` : shown;
}

/**
 * The pipeline panel's two times, each saying what it is (a fresh tester could not tell them, or the forecast panel's
 * time, apart): `lastTickStoredAt` is the wall-clock time the ticks sink wrote the newest tick to PostgreSQL
 * (market_data.stored_at), `lastIntervalEnd` the end of the newest market interval stored, the market clock the answers
 * use. Not the tick's ingested_at: the simulator and a replay stamp it with the interval's (event) time, so a label
 * calling it wall clock showed 2024 while the sink wrote in 2026 (fresh tester, 2026-12-02).
 * @param pipeline GET /api/overview's `pipeline` ({lastTickStoredAt, lastIntervalEnd}: ISO strings or null)
 * @returns {tick, interval}: the two lines' text
 */
export function pipelineTimes(pipeline) {
  return {
    tick: `Newest tick stored: ${utcText(pipeline.lastTickStoredAt)} (wall clock: when the ticks sink wrote it to PostgreSQL)`,
    interval: `Market clock: ${utcText(pipeline.lastIntervalEnd)} (end of the newest market interval stored)`,
  };
}

/**
 * One row of the pipeline panel's consumer table from GET /api/overview's `pipeline.consumers[]` ({group, topic, lag,
 * state, members, error, notRunning}; state and members from Kafka's DescribeGroups): the lag, and whether anything
 * consumes. A group with no member runs nothing, so its lag of 0 says only that nothing new arrived: `running` is
 * 'N consumer(s) (State)', 'no consumer (Empty)' / 'no consumer (never joined)' (state 'Dead': no such group), or
 * 'unknown' when Kafka did not say; `idle` is true when no consumer runs. An optional group that never joined
 * (`notRunning`: the command that starts it, gateway/consumer-lag.ts) is 'not running (optional: started with
 * COMMAND)' with lag 'not counted', and not idle: nothing is wrong.
 * @returns {group, topic, lag: text, running: text, idle: boolean}
 */
export function consumerRow(g) {
  if (typeof g.notRunning === 'string' && g.notRunning !== '') return { group: g.group, topic: g.topic, lag: 'not counted', running: `not running (optional: started with ${g.notRunning})`, idle: false };
  const lag = g.lag === null || g.lag === undefined ? `unknown (${g.error ?? 'no answer'})` : g.lag.toLocaleString('en-US');
  let running = 'unknown';
  let idle = false;
  if (Number.isInteger(g.members) && g.members > 0) running = `${g.members} consumer${g.members === 1 ? '' : 's'} (${g.state})`;
  else if (g.members === 0 || g.state === 'Dead' || g.state === 'Empty') {
    idle = true;
    running = g.state === 'Dead' ? 'no consumer (never joined)' : `no consumer (${g.state ?? 'no member'})`;
  }
  return { group: g.group, topic: g.topic, lag, running, idle };
}

/**
 * The forecast panel's note on the newest forecast curve: its issue time (when the forecaster made it: its inputs end
 * there, so it is at or before the market clock, never the pipeline's wall-clock tick time), its model and the hour its
 * first step starts. '' without a curve. `info`: {issuedAt ISO, modelVersion}; `curve`: {t: seconds} (its steps).
 */
export function curveInfoText(info, curve) {
  if (!info) return '';
  const first = curve && curve.t.length > 0 ? `, first hour ${utcText(new Date(curve.t[0] * 1000).toISOString())}` : '';
  return ` · newest forecast issued ${utcText(info.issuedAt)} (forecaster's issue time) by ${info.modelVersion}${first}`;
}
