// trace: 1.3, D.market-clock
// Central time comes from the tz database: each year's offset changes are found once by bisection over Intl's
// offsets. These cases compare the cached lookups with Intl read another way (the zone's long offset, "GMT-05:00",
// and its wall-clock fields), so a wrong bisection, a wrong cache range or a wrong gap/overlap derivation fails.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CentralClock, centralCalendar, newCentralFields } from '../../market/calendar.js';
import {
  CentralTimeError,
  centralDateOf,
  centralDayKind,
  centralDstBoundsUtc,
  centralOffsetMs,
  centralWallToUtc,
  centralToUtc,
  centralYear,
  ercotHourLabel,
  HOUR_MS,
  parseErcotDate,
} from '../../market/central-time.js';

const QUARTER = 15 * 60_000;
const DAY = 24 * HOUR_MS;

const offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', timeZoneName: 'longOffset' });
/** Intl's offset of America/Chicago at an instant, from its "GMT-05:00" text. */
function intlOffsetMs(ms: number): number {
  const name = offsetFormat.formatToParts(ms).find((p) => p.type === 'timeZoneName')!.value;
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  assert.ok(m, `unexpected offset text ${name}`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR_MS + Number(m[3]) * 60_000);
}

const wallFormat = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
/** Intl's local wall fields of an instant. */
function intlWall(ms: number): { date: string; hour: number; minute: number; weekday: string } {
  const p = Object.fromEntries(wallFormat.formatToParts(ms).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), minute: Number(p.minute), weekday: p.weekday! };
}
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

describe('central time from the tz database', () => {
  it('matches Intl every 15 minutes of the three local days around each change, 2000-2040: offset, date, hour, weekday, wall time back to UTC', () => {
    const clock = new CentralClock();
    const fields = newCentralFields();
    for (let year = 2000; year <= 2040; year++) {
      const { start, end } = centralDstBoundsUtc(year);
      for (const change of [start, end]) {
        const localDay = Math.floor((change + intlOffsetMs(change - 1)) / DAY);
        for (let t = localDay * DAY - DAY + 6 * HOUR_MS; t < localDay * DAY + 2 * DAY + 5 * HOUR_MS; t += QUARTER) {
          const at = new Date(t).toISOString();
          const offset = intlOffsetMs(t);
          assert.equal(centralOffsetMs(t), offset, `offset at ${at}`);
          const wall = intlWall(t);
          assert.equal(centralDateOf(t), wall.date, `date at ${at}`);
          const cal = centralCalendar(t);
          assert.equal(cal.hourOfDay, wall.hour, `hour at ${at}`);
          assert.equal(WEEKDAYS[cal.dayOfWeek], wall.weekday, `weekday at ${at}`);
          assert.equal(clock.fields(t, fields).offsetMs, offset, `simulator clock offset at ${at}`);
          assert.equal(fields.daylightMs, offset + 6 * HOUR_MS, `simulator clock daylight saving at ${at}`);
          assert.equal(fields.hour, wall.hour + wall.minute / 60, `simulator clock hour at ${at}`);
          // The wall time maps back to this instant; in the repeated hour the second occurrence needs `repeated`.
          const minute = wall.hour * 60 + wall.minute;
          const second = intlOffsetMs(t - HOUR_MS) !== offset && intlWall(t - HOUR_MS).hour === wall.hour;
          assert.equal(centralWallToUtc(parseErcotDate(wall.date), minute, second), t, `wall ${wall.date} ${wall.hour}:${wall.minute} back to ${at}`);
        }
      }
    }
  });

  it('labels every 15 minutes of 2000-2040 change days as ERCOT does, and the label maps back to the instant', () => {
    for (let year = 2000; year <= 2040; year++) {
      const { start, end } = centralDstBoundsUtc(year);
      for (const change of [start, end]) {
        for (let t = change - 4 * HOUR_MS; t < change + 4 * HOUR_MS; t += QUARTER) {
          const l = ercotHourLabel(t);
          const minute = new Date(t).getUTCMinutes();
          assert.equal(centralToUtc(l.date, l.hourEnding, minute / 15 + 1, l.dstFlag, 15).start, t, `${new Date(t).toISOString()} -> ${JSON.stringify(l)}`);
          assert.notEqual(l.dstFlag && l.hourEnding !== 2, true);
        }
      }
    }
    assert.deepEqual(ercotHourLabel(Date.UTC(2024, 2, 10, 8)), { date: '2024-03-10', hourEnding: 4, dstFlag: false }); // 03:00 CDT
    assert.deepEqual(ercotHourLabel(Date.UTC(2024, 10, 3, 6)), { date: '2024-11-03', hourEnding: 2, dstFlag: false }); // 01:00 CDT
    assert.deepEqual(ercotHourLabel(Date.UTC(2024, 10, 3, 7)), { date: '2024-11-03', hourEnding: 2, dstFlag: true }); // 01:00 CST
    assert.deepEqual(ercotHourLabel(Date.UTC(2024, 10, 4, 5, 59)), { date: '2024-11-03', hourEnding: 24, dstFlag: false });
  });

  it('matches Intl at every hour of 1987-2040, and the change days are the ones the rule of each era names', () => {
    for (let t = Date.UTC(1987, 0, 1); t < Date.UTC(2041, 0, 1); t += HOUR_MS) {
      if (centralOffsetMs(t) !== intlOffsetMs(t)) assert.fail(`offset at ${new Date(t).toISOString()}: ${centralOffsetMs(t)} vs Intl ${intlOffsetMs(t)}`);
    }
    for (let year = 1987; year <= 2040; year++) {
      const y = centralYear(year);
      const spring = new Date(y.springDay * DAY);
      const fall = new Date(y.fallDay * DAY);
      assert.equal(spring.getUTCDay(), 0, `${year}: spring change on a Sunday`);
      assert.equal(fall.getUTCDay(), 0, `${year}: fall change on a Sunday`);
      if (year >= 2007) {
        assert.equal(spring.getUTCMonth(), 2, `${year}: March`);
        assert.ok(spring.getUTCDate() >= 8 && spring.getUTCDate() <= 14, `${year}: 2nd Sunday of March`);
        assert.equal(fall.getUTCMonth(), 10, `${year}: November`);
        assert.ok(fall.getUTCDate() <= 7, `${year}: 1st Sunday of November`);
      } else {
        assert.equal(spring.getUTCMonth(), 3, `${year}: April`);
        assert.ok(spring.getUTCDate() <= 7, `${year}: 1st Sunday of April`);
        assert.equal(fall.getUTCMonth(), 9, `${year}: October`);
        assert.ok(fall.getUTCDate() >= 25, `${year}: last Sunday of October`);
      }
      assert.deepEqual(y.skipped, [120, 180], `${year}: 02:00-03:00 skipped`);
      assert.deepEqual(y.repeated, [60, 120], `${year}: 01:00-02:00 repeated`);
      assert.deepEqual(y.offsets, [-6 * HOUR_MS, -5 * HOUR_MS, -6 * HOUR_MS]);
    }
  });

  it('takes the old US rule from the tz data: 1990 and 2006 change in April and October, 2007 in March and November', () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const b = (year: number) => Object.values(centralDstBoundsUtc(year)).map(iso);
    assert.deepEqual(b(1990), ['1990-04-01T08:00:00.000Z', '1990-10-28T07:00:00.000Z']);
    assert.deepEqual(b(2006), ['2006-04-02T08:00:00.000Z', '2006-10-29T07:00:00.000Z']);
    assert.deepEqual(b(2007), ['2007-03-11T08:00:00.000Z', '2007-11-04T07:00:00.000Z']);
    assert.equal(centralDayKind('2006-04-02'), 'spring-forward');
    assert.equal(centralDayKind('2006-03-12'), 'normal');
    assert.equal(centralDayKind('2006-10-29'), 'fall-back');
    // 1974's year-round daylight time (from 6 January) is in the tz data too; no hand rule would know it.
    assert.equal(centralOffsetMs(Date.UTC(1974, 1, 1, 12)), -5 * HOUR_MS);
    assert.equal(iso(centralYear(1974).changes[0]), '1974-01-06T08:00:00.000Z');
  });

  it('answers right when calls jump between years (the cached year is replaced, not reused)', () => {
    const instants = [Date.UTC(2024, 6, 1), Date.UTC(1999, 0, 15), Date.UTC(2024, 11, 31, 23), Date.UTC(2025, 0, 1, 1), Date.UTC(2030, 6, 1), Date.UTC(2024, 6, 1)];
    for (const t of instants) assert.equal(centralOffsetMs(t), intlOffsetMs(t), new Date(t).toISOString());
    assert.equal(centralYear(2024), centralYear(2024), 'one entry per year');
  });

  it('refuses an instant that is not a number, and a wall time in the spring gap', () => {
    assert.throws(() => centralOffsetMs(Number.NaN), RangeError);
    assert.throws(
      () => centralWallToUtc(parseErcotDate('2031-03-09'), 150, false),
      (e: unknown) => e instanceof CentralTimeError && e.reasonCode === 'nonexistent-hour' && /local 02:30 does not exist/.test(e.message),
    );
  });
});
