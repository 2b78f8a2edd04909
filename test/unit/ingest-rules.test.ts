// trace: 1.4
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MarketTick } from '../../schemas/types.js';
import { imputeGaps } from '../../streams/imputation.js';
import { type Parsed, accept, reject } from '../../market/parsed.js';
import { SDA_CSV_HEADER, isSdaCsvHeader, parseSdaCsvLine, toSdaCsvLine } from '../../streams/replay/sda-csv.js';
import { checkTick } from '../../market/tick-validation.js';

const T0 = Date.UTC(2024, 6, 1);
const Q = 900_000;
const tick = (i: number, value: number, seriesId = 'HB_NORTH'): MarketTick => ({ market: 'ERCOT', seriesId, pointType: 'HUB', kind: 'RT_PRICE', intervalStart: T0 + i * Q, intervalEnd: T0 + (i + 1) * Q, value, unit: 'USD/MWh', source: 'test', ingestedAt: T0, imputed: false });
const missing = (i: number, seriesId = 'HB_NORTH'): Parsed => {
  const { value: _v, ...slot } = tick(i, 0, seriesId);
  return reject({ reasonCode: 'missing-field', message: `price empty at ${i}`, raw: `row ${i}`, origin: `test:${i}`, slot });
};
const values = (items: Parsed[], seriesId = 'HB_NORTH') =>
  items.flatMap((p) => (p.ok && p.tick.seriesId === seriesId ? [[(p.tick.intervalStart - T0) / Q, p.tick.value, p.tick.imputed ?? false] as const] : [])).sort((a, b) => a[0] - b[0]);

describe('gap policy (imputation)', () => {
  it('fills a gap of up to maxGap intervals by linear interpolation and marks the ticks imputed', () => {
    const { items, imputed } = imputeGaps([accept(tick(0, 10)), missing(1), missing(2), accept(tick(3, 40))], 2);
    assert.equal(imputed, 2);
    assert.deepEqual(values(items), [[0, 10, false], [1, 20, true], [2, 30, true], [3, 40, false]]);
  });

  it('dead-letters every row of a gap longer than maxGap, saying why', () => {
    const { items, imputed } = imputeGaps([accept(tick(0, 10)), missing(1), missing(2), missing(3), accept(tick(4, 50))], 2);
    assert.equal(imputed, 0);
    const rejected = items.filter((p) => !p.ok);
    assert.equal(rejected.length, 3);
    for (const r of rejected) assert.match((r as { rejection: { message: string } }).rejection.message, /gap of 3 intervals exceeds the policy maximum of 2/);
  });

  it('never fills at the edges (no neighbour on one side) or when maxGap is 0', () => {
    assert.equal(imputeGaps([missing(0), accept(tick(1, 10)), missing(2)], 2).imputed, 0);
    assert.equal(imputeGaps([accept(tick(0, 10)), missing(1), accept(tick(2, 30))], 0).imputed, 0);
    const edge = imputeGaps([missing(0), accept(tick(1, 10))], 2).items.find((p) => !p.ok);
    assert.match((edge as { rejection: { message: string } }).rejection.message, /no observed neighbour on both sides/);
  });

  it('keeps series apart, keeps observed negative and capped prices as they are, and passes other rejections through', () => {
    const other = reject({ reasonCode: 'bad-timestamp', message: 'x', raw: 'r', origin: 'o' });
    const { items } = imputeGaps([accept(tick(0, -251)), missing(1), accept(tick(2, 5_000)), accept(tick(0, 1, 'HB_WEST')), missing(1, 'HB_WEST'), other], 2);
    assert.deepEqual(values(items), [[0, -251, false], [1, 2374.5, true], [2, 5_000, false]]);
    assert.deepEqual(values(items, 'HB_WEST'), [[0, 1, false]], 'no right neighbour in HB_WEST: not filled');
    assert.ok(items.includes(other));
    assert.equal(items.length, 6, 'every input is accounted for');
  });

  it('does not let a missing row override an observed value for the same interval', () => {
    const { items, imputed } = imputeGaps([accept(tick(0, 10)), missing(0), accept(tick(1, 20))], 2);
    assert.equal(imputed, 0);
    assert.deepEqual(values(items), [[0, 10, false], [1, 20, false]]);
    assert.equal(items.filter((p) => !p.ok).length, 1);
  });
});

describe('tick validation', () => {
  it('accepts negative prices, prices at the offer cap and zero solar', () => {
    assert.equal(checkTick(tick(0, -251)), undefined);
    assert.equal(checkTick(tick(0, 5_000)), undefined);
    assert.equal(checkTick({ ...tick(0, 0), kind: 'SOLAR', unit: 'MW', pointType: 'SYSTEM', seriesId: 'SYSTEM' }), undefined);
  });

  for (const [name, t, pattern] of [
    ['a NaN value', { ...tick(0, Number.NaN) }, /not a finite number/],
    ['an empty interval', { ...tick(0, 1), intervalEnd: T0 }, /must last between 1 minute and 31 days/],
    ['a unit that does not fit the kind', { ...tick(0, 1), unit: 'MW' }, /unit "MW" does not match kind \(expected USD\/MWh\)/],
    ['a negative load', { ...tick(0, -5), kind: 'LOAD' as const, unit: 'MW' }, /power -5 MW is outside/],
    ['an absurd price', { ...tick(0, 1e6) }, /price 1000000 is outside/],
    ['a series id with spaces', { ...tick(0, 1), seriesId: 'HB NORTH' }, /seriesId "HB NORTH" must be/],
    ['a date before 1990', { ...tick(0, 1), intervalStart: 0, intervalEnd: Q }, /outside 1990-2100/],
  ] as const) {
    it(`rejects ${name}`, () => assert.match(checkTick(t as MarketTick)?.message ?? 'accepted', pattern));
  }
});

describe('the project CSV format', () => {
  it('round-trips a tick, imputed flag included', () => {
    const t = { ...tick(5, -12.5), imputed: true, source: 'file-replay' };
    const parsed = parseSdaCsvLine(toSdaCsvLine(t), 'f:2', T0);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.tick, t);
    assert.ok(isSdaCsvHeader(`\uFEFF${SDA_CSV_HEADER}\r`));
  });

  it('turns a missing value into a rejection with a slot (so the gap policy may fill it) and bad rows into plain rejections', () => {
    const line = toSdaCsvLine(tick(1, 1)).replace(',1,USD/MWh', ',,USD/MWh');
    const p = parseSdaCsvLine(line, 'f:3', T0);
    assert.ok(!p.ok && p.rejection.reasonCode === 'missing-field' && p.rejection.slot?.intervalStart === T0 + Q);
    const nan = parseSdaCsvLine(line.replace(',,USD/MWh', ',abc,USD/MWh'), 'f:4', T0);
    assert.ok(!nan.ok && nan.rejection.reasonCode === 'not-a-number' && nan.rejection.raw.includes('abc'));
    const bad = parseSdaCsvLine('ERCOT,HB_NORTH,HUB,PRICE,2024-07-01T00:00:00Z,2024-07-01T00:15:00Z,1,USD/MWh,x,false', 'f:5', T0);
    assert.ok(!bad.ok && bad.rejection.reasonCode === 'bad-field' && !bad.rejection.slot);
    const short = parseSdaCsvLine('a,b', 'f:6', T0);
    assert.ok(!short.ok && short.rejection.reasonCode === 'bad-row');
  });
});
