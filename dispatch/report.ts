// Backtest reports (pure): the table printed on stdout, the JSON, and a self-contained HTML page with inline SVG
// plots (no server, no CDN, no script).
import { END_SOC_PRICE_RULE, type BacktestResult, type StrategyResult } from './backtest.js';

const COLORS: Record<string, string> = { forecast: '#1f77b4', baseline: '#ff7f0e', persistence: '#2ca02c', perfect: '#7f7f7f' };

/** Whole dollars with thousands separators, the sign after rounding: -1234.5 -> "-$1,235" (away from 0 as toLocaleString), -0.4 -> "$0" (not "-$0"). */
function money(x: number): string {
  const whole = Number(Math.abs(x).toFixed(0)) * Math.sign(x);
  return `${whole < 0 ? '-' : ''}$${Math.abs(whole).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${x.toFixed(1)}%`;
}

/**
 * The per-strategy summary as a Markdown table followed by its footnotes (also what stdout shows): the headline is the
 * settled revenue plus the value of the end state of charge (dispatch/backtest.ts endSocValue, marked at
 * r.endSocPrice), with the settled revenue, the end SoC and its value in their own columns.
 */
export function backtestTable(r: BacktestResult): string {
  const head = '| strategy | net revenue incl. end SoC | % of perfect foresight | settled revenue | end SoC MWh | end SoC value | cycles | charged MWh | throughput MWh (discharged) | idle intervals | solves |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = r.strategies.map((s) => `| ${s.name} | ${money(s.valuedRevenue)} | ${pct(s.pctOfPerfect)} | ${money(s.netRevenue)} | ${s.endSocMwh.toFixed(1)} | ${money(s.endSocValue)} | ${s.cycles.toFixed(1)} | ${s.chargedMwh.toFixed(0)} | ${s.dischargedMwh.toFixed(0)} | ${s.idleIntervals} | ${s.solves} |`);
  const start = r.strategies[0]?.startSocMwh ?? 0;
  const notes = [
    `net revenue incl. end SoC = settled revenue (on actual prices, net of degradation) + end SoC value; end SoC value = (end SoC - start SoC ${start.toFixed(1)} MWh) x discharge efficiency x (mark price - degradation cost), mark price $${r.endSocPrice.toFixed(2)}/MWh = the ${END_SOC_PRICE_RULE}; % of perfect foresight compares net revenue incl. end SoC.`,
    `idle intervals: intervals (of ${r.intervals}, ${r.stepMs / 60_000} min each) with neither charging nor discharging.`,
  ];
  return [head, rule, ...rows, '', ...notes].join('\n');
}

/** Net revenue by US Central month per strategy, as a Markdown table. */
export function monthTable(r: BacktestResult): string {
  const months = [...new Set(r.strategies.flatMap((s) => Object.keys(s.revenueByMonth)))].sort();
  const head = `| month | ${r.strategies.map((s) => s.name).join(' | ')} |`;
  const rule = `|---|${r.strategies.map(() => '---:').join('|')}|`;
  const rows = months.map((m) => `| ${m} | ${r.strategies.map((s) => money(s.revenueByMonth[m] ?? 0)).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

/** The JSON report: everything but the per-interval series (those are in the HTML). */
export function backtestJson(r: BacktestResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...extra,
    assetId: r.assetId,
    settlementPoint: r.settlementPoint,
    from: new Date(r.fromMs).toISOString(),
    to: new Date(r.toMs).toISOString(),
    stepMinutes: r.stepMs / 60_000,
    intervals: r.intervals,
    endSocPrice: round(r.endSocPrice, 4),
    endSocPriceRule: END_SOC_PRICE_RULE,
    strategies: r.strategies.map((s: StrategyResult) => ({
      name: s.name,
      netRevenue: round(s.netRevenue, 2),
      startSocMwh: round(s.startSocMwh, 3),
      endSocMwh: round(s.endSocMwh, 3),
      endSocValue: round(s.endSocValue, 2),
      valuedRevenue: round(s.valuedRevenue, 2),
      pctOfPerfect: s.pctOfPerfect === null ? null : round(s.pctOfPerfect, 2),
      cycles: round(s.cycles, 3),
      chargedMwh: round(s.chargedMwh, 3),
      dischargedMwh: round(s.dischargedMwh, 3),
      revenueByMonth: Object.fromEntries(Object.entries(s.revenueByMonth).map(([k, v]) => [k, round(v, 2)])),
      idleIntervals: s.idleIntervals,
      noInputIntervals: s.noInputIntervals,
      solves: s.solves,
      notes: s.notes,
    })),
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

interface Line {
  name: string;
  color: string;
  values: number[];
  /** Draw as steps (a value holds for its interval). */
  step?: boolean;
  dash?: boolean;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Tick spacings the time axis chooses from, ms: whole hours, then whole days. */
const TICK_STEPS = [1, 2, 3, 6, 12].map((h) => h * HOUR_MS).concat([1, 2, 7, 14, 28, 56, 91, 182, 364].map((d) => d * DAY_MS));

/**
 * Ticks of a time axis over [x0, x1] (epoch ms), in UTC: the smallest spacing of TICK_STEPS that gives at most
 * `maxTicks` ticks, each on a whole multiple of it since the epoch (whole UTC hours or UTC midnights), so every label
 * is distinct: 'YYYY-MM-DD' when the spacing is whole days, 'MM-DD HH:00' below a day. Pure.
 */
export function timeTicks(x0: number, x1: number, maxTicks = 8): Array<{ ms: number; label: string }> {
  if (!(x1 > x0)) return [];
  const step = TICK_STEPS.find((st) => Math.floor(x1 / st) - Math.ceil(x0 / st) + 1 <= maxTicks) ?? TICK_STEPS.at(-1)!;
  const ticks: Array<{ ms: number; label: string }> = [];
  for (let t = Math.ceil(x0 / step) * step; t <= x1; t += step) {
    const iso = new Date(t).toISOString();
    ticks.push({ ms: t, label: step >= DAY_MS ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}` });
  }
  return ticks;
}

/** '2024-06-21 05:00Z': a UTC instant to the minute, as the report's headers write it. */
/**
 * Round axis ticks for the range [lo, hi] with about `n` ticks: the "nice numbers" algorithm of Heckbert ("Nice
 * numbers for graph labels", Graphics Gems, 1990). The step is 1, 2, 5 or 10 times a power of ten (nice(range / (n -
 * 1), rounded)); the axis is widened outward to whole steps, so both ends are ticks: -884..2,011 becomes -1,000..3,000
 * by 1,000, and -1..45 becomes -10..50 by 10. `digits`: the decimals a label needs (max(0, -floor(log10(step)))). Throws on a non-finite end or n < 2.
 */
export function niceTicks(lo: number, hi: number, n = 5): { min: number; max: number; step: number; ticks: number[]; digits: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`niceTicks: the range must be finite, got [${lo}, ${hi}]`);
  if (!Number.isInteger(n) || n < 2) throw new Error(`niceTicks: n must be an integer >= 2, got ${n}`);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const nice = (x: number, round: boolean): number => {
    const exp = Math.floor(Math.log10(x));
    const f = x / 10 ** exp;
    const nf = round ? (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) : f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * 10 ** exp;
  };
  const step = nice(nice(hi - lo, false) / (n - 1), true);
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  // Rounded to the step's decimals, so 0.1 + 0.2 does not print as 0.30000000000000004.
  const fix = (x: number) => Number(x.toFixed(digits)) + 0;
  const min = fix(Math.floor(lo / step) * step);
  const max = fix(Math.ceil(hi / step) * step);
  const ticks: number[] = [];
  for (let k = 0; min + k * step <= max + step / 2; k++) ticks.push(fix(min + k * step));
  return { min, max, step, ticks, digits };
}

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** An SVG line chart of several series over the same x (epoch ms), with axes, UTC time ticks and a legend. */
function svgChart(title: string, xs: number[], lines: Line[], unit: string, opts: { width?: number; height?: number; zeroLine?: boolean } = {}): string {
  const W = opts.width ?? 960;
  const H = opts.height ?? 260;
  const L = 70;
  const R = 10;
  const T = 28;
  const B = 36;
  const all = lines.flatMap((l) => l.values).filter(Number.isFinite);
  let lo = Math.min(...all, opts.zeroLine ? 0 : Infinity);
  let hi = Math.max(...all, opts.zeroLine ? 0 : -Infinity);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
  if (hi === lo) { hi += 1; lo -= 1; }
  // Round ticks (Heckbert's nice numbers), the axis widened to the outer ones.
  const nice = niceTicks(lo, hi, 5);
  lo = nice.min;
  hi = nice.max;
  const x0 = xs[0] ?? 0;
  const x1 = (xs[xs.length - 1] ?? 1) + (xs.length > 1 ? xs[1]! - xs[0]! : 1);
  const sx = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - lo) / (hi - lo)) * (H - T - B);
  const dx = xs.length > 1 ? xs[1]! - xs[0]! : 0;
  const paths = lines.map((l) => {
    let d = '';
    l.values.forEach((v, i) => {
      const x = xs[i]!;
      const y = sy(v).toFixed(1);
      if (l.step) d += `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${y}L${sx(x + dx).toFixed(1)},${y}`;
      else d += `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${y}`;
    });
    return `<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1.3"${l.dash ? ' stroke-dasharray="4 3"' : ''}/>`;
  });
  const yAxis = nice.ticks.map((v) => `<line x1="${L}" x2="${W - R}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#eee"/><text x="${L - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${v.toLocaleString('en-US', { minimumFractionDigits: nice.digits, maximumFractionDigits: nice.digits })}</text>`);
  // A label near either end is anchored inside the plot so it is not cut off at the edge of the SVG.
  const xAxis = timeTicks(x0, x1).map(({ ms, label }) => {
    const x = sx(ms);
    const anchor = x > W - R - 45 ? 'end' : x < L + 45 ? 'start' : 'middle';
    return `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${H - B}" y2="${H - B + 4}" stroke="#333"/><text x="${x.toFixed(1)}" y="${H - B + 16}" text-anchor="${anchor}">${label}</text>`;
  });
  xAxis.push(`<text x="${W - R}" y="${H - 4}" text-anchor="end">time (UTC)</text>`);
  const zero = opts.zeroLine && lo < 0 && hi > 0 ? `<line x1="${L}" x2="${W - R}" y1="${sy(0).toFixed(1)}" y2="${sy(0).toFixed(1)}" stroke="#999"/>` : '';
  const legend = lines.map((l, k) => `<rect x="${L + k * 150}" y="8" width="12" height="3" fill="${l.color}"/><text x="${L + k * 150 + 16}" y="13">${esc(l.name)}</text>`);
  return `<figure><figcaption>${esc(title)} (${esc(unit)})</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" font-size="11" font-family="sans-serif">
${yAxis.join('')}${zero}${xAxis.join('')}<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>
${paths.join('\n')}
${legend.join('')}</svg></figure>`;
}

/**
 * A self-contained HTML report: the summary and month tables, price with each strategy's net power over the last
 * `zoomDays` days (the whole period when it is shorter; each title names the span it shows, in UTC like the header
 * and the time axes), state of charge over the same days, and cumulative P&L per strategy over the whole backtest.
 */
export function backtestHtml(results: BacktestResult[], meta: Record<string, string> = {}, zoomDays = 7): string {
  const sections = results.map((r) => {
    const xs = r.prices.map((_, i) => r.fromMs + i * r.stepMs);
    const zoom = Math.min(xs.length, Math.round((zoomDays * 86_400_000) / r.stepMs));
    const z0 = xs.length - zoom;
    const zx = xs.slice(z0);
    const color = (s: StrategyResult) => COLORS[s.name] ?? '#000';
    // Perfect foresight too (dashed, as in the state-of-charge chart): the schedule the others are measured against.
    const power = r.strategies.map((s) => ({ name: `${s.name} net MW`, color: color(s), values: s.series.dischargeMw.slice(z0).map((d, i) => d - s.series.chargeMw[z0 + i]!), step: true, dash: s.name === 'perfect' }));
    const days = (ms: number) => `${Number((ms / DAY_MS).toFixed(1))} day${ms === DAY_MS ? '' : 's'}`;
    const span = z0 === 0
      ? `whole period, ${utc(r.fromMs)} to ${utc(r.toMs)} (${days(r.toMs - r.fromMs)})`
      : `last ${days(r.toMs - zx[0]!)} of ${days(r.toMs - r.fromMs)}, ${utc(zx[0]!)} to ${utc(r.toMs)}`;
    const price = svgChart(`${r.assetId} at ${r.settlementPoint}: actual price, ${span}`, zx, [{ name: 'actual price', color: '#d62728', values: r.prices.slice(z0), step: true }], '$/MWh', { zeroLine: true, height: 200 });
    const sched = svgChart(`net power per strategy (discharge +, charge -), ${span}`, zx, power, 'MW', { zeroLine: true, height: 200 });
    const soc = svgChart(`state of charge per strategy, ${span}`, zx, r.strategies.map((s) => ({ name: s.name, color: color(s), values: s.series.socMwh.slice(z0), step: true, dash: s.name === 'perfect' })), 'MWh', { height: 200 });
    const pnl = svgChart('cumulative P&L per strategy, whole backtest', xs, r.strategies.map((s) => ({ name: s.name, color: color(s), values: s.series.cumulativePnl, dash: s.name === 'perfect' })), '$', { zeroLine: true });
    return `<section><h2>${esc(r.assetId)} (${esc(r.settlementPoint)}), ${utc(r.fromMs)} to ${utc(r.toMs)}</h2>
${mdToHtml(backtestTable(r))}
<h3>Settled revenue by month (US Central; the end state of charge is not in it)</h3>
${mdToHtml(monthTable(r))}
${price}
${sched}
${soc}
${pnl}
<p class="notes">${r.strategies.map((s) => `<b>${esc(s.name)}</b>: ${esc(s.notes.join('; '))}`).join('<br>')}</p></section>`;
  });
  const metaRows = Object.entries(meta).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Battery dispatch backtest</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:4px}.notes{font-size:90%;color:#555}</style>
</head><body><h1>Battery dispatch backtest</h1>
<table>${metaRows}</table>
<p>Every strategy is settled on the actual real-time price at the asset's settlement point: revenue = price &times; (discharge &minus; charge) &times; hours &minus; degradation cost &times; discharged MWh. The energy left in the battery at the end, relative to the start, is valued at the mean actual price of the period's last 24 hours (the footnote under each table). Perfect foresight (the same LP on the actual prices) is the upper bound of the settled revenue. Times are UTC unless a heading says US Central. Formulation: dispatch/README.md.</p>
${sections.join('\n')}
</body></html>
`;
}

/** A Markdown table (lines starting with '|') to an HTML table; any other non-empty line (a footnote) becomes a paragraph. */
function mdToHtml(md: string): string {
  const all = md.split('\n');
  const lines = all.filter((l) => l.startsWith('|') && !/^\|[-:|]+\|$/.test(l));
  const notes = all.filter((l) => !l.startsWith('|') && l.trim() !== '');
  const cells = (l: string) => l.split('|').slice(1, -1).map((c) => esc(c.trim()));
  const [head, ...rows] = lines;
  return `<table><tr>${cells(head!).map((c) => `<th>${c}</th>`).join('')}</tr>${rows.map((r) => `<tr>${cells(r).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>${notes.map((n) => `<p class="notes">${esc(n)}</p>`).join('')}`;
}
