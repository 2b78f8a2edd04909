// The dispatch measure of the responder (issue 14): "When should the West battery charge tomorrow?" -> a battery from
// config/assets.json (the one at a settlement point the question names, else the first) -> the newest price
// forecast of its settlement point issued at or before the market clock -> the dispatch engine's day-ahead plan
// (dispatch/day-ahead.ts planDayAhead, HiGHS; the same plan GET /dispatch shows) for tomorrow, or today when the
// question names today or a part of it ("this evening", "tonight", "at 6pm": then what the plan does in that part
// first, askedDay) -> a fact with the charge and discharge hours and the expected revenue, and its basis (the
// settlement point, the day and the forecast-snapshot document of the forecast read: the answer's sources). When
// the engine, the asset file or a forecast is missing, the fact says the schedule cannot be made yet, and why.
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { type PeriodRule, describePeriod } from './market-clock.js';
import { BATTERY_SIZE_LIMITS, type BatterySize, type Intent, figure } from './intent.js';
import { addCentralDays } from '../market/central-time.js';
import { hourEndingRanges } from '../market/format.js';
import { CENTRAL_CLOCK, marketClock } from '../market/zone-clock.js';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import { storedForecast } from '../reports/forecasts.js';
import { documentId } from '../processors/summarizer/documents.js';
import type { FactValue, MeasureFact } from './tools.js';

const log = logger('rag-dispatch');

/**
 * The configured battery a dispatch question is about: one it names ("bess-west") first, then one at a settlement
 * point it names ("my battery at HB_HOUSTON" -> bess-houston), else the first configured one. {missing} with the names
 * when the question names batteries none of `assets` (non-empty) is. Pure.
 */
export function chooseAsset<A extends { id: string; settlementPoint: string }>(assets: readonly A[], intent: Pick<Intent, 'series' | 'assetNames'>): { asset: A } | { missing: string[] } {
  const named = intent.assetNames ?? [];
  const byName = assets.find((a) => named.includes(a.id.toLowerCase()));
  if (named.length > 0 && !byName) return { missing: named };
  return { asset: byName ?? assets.find((a) => intent.series.includes(a.settlementPoint)) ?? assets[0]! };
}

/**
 * The size to plan a battery the question describes with (issue: "a 10 MWh battery" planned bess-west's 100 MW /
 * 200 MWh): the figures written, and a figure not written derived from the duration written ("a 10 MW 4-hour
 * battery": energy = 10 MW x 4 hours = 40 MWh; "40 MWh, 4 hours": power = 40 MWh / 4 hours), else from the duration
 * of `basis` (the configured battery chosen for the question, chooseAsset: its energyMwh / powerMw, hours): energy
 * alone -> power = energy / duration; power alone -> energy = power x duration; a duration alone -> basis's power,
 * energy = that power x the duration; power and energy -> both as written. A derived figure keeps 6 significant
 * digits. Pure.
 * @param size  MW, MWh and/or hours as the question writes them (rag/intent.ts parseBatterySize: positive, within
 *              bounds, consistent when all three are written)
 * @param basis the configured battery whose duration (or power, for a duration alone) is used
 * @returns {powerMw, energyMwh, derived}, derived a phrase saying what was derived from what ("10 MWh as asked; 5 MW
 *          derived from bess-west's duration of 2 hours (200 MWh / 100 MW)", "10 MW and 4 hours as asked; 40 MWh
 *          derived from them (10 MW x 4 hours)") or '' when power and energy were both written; or {problem} when a
 *          derived figure is above BATTERY_SIZE_LIMITS (naming it and how it was derived)
 */
export function adhocSize(size: BatterySize, basis: { id: string; powerMw: number; energyMwh: number }): { powerMw: number; energyMwh: number; derived: string } | { problem: string } {
  const { powerMw: p, energyMwh: e, durationHours: d } = size;
  if (p !== undefined && e !== undefined) return { powerMw: p, energyMwh: e, derived: '' };
  const hoursText = (h: number) => `${h.toLocaleString('en-US', { maximumFractionDigits: 2 })} hour${h === 1 ? '' : 's'}`;
  const round = (x: number) => Number(x.toPrecision(6));
  const hours = basis.energyMwh / basis.powerMw;
  const from = `${basis.id}'s duration of ${hoursText(hours)} (${figure(basis.energyMwh)} MWh / ${figure(basis.powerMw)} MW)`;
  // The figure derived: what, its value and unit, how it was derived (for a refusal), and the phrase the answer shows.
  let out: { powerMw: number; energyMwh: number; what: 'power' | 'energy'; how: string; derived: string };
  if (d !== undefined && p !== undefined) {
    const energyMwh = round(p * d);
    out = { powerMw: p, energyMwh, what: 'energy', how: `${figure(p)} MW x ${hoursText(d)}`, derived: `${figure(p)} MW and ${hoursText(d)} as asked; ${figure(energyMwh)} MWh derived from them (${figure(p)} MW x ${hoursText(d)})` };
  } else if (d !== undefined && e !== undefined) {
    const powerMw = round(e / d);
    out = { powerMw, energyMwh: e, what: 'power', how: `${figure(e)} MWh / ${hoursText(d)}`, derived: `${figure(e)} MWh and ${hoursText(d)} as asked; ${figure(powerMw)} MW derived from them (${figure(e)} MWh / ${hoursText(d)})` };
  } else if (d !== undefined) {
    const energyMwh = round(basis.powerMw * d);
    out = {
      powerMw: basis.powerMw, energyMwh, what: 'energy', how: `${basis.id}'s power of ${figure(basis.powerMw)} MW x ${hoursText(d)}`,
      derived: `${hoursText(d)} as asked; ${figure(basis.powerMw)} MW from ${basis.id}'s power and ${figure(energyMwh)} MWh derived from it (${figure(basis.powerMw)} MW x ${hoursText(d)})`,
    };
  } else if (p !== undefined) {
    const energyMwh = round(p * hours);
    out = { powerMw: p, energyMwh, what: 'energy', how: `${figure(p)} MW at ${from}`, derived: `${figure(p)} MW as asked; ${figure(energyMwh)} MWh derived from ${from}` };
  } else {
    const powerMw = round(e! / hours);
    out = { powerMw, energyMwh: e!, what: 'power', how: `${figure(e!)} MWh at ${from}`, derived: `${figure(e!)} MWh as asked; ${figure(powerMw)} MW derived from ${from}` };
  }
  const [value, unit, max] = out.what === 'energy' ? [out.energyMwh, 'MWh', BATTERY_SIZE_LIMITS.maxEnergyMwh] : [out.powerMw, 'MW', BATTERY_SIZE_LIMITS.maxPowerMw];
  if (value > max) {
    return { problem: `the ${out.what} derived from ${out.how} is ${figure(value)} ${unit}, above the largest this planner accepts, ${figure(max)} ${unit}: give the battery's ${out.what} too` };
  }
  return { powerMw: out.powerMw, energyMwh: out.energyMwh, derived: out.derived };
}

/** Parts of today a dispatch question may name (rag/market-clock.ts rules), [from, to) hours of the Central day. */
const PARTS_OF_TODAY: Partial<Record<PeriodRule, [number, number]>> = { 'this-morning': [6, 12], 'this-afternoon': [12, 18], 'this-evening': [18, 24], tonight: [18, 30] };

/**
 * The Central day a dispatch question asks about, relative to the market clock `now` (UTC ms), and the part of it
 * named: no period or "tomorrow" -> tomorrow; "today" -> today; "this morning / afternoon / evening", "tonight" ->
 * today with that span (06-12, 12-18, 18-24, 18-06 of the next day) on the day of `now`; "now", "this hour", "the
 * next N hours" -> today with that span; a written date or a clock time on it -> today or tomorrow when it is one of
 * them (with the clock time's span); a period over before today began and inside one Central day ("yesterday",
 * "yesterday evening", a past date) -> {past} with that day (and the part asked when not the whole day), which
 * dispatchFact answers with the plan made for it on the forecast issued by its start; any other day -> {other} (plans
 * are made for today and tomorrow only); any other period over by `now` that is not one of these ("last night",
 * "the last 3 hours": over, but across midnight or inside today) -> {elapsed} with that span (plans look forward:
 * dispatchFact says so and names the backtest for it), never tomorrow. Other relative periods keep the old reading,
 * tomorrow. Pure.
 */
export function askedDay(intent: Pick<Intent, 'period'>, now: number): { day: 'today' | 'tomorrow'; window?: { from: number; to: number; label: string } } | { other: { from: number; to: number; label: string } } | { past: { date: string; from: number; to: number; label: string; window?: { from: number; to: number; label: string } } } | { elapsed: { from: number; to: number; label: string } } {
  const clock = CENTRAL_CLOCK;
  const p = intent.period;
  if (!p || p.rule === 'tomorrow') return { day: 'tomorrow' };
  if (p.rule === 'today') return { day: 'today' };
  const today = clock.dateOf(now);
  // A period over before today began, inside one Central day ("yesterday", "yesterday evening", "on 2024-06-10"):
  // that day, with the part asked when it is not the whole day. Periods over several past days stay {other}.
  if (p.to <= clock.midnightUtc(today)) {
    const date = clock.dateOf(p.from);
    if (clock.dateOf(p.to - 1) !== date) return { other: { from: p.from, to: p.to, label: p.label } };
    const from = clock.midnightUtc(date);
    const to = clock.midnightUtc(addCentralDays(date, 1));
    return { past: { date, from, to, label: p.label, ...(p.from === from && p.to === to ? {} : { window: { from: p.from, to: p.to, label: p.label } }) } };
  }
  const part = PARTS_OF_TODAY[p.rule];
  if (part) {
    const at = (h: number) => (h >= 24 ? clock.wallToUtc(addCentralDays(today, 1), (h - 24) * 60) : clock.wallToUtc(today, h * 60));
    return { day: 'today', window: { from: at(part[0]), to: at(part[1]), label: p.label } };
  }
  if (p.rule === 'now' || p.rule === 'this-hour' || p.rule === 'next-hours') return { day: 'today', window: { from: p.from, to: p.to, label: p.label } };
  if (p.rule === 'date' || p.rule === 'clock-time') {
    const date = clock.dateOf(p.from);
    const day = date === today ? 'today' : date === addCentralDays(today, 1) ? 'tomorrow' : undefined;
    if (!day) return { other: { from: p.from, to: p.to, label: p.label } };
    return p.rule === 'clock-time' ? { day, window: { from: p.from, to: p.to, label: p.label } } : { day };
  }
  // A period already over (to <= now) is never tomorrow's plan: a past question answered with tomorrow would mislead.
  if (p.to <= now) return { elapsed: { from: p.from, to: p.to, label: p.label } };
  return { day: 'tomorrow' };
}

/**
 * The schedule fact for a dispatch question, or a fact saying why there is none. Day-ahead plans are for ERCOT
 * batteries on the US Central operating day (dispatch/day-ahead.ts planDayAhead, describePlan), so the period is on
 * CENTRAL_CLOCK; a market on another clock (GB, on UK time: market/zone-clock.ts marketClock) gets a fact saying no
 * battery is planned there, read from nothing (its days and the plan's would name different days). The day planned is
 * the day the header names: the newest forecast issued by `now` plans it as its first interval's own Central day or
 * the one after; a forecast starting on an earlier day plans nothing (a fact says so). A past day (askedDay {past}) is
 * planned the same way on the newest forecast issued by its start (its day-ahead plan), the text saying it is what
 * was planned, not what the battery did, and naming the `sda backtest` command that settles that day; its basis is
 * that forecast's document. Another period already over (askedDay {elapsed}: "last night", "the last 3 hours") gets a
 * fact saying plans look forward, with the backtest of that span. The backtest names a configured battery by --asset,
 * a battery the question describes by --power MW --energy MWh --series SP.
 */
export async function dispatchFact(pool: pg.Pool, market: string, intent: Intent, now: number): Promise<Array<MeasureFact | null>> {
  const asked = askedDay(intent, now);
  const past = 'past' in asked ? asked.past : undefined;
  const day: 'today' | 'tomorrow' = 'day' in asked ? asked.day : 'tomorrow';
  const own = marketClock(market);
  if (own.zone !== CENTRAL_CLOCK.zone) {
    // The period asked, on the market's own clock (a past one named as asked, not "tomorrow"); none -> tomorrow.
    const d = day === 'today' ? own.dateOf(now) : addCentralDays(own.dateOf(now), 1);
    const p = intent.period;
    const asked = p ? { from: p.from, to: p.to, label: p.label } : { from: own.midnightUtc(d), to: own.midnightUtc(addCentralDays(d, 1)), label: day };
    return [{
      id: 'dispatch:unavailable',
      text: `I cannot schedule a battery for ${describePeriod(asked, own)}: battery plans are made for ERCOT batteries on the US Central operating day, and market ${market} keeps ${own.suffix} time (${own.zone}).`,
      numbers: {}, values: [],
    }];
  }
  const clock = CENTRAL_CLOCK;
  const d = past ? past.date : day === 'today' ? clock.dateOf(now) : addCentralDays(clock.dateOf(now), 1);
  const window = 'day' in asked ? asked.window : past?.window;
  // A period over by now that is not one past day ("last night", "the last 3 hours"): no plan covers it.
  const elapsed = 'elapsed' in asked ? asked.elapsed : undefined;
  const period = elapsed ?? window ?? (past ? { from: past.from, to: past.to, label: past.label } : { from: clock.midnightUtc(d), to: clock.midnightUtc(addCentralDays(d, 1)), label: day });
  // A past day: plans look forward, so the answer is the day-ahead plan made for that day on the newest forecast issued
  // by its start (what the planner would have said the day before), never what the battery did; a backtest settles that.
  const issuedBy = past ? past.from : now;
  // The backtest that settles a past span (UTC minutes) for a battery: a configured one by --asset, one the question
  // describes by its size and settlement point (--power MW --energy MWh --series SP; sda backtest's ad-hoc battery).
  const backtest = (b: { id: string; powerMw: number; energyMwh: number; settlementPoint: string }, from = clock.midnightUtc(d), to = clock.midnightUtc(addCentralDays(d, 1))) => {
    const utc = (t: number) => `${new Date(t).toISOString().slice(0, 16)}Z`;
    return `sda backtest --from ${utc(from)} --to ${utc(to)} ${intent.battery ? `--power ${b.powerMw} --energy ${b.energyMwh} --series ${b.settlementPoint}` : `--asset ${b.id}`}`;
  };
  const cannot = (why: string): MeasureFact => ({ id: 'dispatch:unavailable', text: past || elapsed ? `I cannot show a battery plan for ${describePeriod(period, clock)}: ${why}.` : `I cannot schedule a battery for ${describePeriod(period, clock)} yet: ${why}.`, numbers: {}, values: [] });
  if ('other' in asked) {
    return [{
      id: 'dispatch:unavailable',
      text: `I cannot schedule a battery for ${describePeriod(asked.other, clock)}: battery plans are made for today or tomorrow (US Central operating days, from the market clock ${clock.label(now)}).`,
      numbers: {}, values: [],
    }];
  }
  // A battery size written but not usable ("-10 MW", "a 10 battery", "500 GWh"): said, naming the figure, read from nothing.
  if (intent.batteryProblem) return [{ id: 'dispatch:unavailable', text: `I cannot plan that battery: ${intent.batteryProblem}.`, numbers: {}, values: [] }];
  let engine: { assets: typeof import('../dispatch/assets-config.js'); plan: typeof import('../dispatch/day-ahead.js'); optimiser: typeof import('../dispatch/optimiser.js'); asset: typeof import('../dispatch/asset.js') };
  try {
    engine = { assets: await import('../dispatch/assets-config.js'), plan: await import('../dispatch/day-ahead.js'), optimiser: await import('../dispatch/optimiser.js'), asset: await import('../dispatch/asset.js') };
  } catch (err) {
    log.info({ err: (err as Error).message }, 'dispatch engine not available');
    return [cannot(`the dispatch engine is not available (${(err as Error).message.slice(0, 120)})`)];
  }
  let assets: ReturnType<typeof engine.assets.loadAssets>;
  try {
    assets = engine.assets.loadAssets();
  } catch (err) {
    return [cannot((err as Error).message.slice(0, 200))];
  }
  if (assets.length === 0) return [cannot('no battery is configured in config/assets.json')];
  const chosen = chooseAsset(assets, intent);
  if ('missing' in chosen) return [cannot(`no battery named ${chosen.missing.join(', ')} is configured (configured: ${assets.map((a) => a.id).join(', ')})`)];
  const configured = chosen.asset;
  // A battery the question describes ("a 10 MW / 20 MWh battery", "a 10 MW 4-hour battery", "a 10 MWh battery": the
  // other figure from the duration asked, else the configured asset's, adhocSize) at the settlement point it names (else the first configured asset's), with
  // the configured asset's other parameters; validated like GET /dispatch's ad-hoc battery.
  let asset = configured;
  let derived = '';
  if (intent.battery) {
    const sp = intent.series.find((s) => s !== SYSTEM_SERIES_ID) ?? configured.settlementPoint;
    const size = adhocSize(intent.battery, configured);
    if ('problem' in size) return [{ id: 'dispatch:unavailable', text: `I cannot plan that battery: ${size.problem}.`, numbers: {}, values: [] }];
    derived = size.derived;
    try {
      asset = engine.asset.makeBattery({ ...configured, id: `adhoc-${size.powerMw}mw-${size.energyMwh}mwh-${sp}`.slice(0, 64), settlementPoint: sp, powerMw: size.powerMw, energyMwh: size.energyMwh });
    } catch (err) {
      return [cannot(`that battery is not valid: ${(err as Error).message.slice(0, 200)}`)];
    }
  }
  const who = intent.battery ? 'your battery' : asset.id;
  if (elapsed) {
    return [cannot(`plans look forward (they are made for today and tomorrow, or shown for one past day as planned before it began), so no plan covers a period already over; to see what ${who} would have done in it settled on actual prices, run ${backtest(asset, elapsed.from, elapsed.to)}`)];
  }
  const f = await storedForecast(pool, market, asset.settlementPoint, 'RT_PRICE', { issuedBy });
  const replay = past ? `; to see what ${who} would have done on ${d} settled on actual prices, run ${backtest(asset)}` : '';
  if (!f) return [cannot(`there is no price forecast for ${asset.settlementPoint} issued by ${clock.label(issuedBy)}${past ? ', the start of that day (plans look forward: a day is planned on the forecasts issued before it)' : ''}${replay}`)];
  const curve = {
    modelVersion: f.modelVersion, issuedAt: f.issuedAt, inputEnd: f.inputEnd, targetStart: f.targetStart, stepMs: f.stepMs,
    values: f.values.map(Number), p10: f.p10?.map(Number) ?? null, p90: f.p90?.map(Number) ?? null,
  };
  // planDayAhead counts its day from the forecast's first interval, the header from the market clock: plan the day
  // asked (d) as that interval's own day or the one after; a forecast starting earlier (stale) plans no other day.
  const planDay = (['today', 'tomorrow'] as const).find((k) => engine.plan.daySpan(curve, k).target === d);
  if (!planDay) return [cannot(`the newest ${asset.settlementPoint} forecast issued by ${clock.label(issuedBy)} starts ${clock.label(curve.targetStart)}, so it plans no battery for ${d}${replay}`)];
  const plan = engine.plan.planDayAhead(await engine.optimiser.loadSolver(), asset, curve, planDay);
  if (!plan) return [cannot(`the newest ${asset.settlementPoint} forecast (issued ${clock.label(curve.issuedAt)}) does not cover that day`)];
  // A part of the day asked ("this evening", "tonight", "at 6pm"): the day's plan says what to do in it, or the
  // answer says the newest forecast does not reach it.
  let inWindow = '';
  if (window) {
    const ivs = plan.intervals.filter((iv) => Date.parse(iv.start) >= window.from && Date.parse(iv.start) < window.to);
    const planFrom = Date.parse(plan.intervals[0]!.start);
    const planTo = Date.parse(plan.intervals.at(-1)!.end);
    if (ivs.length === 0) return [cannot(`the newest ${asset.settlementPoint} forecast (issued ${clock.label(curve.issuedAt)}) plans ${plan.day} from ${clock.label(planFrom)} to ${clock.label(planTo)}, which does not cover ${window.label}`)];
    const he = (k: 'chargeMw' | 'dischargeMw') => {
      const hours = ivs.filter((iv) => iv[k] > 1e-6).map((iv) => iv.hourEnding);
      return hours.length > 0 ? hourEndingRanges(hours) : 'none';
    };
    const from = Date.parse(ivs[0]!.start);
    const to = Date.parse(ivs.at(-1)!.end);
    const partial = from > window.from || to < window.to ? ` (the plan covers ${clock.label(from)} to ${clock.label(to)} of it)` : '';
    inWindow = `${window.label}${partial}: discharge ${he('dischargeMw')}, charge ${he('chargeMw')}. The day's plan: `;
  }
  const sp = asset.settlementPoint;
  const v = (measure: string, value: number, unit: string, at?: number): FactValue => ({ series: sp, kind: 'DISPATCH', measure, value, unit, ...(at !== undefined ? { at } : {}) });
  const values: FactValue[] = [
    v('expectedRevenue', plan.expectedRevenue, '$'), v('powerMw', asset.powerMw, 'MW'), v('energyMwh', asset.energyMwh, 'MWh'),
    v('chargedMwh', plan.chargedMwh, 'MWh'), v('dischargedMwh', plan.dischargedMwh, 'MWh'), v('cycles', plan.cycles, 'cycles'),
    ...(plan.revenueAtP10 !== null ? [v('revenueAtP10', plan.revenueAtP10, '$')] : []), ...(plan.revenueAtP90 !== null ? [v('revenueAtP90', plan.revenueAtP90, '$')] : []),
    // A figure derived: the duration used (the one asked, else the configured battery's) and, when the configured
    // battery's duration or power was used, that battery's size (the answer names them).
    ...(derived ? [v('durationHours', intent.battery?.durationHours ?? configured.energyMwh / configured.powerMw, 'hours')] : []),
    ...(derived && (intent.battery?.durationHours === undefined || (intent.battery.powerMw === undefined && intent.battery.energyMwh === undefined)) ? [v('basisPowerMw', configured.powerMw, 'MW'), v('basisEnergyMwh', configured.energyMwh, 'MWh')] : []),
    ...plan.intervals.filter((i) => i.chargeMw > 1e-6 || i.dischargeMw > 1e-6).map((i) => v(i.chargeMw > 1e-6 ? 'chargeMw' : 'dischargeMw', Math.max(i.chargeMw, i.dischargeMw), 'MW', Date.parse(i.start))),
  ];
  const yours = (...notes: string[]) => (notes.some(Boolean) ? ` (${notes.filter(Boolean).join('; ')})` : '');
  return [{
    id: `dispatch:${asset.id}:${plan.day}:${f.modelVersion}`,
    text: `${intent.battery ? `Your battery${yours(derived, intent.series.some((x) => x !== SYSTEM_SERIES_ID) ? '' : `at ${asset.settlementPoint}, the first configured battery's settlement point: name a hub or load zone to choose another`)}` : `Battery ${asset.id}`}, ${describePeriod(period, clock)}: ${past ? `the plan made for ${d} before it began, on the newest ${sp} forecast issued by ${clock.label(issuedBy)} (issued ${clock.label(curve.issuedAt)}); plans look forward, so this is what was planned, not what the battery did${replay}. ` : ''}${inWindow}${engine.plan.describePlan(plan, asset)}`,
    numbers: { expectedRevenue: plan.expectedRevenue },
    values,
    // The plan read this forecast of this settlement point, for this day: the answer's sources are these, no others.
    basis: { series: sp, from: clock.midnightUtc(d), to: clock.midnightUtc(addCentralDays(d, 1)), documents: [{ id: documentId('forecast-snapshot', market, sp, 'RT_PRICE', f.targetStart), names: `by model ${f.modelVersion}, issued ${clock.label(f.issuedAt)},` }] },
  }];
}
