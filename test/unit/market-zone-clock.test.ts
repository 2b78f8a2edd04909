// trace: D.market-clock
// A market's own clock (market/zone-clock.ts): ERCOT's times and days are US Central as market/central-time.ts has
// them, GB's are UK time from the tz database (Europe/London: GMT in winter, BST in summer), with the change days'
// gap and repeated hour. Expected instants are written out here, not computed by the code under test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { centralDateOf, centralMidnightUtc } from '../../market/central-time.js';
import { centralLabel } from '../../market/format.js';
import { CENTRAL_CLOCK, UK_CLOCK, marketClock, unambiguousLabel, zoneClock } from '../../market/zone-clock.js';

describe('market clocks', () => {
  it('US Central is central-time.ts: the same labels, dates and midnights, the spring gap reading as 03:00 CDT', () => {
    for (const t of [Date.UTC(2024, 2, 10, 7, 59), Date.UTC(2024, 2, 10, 8), Date.UTC(2024, 10, 3, 6, 30), Date.UTC(2024, 10, 3, 7, 30), Date.UTC(2024, 6, 1, 22)]) {
      assert.equal(CENTRAL_CLOCK.label(t), centralLabel(t));
      assert.equal(CENTRAL_CLOCK.dateOf(t), centralDateOf(t));
    }
    for (const d of ['2024-03-10', '2024-11-03', '2024-07-01']) assert.equal(CENTRAL_CLOCK.midnightUtc(d), centralMidnightUtc(d));
    assert.equal(CENTRAL_CLOCK.wallToUtc('2024-03-10', 150), Date.UTC(2024, 2, 10, 8)); // 02:30 does not exist: 03:00 CDT
    assert.equal(CENTRAL_CLOCK.label(Date.UTC(2024, 6, 1, 22)), '2024-07-01 17:00 CT');
  });

  it('UK time: BST in summer, GMT in winter, labelled UK', () => {
    assert.equal(UK_CLOCK.label(Date.UTC(2014, 7, 31, 23)), '2014-09-01 00:00 UK');
    assert.equal(UK_CLOCK.label(Date.UTC(2000, 0, 1, 12)), '2000-01-01 12:00 UK');
    assert.equal(UK_CLOCK.dateOf(Date.UTC(2000, 5, 4, 23)), '2000-06-05');
    assert.equal(UK_CLOCK.clockText(Date.UTC(2000, 5, 4, 23, 30)), '00:30');
    assert.equal(UK_CLOCK.midnightUtc('2000-06-05'), Date.UTC(2000, 5, 4, 23));
    assert.equal(UK_CLOCK.midnightUtc('2000-12-05'), Date.UTC(2000, 11, 5));
    assert.equal(UK_CLOCK.wallToUtc('2000-06-05', 17 * 60 + 30), Date.UTC(2000, 5, 5, 16, 30));
  });

  it('UK change days: 01:30 on the last Sunday of March reads as 02:00 BST; 01:30 in October is its first (BST) occurrence', () => {
    assert.equal(UK_CLOCK.wallToUtc('2024-03-31', 90), Date.UTC(2024, 2, 31, 1));
    assert.equal(UK_CLOCK.wallToUtc('2024-10-27', 90), Date.UTC(2024, 9, 27, 0, 30));
    assert.equal(UK_CLOCK.midnightUtc('2024-04-01') - UK_CLOCK.midnightUtc('2024-03-31'), 23 * 3_600_000);
    assert.equal(UK_CLOCK.midnightUtc('2024-10-28') - UK_CLOCK.midnightUtc('2024-10-27'), 25 * 3_600_000);
    assert.throws(() => UK_CLOCK.wallToUtc('2024-02-30', 0), /2024-02-30|date/i);
    assert.throws(() => UK_CLOCK.wallToUtc('2024-03-01', 1440), /outside 0-1439/);
  });

  it('each market on its clock: GB (and the bench copy QGB, and a run of GB) on UK time, ERCOT and any other on US Central', () => {
    assert.equal(marketClock('GB'), UK_CLOCK);
    assert.equal(marketClock('QGB'), UK_CLOCK);
    assert.equal(marketClock('run.backtest-1.GB'), UK_CLOCK);
    assert.equal(marketClock('ERCOT'), CENTRAL_CLOCK);
    assert.equal(marketClock('QSIM'), CENTRAL_CLOCK);
    assert.equal(marketClock('run.backtest-1.ERCOT'), CENTRAL_CLOCK);
    assert.throws(() => zoneClock('Europe/Nowhere', 'X'), RangeError);
  });

  it('a member taken off its clock works alike (no member depends on `this`)', () => {
    const { midnightUtc: centralMidnight, wallToUtc: centralWall } = CENTRAL_CLOCK;
    const { midnightUtc: ukMidnight, wallToUtc: ukWall } = UK_CLOCK;
    assert.equal(centralMidnight('2024-03-10'), Date.UTC(2024, 2, 10, 6)); // 00:00 CST
    assert.equal(centralWall('2024-03-10', 150), Date.UTC(2024, 2, 10, 8)); // 02:30 does not exist: 03:00 CDT
    assert.equal(ukMidnight('2000-06-05'), Date.UTC(2000, 5, 4, 23)); // 00:00 BST
    assert.equal(ukWall('2024-03-31', 90), Date.UTC(2024, 2, 31, 1));
    assert.deepEqual(['2024-07-01', '2024-11-03'].map(CENTRAL_CLOCK.midnightUtc), [Date.UTC(2024, 6, 1, 5), Date.UTC(2024, 10, 3, 5)]);
  });

  it('unambiguousLabel names the zone of a time the clock shows twice (the repeated fall-back hour), else is label', () => {
    // 2024-11-03 in Central: 01:00 CDT = 06:00 UTC, 01:00 CST = 07:00 UTC; 00:30 CDT and 02:00 CST are shown once.
    assert.equal(unambiguousLabel(CENTRAL_CLOCK, Date.UTC(2024, 10, 3, 6)), '2024-11-03 01:00 CDT');
    assert.equal(unambiguousLabel(CENTRAL_CLOCK, Date.UTC(2024, 10, 3, 7)), '2024-11-03 01:00 CST');
    assert.equal(unambiguousLabel(CENTRAL_CLOCK, Date.UTC(2024, 10, 3, 7, 59)), '2024-11-03 01:59 CST');
    assert.equal(unambiguousLabel(CENTRAL_CLOCK, Date.UTC(2024, 10, 3, 5, 30)), '2024-11-03 00:30 CT');
    assert.equal(unambiguousLabel(CENTRAL_CLOCK, Date.UTC(2024, 10, 3, 8)), '2024-11-03 02:00 CT');
    assert.equal(unambiguousLabel(CENTRAL_CLOCK, Date.UTC(2024, 6, 1, 22)), '2024-07-01 17:00 CT');
    // UK, 2024-10-27: 01:00 BST = 00:00 UTC, 01:00 GMT = 01:00 UTC.
    assert.equal(unambiguousLabel(UK_CLOCK, Date.UTC(2024, 9, 27, 0)), '2024-10-27 01:00 UK UTC+1');
    assert.equal(unambiguousLabel(UK_CLOCK, Date.UTC(2024, 9, 27, 1)), '2024-10-27 01:00 UK UTC+0');
    assert.equal(unambiguousLabel(UK_CLOCK, Date.UTC(2024, 9, 27, 2)), '2024-10-27 02:00 UK');
  });
});
