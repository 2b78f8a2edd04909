// The dispatch measure of the responder (issue 14): "When should the West battery charge tomorrow?" -> a battery from
// config/assets.json (the one at a settlement point the question names, else the first) -> the newest price
// forecast of its settlement point issued at or before the market clock -> the dispatch engine's day-ahead plan
// (dispatch/day-ahead.ts planDayAhead, HiGHS; the same plan GET /dispatch shows) for tomorrow, or today when the
// question names today or a part of it ("this evening", "tonight", "at 6pm": then what the plan does in that part
// first, askedDay) -> a fact with the charge and discharge hours and the expected revenue, and its basis (the
// settlement point, the day and the forecast-snapshot document of the forecast read: the answer's sources). When
// the engine, the asset file or a forecast is missing, the fact says the schedule cannot be made yet, and why. A
// period already over is read from the stored schedules (reports/schedules.ts), never planned afresh. The asset
// measure ("How does bess-north work?") is assetFact: the battery's configuration and how it is scheduled.
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { type PeriodRule, describePeriod } from './market-clock.js';
import { BATTERY_SIZE_LIMITS, type BatterySize, type Intent, figure } from './intent.js';
import { DAY_MS, addCentralDays, ercotHourLabel } from '../market/central-time.js';
import { formatDollars, hourEndingRanges } from '../market/format.js';
import { CENTRAL_CLOCK, marketClock } from '../market/zone-clock.js';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import { storedForecast } from '../reports/forecasts.js';
import { chooseStoredRun, storedSchedules } from '../reports/schedules.js';
import { documentId } from '../processors/summarizer/documents.js';
import type { FactValue, MeasureFact } from './tools.js';
import type { BatteryAsset } from '../dispatch/asset.js';
import { adHocBasis } from '../dispatch/assets-config.js';

const log = logger('rag-dispatch');
const HOUR_MS = 3_600_000;

/**
 * The configured battery a dispatch question is about: one it names ("bess-west") first, then one at a settlement
 * point it names ("my battery at HB_HOUSTON" -> bess-houston), else the first configured one. {missing} with the names
 * when the question names batteries none of `assets` (non-empty) is. Pure.
 */
export function chooseAsset<A extends { id: string; settlementPoint: string }>(assets: readonly A[], intent: Pick<Intent, 'series' | 'assetNames'>): { asset: A } | { missing: string[] } {
  const named = intent.assetNames ?? [];
  const byName = assets.find((a) => named.includes(a.id.toLowerCase()));
  if (named.length > 0 && !byName) return { missing: named };
  // Unnamed: the rule GET /dispatch's ad-hoc battery takes its settings by (dispatch/assets-config.ts adHocBasis).
  return { asset: byName ?? adHocBasis(assets, intent.series).asset };
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
 * named. Forward-looking rules are read first, so a span that names the present is never a past one (reviewer finding:
 * "right now" is [clock - 15 min, clock), which at a clock of exactly 00:00 CT lies in yesterday and was read as
 * yesterday's plan):
 * - no period or "tomorrow" -> tomorrow; "today" -> today (in the past tense, its part before the clock, below);
 * - "now" -> the hour holding the market clock's next interval and the one after (the current and next hour of the
 *   plan); "this hour" -> that hour; "the next N hours" -> today with that span;
 * - "this morning / afternoon / evening", "tonight" -> today with that span (06-12, 12-18, 18-24, 18-06 of the next
 *   day) on the day of `now`;
 * - "this week", "this month" (their data period ends at the clock, but the span is not over): asked in the past
 *   tense (`intent.pastTense`: "what did bess-north do this week?") -> {elapsed} from its start to the clock, else the
 *   rest of it -> today with the span [now, end of the week or month) (the plan covers today of it, and says so);
 * - a written date or a clock time on it -> today or tomorrow when it is one of them (with the clock time's span);
 * - "today", a part of today or a date / clock time today is first checked as below, as any period is: over by `now`
 *   ("at 9am today" or "this morning" at 12:00 CT) -> {elapsed} with that span; begun and not over and asked in the
 *   past tense ("what did bess-north do today?") -> {elapsed} [start, now); only else today's plan (reviewer finding:
 *   these returned {day: today} first, and a question about the morning got "I cannot schedule a battery for today
 *   09:00-10:00 yet" though its schedules were stored); except a bare clock time (no day written, Period.bareTime)
 *   over by `now` in a question not in the past tense ("What will bess-north do at 9am?" at 12:00) -> tomorrow with
 *   that time's span (its next occurrence), the label saying today's is over;
 * Only rules that name a past span are past, and a period is classed by where it starts as well as where it ends:
 * - over before today began and inside one Central day ("yesterday", "yesterday evening", a past date) -> {past}
 *   with that day (and the part asked when not the whole day), answered from the stored schedules;
 * - any other day -> {other} (plans are made for today and tomorrow only; dispatchFact reads one already over, "last
 *   week", from the stored schedules);
 * - over by `now` but not one of these ("the last 3 hours", "last night" after 06:00) -> {elapsed} with that span;
 * - begun before `now` and not over ("last night" at 02:00 CT): the past part [start, now) -> {elapsed} when the
 *   question is in the past tense or the rule names a past span (last night, the last N hours/days); otherwise the
 *   rest of it [now, end) -> today or tomorrow (the day holding `now`) with that span.
 * - a span reaching past tomorrow ("next week", "next month") -> {other} (no plan covers it).
 * Other periods keep the old reading, tomorrow. Pure.
 */
export function askedDay(intent: Pick<Intent, 'period' | 'pastTense'>, now: number): { day: 'today' | 'tomorrow'; window?: { from: number; to: number; label: string } } | { other: { from: number; to: number; label: string } } | { past: { date: string; from: number; to: number; label: string; window?: { from: number; to: number; label: string } } } | { elapsed: { from: number; to: number; label: string } } {
  const clock = CENTRAL_CLOCK;
  const p = intent.period;
  if (!p) return { day: 'tomorrow' };
  const today = clock.dateOf(now);
  // "tomorrow", or a part of it ("tomorrow morning", "tomorrow night": narrowed like "this evening", fresh-tester finding
  // 2026-12-02, they got the whole of tomorrow): tomorrow's plan, with that span.
  if (p.rule === 'tomorrow') {
    const whole = p.from === clock.midnightUtc(clock.dateOf(p.from)) && p.to === clock.midnightUtc(addCentralDays(clock.dateOf(p.from), 1));
    return whole ? { day: 'tomorrow' } : { day: 'tomorrow', window: { from: p.from, to: p.to, label: p.label } };
  }
  // A span of today [from, to) (UTC ms): over by the clock -> what the battery did in it; begun and asked in the past
  // tense -> what it did up to the clock; else `ahead`, today's plan. Both read the stored schedules (dispatchFact).
  const sinceStart = <T>(from: number, to: number, label: string, ahead: T): T | { elapsed: { from: number; to: number; label: string } } => {
    if (to <= now) return { elapsed: { from, to, label } };
    if (from < now && intent.pastTense) return { elapsed: { from, to: now, label: `${label} up to the market clock` } };
    return ahead;
  };
  if (p.rule === 'today') return sinceStart(p.from, p.to, p.label, { day: 'today' as const });
  const dayOf = (t: number): 'today' | 'tomorrow' => (clock.dateOf(t) === today ? 'today' : 'tomorrow');
  // "now" and "this hour" are the hour the battery acts in: the one holding the market clock's next interval (its
  // start is `now`), and for "now" the hour after it too (the current and next hour of the plan); the data measures'
  // "now" (the latest stored interval, already over) would ask the plan for a time before it starts.
  if (p.rule === 'now' || p.rule === 'this-hour') {
    const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
    const to = hour + (p.rule === 'now' ? 2 : 1) * HOUR_MS;
    return { day: dayOf(hour), window: { from: hour, to, label: p.rule === 'now' ? 'now' : 'this hour' } };
  }
  if (p.rule === 'next-hours') return { day: 'today', window: { from: p.from, to: p.to, label: p.label } };
  const part = PARTS_OF_TODAY[p.rule];
  if (part) {
    const at = (h: number) => (h >= 24 ? clock.wallToUtc(addCentralDays(today, 1), (h - 24) * 60) : clock.wallToUtc(today, h * 60));
    const window = { from: at(part[0]), to: at(part[1]), label: p.label };
    return sinceStart(window.from, window.to, p.label, { day: 'today' as const, window });
  }
  // "this week" / "this month": the data period ends at the clock, the span itself at the end of the week / month.
  if (p.rule === 'this-week' || p.rule === 'this-month') {
    if (intent.pastTense) return { elapsed: { from: p.from, to: now, label: `${p.label} so far` } };
    const start = clock.dateOf(p.from);
    const end = p.rule === 'this-week' ? addCentralDays(start, 7) : `${addCentralDays(start, 32).slice(0, 8)}01`;
    return { day: 'today', window: { from: now, to: clock.midnightUtc(end), label: `the rest of ${p.label}` } };
  }
  if (p.rule === 'date' || p.rule === 'clock-time') {
    const date = clock.dateOf(p.from);
    const day = date === today ? 'today' : date === addCentralDays(today, 1) ? 'tomorrow' : undefined;
    // A bare clock time ("at 9am", no day written) already over, in a question not in the past tense ("What will
    // bess-north do at 9am?" at 12:00): its next occurrence, tomorrow, and the label says so (reviewer MEDIUM: it was
    // read as what the battery did at 09:00 today).
    if (day === 'today' && p.bareTime && !intent.pastTense && p.to <= now) {
      // The same wall-clock time a day later (a clock-change day between keeps the wall time, not 24 h).
      const shift = (t: number) => clock.wallToUtc(addCentralDays(clock.dateOf(t), 1), Math.floor((((clock.wallMs(t) % DAY_MS) + DAY_MS) % DAY_MS) / 60_000));
      const time = p.label.replace(/^today\s+/, '');
      return { day: 'tomorrow', window: { from: shift(p.from), to: shift(p.to), label: `tomorrow ${time} (the next ${time}: today's was over by the market clock, ${clock.label(now)})` } };
    }
    if (day === 'today') return sinceStart(p.from, p.to, p.label, p.rule === 'clock-time' ? { day, window: { from: p.from, to: p.to, label: p.label } } : { day });
    if (day) return p.rule === 'clock-time' ? { day, window: { from: p.from, to: p.to, label: p.label } } : { day };
  }
  // A period over before today began, inside one Central day ("yesterday", "yesterday evening", "on 2024-06-10"):
  // that day, with the part asked when it is not the whole day. Periods over several past days stay {other}.
  if (p.to <= clock.midnightUtc(today)) {
    const date = clock.dateOf(p.from);
    if (clock.dateOf(p.to - 1) !== date) return { other: { from: p.from, to: p.to, label: p.label } };
    const from = clock.midnightUtc(date);
    const to = clock.midnightUtc(addCentralDays(date, 1));
    return { past: { date, from, to, label: p.label, ...(p.from === from && p.to === to ? {} : { window: { from: p.from, to: p.to, label: p.label } }) } };
  }
  if (p.rule === 'date' || p.rule === 'clock-time') return { other: { from: p.from, to: p.to, label: p.label } };
  // A period already over (to <= now) is never tomorrow's plan: a past question answered with tomorrow would mislead.
  if (p.to <= now) return { elapsed: { from: p.from, to: p.to, label: p.label } };
  // Begun and not over ("last night" at 02:00 CT): the part before the clock when the question asks about the past or
  // the rule names a past span, else the rest of it.
  if (p.from < now) {
    if (intent.pastTense || PAST_RULES.has(p.rule)) return { elapsed: { from: p.from, to: now, label: `${p.label} up to the market clock` } };
    return { day: dayOf(now), window: { from: now, to: p.to, label: `the rest of ${p.label}` } };
  }
  // A span reaching past tomorrow ("next week", "next month", "next Tuesday" a week on): no plan covers it (plans are
  // for today or tomorrow, on forecasts of 36 hours), so it is said, never answered with tomorrow's plan (fresh-tester
  // finding: "What should bess-north do next week?" got tomorrow's plan).
  if (p.to > clock.midnightUtc(addCentralDays(today, 2))) return { other: { from: p.from, to: p.to, label: p.label } };
  return { day: 'tomorrow' };
}

/**
 * The span a dispatch answer on US Central answers, UTC ms [from, to) and its label: what dispatchFact names ("now" is
 * the current and next hour of the plan, 13:00-15:00 CT at a clock of 13:00, not the latest stored interval
 * 12:45-13:00 the data measures read; no period is tomorrow; "tonight" its window). The responder's `period` field
 * states it, so field and text agree (fresh-tester LOW, 2026-12-02). Pure; rules: askedDay.
 */
export function dispatchPeriod(intent: Pick<Intent, 'period' | 'pastTense'>, now: number): { from: number; to: number; label: string } {
  const clock = CENTRAL_CLOCK;
  const asked = askedDay(intent, now);
  if ('other' in asked) return asked.other;
  if ('elapsed' in asked) return asked.elapsed;
  if ('past' in asked) return asked.past.window ?? { from: asked.past.from, to: asked.past.to, label: asked.past.label };
  const d = asked.day === 'today' ? clock.dateOf(now) : addCentralDays(clock.dateOf(now), 1);
  return asked.window ?? { from: clock.midnightUtc(d), to: clock.midnightUtc(addCentralDays(d, 1)), label: asked.day };
}

/** Rules whose span names the past ("last night", "the last 3 hours", "the past week"): never planned forward. */
const PAST_RULES: ReadonlySet<PeriodRule> = new Set(['yesterday', 'last-night', 'last-hours', 'last-days', 'last-week', 'last-month']);

/**
 * The schedule fact for a dispatch question, or a fact saying why there is none. Day-ahead plans are for ERCOT
 * batteries on the US Central operating day (dispatch/day-ahead.ts planDayAhead, describePlan), so the period is on
 * CENTRAL_CLOCK; a market on another clock (GB, on UK time: market/zone-clock.ts marketClock) gets a fact saying no
 * battery is planned there, read from nothing (its days and the plan's would name different days). The day planned is
 * the day the header names: the newest forecast issued by `now` plans it as its first interval's own Central day or
 * the one after; a forecast starting on an earlier day plans nothing (a fact says so). A period already over (askedDay
 * {past}: "yesterday", "yesterday evening", a past date; {elapsed}: "last night", "the last 3 hours") is never planned
 * afresh: it is answered from the dispatcher's stored schedules (pastFact: the live pipeline's, else a backtest run's),
 * or says none is stored, naming the `sda backtest` command that settles that span. The backtest names a configured
 * battery by --asset, a battery the question describes by --power MW --energy MWh --series SP.
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
  // A period over by now that is not one past day ("last night", "the last 3 hours"): read from stored schedules too.
  // Several past days ("last week", "from June 1 to June 3"), over by now, are read from the stored schedules the same way.
  const elapsed = 'elapsed' in asked ? asked.elapsed : 'other' in asked && asked.other.to <= now ? asked.other : undefined;
  const period = dispatchPeriod(intent, now);
  const issuedBy = now;
  // The backtest that settles a past span (UTC minutes) for a battery: a configured one by --asset, one the question
  // describes by its size and settlement point (--power MW --energy MWh --series SP; sda backtest's ad-hoc battery).
  // An ad-hoc battery carries the configured battery's other settings into the command (adhocBacktestFlags), so the
  // backtest runs the battery planned, and the answer names whose settings they are.
  const backtest = (b: BatteryAsset, from = clock.midnightUtc(d), to = clock.midnightUtc(addCentralDays(d, 1))) => {
    const utc = (t: number) => `${new Date(t).toISOString().slice(0, 16)}Z`;
    return `sda backtest --from ${utc(from)} --to ${utc(to)} ${intent.battery ? `${adhocBacktestFlags(b)} (a battery with ${inheritedSettings(configured)})` : `--asset ${b.id}`}`;
  };
  const cannot = (why: string): MeasureFact => ({ id: 'dispatch:unavailable', text: past || elapsed ? `I cannot show a battery plan for ${describePeriod(period, clock)}: ${why}.` : `I cannot schedule a battery for ${describePeriod(period, clock)} yet: ${why}.`, numbers: {}, values: [] });
  if ('other' in asked && !elapsed) {
    // A future span: where the newest price forecast of the settlement point named ends (forecasts run 36 hours).
    const sp = intent.series.find((s) => s !== SYSTEM_SERIES_ID);
    const f = sp && asked.other.to > now ? await storedForecast(pool, market, sp, 'RT_PRICE', { issuedBy: now }) : null;
    const reach = f ? `; the newest ${sp} price forecast (issued ${clock.label(f.issuedAt)}) ends ${clock.label(f.targetStart + f.values.length * f.stepMs)}, so ${asked.other.label} is not forecast` : '';
    return [{
      id: 'dispatch:unavailable',
      text: `I cannot schedule a battery for ${describePeriod(asked.other, clock)}: battery plans are made for today or tomorrow (US Central operating days, from the market clock ${clock.label(now)})${reach}.`,
      numbers: {}, values: [],
    }];
  }
  // A battery size written but not usable ("-10 MW", "a 10 battery", "500 GWh"): said, naming the figure, read from nothing.
  if (intent.batteryProblem) return [{ id: 'dispatch:unavailable', text: `I cannot plan that battery: ${intent.batteryProblem}.`, numbers: {}, values: [] }];
  let engine: { assets: typeof import('../dispatch/assets-config.js'); plan: typeof import('../dispatch/day-ahead.js'); optimiser: typeof import('../dispatch/optimiser.js'); asset: typeof import('../dispatch/asset.js'); dayPlan: typeof import('../reports/day-plan.js') };
  try {
    engine = { assets: await import('../dispatch/assets-config.js'), plan: await import('../dispatch/day-ahead.js'), optimiser: await import('../dispatch/optimiser.js'), asset: await import('../dispatch/asset.js'), dayPlan: await import('../reports/day-plan.js') };
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
      // One builder for /query and GET /dispatch (adHocBattery): the configured battery's operating settings.
      asset = engine.assets.adHocBattery(configured, { id: `adhoc-${size.powerMw}mw-${size.energyMwh}mwh-${sp}`.slice(0, 64), settlementPoint: sp, powerMw: size.powerMw, energyMwh: size.energyMwh });
    } catch (err) {
      return [cannot(`that battery is not valid: ${(err as Error).message.slice(0, 200)}`)];
    }
  }
  // A period already over: what the battery was scheduled to do, from the stored schedules (never a fresh plan).
  if (past || elapsed) return [await pastFact(pool, market, intent.battery ? null : asset, period, backtest(asset, period.from, period.to))];
  const f = await storedForecast(pool, market, asset.settlementPoint, 'RT_PRICE', { issuedBy });
  if (!f) return [cannot(`there is no price forecast for ${asset.settlementPoint} issued by ${clock.label(issuedBy)}`)];
  const curve = {
    modelVersion: f.modelVersion, issuedAt: f.issuedAt, inputEnd: f.inputEnd, targetStart: f.targetStart, stepMs: f.stepMs,
    values: f.values.map(Number), p10: f.p10?.map(Number) ?? null, p90: f.p90?.map(Number) ?? null,
  };
  // planDayAhead counts its day from the forecast's first interval, the header from the market clock: plan the day
  // asked (d) as that interval's own day or the one after; a forecast starting earlier (stale) plans no other day.
  const planDay = (['today', 'tomorrow'] as const).find((k) => engine.plan.daySpan(curve, k).target === d);
  if (!planDay) return [cannot(`the newest ${asset.settlementPoint} forecast issued by ${clock.label(issuedBy)} starts ${clock.label(curve.targetStart)}, so it plans no battery for ${d}`)];
  // From the battery's real state at the plan's first interval, by the live dispatcher's schedules stored by the
  // market clock (reports/day-plan.ts: the same plan GET /dispatch returns). A battery described by size follows no
  // schedule: its configured initial state of charge, and no stored schedule is read (adHoc, as GET /dispatch's
  // series=/power=/energy=; reviewer, 2026-12-02: one of asset id 'adhoc-10mw-20mwh-HB_NORTH' was read).
  const solver = await engine.optimiser.loadSolver();
  const planOpts = { asOf: now, market, adHoc: intent.battery !== undefined };
  const plan = await engine.dayPlan.planDay(pool, solver, asset, curve, planDay, planOpts);
  if (!plan) return [cannot(`the newest ${asset.settlementPoint} forecast (issued ${clock.label(curve.issuedAt)}) does not cover that day`)];
  // A part of the day asked ("this evening", "tonight", "at 6pm"): the day's plan says what to do in it, or the
  // answer says the newest forecast does not reach it. A part running past the day's end ("tonight", 18:00 to 06:00)
  // continues on the next day's plan on the same forecast (the plan GET /dispatch gives for that day), as far as the
  // forecast reaches, and the answer says where it stops (fresh-tester LOW, 2026-12-02: "tonight" asked at 13:00 CT was
  // planned only to 00:00 though the forecast reached 01:00).
  let inWindow = '';
  const windowValues: FactValue[] = [];
  if (window) {
    const planFrom = Date.parse(plan.intervals[0]!.start);
    const planTo = Date.parse(plan.intervals.at(-1)!.end);
    const forecastEnd = curve.targetStart + curve.values.length * curve.stepMs;
    // The next day's plan starts where today's plan ends (its last interval's state of charge, MWh, within the
    // battery's bounds against rounding; no cycle energy used on the new Central day), not from the stored schedule
    // or the initial SoC setting (reviewer HIGH, 2026-12-02: today ended at the 20 MWh minimum, tomorrow restarted at
    // 100 MWh and discharged ~80 MWh in HE 1-2 with no charge between).
    const endSoc = Math.min(asset.maxSoc * asset.energyMwh, Math.max(asset.minSoc * asset.energyMwh, plan.intervals.at(-1)!.socMwh));
    const next = planDay === 'today' && window.to > planTo && forecastEnd > planTo
      ? engine.plan.planDayAhead(solver, asset, curve, 'tomorrow', { socMwh: endSoc, cycleEnergyUsedMwh: 0, source: `${plan.day}'s plan at ${clock.label(planTo)}` })
      : null;
    const ivs = [...plan.intervals, ...(next?.intervals ?? [])].filter((iv) => Date.parse(iv.start) >= window.from && Date.parse(iv.start) < window.to);
    if (ivs.length === 0) return [cannot(`the newest ${asset.settlementPoint} forecast (issued ${clock.label(curve.issuedAt)}) plans ${plan.day} from ${clock.label(planFrom)} to ${clock.label(planTo)}, which does not cover ${window.label}`)];
    // Hours ending on the plan's day as before ("HE 22-23"); a window over two days gives each its date ("HE 24 on
    // 2024-08-08, HE 1 on 2024-08-09").
    const twoDays = ivs.some((iv) => ercotHourLabel(Date.parse(iv.start)).date !== plan.day);
    const he = (k: 'chargeMw' | 'dischargeMw') => {
      const byDay = new Map<string, number[]>();
      for (const iv of ivs.filter((x) => x[k] > 1e-6)) {
        const d = ercotHourLabel(Date.parse(iv.start)).date;
        byDay.set(d, [...(byDay.get(d) ?? []), iv.hourEnding]);
      }
      if (byDay.size === 0) return 'none';
      if (!twoDays) return hourEndingRanges(byDay.get(plan.day)!);
      return [...byDay].map(([d, hours]) => `${hourEndingRanges(hours)} on ${d}`).join(', ');
    };
    const from = Date.parse(ivs[0]!.start);
    const to = Date.parse(ivs.at(-1)!.end);
    const joined = next && to > planTo ? `: ${plan.day}'s plan to ${clock.label(planTo)}, then ${next.day}'s plan on the same forecast` : '';
    const stops = to < window.to && to >= forecastEnd ? `; the newest forecast ends ${clock.label(forecastEnd)}` : '';
    const partial = from > window.from || to < window.to || joined ? ` (the plan covers ${clock.label(from)} to ${clock.label(to)} of it${joined}${stops})` : '';
    inWindow = `${window.label}${partial}: discharge ${he('dischargeMw')}, charge ${he('chargeMw')}. The day's plan: `;
    // The next day's hours in the window are facts too (the answer names them).
    for (const iv of next?.intervals ?? []) {
      if (Date.parse(iv.start) < window.to && (iv.chargeMw > 1e-6 || iv.dischargeMw > 1e-6)) windowValues.push({ series: asset.settlementPoint, kind: 'DISPATCH', measure: iv.chargeMw > 1e-6 ? 'chargeMw' : 'dischargeMw', value: Math.max(iv.chargeMw, iv.dischargeMw), unit: 'MW', at: Date.parse(iv.start) });
    }
  }
  const sp = asset.settlementPoint;
  const v = (measure: string, value: number, unit: string, at?: number): FactValue => ({ series: sp, kind: 'DISPATCH', measure, value, unit, ...(at !== undefined ? { at } : {}) });
  const values: FactValue[] = [
    v('expectedRevenue', plan.expectedRevenue, '$'), v('powerMw', asset.powerMw, 'MW'), v('energyMwh', asset.energyMwh, 'MWh'),
    v('chargedMwh', plan.chargedMwh, 'MWh'), v('dischargedMwh', plan.dischargedMwh, 'MWh'), v('cycles', plan.cycles, 'cycles'), v('initialSocMwh', plan.initialSocMwh, 'MWh', Date.parse(plan.intervals[0]!.start)),
    ...(plan.revenueAtP10 !== null ? [v('revenueAtP10', plan.revenueAtP10, '$')] : []), ...(plan.revenueAtP90 !== null ? [v('revenueAtP90', plan.revenueAtP90, '$')] : []),
    // A figure derived: the duration used (the one asked, else the configured battery's) and, when the configured
    // battery's duration or power was used, that battery's size (the answer names them).
    ...(derived ? [v('durationHours', intent.battery?.durationHours ?? configured.energyMwh / configured.powerMw, 'hours')] : []),
    ...(derived && (intent.battery?.durationHours === undefined || (intent.battery.powerMw === undefined && intent.battery.energyMwh === undefined)) ? [v('basisPowerMw', configured.powerMw, 'MW'), v('basisEnergyMwh', configured.energyMwh, 'MWh')] : []),
    ...plan.intervals.filter((i) => i.chargeMw > 1e-6 || i.dischargeMw > 1e-6).map((i) => v(i.chargeMw > 1e-6 ? 'chargeMw' : 'dischargeMw', Math.max(i.chargeMw, i.dischargeMw), 'MW', Date.parse(i.start))),
    ...windowValues,
  ];
  // A battery described by size plans with the configured battery's other settings: the figures the answer names.
  if (intent.battery) values.push(...inheritedValues(configured).map((x) => v(x.measure, x.value, x.unit)));
  // A plan that neither charges nor discharges says why (dispatch/day-ahead.ts noTradeReason): its figures are facts too.
  const idle = engine.plan.noTradeReason(plan, asset);
  if (idle) {
    if (!intent.battery) values.push(v('roundTripEfficiency', Number((asset.roundTripEfficiency * 100).toFixed(2)), '%'), v('degradationCostPerMwh', asset.degradationCostPerMwh, '$/MWh'));
    if (idle.buy !== undefined) values.push(v('buyPrice', idle.buy, '$/MWh', Date.parse(idle.buyAt!)), v('sellPrice', idle.sell!, '$/MWh', Date.parse(idle.sellAt!)), v('breakEvenPrice', idle.breakEven!, '$/MWh'));
    if (idle.cycleEnergyUsedMwh !== undefined) values.push(v('cycleEnergyUsedMwh', idle.cycleEnergyUsedMwh, 'MWh'), v('cycleEnergyLimitMwh', idle.cycleEnergyLimitMwh!, 'MWh'), v('dailyCycleLimit', asset.dailyCycleLimit!, 'cycles'));
  }
  const yours = (...notes: string[]) => (notes.some(Boolean) ? ` (${notes.filter(Boolean).join('; ')})` : '');
  // A question in both tenses (Intent.pastAlso: "will ... charge today and has it been profitable?") is answered with
  // the plan; the past part is said to be unanswered here, with the question that answers it.
  // No battery, size nor settlement point named ("What should the battery do tomorrow?") with several configured: the
  // first configured battery is planned (chooseAsset), and the answer says so and names the others.
  const firstOf = !intent.battery && (intent.assetNames ?? []).length === 0 && !intent.series.some((x) => x !== SYSTEM_SERIES_ID) && assets.length > 1
    ? ` This is ${asset.id}, the first configured battery (config/assets.json: ${assets.map((a) => a.id).join(', ')}): name another to plan it.`
    : '';
  const pastPart = intent.pastAlso ? ` This is the plan; the question's past part is not answered here: ask it on its own in the past tense ("What did ${intent.battery ? 'the battery' : asset.id} do ${period.label.startsWith('tomorrow') ? 'today' : 'so far today'}?") for what it was scheduled to do, from the stored schedules.` : '';
  return [{
    id: `dispatch:${asset.id}:${plan.day}:${f.modelVersion}`,
    text: `${intent.battery ? `Your battery${yours(derived, `with ${inheritedSettings(configured)}`, intent.series.some((x) => x !== SYSTEM_SERIES_ID) ? '' : `at ${asset.settlementPoint}, the first configured battery's settlement point: name a hub or load zone to choose another`)}` : `Battery ${asset.id}`}, ${describePeriod(period, clock)}: ${inWindow}${engine.plan.describePlan(plan, asset)}${firstOf}${pastPart}`,
    numbers: { expectedRevenue: plan.expectedRevenue },
    values,
    // The plan read this forecast of this settlement point, for this day: the answer's sources are these, no others.
    basis: { series: sp, from: clock.midnightUtc(d), to: clock.midnightUtc(addCentralDays(d, 1)), documents: [{ id: documentId('forecast-snapshot', market, sp, 'RT_PRICE', f.targetStart), names: `by model ${f.modelVersion}, issued ${clock.label(f.issuedAt)},` }] },
  }];
}

/**
 * The `sda backtest` flags of a battery described by size (cli/backtest.ts backtestAssets: --power --energy --series and
 * the ad-hoc settings, adhocSettings), every setting written so the backtest builds the battery /query planned (a
 * configured battery's round-trip efficiency, SoC limits, starting SoC, cycles a day and degradation cost, not the
 * defaults): "--power 10 --energy 40 --series HB_WEST --round-trip-efficiency 0.87 --min-soc 0.1 --max-soc 0.9
 * --initial-soc 0.5 --cycles-per-day 1.5 --degradation-cost 4". Pure.
 */
export function adhocBacktestFlags(b: BatteryAsset): string {
  return `--power ${b.powerMw} --energy ${b.energyMwh} --series ${b.settlementPoint} --round-trip-efficiency ${b.roundTripEfficiency} --min-soc ${b.minSoc} --max-soc ${b.maxSoc} --initial-soc ${b.initialSoc} --cycles-per-day ${b.dailyCycleLimit ?? 'none'} --degradation-cost ${b.degradationCostPerMwh}`;
}

/** The settings a battery described by size takes from `a` (the configured battery chosen), as the answer names them. */
function inheritedSettings(a: BatteryAsset): string {
  const cycles = a.dailyCycleLimit === null ? 'no daily cycle limit' : `at most ${figure(a.dailyCycleLimit)} cycle${a.dailyCycleLimit === 1 ? '' : 's'} a day`;
  return `${a.id}'s other settings: round-trip efficiency ${pct(a.roundTripEfficiency)}, state of charge ${pct(a.minSoc)} to ${pct(a.maxSoc)}, starting at ${pct(a.initialSoc)}, ${cycles}, degradation cost $${figure(a.degradationCostPerMwh)}/MWh`;
}

/** inheritedSettings' figures as fact values (measure, value, unit: percentages as written). */
function inheritedValues(a: BatteryAsset): Array<{ measure: string; value: number; unit: string }> {
  const p = (x: number) => Number((x * 100).toFixed(2));
  return [
    { measure: 'roundTripEfficiency', value: p(a.roundTripEfficiency), unit: '%' }, { measure: 'minSoc', value: p(a.minSoc), unit: '%' }, { measure: 'maxSoc', value: p(a.maxSoc), unit: '%' },
    { measure: 'initialSoc', value: p(a.initialSoc), unit: '%' }, { measure: 'degradationCostPerMwh', value: a.degradationCostPerMwh, unit: '$/MWh' },
    ...(a.dailyCycleLimit !== null ? [{ measure: 'dailyCycleLimit', value: a.dailyCycleLimit, unit: 'cycles' }] : []),
  ];
}

/** A fraction as a percentage the answers write: 0.85 -> "85%", 0.875 -> "87.5%" (at most 2 decimals). */
const pct = (x: number) => `${figure(Number((x * 100).toFixed(2)))}%`;

/**
 * What a configured battery is and how the dispatcher schedules it (the asset measure: "How does bess-north work?",
 * "What is bess-west's capacity?"), from config/assets.json (dispatch/asset.ts BatteryAsset) and the dispatch engine's
 * formulation (dispatch/README.md "Formulation"): power MW, energy MWh and the hours at full power, the settlement
 * point whose real-time price it settles on, round-trip efficiency (and each leg's, its square root), the state of
 * charge limits (fractions of the energy, and the MWh usable between them), the state of charge a plan starts from,
 * the daily cycle limit (equivalent full cycles per US Central day: usable MWh out of storage), the degradation cost
 * ($ per MWh discharged), how the dispatcher and the day-ahead plan schedule it, and the break-even rule that follows
 * from the LP: energy bought at price p is sold only above p / round-trip efficiency + degradation cost (1 MWh bought
 * returns RTE MWh, each paying the degradation cost). Reads no market data.
 * @param assets the configured batteries (loadAssets); `intent.assetNames` names which (chooseAsset)
 * @returns one fact (id `asset:<id>`) whose values carry every figure written, or a `dispatch:unavailable` fact naming
 *          the batteries configured when the question names none of them
 */
export function assetFact(assets: readonly BatteryAsset[], intent: Pick<Intent, 'series' | 'assetNames'>): MeasureFact {
  if (assets.length === 0) return { id: 'dispatch:unavailable', text: 'No battery is configured in config/assets.json, so there is none to describe.', numbers: {}, values: [] };
  const chosen = chooseAsset(assets, intent);
  if ('missing' in chosen) return { id: 'dispatch:unavailable', text: `No battery named ${chosen.missing.join(', ')} is configured (configured: ${assets.map((a) => a.id).join(', ')}).`, numbers: {}, values: [] };
  const a = chosen.asset;
  const hours = a.energyMwh / a.powerMw;
  const usable = (a.maxSoc - a.minSoc) * a.energyMwh;
  const leg = Math.sqrt(a.roundTripEfficiency);
  const sp = a.settlementPoint;
  const v = (measure: string, value: number, unit: string): FactValue => ({ series: sp, kind: 'ASSET', measure, value, unit });
  const round = (x: number, d = 2) => Number(x.toFixed(d));
  const values: FactValue[] = [
    v('powerMw', a.powerMw, 'MW'), v('energyMwh', a.energyMwh, 'MWh'), v('durationHours', round(hours), 'hours'),
    v('roundTripEfficiency', round(a.roundTripEfficiency * 100), '%'), v('legEfficiency', round(leg * 100, 1), '%'), v('chargedExampleMwh', 1, 'MWh'), v('lossPerMwh', round(a.roundTripEfficiency, 4), 'MWh'),
    v('minSoc', round(a.minSoc * 100), '%'), v('maxSoc', round(a.maxSoc * 100), '%'), v('minSocMwh', round(a.minSoc * a.energyMwh, 3), 'MWh'), v('maxSocMwh', round(a.maxSoc * a.energyMwh, 3), 'MWh'),
    v('usableEnergyMwh', round(usable, 3), 'MWh'), v('initialSoc', round(a.initialSoc * 100), '%'), v('initialSocMwh', round(a.initialSoc * a.energyMwh, 3), 'MWh'),
    v('degradationCostPerMwh', a.degradationCostPerMwh, '$/MWh'),
    ...(a.dailyCycleLimit !== null ? [v('dailyCycleLimit', a.dailyCycleLimit, 'cycles'), v('dailyDischargeMwh', round(a.dailyCycleLimit * usable, 3), 'MWh')] : []),
  ];
  const mwh = (x: number) => `${figure(round(x, 3))} MWh`;
  const cycles = a.dailyCycleLimit === null
    ? 'no daily cycle limit'
    : `at most ${figure(a.dailyCycleLimit)} full cycle${a.dailyCycleLimit === 1 ? '' : 's'} a day (${mwh(a.dailyCycleLimit * usable)} out of storage per US Central day)`;
  const text = [
    `Battery ${a.id} (config/assets.json): ${figure(a.powerMw)} MW / ${figure(a.energyMwh)} MWh, ${figure(round(hours))} hours at full power, settled at ${sp} (market ${a.market}) on its real-time price.`,
    `Round-trip efficiency ${pct(a.roundTripEfficiency)} (${pct(round(leg, 3))} each way): 1 MWh charged from the grid returns ${figure(round(a.roundTripEfficiency, 4))} MWh.`,
    `State of charge kept between ${pct(a.minSoc)} and ${pct(a.maxSoc)} of ${mwh(a.energyMwh)} (${mwh(a.minSoc * a.energyMwh)} to ${mwh(a.maxSoc * a.energyMwh)}: ${mwh(usable)} usable); a plan with no earlier schedule starts at ${pct(a.initialSoc)} (${mwh(a.initialSoc * a.energyMwh)}).`,
    `It runs ${cycles} and counts a degradation cost of $${figure(a.degradationCostPerMwh)}/MWh discharged.`,
    `How it is scheduled: the dispatcher (sda process dispatcher) reads each new price forecast of ${sp} and solves a linear program (HiGHS) for the MW to charge and discharge in each hour that earns the most at the forecast's P50 prices less the degradation cost, within these limits, starting from where the previous schedule left the battery; the battery follows the newest schedule until the next forecast. A day's plan (GET /dispatch, or asking what ${a.id} should do tomorrow) is the same program over that US Central day on the newest forecast.`,
    `So energy bought at a price p is sold only when the later price is above p / ${figure(round(a.roundTripEfficiency, 4))} + $${figure(a.degradationCostPerMwh)}/MWh (round-trip losses and degradation); a day whose forecast spread is smaller gets no charge or discharge.`,
  ].join(' ');
  return { id: `asset:${a.id}`, text, numbers: { powerMw: a.powerMw, energyMwh: a.energyMwh }, values };
}


/**
 * What a battery did in a period already over (askedDay {past} or {elapsed}): the dispatcher's stored schedules
 * (reports/schedules.ts: the live pipeline's, else a backtest run's), stitched as the battery follows them: the hours
 * ending it charged and discharged, MWh in and out, its state of charge at the end, and what that was worth at the
 * prices it was scheduled on; the hours no stored schedule covers are named. With none stored (or for a battery the
 * question describes by size, which the dispatcher never schedules) the fact says so and names `backtest`, a backtest
 * that re-plans the period hour by hour on the forecasts then issued and settles that on actual prices; for a backtest
 * run's schedules, the same command with --run, which settles that run's schedules. Never a fresh plan: plans look
 * forward.
 * @param asset  the configured battery, or null for a battery the question describes
 * @param period the span asked, UTC ms, and its label ("yesterday")
 * @returns a fact with id `dispatch-stored:<asset>:<run or live>:<from ISO>`, or `dispatch:unavailable`
 */
async function pastFact(pool: pg.Pool, market: string, asset: BatteryAsset | null, period: { from: number; to: number; label: string }, backtest: string): Promise<MeasureFact> {
  const clock = CENTRAL_CLOCK;
  const asked = describePeriod(period, clock);
  // What sda backtest does without --run: its forecast strategy re-plans hour by hour on the forecasts table (a rolling
  // horizon), not the stored schedules; with --run NAME it settles that run's dispatcher schedules (cli/backtest.ts,
  // processors/dispatcher/backtest-job.ts). No command settles the live dispatcher's stored schedules, so the
  // suggestion says what the command does (fresh-tester finding: "to settle them on actual prices, run ..." was wrong).
  const replan = `a backtest that re-plans the period hour by hour on the forecasts then issued and settles that on actual prices (not the stored schedules): run ${backtest}`;
  const none = (why: string): MeasureFact => ({ id: 'dispatch:unavailable', text: `No battery schedule is stored for ${asked}: ${why}; for what ${asset ? asset.id : 'your battery'} could have earned, ${replan}.`, numbers: {}, values: [] });
  if (!asset) return none('the dispatcher schedules only the configured batteries (config/assets.json), not one described by its size');
  const chosen = chooseStoredRun(await storedSchedules(pool, market, asset.id, period.from, period.to), period.from, period.to);
  if (!chosen) return none(`the dispatch table (dispatch_schedules) holds no schedule of ${asset.id} from the live pipeline or a backtest run covering it`);
  const ivs = chosen.intervals;
  const step = ivs.length > 1 ? ivs[1]!.start - ivs[0]!.start : chosen.followed[0]!.stepMs;
  const h = step / HOUR_MS;
  const he = (pick: (i: (typeof ivs)[number]) => boolean) => {
    const hours = ivs.filter(pick).map((i) => ercotHourLabel(i.start).hourEnding);
    return hours.length > 0 ? hourEndingRanges(hours) : 'none';
  };
  const round = (x: number, dp: number) => Number(x.toFixed(dp));
  const chargedMwh = round(ivs.reduce((a, i) => a + i.chargeMw * h, 0), 3);
  const dischargedMwh = round(ivs.reduce((a, i) => a + i.dischargeMw * h, 0), 3);
  const revenue = round(ivs.reduce((a, i) => a + (i.dischargeMw - i.chargeMw) * i.price * h, 0), 2);
  const socEnd = round(ivs.at(-1)!.socMwh, 3);
  const spanHours = round((period.to - period.from) / HOUR_MS, 2);
  const coveredHours = round((ivs.length * step) / HOUR_MS, 2);
  const issued = chosen.followed.map((s) => s.forecastIssuedAt).sort((a, b) => a - b);
  const models = [...new Set(chosen.followed.map((s) => s.modelVersion))];
  const n = chosen.followed.length;
  const source = chosen.run === ''
    ? `${n} stored schedule${n === 1 ? '' : 's'} of the live dispatcher`
    : `${n} stored schedule${n === 1 ? '' : 's'} of backtest run ${chosen.run} (sda backtest --run ${chosen.run}; the live dispatcher stored none for it)`;
  const forecasts = `on ${models.length === 1 ? `model ${models[0]}'s` : `models ${models.join(', ')}'`} forecasts issued ${issued.length === 1 || issued[0] === issued.at(-1) ? clock.label(issued[0]!) : `${clock.label(issued[0]!)} to ${clock.label(issued.at(-1)!)}`}`;
  const missing = coveredHours < spanHours ? ` The stored schedules cover ${figure(coveredHours)} of its ${figure(spanHours)} hours (${clock.label(ivs[0]!.start)} to ${clock.label(ivs.at(-1)!.start + step)}); no schedule applied in the rest.` : '';
  const sp = asset.settlementPoint;
  const v = (measure: string, value: number, unit: string): FactValue => ({ series: sp, kind: 'DISPATCH', measure, value, unit });
  const values: FactValue[] = [
    v('chargedMwh', chargedMwh, 'MWh'), v('dischargedMwh', dischargedMwh, 'MWh'), v('socEndMwh', socEnd, 'MWh'), v('scheduledRevenue', revenue, '$'), v('schedules', n, 'schedules'),
    v('coveredHours', coveredHours, 'hours'), v('spanHours', spanHours, 'hours'), v('powerMw', asset.powerMw, 'MW'), v('energyMwh', asset.energyMwh, 'MWh'),
    ...ivs.filter((i) => i.chargeMw > 1e-6 || i.dischargeMw > 1e-6).map((i) => ({ ...v(i.chargeMw > 1e-6 ? 'chargeMw' : 'dischargeMw', Math.max(i.chargeMw, i.dischargeMw), 'MW'), at: i.start })),
  ];
  return {
    id: `dispatch-stored:${asset.id}:${chosen.run || 'live'}:${new Date(period.from).toISOString()}`,
    text: `Battery ${asset.id} (${figure(asset.powerMw)} MW / ${figure(asset.energyMwh)} MWh at ${sp}), ${asked}, as it was scheduled: ${source}, ${forecasts}. Charge ${he((i) => i.chargeMw > 1e-6)}, discharge ${he((i) => i.dischargeMw > 1e-6)}; ${chargedMwh.toFixed(1)} MWh in, ${dischargedMwh.toFixed(1)} MWh out, ${socEnd.toFixed(1)} MWh stored at the end; ${formatDollars(revenue)} at the forecast prices it was scheduled on.${missing} These are the schedules it was given, not metered output; ${chosen.run === '' ? `no command settles the live dispatcher's stored schedules on actual prices; for comparison, ${replan}` : `to settle them on actual prices, run ${backtest.replace(/^sda backtest /, `sda backtest --run ${chosen.run} `)} --strategies forecast (its forecast strategy settles the run's dispatcher schedules)`}.`,
    numbers: { scheduledRevenue: revenue },
    values,
    basis: { series: sp, from: period.from, to: period.to, documents: [] },
  };
}
