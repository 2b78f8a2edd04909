// trace: 2.3, D.windower
// The windower's incremental features against a brute-force recomputation from every accepted tick, over
// thousands of steps of random data with gaps, ties, disorder within the allowed lateness, duplicates and late
// ticks; also which windows are emitted, their order, and the late decisions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureWindow, MarketTick, TickKind } from '../../schemas/types.js';
import { Rng } from '../../streams/simulator/prng.js';
import { PartitionWindower, type WindowerOptions } from '../../processors/windower/windower.js';

const HOUR = 3_600_000;
const QUARTER = 900_000;
const T0 = Date.UTC(2024, 2, 1, 6); // 2024-03-01 00:00 CST; runs cross the March DST change

interface SeriesSpec {
  seriesId: string;
  kind: TickKind;
  tickMs: number;
  /** Probability that a tick is missing. */
  gap: number;
  value: (rng: Rng, t: number) => number;
}

const SPECS: SeriesSpec[] = [
  { seriesId: 'HB_NORTH', kind: 'RT_PRICE', tickMs: QUARTER, gap: 0.05, value: (r) => Math.round(20 + 60 * r.uniform() + (r.uniform() < 0.01 ? 3000 : 0)) },
  { seriesId: 'HB_WEST', kind: 'RT_PRICE', tickMs: QUARTER, gap: 0.3, value: (r) => -30 + 80 * r.uniform() },
  { seriesId: 'HB_NORTH', kind: 'DAM_PRICE', tickMs: HOUR, gap: 0.02, value: (r) => Math.round(r.uniform() * 4) },
  { seriesId: 'SYSTEM', kind: 'LOAD', tickMs: QUARTER, gap: 0.02, value: (r, t) => 45_000 + 10_000 * Math.sin(t / (12 * HOUR)) + 500 * r.uniform() },
  { seriesId: 'SYSTEM', kind: 'WIND', tickMs: QUARTER, gap: 0.05, value: (r) => 30_000 * r.uniform() },
  { seriesId: 'SYSTEM', kind: 'SOLAR', tickMs: QUARTER, gap: 0.05, value: (r) => 20_000 * r.uniform() },
  // a series that starts late and goes silent for a while (longer than the window, and than the lag ring)
  { seriesId: 'LZ_WEST', kind: 'RT_PRICE', tickMs: HOUR, gap: 0.1, value: (r) => 10 + r.uniform() },
];

function tick(seriesId: string, kind: TickKind, start: number, ms: number, value: number): MarketTick {
  return {
    market: 'ERCOT', seriesId, pointType: seriesId === 'SYSTEM' ? 'SYSTEM' : 'HUB', kind, intervalStart: start, intervalEnd: start + ms,
    value, unit: kind.endsWith('PRICE') ? 'USD/MWh' : 'MW', source: 'test', ingestedAt: 0,
  };
}

/** Random input: in order, then displaced by less than the lateness, plus duplicates and very late ticks. */
function randomInput(seed: number, hours: number, latenessMs: number): MarketTick[] {
  const rng = new Rng(seed);
  const items: Array<{ at: number; tick: MarketTick }> = [];
  for (let t = T0; t < T0 + hours * HOUR; t += QUARTER) {
    for (const spec of SPECS) {
      if ((t - T0) % spec.tickMs !== 0) continue;
      if (spec.seriesId === 'LZ_WEST' && (t < T0 + 30 * HOUR || (t >= T0 + 400 * HOUR && t < T0 + 700 * HOUR))) continue;
      if (rng.uniform() < spec.gap) continue;
      const tk = tick(spec.seriesId, spec.kind, t, spec.tickMs, spec.value(rng, t));
      items.push({ at: t + Math.floor(rng.uniform() * latenessMs * 0.9), tick: tk });
      if (rng.uniform() < 0.02) items.push({ at: t + Math.floor(rng.uniform() * latenessMs * 0.9), tick: { ...tk, value: spec.value(rng, t) } });
      if (rng.uniform() < 0.005) items.push({ at: t + latenessMs + 3 * HOUR + Math.floor(rng.uniform() * 48 * HOUR), tick: { ...tk, value: -1 } });
    }
  }
  // stable sort by arrival time
  return items
    .map((x, i) => ({ ...x, i }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.tick);
}

const close = (actual: number | null | undefined, expected: number | null, what: string): void => {
  if (expected === null) {
    assert.equal(actual, null, what);
    return;
  }
  assert.equal(typeof actual, 'number', `${what}: ${String(actual)} vs ${expected}`);
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs((actual as number) - expected) <= tol, `${what}: ${String(actual)} vs ${expected}`);
};

const central = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hourCycle: 'h23', hour: 'numeric', weekday: 'short' });
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function runAndCheck(opts: WindowerOptions, hours: number, seed: number): { windows: number; late: number } {
  const S = opts.stepMs;
  const W = opts.windowSteps ?? (24 * HOUR) / S;
  const L = opts.allowedLatenessMs ?? 2 * S;
  const input = randomInput(seed, hours, L);
  const w = new PartitionWindower({ ...opts, fireWhenComplete: false });
  const accepted = new Map<string, Map<number, { value: number; end: number }>>();
  const out: FeatureWindow[] = [];
  let maxStart = -Infinity;
  let late = 0;
  for (const [i, tk] of input.entries()) {
    const frontierEnd = maxStart === -Infinity ? -Infinity : Math.floor((maxStart - L) / S) * S;
    const slotEnd = (Math.ceil(tk.intervalEnd / S)) * S;
    const r = w.add(tk, 1_000 + i);
    if (slotEnd <= frontierEnd) {
      assert.equal(r.late?.reasonCode, 'late', `tick ${i} should be late`);
      late += 1;
    } else {
      assert.equal(r.late, undefined, `tick ${i} should be taken`);
      const key = `${tk.seriesId}/${tk.kind}`;
      let m = accepted.get(key);
      if (!m) accepted.set(key, (m = new Map()));
      m.set(tk.intervalStart, { value: tk.value, end: tk.intervalEnd });
      maxStart = Math.max(maxStart, tk.intervalStart);
    }
    for (const win of r.windows) assert.equal(win.computedAt, 1_000 + i);
    out.push(...r.windows);
  }
  const finalFrontier = Math.floor((maxStart - L) / S) - 1;

  // brute-force slot values: mean of the accepted ticks overlapping the slot (ticks in intervalStart order)
  const bySlot = new Map<string, Map<number, number[]>>();
  for (const [key, ticks] of accepted) {
    const m = new Map<number, number[]>();
    bySlot.set(key, m);
    for (const [start, { value, end }] of [...ticks.entries()].sort((a, b) => a[0] - b[0])) {
      for (let slot = Math.floor(start / S); slot * S < end; slot++) {
        let l = m.get(slot);
        if (!l) m.set(slot, (l = []));
        l.push(value);
      }
    }
  }
  const slotValue = (key: string, slot: number): number | null => {
    const vals = bySlot.get(key)?.get(slot);
    return vals ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
  };

  // expected emissions: every series, every end slot from its first slot + W - 1 to the final frontier with data
  const expected: Array<{ key: string; k: number }> = [];
  for (const [key, ticks] of accepted) {
    const first = Math.min(...[...ticks.keys()].map((s) => Math.floor(s / S)));
    for (let k = first + W - 1; k <= finalFrontier; k++) {
      let any = false;
      for (let s = k - W + 1; s <= k && !any; s++) any = slotValue(key, s) !== null;
      if (any) expected.push({ key, k });
    }
  }
  const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  expected.sort((a, b) => a.k - b.k || order(a.key.replace('/', '\u0000'), b.key.replace('/', '\u0000')));
  assert.deepEqual(
    out.map((x) => `${x.seriesId}/${x.kind}@${x.windowEnd / S - 1}`),
    expected.map((e) => `${e.key}@${e.k}`),
    'the emitted windows, in order',
  );

  const perHour = HOUR / S;
  for (const win of out) {
    const key = `${win.seriesId}/${win.kind}`;
    const k = win.windowEnd / S - 1;
    const what = `${key} ending ${new Date(win.windowEnd).toISOString()}`;
    assert.equal(win.stepMs, S);
    assert.equal(win.windowStart, win.windowEnd - W * S);
    const vals: Array<number | null> = [];
    for (let s = k - W + 1; s <= k; s++) vals.push(slotValue(key, s));
    assert.equal(win.values.length, W);
    vals.forEach((v, j) => close(win.values[j], v, `${what} values[${j}]`));
    const present = vals.flatMap((v, j) => (v === null ? [] : [[j, v] as const]));
    const n = present.length;
    assert.equal(win.count, n, what);
    assert.equal(win.missing, W - n, what);
    const mean = present.reduce((a, [, v]) => a + v, 0) / n;
    close(win.mean, mean, `${what} mean`);
    close(win.std, Math.sqrt(present.reduce((a, [, v]) => a + (v - mean) ** 2, 0) / n), `${what} std`);
    close(win.min, Math.min(...present.map(([, v]) => v)), `${what} min`);
    close(win.max, Math.max(...present.map(([, v]) => v)), `${what} max`);
    close(win.last, present[n - 1]![1], `${what} last`);
    if (n >= 2) {
      const mj = present.reduce((a, [j]) => a + j, 0) / n;
      const num = present.reduce((a, [j, v]) => a + (j - mj) * (v - mean), 0);
      const den = present.reduce((a, [j]) => a + (j - mj) ** 2, 0);
      close(win.trend, num / den, `${what} trend`);
    } else assert.equal(win.trend, null);
    close(win.lag1h, slotValue(key, k - perHour), `${what} lag1h`);
    close(win.lag24h, slotValue(key, k - 24 * perHour), `${what} lag24h`);
    close(win.lag168h, slotValue(key, k - 168 * perHour), `${what} lag168h`);
    const load = slotValue('SYSTEM/LOAD', k);
    const wind = slotValue('SYSTEM/WIND', k);
    const solar = slotValue('SYSTEM/SOLAR', k);
    close(win.systemLoad, load, `${what} systemLoad`);
    close(win.wind, wind, `${what} wind`);
    close(win.solar, solar, `${what} solar`);
    close(win.netLoad, load === null || wind === null || solar === null ? null : load - wind - solar, `${what} netLoad`);
    const parts = central.formatToParts(new Date(k * S));
    assert.equal(win.hourOfDay, Number(parts.find((p) => p.type === 'hour')!.value), `${what} hourOfDay`);
    assert.equal(win.dayOfWeek, WEEKDAYS.indexOf(parts.find((p) => p.type === 'weekday')!.value), `${what} dayOfWeek`);
  }
  return { windows: out.length, late };
}

describe('windower features against brute force', () => {
  it('hourly step, 24-hour window, 3,000 hours of random data', () => {
    const { windows, late } = runAndCheck({ stepMs: HOUR }, 3_000, 7);
    assert.ok(windows > 6 * 2_900, `windows ${windows}`);
    assert.ok(late > 0, 'some ticks were late');
  });

  it('hourly step with zero lateness and a 6-step window', () => {
    runAndCheck({ stepMs: HOUR, windowSteps: 6, allowedLatenessMs: 0 }, 1_200, 11);
  });

  it('15-minute step, 96-point window, 1,000 hours of random data', () => {
    const { windows } = runAndCheck({ stepMs: QUARTER, allowedLatenessMs: 3 * HOUR }, 1_000, 3);
    assert.ok(windows > 5 * 3_500, `windows ${windows}`);
  });
});
