// trace: 1.4, D.dead-letters
// The ERCOT field cases (test/fixtures/field-cases/, copied from the shared field-case set with its README): each
// input through the product's own parsing and validation, with its exact right result; and the whole kind each
// case belongs to (every DST-day numbering variant, every settlement point type, negative generation at night).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { MarketTick } from '../../schemas/types.js';
import { placeDstDays } from '../../market/dst-day.js';
import { parseMisCsv } from '../../streams/ercot/mis-csv.js';
import { rowsToParsed } from '../../streams/ercot/reports.js';
import { ERCOT_POINT_TYPES, seriesForSettlementPoint } from '../../market/settlement-point.js';
import type { Parsed, Rejection } from '../../market/parsed.js';
import { REPLAY_FORMATS } from '../../streams/replay/formats.js';
import { readReplayFile } from '../../streams/replay/replay.js';
import { checkTick, MIN_GENERATION_MW } from '../../market/tick-validation.js';

// Compiled tests run from dist/test/unit; the fixtures stay in the source tree.
const FIXTURES = new URL('../../../test/fixtures/field-cases/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const ticks = (ps: Parsed[]): MarketTick[] => ps.flatMap((p) => (p.ok ? [p.tick] : []));
const rejections = (ps: Parsed[]): Rejection[] => ps.flatMap((p) => (p.ok ? [] : [p.rejection]));
const iso = (ms: number) => new Date(ms).toISOString();
const AT = Date.UTC(2024, 11, 1);
const RT_HEADER = '"DeliveryDate","DeliveryHour","DeliveryInterval","SettlementPointName","SettlementPointType","SettlementPointPrice","DSTFlag"';

/** Never two values for one interval of one series. */
function assertOneValuePerInterval(t: MarketTick[]) {
  const keys = t.map((x) => `${x.seriesId}|${x.kind}|${x.intervalStart}`);
  assert.equal(new Set(keys).size, keys.length, `two values for one interval: ${keys.filter((k, i) => keys.indexOf(k) !== i).join(', ')}`);
}

/** An RT SPP CSV of the given rows [date, hour, interval, name, type, price, flag]. */
const rtCsv = (rows: Array<[string, number, number, string, string, number, string]>, header = RT_HEADER) =>
  [header, ...rows.map((r) => r.map((c) => `"${c}"`).join(','))].join('\n');

describe('field case 06: phantom hour ending 03:00 on the spring-forward day', () => {
  const expectTicks = [
    ['HB_SOUTH', '2024-03-10T07:00:00.000Z', 22.15],
    ['HB_SOUTH', '2024-03-10T07:15:00.000Z', 21.8],
    ['HB_SOUTH', '2024-03-10T07:30:00.000Z', 21.47],
    ['HB_SOUTH', '2024-03-10T07:45:00.000Z', 21.02],
    ['HB_SOUTH', '2024-03-10T08:00:00.000Z', 20.66], // hour ending 04 = 03:00 CDT
  ];

  it('the four hour-ending-02 prices stand at 07:00-07:45Z, the four phantom rows are dead-lettered naming the hour', () => {
    const { layout, parsed } = parseMisCsv(fixture('06-rt-spring-phantom-he3.csv'), '06-rt-spring-phantom-he3.csv', AT);
    assert.equal(layout, 'rt-spp');
    const t = ticks(parsed);
    assert.deepEqual(t.map((x) => [x.seriesId, iso(x.intervalStart), x.value]), expectTicks);
    for (const x of t) assert.equal(x.intervalEnd - x.intervalStart, 900_000);
    assertOneValuePerInterval(t);
    const r = rejections(parsed);
    assert.deepEqual(r.map((x) => [x.reasonCode, x.origin]), [6, 7, 8, 9].map((line) => ['nonexistent-hour', `file:06-rt-spring-phantom-he3.csv:${line}`]));
    assert.deepEqual(r.map((x) => /local (\d\d:\d\d) does not exist/.exec(x.message)?.[1]), ['02:00', '02:15', '02:30', '02:45']);
    for (const x of r) assert.match(x.message, /^deliveryHour: 2024-03-10 local/);
    assert.match(r[0]!.message, /hour ending 03:00 \(local 02:00-03:00\) is skipped/);
    assert.equal(r[0]!.raw, '"03/10/2024","3","1","HB_SOUTH","HU","412.00","N"');
    assert.equal(parsed.length, 9, 'in = accepted + dead-lettered');
  });

  it('the replay path (readReplayFile, then the whole-day check) gives the same ticks and reasons', async () => {
    const file = fileURLToPath(new URL('06-rt-spring-phantom-he3.csv', FIXTURES));
    const read = await readReplayFile(file, REPLAY_FORMATS, AT);
    const placed = placeDstDays(read.items);
    assert.deepEqual(ticks(placed).map((x) => [x.seriesId, iso(x.intervalStart), x.value]), expectTicks);
    assert.deepEqual(rejections(placed).map((x) => x.reasonCode), ['nonexistent-hour', 'nonexistent-hour', 'nonexistent-hour', 'nonexistent-hour']);
  });

  it('the same rows through the API path (hourly DAM and 15-minute RT) are rejected the same way', () => {
    const dam = rowsToParsed('dam-spp', ['deliveryDate', 'hourEnding', 'settlementPoint', 'settlementPointPrice', 'DSTFlag'], [
      ['2024-03-10', '02:00', 'HB_SOUTH', 22, false],
      ['2024-03-10', '03:00', 'HB_SOUTH', 412, false],
      ['2024-03-10', '04:00', 'HB_SOUTH', 20, false],
    ], 'ercot-api:dam-spp:page=1', AT);
    const placed = placeDstDays(dam);
    assert.deepEqual(ticks(placed).map((x) => iso(x.intervalStart)), ['2024-03-10T07:00:00.000Z', '2024-03-10T08:00:00.000Z']);
    assert.deepEqual(rejections(placed).map((x) => [x.reasonCode, x.origin]), [['nonexistent-hour', 'ercot-api:dam-spp:page=1:row=2']]);
  });
});

describe('the DST-day numbering kind: 23, 24 or 25 hours, placed exactly or rejected as a whole day', () => {
  const fallDay = (numbering: '1..25' | '1..24+flag' | '1..24 no flag', withFlagColumn: boolean) => {
    const rows: Array<[string, number, number, string, string, number, string]> = [];
    if (numbering === '1..25') for (let h = 1; h <= 25; h++) rows.push(['11/03/2024', h, 1, 'HB_NORTH', 'HU', 100 + h, 'N']);
    else for (let h = 1; h <= 24; h++) for (const y of numbering === '1..24+flag' && h === 2 ? ['N', 'Y'] : ['N']) rows.push(['11/03/2024', h, 1, 'HB_NORTH', 'HU', 100 + h + (y === 'Y' ? 0.5 : 0), y]);
    if (withFlagColumn) return rtCsv(rows);
    return [RT_HEADER.replace(',"DSTFlag"', ''), ...rows.map((r) => r.slice(0, 6).map((c) => `"${c}"`).join(','))].join('\n');
  };

  it('fall-back day numbered 1..25 without DSTFlag: placed exactly, HE 3 is the repeated 01:00 (CST), HE 25 ends at midnight', () => {
    const { parsed } = parseMisCsv(fallDay('1..25', false), 'fall-1-25.csv', AT);
    const t = ticks(parsed);
    assert.equal(rejections(parsed).length, 0);
    assert.equal(t.length, 25);
    assertOneValuePerInterval(t);
    const at = (he: number) => iso(t.find((x) => x.value === 100 + he)!.intervalStart);
    assert.equal(at(1), '2024-11-03T05:00:00.000Z'); // 00:00 CDT
    assert.equal(at(2), '2024-11-03T06:00:00.000Z'); // 01:00 CDT
    assert.equal(at(3), '2024-11-03T07:00:00.000Z'); // 01:00 CST, the repeated hour
    assert.equal(at(4), '2024-11-03T08:00:00.000Z'); // 02:00 CST
    assert.equal(at(25), '2024-11-04T05:00:00.000Z'); // 23:00 CST
    assert.equal(iso(t.find((x) => x.value === 125)!.intervalEnd), '2024-11-04T05:15:00.000Z');
  });

  it('the replay path places a 1..25 day the same way (labels survive readReplayFile)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sda-field-'));
    try {
      const file = path.join(dir, 'fall-1-25.csv');
      writeFileSync(file, fallDay('1..25', false));
      const read = await readReplayFile(file, REPLAY_FORMATS, AT);
      assert.ok(read.items.some((p) => p.ok && p.label?.provisional), 'the 1..25 rows arrive provisional');
      const t = ticks(placeDstDays(read.items));
      assert.equal(t.length, 25);
      assertOneValuePerInterval(t);
      assert.equal(iso(t.find((x) => x.value === 103)!.intervalStart), '2024-11-03T07:00:00.000Z');
      assert.ok(t.every((x) => x.source === 'file-replay'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fall-back day numbered 1..25 with a DSTFlag column of N: placed by the 1..25 numbering', () => {
    const t = ticks(parseMisCsv(fallDay('1..25', true), 'f.csv', AT).parsed);
    assert.equal(t.length, 25);
    assertOneValuePerInterval(t);
  });

  it('ERCOT convention (1..24, HE 2 twice told apart by DSTFlag): 25 distinct hours, untouched', () => {
    const t = ticks(parseMisCsv(fallDay('1..24+flag', true), 'f.csv', AT).parsed);
    assert.equal(t.length, 25);
    assertOneValuePerInterval(t);
    assert.equal(iso(t.find((x) => x.value === 102.5)!.intervalStart), '2024-11-03T07:00:00.000Z');
  });

  it('hour 25 and a DSTFlag Y in one day: two numberings at once, the whole day is rejected with a reason', () => {
    const csv = rtCsv([
      ['11/03/2024', 1, 1, 'HB_NORTH', 'HU', 30, 'N'],
      ['11/03/2024', 2, 1, 'HB_NORTH', 'HU', 31, 'N'],
      ['11/03/2024', 2, 1, 'HB_NORTH', 'HU', 32, 'Y'],
      ['11/03/2024', 25, 1, 'HB_NORTH', 'HU', 33, 'N'],
      ['11/04/2024', 1, 1, 'HB_NORTH', 'HU', 34, 'N'],
    ]);
    const { parsed } = parseMisCsv(csv, 'f.csv', AT);
    assert.deepEqual(ticks(parsed).map((x) => x.value), [34], 'the next day is not touched');
    const r = rejections(parsed);
    assert.equal(r.length, 4);
    for (const x of r) {
      assert.equal(x.reasonCode, 'dst-day-numbering');
      assert.match(x.message, /2024-11-03 has both an hour ending 25 .* and DSTFlag Y rows/);
    }
  });

  it('a 25-hour day numbered without DSTFlag and without hour 25 cannot be placed: the whole day is rejected', () => {
    const { parsed } = parseMisCsv(fallDay('1..24 no flag', false), 'f.csv', AT);
    assert.equal(ticks(parsed).length, 0);
    const r = rejections(parsed);
    assert.equal(r.length, 24);
    assert.ok(r.every((x) => x.reasonCode === 'dst-day-numbering' && /no DSTFlag column and no hour ending 25/.test(x.message)));
  });

  it('a spring-forward day numbered 1..23 straight through is rejected as a whole day, never shifted an hour', () => {
    const rows: Array<[string, number, number, string, string, number, string]> = [];
    for (let h = 1; h <= 23; h++) rows.push(['03/10/2024', h, 1, 'HB_NORTH', 'HU', 50 + h, 'N']);
    const { parsed } = parseMisCsv(rtCsv(rows), 'f.csv', AT);
    assert.equal(ticks(parsed).length, 0);
    const r = rejections(parsed);
    assert.equal(r.length, 23);
    assert.equal(r.filter((x) => x.reasonCode === 'nonexistent-hour').length, 1);
    assert.equal(r.filter((x) => x.reasonCode === 'dst-day-numbering').length, 22);
    assert.match(r.find((x) => x.reasonCode === 'dst-day-numbering')!.message, /numbered 1\.\.23 straight through/);
  });

  it('a spring-forward day of 23 hours numbered 1, 2, 4..24 is placed: 23 distinct hours ending at CDT midnight', () => {
    const rows: Array<[string, number, number, string, string, number, string]> = [];
    for (let h = 1; h <= 24; h++) if (h !== 3) rows.push(['03/10/2024', h, 1, 'HB_NORTH', 'HU', 50 + h, 'N']);
    const t = ticks(parseMisCsv(rtCsv(rows), 'f.csv', AT).parsed);
    assert.equal(t.length, 23);
    assertOneValuePerInterval(t);
    assert.equal(iso(t.at(-1)!.intervalStart), '2024-03-11T04:00:00.000Z');
  });

  it('the API path (hourly load without DSTFlag, numbered 1..25) is placed the same way once the day is whole', () => {
    const fields = ['operatingDay', 'hourEnding', 'coast', 'east', 'farWest', 'north', 'northC', 'southern', 'southC', 'west', 'total'];
    const rows = Array.from({ length: 25 }, (_, i) => ['2024-11-03', `${String(i + 1).padStart(2, '0')}:00`, 1, 2, 3, 4, 5, 6, 7, 8, 1000 + i + 1]);
    const page = rowsToParsed('load', fields, rows, 'ercot-api:load:page=1', AT);
    const placed = placeDstDays(page);
    assert.equal(rejections(placed).length, 0);
    const system = ticks(placed).filter((t) => t.seriesId === 'SYSTEM');
    assert.equal(system.length, 25);
    assertOneValuePerInterval(ticks(placed));
    assert.equal(iso(system.find((t) => t.value === 1003)!.intervalStart), '2024-11-03T07:00:00.000Z', 'HE 3 is the repeated 01:00, CST');
    assert.equal(iso(system.find((t) => t.value === 1025)!.intervalStart), '2024-11-04T05:00:00.000Z');
  });

  it('hour ending 25 on a day that is not the fall-back day is rejected', () => {
    const { parsed } = parseMisCsv(rtCsv([['07/15/2024', 25, 1, 'HB_NORTH', 'HU', 30, 'N']]), 'f.csv', AT);
    assert.equal(rejections(parsed)[0]!.reasonCode, 'bad-timestamp');
    assert.match(rejections(parsed)[0]!.message, /not 1-24/);
  });

  it('a row whose day was never checked as a whole is marked provisional (a publisher dead-letters it)', () => {
    const page = rowsToParsed('dam-spp', ['deliveryDate', 'hourEnding', 'settlementPoint', 'settlementPointPrice'], [['2024-11-03', 25, 'HB_NORTH', 30]], 'o', AT);
    assert.equal(page[0]!.ok && page[0]!.label?.provisional, true);
    const placed = placeDstDays(page);
    assert.ok(placed[0]!.ok && placed[0]!.label === undefined, 'placeDstDays removes the label');
  });
});

describe('field case 07: a load zone listed as LZ and as LZEW under the same name, DC ties', () => {
  it('distinct series for distinct settlement point types; DC_L is a load zone; one price per key', () => {
    const { parsed } = parseMisCsv(fixture('07-rt-lz-lzew-same-name.csv'), '07-rt-lz-lzew-same-name.csv', AT);
    assert.equal(rejections(parsed).length, 0);
    const t = ticks(parsed);
    assert.deepEqual(t.map((x) => [x.seriesId, x.pointType, x.value]), [
      ['HB_HOUSTON', 'HUB', 60.9],
      ['LZ_HOUSTON', 'LOAD_ZONE', 61.2],
      ['LZ_HOUSTON_EW', 'LOAD_ZONE', 63.85],
      ['LZ_NORTH', 'LOAD_ZONE', 58.4],
      ['LZ_NORTH_EW', 'LOAD_ZONE', 57.95],
      ['DC_L', 'LOAD_ZONE', 55.1],
      ['DC_L_EW', 'LOAD_ZONE', 54.7],
    ]);
    for (const x of t) assert.equal(iso(x.intervalStart), '2024-08-20T21:15:00.000Z'); // HE 17 interval 2 = 16:15 CDT
    assertOneValuePerInterval(t);
    for (const x of t) assert.equal(checkTick(x), undefined);
  });

  it('every type code ERCOT publishes is mapped; an unknown code is dead-lettered, not guessed', () => {
    assert.deepEqual(Object.keys(ERCOT_POINT_TYPES).sort(), ['AH', 'HU', 'LZ', 'LZEW', 'LZ_DC', 'LZ_DCEW', 'PCCRN', 'PUN', 'RN', 'SH']);
    assert.deepEqual(seriesForSettlementPoint('HB_HUBAVG', 'AH'), { seriesId: 'HB_HUBAVG', pointType: 'HUB' });
    assert.deepEqual(seriesForSettlementPoint('HB_BUSAVG', 'sh '), { seriesId: 'HB_BUSAVG', pointType: 'HUB' });
    assert.deepEqual(seriesForSettlementPoint('SANDHSYD_CC1', 'PCCRN'), { seriesId: 'SANDHSYD_CC1', pointType: 'RESOURCE_NODE' });
    assert.deepEqual(seriesForSettlementPoint('SOME_PUN', 'PUN'), { seriesId: 'SOME_PUN', pointType: 'RESOURCE_NODE' });
    assert.deepEqual(seriesForSettlementPoint('DC_R', 'LZ_DCEW'), { seriesId: 'DC_R_EW', pointType: 'LOAD_ZONE' });
    const { parsed } = parseMisCsv(rtCsv([['08/20/2024', 17, 2, 'LZ_NEW', 'XX', 10, 'N']]), 'f.csv', AT);
    assert.equal(rejections(parsed)[0]!.reasonCode, 'unknown-point-type');
    assert.match(rejections(parsed)[0]!.message, /settlementPointType "XX" is not one ERCOT publishes/);
  });

  it('the API path reads the type column too', () => {
    const fields = ['deliveryDate', 'deliveryHour', 'deliveryInterval', 'settlementPoint', 'settlementPointType', 'settlementPointPrice', 'DSTFlag'];
    const t = ticks(rowsToParsed('rt-spp', fields, [['2024-08-20', 17, 2, 'LZ_HOUSTON', 'LZ', 61.2, false], ['2024-08-20', 17, 2, 'LZ_HOUSTON', 'LZEW', 63.85, false]], 'o', AT));
    assert.deepEqual(t.map((x) => x.seriesId), ['LZ_HOUSTON', 'LZ_HOUSTON_EW']);
  });
});

describe('field case 10: small negative solar at night', () => {
  const body = JSON.parse(fixture('10-api-solar-negative-night.json')) as { fields: Array<{ name: string }>; data: unknown[][] };
  const parsed = rowsToParsed('solar', body.fields.map((f) => f.name), body.data, 'ercot-api:solar:page=1', AT);

  it('-0.08 and -0.11 MW are kept as observed values and pass validation; the daytime values too', () => {
    assert.equal(rejections(parsed).length, 0);
    const t = ticks(parsed);
    assert.deepEqual(t.map((x) => [x.seriesId, x.kind, iso(x.intervalStart), x.value, x.imputed ?? false]), [
      ['SYSTEM', 'SOLAR', '2024-05-02T08:00:00.000Z', -0.08, false], // HE 4 = 03:00 CDT
      ['SYSTEM', 'SOLAR', '2024-05-02T09:00:00.000Z', -0.11, false],
      ['SYSTEM', 'SOLAR', '2024-05-02T12:00:00.000Z', 412.5, false],
      ['SYSTEM', 'SOLAR', '2024-05-02T16:00:00.000Z', 18350.2, false],
    ]);
    for (const x of t) assert.equal(checkTick(x), undefined, `${x.value} MW is valid`);
  });

  it('very negative output (below about -1% of installed capacity) stays invalid; load is never negative', () => {
    const night = ticks(parsed)[0]!;
    assert.equal(MIN_GENERATION_MW.SOLAR, -200);
    assert.equal(checkTick({ ...night, value: -200 }), undefined);
    assert.match(checkTick({ ...night, value: -250 })!.message, /power -250 MW is outside \[-200, 500000\]/);
    assert.match(checkTick({ ...night, kind: 'WIND', value: -401 })!.message, /outside \[-400,/);
    assert.match(checkTick({ ...night, kind: 'LOAD', value: -0.08 })!.message, /outside \[0,/);
  });
});
