// trace: 1.3, D.sources
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { MarketTick } from '../../schemas/types.js';
import type { Parsed, Rejection } from '../../market/parsed.js';
import { CsvSyntaxError, detectCsvLayout, parseCsvHeader, parseMisCsv, parseMisCsvLine, splitCsvLine } from '../../streams/ercot/mis-csv.js';

// Compiled tests run from dist/test/unit; the fixtures stay in the source tree.
const FIXTURES = new URL('../../../test/fixtures/ercot/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const ticks = (ps: Parsed[]): MarketTick[] => ps.flatMap((p) => (p.ok ? [p.tick] : []));
const rejections = (ps: Parsed[]): Rejection[] => ps.flatMap((p) => (p.ok ? [] : [p.rejection]));
const iso = (ms: number) => new Date(ms).toISOString();
const AT = Date.UTC(2024, 11, 1);

function assertTiled(t: MarketTick[], stepMs: number, firstStart: string, lastEnd: string, count: number) {
  assert.equal(t.length, count);
  const starts = t.map((x) => x.intervalStart).sort((a, b) => a - b);
  assert.equal(new Set(starts).size, count, 'no duplicate interval');
  assert.equal(iso(starts[0]!), firstStart);
  for (let i = 1; i < starts.length; i++) assert.equal(starts[i]! - starts[i - 1]!, stepMs, `gap or overlap before ${iso(starts[i]!)}`);
  assert.equal(iso(starts[starts.length - 1]! + stepMs), lastEnd);
  for (const x of t) assert.equal(x.intervalEnd - x.intervalStart, stepMs);
}

describe('splitCsvLine', () => {
  it('splits RFC 4180 records', () => {
    assert.deepEqual(splitCsvLine('a,b,c'), ['a', 'b', 'c']);
    assert.deepEqual(splitCsvLine('"a","b,c",""'), ['a', 'b,c', '']);
    assert.deepEqual(splitCsvLine('"say ""hi""",x\r'), ['say "hi"', 'x']);
    assert.deepEqual(splitCsvLine('a,,'), ['a', '', '']);
    assert.deepEqual(splitCsvLine(''), ['']);
    assert.deepEqual(splitCsvLine(' "a" , b'), ['a', ' b']);
  });

  it('throws on malformed quoting', () => {
    assert.throws(() => splitCsvLine('"abc,d'), CsvSyntaxError);
    assert.throws(() => splitCsvLine('"abc"x,d'), /after a closing quote/);
    assert.throws(() => splitCsvLine('ab"c,d'), /quote inside an unquoted field/);
  });
});

describe('detectCsvLayout', () => {
  it('recognises the MIS headers, quoted or not, and the archive spellings', () => {
    assert.equal(detectCsvLayout('"DeliveryDate","DeliveryHour","DeliveryInterval","SettlementPointName","SettlementPointType","SettlementPointPrice","DSTFlag"'), 'rt-spp');
    assert.equal(detectCsvLayout('"Delivery Date","Delivery Hour","Delivery Interval","Repeated Hour Flag","Settlement Point Name","Settlement Point Type","Settlement Point Price"'), 'rt-spp');
    assert.equal(detectCsvLayout('DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\r'), 'dam-spp');
    assert.equal(detectCsvLayout('\uFEFF"Delivery Date","Hour Ending","Repeated Hour Flag","Settlement Point","Settlement Point Price"'), 'dam-spp');
    assert.equal(detectCsvLayout('"OperDay","HourEnding","COAST","EAST","FAR_WEST","NORTH","NORTH_C","SOUTHERN","SOUTH_C","WEST","TOTAL","DSTFlag"'), 'load');
    assert.equal(detectCsvLayout('OperDay,Hour Ending,COAST,EAST,FAR_WEST,NORTH,NORTH_C,SOUTHERN,SOUTH_C,WEST,TOTAL,DSTFlag'), 'load');
    assert.equal(detectCsvLayout('DeliveryDate,HourEnding,BusName,LMP,DSTFlag'), undefined);
    assert.equal(detectCsvLayout('OperDay,HourEnding,NORTH,SOUTH,WEST,HOUSTON,TOTAL,DSTFlag'), undefined);
    assert.equal(detectCsvLayout('"broken'), undefined);
  });
});

describe('parseMisCsvLine', () => {
  it('RT SPP fixture: quoted fields, cap and negative prices, every bad row rejected precisely', () => {
    const lines = fixture('rt-spp-mixed.csv').split('\n');
    const headers = parseCsvHeader(lines[0]!);
    assert.equal(detectCsvLayout(lines[0]!), 'rt-spp');
    const perLine = lines.slice(1).map((line, i) => parseMisCsvLine('rt-spp', headers, line, `file:rt-spp-mixed.csv:${i + 2}`, AT));
    const summary = perLine.map((ps) => ps.map((p) => (p.ok ? `${p.tick.seriesId}=${p.tick.value}` : p.rejection.reasonCode)).join(' '));
    assert.deepEqual(summary, [
      'HB_NORTH=5000',
      'LZ_HOUSTON_EW=123.45',
      '7RNCHSLR_ALL=-25.5',
      'ODD "QUOTED", NODE=20',
      'not-a-number',
      'missing-field',
      'bad-timestamp',
      'bad-timestamp',
      'bad-dst-flag',
      'bad-timestamp',
      'bad-csv',
      '',
      'HB_HUBAVG=31.25',
      '',
    ]);
    const all = perLine.flat();
    const t = ticks(all);
    assert.deepEqual(t.map((x) => x.pointType), ['HUB', 'LOAD_ZONE', 'RESOURCE_NODE', 'RESOURCE_NODE', 'HUB']);
    assert.ok(t.every((x) => x.source === 'file-replay' && x.kind === 'RT_PRICE' && x.unit === 'USD/MWh'));
    assert.equal(iso(t[0]!.intervalStart), '2024-07-15T22:30:00.000Z');
    const r = rejections(all);
    assert.match(r[0]!.message, /HB_WEST: settlementPointPrice "N\/A" is not a number/);
    assert.equal(r[0]!.raw, '"07/15/2024","18","3","HB_WEST","HU","N/A","N"');
    assert.equal(r[0]!.origin, 'file:rt-spp-mixed.csv:6');
    assert.match(r[1]!.message, /HB_PAN: settlementPointPrice is empty/);
    assert.match(r[2]!.message, /hour ending "25"/);
    assert.match(r[3]!.message, /date "02\/30\/2024" does not exist/);
    assert.match(r[4]!.message, /DSTFlag "X" is not Y\/N/);
    assert.match(r[5]!.message, /DSTFlag is set \(repeated hour\)/);
    assert.match(r[6]!.message, /unterminated quoted field/);
  });

  it('spring-forward day 2024-03-10: 92 quarter hours, no gap, no duplicate', () => {
    const { layout, parsed } = parseMisCsv(fixture('rt-spp-2024-03-10-spring.csv'), 'rt-spp-2024-03-10-spring.csv', AT);
    assert.equal(layout, 'rt-spp');
    assert.equal(rejections(parsed).length, 0);
    assertTiled(ticks(parsed), 900_000, '2024-03-10T06:00:00.000Z', '2024-03-11T05:00:00.000Z', 92);
  });

  it('fall-back day 2024-11-03: 100 quarter hours, the DSTFlag Y hour after the first 01:00-02:00', () => {
    const { parsed } = parseMisCsv(fixture('rt-spp-2024-11-03-fall.csv'), 'rt-spp-2024-11-03-fall.csv', AT);
    assert.equal(rejections(parsed).length, 0);
    const t = ticks(parsed);
    assertTiled(t, 900_000, '2024-11-03T05:00:00.000Z', '2024-11-04T06:00:00.000Z', 100);
    // File order is hour 2 (N) then hour 2 (Y): 06:00Z.. then 07:00Z..
    assert.deepEqual(t.slice(4, 12).map((x) => iso(x.intervalStart).slice(11, 16)), ['06:00', '06:15', '06:30', '06:45', '07:00', '07:15', '07:30', '07:45']);
  });

  it('DAM fall-back day: 25 hours', () => {
    const { layout, parsed } = parseMisCsv(fixture('dam-spp-2024-11-03-fall.csv'), 'dam.csv', AT);
    assert.equal(layout, 'dam-spp');
    assert.equal(rejections(parsed).length, 0);
    const t = ticks(parsed);
    assert.ok(t.every((x) => x.kind === 'DAM_PRICE' && x.seriesId === 'HB_HOUSTON' && x.pointType === 'HUB'));
    assertTiled(t, 3_600_000, '2024-11-03T05:00:00.000Z', '2024-11-04T06:00:00.000Z', 25);
  });

  it('weather-zone load fixture: nine ticks per row, bad cells and bad hours rejected', () => {
    const { layout, parsed } = parseMisCsv(fixture('load-wzn.csv'), 'load-wzn.csv', AT);
    assert.equal(layout, 'load');
    assert.equal(parsed.length, 9 + 9 + 1);
    const t = ticks(parsed);
    assert.equal(t.length, 17);
    assert.deepEqual(t.slice(0, 9).map((x) => x.seriesId), ['WZ_COAST', 'WZ_EAST', 'WZ_FAR_WEST', 'WZ_NORTH', 'WZ_NORTH_CENTRAL', 'WZ_SOUTHERN', 'WZ_SOUTH_CENTRAL', 'WZ_WEST', 'SYSTEM']);
    assert.equal(t[8]!.value, 61430.93);
    assert.equal(iso(t[9]!.intervalStart), '2026-10-02T04:00:00.000Z'); // HE 24 (CDT) ends at the next midnight
    assert.equal(iso(t[9]!.intervalEnd), '2026-10-02T05:00:00.000Z');
    const r = rejections(parsed);
    assert.deepEqual(r.map((x) => [x.reasonCode, x.origin]), [
      ['not-a-number', 'file:load-wzn.csv:3'],
      ['bad-timestamp', 'file:load-wzn.csv:4'],
    ]);
    assert.match(r[0]!.message, /WZ_SOUTHERN: southern "abc" is not a number/);
  });

  it('a header of another report is refused', () => {
    assert.throws(() => parseMisCsv('DeliveryDate,HourEnding,BusName,LMP,DSTFlag\n', 'x.csv', AT), /x\.csv: unrecognised ERCOT MIS CSV header/);
  });
});
