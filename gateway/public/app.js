// The dashboard: overview (prices, pipeline, model), the forecast chart of one series (uPlot) kept live by the
// /events stream, and the chat box that asks /query. No inline scripts or styles (the CSP allows only this origin).
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { alignedData, consumerRow, curveInfoText, errorCoverageNote, errorRange, errorSeries, layoutMarkers, mergeForecast, mergeHistory, noErrorStatus, pipelineTimes, priceRange, secondsText, utcText, valueText } from '/chart-data.js';

const $ = (sel) => document.querySelector(sel);
const fmt = (v, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const utc = utcText;
const params = new URLSearchParams(location.hash.slice(1));

let plot = null;
/** The forecast error has its own chart under the prices: its own axis, zero and unit (not the price axis). */
let errPlot = null;
let state = null;
/**
 * The price axis's range (chart-data.js priceRange): the newest forecast's band and the bulk of the past values, so
 * one spike does not flatten the rest; the values beyond it are marked at the chart's edge. #full-range shows all.
 */
let yRange = null;
/** The error chart's range (chart-data.js errorRange): the same robust rule, symmetric around zero; #full-range shows all. */
let errRange = null;
/** Seconds between refreshes of the actuals (and stored forecasts) while the page is open; #refresh=N overrides. */
const REFRESH_S = Math.min(300, Math.max(1, Number(params.get('refresh')) || 15));
window.__sdaHistoryRefreshes = 0;
let selected = null;
let liveCount = 0;
let firstData = false;
window.__sdaLiveForecasts = 0;

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

async function getJson(url, init) {
  const res = await fetch(url, { headers: { accept: 'application/json' }, ...init });
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}`, detail: 'the answer was not JSON' }));
  return { ok: res.ok, status: res.status, body };
}

async function loadOverview() {
  const { ok, body } = await getJson('/api/overview');
  if (!ok) return;
  const prices = $('#prices tbody');
  prices.replaceChildren();
  for (const p of body.prices) {
    const tr = document.createElement('tr');
    cell(tr, p.market === 'ERCOT' ? p.series : `${p.market}/${p.series}`);
    cell(tr, p.pointType === 'HUB' ? 'hub' : 'load zone');
    cell(tr, utc(p.intervalStart));
    cell(tr, fmt(p.value), p.value < 0 ? 'num neg' : 'num');
    prices.appendChild(tr);
  }
  const times = pipelineTimes(body.pipeline);
  $('#last-tick').textContent = times.tick;
  $('#last-interval').textContent = times.interval;
  const pipe = $('#pipeline tbody');
  pipe.replaceChildren();
  for (const g of body.pipeline.consumers) {
    const row = consumerRow(g);
    const tr = document.createElement('tr');
    cell(tr, row.group);
    cell(tr, row.topic);
    cell(tr, row.running, row.idle ? 'idle' : '');
    cell(tr, row.lag, 'num');
    pipe.appendChild(tr);
  }
  const mv = $('#model-version');
  mv.textContent = body.model.version ? `model: ${body.model.version}` : 'model: none';
  mv.className = body.model.version ? 'badge ok' : 'badge bad';
}

async function loadSeries() {
  const { ok, body } = await getJson('/api/series?kind=RT_PRICE');
  const sel = $('#series');
  sel.replaceChildren();
  if (!ok) return;
  for (const s of body.series) {
    const o = document.createElement('option');
    o.value = `${s.market}/${s.series}`;
    o.textContent = s.market === 'ERCOT' ? s.series : `${s.market}/${s.series}`;
    sel.appendChild(o);
  }
  const want = params.get('series') ? `${params.get('market') ?? 'ERCOT'}/${params.get('series')}` : 'ERCOT/HB_NORTH';
  if ([...sel.options].some((o) => o.value === want)) sel.value = want;
}

function renderStats() {
  const e = errorSeries(state.actual, state.forecast);
  const info = curveInfoText(state.curveInfo, state.curve);
  $('#error-stats').textContent = e.n === 0
    ? `${noErrorStatus(state, selected ?? { market: '?', series: '?', kind: 'RT_PRICE' })}${info}`
    : `error (forecast − actual, horizon 1; an hour with both) over ${e.n} points: RMSE ${fmt(e.rmse)}, MAE ${fmt(e.mae)}, bias ${fmt(e.bias)}; RMSE of the last ${e.window}: ${fmt(e.rollingRmse)} ${state.unit ?? ''}${info}`;
  $('#error-coverage').textContent = errorCoverageNote(state.actual, state.forecast);
}

/** The price scale's range: the robust one, or every value with the "full range" box ticked; uPlot pads and snaps it. */
function priceScale(_u, dataMin, dataMax) {
  const full = $('#full-range').checked;
  const [min, max] = yRange ? (full ? yRange.full : [yRange.min, yRange.max]) : [dataMin ?? 0, dataMax ?? 1];
  return uPlot.rangeNum(min, max === min ? min + 1 : max, 0.1, true);
}

/** The clipped-value markers' colours: each series' line colour. */
const MARK_COLOUR = { actual: '#1f6feb', forecast: '#d9480f', error: '#7048e8' };

/**
 * A uPlot draw hook marking each value outside the chart's range (`range()`: priceRange or errorRange) at the edge it
 * passed: a triangle per value in its series' colour and, per marker of chart-data.js layoutMarkers, one label (the
 * most extreme value, with the count where close values merged), so labels never overlap.
 */
function markClipped(name, range) {
  return (u) => {
    const r = range();
    window.__sdaMarkers = { ...window.__sdaMarkers, [name]: [] };
    if (!r || $('#full-range').checked) return;
    const { ctx, bbox } = u;
    const px = uPlot.pxRatio;
    ctx.save();
    ctx.font = `bold ${11 * px}px sans-serif`;
    ctx.lineWidth = 3 * px;
    ctx.strokeStyle = '#fff';
    const points = r.clipped
      .map((c) => ({ x: u.valToPos(c.t, 'x', true), v: c.v, series: c.series, side: c.side }))
      .filter((p) => Number.isFinite(p.x) && p.x >= bbox.left && p.x <= bbox.left + bbox.width);
    const markers = layoutMarkers(points, (label) => ctx.measureText(label).width, { px, right: bbox.left + bbox.width });
    window.__sdaMarkers[name] = markers;
    for (const m of markers) {
      const high = m.side === 'high';
      const edge = high ? bbox.top : bbox.top + bbox.height;
      const dir = high ? 1 : -1;
      for (const p of m.points) {
        ctx.fillStyle = MARK_COLOUR[p.series] ?? '#333';
        ctx.beginPath();
        ctx.moveTo(p.x, edge);
        ctx.lineTo(p.x - 5 * px, edge + dir * 8 * px);
        ctx.lineTo(p.x + 5 * px, edge + dir * 8 * px);
        ctx.closePath();
        ctx.fill();
      }
    }
    // Labels after every triangle, beside their marker (the clipped line runs through the triangle), on a white halo
    // so grid and band lines do not cross them.
    for (const m of markers) {
      const high = m.side === 'high';
      const edge = high ? bbox.top : bbox.top + bbox.height;
      ctx.fillStyle = MARK_COLOUR[m.series] ?? '#333';
      ctx.textAlign = m.align;
      ctx.textBaseline = high ? 'top' : 'bottom';
      ctx.strokeText(m.label, m.labelX, edge + (high ? 2 : -2) * px);
      ctx.fillText(m.label, m.labelX, edge + (high ? 2 : -2) * px);
    }
    ctx.restore();
  };
}

/** The error scale's range: errorRange's (every error with the "full range" box ticked), padded by a tenth. */
function errorScale(_u, dataMin, dataMax) {
  const full = $('#full-range').checked;
  const [min, max] = errRange ? (full ? errRange.full : [errRange.min, errRange.max]) : [-Math.max(1, Math.abs(dataMin ?? 0), Math.abs(dataMax ?? 0)), Math.max(1, Math.abs(dataMin ?? 0), Math.abs(dataMax ?? 0))];
  return [min * 1.1, max * 1.1];
}

/** Says under the chart how many values lie beyond the axis, and their extreme. */
function renderRangeNote() {
  const note = $('#range-note');
  const out = yRange && !$('#full-range').checked ? yRange.clipped : [];
  if (out.length === 0) {
    note.textContent = '';
    return;
  }
  const high = out.filter((c) => c.side === 'high');
  const low = out.filter((c) => c.side === 'low');
  const money = (v) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const unit = state.unit ? ` ${state.unit}` : '';
  const parts = [];
  if (high.length > 0) parts.push(`${high.length} above the price axis (up to ${money(Math.max(...high.map((c) => c.v)))}${unit})`);
  if (low.length > 0) parts.push(`${low.length} below it (down to ${money(Math.min(...low.map((c) => c.v)))}${unit})`);
  note.textContent = `${parts.join(' and ')}, each marked with its value at the chart's edge: the axis is scaled to the forecast band and the 5th-95th percentile of the past values ("full range" shows every value).`;
}

/** Hover legend values as the page writes them (chart-data.js): "2024-06-21 09:00Z", "25.75 USD/MWh". */
const hoverTime = (_u, ts) => secondsText(ts);
const hoverValue = (_u, v) => valueText(v, state?.unit ?? '');

function draw() {
  const data = alignedData(state);
  yRange = priceRange(data);
  window.__sdaPriceRange = yRange;
  errRange = errorRange(data);
  window.__sdaErrorRange = errRange;
  renderRangeNote();
  if (!plot) {
    const el = $('#plot');
    plot = new uPlot({
      width: Math.max(320, el.clientWidth || 900),
      height: 360,
      // Times in UTC, as everywhere else on the page; the time axis says so.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { sync: { key: 'sda-forecast' } },
      scales: { x: { time: true }, y: { range: priceScale }, err: { auto: true } },
      hooks: { draw: [markClipped('price', () => yRange)] },
      series: [
        { label: 'time (UTC)', value: hoverTime },
        { label: 'actual (hourly mean)', stroke: '#1f6feb', width: 2, spanGaps: true, value: hoverValue },
        { label: 'forecast (horizon 1)', stroke: '#d9480f', width: 2, spanGaps: true, points: { show: true, size: 4 }, value: hoverValue },
        { label: 'newest forecast', stroke: '#f59f00', width: 1.5, dash: [6, 4], spanGaps: true, value: hoverValue },
        // Drawn in the error chart below (its own scale); kept here hidden so the columns stay aligned.
        { label: 'error (chart below)', stroke: '#7048e8', width: 1, scale: 'err', show: false, value: hoverValue },
        // The newest forecast's 80% band: a fan from P10 to P90 around its P50 curve.
        { label: 'newest forecast P10', stroke: 'rgba(245,159,0,0.55)', width: 1, spanGaps: true, points: { show: false }, value: hoverValue },
        { label: 'newest forecast P90', stroke: 'rgba(245,159,0,0.55)', width: 1, spanGaps: true, points: { show: false }, value: hoverValue },
      ],
      bands: [{ series: [6, 5], fill: 'rgba(245,159,0,0.18)' }],
      axes: [{ label: 'time (UTC)' }, { label: `price (${state.unit ?? ''})`, size: 60 }],
    }, data, el);
    window.__sdaPlot = plot;
    const errEl = $('#error-plot');
    errPlot = new uPlot({
      width: Math.max(320, errEl.clientWidth || 900),
      height: 200,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      cursor: { sync: { key: 'sda-forecast' } },
      // Symmetric around zero, so the zero line sits in the middle and over/under-forecasts read at a glance; robust to
      // a spike's error like the price axis (errorRange), every error under "full range".
      scales: { x: { time: true }, y: { range: errorScale } },
      hooks: { draw: [markClipped('error', () => errRange)] },
      series: [{ label: 'time (UTC)', value: hoverTime }, { label: 'error: forecast − actual', stroke: '#7048e8', width: 1, spanGaps: false, points: { show: true, size: 3 }, value: hoverValue }],
      axes: [{ label: 'time (UTC)' }, { label: `error (${state.unit ?? ''})`, space: 20, size: 60 }],
    }, [data[0], data[4]], errEl);
    window.__sdaErrPlot = errPlot;
  } else {
    plot.setData(data);
    errPlot?.setData([data[0], data[4]]);
  }
  renderStats();
  if (!firstData && data[0].length > 0) {
    firstData = true;
    performance.mark('sda-first-data');
    window.__sdaFirstData = performance.now();
  }
}

async function loadHistory() {
  const [market, series] = $('#series').value.split('/');
  if (!series) return;
  selected = { market, series, kind: 'RT_PRICE' };
  const q = new URLSearchParams({ series, market, kind: 'RT_PRICE', hours: $('#hours').value });
  const { ok, body } = await getJson(`/api/history?${q}`);
  if (!ok) {
    $('#error-stats').textContent = `${body.error}: ${body.detail}`;
    return;
  }
  state = {
    unit: body.unit,
    actual: { t: body.actual.t, v: body.actual.v },
    forecast: { t: body.forecast.t, v: body.forecast.v },
    curve: body.latestCurve ? { t: body.latestCurve.t, v: body.latestCurve.v, p10: body.latestCurve.p10 ?? null, p90: body.latestCurve.p90 ?? null } : { t: [], v: [] },
    curveInfo: body.latestCurve ? { issuedAt: body.latestCurve.issuedAt, modelVersion: body.latestCurve.modelVersion } : null,
  };
  draw();
}

/** Live actuals: the history is fetched again every REFRESH_S seconds and merged (new actuals, stored forecasts). */
async function refreshHistory() {
  if (!selected || !state) return;
  const want = selected;
  const q = new URLSearchParams({ series: want.series, market: want.market, kind: want.kind, hours: $('#hours').value });
  const { ok, body } = await getJson(`/api/history?${q}`).catch(() => ({ ok: false }));
  if (!ok || selected !== want || !state) return;
  mergeHistory(state, body);
  draw();
  window.__sdaHistoryRefreshes += 1;
  const last = state.actual.t.at(-1);
  $('#actual-status').textContent = last === undefined ? '' : `actuals to ${utc(new Date(last * 1000).toISOString())} (refreshed every ${REFRESH_S} s)`;
}

function startFeed() {
  const status = $('#feed-status');
  const es = new EventSource('/events');
  es.addEventListener('open', () => { status.textContent = 'live feed: connected'; status.className = 'badge ok'; });
  es.addEventListener('error', () => { status.textContent = 'live feed: reconnecting'; status.className = 'badge bad'; });
  es.addEventListener('forecast', (ev) => {
    const f = JSON.parse(ev.data);
    // Every forecast goes on to the dispatch panel (dispatch-panel.js), which plans again when its plan is out of date.
    window.dispatchEvent(new CustomEvent('sda:forecast', { detail: f }));
    if (!selected || !state || f.market !== selected.market || f.seriesId !== selected.series || f.kind !== selected.kind) return;
    mergeForecast(state, f);
    draw();
    liveCount += 1;
    window.__sdaLiveForecasts = liveCount;
    window.__sdaLastLiveAt = Date.now();
    $('#live-count').textContent = `${liveCount} live forecast${liveCount === 1 ? '' : 's'}, last for ${utc(new Date(f.targetStart).toISOString())}`;
  });
}

function say(cls, text, sources) {
  const div = document.createElement('div');
  div.className = `msg ${cls}`;
  div.textContent = text;
  if (sources && sources.length > 0) {
    const ul = document.createElement('ul');
    for (const s of sources) {
      const li = document.createElement('li');
      li.textContent = s.title ? `${s.title} (${s.id})` : s.id;
      ul.appendChild(li);
    }
    div.appendChild(ul);
  }
  $('#chat-log').appendChild(div);
  div.scrollIntoView({ block: 'end' });
  return div;
}

$('#chat-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const q = $('#question').value.trim();
  if (!q) return;
  say('user', q);
  $('#question').value = '';
  const body = { q };
  // The chart's series goes along only when the question names none (a code, SYSTEM, a hub or a load zone).
  if (selected && !NAMES_SERIES.test(q)) body.series = selected.series;
  try {
    const res = await fetch('/query', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body) });
    if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      const b = await res.json().catch(() => ({ error: `HTTP ${res.status}`, detail: 'the answer was not JSON' }));
      say('error', `${b.error}: ${b.detail}`);
      return;
    }
    // Server-sent events: the facts answer first, then the final answer (with the model's checked phrasing).
    let shown = null;
    await readEvents(res, (event, data) => {
      if (event === 'facts' || (event === 'answer' && (!shown || data.answer !== shown.text))) {
        shown?.div.remove();
        shown = { text: data.answer, div: say('bot', data.answer, data.sources) };
      } else if (event === 'error') say('error', `${data.error}: ${data.detail}`);
    });
  } catch (err) {
    say('error', `the gateway did not answer: ${err.message}`);
  }
});

const NAMES_SERIES = /\b(?:HB|LZ|LZEW|DC|WZ)_[A-Za-z0-9_]+|\bSYSTEM\b|\bhub\b|\bload zone\b|\bhouston\b|\bpanhandle\b/i;

/** Reads a text/event-stream response body, calling onEvent(name, parsed JSON data) per event. */
async function readEvents(res, onEvent) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) onEvent(event, JSON.parse(data));
    }
  }
}

$('#series').addEventListener('change', () => { plot?.destroy(); plot = null; errPlot?.destroy(); errPlot = null; loadHistory(); });
$('#hours').addEventListener('change', () => loadHistory());
$('#full-range').addEventListener('change', () => {
  renderRangeNote();
  if (plot) plot.setData(plot.data);
  if (errPlot) errPlot.setData(errPlot.data);
});

await Promise.all([loadOverview(), loadSeries()]);
// #feed=0 leaves the live feed closed: a headless `chromium --screenshot --virtual-time-budget=N` waits for every open
// request before it lets virtual time run, and the feed's EventSource never ends (DEVELOPERS.md "Screenshots").
if (params.get('feed') === '0') {
  $('#feed-status').textContent = 'live feed: off (#feed=0)';
} else startFeed();
await loadHistory();
setInterval(loadOverview, 10_000);
setInterval(() => void refreshHistory(), REFRESH_S * 1_000);
