// trace: 1.3
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CentralTimeError,
  centralDateOf,
  centralDayKind,
  centralDstBoundsUtc,
  centralMidnightUtc,
  centralToUtc,
  hoursInCentralDay,
  parseDstFlag,
  parseErcotDate,
  parseHourEnding,
  parseInterval,
} from '../../market/central-time.js';

const iso = (ms: number) => new Date(ms).toISOString();
const utc = (s: string) => Date.parse(s);

function throwsField(fn: () => unknown, field: string, reasonCode?: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CentralTimeError, String(err));
    assert.equal(err.field, field);
    if (reasonCode) assert.equal(err.reasonCode, reasonCode);
    return true;
  });
}

describe('central time: DST rules', () => {
  it('knows the change instants since 2007 and before', () => {
    assert.deepEqual(centralDstBoundsUtc(2024), { start: utc('2024-03-10T08:00:00Z'), end: utc('2024-11-03T07:00:00Z') });
    assert.deepEqual(centralDstBoundsUtc(2025), { start: utc('2025-03-09T08:00:00Z'), end: utc('2025-11-02T07:00:00Z') });
    assert.deepEqual(centralDstBoundsUtc(2006), { start: utc('2006-04-02T08:00:00Z'), end: utc('2006-10-29T07:00:00Z') });
    assert.equal(centralDayKind('2024-03-10'), 'spring-forward');
    assert.equal(centralDayKind('11/03/2024'), 'fall-back');
    assert.equal(centralDayKind('2024-07-04'), 'normal');
    assert.equal(hoursInCentralDay('2024-03-10'), 23);
    assert.equal(hoursInCentralDay('2024-11-03'), 25);
    assert.equal(hoursInCentralDay('2024-11-04'), 24);
  });

  it('gives the Central date of an instant and the UTC instant of a local midnight', () => {
    assert.equal(centralDateOf(utc('2024-11-03T05:30:00Z')), '2024-11-03');
    assert.equal(centralDateOf(utc('2024-11-03T04:59:00Z')), '2024-11-02');
    assert.equal(centralDateOf(utc('2024-01-16T05:59:00Z')), '2024-01-15');
    assert.equal(iso(centralMidnightUtc('2024-03-10')), '2024-03-10T06:00:00.000Z');
    assert.equal(iso(centralMidnightUtc('2024-03-11')), '2024-03-11T05:00:00.000Z');
  });
});

describe('central time: centralToUtc', () => {
  it('converts a normal winter and summer day, hour ending 24 ending at the next local midnight', () => {
    assert.deepEqual(centralToUtc('2024-01-15', 1, 1, false, 60), { start: utc('2024-01-15T06:00:00Z'), end: utc('2024-01-15T07:00:00Z') });
    assert.deepEqual(centralToUtc('01/15/2024', 24, 1, false, 60), { start: utc('2024-01-16T05:00:00Z'), end: utc('2024-01-16T06:00:00Z') });
    assert.deepEqual(centralToUtc('2024-07-15', 24, 1, false, 60), { start: utc('2024-07-16T04:00:00Z'), end: utc('2024-07-16T05:00:00Z') });
    assert.deepEqual(centralToUtc('2024-07-15', 18, 3, false, 15), { start: utc('2024-07-15T22:30:00Z'), end: utc('2024-07-15T22:45:00Z') });
    assert.deepEqual(centralToUtc('2024-12-31', 24, 4, false, 15), { start: utc('2025-01-01T05:45:00Z'), end: utc('2025-01-01T06:00:00Z') });
  });

  it('spring-forward day: HE 2 is 01:00 CST, HE 4 is 03:00 CDT, HE 24 ends at the next midnight (CDT)', () => {
    assert.equal(iso(centralToUtc('2024-03-10', 1, 1, false, 60).start), '2024-03-10T06:00:00.000Z');
    assert.equal(iso(centralToUtc('2024-03-10', 2, 1, false, 60).start), '2024-03-10T07:00:00.000Z');
    assert.equal(iso(centralToUtc('2024-03-10', 2, 4, false, 15).end), '2024-03-10T08:00:00.000Z');
    assert.equal(iso(centralToUtc('2024-03-10', 4, 1, false, 60).start), '2024-03-10T08:00:00.000Z');
    assert.equal(iso(centralToUtc('2024-03-10', 24, 1, false, 60).end), '2024-03-11T05:00:00.000Z');
  });

  it('spring-forward day: a label in the missing 02:00-03:00 (hour ending 03) is an error naming the hour, never moved onto HE 2', () => {
    throwsField(() => centralToUtc('2024-03-10', 3, 1, false, 60), 'hour', 'nonexistent-hour');
    throwsField(() => centralToUtc('2024-03-10', 3, 2, false, 15), 'hour', 'nonexistent-hour');
    assert.throws(() => centralToUtc('2024-03-10', 3, 4, false, 15), /local 02:45 does not exist: on the spring-forward day clocks jump from 02:00 CST to 03:00 CDT/);
  });

  it('fall-back day: HE 2 happens twice, DSTFlag true is the second (CST) occurrence', () => {
    assert.equal(iso(centralToUtc('2024-11-03', 1, 1, false, 60).start), '2024-11-03T05:00:00.000Z');
    assert.equal(iso(centralToUtc('2024-11-03', 2, 1, false, 60).start), '2024-11-03T06:00:00.000Z');
    assert.equal(iso(centralToUtc('2024-11-03', 2, 1, true, 60).start), '2024-11-03T07:00:00.000Z');
    assert.equal(iso(centralToUtc('2024-11-03', 2, 4, true, 15).start), '2024-11-03T07:45:00.000Z');
    assert.equal(iso(centralToUtc('2024-11-03', 3, 1, false, 60).start), '2024-11-03T08:00:00.000Z');
    assert.deepEqual(centralToUtc('2024-11-03', 24, 1, false, 60), { start: utc('2024-11-04T05:00:00Z'), end: utc('2024-11-04T06:00:00Z') });
  });

  it('rejects labels that name no interval, naming the field', () => {
    throwsField(() => centralToUtc('2024-07-15', 0, 1, false, 60), 'hour');
    throwsField(() => centralToUtc('2024-07-15', 25, 1, false, 60), 'hour');
    throwsField(() => centralToUtc('2024-07-15', 1.5, 1, false, 60), 'hour');
    throwsField(() => centralToUtc('2024-07-15', 1, 5, false, 15), 'interval');
    throwsField(() => centralToUtc('2024-07-15', 1, 2, false, 60), 'interval');
    throwsField(() => centralToUtc('2024-02-30', 1, 1, false, 60), 'date');
    throwsField(() => centralToUtc('2024-7-15', 1, 1, false, 60), 'date');
    // DSTFlag Y outside the repeated hour is a bad timestamp.
    throwsField(() => centralToUtc('2024-07-15', 2, 1, true, 60), 'dstFlag', 'bad-timestamp');
    throwsField(() => centralToUtc('2024-11-03', 3, 1, true, 60), 'dstFlag', 'bad-timestamp');
  });

  it('tiles every day 2000-2040 exactly (ERCOT labels: HE 3 omitted in spring, HE 2 repeated in fall)', () => {
    for (let day = Date.UTC(2000, 0, 1); day < Date.UTC(2041, 0, 1); day += 86_400_000) {
      const date = new Date(day).toISOString().slice(0, 10);
      const kind = centralDayKind(date);
      const labels: Array<[number, boolean]> = [];
      for (let he = 1; he <= 24; he++) {
        if (kind === 'spring-forward' && he === 3) continue;
        labels.push([he, false]);
        if (kind === 'fall-back' && he === 2) labels.push([2, true]);
      }
      let expected = centralMidnightUtc(date);
      for (const [he, flag] of labels) {
        for (let q = 1; q <= 4; q++) {
          const { start, end } = centralToUtc(date, he, q, flag, 15);
          assert.equal(start, expected, `${date} HE${he}${flag ? '*' : ''} q${q}`);
          expected = end;
        }
      }
      const next = new Date(day + 86_400_000).toISOString().slice(0, 10);
      assert.equal(expected, centralMidnightUtc(next), `${date} ends at the next local midnight`);
      assert.equal((expected - centralMidnightUtc(date)) / 3_600_000, hoursInCentralDay(date));
    }
  });

  it('agrees with the IANA zone America/Chicago (Intl) for every hour 2019-2026', () => {
    const fmt = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    const local = (ms: number) => {
      const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
    };
    for (let day = Date.UTC(2019, 0, 1); day < Date.UTC(2027, 0, 1); day += 86_400_000) {
      const date = new Date(day).toISOString().slice(0, 10);
      const kind = centralDayKind(date);
      for (let he = 1; he <= 24; he++) {
        if (kind === 'spring-forward' && he === 3) continue;
        const { start } = centralToUtc(date, he, 1, false, 60);
        assert.equal(local(start), `${date} ${String(he - 1).padStart(2, '0')}:00`);
        if (kind === 'fall-back' && he === 2) {
          const second = centralToUtc(date, 2, 1, true, 60).start;
          assert.equal(local(second), `${date} 01:00`);
          assert.equal(second - start, 3_600_000);
        }
      }
    }
  });
});

describe('central time: label parsing', () => {
  it('parses dates in both ERCOT formats', () => {
    assert.deepEqual(parseErcotDate('2024-11-03'), { year: 2024, month: 11, day: 3 });
    assert.deepEqual(parseErcotDate('11/03/2024'), { year: 2024, month: 11, day: 3 });
    assert.deepEqual(parseErcotDate('2/29/2024'), { year: 2024, month: 2, day: 29 });
    throwsField(() => parseErcotDate('2/29/2023'), 'date');
    throwsField(() => parseErcotDate('2024-13-01'), 'date');
    throwsField(() => parseErcotDate('yesterday'), 'date');
  });

  it('parses hour endings, intervals and DST flags as ERCOT writes them', () => {
    assert.equal(parseHourEnding('01:00'), 1);
    assert.equal(parseHourEnding('24:00'), 24);
    assert.equal(parseHourEnding(' 7 '), 7);
    assert.equal(parseHourEnding(13), 13);
    for (const bad of ['00:00', '25:00', '1:30', '02*', '', 1.5, null]) throwsField(() => parseHourEnding(bad), 'hour');
    assert.equal(parseInterval('3'), 3);
    assert.equal(parseInterval(4), 4);
    for (const bad of ['0', 5, 'x', 2.5]) throwsField(() => parseInterval(bad), 'interval');
    assert.equal(parseDstFlag(true), true);
    assert.equal(parseDstFlag(false), false);
    assert.equal(parseDstFlag('Y'), true);
    assert.equal(parseDstFlag(' n '), false);
    assert.equal(parseDstFlag('false'), false);
    for (const bad of ['X', '', 1, null]) throwsField(() => parseDstFlag(bad), 'dstFlag', 'bad-dst-flag');
  });
});
