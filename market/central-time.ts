// ERCOT's market clock: US/Central prevailing time (America/Chicago) with hour-ending labels and a DSTFlag, turned
// into exact UTC intervals. Pure arithmetic, no Intl: the DST rule is computed per year.
//
// Rules (America/Chicago):
//   since 2007:  DST from the 2nd Sunday of March 02:00 CST (08:00 UTC) to the 1st Sunday of November 02:00 CDT
//                (07:00 UTC); CST = UTC-6, CDT = UTC-5.
//   1987-2006:   1st Sunday of April to the last Sunday of October, same clock times.
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
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
const CST_TO_UTC_MS = 6 * HOUR_MS;
const CDT_TO_UTC_MS = 5 * HOUR_MS;
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

/** Day number of the n-th (1-based; -1 = last) Sunday of a month (0-based month). */
function nthSunday(year: number, month0: number, n: number): number {
  if (n > 0) {
    const first = Date.UTC(year, month0, 1) / DAY_MS;
    const weekday = (((first + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    return first + ((7 - weekday) % 7) + 7 * (n - 1);
  }
  const last = Date.UTC(year, month0 + 1, 0) / DAY_MS;
  const weekday = (((last + 4) % 7) + 7) % 7;
  return last - weekday;
}

interface YearRule {
  springDay: number;
  fallDay: number;
}
const yearRules = new Map<number, YearRule>();

function rule(year: number): YearRule {
  let r = yearRules.get(year);
  if (!r) {
    r =
      year >= 2007
        ? { springDay: nthSunday(year, 2, 2), fallDay: nthSunday(year, 10, 1) }
        : { springDay: nthSunday(year, 3, 1), fallDay: nthSunday(year, 9, -1) };
    yearRules.set(year, r);
  }
  return r;
}

/** [start, end) of daylight saving time in a year, as UTC epoch ms (02:00 CST and 02:00 CDT on the change days). */
export function centralDstBoundsUtc(year: number): { start: number; end: number } {
  const r = rule(year);
  return { start: r.springDay * DAY_MS + 2 * HOUR_MS + CST_TO_UTC_MS, end: r.fallDay * DAY_MS + 2 * HOUR_MS + CDT_TO_UTC_MS };
}

/** Whether a date is a DST change day in Central time. */
export function centralDayKind(date: CivilDate | string): CentralDayKind {
  const d = typeof date === 'string' ? parseErcotDate(date) : date;
  const n = dayNumber(d);
  const r = rule(d.year);
  return n === r.springDay ? 'spring-forward' : n === r.fallDay ? 'fall-back' : 'normal';
}

/** Hours in the local day: 23 on spring-forward day, 25 on fall-back day, else 24. */
export function hoursInCentralDay(date: CivilDate | string): 23 | 24 | 25 {
  const kind = centralDayKind(date);
  return kind === 'spring-forward' ? 23 : kind === 'fall-back' ? 25 : 24;
}

/** True when local wall time `minuteOfDay` on `date` occurs twice (01:00-02:00 on fall-back day). */
export function isRepeatedCentralTime(date: CivilDate, minuteOfDay: number): boolean {
  return centralDayKind(date) === 'fall-back' && minuteOfDay >= 60 && minuteOfDay < 120;
}

/** True when local wall time `minuteOfDay` on `date` never occurs (02:00-03:00 on spring-forward day). */
export function isSkippedCentralTime(date: CivilDate, minuteOfDay: number): boolean {
  return centralDayKind(date) === 'spring-forward' && minuteOfDay >= 120 && minuteOfDay < 180;
}

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
  const r = rule(date.year);
  let toUtc: number;
  if (n === r.fallDay) {
    if (minuteOfDay < 60) toUtc = CDT_TO_UTC_MS;
    else if (minuteOfDay < 120) toUtc = repeated ? CST_TO_UTC_MS : CDT_TO_UTC_MS;
    else toUtc = CST_TO_UTC_MS;
  } else if (n === r.springDay) {
    if (minuteOfDay >= 120 && minuteOfDay < 180) {
      throw new CentralTimeError(
        'hour',
        minuteOfDay,
        `${formatCivil(date)} local ${wall(minuteOfDay)} does not exist: on the spring-forward day clocks jump from 02:00 CST to 03:00 CDT, so the hour ending 03:00 (local 02:00-03:00) is skipped and the day has 23 hours, numbered 1, 2, 4..24`,
        'nonexistent-hour',
      );
    }
    toUtc = minuteOfDay < 120 ? CST_TO_UTC_MS : CDT_TO_UTC_MS;
  } else {
    toUtc = n > r.springDay && n < r.fallDay ? CDT_TO_UTC_MS : CST_TO_UTC_MS;
  }
  if (repeated && !(n === r.fallDay && minuteOfDay >= 60 && minuteOfDay < 120)) {
    throw new CentralTimeError(
      'dstFlag',
      true,
      `DSTFlag is set (repeated hour) but ${formatCivil(date)} ${wall(minuteOfDay)} is not in the repeated 01:00-02:00 hour of a fall-back day`,
      'bad-timestamp',
    );
  }
  return n * DAY_MS + minuteOfDay * MINUTE_MS + toUtc;
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

/** UTC offset of Central time at an instant, in ms: -6 h (CST) or -5 h (CDT). */
export function centralOffsetMs(utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  const { start, end } = centralDstBoundsUtc(year);
  return utcMs >= start && utcMs < end ? -CDT_TO_UTC_MS : -CST_TO_UTC_MS;
}

/** The Central calendar date ("YYYY-MM-DD") of an instant, e.g. today's operating day. */
export function centralDateOf(utcMs: number): string {
  return new Date(utcMs + centralOffsetMs(utcMs)).toISOString().slice(0, 10);
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

function wall(minuteOfDay: number): string {
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
