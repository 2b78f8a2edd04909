// trace: 2.2, D.windower
// Event time: disorder within the allowed lateness, late ticks, duplicates, invalid ticks, idle partitions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureWindow, MarketTick, TickKind } from '../../schemas/types.js';
import { PartitionWindower, idleEventTime } from '../../processors/windower/windower.js';

const HOUR = 3_600_000;
const QUARTER = 900_000;
const T0 = Date.UTC(2024, 0, 8, 6);

function tick(seriesId: string, kind: TickKind, start: number, ms: number, value: number): MarketTick {
  return {
    market: 'ERCOT', seriesId, pointType: 'HUB', kind, intervalStart: start, intervalEnd: start + ms, value,
    unit: 'USD/MWh', source: 'test', ingestedAt: 0,
  };
}
const h = (n: number, value: number, id = 'HB_NORTH'): MarketTick => tick(id, 'DAM_PRICE', T0 + n * HOUR, HOUR, value);

function collect(w: PartitionWindower, ticks: MarketTick[]): { windows: FeatureWindow[]; late: string[] } {
  const windows: FeatureWindow[] = [];
  const late: string[] = [];
  for (const t of ticks) {
    const r = w.add(t, 0);
    windows.push(...r.windows);
    if (r.late) late.push(`${r.late.reasonCode}:${(t.intervalStart - T0) / HOUR}`);
  }
  return { windows, late };
}

describe('windower event time', () => {
  it('takes out-of-order ticks within the allowed lateness into the right slot', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 2 * HOUR });
    const order = [...Array(22).keys()];
    // after hour 24 the watermark is 22:00: hours 22 and 23 are still open
    const { windows, late } = collect(w, [...order.map((n) => h(n, n)), h(24, 24), h(23, 23), h(22, 22), h(25, 25), h(26, 26)]);
    assert.deepEqual(late, []);
    assert.equal(windows.length, 1);
    assert.deepEqual(windows[0]!.values, [...Array(24).keys()]);
    assert.equal(windows[0]!.missing, 0);
  });

  it('rejects a tick whose slot was already emitted as late, and leaves the state alone', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 2 * HOUR });
    const ticks = [...[...Array(27).keys()].filter((n) => n !== 10).map((n) => h(n, n)), h(10, 10), h(24, 99), h(25, 25.5), h(27, 27)];
    const { windows, late } = collect(w, ticks);
    // after hour 26 the watermark is 24:00: slots up to hour 23 are final; hour 10 and 24 (at 27) are late by then
    assert.deepEqual(late, ['late:10']);
    assert.equal(windows.length, 2);
    assert.equal(windows[0]!.values[10], null, 'the late value is not in the window');
    assert.equal(windows[1]!.windowEnd, T0 + 25 * HOUR);
    assert.equal(windows[1]!.values[23], 99, 'hour 24 was still open (watermark 24:00 < its end) and was replaced');
    assert.equal(windows[1]!.values[22], 23);
    const r = w.add(h(24, 1), 0);
    assert.equal(r.late?.reasonCode, 'late');
    assert.match(r.late!.message, /HB_NORTH DAM_PRICE .* is late/);
    assert.deepEqual(r.windows, []);
  });

  it('replaces a duplicate tick (same series and interval start) instead of adding it', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: 0 });
    const quarters = (q: number, v: number): MarketTick => tick('HB_NORTH', 'RT_PRICE', T0 + q * QUARTER, QUARTER, v);
    const ticks: MarketTick[] = [];
    for (let q = 0; q < 96; q++) {
      ticks.push(quarters(q, 10));
      if (q % 4 === 1) ticks.push(quarters(q, 30)); // re-delivered with a corrected value
      if (q % 4 === 2) ticks.push(quarters(q, 10)); // re-delivered unchanged
    }
    ticks.push(quarters(96, 0));
    const { windows, late } = collect(w, ticks);
    assert.deepEqual(late, []);
    assert.equal(windows.length, 1);
    assert.deepEqual(windows[0]!.values, Array(24).fill(15));
  });

  it('rejects unusable ticks with reason validation', () => {
    const w = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR });
    assert.equal(w.add({ ...h(0, 1), value: Number.NaN }, 0).late?.reasonCode, 'validation');
    assert.equal(w.add({ ...h(0, 1), intervalEnd: T0 }, 0).late?.reasonCode, 'validation');
    assert.equal(w.watermarkMs, null);
  });

  it('keeps one watermark per partition, and an idle partition can be advanced by wall clock', () => {
    const busy = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR });
    const idle = new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR });
    collect(idle, [...Array(24).keys()].map((n) => h(n, n, 'HB_WEST')));
    const busyOut = collect(busy, [...Array(40).keys()].map((n) => h(n, n)));
    assert.equal(busyOut.windows.length, 40 - 26);
    assert.equal(idle.watermarkMs, T0 + 21 * HOUR);
    // no more ticks reach the idle partition; the caller moves it by wall clock, 2 h behind "now"
    const now = T0 + 40 * HOUR;
    const out = idle.advanceTo(idleEventTime(now, 2 * HOUR), 0);
    assert.equal(idle.watermarkMs, T0 + 36 * HOUR);
    assert.deepEqual(out.map((x) => (x.windowEnd - T0) / HOUR), [24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36]);
    assert.equal(out.at(-1)!.count, 24 - 12);
    assert.deepEqual(idle.advanceTo(T0, 0), [], 'never moves back');
    assert.equal(idle.add(h(30, 1, 'HB_WEST'), 0).late?.reasonCode, 'late');
  });

  it('validates its options', () => {
    assert.throws(() => new PartitionWindower({ stepMs: 60_000 as typeof HOUR }), /stepMs/);
    assert.throws(() => new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, windowSteps: 1 }), /windowSteps/);
    assert.throws(() => new PartitionWindower({ fireWhenComplete: false, stepMs: HOUR, allowedLatenessMs: -1 }), /allowedLatenessMs/);
  });
});
