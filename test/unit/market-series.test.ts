// trace: D.windower
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYSTEM_SERIES_ID, parseSeriesKey, seriesKey, seriesKeyOf, seriesRecordKey } from '../../market/series.js';
import { isContextTick } from '../../platform/kafka/context-series.js';

describe('market/series: one name for a series', () => {
  it('keeps the key the windower changelog stores (market, series id, kind joined by NUL)', () => {
    // Stored in WindowerChangelog.seriesKey: a different encoding would orphan the state of running windowers.
    assert.equal(seriesKey('ERCOT', 'HB_NORTH', 'RT_PRICE'), 'ERCOT\u0000HB_NORTH\u0000RT_PRICE');
    assert.equal(seriesKeyOf({ market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE' }), seriesKey('ERCOT', 'HB_NORTH', 'RT_PRICE'));
  });

  it('parses a key back, and refuses text that is not one', () => {
    const s = { market: 'run.bt-1', seriesId: 'LZ_HOUSTON_EW', kind: 'DAM_PRICE' };
    assert.deepEqual(parseSeriesKey(seriesKeyOf(s)), s);
    assert.throws(() => parseSeriesKey('ERCOT/HB_NORTH/RT_PRICE'), RangeError);
    assert.throws(() => parseSeriesKey(seriesRecordKey(s, 1)), RangeError);
    assert.throws(() => parseSeriesKey(seriesKey('ERCOT', '', 'LOAD')), RangeError);
  });

  it('tells series and records apart where joined text would not', () => {
    // "A_B" + "C" and "A" + "B_C" with an underscore join would collide; a NUL join cannot.
    assert.notEqual(seriesKey('ERCOT', 'HB_A', 'B'), seriesKey('ERCOT', 'HB', 'A_B'));
    const w = { market: 'ERCOT', seriesId: 'HB_WEST', kind: 'RT_PRICE' };
    assert.notEqual(seriesRecordKey(w, 3_600_000, 1_700_000_000_000), seriesRecordKey(w, 900_000, 1_700_000_000_000));
    assert.equal(seriesRecordKey(w, 'v001', 5), `${seriesKeyOf(w)}\u0000v001\u00005`);
    assert.equal(seriesRecordKey(w), seriesKeyOf(w));
  });

  it('has one SYSTEM series id, the one the context-series copies use', () => {
    assert.equal(SYSTEM_SERIES_ID, 'SYSTEM');
    assert.ok(isContextTick({ seriesId: SYSTEM_SERIES_ID, kind: 'WIND' }));
    assert.ok(!isContextTick({ seriesId: SYSTEM_SERIES_ID, kind: 'RT_PRICE' }));
    assert.ok(!isContextTick({ seriesId: 'HB_NORTH', kind: 'LOAD' }));
  });
});
