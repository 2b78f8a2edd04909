// trace: 2.2, D.windower
// Window shape: when the first window comes and how big it is, aggregation of finer ticks, gaps, trend, the
// 15-minute step, and when a silent series stops emitting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureWindow, MarketTick, TickKind } from '../../schemas/types.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import { feedTicks } from './windower-feed.js';

const HOUR = 3_600_000;
const QUARTER = 900_000;
const T0 = Date.UTC(2024, 0, 8, 6); // Monday 2024-01-08 00:00 CST

function tick(seriesId: string, kind: TickKind, start: number, ms: number, value: number): MarketTick {
  return {
    market: 'ERCOT', seriesId, pointType: 'HUB', kind, intervalStart: start, intervalEnd: start + ms, value,
    unit: 'USD/MWh', source: 'test', ingestedAt: start + ms,
  };
}

/** The windows of `ticks` fed in order, computed at 42. */
const feed = (w: PartitionWindower, ticks: MarketTick[]): FeatureWindow[] => feedTicks(w, ticks, 42);

const hourly = (n: number, value: (h: number) => number, skip: (h: number) => boolean = () => false): MarketTick[] =>
  Array.from({ length: n }, (_, h) => h)
    .filter((h) => !skip(h))
    .map((h) => tick('HB_NORTH', 'DAM_PRICE', T0 + h * HOUR, HOUR, value(h)));

describe('windower windows', () => {
  it('emits the first window only once 24 hourly steps exist, with exactly 24 points', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR }); // lateness 2 h by default
    const ticks = hourly(30, (h) => 100 + h);
    const emittedAt: number[] = [];
    const out: FeatureWindow[] = [];
    ticks.forEach((t, h) => {
      const r = w.add(t, 42);
      if (r.windows.length) emittedAt.push(h);
      out.push(...r.windows);
    });
    // the window ending at T0 + 24 h is final when the watermark (max start - 2 h) reaches it: at hour 26
    assert.deepEqual(emittedAt, [26, 27, 28, 29]);
    const first = out[0]!;
    assert.equal(first.windowStart, T0);
    assert.equal(first.windowEnd, T0 + 24 * HOUR);
    assert.equal(first.values.length, 24);
    assert.deepEqual(first.values, Array.from({ length: 24 }, (_, h) => 100 + h));
    assert.equal(first.count, 24);
    assert.equal(first.missing, 0);
    assert.equal(first.mean, 111.5);
    assert.equal(first.min, 100);
    assert.equal(first.max, 123);
    assert.equal(first.last, 123);
    assert.equal(first.lag1h, 122);
    assert.equal(first.lag24h, null);
    assert.equal(first.lag168h, null);
    assert.equal(first.computedAt, 42);
    assert.equal(first.stepMs, HOUR);
    // then one window per step, sliding by one hour
    assert.deepEqual(out.map((x) => x.windowEnd), [24, 25, 26, 27].map((h) => T0 + h * HOUR));
    assert.deepEqual(out[1]!.values, Array.from({ length: 24 }, (_, h) => 101 + h));
  });

  it('averages 15-minute ticks into hourly values', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 });
    const price = (q: number): number => 20 + ((q * 7) % 13) * 1.25 + (q % 4 === 3 ? 0.1 : 0);
    const ticks = Array.from({ length: 4 * 25 }, (_, q) => tick('HB_NORTH', 'RT_PRICE', T0 + q * QUARTER, QUARTER, price(q)));
    const out = feed(w, ticks);
    assert.equal(out.length, 1);
    const win = out[0]!;
    assert.equal(win.values.length, 24);
    win.values.forEach((v, h) => assert.equal(v, (price(4 * h) + price(4 * h + 1) + price(4 * h + 2) + price(4 * h + 3)) / 4));
  });

  it('marks gaps as missing and null, and computes the features over the present points', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 });
    const out = feed(w, hourly(25, (h) => h, (h) => h === 5 || h === 6 || h === 23));
    const win = out[0]!;
    assert.equal(win.windowEnd, T0 + 24 * HOUR);
    assert.equal(win.count, 21);
    assert.equal(win.missing, 3);
    assert.equal(win.values[5], null);
    assert.equal(win.values[6], null);
    assert.equal(win.values[23], null);
    assert.equal(win.values.filter((v) => v === null).length, 3);
    const present = win.values.filter((v): v is number => v !== null);
    assert.ok(Math.abs(win.mean! - present.reduce((a, b) => a + b, 0) / present.length) < 1e-12);
    assert.equal(win.last, 22, 'last is the newest present value');
    assert.equal(win.lag1h, 22);
  });

  it('has a positive trend for a rising series and a negative one for a falling series', () => {
    const up = feed(new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 }), hourly(25, (h) => 10 + 2 * h));
    const down = feed(new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 }), hourly(25, (h) => 50 - 0.5 * h + (h % 2) * 0.3));
    assert.ok(Math.abs(up[0]!.trend! - 2) < 1e-12, `trend ${up[0]!.trend}`);
    assert.ok(down[0]!.trend! < 0, `trend ${down[0]!.trend}`);
    const flat = feed(new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 }), hourly(25, () => 7.3));
    assert.equal(flat[0]!.std, 0);
    assert.ok(Math.abs(flat[0]!.trend!) < 1e-12);
  });

  it('supports a 15-minute step: 96 points, first window after 96 steps', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: QUARTER, allowedLatenessMs: 0 });
    assert.equal(w.windowSteps, 96);
    const ticks = Array.from({ length: 98 }, (_, q) => tick('HB_NORTH', 'RT_PRICE', T0 + q * QUARTER, QUARTER, q));
    const out = feed(w, ticks);
    assert.equal(out.length, 2);
    assert.equal(out[0]!.stepMs, QUARTER);
    assert.equal(out[0]!.values.length, 96);
    assert.equal(out[0]!.windowEnd, T0 + 24 * HOUR);
    assert.deepEqual(out[0]!.values, Array.from({ length: 96 }, (_, q) => q));
    assert.equal(out[0]!.lag1h, 91, 'an hour before the last slot is four slots back');
    assert.equal(out[0]!.trend, 1);
    assert.equal(out[1]!.windowEnd, T0 + 24 * HOUR + QUARTER);
  });

  it('spreads an hourly tick over the four 15-minute slots it covers', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: QUARTER, allowedLatenessMs: 0 });
    const out = feed(w, hourly(25, (h) => h));
    assert.deepEqual(out[0]!.values, Array.from({ length: 96 }, (_, q) => Math.floor(q / 4)));
  });

  it('stops emitting once a silent series has nothing left in its window', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 });
    const out = feed(w, [...hourly(30, (h) => h), tick('HB_SOUTH', 'DAM_PRICE', T0 + 100 * HOUR, HOUR, 1)]);
    const north = out.filter((x) => x.seriesId === 'HB_NORTH');
    // windows ending at hours 24..29 while fed, then 24 more (ending 30..53) while its values age out
    assert.equal(north.length, 6 + 24);
    assert.equal(north.at(-1)!.count, 1);
    assert.equal(north.at(-1)!.windowEnd, T0 + 53 * HOUR);
  });
});
