// trace: D.market-clock
// The market clock (rag/market-clock.ts): every relative period against a fixed clock that is not the wall clock,
// on ordinary days and on both DST change days (2024-03-10, 23 hours; 2024-11-03, 25 hours).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCentralDays } from '../../market/central-time.js';
import { type Period, describePeriod, isUnknownPeriod, resolvePeriod } from '../../rag/market-clock.js';

const H = 3_600_000;
/** 2024-08-07 14:00 CDT (19:00 UTC), a Wednesday: the end of the latest stored interval. */
const NOW = Date.UTC(2024, 7, 7, 19);
const cdt = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h + 5, min);
const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h + 6, min);

function period(q: string, now = NOW): Period {
  const p = resolvePeriod(q, now);
  assert.ok(p && !isUnknownPeriod(p), `${q}: ${JSON.stringify(p)}`);
  return p;
}
const span = (p: Period) => [new Date(p.from).toISOString(), new Date(p.to).toISOString()];
const iso = (...ms: number[]) => ms.map((m) => new Date(m).toISOString());

describe('market clock: relative periods on an ordinary day', () => {
  it('now and this hour are the latest stored interval and its clock hour', () => {
    assert.deepEqual(span(period('What is the HB_WEST price right now?')), iso(NOW - 15 * 60_000, NOW));
    assert.deepEqual(span(period('latest HB_NORTH price')), iso(NOW - 15 * 60_000, NOW));
    // The clock ends at 14:00 sharp, so the hour that holds the latest interval is 13:00-14:00.
    assert.deepEqual(span(period('HB_WEST this hour')), iso(cdt(2024, 8, 7, 13), cdt(2024, 8, 7, 14)));
    assert.deepEqual(span(period('HB_WEST this hour', NOW + 20 * 60_000)), iso(cdt(2024, 8, 7, 14), cdt(2024, 8, 7, 15)));
  });

  it('today, yesterday, last night, this morning, tonight and tomorrow are Central wall-clock spans', () => {
    assert.deepEqual(span(period('prices today')), iso(cdt(2024, 8, 7), cdt(2024, 8, 8)));
    assert.deepEqual(span(period('Were there any negative prices yesterday?')), iso(cdt(2024, 8, 6), cdt(2024, 8, 7)));
    assert.deepEqual(span(period('Why did HB_WEST go negative last night?')), iso(cdt(2024, 8, 6, 18), cdt(2024, 8, 7, 6)));
    assert.deepEqual(span(period('this morning')), iso(cdt(2024, 8, 7, 6), cdt(2024, 8, 7, 12)));
    assert.deepEqual(span(period('tonight')), iso(cdt(2024, 8, 7, 18), cdt(2024, 8, 8, 6)));
    assert.deepEqual(span(period('forecast for tomorrow')), iso(cdt(2024, 8, 8), cdt(2024, 8, 9)));
    assert.deepEqual(span(period('solar yesterday afternoon')), iso(cdt(2024, 8, 6, 12), cdt(2024, 8, 6, 18)));
    assert.deepEqual(span(period('yesterday evening')), iso(cdt(2024, 8, 6, 18), cdt(2024, 8, 7)));
  });

  it('the last N hours and days, the past week and last week', () => {
    assert.deepEqual(span(period('the last 24 hours')), iso(NOW - 24 * H, NOW));
    assert.deepEqual(span(period('over the past 6 hours')), iso(NOW - 6 * H, NOW));
    assert.deepEqual(span(period('in the last hour')), iso(NOW - H, NOW));
    assert.deepEqual(span(period('the last 3 days')), iso(cdt(2024, 8, 4, 14), NOW));
    assert.deepEqual(span(period('the past week')), iso(cdt(2024, 7, 31, 14), NOW));
    // Last week: the Monday-Sunday week before this one (2024-07-29 to 2024-08-05).
    assert.deepEqual(span(period('average last week')), iso(cdt(2024, 7, 29), cdt(2024, 8, 5)));
    assert.deepEqual(span(period('this week')), iso(cdt(2024, 8, 5), NOW));
    assert.deepEqual(span(period('last month')), iso(cdt(2024, 7, 1), cdt(2024, 8, 1)));
  });

  it('the next hour and the next 24 hours start at the clock', () => {
    assert.deepEqual(span(period('next hour')), iso(NOW, NOW + H));
    assert.deepEqual(span(period('the next 24 hours')), iso(NOW, NOW + 24 * H));
    assert.equal(period('the next 24 hours').label, 'the next 24 hours');
  });

  it('written dates are Central operating days, the year of the clock when none is written', () => {
    assert.deepEqual(span(period('on 2024-07-04')), iso(cdt(2024, 7, 4), cdt(2024, 7, 5)));
    assert.deepEqual(span(period('on August 6, 2024')), iso(cdt(2024, 8, 6), cdt(2024, 8, 7)));
    assert.deepEqual(span(period('on Aug 6')), iso(cdt(2024, 8, 6), cdt(2024, 8, 7)));
  });

  it('states the period with dates and times in CT', () => {
    assert.equal(describePeriod(period('yesterday')), 'yesterday (2024-08-06 00:00 CT to 2024-08-07 00:00 CT)');
    assert.equal(describePeriod(period('last night')), 'last night (2024-08-06 18:00 CT to 2024-08-07 06:00 CT)');
  });

  it('says which relative phrases it does not know, and names none for a question without a period', () => {
    assert.deepEqual(resolvePeriod('prices over the last fortnight', NOW), { unknown: 'last fortnight' });
    assert.deepEqual(resolvePeriod('the last 500 days', NOW), { unknown: 'last 500 days' });
    assert.deepEqual(resolvePeriod('on 2024-02-30', NOW), { unknown: '2024-02-30' });
    assert.equal(resolvePeriod('What is the offer cap?', NOW), null);
  });
});

describe('market clock: DST change days', () => {
  // Spring forward: 2024-03-10 has 23 hours (02:00 CST jumps to 03:00 CDT).
  const SPRING_NOW = cdt(2024, 3, 10, 15); // 15:00 CDT on the spring-forward Sunday
  it('today on the spring-forward day is 23 hours; yesterday before it 24', () => {
    const today = period('today', SPRING_NOW);
    assert.deepEqual(span(today), iso(cst(2024, 3, 10), cdt(2024, 3, 11)));
    assert.equal(today.to - today.from, 23 * H);
    assert.equal(period('yesterday', SPRING_NOW).to - period('yesterday', SPRING_NOW).from, 24 * H);
    // Last night spans the change: 18:00 CST to 06:00 CDT is 11 hours.
    const night = period('last night', SPRING_NOW);
    assert.deepEqual(span(night), iso(cst(2024, 3, 9, 18), cdt(2024, 3, 10, 6)));
    assert.equal(night.to - night.from, 11 * H);
    // The last 3 days keep the wall time: 15:00 CST three days back, so 71 hours of real time.
    const three = period('last 3 days', SPRING_NOW);
    assert.deepEqual(span(three), iso(cst(2024, 3, 7, 15), SPRING_NOW));
    assert.equal(three.to - three.from, 71 * H);
    // The last 24 hours are 24 real hours.
    assert.equal(period('the last 24 hours', SPRING_NOW).to - period('the last 24 hours', SPRING_NOW).from, 24 * H);
  });

  // Fall back: 2024-11-03 has 25 hours (01:00-02:00 happens twice).
  const FALL_NOW = cst(2024, 11, 4, 9); // Monday 09:00 CST
  it('yesterday on the day after fall-back is 25 hours; tomorrow from the Saturday is 25 hours', () => {
    const y = period('yesterday', FALL_NOW);
    assert.deepEqual(span(y), iso(cdt(2024, 11, 3), cst(2024, 11, 4)));
    assert.equal(y.to - y.from, 25 * H);
    const tomorrow = period('tomorrow', cdt(2024, 11, 2, 12));
    assert.equal(tomorrow.to - tomorrow.from, 25 * H);
    assert.equal(describePeriod(y), 'yesterday (2024-11-03 00:00 CT to 2024-11-04 00:00 CT)');
    // Last night across the change: 18:00 CST Sunday to 06:00 CST Monday; the night before the change is 13 hours.
    assert.equal(period('last night', cdt(2024, 11, 3, 0) + 10 * H).to - period('last night', cdt(2024, 11, 3, 0) + 10 * H).from, 13 * H);
  });

  it('steps calendar days across month and year ends', () => {
    assert.equal(addCentralDays('2024-03-01', -1), '2024-02-29');
    assert.equal(addCentralDays('2024-12-31', 1), '2025-01-01');
    assert.deepEqual(span(period('last month', cst(2025, 1, 15, 12))), iso(cst(2024, 12, 1), cst(2025, 1, 1)));
  });
});

describe('market clock: a clock time on a day', () => {
  it('narrows the named day to the clock hour, the 15-minute interval or the hour ending', () => {
    const six = period('What will HB_NORTH be at 6pm tomorrow?');
    assert.deepEqual(span(six), iso(cdt(2024, 8, 8, 18), cdt(2024, 8, 8, 19)));
    assert.equal(six.label, 'tomorrow 18:00-19:00');
    assert.equal(six.rule, 'clock-time');
    assert.deepEqual(span(period('HB_NORTH price tomorrow at 18:00')), iso(cdt(2024, 8, 8, 18), cdt(2024, 8, 8, 19)));
    assert.deepEqual(span(period('the price yesterday at 6:40 p.m.')), iso(cdt(2024, 8, 6, 18, 30), cdt(2024, 8, 6, 18, 45)));
    assert.deepEqual(span(period('HB_WEST on 2024-08-05 at 07:15')), iso(cdt(2024, 8, 5, 7, 15), cdt(2024, 8, 5, 7, 30)));
    // ERCOT's hour ending 18 is 17:00-18:00; HE1 is the first hour of the day.
    assert.deepEqual(span(period('hour ending 18 tomorrow')), iso(cdt(2024, 8, 8, 17), cdt(2024, 8, 8, 18)));
    assert.deepEqual(span(period('HE1 yesterday')), iso(cdt(2024, 8, 6, 0), cdt(2024, 8, 6, 1)));
    assert.deepEqual(span(period('at noon today')), iso(cdt(2024, 8, 7, 12), cdt(2024, 8, 7, 13)));
    assert.deepEqual(span(period('12am tomorrow')), iso(cdt(2024, 8, 8, 0), cdt(2024, 8, 8, 1)));
    // No day named: the market clock's day.
    assert.deepEqual(span(period('price at 9am')), iso(cdt(2024, 8, 7, 9), cdt(2024, 8, 7, 10)));
  });

  it('leaves spans that are not a day alone, and names impossible times', () => {
    assert.deepEqual(span(period('the last 24 hours, peak at 6pm')), iso(NOW - 24 * H, NOW));
    for (const q of ['price at 25:00 today', 'hour ending 0 tomorrow', 'HE 25 today', '13pm tomorrow']) {
      const p = resolvePeriod(q, NOW);
      assert.ok(isUnknownPeriod(p), `${q}: ${JSON.stringify(p)}`);
    }
    // A battery size is not a clock time.
    assert.equal(resolvePeriod('a 10 MW / 20 MWh battery', NOW), null);
  });

  it('places a clock hour on the DST change days by Central wall time', () => {
    // 2024-03-10 springs forward at 02:00: 06:00 CDT is 11:00 UTC. 2024-11-03 falls back: 18:00 CST is 00:00 UTC the 4th.
    assert.deepEqual(span(period('HB_NORTH at 6am on 2024-03-10')), iso(cdt(2024, 3, 10, 6), cdt(2024, 3, 10, 7)));
    assert.deepEqual(span(period('HB_NORTH at 6pm on 2024-11-03')), iso(cst(2024, 11, 3, 18), cst(2024, 11, 3, 19)));
  });

  it('labels a time asked inside the spring-forward gap with the span it really starts at', () => {
    // 02:00-03:00 does not exist on 2024-03-10 (02:00 CST jumps to 03:00 CDT): 2:30am is read as 03:00 CDT on.
    const q = period('HB_NORTH at 2:30am on 2024-03-10');
    assert.deepEqual(span(q), iso(cdt(2024, 3, 10, 3), cdt(2024, 3, 10, 3, 15)));
    assert.equal(q.label, '2024-03-10 03:00-03:15 (02:30-02:45 is skipped by the clock change that day)');
    assert.equal(describePeriod(q), '2024-03-10 03:00-03:15 (02:30-02:45 is skipped by the clock change that day) (2024-03-10 03:00 CT to 2024-03-10 03:15 CT)');
    const he3 = period('HB_NORTH hour ending 3 on 2024-03-10');
    assert.deepEqual(span(he3), iso(cdt(2024, 3, 10, 3), cdt(2024, 3, 10, 4)));
    assert.equal(he3.label, '2024-03-10 03:00-04:00 (hour ending 3 is skipped by the clock change that day)');
    // A time outside the gap keeps the label as asked.
    assert.equal(period('HB_NORTH at 3:30am on 2024-03-10').label, '2024-03-10 03:30-03:45');
  });
});

describe('market clock: a time range on a day', () => {
  it('is the whole range, not its first hour', () => {
    for (const q of [
      'average HB_NORTH price on 2024-06-10 between 17:00 and 20:00',
      'average HB_NORTH price on 2024-06-10 from 17:00 to 20:00',
      'TAYLOR_EW load on 2024-06-10 from 5pm to 8pm',
      'HB_NORTH 2024-06-10 17:00-20:00',
      'HB_NORTH between 5 and 8pm on 2024-06-10',
      'HB_NORTH from 17:00 until 20:00 on 2024-06-10',
    ]) {
      const p = period(q);
      assert.deepEqual(span(p), iso(cdt(2024, 6, 10, 17), cdt(2024, 6, 10, 20)), q);
      assert.equal(p.label, '2024-06-10 17:00-20:00', q);
      assert.equal(p.rule, 'clock-time');
    }
    // A named relative day, no day (the clock's), minutes (start floored, end raised to the 15-minute grid).
    assert.deepEqual(span(period('HB_NORTH yesterday between 6pm and 9pm')), iso(cdt(2024, 8, 6, 18), cdt(2024, 8, 6, 21)));
    assert.deepEqual(span(period('HB_NORTH between 09:00 and 11:00')), iso(cdt(2024, 8, 7, 9), cdt(2024, 8, 7, 11)));
    assert.deepEqual(span(period('HB_NORTH on 2024-08-05 between 6:10pm and 7:20pm')), iso(cdt(2024, 8, 5, 18), cdt(2024, 8, 5, 19, 30)));
    // To midnight, and past it into the next day.
    assert.deepEqual(span(period('HB_NORTH from noon to midnight on 2024-08-05')), iso(cdt(2024, 8, 5, 12), cdt(2024, 8, 6, 0)));
    assert.deepEqual(span(period('HB_NORTH from 22:00 to 02:00 on 2024-08-05')), iso(cdt(2024, 8, 5, 22), cdt(2024, 8, 6, 2)));
  });

  it('spans a clock change by wall time, and names impossible or empty ranges', () => {
    // 2024-11-03 falls back at 02:00 CDT: 00:00-04:00 wall time is 5 hours.
    assert.deepEqual(span(period('HB_NORTH between 00:00 and 04:00 on 2024-11-03')), iso(cdt(2024, 11, 3, 0), cst(2024, 11, 3, 4)));
    for (const q of ['HB_NORTH between 25:00 and 26:00 today', 'HB_NORTH from 13pm to 2pm today', 'HB_NORTH from 17:00 to 17:00 today']) {
      assert.ok(isUnknownPeriod(resolvePeriod(q, NOW)), q);
    }
    // Bare numbers are not clock times ("between 5 and 8" names no time; a size is not a range).
    assert.equal(period('HB_NORTH between 5 and 8 yesterday').label, 'yesterday');
    assert.equal(resolvePeriod('a battery of 10 to 20 MWh', NOW), null);
  });
});
