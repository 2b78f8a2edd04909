// ERCOT's market clock: US/Central prevailing time (America/Chicago) with hour-ending labels and a DSTFlag, turned
// into exact UTC intervals.
//
// The offsets come from the tz database (Node's bundled ICU, through Intl.DateTimeFormat), not from a hand-written
// rule: once per year the two instants where America/Chicago's offset changes are found by bisection over that
// year's offsets (to the minute) and cached, so a lookup afterwards is two comparisons. What the tz database says for
// America/Chicago since 1987:
//   since 2007:  DST from the 2nd Sunday of March 02:00 CST (08:00 UTC) to the 1st Sunday of November 02:00 CDT
//                (07:00 UTC); CST = UTC-6, CDT = UTC-5.
//   1987-2006:   1st Sunday of April to the last Sunday of October, same clock times.
// A change of the rule arrives with a Node release's tz data, not with an edit here.
//
// ERCOT labels: an interval is named by its delivery date, its hour ending HE (1..24; HE 1 is 00:00-01:00, HE 24 is
// 23:00-24:00) and, for 15-minute data, its interval 1..4 in that hour. The local start is
//   date 00:00 + (HE-1) h + (interval-1) x 15 min
// and the end is the start plus the step (15 or 60 minutes of real time).
//
// Fall-back day (1st Sunday of November, 25 hours): local 01:00-02:00 happens twice. ERCOT repeats hour ending 02
// and tells the two apart with DSTFlag: DSTFlag "N"/false is the first occurrence (still CDT, 06:00-07:00 UTC),
// DSTFlag "Y"/true is the repeated, second occurrence (already CST, 07:00-08:00 UTC). Sources: ERCOT's EWS
// interface specification, Appendix H "DST XML Examples" (github.com/ercot/api-specs, ews/), which labels the extra
// hour "2*" and puts it after hour 2 at 01:00-02:00 -06:00; and gridstatus's ERCOT parser ("DST Flag is Y during
// the repeated hour"). DSTFlag "Y" on any other hour is an error. Within the repeated hour a DSTFlag is required.
//
// Spring-forward day (2nd Sunday of March, 23 hours): local 02:00-03:00 does not exist. ERCOT numbers the day's
// hours 1, 2, 4..24 (hour ending 03, 15-minute delivery hour 3, is omitted). A label that nevertheless falls in the
// gap names an hour that does not exist: centralToUtc throws CentralTimeError with reasonCode 'nonexistent-hour'
// and the row is dead-lettered. It is never moved onto another hour (an earlier version read it with the CDT offset,
// which gave it the same UTC interval as hour ending 02, so a bogus later row replaced the real price; field case
// 06 in test/fixtures/field-cases/). Whole-day numbering checks (a day numbered 1..25 or 1..23) live in
// dst-day.ts, because they need every row of the day.
import { SdaError } from '../platform/errors.js';

export const MINUTE_MS = 60_000;
export const QUARTER_MS = 15 * MINUTE_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** The tz database's name of ERCOT's time zone. */
export const CENTRAL_TIME_ZONE = 'America/Chicago';
const MIN_YEAR = 1987;
const MAX_YEAR = 2199;

export type CentralTimeField = 'date' | 'hour' | 'interval' | 'dstFlag';

/** A label that does not name a real interval; its `code` (kebab case) is the Rejection reason to use. Not retriable. */
export class CentralTimeError extends SdaError<'bad-timestamp' | 'bad-dst-flag' | 'nonexistent-hour'> {
  constructor(
    readonly field: CentralTimeField,
    readonly value: unknown,
    message: string,
    reasonCode: 'bad-timestamp' | 'bad-dst-flag' | 'nonexistent-hour' = field === 'dstFlag' ? 'bad-dst-flag' : 'bad-timestamp',
  ) {
    super(reasonCode, message);
  }

  /** The Rejection reason: the same as `code`. */
  get reasonCode(): 'bad-timestamp' | 'bad-dst-flag' | 'nonexistent-hour' {
    return this.code;
  }
}

/** A calendar date (no time zone); month 1-12. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

export type CentralDayKind = 'normal' | 'spring-forward' | 'fall-back';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** Parses "YYYY-MM-DD" (API) or "MM/DD/YYYY" (MIS CSV) and checks that the date exists. */
export function parseErcotDate(text: string): CivilDate {
  const s = typeof text === 'string' ? text.trim() : '';
  let year: number;
  let month: number;
  let day: number;
  let m = ISO_DATE.exec(s);
  if (m) {
    year = Number(m[1]);
    month = Number(m[2]);
    day = Number(m[3]);
  } else if ((m = US_DATE.exec(s))) {
    month = Number(m[1]);
    day = Number(m[2]);
    year = Number(m[3]);
  } else {
    throw new CentralTimeError('date', text, `date ${show(text)} is not YYYY-MM-DD or MM/DD/YYYY`);
  }
  if (year < MIN_YEAR || year > MAX_YEAR) throw new CentralTimeError('date', text, `date ${show(text)}: year outside ${MIN_YEAR}-${MAX_YEAR}`);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new CentralTimeError('date', text, `date ${show(text)} does not exist`);
  }
  return { year, month, day };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Days since 1970-01-01 of a calendar date. */
function dayNumber(d: CivilDate): number {
  return Date.UTC(d.year, d.month - 1, d.day) / DAY_MS;
}

/**
 * One year of Central time as the tz database gives it. The offset (local wall time minus UTC, in ms: -21_600_000 for
 * CST, -18_000_000 for CDT) is `offsets[0]` before `changes[0]`, `offsets[1]` from `changes[0]` to `changes[1]`,
 * and `offsets[2]` from `changes[1]` to the year's end. A half-year without a change has its "change" at the
 * half's end with the same offset on both sides.
 */
export interface CentralYear {
  year: number;
  /** UTC epoch ms of 1 January 00:00 UTC of this year and of the next: the instants this entry covers. */
  from: number;
  to: number;
  /** UTC epoch ms of the offset changes, the first in January-June, the second in July-December. */
  changes: readonly [number, number];
  offsets: readonly [number, number, number];
  /** Day number (days since 1970-01-01) of the local date on which clocks move forward; NaN when they do not. */
  springDay: number;
  /** Local wall minutes [from, to) of the spring day that no clock shows (02:00-03:00 in America/Chicago). */
  skipped: readonly [number, number];
  /** Day number of the local date on which clocks move back; NaN when they do not. */
  fallDay: number;
  /** Local wall minutes [from, to) of the fall day that happen twice (01:00-02:00 in America/Chicago). */
  repeated: readonly [number, number];
  /** Offsets before and after the fall change: the first and the second occurrence of a repeated wall time. */
  fallOffsets: readonly [number, number];
}

const tzFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The tz database's offset of an IANA zone at an instant (local minus UTC, ms, whole seconds). One Intl call.
 * @throws RangeError for an instant that is not finite or a zone Intl does not know
 */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  if (!Number.isFinite(utcMs)) throw new RangeError(`zoneOffsetMs: instant ${utcMs} is not a finite number of ms`);
  let format = tzFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    tzFormats.set(zone, format);
  }
  const f = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of format.formatToParts(utcMs)) if (p.type in f) f[p.type as keyof typeof f] = Number(p.value);
  const wall = new Date(0);
  wall.setUTCFullYear(f.year, f.month - 1, f.day); // not Date.UTC: it reads years 0-99 as 1900-1999
  wall.setUTCHours(f.hour, f.minute, f.second, 0);
  return wall.getTime() - Math.floor(utcMs / 1000) * 1000;
}

/** The tz database's offset of America/Chicago at an instant (local minus UTC, ms, whole seconds). */
const tzOffsetMs = (utcMs: number): number => zoneOffsetMs(CENTRAL_TIME_ZONE, utcMs);

/**
 * The first whole-minute instant in (lo, hi] whose offset differs from the offset at `lo`, found by bisection; `hi`
 * when the offset at `hi` is the same (no change, given at most one change in the range, as every US rule has per
 * half-year). lo and hi are whole minutes.
 */
function firstChange(lo: number, hi: number): number {
  const before = tzOffsetMs(lo);
  if (tzOffsetMs(hi) === before) return hi;
  let a = lo / MINUTE_MS;
  let b = hi / MINUTE_MS;
  while (b - a > 1) {
    const m = Math.floor((a + b) / 2);
    if (tzOffsetMs(m * MINUTE_MS) === before) a = m;
    else b = m;
  }
  return b * MINUTE_MS;
}

const years = new Map<number, CentralYear>();

/**
 * Central time of a calendar year from the tz database: its offset changes found by bisection once, then cached.
 * @param year a whole year; Intl knows America/Chicago's history (the 1987-2006 and the 2007 rules) and its future
 *             as the bundled tz data has it
 * @throws RangeError for a year that is not an integer
 */
export function centralYear(year: number): CentralYear {
  let y = years.get(year);
  if (y) return y;
  if (!Number.isInteger(year)) throw new RangeError(`centralYear: year ${year} is not an integer`);
  const from = Date.UTC(year, 0, 1);
  const mid = Date.UTC(year, 6, 1);
  const to = Date.UTC(year + 1, 0, 1);
  const c0 = firstChange(from, mid);
  const c1 = firstChange(mid, to);
  const offsets = [tzOffsetMs(from), tzOffsetMs(c0), tzOffsetMs(c1)] as const;
  let springDay = Number.NaN;
  let skipped: readonly [number, number] = [0, 0];
  let fallDay = Number.NaN;
  let repeated: readonly [number, number] = [0, 0];
  let fallOffsets: readonly [number, number] = [offsets[1], offsets[2]];
  for (const [at, before, after] of [
    [c0, offsets[0], offsets[1]],
    [c1, offsets[1], offsets[2]],
  ] as const) {
    if (after > before) {
      // Forward: the wall times [at + before, at + after) never occur.
      springDay = Math.floor((at + before) / DAY_MS);
      skipped = [(at + before - springDay * DAY_MS) / MINUTE_MS, (at + after - springDay * DAY_MS) / MINUTE_MS];
    } else if (after < before) {
      // Back: the wall times [at + after, at + before) occur twice, first with `before`, then with `after`.
      fallDay = Math.floor((at + after) / DAY_MS);
      repeated = [(at + after - fallDay * DAY_MS) / MINUTE_MS, (at + before - fallDay * DAY_MS) / MINUTE_MS];
      fallOffsets = [before, after];
    }
  }
  y = { year, from, to, changes: [c0, c1], offsets, springDay, skipped, fallDay, repeated, fallOffsets };
  years.set(year, y);
  return y;
}

let lastYear: CentralYear | undefined;

/**
 * UTC offset of Central time at an instant, in ms: -21_600_000 (CST, UTC-6) or -18_000_000 (CDT, UTC-5), as the tz
 * database says. After the first call in a year, two comparisons (the last year used is kept).
 * @param utcMs UTC epoch ms
 * @throws RangeError when utcMs is not a finite number
 */
export function centralOffsetMs(utcMs: number): number {
  let y = lastYear;
  if (y === undefined || !(utcMs >= y.from && utcMs < y.to)) {
    if (!Number.isFinite(utcMs)) throw new RangeError(`centralOffsetMs: instant ${utcMs} is not a finite number of ms`);
    y = lastYear = centralYear(new Date(utcMs).getUTCFullYear());
  }
  return utcMs < y.changes[0] ? y.offsets[0] : utcMs < y.changes[1] ? y.offsets[1] : y.offsets[2];
}

/** [start, end) of daylight saving time in a year, as UTC epoch ms (02:00 CST and 02:00 CDT on the change days). */
export function centralDstBoundsUtc(year: number): { start: number; end: number } {
  const y = centralYear(year);
  return { start: y.changes[0], end: y.changes[1] };
}

/** Whether a date is a DST change day in Central time. */
export function centralDayKind(date: CivilDate | string): CentralDayKind {
  const d = typeof date === 'string' ? parseErcotDate(date) : date;
  const n = dayNumber(d);
  const y = centralYear(d.year);
  return n === y.springDay ? 'spring-forward' : n === y.fallDay ? 'fall-back' : 'normal';
}

/** Hours in the local day: 23 on spring-forward day, 25 on fall-back day, else 24. */
export function hoursInCentralDay(date: CivilDate | string): 23 | 24 | 25 {
  const kind = centralDayKind(date);
  return kind === 'spring-forward' ? 23 : kind === 'fall-back' ? 25 : 24;
}

/** The Central zone abbreviation of a UTC offset (ms): -6 h 'CST', -5 h 'CDT', else 'UTC-7' and so on. */
export const centralZoneName = (offsetMs: number): string => (offsetMs === -6 * HOUR_MS ? 'CST' : offsetMs === -5 * HOUR_MS ? 'CDT' : `UTC${offsetMs / HOUR_MS}`);

/**
 * UTC epoch ms of a local wall time. `repeated` selects the second occurrence in the fall-back hour (DSTFlag Y);
 * it is an error anywhere else.
 * @throws CentralTimeError reasonCode 'nonexistent-hour' for a wall time in the spring-forward gap (02:00-03:00 local
 *         on the 2nd Sunday of March), which no clock shows.
 */
export function centralWallToUtc(date: CivilDate, minuteOfDay: number, repeated: boolean): number {
  if (!Number.isInteger(minuteOfDay) || minuteOfDay < 0 || minuteOfDay >= 24 * 60) {
    throw new CentralTimeError('hour', minuteOfDay, `minute of day ${minuteOfDay} is outside 0-1439`);
  }
  const n = dayNumber(date);
  const y = centralYear(date.year);
  if (n === y.springDay && minuteOfDay >= y.skipped[0] && minuteOfDay < y.skipped[1]) {
    const [from, to] = y.skipped;
    throw new CentralTimeError(
      'hour',
      minuteOfDay,
      `${formatCivil(date)} local ${formatWallClock(minuteOfDay)} does not exist: on the spring-forward day clocks jump from ${formatWallClock(from)} ${centralZoneName(y.offsets[0])} to ${formatWallClock(to)} ${centralZoneName(y.offsets[1])}, so the hour ending ${formatWallClock(to)} (local ${formatWallClock(from)}-${formatWallClock(to)}) is skipped and the day has 23 hours, numbered 1, 2, 4..24`,
      'nonexistent-hour',
    );
  }
  const local = n * DAY_MS + minuteOfDay * MINUTE_MS;
  if (n === y.fallDay && minuteOfDay >= y.repeated[0] && minuteOfDay < y.repeated[1]) return local - y.fallOffsets[repeated ? 1 : 0];
  if (repeated) {
    throw new CentralTimeError(
      'dstFlag',
      true,
      `DSTFlag is set (repeated hour) but ${formatCivil(date)} ${formatWallClock(minuteOfDay)} is not in the repeated ${formatWallClock(y.repeated[0])}-${formatWallClock(y.repeated[1])} hour of a fall-back day`,
      'bad-timestamp',
    );
  }
  // Outside the gap and the overlap exactly one of the year's offsets maps the wall time onto itself.
  for (const offset of y.offsets) if (centralOffsetMs(local - offset) === offset) return local - offset;
  throw new CentralTimeError('hour', minuteOfDay, `${formatCivil(date)} local ${formatWallClock(minuteOfDay)} has no UTC instant in the tz data of ${CENTRAL_TIME_ZONE}`);
}

/**
 * Exact UTC [start, end) of an ERCOT interval.
 * @param date        delivery/operating date, "YYYY-MM-DD" or "MM/DD/YYYY" (or a parsed CivilDate)
 * @param hourEnding  1..24 (ERCOT never uses 25; the repeated hour is HE 2 with dstFlag true; a day numbered 1..25 is
 *                    renumbered by dst-day.ts before it gets here)
 * @param interval    1..4 for 15-minute data, 1 for hourly data
 * @param dstFlag     ERCOT's DSTFlag: true only for the repeated (second) 01:00-02:00 on fall-back day
 * @param stepMinutes 15 or 60
 * @throws CentralTimeError with `field` naming the bad input; reasonCode 'nonexistent-hour' for HE 3 on the
 *         spring-forward day
 */
export function centralToUtc(
  date: string | CivilDate,
  hourEnding: number,
  interval: number,
  dstFlag: boolean,
  stepMinutes: 15 | 60,
): { start: number; end: number } {
  const d = typeof date === 'string' ? parseErcotDate(date) : date;
  if (stepMinutes !== 15 && stepMinutes !== 60) throw new CentralTimeError('interval', stepMinutes, `step ${stepMinutes} minutes is not 15 or 60`);
  if (!Number.isInteger(hourEnding) || hourEnding < 1 || hourEnding > 24) {
    throw new CentralTimeError('hour', hourEnding, `hour ending ${show(hourEnding)} is outside 1-24`);
  }
  const perHour = 60 / stepMinutes;
  if (!Number.isInteger(interval) || interval < 1 || interval > perHour) {
    throw new CentralTimeError('interval', interval, `interval ${show(interval)} is outside 1-${perHour}`);
  }
  const minuteOfDay = (hourEnding - 1) * 60 + (interval - 1) * stepMinutes;
  const start = centralWallToUtc(d, minuteOfDay, dstFlag);
  return { start, end: start + stepMinutes * MINUTE_MS };
}

/** The Central calendar date ("YYYY-MM-DD") of an instant, e.g. today's operating day. */
export function centralDateOf(utcMs: number): string {
  return new Date(utcMs + centralOffsetMs(utcMs)).toISOString().slice(0, 10);
}

/**
 * ERCOT's label of the instant's hour: its Central delivery date, hour ending (1..24: the local clock hour + 1, so
 * 3 never occurs on the spring-forward day) and DSTFlag (true only in the repeated, second 01:00-02:00 of the
 * fall-back day, hour ending 2 again). The inverse of centralToUtc for an interval's start.
 * @param utcMs UTC epoch ms
 * @returns { date: "YYYY-MM-DD", hourEnding, dstFlag }
 * @throws RangeError when utcMs is not finite
 */
export function ercotHourLabel(utcMs: number): { date: string; hourEnding: number; dstFlag: boolean } {
  const offset = centralOffsetMs(utcMs);
  const local = utcMs + offset;
  const day = Math.floor(local / DAY_MS);
  const minute = Math.floor((local - day * DAY_MS) / MINUTE_MS);
  const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
  const y = centralYear(Number(date.slice(0, 4)));
  const dstFlag = day === y.fallDay && minute >= y.repeated[0] && minute < y.repeated[1] && offset === y.fallOffsets[1];
  return { date, hourEnding: Math.floor(minute / 60) + 1, dstFlag };
}

/**
 * The Central date `days` calendar days after `date` (negative goes back): calendar arithmetic, so a DST change day
 * is one day like any other.
 * @param date "YYYY-MM-DD" or "MM/DD/YYYY"
 * @returns "YYYY-MM-DD"
 * @throws CentralTimeError when the date does not exist
 */
export function addCentralDays(date: string, days: number): string {
  const d = parseErcotDate(date);
  return new Date(Date.UTC(d.year, d.month - 1, d.day + days)).toISOString().slice(0, 10);
}

/** The local midnight that starts a Central date, as UTC epoch ms. */
export function centralMidnightUtc(date: CivilDate | string): number {
  const d = typeof date === 'string' ? parseErcotDate(date) : date;
  return centralWallToUtc(d, 0, false);
}

/** "YYYY-MM-DD" of a calendar date. */
export function formatCivil(d: CivilDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** "HH:MM" of a local wall time given as minutes past midnight (0..1440; 1440 is "24:00"). */
export function formatWallClock(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
}

const HOUR_TEXT = /^(\d{1,2})(?::00)?$/;
const INT_TEXT = /^\d{1,2}$/;

/**
 * Hour ending from the API (integer, or "01:00".."24:00") or a CSV cell ("1", "01", "01:00").
 * @param maxHour 24, or 25 on a fall-back day (a day some sources number 1..25; dst-day.ts places it)
 */
export function parseHourEnding(value: unknown, maxHour: 24 | 25 = 24): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const m = HOUR_TEXT.exec(value.trim());
    if (m) n = Number(m[1]);
  }
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > maxHour) {
    throw new CentralTimeError('hour', value, `hour ending ${show(value)} is not 1-${maxHour} or "01:00"-"${maxHour}:00"${n === 25 ? ' (hour ending 25 exists only on the fall-back day, in a day numbered 1..25)' : ''}`);
  }
  return n;
}

/** 15-minute interval number within the hour, 1..4. */
export function parseInterval(value: unknown): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && INT_TEXT.test(value.trim())) n = Number(value.trim());
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 4) {
    throw new CentralTimeError('interval', value, `delivery interval ${show(value)} is not 1-4`);
  }
  return n;
}

/** ERCOT's DSTFlag: API booleans, or "Y"/"N" in MIS files (also "true"/"false"), case-insensitive. */
export function parseDstFlag(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const s = value.trim().toUpperCase();
    if (s === 'Y' || s === 'TRUE') return true;
    if (s === 'N' || s === 'FALSE') return false;
  }
  throw new CentralTimeError('dstFlag', value, `DSTFlag ${show(value)} is not Y/N or true/false`);
}
