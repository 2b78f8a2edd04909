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
interface ChartData {
  priceRange(data: Column[]): PriceRange | null;
  quantile(sorted: number[], q: number): number | null;
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
});
