// trace: 6.2
// Issue 12 follow-up: the dashboard's price axis after a scarcity spike. gateway/public/chart-data.js priceRange (the
// browser module the page imports, loaded here as it is served) scales the axis to the newest forecast's band and the
// bulk of the past values; one interval at the $5,000 cap must not set it, and is returned as clipped for the chart
// to mark at its edge.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';

type Column = Array<number | null>;
interface Clipped {
  t: number;
  v: number;
  series: 'actual' | 'forecast';
  side: 'high' | 'low';
}
interface PriceRange {
  min: number;
  max: number;
  full: [number, number];
  clipped: Clipped[];
}
interface Marker {
  side: 'high' | 'low';
  v: number;
  n: number;
  series: string;
  label: string;
  labelX: number;
  align: 'left' | 'right';
  box: [number, number];
  points: Array<{ x: number; series: string }>;
}
interface ChartData {
  priceRange(data: Column[]): PriceRange | null;
  errorRange(data: Column[]): { min: number; max: number; full: [number, number]; clipped: Array<{ t: number; v: number; series: string; side: string }> } | null;
  quantile(sorted: number[], q: number): number | null;
  layoutMarkers(points: Array<{ x: number; v: number; series: string; side: string }>, measure: (label: string) => number, opts?: { px?: number; right?: number }): Marker[];
  noErrorStatus(state: unknown, series: { market: string; series: string; kind: string }): string;
}

/** A label's width at 7 px a character (the 11 px bold sans-serif the chart draws is about that). */
const measure = (label: string) => label.length * 7;

/** Asserts that within each edge the markers' boxes (triangles and label) are ascending and do not touch. */
function assertApart(markers: Marker[]): void {
  for (const side of ['high', 'low']) {
    const row = markers.filter((m) => m.side === side);
    for (let i = 1; i < row.length; i++) {
      assert.ok(row[i]!.box[0] >= row[i - 1]!.box[1] + 4, `${side} markers ${row[i - 1]!.label} ${JSON.stringify(row[i - 1]!.box)} and ${row[i]!.label} ${JSON.stringify(row[i]!.box)} overlap`);
    }
    for (const m of row) {
      const labelBox = m.align === 'left' ? [m.labelX, m.labelX + measure(m.label)] : [m.labelX - measure(m.label), m.labelX];
      assert.ok(labelBox[0]! >= m.box[0] && labelBox[1]! <= m.box[1], `the label of ${m.label} lies inside its box`);
      for (const p of m.points) {
        assert.ok(p.x + 5 <= labelBox[0]! || p.x - 5 >= labelBox[1]!, `the label of ${m.label} ${JSON.stringify(labelBox)} covers no triangle (x ${p.x})`);
      }
    }
  }
}

const HOUR_S = 3_600;
const T0 = Date.UTC(2024, 7, 1) / 1_000;

/**
 * alignedData's columns for 48 past hours of `actual` (horizon-1 forecasts: actual + 2) followed by a 36-hour newest
 * forecast with P50 `50 + h / 2` and a band of -8/+12 around it.
 */
function columns(actual: number[]): Column[] {
  const past = actual.length;
  const n = past + 36;
  const x = Array.from({ length: n }, (_, i) => T0 + i * HOUR_S);
  const fill = (f: (i: number) => number | null) => x.map((_, i) => f(i));
  const h = (i: number) => i - past;
  return [
    x,
    fill((i) => (i < past ? actual[i]! : null)),
    fill((i) => (i < past ? actual[i]! + 2 : null)),
    fill((i) => (i >= past ? 50 + h(i) / 2 : null)),
    fill(() => null),
    fill((i) => (i >= past ? 42 + h(i) / 2 : null)),
    fill((i) => (i >= past ? 62 + h(i) / 2 : null)),
  ];
}

/** 48 normal hours: a daily shape between $20 and $60. */
const NORMAL = Array.from({ length: 48 }, (_, i) => 40 + 20 * Math.sin((2 * Math.PI * i) / 24));

describe('dashboard price axis (chart-data.js priceRange)', () => {
  let chart: ChartData;

  before(async () => {
    chart = (await import(pathToFileURL(path.join(projectRoot(), 'gateway', 'public', 'chart-data.js')).href)) as ChartData;
  });

  it('quantile interpolates between closest ranks', () => {
    assert.equal(chart.quantile([10, 20, 30, 40, 50], 0.5), 30);
    assert.equal(chart.quantile([10, 20, 30, 40, 50], 0.95), 48);
    assert.equal(chart.quantile([], 0.5), null);
  });

  it('without a spike: the full range of the data, nothing clipped', () => {
    const r = chart.priceRange(columns(NORMAL))!;
    const band = { lo: 42, hi: 62 + 35 / 2 };
    assert.equal(r.min, Math.min(...NORMAL));
    assert.equal(r.max, Math.max(...NORMAL.map((v) => v + 2), band.hi));
    assert.deepEqual(r.full, [r.min, r.max]);
    assert.deepEqual(r.clipped, []);
  });

  it('one hour at the $5,000 cap: the range is set by the normal hours and the band, the spike is flagged', () => {
    const spiked = NORMAL.slice();
    spiked[30] = 5_000;
    const data = columns(spiked);
    const r = chart.priceRange(data)!;
    const normal = spiked.filter((v) => v < 1_000);
    // The top is the highest value that is not a spike: a normal hour's horizon-1 forecast or the band's P90.
    assert.equal(r.max, Math.max(...normal.map((v) => v + 2), 62 + 35 / 2));
    assert.equal(r.min, Math.min(...normal));
    assert.ok(r.max < 100, `the axis top ${r.max} reads the $20-60 hours`);
    assert.deepEqual(r.full, [Math.min(...normal), 5_002]);
    assert.deepEqual(r.clipped, [
      { t: data[0]![30], v: 5_000, series: 'actual', side: 'high' },
      { t: data[0]![30], v: 5_002, series: 'forecast', side: 'high' },
    ]);
  });

  it('a negative spike is clipped at the bottom; an ordinary peak near the bulk is shown whole', () => {
    const dipped = NORMAL.slice();
    dipped[5] = -250;
    dipped[20] = 95;
    const r = chart.priceRange(columns(dipped))!;
    assert.equal(r.max, 97, 'the $95 hour (and its $97 forecast) inside the axis');
    assert.deepEqual(r.clipped.map((c) => [c.series, c.v, c.side]), [['actual', -250, 'low'], ['forecast', -248, 'low']]);
    assert.ok(r.min > 0, `the axis bottom ${r.min} reads the normal hours`);
  });

  it('no values: null (uPlot ranges the empty chart itself)', () => {
    assert.equal(chart.priceRange([[], [], [], [], [], [], []]), null);
  });

  it('clipped markers close together merge per edge, across series, into the most extreme value and a count; none overlap', () => {
    // HB_WEST at 720 h: -85 (actual) and -91 (forecast) 3 px apart drew "-854" and "-:91"; LZ_NORTH's heat-wave
    // spikes drew "▲4,1▲2,976" at the top.
    const points = [
      { x: 300, v: -85, series: 'actual', side: 'low' },
      { x: 303, v: -91, series: 'forecast', side: 'low' },
      { x: 500, v: -60, series: 'actual', side: 'low' },
      { x: 100, v: 4_100, series: 'actual', side: 'high' },
      { x: 112, v: 2_976, series: 'forecast', side: 'high' },
      { x: 130, v: 5_000, series: 'actual', side: 'high' },
      { x: 400, v: 900, series: 'actual', side: 'high' },
    ];
    const markers = chart.layoutMarkers(points, measure);
    assertApart(markers);
    assert.deepEqual(markers.map((m) => [m.side, m.label, m.series, m.n]), [
      ['high', '5,000 (×3)', 'actual', 3],
      ['high', '900', 'actual', 1],
      ['low', '-91 (×2)', 'forecast', 2],
      ['low', '-60', 'actual', 1],
    ]);
    // Every clipped value keeps its triangle.
    assert.deepEqual(markers.flatMap((m) => m.points.map((p) => p.x)).sort((a, b) => a - b), points.map((p) => p.x).sort((a, b) => a - b));
  });

  it('a run of clipped hours merges as labels would collide, and a label at the right edge goes left of its triangle', () => {
    // An hourly spike every 6 px for 10 hours, then two far apart; 24 px per hour further right.
    const run = Array.from({ length: 10 }, (_, i) => ({ x: 50 + 6 * i, v: 1_000 + 100 * i, series: i % 2 ? 'forecast' : 'actual', side: 'high' }));
    const apart = [{ x: 400, v: 800, series: 'actual', side: 'high' }, { x: 700, v: 750, series: 'actual', side: 'high' }];
    const markers = chart.layoutMarkers([...apart, ...run], measure, { right: 720 });
    assertApart(markers);
    assert.deepEqual(markers.map((m) => m.label), ['1,900 (×10)', '800', '750']);
    const edge = markers[2]!;
    assert.equal(edge.align, 'right');
    assert.ok(edge.box[1] <= 720 && edge.labelX <= 700, `the label stays inside the plot: ${JSON.stringify(edge)}`);
    // Scaled for a device pixel ratio of 2: the triangles' half width and the spacing double.
    const scaled = chart.layoutMarkers(run.map((p) => ({ ...p, x: p.x * 2 })), (l) => measure(l) * 2, { px: 2 });
    assert.deepEqual(scaled.map((m) => [m.label, m.labelX, m.box]), [['1,900 (×10)', 2 * (104 + 5 + 3), [2 * (50 - 5), 2 * (112 + 77)]]]);
    assert.throws(() => chart.layoutMarkers([{ x: Number.NaN, v: 1, series: 'actual', side: 'high' }], measure), /not a number/);
  });

  it('the error chart: the same robust rule, symmetric around zero, a spike\'s error clipped', () => {
    const spiked = NORMAL.slice();
    spiked[30] = 5_000;
    const data = columns(spiked);
    // alignedData's error column: forecast − actual = 2 in the normal hours, a wild miss at the spike.
    data[4] = data[0]!.map((_, i) => (i < 48 ? (i === 30 ? -4_950 : 2 + (i % 5) - 2) : null));
    const r = chart.errorRange(data)!;
    assert.equal(r.max, -r.min);
    assert.ok(r.max < 10, `the error axis reads the normal hours: ${JSON.stringify(r)}`);
    assert.deepEqual(r.full, [-4_950, 4_950]);
    assert.deepEqual(r.clipped, [{ t: data[0]![30], v: -4_950, series: 'error', side: 'low' }]);
    assert.equal(chart.errorRange([[], [], [], [], [], [], []]), null);
  });

  it('the status line says a series without any forecast is not forecast', () => {
    const none = { actual: { t: [1], v: [30] }, forecast: { t: [], v: [] }, curve: { t: [], v: [] }, curveInfo: null };
    assert.match(chart.noErrorStatus(none, { market: 'ERCOT', series: 'LZ_NORTH', kind: 'RT_PRICE' }), /^LZ_NORTH \(ERCOT, RT_PRICE\) is not forecast/);
    const waiting = { ...none, curve: { t: [2], v: [31] }, curveInfo: { issuedAt: '2024-08-01T00:00:00Z', modelVersion: 'v1' } };
    assert.equal(chart.noErrorStatus(waiting, { market: 'ERCOT', series: 'HB_NORTH', kind: 'RT_PRICE' }), 'no forecast has an actual yet');
  });
});
