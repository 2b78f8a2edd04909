// The dashboard's dispatch panel: tomorrow's schedule of a configured battery (GET /api/assets, GET /dispatch?asset=)
// or an ad-hoc one (series, MW, MWh): the forecast price (P50 with its P10-P90 band) with the net power over it, and
// the state of charge. Its own module, so the rest of the page does not depend on it. Kept live: app.js passes each
// forecast of the live feed on as a window 'sda:forecast' event, and the panel plans again when it makes the shown
// plan out of date (a newer forecast of its price, the market day moved on, or a later feed event while the plan
// started from a dispatcher schedule older than its forecast, debounced, and then on its own timer with backoff while
// still behind: dispatch-refresh.js).
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { dispatchRefreshReason, replanDelayMs, scheduleRetryDelayMs, shownPlan } from '/dispatch-refresh.js';
import { dispatchColumns, mwRange, startText } from '/dispatch-chart.js';
import { secondsText, utcText, valueText } from '/chart-data.js';

const $ = (sel) => document.querySelector(sel);
// Whole dollars, rounded before formatting so the sign follows the rounding (-0.4 is "$0", not "-$0"; `|| 0` turns
// -0 into 0): -$1,235, $0, $43. No signDisplay option: Firefox ESR 115 lacks 'negative' and would throw here.
const DOLLARS = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 0, maximumFractionDigits: 0 });
const money = (v) => (v === null || v === undefined ? '–' : DOLLARS.format(Math.round(v) || 0));
let pricePlot = null;
let socPlot = null;

// The day each configured asset can be planned for (GET /api/assets), so the page never asks for a plan it cannot get.
const plannable = new Map();
// The plan shown (dispatch-refresh.js shownPlan) and what was asked for it: {asset} or {adhoc: query string}.
let shown = null;
let asked = null;

/** The query of a request: an asset on the day it can be planned for now, or an ad-hoc battery's query as given. */
function queryOf(req) {
  if (req.asset !== undefined) {
    const day = plannable.get(req.asset) ?? 'tomorrow';
    $('#dispatch-title').textContent = `Battery dispatch: ${day}'s schedule`;
    return `asset=${encodeURIComponent(req.asset)}&day=${day}`;
  }
  $('#dispatch-title').textContent = "Battery dispatch: tomorrow's schedule";
  return req.adhoc;
}

/** The request the form describes now. */
function formRequest() {
  const asset = $('#dispatch-asset').value;
  if (asset) return { asset };
  return { adhoc: `series=${encodeURIComponent($('#dispatch-series').value.trim())}&power=${encodeURIComponent($('#dispatch-power').value)}&energy=${encodeURIComponent($('#dispatch-energy').value)}` };
}

/** Removes the charts (a rejected or failed plan must not leave the previous one reading like its result). */
function clearCharts() {
  pricePlot?.destroy();
  socPlot?.destroy();
  pricePlot = null;
  socPlot = null;
  window.__sdaDispatchPlot = null;
}

function draw(plan) {
  // dispatch-chart.js: the last hour drawn as a step to its end, both charts over the same [first start, last end].
  const cols = dispatchColumns(plan);
  clearCharts();
  if (!cols) return;
  const { price: data, soc } = cols;
  const stepped = uPlot.paths.stepped({ align: 1 });
  const width = Math.max(320, $('#dispatch-plot').clientWidth || 900);
  const x = { time: true, range: () => cols.x };
  // Hover values as the rest of the page writes them (chart-data.js): times "2024-06-21 09:00Z", values rounded with their unit.
  const at = (unit, digits = 2) => (_u, v) => valueText(v, unit, digits);
  const time = { label: 'time (UTC)', value: (_u, ts) => secondsText(ts) };
  pricePlot = new uPlot({
    width, height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { sync: { key: 'sda-dispatch' } },
    // +-the battery's power (mwRange), not auto: a no-trade plan's flat 0 MW otherwise scaled to 0-100.
    scales: { x, mw: mwRange(plan) ? { range: () => mwRange(plan) } : { auto: true } },
    series: [
      time,
      { label: 'forecast price P50', stroke: '#d9480f', width: 2, paths: stepped, value: at('$/MWh') },
      { label: 'P10', stroke: '#f59f00', width: 1, dash: [4, 4], paths: stepped, value: at('$/MWh') },
      { label: 'P90', stroke: '#f59f00', width: 1, dash: [4, 4], paths: stepped, value: at('$/MWh') },
      { label: 'net power (discharge +, charge -)', stroke: '#1f6feb', fill: 'rgba(31,111,235,0.15)', width: 1.5, scale: 'mw', paths: stepped, value: at('MW', 1) },
    ],
    axes: [{ label: 'time (UTC)' }, { label: '$/MWh', size: 60 }, { scale: 'mw', side: 1, label: 'MW', size: 50, grid: { show: false } }],
  }, data, $('#dispatch-plot'));
  socPlot = new uPlot({
    width, height: 160,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { sync: { key: 'sda-dispatch' } },
    scales: { x, y: { range: () => [0, plan.asset.energyMwh] } },
    series: [time, { label: 'state of charge', stroke: '#2b8a3e', width: 2, fill: 'rgba(43,138,62,0.12)', value: at('MWh', 1) }],
    // An empty right axis as wide as the price chart's MW axis (size 50 + its label's 30), so the two plot areas (and their hours) line up.
    axes: [{ label: 'time (UTC)' }, { label: 'MWh', size: 60 }, { side: 1, size: 80, values: () => [], ticks: { show: false }, grid: { show: false } }],
  }, soc, $('#dispatch-soc'));
  window.__sdaDispatchPlot = pricePlot;
}

async function load(req = formRequest()) {
  const status = $('#dispatch-summary');
  asked = req;
  try {
    const res = await fetch(`/dispatch?${queryOf(req)}`);
    const body = await res.json();
    if (!res.ok) {
      // Prominent, and the previous plan's charts go: they would read like this request's result.
      status.textContent = `Not planned (HTTP ${res.status}): ${body.detail ?? body.error}. No plan is shown.`;
      status.className = 'error';
      clearCharts();
      window.__sdaDispatchError = { status: res.status, detail: body.detail ?? body.error };
      return;
    }
    status.className = '';
    window.__sdaDispatchError = null;
    // P10/P90: the same schedule valued on the forecast's P10 and P90 price curves (dispatch/day-ahead.ts bandText), not a revenue range.
    const band = body.revenueAtP10 !== null && !body.noTradeReason ? ` If prices instead follow the forecast's P10 curve, this schedule earns ${money(body.revenueAtP10)}; on its P90 curve, ${money(body.revenueAtP90)}.` : '';
    status.textContent = `${body.asset.powerMw} MW / ${body.asset.energyMwh} MWh at ${body.settlementPoint}, ${body.day} (US Central): charge ${body.chargeHours}, discharge ${body.dischargeHours}; expected net revenue ${money(body.expectedRevenue)} at the forecast's P50 prices; forecast ${body.forecast.modelVersion} issued ${utcText(body.forecast.issuedAt)}${body.coveredHours < 23 ? `; the forecast covers ${body.coveredHours} h of the day` : ''}; ${startText(body)}.${body.noTradeReason ? ` ${body.noTradeReason}` : band}`;
    draw(body);
    shown = shownPlan(body, Date.now(), shown);
    window.__sdaDispatchPlan = { day: body.day, forecastIssuedAt: body.forecast.issuedAt, forecastTargetStart: body.forecast.targetStart, scheduleForecastIssuedAt: body.dispatcherSchedule?.forecastIssuedAt ?? null, scheduleBehind: shown?.scheduleBehind ?? false };
  } catch (err) {
    status.textContent = `dispatch unavailable: ${err.message}. No plan is shown.`;
    status.className = 'error';
    clearCharts();
  }
}

/** Reads the configured assets and the day each can be planned for now (GET /api/assets); adds the options once. */
async function readAssets(addOptions) {
  try {
    const res = await fetch('/api/assets');
    if (!res.ok) return;
    const { assets } = await res.json();
    plannable.clear();
    for (const a of assets) {
      if (a.plannable) plannable.set(a.id, a.plannable);
      if (!addOptions) continue;
      const o = document.createElement('option');
      o.value = a.id;
      o.textContent = `${a.id} (${a.settlementPoint}, ${a.powerMw} MW / ${a.energyMwh} MWh)`;
      $('#dispatch-asset').append(o);
    }
  } catch {
    // the ad-hoc form still works
  }
}

// One refresh at a time; forecasts that arrive meanwhile ask for one more after it.
let refreshing = false;
let again = false;
window.__sdaDispatchRefreshes = 0;

// A pending re-plan for the dispatcher's schedule (dispatch-refresh.js replanDelayMs), one at a time.
let retryTimer = null;
// The plan a timer's re-plan started from, until that re-plan is done (then scheduleRetryDelayMs says whether to re-arm).
let retryFrom = null;

/**
 * Arms the one re-plan timer for the dispatcher's schedule (none if one is pending). When it fires on a plan still
 * behind, it plans again; replan() then re-arms it with the backoff while the new plan is still behind and under
 * SCHEDULE_RETRIES (scheduleRetryDelayMs), without waiting for a feed event.
 */
function armScheduleRetry(wait) {
  if (retryTimer !== null) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    if (!shown?.scheduleBehind) return;
    retryFrom = shown;
    void replan();
  }, wait);
}

/** Plans the shown request again on the live feed's forecast `f` when it makes the plan out of date. */
async function onForecast(f) {
  if (asked === null) {
    // Nothing planned yet (no battery had a forecast): plan the first one that has one now.
    if (shown === null && dispatchRefreshReason(null, f) === null) return;
  } else {
    const reason = dispatchRefreshReason(shown, f);
    if (reason === null) return;
    const wait = replanDelayMs(shown, reason, Date.now());
    if (wait > 0) {
      // Feed events within the wait coalesce into this one re-plan; it is skipped if a re-plan meanwhile caught up.
      armScheduleRetry(wait);
      return;
    }
  }
  await replan();
}

/** Plans the shown request (or, with none yet, the first plannable asset) again, one refresh at a time. */
async function replan() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    do {
      again = false;
      await readAssets(false);
      let req = asked;
      if (req === null) {
        const first = [...plannable.keys()][0];
        if (first === undefined) break;
        $('#dispatch-asset').value = first;
        req = { asset: first };
      }
      await load(req);
      window.__sdaDispatchRefreshes += 1;
    } while (again);
  } finally {
    refreshing = false;
    if (retryFrom !== null) {
      // A timer's re-plan is done: still behind, under the bound and a new plan shown: try again after the backoff.
      const next = scheduleRetryDelayMs(shown, Date.now(), retryFrom);
      retryFrom = null;
      if (next !== null) armScheduleRetry(next);
    }
  }
}

async function start() {
  if (!$('#dispatch')) return;
  window.addEventListener('sda:forecast', (ev) => void onForecast(ev.detail));
  await readAssets(true);
  $('#dispatch-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  // Plans on its own only for an asset whose forecast covers a day; otherwise it waits for the Plan button.
  const first = [...plannable.keys()][0];
  if (first === undefined) {
    $('#dispatch-summary').textContent = 'no battery has a price forecast yet: pick one, or give a series, MW and MWh, and press Plan';
    return;
  }
  $('#dispatch-asset').value = first;
  await load({ asset: first });
  // A fallback for a feed that is down: plan what is shown again every minute (the plan's day from /api/assets).
  setInterval(() => {
    if (asked !== null && !refreshing) void readAssets(false).then(() => load(asked));
  }, 60_000);
}

void start();
