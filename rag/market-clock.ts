// The market clock: "now" is the end of the latest stored interval of a market (rag/tools.ts marketState reads it
// from market_data), never the wall clock, so the simulator, a replay and live ERCOT are equally valid times.
// Relative periods in a question resolve against it on the market's own clock (market/zone-clock.ts marketClock): US
// Central prevailing time for ERCOT and any market not listed there (America/Chicago, the tz database's offsets
// through market/central-time.ts), UK time for GB (Europe/London). "Local" below means that clock's wall time and
// calendar; the examples are ERCOT's. (addCentralDays is plain calendar arithmetic on a date, the same on any clock.)
// Pure: no I/O, no Date.now().
//
// Periods, for a market clock N (the end of the latest stored interval) whose local date is D:
//   now / right now / currently / latest   the latest stored interval: [N - 15 min, N)
//   this hour                                the clock hour holding the latest stored interval: [floor_h(N - 1 ms), +1 h)
//   today / so far today                     D 00:00 to D+1 00:00 (data ends at N)
//   this morning / afternoon / evening       D 06:00-12:00 / 12:00-18:00 / 18:00-24:00
//   tonight                                  D 18:00 to D+1 06:00
//   yesterday                                D-1 00:00 to D 00:00 (yesterday morning/afternoon/evening: its 06-12/12-18/18-24)
//   last night / overnight                   D-1 18:00 to D 06:00
//   the last / past N hours (N in 1..168)    [N - n h, N)
//   the last / past N days (1..92), past week, last 24 hours   the same local wall time n days before N, to N
//   last week                                the previous Monday-Sunday local week
//   this week                                this week's Monday 00:00 to N
//   last month / this month                  the previous calendar month / this month's 1st 00:00 to N
//   tomorrow                                 D+1 00:00 to D+2 00:00 (tomorrow morning/afternoon/evening: its 06-12/
//                                            12-18/18-24; tomorrow night: D+1 18:00 to D+2 06:00; rule 'tomorrow')
//   the day after tomorrow / before yesterday  D+2 / D-2 (rule 'date')
//   in N days, N days from now (1..92)       the local day D+N (rule 'date', so a clock time narrows it)
//   in N hours, N hours from now (1..168)    the clock hour holding N + n h (rule 'clock-time')
//   this / next / last weekend, the weekend  Saturday 00:00 to Monday 00:00 of this week / next week / last week ("the
//                                            weekend": this week's, last week's in the past tense before it begins)
//   a future phrase none of these resolves ("the week after next", "in 3 weeks"): unknown, never another period
//   next week / next month                   the next Monday-Sunday local week / the next calendar month (after the
//                                            clock, so a data question about it is a forecast question)
//   in / during / for / of YYYY, year YYYY   that local calendar year (1900-2199), Jan 1 00:00 to Jan 1 00:00
//   next hour / next N hours / next 24 hours [N, N + n h); "the next hours" (no number) names no period
//   YYYY-MM-DD, "August 6, 2024", "Aug 6"    that local day (the year of D when none is written)
//   a weekday (rule 'date', that local day):  "next Tuesday" the Tuesday of next week (as "next week": the coming
//                                            Monday-Sunday week); "this Tuesday" the Tuesday of this week; "last
//                                            Tuesday" the latest Tuesday before D; "Tuesday" / "on Tuesday" the next
//                                            one from D (D itself when D is one), or the latest one begun by N when
//                                            the question is in the past tense (was, were, did, had)
//   a clock time on a day ("6pm tomorrow", "tomorrow at 18:00", "hour ending 18 today", "HE7 on 2024-08-06"):
//     a whole hour ("6pm", "18:00") is the clock hour [18:00, 19:00); a time within the hour ("6:30pm") is the
//     15-minute interval holding it [18:30, 18:45); hour ending N (ERCOT's HE, 1..24) is [N-1:00, N:00). The day is
//     the one the question names (today, yesterday, tomorrow, a date), or D when it names none. A time in the
//     spring-forward gap ("2:30am" on 2024-03-10) starts at the first instant after it, and its label says so.
//   a time range on a day ("between 17:00 and 20:00 on 2024-06-10", "from 5pm to 8pm today", "17:00-20:00"): the
//     whole range [17:00, 20:00) on the local wall clock (start floored, end raised to the 15-minute grid); one that
//     ends at or before its start ends on the next day ("from 22:00 to 02:00").
// Days are the market's local days (ERCOT's Central operating days): 23 hours on the spring-forward Sunday, 25 on the
// fall-back Sunday.
import { DAY_MS, HOUR_MS, MINUTE_MS, addCentralDays, formatCivil, formatWallClock, parseErcotDate } from '../market/central-time.js';
import { CENTRAL_CLOCK, type ZoneClock, unambiguousLabel } from '../market/zone-clock.js';

/** A resolved period: [from, to) in UTC epoch ms, with the name the question used. */
export interface Period {
  from: number;
  to: number;
  /** What the question called it ("yesterday", "the last 24 hours", "2024-08-06"). */
  label: string;
  /** Which rule resolved it (see the table at the top of this file); 'date' for a written date. */
  rule: PeriodRule;
  /**
   * A clock time written with no day ("at 9am"): true, and the day is the market clock's (label "today ..."). Absent
   * otherwise. rag/dispatch-answer.ts askedDay reads a passed bare time in a question not in the past tense as its next
   * occurrence, tomorrow.
   */
  bareTime?: true;
}

export type PeriodRule =
  | 'now' | 'this-hour' | 'today' | 'this-morning' | 'this-afternoon' | 'this-evening' | 'tonight' | 'yesterday' | 'last-night'
  | 'last-hours' | 'last-days' | 'last-week' | 'this-week' | 'last-month' | 'this-month' | 'tomorrow' | 'next-hours' | 'date'
  | 'clock-time' | 'next-week' | 'next-month' | 'year' | 'weekend';

/** A relative-period phrase the clock does not know ("last fortnight"), so the answer can say so. */
export interface UnknownPeriod {
  unknown: string;
}

export const KNOWN_PERIODS = [
  'now', 'this hour', 'today', 'this morning', 'this afternoon', 'this evening', 'tonight', 'yesterday', 'last night',
  'the last N hours', 'the last N days', 'the past week', 'last week', 'this week', 'last month', 'this month',
  'tomorrow', 'tomorrow morning / afternoon / evening / night', 'the day after tomorrow', 'in N days', 'in N hours',
  'this weekend', 'next weekend', 'last weekend', 'next hour', 'the next N hours', 'next week', 'next month', 'a year written alone (in YYYY)', 'a written date (YYYY-MM-DD, or a month and day)',
  'a weekday (Tuesday, next Tuesday, last Tuesday)',
  'a clock time on a day, or an hour ending, on a day named above',
] as const;

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_RE = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';

/** UTC ms of a wall time on `clock`; a time in the spring-forward gap reads as the first instant after it (03:00 CDT). */
function wallUtc(clock: ZoneClock, date: string, minuteOfDay: number): number {
  return clock.wallToUtc(date, minuteOfDay);
}

/** Minutes past local midnight of an instant on `clock` (wall clock; 01:30 on the fall-back day reads as 90 either time). */
function minuteOfDay(clock: ZoneClock, utcMs: number): number {
  const local = clock.wallMs(utcMs);
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
}

function day(clock: ZoneClock, date: string, label: string, rule: PeriodRule, days = 1): Period {
  return { from: clock.midnightUtc(date), to: clock.midnightUtc(addCentralDays(date, days)), label, rule };
}

/**
 * How an answer states a period on its market's clock (default US Central): "yesterday (2024-08-06 00:00 CT to
 * 2024-08-07 00:00 CT)"; on GB's, "yesterday (2000-06-05 00:00 UK to 2000-06-06 00:00 UK)". A time the clock shows
 * twice (the repeated fall-back hour) names its zone (market/zone-clock.ts unambiguousLabel): at 2024-11-03 00:30 CDT
 * "in 1 hour (2024-11-03 01:00 CDT to 2024-11-03 01:00 CST)", not "01:00 CT to 01:00 CT" (reviewer, 2026-12-02).
 */
export function describePeriod(p: Pick<Period, 'from' | 'to' | 'label'>, clock: ZoneClock = CENTRAL_CLOCK): string {
  return `${p.label} (${unambiguousLabel(clock, p.from)} to ${unambiguousLabel(clock, p.to)})`;
}

/**
 * The period a question names, resolved against the market clock `now` (UTC epoch ms, the end of the latest stored
 * interval); null when it names none; {unknown} for a relative phrase this clock does not resolve ("last fortnight",
 * "the last 500 days"), so the answer can list the known ones (KNOWN_PERIODS). Rules: the table at the top of this file.
 */
export function resolvePeriod(question: string, now: number, clock: ZoneClock = CENTRAL_CLOCK): Period | UnknownPeriod | null {
  const p = resolveSpan(question, now, clock);
  const time = clockTimeIn(question.toLowerCase());
  if (time === null || (p !== null && 'unknown' in p)) return p;
  if ('unknown' in time) return time;
  // A clock time narrows a day; on a span that is not one day ("the last 24 hours at 6pm") it is left out.
  if (p !== null && !DAY_RULES.has(p.rule)) return p;
  const date = clock.dateOf(p === null ? now : p.from);
  const dayLabel = p === null ? 'today' : p.label;
  const from = wallUtc(clock, date, time.minuteOfDay);
  if (time.endMinute !== undefined) {
    // A range ends at its end time's wall clock on the same day, or the next day when it ends at or before its start
    // ("from 22:00 to 02:00"); on a clock-change day the span is 1 h shorter or longer than the written one.
    const next = addCentralDays(date, 1);
    const end = time.endMinute >= 1440 ? clock.midnightUtc(next) : time.endMinute > time.minuteOfDay ? wallUtc(clock, date, time.endMinute) : wallUtc(clock, next, time.endMinute);
    return { from, to: end, label: `${dayLabel} ${time.label}`, rule: 'clock-time', ...(p === null ? { bareTime: true as const } : {}) };
  }
  // A time in the spring-forward gap (02:30 on 2024-03-10 in Central) starts after it (03:00 CDT): the label names the
  // span the period really has, and says the written time does not exist that day.
  const shifted = minuteOfDay(clock, from) !== time.minuteOfDay;
  const label = shifted
    ? `${dayLabel} ${clock.clockText(from)}-${clock.clockText(from + time.lengthMs)} (${time.label} is skipped by the clock change that day)`
    : `${dayLabel} ${time.label}`;
  return { from, to: from + time.lengthMs, label, rule: 'clock-time', ...(p === null ? { bareTime: true as const } : {}) };
}

const DAY_RULES: ReadonlySet<PeriodRule> = new Set(['today', 'yesterday', 'tomorrow', 'date']);

/** A clock time or range of a question: from minuteOfDay (local wall clock), lengthMs long or to endMinute. */
export interface ClockTime {
  minuteOfDay: number;
  lengthMs: number;
  label: string;
  /** A range's end, minutes past local midnight (exclusive; 1440 = midnight); at or before minuteOfDay: the next day. */
  endMinute?: number;
}

/** One end of a written range: "17:00", "5pm", "5:30 p.m.", "noon", "midnight", or a bare hour "5" (takes the other end's am/pm). */
const RANGE_TIME = '(\\d{1,2}(?::\\d{2})?(?:\\s*[ap]\\.?\\s?m\\b\\.?)?|noon|midnight)';

/**
 * A time range written in a question: "between 17:00 and 20:00", "from 5pm to 8pm", "17:00-20:00", "5-8pm",
 * "from 17:00 until 20:00". The range is [start, end) on the local wall clock: "between 17:00 and 20:00" is three
 * hours (the 17:00, 18:00 and 19:00 hours), not the 17:00 hour alone; start floored and end raised to the 15-minute
 * interval grid. Null when none is written; {unknown} for an impossible end ("25:00", "13pm") or an empty range.
 * A bare hour ("5") counts only beside an end that has minutes or am/pm ("between 5 and 8" names no time).
 */
function clockRangeIn(q: string): ClockTime | UnknownPeriod | null {
  const m =
    new RegExp(`\\b(?:between|from)\\s+${RANGE_TIME}\\s*(?:and|to|until|till|through|-|–)\\s*${RANGE_TIME}`).exec(q) ??
    new RegExp(`(?:^|[^\\d:-])${RANGE_TIME}\\s*(?:-|–|to|until|till)\\s*${RANGE_TIME}(?![\\d:])`).exec(q);
  if (!m) return null;
  const ends = [m[1]!, m[2]!].map((t) => /^(\d{1,2})(?::(\d{2}))?\s*(?:([ap])\.?\s?m\b\.?)?$/.exec(t) ?? t);
  const written = (e: RegExpExecArray | string) => typeof e === 'string' || e[2] !== undefined || e[3] !== undefined;
  if (!written(ends[0]!) && !written(ends[1]!)) return null;
  const minutes: number[] = [];
  for (const [i, e] of ends.entries()) {
    if (typeof e === 'string') {
      minutes.push(e === 'noon' ? 720 : i === 0 ? 0 : 1440);
      continue;
    }
    const h = Number(e[1]);
    const min = e[2] === undefined ? 0 : Number(e[2]);
    // A bare start hour takes the end's am/pm ("5-8pm" is 17:00-20:00).
    const other = ends[1 - i]!;
    const ap = e[3] ?? (i === 0 && e[2] === undefined && typeof other !== 'string' ? other[3] : undefined);
    if (ap !== undefined) {
      if (!(h >= 1 && h <= 12 && min <= 59)) return { unknown: m[0].trim() };
      minutes.push(((h % 12) + (ap === 'p' ? 12 : 0)) * 60 + min);
    } else {
      if (!((h <= 23 || (h === 24 && min === 0 && i === 1)) && min <= 59)) return { unknown: m[0].trim() };
      minutes.push(h * 60 + min);
    }
  }
  const start = minutes[0]! - (minutes[0]! % 15);
  let end = Math.ceil(minutes[1]! / 15) * 15;
  if (end === 0) end = 1440;
  if (end === start) return { unknown: m[0].trim() };
  const text = (x: number) => formatWallClock(x).replace(/^24:/, '00:');
  const spanMin = end > start ? end - start : end + 1440 - start;
  return { minuteOfDay: start, lengthMs: spanMin * MINUTE_MS, endMinute: end, label: `${text(start)}-${text(end)}` };
}

/**
 * A clock time written in a question, in the market's wall time: "6pm" / "6 p.m." / "noon" (the clock hour), "6:30pm" /
 * "18:30" (the 15-minute interval holding it), "18:00" (the clock hour), "hour ending 18" / "HE18" (ERCOT's hour
 * ending: 17:00-18:00). Null when none is written; {unknown} for an impossible one ("25:00", "13pm", "hour ending 0").
 */
export function clockTimeIn(q: string): ClockTime | UnknownPeriod | null {
  const range = clockRangeIn(q);
  if (range !== null) return range;
  const he = /\b(?:hour[- ]ending|he)\s*(\d{1,2})\b/.exec(q);
  if (he) {
    const n = Number(he[1]);
    if (!(n >= 1 && n <= 24)) return { unknown: he[0] };
    return { minuteOfDay: (n - 1) * 60, lengthMs: HOUR_MS, label: `hour ending ${n}` };
  }
  const twelve = /\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?/.exec(q) ?? (/\bnoon\b/.test(q) ? ['noon', '12', undefined, 'p'] : null);
  if (twelve) {
    const h = Number(twelve[1]);
    const m = twelve[2] === undefined ? 0 : Number(twelve[2]);
    if (!(h >= 1 && h <= 12 && m <= 59)) return { unknown: twelve[0]! };
    return clockAt(((h % 12) + (twelve[3] === 'p' ? 12 : 0)) * 60 + m, twelve[2] !== undefined);
  }
  const iso = /(?:^|[^\d:-])([01]?\d|2[0-9]):(\d{2})(?![\d:])/.exec(q);
  if (iso) {
    const h = Number(iso[1]);
    const m = Number(iso[2]);
    if (!(h <= 23 && m <= 59)) return { unknown: `${iso[1]}:${iso[2]}` };
    return clockAt(h * 60 + m, true);
  }
  return null;
}

/** A whole hour is that clock hour; any other minute is the 15-minute interval holding it. */
function clockAt(minute: number, minutesWritten: boolean): ClockTime {
  if (minute % 60 === 0 || !minutesWritten) return { minuteOfDay: minute, lengthMs: HOUR_MS, label: `${formatWallClock(minute)}-${formatWallClock(minute + 60).replace(/^24:/, '00:')}` };
  const start = minute - (minute % 15);
  return { minuteOfDay: start, lengthMs: 15 * MINUTE_MS, label: `${formatWallClock(start)}-${formatWallClock(start + 15).replace(/^24:/, '00:')}` };
}

/** The period a question names, before a clock time narrows it (resolvePeriod). */
function resolveSpan(question: string, now: number, clock: ZoneClock): Period | UnknownPeriod | null {
  const q = question.toLowerCase();
  const today = clock.dateOf(now);
  const iso = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(q);
  if (iso) {
    const date = `${iso[1]}-${iso[2]}-${iso[3]}`;
    try {
      parseErcotDate(date);
    } catch {
      return { unknown: date };
    }
    return day(clock, date, date, 'date');
  }
  const named = new RegExp(`\\b${MONTH_RE}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4}))?`, 'i').exec(q);
  if (named) {
    const month = MONTHS.findIndex((m) => m.startsWith(named[1]!.slice(0, 3))) + 1;
    const year = named[3] ?? today.slice(0, 4);
    const date = formatCivil({ year: Number(year), month, day: Number(named[2]) });
    try {
      parseErcotDate(date);
    } catch {
      return { unknown: named[0] };
    }
    return day(clock, date, named[3] ? date : `${date}`, 'date');
  }
  // A year written alone ("in 1999", "during 2024", "year 2023"), not a quantity ("in 2024 MW").
  const year = /\b(?:in|during|for|of|year)\s+(19\d{2}|2[01]\d{2})\b(?!\s*(?:mw|gw|\$|%|[-/]\d))/.exec(q);
  if (year) {
    const y = year[1]!;
    return { from: clock.midnightUtc(`${y}-01-01`), to: clock.midnightUtc(`${Number(y) + 1}-01-01`), label: y, rule: 'year' };
  }
  const yesterday = addCentralDays(today, -1);
  const tomorrow = addCentralDays(today, 1);
  const hourFloor = Math.floor((now - 1) / HOUR_MS) * HOUR_MS;
  const n = (s: string | undefined) => (s === undefined || s === '' ? 1 : /^\d+$/.test(s) ? Number(s) : WORD_NUMBERS[s] ?? NaN);
  const num = '(\\d{1,4}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty-four|forty-eight)';
  const lastHours = new RegExp(`\\b(?:last|past|previous|prior)\\s+(?:${num}\\s+)?hours?\\b`).exec(q);
  if (lastHours) {
    const h = n(lastHours[1]);
    if (!(h >= 1 && h <= 168)) return { unknown: lastHours[0] };
    return { from: now - h * HOUR_MS, to: now, label: h === 1 ? 'the last hour' : `the last ${h} hours`, rule: 'last-hours' };
  }
  const nextHours = new RegExp(`\\b(?:next|coming|following)\\s+(?:${num}\\s+)?hours?\\b`).exec(q);
  // "the next hours" with no number names no span: the whole forecast.
  if (nextHours && !(nextHours[1] === undefined && /hours\b/.test(nextHours[0]))) {
    const h = n(nextHours[1]);
    if (!(h >= 1 && h <= 168)) return { unknown: nextHours[0] };
    return { from: now, to: now + h * HOUR_MS, label: h === 1 ? 'the next hour' : `the next ${h} hours`, rule: 'next-hours' };
  }
  const lastDays = new RegExp(`\\b(?:last|past|previous|prior)\\s+${num}\\s+days?\\b|\\b(?:past|previous|prior)\\s+(week|day)\\b`).exec(q);
  if (lastDays) {
    const d = lastDays[2] === 'week' ? 7 : lastDays[2] === 'day' ? 1 : n(lastDays[1]);
    if (!(d >= 1 && d <= 92)) return { unknown: lastDays[0] };
    return { from: wallUtc(clock, addCentralDays(today, -d), minuteOfDay(clock, now)), to: now, label: d === 7 && lastDays[2] === 'week' ? 'the past week' : d === 1 ? 'the last day' : `the last ${d} days`, rule: 'last-days' };
  }
  const nextDays = new RegExp(`\\bnext\\s+${num}\\s+days?\\b`).exec(q);
  if (nextDays) {
    const d = n(nextDays[1]);
    if (!(d >= 1 && d <= 7)) return { unknown: nextDays[0] };
    return { from: now, to: wallUtc(clock, addCentralDays(today, d), minuteOfDay(clock, now)), label: `the next ${d} days`, rule: 'next-hours' };
  }
  const partOfYesterday = /\byesterday\s+(morning|afternoon|evening)\b/.exec(q);
  if (partOfYesterday) {
    const [a, b] = partOfYesterday[1] === 'morning' ? [6, 12] : partOfYesterday[1] === 'afternoon' ? [12, 18] : [18, 24];
    return { from: wallUtc(clock, yesterday, a * 60), to: b === 24 ? clock.midnightUtc(today) : wallUtc(clock, yesterday, b * 60), label: `yesterday ${partOfYesterday[1]}`, rule: 'yesterday' };
  }
  if (/\blast night\b|\bovernight\b/.test(q)) return { from: wallUtc(clock, yesterday, 18 * 60), to: wallUtc(clock, today, 6 * 60), label: 'last night', rule: 'last-night' };
  // Fresh-tester finding (2026-12-02): "the day after tomorrow", "this weekend", "in 2 days", "in 3 days" were answered
  // as tomorrow or as no period (the whole forecast). They resolve here; a future phrase not resolved is {unknown}, never
  // read as another period (UNRESOLVED_AHEAD).
  const unresolved = UNRESOLVED_AHEAD.exec(q);
  if (unresolved) return { unknown: unresolved[0] };
  if (/\b(?:the\s+)?day\s+after\s+tomorrow\b/.test(q)) return day(clock, addCentralDays(today, 2), 'the day after tomorrow', 'date');
  if (/\b(?:the\s+)?day\s+before\s+yesterday\b/.test(q)) return day(clock, addCentralDays(today, -2), 'the day before yesterday', 'date');
  const inDays = new RegExp(`\\bin\\s+${num}\\s+days?\\b|\\b${num}\\s+days?\\s+from\\s+now\\b`).exec(q);
  if (inDays) {
    const d = n(inDays[1] ?? inDays[2]);
    if (!(d >= 1 && d <= 92)) return { unknown: inDays[0] };
    return day(clock, addCentralDays(today, d), `in ${d} day${d === 1 ? '' : 's'}`, 'date');
  }
  // "in N hours" after charge/discharge/empty/fill ("discharge in 4 hours", "fill it fully in 2 hours") is how long a
  // battery takes, not a period, and so is any "in N hours" when the question sizes an "N-hour battery" (reviewer,
  // 2026-12-02: "How much can a 10 MW / 40 MWh battery at HB_NORTH discharge in 4 hours?" was planned for 17:00-18:00
  // only). "within N hours" never matches (no word boundary before its "in").
  const inHours = new RegExp(`\\bin\\s+${num}\\s+hours?\\b|\\b${num}\\s+hours?\\s+from\\s+now\\b`).exec(q);
  const asDuration = inHours !== null && (BATTERY_DURATION.test(q) || (inHours[1] !== undefined && BATTERY_ACTION_BEFORE.test(q.slice(0, inHours.index))));
  if (inHours && !asDuration) {
    const h = n(inHours[1] ?? inHours[2]);
    if (!(h >= 1 && h <= 168)) return { unknown: inHours[0] };
    // The clock hour holding the instant h hours after the clock (at 14:00 sharp, "in 3 hours" is 17:00-18:00).
    const from = Math.floor((now + h * HOUR_MS) / HOUR_MS) * HOUR_MS;
    return { from, to: from + HOUR_MS, label: `in ${h} hour${h === 1 ? '' : 's'}`, rule: 'clock-time' };
  }
  // With a determiner only: "weekend prices" or "on weekends" is a habit, not a period; with one, "next weekend prices"
  // and "last weekend prices" are periods (reviewer, 2026-12-02: a lookahead on "prices" made them period null).
  const weekend = /\b(?:(this|next|last|coming|past)\s+(?:coming\s+)?|the\s+)weekend\b/.exec(q);
  if (weekend) {
    // Saturday 00:00 to Monday 00:00 (local): "this weekend" the one of this Monday-Sunday week, "next weekend" the one
    // of next week, "last weekend" the one before this week; "the weekend" this week's, or last week's when the
    // question is in the past tense and this one has not begun.
    const monday = addCentralDays(today, -((parseDow(today) + 6) % 7));
    const which = weekend[1] === 'coming' ? 'this' : weekend[1] === 'past' ? 'last' : weekend[1];
    const thisSat = addCentralDays(monday, 5);
    const pastTense = /\b(?:was|were|did|had)\b/.test(q) && clock.midnightUtc(thisSat) >= now;
    const sat = which === 'next' ? addCentralDays(monday, 12) : which === 'last' || (which === undefined && pastTense) ? addCentralDays(monday, -2) : thisSat;
    const label = which === 'next' ? 'next weekend' : which === 'last' || (which === undefined && pastTense) ? 'last weekend' : 'this weekend';
    return day(clock, sat, label, 'weekend', 2);
  }
  if (/\byesterday\b/.test(q)) return day(clock, yesterday, 'yesterday', 'yesterday');
  const partOfTomorrow = /\btomorrow\s+(morning|afternoon|evening|night)\b|\b(morning|afternoon|evening|night)\s+tomorrow\b/.exec(q);
  if (partOfTomorrow) {
    // Parts of tomorrow as those of today: 06-12, 12-18, 18-24, and the night 18:00 to 06:00 of the day after.
    const part = (partOfTomorrow[1] ?? partOfTomorrow[2])!;
    const [a, b] = part === 'morning' ? [6, 12] : part === 'afternoon' ? [12, 18] : part === 'evening' ? [18, 24] : [18, 30];
    const at = (h: number) => (h >= 24 ? wallUtc(clock, addCentralDays(tomorrow, 1), (h - 24) * 60) : wallUtc(clock, tomorrow, h * 60));
    return { from: at(a), to: at(b), label: `tomorrow ${part}`, rule: 'tomorrow' };
  }
  if (/\btomorrow\b/.test(q)) return day(clock, tomorrow, 'tomorrow', 'tomorrow');
  if (/\btonight\b/.test(q)) return { from: wallUtc(clock, today, 18 * 60), to: wallUtc(clock, tomorrow, 6 * 60), label: 'tonight', rule: 'tonight' };
  if (/\bthis morning\b/.test(q)) return { from: wallUtc(clock, today, 6 * 60), to: wallUtc(clock, today, 12 * 60), label: 'this morning', rule: 'this-morning' };
  if (/\bthis afternoon\b/.test(q)) return { from: wallUtc(clock, today, 12 * 60), to: wallUtc(clock, today, 18 * 60), label: 'this afternoon', rule: 'this-afternoon' };
  if (/\bthis evening\b/.test(q)) return { from: wallUtc(clock, today, 18 * 60), to: clock.midnightUtc(tomorrow), label: 'this evening', rule: 'this-evening' };
  if (/\btoday\b/.test(q)) return day(clock, today, 'today', 'today');
  // A weekday (fresh-tester finding: "at 3pm next Tuesday" was read as today 15:00): that local day, rule 'date'.
  const wd = new RegExp(`\\b(?:(next|last|this|on)\\s+)?(${WEEKDAYS.join('|')})\\b`).exec(q);
  if (wd) {
    const target = WEEKDAYS.indexOf(wd[2]!);
    const dow = parseDow(today);
    const monday = addCentralDays(today, -((dow + 6) % 7));
    const date = wd[1] === 'next' ? addCentralDays(monday, 7 + ((target + 6) % 7))
      : wd[1] === 'this' ? addCentralDays(monday, (target + 6) % 7)
        : wd[1] === 'last' ? addCentralDays(today, -((dow - target + 7) % 7 || 7))
          : /\b(?:was|were|did|had)\b/.test(q) ? addCentralDays(today, -((dow - target + 7) % 7 || (clock.midnightUtc(today) >= now ? 7 : 0))) : addCentralDays(today, (target - dow + 7) % 7);
    const name = `${wd[2]![0]!.toUpperCase()}${wd[2]!.slice(1)}`;
    return day(clock, date, wd[1] && wd[1] !== 'on' ? `${wd[1]} ${name}` : name, 'date');
  }
  if (/\bthis hour\b|\bcurrent hour\b/.test(q)) return { from: hourFloor, to: hourFloor + HOUR_MS, label: 'this hour', rule: 'this-hour' };
  if (/\blast week\b/.test(q)) {
    const monday = addCentralDays(today, -((parseDow(today) + 6) % 7));
    return { from: clock.midnightUtc(addCentralDays(monday, -7)), to: clock.midnightUtc(monday), label: 'last week', rule: 'last-week' };
  }
  if (/\bnext week\b/.test(q)) {
    const monday = addCentralDays(today, 7 - ((parseDow(today) + 6) % 7));
    return { from: clock.midnightUtc(monday), to: clock.midnightUtc(addCentralDays(monday, 7)), label: 'next week', rule: 'next-week' };
  }
  if (/\bnext month\b/.test(q)) {
    const first = `${today.slice(0, 8)}01`;
    const next = `${addCentralDays(first, 32).slice(0, 8)}01`;
    return { from: clock.midnightUtc(next), to: clock.midnightUtc(`${addCentralDays(next, 32).slice(0, 8)}01`), label: 'next month', rule: 'next-month' };
  }
  if (/\bthis week\b/.test(q)) {
    const monday = addCentralDays(today, -((parseDow(today) + 6) % 7));
    return { from: clock.midnightUtc(monday), to: now, label: 'this week', rule: 'this-week' };
  }
  if (/\blast month\b/.test(q)) {
    const first = `${today.slice(0, 8)}01`;
    const prev = addCentralDays(first, -1);
    return { from: clock.midnightUtc(`${prev.slice(0, 8)}01`), to: clock.midnightUtc(first), label: 'last month', rule: 'last-month' };
  }
  if (/\bthis month\b/.test(q)) return { from: clock.midnightUtc(`${today.slice(0, 8)}01`), to: now, label: 'this month', rule: 'this-month' };
  if (/\bright now\b|\bcurrently\b|\bcurrent (?:price|value|load|wind|solar)\b|\bnow\b|\blatest\b|\bat the moment\b/.test(q)) return { from: now - 15 * MINUTE_MS, to: now, label: 'now', rule: 'now' };
  // A relative phrase none of the rules above resolved.
  const odd = /\b(?:last|past|next|this|previous)\s+(fortnight|decade|year|quarter|season|century|(?:\d+\s+)?(?:weeks|months|years|minutes?|seconds?))\b/.exec(q);
  if (odd) return { unknown: odd[0] };
  return null;
}

/**
 * Future (and past) phrases no rule above resolves, refused as {unknown} before any rule reads a word of them as
 * another period ("the week after next" is not next week, "in 3 weeks" not the whole forecast): "the day/week/weekend/
 * month after next", "in N weeks/months/years/minutes", "N weeks/months from now" ("last fortnight" is the catch-all below).
 */
const UNRESOLVED_AHEAD = /\b(?:the\s+)?(?:day|week|weekend|month|year)\s+after\s+(?:next|that)\b|\bin\s+(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple\s+of|a\s+few|several)\s+(?:weeks?|months?|years?|minutes?|fortnights?)\b|\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:weeks?|months?|years?)\s+from\s+now\b|\bin\s+(?:a\s+couple\s+of|a\s+few|several)\s+(?:days?|hours?)\b/;

/** A battery sized by its duration: "a 4-hour battery", "4 hour BESS", "2h storage" (lower-case text). */
const BATTERY_DURATION = /\b(?:\d+(?:\.\d+)?|one|two|three|four|five|six|eight|ten|twelve)[- ]?(?:hours?|hrs?|h)\s+(?:battery|batteries|bess|storage)\b/;

/** Text ending in a battery action, before "in N hours": "discharge", "charge it fully", "empty the battery", "filled". */
const BATTERY_ACTION_BEFORE = /\b(?:(?:dis)?charg(?:e|es|ed|ing)|empt(?:y|ies|ied|ying)|fill(?:s|ed|ing)?)(?:\s+(?:it|itself|fully|completely|entirely|all|the\s+battery|its\s+energy|up))*\s+$/;

/** Weekday names, lower-case, index = day of the week (0 = Sunday, as parseDow). */
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Day of the week of a date, 0 = Sunday. */
function parseDow(date: string): number {
  const d = parseErcotDate(date);
  return new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
}

const WORD_NUMBERS: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12, 'twenty-four': 24, 'forty-eight': 48,
};

export const isUnknownPeriod = (p: Period | UnknownPeriod | null): p is UnknownPeriod => p !== null && 'unknown' in p;
