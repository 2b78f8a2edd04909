// A market's own clock: the time zone a market's times are written in and its days are counted in. ERCOT (and any
// market not listed, the ERCOT-like simulator's included) is US Central prevailing time through central-time.ts;
// GB (Great Britain: the real `taylor` series, streams/taylor.ts) is UK civil time, Europe/London (GMT in winter,
// BST = UTC+1 in summer). Offsets come from the tz database through Intl with the IANA zone, never a written offset.
import {
  CENTRAL_TIME_ZONE, DAY_MS, HOUR_MS, MINUTE_MS, type CivilDate, CentralTimeError, centralDateOf, centralWallToUtc, centralYear,
  centralZoneName, formatCivil, formatWallClock, parseErcotDate, zoneOffsetMs,
} from './central-time.js';
import { centralWallMs } from './calendar.js';
import { centralClockText, centralLabel } from './format.js';

/** The clock of one market: how its instants read on the wall and which instant a wall time of a day is. */
export interface ZoneClock {
  /** IANA time zone: "America/Chicago", "Europe/London". */
  readonly zone: string;
  /** What a written time carries after it: "CT" (US Central time), "UK" (UK time). */
  readonly suffix: string;
  /** Local wall time of an instant written as if it were UTC, ms (UTC ms in, UTC-style ms out). */
  wallMs(utcMs: number): number;
  /** The local calendar date of an instant, "YYYY-MM-DD". */
  dateOf(utcMs: number): string;
  /** The local wall clock of an instant, "HH:MM" (00-23). */
  clockText(utcMs: number): string;
  /** An instant on this clock to the minute: "2024-07-01 17:00 CT", "2000-06-05 00:00 UK". */
  label(utcMs: number): string;
  /**
   * UTC ms of a local wall time on a date ("YYYY-MM-DD", minutes past local midnight 0-1439): the first occurrence of
   * a repeated (fall-back) time; a time in a spring-forward gap, which no clock shows, reads as the first instant
   * after the gap. Errors: CentralTimeError for a date that does not exist or minutes outside 0-1439.
   */
  wallToUtc(date: string, minuteOfDay: number): number;
  /** UTC ms of the local midnight that starts a date ("YYYY-MM-DD"): wallToUtc(date, 0). */
  midnightUtc(date: string): number;
}

/** ZoneClock.wallToUtc on US Central: central-time.ts, a time in the spring-forward gap read as the first instant after it. */
function centralWallToUtcOrAfterGap(date: string, minuteOfDay: number): number {
  const d = parseErcotDate(date);
  try {
    return centralWallToUtc(d, minuteOfDay, false);
  } catch (err) {
    if (!(err instanceof CentralTimeError) || err.reasonCode !== 'nonexistent-hour') throw err;
    return centralWallToUtc(d, centralYear(d.year).skipped[1], false);
  }
}

/**
 * US Central prevailing time, ERCOT's clock: the functions of central-time.ts and format.ts (offsets cached per year).
 * No member uses `this`, so one taken off the object (`const { midnightUtc } = CENTRAL_CLOCK`) works alike.
 */
export const CENTRAL_CLOCK: ZoneClock = {
  zone: CENTRAL_TIME_ZONE,
  suffix: 'CT',
  wallMs: centralWallMs,
  dateOf: centralDateOf,
  clockText: centralClockText,
  label: centralLabel,
  wallToUtc: centralWallToUtcOrAfterGap,
  midnightUtc: (date) => centralWallToUtcOrAfterGap(date, 0),
};

/**
 * clock.label, told apart where the wall clock shows a time twice (the repeated hour of a fall-back night, 1 h each
 * side): there the zone's abbreviation replaces the suffix, "2024-11-03 01:00 CDT" and "2024-11-03 01:00 CST" on US
 * Central (central-time.ts centralZoneName), "UTC+1"/"UTC+0" after the suffix on other clocks ("2024-10-27 01:00 UK
 * UTC+1"); every other time as clock.label ("2024-11-03 00:30 CT"). Pure.
 * @param utcMs UTC epoch ms; RangeError when not finite (clock.wallMs)
 */
export function unambiguousLabel(clock: ZoneClock, utcMs: number): string {
  const wall = clock.wallMs(utcMs);
  const repeated = clock.wallMs(utcMs - HOUR_MS) === wall || clock.wallMs(utcMs + HOUR_MS) === wall;
  if (!repeated) return clock.label(utcMs);
  const offset = wall - utcMs;
  const base = clock.label(utcMs).slice(0, -clock.suffix.length - 1);
  const hours = offset / HOUR_MS;
  return clock.zone === CENTRAL_TIME_ZONE ? `${base} ${centralZoneName(offset)}` : `${base} ${clock.suffix} UTC${hours >= 0 ? '+' : ''}${hours}`;
}

/** Local midnight of a civil date written as if it were UTC, ms. */
function civilMs(d: CivilDate): number {
  const t = new Date(0);
  t.setUTCFullYear(d.year, d.month - 1, d.day);
  return t.getTime();
}

/**
 * The clock of an IANA zone, offsets read from the tz database through Intl at each call (a few microseconds; the
 * responder writes tens of times per answer). Assumes, as every zone's rules do, at most one offset change within a
 * day either side of a wall time.
 * @param zone   IANA zone name ("Europe/London")
 * @param suffix what a written time carries after it ("UK")
 * @throws RangeError for a zone Intl does not know
 * No member uses `this`: one taken off the clock (`const { midnightUtc } = UK_CLOCK`) works alike.
 */
export function zoneClock(zone: string, suffix: string): ZoneClock {
  zoneOffsetMs(zone, 0); // an unknown zone throws here, once
  const wallMs = (utcMs: number) => utcMs + zoneOffsetMs(zone, utcMs);
  const iso = (utcMs: number) => new Date(wallMs(utcMs)).toISOString();
  return {
    zone,
    suffix,
    wallMs,
    dateOf: (utcMs) => iso(utcMs).slice(0, 10),
    clockText: (utcMs) => iso(utcMs).slice(11, 16),
    label: (utcMs) => {
      const s = iso(utcMs);
      return `${s.slice(0, 10)} ${s.slice(11, 16)} ${suffix}`;
    },
    wallToUtc,
    midnightUtc: (date) => wallToUtc(date, 0),
  };
  function wallToUtc(date: string, minuteOfDay: number): number {
    const d = parseErcotDate(date);
    if (!Number.isInteger(minuteOfDay) || minuteOfDay < 0 || minuteOfDay >= 24 * 60) throw new CentralTimeError('hour', minuteOfDay, `minute of day ${minuteOfDay} is outside 0-1439`);
    const local = civilMs(d) + minuteOfDay * MINUTE_MS;
    // The offsets around the wall time; each that maps it onto itself gives an instant showing it (two when repeated).
    const offsets = [...new Set([zoneOffsetMs(zone, local - DAY_MS), zoneOffsetMs(zone, local), zoneOffsetMs(zone, local + DAY_MS)])];
    const shown = offsets.map((o) => local - o).filter((u) => zoneOffsetMs(zone, u) === local - u).sort((a, b) => a - b);
    if (shown.length > 0) return shown[0]!;
    if (offsets.length < 2) throw new CentralTimeError('hour', minuteOfDay, `${formatCivil(d)} ${formatWallClock(minuteOfDay)} has no instant in the tz data of ${zone}`);
    // In a gap: the change lies between the instants the later and the earlier offset give; find it to the minute.
    let lo = local - Math.max(...offsets);
    let hi = local - Math.min(...offsets);
    const before = zoneOffsetMs(zone, lo);
    while (hi - lo > MINUTE_MS) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
      if (zoneOffsetMs(zone, mid) === before) lo = mid;
      else hi = mid;
    }
    return hi;
  }
}

/** UK civil time (Europe/London): GB's clock. */
export const UK_CLOCK: ZoneClock = zoneClock('Europe/London', 'UK');

/**
 * Markets whose clock is not US Central: GB (the taylor series) and QGB, the forecast-quality bench's copy of it
 * (bench/forecast-quality.ts). A market not listed is on CENTRAL_CLOCK.
 */
export const MARKET_CLOCKS: Readonly<Record<string, ZoneClock>> = { GB: UK_CLOCK, QGB: UK_CLOCK };

/**
 * The clock a market's times are written and its days counted on: MARKET_CLOCKS, else US Central (ERCOT, the
 * simulator's markets). A run's market (`run.NAME.GB`, platform/kafka/topics.ts runMarket) is on its market's clock.
 */
export function marketClock(market: string): ZoneClock {
  const m = /^run\.[A-Za-z0-9_-]{1,64}\.(.+)$/.exec(market);
  return MARKET_CLOCKS[m ? m[1]! : market] ?? CENTRAL_CLOCK;
}
