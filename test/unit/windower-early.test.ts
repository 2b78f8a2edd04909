// trace: D.freshness, D.windower
// Early firing: a series' window comes out as soon as its slot is complete (all expected intervals present),
// before the watermark passes it; a later tick within the allowed lateness re-emits it corrected; beyond the
// lateness the tick is refused as late. Against the watermark-only windower, the last emission of every window
// equals the finalised one (same slot values, features to 1e-9).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureWindow, MarketTick, TickKind } from '../../schemas/types.js';
import { Rng } from '../../streams/simulator/prng.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { PartitionWindower, type WindowerSnapshot } from '../../processors/windower/windower.js';
import { feedTicks } from './windower-feed.js';

const HOUR = 3_600_000;
const QUARTER = 900_000;
const T0 = Date.UTC(2024, 6, 1, 5); // 2024-07-01 00:00 CDT

function tick(seriesId: string, kind: TickKind, start: number, ms: number, value: number): MarketTick {
  return {
    market: 'ERCOT', seriesId, pointType: seriesId === 'SYSTEM' ? 'SYSTEM' : 'HUB', kind, intervalStart: start, intervalEnd: start + ms,
    value, unit: kind.endsWith('PRICE') ? 'USD/MWh' : 'MW', source: 'test', ingestedAt: 0,
  };
}

/** 15-minute RT prices of one hub for `hours` hours from T0, value = hour index + quarter / 10. */
function quarters(hours: number, from = 0): MarketTick[] {
  const out: MarketTick[] = [];
  for (let h = from; h < from + hours; h++) for (let q = 0; q < 4; q++) out.push(tick('HB_NORTH', 'RT_PRICE', T0 + h * HOUR + q * QUARTER, QUARTER, h + q / 10));
  return out;
}

describe('windower early firing', () => {
  it('emits an hourly window as soon as its four 15-minute ticks are in, before the watermark passes it', () => {
    const w = new PartitionWindower({ stepMs: HOUR }); // allowed lateness 2 h
    const before = feedTicks(w, quarters(24));
    // 24 complete hours: the window ending with hour 23 (T0 + 24 h) is out already, though the watermark is
    // at T0 + 23.75 h - 2 h
    assert.equal(before.at(-1)?.windowEnd, T0 + 24 * HOUR);
    assert.ok(w.watermarkMs! < T0 + 24 * HOUR);
    assert.ok(Math.abs(before.at(-1)!.mean! - (11.5 + 0.15)) < 1e-12); // hours 0-23, each h + 0.15
    // three quarters of hour 24: nothing; the fourth completes it and its window comes out at once
    const three = feedTicks(w, quarters(1, 24).slice(0, 3));
    assert.deepEqual(three, []);
    const fourth = feedTicks(w, quarters(1, 24).slice(3));
    assert.equal(fourth.length, 1);
    assert.equal(fourth[0]!.windowEnd, T0 + 25 * HOUR);
    assert.equal(fourth[0]!.values.at(-1), (24 + 24.1 + 24.2 + 24.3) / 4);
    assert.equal(fourth[0]!.count, 24);
  });

  it('emits an hourly series (one tick per slot) at once, and with early firing off only at the watermark', () => {
    const hourly = Array.from({ length: 26 }, (_, h) => tick('HB_NORTH', 'DAM_PRICE', T0 + h * HOUR, HOUR, h));
    const early = new PartitionWindower({ stepMs: HOUR });
    const late = new PartitionWindower({ stepMs: HOUR, fireWhenComplete: false });
    const e = feedTicks(early, hourly);
    const l = feedTicks(late, hourly);
    assert.deepEqual(e.map((x) => x.windowEnd), [T0 + 24 * HOUR, T0 + 25 * HOUR, T0 + 26 * HOUR]);
    assert.deepEqual(l.map((x) => x.windowEnd), []); // the watermark (25 h - 2 h) has passed hour 22 only
  });

  it('holds an incomplete slot (and the complete ones after it) until the watermark passes it', () => {
    const w = new PartitionWindower({ stepMs: HOUR });
    const ticks = quarters(30).filter((t) => t.intervalStart !== T0 + 26 * HOUR + 2 * QUARTER); // hour 26 lacks a quarter
    const ends = feedTicks(w, ticks).map((x) => x.windowEnd);
    // hours 23-25 early; hour 26 waits for the watermark (it passes hour 26 at the tick of 29:00, 29 h - 2 h = 27 h),
    // then hours 27 and 28 (complete) follow at once, and hour 29 when its last quarter comes
    assert.deepEqual(ends, [24, 25, 26, 27, 28, 29, 30].map((h) => T0 + h * HOUR));
    const w26 = feedTicks(new PartitionWindower({ stepMs: HOUR }), ticks).find((x) => x.windowEnd === T0 + 27 * HOUR)!;
    assert.equal(w26.values.at(-1), (26 + 26.1 + 26.3) / 3);
  });

  it('re-emits a window corrected by a tick within the allowed lateness, and refuses one beyond it', () => {
    const w = new PartitionWindower({ stepMs: HOUR });
    feedTicks(w, quarters(25));
    // a revised price for 24:15, still within the lateness: the window ending 25 h comes out again, corrected
    const revised = w.add(tick('HB_NORTH', 'RT_PRICE', T0 + 24 * HOUR + QUARTER, QUARTER, 100), 2);
    assert.equal(revised.late, undefined);
    assert.equal(revised.windows.length, 1);
    assert.equal(revised.windows[0]!.windowEnd, T0 + 25 * HOUR);
    assert.equal(revised.windows[0]!.values.at(-1), (24 + 100 + 24.2 + 24.3) / 4);
    assert.equal(revised.windows[0]!.max, (24 + 100 + 24.2 + 24.3) / 4);
    // when the watermark passes hour 24 the window is not emitted a third time: it has not changed
    const on = feedTicks(w, quarters(3, 25)).filter((x) => x.windowEnd === T0 + 25 * HOUR);
    assert.deepEqual(on, []);
    // the same revision once the watermark has passed the slot: late (the caller dead-letters it), state unchanged
    const snap = JSON.stringify(w.snapshot());
    const tooLate = w.add(tick('HB_NORTH', 'RT_PRICE', T0 + 24 * HOUR + QUARTER, QUARTER, 200), 3);
    assert.equal(tooLate.late?.reasonCode, 'late');
    assert.deepEqual(tooLate.windows, []);
    assert.equal(JSON.stringify(w.snapshot()), snap);
  });

  it('re-emits an early window at the watermark when the related SYSTEM values came in after it', () => {
    const w = new PartitionWindower({ stepMs: HOUR, allowedLatenessMs: HOUR });
    const prices = Array.from({ length: 27 }, (_, h) => tick('HB_NORTH', 'DAM_PRICE', T0 + h * HOUR, HOUR, h));
    const out = feedTicks(w, prices.slice(0, 25)); // windows ending 24 h and 25 h early, without system load
    assert.equal(out.at(-1)!.windowEnd, T0 + 25 * HOUR);
    assert.equal(out.at(-1)!.systemLoad, null);
    w.addRelated(tick('SYSTEM', 'LOAD', T0 + 24 * HOUR, HOUR, 50_000));
    const later = feedTicks(w, prices.slice(25)); // the watermark passes hour 24 (26 h - 1 h = 25 h)
    const again = later.filter((x) => x.windowEnd === T0 + 25 * HOUR);
    assert.equal(again.length, 1);
    assert.equal(again[0]!.systemLoad, 50_000);
  });

  it('ends, per window, with what the watermark-only windower emits, and restores mid-stream to the same output', () => {
    const rng = new Rng(7);
    const items: Array<{ at: number; i: number; tick: MarketTick }> = [];
    let i = 0;
    for (const t of simulateMarket({ start: T0, days: 4, seed: 7, nodes: ['HB_NORTH', 'HB_HOUSTON'] })) {
      if (rng.uniform() < 0.03) continue; // gaps: incomplete slots
      items.push({ at: t.intervalStart + Math.floor(rng.uniform() * HOUR), i: i++, tick: t });
      if (rng.uniform() < 0.03) items.push({ at: t.intervalStart + Math.floor(rng.uniform() * 1.5 * HOUR), i: i++, tick: { ...t, value: t.value + 7 } }); // revisions
    }
    const ticks = items.sort((a, b) => a.at - b.at || a.i - b.i).map((x) => x.tick);
    const run = (fire: boolean, cut?: number) => {
      let w = new PartitionWindower({ stepMs: HOUR, fireWhenComplete: fire });
      const last = new Map<string, FeatureWindow>();
      const lines: string[] = [];
      ticks.forEach((t, j) => {
        if (j === cut) w = PartitionWindower.restore(JSON.parse(JSON.stringify(w.snapshot())) as WindowerSnapshot);
        const r = w.add(t, j);
        lines.push(JSON.stringify(r));
        for (const x of r.windows) last.set(`${x.seriesId}/${x.kind}@${x.windowEnd}`, x);
      });
      return { last, lines, frontierEnd: Math.floor(w.watermarkMs! / HOUR) * HOUR };
    };
    const final = run(false);
    const early = run(true);
    assert.ok(final.last.size > 100);
    let earlier = 0;
    for (const [key, f] of final.last) {
      const e = early.last.get(key);
      assert.ok(e, `${key} emitted with early firing`);
      assert.deepEqual(e.values, f.values, `${key} values`);
      for (const field of ['mean', 'std', 'min', 'max', 'last', 'trend', 'lag1h', 'lag24h', 'lag168h', 'systemLoad', 'wind', 'solar', 'netLoad', 'count', 'hourOfDay'] as const) {
        const a = e[field] as number | null;
        const b = f[field] as number | null;
        if (b === null) assert.equal(a, null, `${key} ${field}`);
        else assert.ok(a !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${key} ${field}: ${String(a)} vs ${b}`);
      }
    }
    for (const [key, e] of early.last) {
      if (final.last.has(key)) continue;
      earlier++;
      assert.ok(e.windowEnd > final.frontierEnd, `${key}: only windows the watermark has not reached are extra`);
    }
    assert.ok(earlier > 0, 'some windows are out before the watermark');
    // a restore at any point continues exactly as the uninterrupted run
    for (const cut of [1, Math.floor(ticks.length / 3), ticks.length - 5]) {
      const r = run(true, cut);
      assert.equal(r.lines.length, early.lines.length);
      for (let j = 0; j < r.lines.length; j++) if (r.lines[j] !== early.lines[j]) assert.equal(r.lines[j], early.lines[j], `output of tick ${j} after a restore at ${cut}`);
    }
  });
});

describe('data-to-forecast staleness', () => {
  it('is zero at each hour end with early firing, and the watermark delay (lateness + a step) without', async () => {
    const { simulateStaleness } = await import('../../processors/windower/staleness.js');
    const ticks = quarters(48);
    const after = simulateStaleness(ticks, { stepMs: HOUR });
    const before = simulateStaleness(ticks, { stepMs: HOUR, fireWhenComplete: false });
    assert.equal(after.maxMs, 0); // each hour's last quarter completes it: its window (target) starts at the data's end
    // watermark-only: hour k is final once the newest tick starts 2 h after its end, and the data then ends 3 h after it
    assert.equal(before.meanMs, 3 * HOUR);
    assert.equal(before.maxMs, 3 * HOUR);
    assert.ok(before.p50Ms > after.p50Ms);
  });

  it('reads stored staleness as tick end minus forecast target and says whether it is under one step', async () => {
    const { describeStaleness } = await import('../../reports/staleness.js');
    const s = { market: 'ERCOT', newestTickEnd: T0 + 16 * HOUR, newestForecastTarget: T0 + 16 * HOUR, stalenessMs: 0 };
    assert.match(describeStaleness(s), /staleness 0\.00 h = 0\.00 steps \(under one step\)/);
    assert.match(describeStaleness({ ...s, newestForecastTarget: T0 + 13 * HOUR, stalenessMs: 3 * HOUR }), /3\.00 steps \(one step or more behind\)/);
    assert.match(describeStaleness({ ...s, newestForecastTarget: null, stalenessMs: null }), /no forecast stored yet/);
  });
});
