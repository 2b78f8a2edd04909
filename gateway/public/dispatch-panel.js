// The dashboard's dispatch panel: tomorrow's schedule of a configured battery (GET /api/assets, GET /dispatch?asset=)
// or an ad-hoc one (series, MW, MWh): the forecast price (P50 with its P10-P90 band) with the net power over it, and
// the state of charge. Its own module, so the rest of the page does not depend on it.
import uPlot from '/vendor/uplot/uPlot.esm.js';

const $ = (sel) => document.querySelector(sel);
// Whole dollars, rounded before formatting so the sign follows the rounding (-0.4 is "$0", not "-$0"; `|| 0` turns
// -0 into 0): -$1,235, $0, $43. No signDisplay option: Firefox ESR 115 lacks 'negative' and would throw here.
const DOLLARS = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 0, maximumFractionDigits: 0 });
const money = (v) => (v === null || v === undefined ? '–' : DOLLARS.format(Math.round(v) || 0));
let pricePlot = null;
let socPlot = null;

// The day each configured asset can be planned for (GET /api/assets), so the page never asks for a plan it cannot get.
const plannable = new Map();

function query() {
  const asset = $('#dispatch-asset').value;
  const day = plannable.get(asset) ?? 'tomorrow';
  $('#dispatch-title').textContent = `Battery dispatch: ${day}'s schedule`;
  if (asset) return `asset=${encodeURIComponent(asset)}&day=${day}`;
  return `series=${encodeURIComponent($('#dispatch-series').value.trim())}&power=${encodeURIComponent($('#dispatch-power').value)}&energy=${encodeURIComponent($('#dispatch-energy').value)}`;
}

function draw(plan) {
  const xs = plan.intervals.map((i) => Date.parse(i.start) / 1000);
  const net = plan.intervals.map((i) => i.dischargeMw - i.chargeMw);
  const data = [xs, plan.intervals.map((i) => i.price), plan.intervals.map((i) => i.p10), plan.intervals.map((i) => i.p90), net];
  // State of charge at each interval's end, starting from the initial state at the first interval's start.
  const soc = [[xs[0], ...plan.intervals.map((i) => Date.parse(i.end) / 1000)], [plan.initialSocMwh, ...plan.intervals.map((i) => i.socMwh)]];
  const stepped = uPlot.paths.stepped({ align: 1 });
  const width = Math.max(320, $('#dispatch-plot').clientWidth || 900);
  if (pricePlot) pricePlot.destroy();
  if (socPlot) socPlot.destroy();
  pricePlot = new uPlot({
    width, height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { sync: { key: 'sda-dispatch' } },
    scales: { x: { time: true }, mw: { auto: true } },
    series: [
      { label: 'time (UTC)' },
      { label: 'forecast price P50 ($/MWh)', stroke: '#d9480f', width: 2, paths: stepped },
      { label: 'P10', stroke: '#f59f00', width: 1, dash: [4, 4], paths: stepped },
      { label: 'P90', stroke: '#f59f00', width: 1, dash: [4, 4], paths: stepped },
      { label: 'net power MW (discharge +, charge -)', stroke: '#1f6feb', fill: 'rgba(31,111,235,0.15)', width: 1.5, scale: 'mw', paths: stepped },
    ],
    axes: [{ label: 'time (UTC)' }, { label: '$/MWh', size: 60 }, { scale: 'mw', side: 1, label: 'MW', size: 50, grid: { show: false } }],
  }, data, $('#dispatch-plot'));
  socPlot = new uPlot({
    width, height: 160,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { sync: { key: 'sda-dispatch' } },
    scales: { x: { time: true }, y: { range: () => [0, plan.asset.energyMwh] } },
    series: [{ label: 'time (UTC)' }, { label: 'state of charge (MWh)', stroke: '#2b8a3e', width: 2, fill: 'rgba(43,138,62,0.12)' }],
    axes: [{ label: 'time (UTC)' }, { label: 'MWh', size: 60 }],
  }, soc, $('#dispatch-soc'));
  window.__sdaDispatchPlot = pricePlot;
}

async function load() {
  const status = $('#dispatch-summary');
  try {
    const res = await fetch(`/dispatch?${query()}`);
    const body = await res.json();
    if (!res.ok) {
      status.textContent = `${res.status}: ${body.detail ?? body.error}`;
      return;
    }
    // P10/P90: the same schedule valued on the forecast's P10 and P90 price curves (dispatch/day-ahead.ts bandText), not a revenue range.
    const band = body.revenueAtP10 !== null && !body.noTradeReason ? ` If prices instead follow the forecast's P10 curve, this schedule earns ${money(body.revenueAtP10)}; on its P90 curve, ${money(body.revenueAtP90)}.` : '';
    status.textContent = `${body.asset.powerMw} MW / ${body.asset.energyMwh} MWh at ${body.settlementPoint}, ${body.day} (US Central): charge ${body.chargeHours}, discharge ${body.dischargeHours}; expected net revenue ${money(body.expectedRevenue)} at the forecast's P50 prices; forecast ${body.forecast.modelVersion} issued ${body.forecast.issuedAt}${body.coveredHours < 23 ? `; the forecast covers ${body.coveredHours} h of the day` : ''}.${body.noTradeReason ? ` ${body.noTradeReason}` : band}`;
    draw(body);
  } catch (err) {
    status.textContent = `dispatch unavailable: ${err.message}`;
  }
}

async function start() {
  if (!$('#dispatch')) return;
  try {
    const res = await fetch('/api/assets');
    if (res.ok) {
      const { assets } = await res.json();
      for (const a of assets) {
        if (a.plannable) plannable.set(a.id, a.plannable);
        const o = document.createElement('option');
        o.value = a.id;
        o.textContent = `${a.id} (${a.settlementPoint}, ${a.powerMw} MW / ${a.energyMwh} MWh)`;
        $('#dispatch-asset').append(o);
      }
    }
  } catch {
    // the ad-hoc form still works
  }
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
  await load();
  setInterval(() => {
    if ($('#dispatch-asset').value === first) void load();
  }, 60_000);
}

void start();
