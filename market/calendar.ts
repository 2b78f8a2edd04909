// Calendar fields of an instant in US/Central (America/Chicago): local hour, weekday, day of the year, ERCOT holiday.
// The one place that turns an instant into local calendar fields; the offset comes from central-time.ts (tz
// database, cached per year), the holidays from holidays.ts. Used by the windower's and the dispatcher's features
// (centralCalendar) and by the simulator's sweep through time (CentralClock).
import { centralOffsetMs, centralYear, DAY_MS, HOUR_MS } from './central-time.js';
import { ercotHolidaysCached, weekdayOfDay } from './holidays.js';

export interface CentralCalendar {
  /** Local clock hour 0-23 (01 appears twice on fall-back day, 02 never on spring-forward day). */
  hourOfDay: number;
  /** Local weekday, 0 = Sunday. */
  dayOfWeek: number;
  /** The local date is an ERCOT holiday. */
  isHoliday: boolean;
}

/** Local wall time of an instant written as if it were UTC (ms): the base of every local calendar field. */
export function centralWallMs(utcMs: number): number {
  return utcMs + centralOffsetMs(utcMs);
}

/**
 * Local calendar features of an instant.
 * @param utcMs UTC epoch ms
 * @throws RangeError when utcMs is not finite
 */
export function centralCalendar(utcMs: number): CentralCalendar {
  const local = centralWallMs(utcMs);
  const dayIndex = Math.floor(local / DAY_MS);
  const year = new Date(dayIndex * DAY_MS).getUTCFullYear();
  return {
    hourOfDay: Math.floor((local - dayIndex * DAY_MS) / HOUR_MS),
    dayOfWeek: weekdayOfDay(dayIndex),
    isHoliday: ercotHolidaysCached(year).has(dayIndex),
  };
}

/** Local (US/Central) calendar fields of one instant. Reused by CentralClock to avoid allocation. */
export interface CentralFields {
  /** UTC offset in ms: -21600000 (CST) or -18000000 (CDT). */
  offsetMs: number;
  /** Daylight saving in effect, in ms: the offset minus the year's standard offset (0, or 3600000 in CDT). */
  daylightMs: number;
  /** Local clock hour 0-23 as a fraction (e.g. 13.25 at 13:15). */
  hour: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Days since local January 1 00:00, fractional (0 to 365.x). */
  dayOfYear: number;
  /** Saturday, Sunday or an ERCOT holiday. */
  offDay: boolean;
}

/** Local calendar fields for a mostly-monotonic sweep through time (the simulator): keeps the local year. */
export class CentralClock {
  private localYearStart = Infinity;
  private localYearEnd = -Infinity;
  private holidays: ReadonlySet<number> = new Set<number>();
  private standardOffsetMs = -6 * HOUR_MS;

  /** Fill `out` with the local fields of utcMs (UTC epoch ms) and return it. */
  fields(utcMs: number, out: CentralFields): CentralFields {
    const offset = centralOffsetMs(utcMs);
    const local = utcMs + offset;
    if (local < this.localYearStart || local >= this.localYearEnd) {
      const year = new Date(local).getUTCFullYear();
      this.localYearStart = Date.UTC(year, 0, 1);
      this.localYearEnd = Date.UTC(year + 1, 0, 1);
      this.holidays = ercotHolidaysCached(year);
      this.standardOffsetMs = centralYear(year).offsets[0]; // January's offset: standard time in the north
    }
    const dayIndex = Math.floor(local / DAY_MS);
    const weekday = weekdayOfDay(dayIndex);
    out.offsetMs = offset;
    out.daylightMs = offset - this.standardOffsetMs;
    out.hour = (local - dayIndex * DAY_MS) / HOUR_MS;
    out.weekday = weekday;
    out.dayOfYear = (local - this.localYearStart) / DAY_MS;
    out.offDay = weekday === 0 || weekday === 6 || this.holidays.has(dayIndex);
    return out;
  }
}

/** A CentralFields to fill (CST, midnight, Sunday). */
export function newCentralFields(): CentralFields {
  return { offsetMs: -6 * HOUR_MS, daylightMs: 0, hour: 0, weekday: 0, dayOfYear: 0, offDay: false };
}
