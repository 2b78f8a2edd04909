// US/Central calendar fields for the simulator without Intl: the DST bounds (market/central-time.ts) are
// cached per year, so a lookup is two comparisons. Also ERCOT's holidays.
import { centralDstBoundsUtc } from './central-time.js';

export { centralOffsetMs } from './central-time.js';

export const MINUTE_MS = 60_000;
export const QUARTER_MS = 15 * MINUTE_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const CST_OFFSET_MS = -6 * HOUR_MS;
const CDT_OFFSET_MS = -5 * HOUR_MS;

/** Day of week (0 = Sunday) of a UTC-midnight timestamp. 1970-01-01 was a Thursday. */
function weekdayOfDay(dayIndex: number): number {
  return (((dayIndex + 4) % 7) + 7) % 7;
}

/** UTC-midnight ms of the n-th (1-based) given weekday of a month; n = -1 means the last one. */
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

/** ERCOT holidays of a year as local day indices (floor(localMs / day)): New Year, Memorial Day,
 * Independence Day, Labor Day, Thanksgiving and the day after, Christmas. Weekend dates are not shifted. */
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

/** Local (US/Central) calendar fields of one instant. Reused by CentralClock to avoid allocation. */
export interface CentralFields {
  /** UTC offset in ms: -21600000 (CST) or -18000000 (CDT). */
  offsetMs: number;
  /** Local clock hour 0-23 as a fraction (e.g. 13.25 at 13:15). */
  hour: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Days since local January 1 00:00, fractional (0 to 365.x). */
  dayOfYear: number;
  /** Saturday, Sunday or an ERCOT holiday. */
  offDay: boolean;
}

/** Cached US/Central conversion for a mostly-monotonic sweep through time. */
export class CentralClock {
  private dstYearStart = Infinity;
  private dstYearEnd = -Infinity;
  private dstStart = 0;
  private dstEnd = 0;
  private localYearStart = Infinity;
  private localYearEnd = -Infinity;
  private holidays = new Set<number>();

  offsetMs(utcMs: number): number {
    if (utcMs < this.dstYearStart || utcMs >= this.dstYearEnd) {
      const year = new Date(utcMs).getUTCFullYear();
      this.dstYearStart = Date.UTC(year, 0, 1);
      this.dstYearEnd = Date.UTC(year + 1, 0, 1);
      ({ start: this.dstStart, end: this.dstEnd } = centralDstBoundsUtc(year));
    }
    return utcMs >= this.dstStart && utcMs < this.dstEnd ? CDT_OFFSET_MS : CST_OFFSET_MS;
  }

  /** Fill `out` with the local fields of utcMs and return it. */
  fields(utcMs: number, out: CentralFields): CentralFields {
    const offset = this.offsetMs(utcMs);
    const local = utcMs + offset; // local wall-clock time written as if it were UTC
    if (local < this.localYearStart || local >= this.localYearEnd) {
      const year = new Date(local).getUTCFullYear();
      this.localYearStart = Date.UTC(year, 0, 1);
      this.localYearEnd = Date.UTC(year + 1, 0, 1);
      this.holidays = ercotHolidays(year);
    }
    const dayIndex = Math.floor(local / DAY_MS);
    const weekday = weekdayOfDay(dayIndex);
    out.offsetMs = offset;
    out.hour = (local - dayIndex * DAY_MS) / HOUR_MS;
    out.weekday = weekday;
    out.dayOfYear = (local - this.localYearStart) / DAY_MS;
    out.offDay = weekday === 0 || weekday === 6 || this.holidays.has(dayIndex);
    return out;
  }
}

export function newCentralFields(): CentralFields {
  return { offsetMs: CST_OFFSET_MS, hour: 0, weekday: 0, dayOfYear: 0, offDay: false };
}
