// trace: D.windower
// Snapshot and restore: a windower restored from a JSON round trip of its snapshot, at any point, gives the
// same subsequent output byte for byte as one never interrupted; and the same input gives the same output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MarketTick } from '../../schemas/types.js';
import { Rng } from '../../streams/simulator/prng.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { PartitionWindower, type WindowerOptions, type WindowerSnapshot } from '../../processors/windower/windower.js';

const HOUR = 3_600_000;
const QUARTER = 900_000;
const START = Date.UTC(2024, 10, 1, 5); // 2024-11-01 00:00 CDT: crosses the fall-back day

/** Simulated market ticks, displaced in arrival order by up to `jitterMs`, with some duplicates. */
function input(days: number, nodes: string[], jitterMs: number, seed: number): MarketTick[] {
  const rng = new Rng(seed);
  const items: Array<{ at: number; i: number; tick: MarketTick }> = [];
  let i = 0;
  for (const t of simulateMarket({ start: START, days, seed, nodes })) {
    if (rng.uniform() < 0.01) continue; // gaps
    items.push({ at: t.intervalStart + Math.floor(rng.uniform() * jitterMs), i: i++, tick: t });
    if (rng.uniform() < 0.01) items.push({ at: t.intervalStart + Math.floor(rng.uniform() * 4 * jitterMs), i: i++, tick: { ...t, value: t.value + 1 } });
  }
  return items.sort((a, b) => a.at - b.at || a.i - b.i).map((x) => x.tick);
}

function run(opts: WindowerOptions, ticks: MarketTick[], cuts: Set<number>): { lines: string[]; last: WindowerSnapshot } {
  let w = new PartitionWindower(opts);
  const lines: string[] = [];
  ticks.forEach((t, i) => {
    if (cuts.has(i)) w = PartitionWindower.restore(JSON.parse(JSON.stringify(w.snapshot())) as WindowerSnapshot, opts);
    lines.push(JSON.stringify(w.add(t, START + i)));
  });
  return { lines, last: w.snapshot() };
}

function compare(a: string[], b: string[]): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.equal(b[i], a[i], `output of tick ${i} differs`);
}

describe('windower snapshot and restore', () => {
  const cases: Array<{ name: string; opts: WindowerOptions; days: number; nodes: string[] }> = [
    { name: 'hourly step', opts: { stepMs: HOUR }, days: 10, nodes: ['HB_NORTH', 'HB_WEST', 'LZ_HOUSTON'] },
    { name: '15-minute step', opts: { stepMs: QUARTER, allowedLatenessMs: HOUR }, days: 9, nodes: ['HB_WEST'] },
  ];
  for (const c of cases) {
    it(`${c.name}: restoring mid-stream gives identical output`, () => {
      const ticks = input(c.days, c.nodes, c.opts.allowedLatenessMs ?? 2 * c.opts.stepMs, 5);
      const plain = run(c.opts, ticks, new Set());
      const windows = plain.lines.reduce((n, l) => n + (JSON.parse(l) as { windows: unknown[] }).windows.length, 0);
      assert.ok(windows > 1000, `windows ${windows}`);
      assert.ok(plain.lines.some((l) => l.includes('"late"')), 'some duplicates arrive late');
      assert.ok(plain.lines.some((l) => /"lag168h":-?\d/.test(l)), 'the 168-hour lag is exercised');
      const rng = new Rng(9);
      const cuts = new Set([0, 1, 2, 100, ...Array.from({ length: 40 }, () => Math.floor(rng.uniform() * ticks.length))]);
      const restored = run(c.opts, ticks, cuts);
      compare(plain.lines, restored.lines);
      assert.equal(JSON.stringify(restored.last), JSON.stringify(plain.last), 'final states are identical');
    });
  }

  it('is deterministic: the same input gives byte-identical output and snapshots', () => {
    const ticks = input(3, ['HB_NORTH'], 2 * HOUR, 8);
    const a = run({ stepMs: HOUR }, ticks, new Set());
    const b = run({ stepMs: HOUR }, ticks, new Set());
    compare(a.lines, b.lines);
    assert.equal(JSON.stringify(a.last), JSON.stringify(b.last));
  });

  it('restores a snapshot with related-only series and before the first tick', () => {
    const opts: WindowerOptions = { stepMs: HOUR, allowedLatenessMs: 0 };
    const empty = PartitionWindower.restore(JSON.parse(JSON.stringify(new PartitionWindower(opts).snapshot())) as WindowerSnapshot, opts);
    assert.equal(empty.seriesCount, 0);
    assert.equal(empty.watermarkMs, null);
    const ticks = input(2, ['HB_NORTH'], 0, 3);
    const feed = (w: PartitionWindower, cut: number): string[] =>
      ticks.map((t, i) => {
        if (i === cut) w = PartitionWindower.restore(JSON.parse(JSON.stringify(w.snapshot())) as WindowerSnapshot, opts);
        return t.seriesId === 'SYSTEM' ? JSON.stringify(w.addRelated(t) ?? null) : JSON.stringify(w.add(t, 0));
      });
    compare(feed(new PartitionWindower(opts), -1), feed(new PartitionWindower(opts), 1));
    compare(feed(new PartitionWindower(opts), -1), feed(new PartitionWindower(opts), 3000));
  });

  it('refuses a snapshot taken with another step or window', () => {
    const snap = new PartitionWindower({ stepMs: HOUR }).snapshot();
    assert.throws(() => PartitionWindower.restore(snap, { stepMs: QUARTER }), /stepMs/);
    assert.throws(() => PartitionWindower.restore(snap, { stepMs: HOUR, windowSteps: 12 }), /windowSteps/);
    assert.throws(() => PartitionWindower.restore({ ...snap, version: 2 as 1 }), /version/);
  });
});
