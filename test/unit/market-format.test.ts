// trace: D.numbers-from-tools, D.market-clock
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { centralClockText, centralLabel, formatDollars, formatValue, isMoneyUnit, kindLabel, roundAsWritten, hourEndingRanges, seriesLabel, unitText } from '../../market/format.js';

describe('market/format: values and times as the product writes them', () => {
  it('writes money with cents and everything else whole, and rounds to what it writes', () => {
    assert.equal(formatValue(41.365, 'USD/MWh'), '41.37');
    assert.equal(formatValue(-3.1, '$/MWh'), '-3.10');
    assert.equal(formatValue(5_000, '$'), '5000.00');
    assert.equal(formatValue(52_013.5, 'MW'), '52014');
    assert.equal(formatValue(7.4, 'intervals'), '7');
    assert.equal(roundAsWritten(41.368, 'USD/MWh'), 41.37);
    assert.equal(roundAsWritten(52_013.4, 'MW'), 52_013);
    assert.ok(isMoneyUnit('USD/MWh') && isMoneyUnit('$/MWh') && !isMoneyUnit('MW'));
  });

  it('writes whole dollars with the sign before the dollar sign', () => {
    assert.equal(formatDollars(2100), '$2,100');
    assert.equal(formatDollars(10_771.4), '$10,771');
    assert.equal(formatDollars(-43.2), '-$43');
    assert.equal(formatDollars(-0.4), '$0');
    assert.equal(formatDollars(-1_234.5), '-$1,234');
  });

  it('names units, kinds and series sets in words', () => {
    assert.equal(unitText('USD/MWh'), '$/MWh');
    assert.equal(unitText('MW'), 'MW');
    assert.equal(kindLabel('RT_PRICE'), 'real-time price');
    assert.equal(kindLabel('DAM_PRICE'), 'day-ahead price');
    assert.equal(kindLabel('SOLAR'), 'solar generation');
    assert.equal(kindLabel('NET_LOAD'), 'net_load');
    assert.equal(seriesLabel('ERCOT', 'HB_NORTH', 'RT_PRICE'), 'ERCOT/HB_NORTH/RT_PRICE');
    assert.equal(seriesLabel('ERCOT', ['HB_NORTH', 'HB_WEST'], 'RT_PRICE'), 'ERCOT/HB_NORTH,HB_WEST/RT_PRICE');
    assert.equal(seriesLabel('run.x', [], 'LOAD'), 'run.x/*/LOAD');
    assert.equal(hourEndingRanges([9, 1, 2, 3, 7, 10, 2]), 'HE 1-3, HE 7, HE 9-10');
    assert.equal(hourEndingRanges([]), 'none');
  });

  it('writes instants in Central prevailing time, CST in winter and CDT in summer, across both DST changes', () => {
    assert.equal(centralLabel(Date.UTC(2024, 6, 1, 22)), '2024-07-01 17:00 CT'); // CDT, UTC-5
    assert.equal(centralLabel(Date.UTC(2024, 0, 15, 6)), '2024-01-15 00:00 CT'); // CST, UTC-6
    assert.equal(centralLabel(Date.UTC(2024, 0, 1, 5, 59)), '2023-12-31 23:59 CT'); // the date is Central's
    assert.equal(centralClockText(Date.UTC(2024, 2, 10, 7, 59)), '01:59'); // spring-forward day: 01:59 CST ...
    assert.equal(centralClockText(Date.UTC(2024, 2, 10, 8)), '03:00'); // ... then 03:00 CDT
    assert.equal(centralClockText(Date.UTC(2024, 10, 3, 6, 30)), '01:30'); // fall-back day: 01:30 CDT ...
    assert.equal(centralClockText(Date.UTC(2024, 10, 3, 7, 30)), '01:30'); // ... and 01:30 CST again
    assert.equal(centralLabel(Date.UTC(1995, 3, 2, 8)), '1995-04-02 03:00 CT'); // the old rule's first Sunday of April
  });
});
