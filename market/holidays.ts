// ERCOT's holidays: the list of dates, nothing else. Central-time arithmetic lives in central-time.ts and the
// calendar fields that use this list in calendar.ts.
import { DAY_MS } from './central-time.js';

/** Day of week (0 = Sunday) of a day number (days since 1970-01-01, which was a Thursday). */
export function weekdayOfDay(dayIndex: number): number {
  return (((dayIndex + 4) % 7) + 7) % 7;
}

/** UTC-midnight ms of the n-th (1-based) given weekday of a month (0-based); n = -1 means the last one. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = Date.UTC(year, month, 1);
    const shift = (weekday - weekdayOfDay(Math.floor(first / DAY_MS)) + 7) % 7;
    return first + (shift + 7 * (n - 1)) * DAY_MS;
  }
  const last = Date.UTC(year, month + 1, 1) - DAY_MS;
  const back = (weekdayOfDay(Math.floor(last / DAY_MS)) - weekday + 7) % 7;
  return last - back * DAY_MS;
}

/**
 * ERCOT holidays of a year as day numbers of their local dates (floor(localMs / day), local wall time written as if
 * it were UTC): New Year, Memorial Day, Independence Day, Labor Day, Thanksgiving and the day after, Christmas.
 * Weekend dates are not shifted. A new Set on each call; `isErcotHoliday` keeps one per year.
 */
export function ercotHolidays(year: number): Set<number> {
  const days = [
    Date.UTC(year, 0, 1),
    nthWeekday(year, 4, 1, -1),
    Date.UTC(year, 6, 4),
    nthWeekday(year, 8, 1, 1),
    nthWeekday(year, 10, 4, 4),
    nthWeekday(year, 10, 4, 4) + DAY_MS,
    Date.UTC(year, 11, 25),
  ];
  return new Set(days.map((ms) => Math.floor(ms / DAY_MS)));
}

const holidaysByYear = new Map<number, Set<number>>();

/** ERCOT holidays of a year, computed once per year (the same Set on every call: do not change it). */
export function ercotHolidaysCached(year: number): ReadonlySet<number> {
  let h = holidaysByYear.get(year);
  if (!h) {
    h = ercotHolidays(year);
    holidaysByYear.set(year, h);
  }
  return h;
}
