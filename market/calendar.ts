// Calendar features of an instant in US/Central (America/Chicago): local hour, weekday, ERCOT holiday. Pure
// arithmetic on the project's DST rule (market/central-time.ts) and ERCOT holiday list
// (market/holidays.ts); no Intl.
import { centralOffsetMs } from './central-time.js';
import { ercotHolidays } from './holidays.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface CentralCalendar {
  /** Local clock hour 0-23 (01 appears twice on fall-back day, 02 never on spring-forward day). */
  hourOfDay: number;
  /** Local weekday, 0 = Sunday. */
  dayOfWeek: number;
  /** The local date is an ERCOT holiday. */
  isHoliday: boolean;
}

const holidaysByYear = new Map<number, Set<number>>();

function holidays(year: number): Set<number> {
  let h = holidaysByYear.get(year);
  if (!h) {
    h = ercotHolidays(year);
    holidaysByYear.set(year, h);
  }
  return h;
}

export function centralCalendar(utcMs: number): CentralCalendar {
  const local = utcMs + centralOffsetMs(utcMs); // local wall time written as if it were UTC
  const dayIndex = Math.floor(local / DAY_MS);
  const hourOfDay = Math.floor((local - dayIndex * DAY_MS) / HOUR_MS);
  const dayOfWeek = (((dayIndex + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const year = new Date(dayIndex * DAY_MS).getUTCFullYear();
  return { hourOfDay, dayOfWeek, isHoliday: holidays(year).has(dayIndex) };
}
