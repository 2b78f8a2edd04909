// trace: 1.3
import { placeDstDays } from '../../market/dst-day.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MarketTick } from '../../schemas/types.js';
import type { Parsed, Rejection } from '../../market/parsed.js';
import { REPORT_IDS, REPORTS, rowsToParsed } from '../../streams/ercot/reports.js';
import { settlementPointType } from '../../market/settlement-point.js';

const ticks = (ps: Parsed[]): MarketTick[] => ps.flatMap((p) => (p.ok ? [p.tick] : []));
const rejections = (ps: Parsed[]): Rejection[] => ps.flatMap((p) => (p.ok ? [] : [p.rejection]));
const iso = (ms: number) => new Date(ms).toISOString();
const AT = Date.UTC(2024, 6, 16, 12);

const RT_FIELDS = ['deliveryDate', 'deliveryHour', 'deliveryInterval', 'settlementPoint', 'settlementPointType', 'settlementPointPrice', 'DSTFlag'];
const DAM_FIELDS = ['deliveryDate', 'hourEnding', 'settlementPoint', 'settlementPointPrice', 'DSTFlag'];
const LOAD_FIELDS = ['operatingDay', 'hourEnding', 'coast', 'east', 'farWest', 'north', 'northC', 'southern', 'southC', 'west', 'total', 'DSTFlag'];
const SOLAR_FIELDS = ['postedDatetime', 'deliveryDate', 'hourEnding', 'genSystemWide', 'COPHSLSystemWide', 'STPPFSystemWide', 'PVGRPPSystemWide', 'HSLSystemWide', 'DSTFlag'];

describe('settlement point types', () => {
  it('derives the point type from the name prefix', () => {
    assert.equal(settlementPointType('HB_NORTH'), 'HUB');
    assert.equal(settlementPointType('HB_BUSAVG'), 'HUB');
    assert.equal(settlementPointType('LZ_HOUSTON'), 'LOAD_ZONE');
    assert.equal(settlementPointType('LZ_CPS'), 'LOAD_ZONE');
    assert.equal(settlementPointType('7RNCHSLR_ALL'), 'RESOURCE_NODE');
    assert.equal(settlementPointType('DC_E'), 'LOAD_ZONE', 'a DC tie is a load zone (type LZ_DC in RT SPP)');
    assert.equal(settlementPointType('DC_L'), 'LOAD_ZONE');
    assert.equal(settlementPointType('HBX_NOT_A_HUB'), 'RESOURCE_NODE');
  });
});

describe('report catalogue', () => {
  it('has the five reports with their API paths and steps', () => {
    assert.deepEqual([...REPORT_IDS], ['rt-spp', 'dam-spp', 'load', 'wind', 'solar']);
    assert.equal(REPORTS['rt-spp'].path, '/np6-905-cd/spp_node_zone_hub');
    assert.equal(REPORTS['rt-spp'].stepMs, 900_000);
    assert.equal(REPORTS['dam-spp'].path, '/np4-190-cd/dam_stlmnt_pnt_prices');
    assert.equal(REPORTS.load.path, '/np6-345-cd/act_sys_load_by_wzn');
    assert.equal(REPORTS.load.dateFromParam, 'operatingDayFrom');
    assert.equal(REPORTS.wind.path, '/np4-732-cd/wpp_hrly_avrg_actl_fcast');
    assert.equal(REPORTS.solar.path, '/np4-737-cd/spp_hrly_avrg_actl_fcast');
    for (const id of ['dam-spp', 'load', 'wind', 'solar'] as const) assert.equal(REPORTS[id].stepMs, 3_600_000);
  });
});

describe('rowsToParsed', () => {
  it('maps RT SPP rows by field name, whatever the column order', () => {
    const fields = ['settlementPointPrice', 'DSTFlag', 'settlementPoint', 'deliveryInterval', 'deliveryHour', 'settlementPointType', 'deliveryDate'];
    const out = rowsToParsed('rt-spp', fields, [[42.5, false, 'HB_NORTH', 3, 18, 'HU', '2024-07-15']], 'ercot-api:rt-spp:page=1', AT);
    assert.deepEqual(out, [
      {
        ok: true,
        tick: {
          market: 'ERCOT',
          seriesId: 'HB_NORTH',
          pointType: 'HUB',
          kind: 'RT_PRICE',
          intervalStart: Date.parse('2024-07-15T22:30:00Z'),
          intervalEnd: Date.parse('2024-07-15T22:45:00Z'),
          value: 42.5,
          unit: 'USD/MWh',
          source: 'ercot-api',
          ingestedAt: AT,
        },
      },
    ]);
  });

  it('accepts negative prices and prices at the $5,000 cap; DAM hour endings "01:00".."24:00"', () => {
    const out = rowsToParsed('dam-spp', DAM_FIELDS, [
      ['2024-07-15', '01:00', 'LZ_WEST', -251.02, false],
      ['2024-07-15', '24:00', 'HB_HUBAVG', 5000, false],
      ['2024-07-15', '19:00', 'SOME_NODE_RN', '37.5', false],
    ], 'o', AT);
    const t = ticks(out);
    assert.equal(t.length, 3);
    assert.deepEqual(t.map((x) => [x.seriesId, x.pointType, x.kind, x.value, iso(x.intervalStart), x.intervalEnd - x.intervalStart]), [
      ['LZ_WEST', 'LOAD_ZONE', 'DAM_PRICE', -251.02, '2024-07-15T05:00:00.000Z', 3_600_000],
      ['HB_HUBAVG', 'HUB', 'DAM_PRICE', 5000, '2024-07-16T04:00:00.000Z', 3_600_000],
      ['SOME_NODE_RN', 'RESOURCE_NODE', 'DAM_PRICE', 37.5, '2024-07-15T23:00:00.000Z', 3_600_000],
    ]);
  });

  it('turns each bad row into one precise rejection and keeps the good rows', () => {
    const rows: unknown[][] = [
      ['2024-07-15', 18, 1, 'HB_NORTH', 'HU', null, false],
      ['2024-07-15', 18, 1, 'HB_SOUTH', 'HU', 'abc', false],
      ['2024-07-15', 18, 1, 'HB_WEST', 'HU', 30, 'X'],
      ['2024-07-15', 26, 1, 'HB_PAN', 'HU', 30, false],
      ['2024-07-15', 18, 0, 'HB_PAN', 'HU', 30, false],
      ['15.07.2024', 18, 1, 'HB_PAN', 'HU', 30, false],
      ['2024-07-15', 18, 1, '', 'HU', 30, false],
      ['2024-07-15', 18, 1, 'HB_PAN', 'HU', 30],
      'not a row' as unknown as unknown[],
      ['2024-07-15', 18, 1, 'HB_HOUSTON', 'HU', 31.5, false],
    ];
    const out = rowsToParsed('rt-spp', RT_FIELDS, rows, 'ercot-api:rt-spp:page=2', AT);
    assert.equal(out.length, rows.length, 'one Parsed per row');
    const r = rejections(out);
    assert.deepEqual(r.map((x) => x.reasonCode), ['missing-field', 'not-a-number', 'bad-dst-flag', 'bad-timestamp', 'bad-timestamp', 'bad-timestamp', 'missing-field', 'bad-row', 'bad-row']);
    assert.match(r[0]!.message, /HB_NORTH: settlementPointPrice is empty \(value null\)/);
    assert.match(r[1]!.message, /HB_SOUTH: settlementPointPrice "abc" is not a number/);
    assert.match(r[2]!.message, /DSTFlag "X"/);
    assert.match(r[3]!.message, /deliveryHour: hour ending 26/);
    assert.match(r[4]!.message, /deliveryInterval: delivery interval 0/);
    assert.match(r[5]!.message, /deliveryDate: date "15.07.2024"/);
    assert.match(r[6]!.message, /settlementPoint is empty/);
    assert.match(r[7]!.message, /6 values but the rt-spp report has 7 columns/);
    assert.equal(r[0]!.origin, 'ercot-api:rt-spp:page=2:row=1');
    assert.equal(r[0]!.raw, JSON.stringify(rows[0]));
    assert.equal(r[8]!.raw, '"not a row"');
    assert.deepEqual(ticks(out).map((t) => t.seriesId), ['HB_HOUSTON']);
  });

  it('rejects every row when a needed column is not in fields', () => {
    const out = rowsToParsed('dam-spp', ['deliveryDate', 'hourEnding', 'settlementPoint', 'DSTFlag'], [['2024-07-15', '01:00', 'HB_NORTH', false]], 'o', AT);
    assert.equal(out.length, 1);
    assert.equal(rejections(out)[0]!.reasonCode, 'missing-field');
    assert.match(rejections(out)[0]!.message, /column settlementPointPrice is missing/);
  });

  it('DSTFlag: true on the fall-back repeated hour, an error elsewhere; required inside the repeated hour', () => {
    const out = rowsToParsed('dam-spp', DAM_FIELDS, [
      ['2024-11-03', '02:00', 'HB_NORTH', 20, false],
      ['2024-11-03', '02:00', 'HB_NORTH', 21, true],
      ['2024-11-03', '03:00', 'HB_NORTH', 22, true],
    ], 'o', AT);
    assert.deepEqual(ticks(out).map((t) => iso(t.intervalStart)), ['2024-11-03T06:00:00.000Z', '2024-11-03T07:00:00.000Z']);
    assert.equal(rejections(out)[0]!.reasonCode, 'bad-timestamp');
    assert.match(rejections(out)[0]!.message, /not in the repeated 01:00-02:00 hour/);

    // Without a DSTFlag column only the whole day can tell (placeDstDays, run once a day's rows are all in).
    const noFlag = placeDstDays(rowsToParsed('dam-spp', ['deliveryDate', 'hourEnding', 'settlementPoint', 'settlementPointPrice'], [
      ['2024-11-03', '01:00', 'HB_NORTH', 20],
      ['2024-11-03', '02:00', 'HB_NORTH', 21],
    ], 'o', AT));
    assert.equal(ticks(noFlag).length, 1);
    assert.match(rejections(noFlag)[0]!.message, /repeated fall-back hour but the report has no DSTFlag column/);
  });

  it('weather-zone load: nine ticks per row, a bad zone value rejects only that tick', () => {
    const out = rowsToParsed('load', LOAD_FIELDS, [
      ['2026-10-01', '01:00', 16023.5, 2034.95, 7333.67, 2026.75, 16451.46, 5343.57, 10647.45, 1569.58, 61430.93, false],
      ['2026-10-01', '02:00', 15417.71, 1925.37, 7213.02, 2191.1, 15915.2, null, 10167.12, 1309.8, 59297.89, false],
    ], 'o', AT);
    assert.equal(out.length, 18);
    const first = ticks(out.slice(0, 9));
    assert.deepEqual(first.map((t) => [t.seriesId, t.pointType, t.kind, t.unit]), [
      ['WZ_COAST', 'WEATHER_ZONE', 'LOAD', 'MW'],
      ['WZ_EAST', 'WEATHER_ZONE', 'LOAD', 'MW'],
      ['WZ_FAR_WEST', 'WEATHER_ZONE', 'LOAD', 'MW'],
      ['WZ_NORTH', 'WEATHER_ZONE', 'LOAD', 'MW'],
      ['WZ_NORTH_CENTRAL', 'WEATHER_ZONE', 'LOAD', 'MW'],
      ['WZ_SOUTHERN', 'WEATHER_ZONE', 'LOAD', 'MW'],
      ['WZ_SOUTH_CENTRAL', 'WEATHER_ZONE', 'LOAD', 'MW'],
      ['WZ_WEST', 'WEATHER_ZONE', 'LOAD', 'MW'],
      ['SYSTEM', 'SYSTEM', 'LOAD', 'MW'],
    ]);
    assert.equal(first[8]!.value, 61430.93);
    assert.equal(iso(first[0]!.intervalStart), '2026-10-01T05:00:00.000Z');
    const second = out.slice(9);
    assert.equal(ticks(second).length, 8);
    assert.deepEqual(rejections(second).map((r) => [r.reasonCode, r.message]), [['missing-field', 'WZ_SOUTHERN: southern is empty (value null)']]);
  });

  it('wind and solar: system-wide actual generation; forecast-only rows are rejected as no-actual', () => {
    const rows = [
      ['2024-07-15T14:55:01', '2024-07-15', 13, 21000.5, 24000, 23000, 22000, 24500, false],
      ['2024-07-15T14:55:01', '2024-07-15', 16, null, 24000, 23000, 22000, 24500, false],
    ];
    const solar = rowsToParsed('solar', SOLAR_FIELDS, rows, 'o', AT);
    assert.deepEqual(ticks(solar).map((t) => [t.seriesId, t.pointType, t.kind, t.value, iso(t.intervalStart)]), [['SYSTEM', 'SYSTEM', 'SOLAR', 21000.5, '2024-07-15T17:00:00.000Z']]);
    assert.equal(rejections(solar)[0]!.reasonCode, 'no-actual');
    const wind = rowsToParsed('wind', SOLAR_FIELDS.map((f) => (f === 'genSystemWide' ? 'actualSystemWide' : f)), [rows[0]!], 'o', AT);
    assert.deepEqual(ticks(wind).map((t) => [t.kind, t.value]), [['WIND', 21000.5]]);
  });

  it('labels ticks with the given source', () => {
    const out = rowsToParsed('dam-spp', DAM_FIELDS, [['2024-07-15', '01:00', 'HB_NORTH', 20, false]], 'o', AT, 'file-replay');
    assert.equal(ticks(out)[0]!.source, 'file-replay');
  });
});
