// trace: D.windower, D.sources
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CentralClock, centralCalendar, newCentralFields } from '../../market/calendar.js';
import { DAY_MS } from '../../market/central-time.js';
import { ercotHolidays, weekdayOfDay } from '../../market/holidays.js';

const dates = (days: Iterable<number>) => [...days].map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10)).sort();

describe('market/calendar and holidays', () => {
  it("lists ERCOT's holidays of a year, weekend dates not shifted", () => {
    assert.deepEqual(dates(ercotHolidays(2024)), ['2024-01-01', '2024-05-27', '2024-07-04', '2024-09-02', '2024-11-28', '2024-11-29', '2024-12-25']);
    // 2022: Christmas on a Sunday and New Year on a Saturday stay where they are.
    assert.deepEqual(dates(ercotHolidays(2022)), ['2022-01-01', '2022-05-30', '2022-07-04', '2022-09-05', '2022-11-24', '2022-11-25', '2022-12-25']);
    assert.equal(weekdayOfDay(0), 4); // 1970-01-01 was a Thursday
    assert.equal(weekdayOfDay(-1), 3);
  });

  it('marks a holiday by its Central date, not its UTC date', () => {
    // 2024-07-04 23:30 CDT is 2024-07-05 04:30 UTC: still the holiday; 2024-07-04 00:30 CDT is 05:30 UTC.
    assert.equal(centralCalendar(Date.UTC(2024, 6, 5, 4, 30)).isHoliday, true);
    assert.equal(centralCalendar(Date.UTC(2024, 6, 5, 5, 30)).isHoliday, false);
    assert.equal(centralCalendar(Date.UTC(2024, 6, 4, 4, 30)).isHoliday, false); // 2024-07-03 23:30 CDT
    const clock = new CentralClock();
    const f = newCentralFields();
    assert.equal(clock.fields(Date.UTC(2024, 6, 5, 4, 30), f).offDay, true);
    assert.equal(f.weekday, 4);
    assert.equal(f.hour, 23.5);
    assert.equal(clock.fields(Date.UTC(2024, 6, 5, 13), f).offDay, false); // Friday 08:00 CDT
    assert.equal(clock.fields(Date.UTC(2024, 6, 6, 13), f).offDay, true); // Saturday
    assert.equal(clock.fields(Date.UTC(2025, 0, 1, 6), f).dayOfYear, 0); // 2025-01-01 00:00 CST
  });
});
