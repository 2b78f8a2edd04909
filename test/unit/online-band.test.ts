// trace: D.forecaster
// The online P10-P90 band (model/online-band.ts): coverage that recovers after a shift in scale where a static band
// does not, no peeking past the origin, replaced actuals and issues, determinism, the fallback to the trained
// offsets, forgetting what is older than the window, and the spec's validation (also inside the model metadata).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateMetadata } from '../../model/contract.js';
import {
  ONLINE_BAND_BOUNDS, ONLINE_BAND_DEFAULTS, OnlineBand, type OnlineBandSpec, OnlineBandSpecError, medianBandOffsets, onlineBandForecasts, onlineBandSpanMs, onlineBandLabel, onlineBandWarmupFrom, parseOnlineBandChoice, readsServedBands, validateOnlineBandSpec,
} from '../../model/online-band.js';
import { lstmMetadata } from './model-metadata.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);

/** A seeded standard normal (mulberry32 + Box-Muller), so every run sees the same residuals. */
function normal(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const spec = (o: Partial<OnlineBandSpec> = {}): OnlineBandSpec => ({ ...ONLINE_BAND_DEFAULTS, method: 'window', windowDays: 7, ...o });
const flat = (h: number, v: number) => Array.from({ length: h }, () => v);

/**
 * Hourly origins over `days`; the actual of every slot is P50 (0) plus noise of scale 1 before `shiftDay` and 3
 * after. Each origin: feed the actual of the slot it ends, take offsets, issue P50 = 0 with that band, and count
 * whether the actuals of its steps fall inside. Coverage over origins from `scoreFromDay` on.
 */
function coverageAfterShift(s: OnlineBandSpec, H: number, days: number, shiftDay: number, scoreFromDay: number): number {
  const z = normal(7);
  const actual = new Map<number, number>();
  for (let t = 0; t <= (days * 24 + H); t++) actual.set(T0 + t * HOUR, (t < shiftDay * 24 ? 1 : 3) * z());
  // The trained band: a N(0, 1) P10-P90, the right one before the shift.
  const band = new OnlineBand(s, H, HOUR, { below: flat(H, 1.2816), above: flat(H, 1.2816) });
  let inside = 0;
  let total = 0;
  for (let t = 1; t <= days * 24; t++) {
    const o = T0 + t * HOUR;
    band.actual(o, actual.get(o)!);
    const off = band.offsets(o);
    band.issue(o, flat(H, 0), Array.from(off.below, (b) => -b), Array.from(off.above));
    if (t < scoreFromDay * 24) continue;
    for (let h = 1; h <= H; h++) {
      const y = actual.get(o + h * HOUR)!;
      total++;
      if (y >= -off.below[h - 1]! && y <= off.above[h - 1]!) inside++;
    }
  }
  return inside / total;
}

describe('online band: coverage under a shift in scale', () => {
  it('the static band falls to about a third after the residuals triple; the rolling window and ACI return to about 80%', () => {
    const stat = coverageAfterShift(spec({ method: 'static' }), 3, 40, 20, 28);
    const win = coverageAfterShift(spec({ method: 'window', windowDays: 7 }), 3, 40, 20, 28);
    const aci = coverageAfterShift(spec({ method: 'aci', windowDays: 7, gamma: 0.01 }), 3, 40, 20, 28);
    // N(0, 9) inside ±1.2816: P(|z| <= 0.427) = 0.33.
    assert.ok(stat > 0.25 && stat < 0.41, `static ${stat}`);
    assert.ok(Math.abs(win - 0.8) < 0.05, `window ${win}`);
    assert.ok(Math.abs(aci - 0.8) < 0.05, `aci ${aci}`);
  });

  it('before the shift the online band covers about 80% too (no shift, no harm)', () => {
    const win = coverageAfterShift(spec({ method: 'window', windowDays: 7 }), 3, 30, 1000, 8);
    assert.ok(Math.abs(win - 0.8) < 0.05, `window ${win}`);
  });

  it('ACI widens a side that keeps missing beyond the plain window quantile', () => {
    // Residuals above P50 spread over 0..99 in the window, and the served band always missed above (served P90 = P50).
    const mk = (s: OnlineBandSpec) => {
      const b = new OnlineBand(s, 1, HOUR, { below: [50], above: [50] });
      for (let t = 1; t <= 200; t++) {
        const o = T0 + t * HOUR;
        b.actual(o, (t * 37) % 100);
        b.issue(o, [0], [-100], [0]);
      }
      return b.offsets(T0 + 201 * HOUR);
    };
    const win = mk(spec({ method: 'window', windowDays: 30 }));
    const aci = mk(spec({ method: 'aci', windowDays: 30, gamma: 0.01 }));
    assert.ok(aci.above[0]! > win.above[0]!, `aci ${aci.above[0]} vs window ${win.above[0]}`);
    // Below: never missed, so ACI's miss level grows and its offset is no wider than the window's.
    assert.ok(aci.below[0]! <= win.below[0]!);
    // α is unbounded below (ONLINE_BAND_BOUNDS.alphaFloor 0): a side that keeps missing reaches the window's largest
    // score (99 here, within the cap 4 × 50), where a floor of tail/2 stopped at its 95% quantile (95).
    assert.equal(ONLINE_BAND_BOUNDS.alphaFloor, 0);
    assert.equal(mk(spec({ method: 'aci', windowDays: 30, gamma: 0.05 })).above[0], 99);
  });
});

describe("online band: ACI on the interval's miss ('aci-interval')", () => {
  /**
   * A P50 biased low: every actual is P50 (0) + N(2, 1), so the lower side's one-sided scores are all about -2 and it
   * sits at its floor (trained/4 = 0.5), missing about 0.6% of the time. Coverage of the served band over days 8-40.
   */
  function coverageBiased(s: OnlineBandSpec): number {
    const z = normal(5);
    const H = 2;
    const b = new OnlineBand(s, H, HOUR, { below: flat(H, 2), above: flat(H, 2) });
    const actual = new Map<number, number>();
    let inside = 0;
    let total = 0;
    for (let t = 1; t <= 40 * 24; t++) {
      const o = T0 + t * HOUR;
      for (let h = 1; h <= H; h++) if (!actual.has(o + h * HOUR)) actual.set(o + h * HOUR, 2 + z());
      if (actual.has(o)) b.actual(o, actual.get(o)!);
      const off = b.offsets(o);
      b.issue(o, flat(H, 0), Array.from(off.below, (v) => -v), Array.from(off.above));
      if (t < 8 * 24) continue;
      for (let h = 1; h <= H; h++) {
        const y = actual.get(o + h * HOUR)!;
        total++;
        if (y >= -off.below[h - 1]! && y <= off.above[h - 1]!) inside++;
      }
    }
    return inside / total;
  }

  it('brings the band toward 80% where one side cannot miss; per-side ACI stays near 90%', () => {
    // 28 days, γ = 0.02: the finite-memory α (restarted at the window's oldest residual) closes most of the gap, not
    // all (82% here; 85% on a 7-day window at γ = 0.01).
    const perSide = coverageBiased(spec({ method: 'aci', windowDays: 28, gamma: 0.02 }));
    const interval = coverageBiased(spec({ method: 'aci-interval', windowDays: 28, gamma: 0.02 }));
    assert.ok(perSide > 0.87, `per side ${perSide}`);
    assert.ok(interval > 0.78 && interval < 0.84, `interval ${interval}`);
  });

  it('matches per-side ACI in reach on an unbiased series (about 80%), and is labelled and parsed', () => {
    const interval = coverageAfterShift(spec({ method: 'aci-interval', windowDays: 7, gamma: 0.01 }), 3, 40, 20, 28);
    assert.ok(Math.abs(interval - 0.8) < 0.05, `interval ${interval}`);
    assert.equal(onlineBandLabel(spec({ method: 'aci-interval', windowDays: 14, gamma: 0.02 })), 'aci-interval 14 d γ=0.02');
    assert.deepEqual(parseOnlineBandChoice('aci-interval,14,0.02'), { ...ONLINE_BAND_DEFAULTS, method: 'aci-interval', windowDays: 14, gamma: 0.02 });
    assert.equal(readsServedBands('aci-interval'), true);
    assert.equal(readsServedBands('window'), false);
  });
});

describe('online band: bounds (no zero-width side, no spike-sized band)', () => {
  const F = ONLINE_BAND_BOUNDS.offsetFactor;

  it('an ACI fed a long run of covered points never serves a zero-width side, even under a P50 biased low', () => {
    // Every actual 1-10 above P50 and inside the served band (no miss on either side, 60 days): before the
    // bounds, the lower side's α grew to 0.5 and its offset was the median of P50 − actual (< 0), served as 0.
    const z = normal(3);
    for (const s of [spec({ method: 'aci', gamma: 0.01 }), spec({ method: 'window' })]) {
      const H = 3;
      const trained = { below: flat(H, 8), above: flat(H, 8) };
      const b = new OnlineBand(s, H, HOUR, trained);
      let least = Number.POSITIVE_INFINITY;
      for (let t = 1; t <= 60 * 24; t++) {
        const o = T0 + t * HOUR;
        b.actual(o, 5.5 + 4.5 * Math.tanh(z()));
        const off = b.offsets(o);
        for (let h = 0; h < H; h++) least = Math.min(least, off.below[h]!, off.above[h]!);
        b.issue(o, flat(H, 0), flat(H, -100), flat(H, 100));
      }
      assert.ok(least >= 8 / F - 1e-12 && least > 0, `${s.method}: smallest offset ${least}`);
    }
  });

  it('a run of spikes does not widen the band beyond the cap, and the band narrows again', () => {
    // Two calm days (residuals N(0, 5²)), then 6 h at +5,000 (every served P90 missed), then calm for 7 days.
    const z = normal(11);
    const H = 3;
    const trained = { below: flat(H, 6.4), above: flat(H, 6.4) };
    const b = new OnlineBand(spec({ method: 'aci', gamma: 0.01 }), H, HOUR, trained);
    let widest = 0;
    let last = 0;
    for (let t = 1; t <= 9 * 24; t++) {
      const o = T0 + t * HOUR;
      const spike = t > 48 && t <= 54;
      b.actual(o, spike ? 5_000 : 5 * z());
      const off = b.offsets(o);
      for (let h = 0; h < H; h++) widest = Math.max(widest, off.above[h]!, off.below[h]!);
      last = off.above[0]!;
      b.issue(o, flat(H, 0), Array.from(off.below, (v) => -v), Array.from(off.above));
    }
    assert.ok(widest <= F * 6.4 + 1e-9, `widest offset ${widest}, the cap ${F * 6.4}`);
    // The spikes left the 7-day window: back to about the calm band (N(0, 25): 90% quantile 6.4).
    assert.ok(last < 12, `above after the window ${last}`);
  });
});

describe('online band: no peeking, replacements, determinism', () => {
  const feed = (b: OnlineBand, upTo: number) => {
    // 2 steps; with few residuals the split-conformal rank is the largest, so one changed residual shows.
    for (let t = 1; t <= upTo; t++) {
      const o = T0 + t * HOUR;
      b.actual(o, Math.sin(t) * 5 + (t % 7));
      b.issue(o, [1, 2], [0, 0], [3, 4]);
    }
  };

  it('an actual after the origin does not change the offsets of that origin; one at the origin does', () => {
    const a = new OnlineBand(spec(), 2, HOUR, { below: [5, 5], above: [5, 5] });
    const b = new OnlineBand(spec(), 2, HOUR, { below: [5, 5], above: [5, 5] });
    feed(a, 100);
    feed(b, 100);
    const origin = T0 + 100 * HOUR;
    b.actual(origin + HOUR, 1e6);
    b.actual(origin + 2 * HOUR, -1e6);
    assert.deepEqual(b.offsets(origin), a.offsets(origin));
    // The slot ending at the origin itself is known at the origin and counts.
    const before = a.offsets(origin);
    a.actual(origin, 1e6);
    assert.notDeepEqual(a.offsets(origin), before);
  });

  it('a second actual for a slot replaces the first (a late correction)', () => {
    const s = spec({ minResiduals: 1 });
    const a = new OnlineBand(s, 2, HOUR, { below: [5, 5], above: [5, 5] });
    const b = new OnlineBand(s, 2, HOUR, { below: [5, 5], above: [5, 5] });
    feed(a, 8);
    feed(b, 8);
    const slot = T0 + 5 * HOUR;
    b.actual(slot, 1e6);
    assert.notDeepEqual(b.offsets(T0 + 8 * HOUR), a.offsets(T0 + 8 * HOUR));
    b.actual(slot, Math.sin(5) * 5 + (5 % 7));
    assert.deepEqual(b.offsets(T0 + 8 * HOUR), a.offsets(T0 + 8 * HOUR));
  });

  it('re-issuing an origin replaces its forecast', () => {
    const a = new OnlineBand(spec(), 2, HOUR, { below: [5, 5], above: [5, 5] });
    const b = new OnlineBand(spec(), 2, HOUR, { below: [5, 5], above: [5, 5] });
    feed(a, 100);
    feed(b, 100);
    b.issue(T0 + 80 * HOUR, [500, 500], [0, 0], [3, 4]);
    assert.notDeepEqual(b.offsets(T0 + 100 * HOUR), a.offsets(T0 + 100 * HOUR));
    b.issue(T0 + 80 * HOUR, [1, 2], [0, 0], [3, 4]);
    assert.deepEqual(b.offsets(T0 + 100 * HOUR), a.offsets(T0 + 100 * HOUR));
  });

  it('two instances fed the same calls give exactly the same offsets (window and ACI)', () => {
    for (const s of [spec(), spec({ method: 'aci', gamma: 0.02 })]) {
      const a = new OnlineBand(s, 3, HOUR, { below: [1, 2, 3], above: [3, 2, 1] });
      const b = new OnlineBand(s, 3, HOUR, { below: [1, 2, 3], above: [3, 2, 1] });
      const z = normal(11);
      for (let t = 1; t <= 400; t++) {
        const o = T0 + t * HOUR;
        const y = z();
        const m = [z(), z(), z()];
        a.actual(o, y);
        b.actual(o, y);
        const oa = a.offsets(o);
        const ob = b.offsets(o);
        assert.deepEqual(oa, ob);
        a.issue(o, m);
        b.issue(o, m);
      }
    }
  });
});

describe('online band: fallback and forgetting', () => {
  it('with no residual it serves the trained offsets; below minResiduals a blend; from minResiduals on the online offsets alone', () => {
    const trained = { below: [2], above: [2] };
    const b = new OnlineBand(spec({ minResiduals: 10 }), 1, HOUR, trained);
    assert.deepEqual(b.offsets(T0), { below: Float64Array.from([2]), above: Float64Array.from([2]) });
    // Residuals all exactly 1 above P50 (so the online offsets are 0 below, served at the floor trained / F, and 1 above).
    const at = (n: number) => {
      const x = new OnlineBand(spec({ minResiduals: 10 }), 1, HOUR, trained);
      for (let t = 0; t < n; t++) {
        x.issue(T0 + t * HOUR, [0], [-1], [1]);
        x.actual(T0 + (t + 1) * HOUR, 1);
      }
      return x.offsets(T0 + n * HOUR);
    };
    const half = at(5);
    assert.ok(Math.abs(half.below[0]! - 0.5 * 2) < 1e-12, `below ${half.below[0]}`);
    assert.ok(Math.abs(half.above[0]! - (0.5 * 1 + 0.5 * 2)) < 1e-12, `above ${half.above[0]}`);
    const full = at(10);
    assert.equal(full.below[0], 2 / ONLINE_BAND_BOUNDS.offsetFactor);
    assert.equal(full.above[0], 1);
  });

  it('static serves the trained offsets whatever the residuals', () => {
    const b = new OnlineBand(spec({ method: 'static' }), 1, HOUR, { below: [2], above: [5] });
    for (let t = 0; t < 100; t++) {
      b.issue(T0 + t * HOUR, [0]);
      b.actual(T0 + (t + 1) * HOUR, 50);
    }
    assert.deepEqual(b.offsets(T0 + 100 * HOUR), { below: Float64Array.from([2]), above: Float64Array.from([5]) });
  });

  it('residuals older than the window no longer count, and the state older than window + horizon is dropped', () => {
    const s = spec({ windowDays: 1, minResiduals: 1 });
    const b = new OnlineBand(s, 2, HOUR, { below: [2, 2], above: [2, 2] });
    // Day 1: residuals of 100 (served at the cap 4 · 2); day 2: residuals of 1.
    for (let t = 1; t <= 48; t++) {
      const o = T0 + t * HOUR;
      b.actual(o, t <= 24 ? 100 : 1);
      b.issue(o, [0, 0]);
    }
    const off = b.offsets(T0 + 48 * HOUR);
    // Window (T0 + 24 h, T0 + 48 h]: slots 25..48 hold 1 only.
    assert.equal(off.above[0], 1);
    assert.equal(off.above[1], 1);
    const held = b.size();
    assert.ok(held.actuals <= 24 && held.issues <= 24 + 2, JSON.stringify(held));
    // Far later: nothing in the window, the trained offsets again.
    const later = b.offsets(T0 + 10 * DAY);
    assert.deepEqual(later, { below: Float64Array.from([2, 2]), above: Float64Array.from([2, 2]) });
    assert.deepEqual(b.size(), { issues: 0, actuals: 0 });
  });
});

describe('online band: the evaluation run and the spec', () => {
  it('onlineBandForecasts serves each origin the band an OnlineBand fed only the past gives, per series', () => {
    const H = 2;
    const n = 60;
    const z = normal(3);
    const ids: string[] = [];
    const ends: number[] = [];
    const p50: number[] = [];
    const actual: number[] = [];
    const value = new Map<string, number>();
    for (const sid of ['A', 'B']) for (let t = 0; t <= n + H; t++) value.set(`${sid}:${t}`, (sid === 'A' ? 1 : 10) * z());
    for (let t = 1; t <= n; t++) {
      for (const sid of ['A', 'B']) {
        ids.push(sid);
        ends.push(T0 + t * HOUR);
        p50.push(0, 0);
        actual.push(value.get(`${sid}:${t + 1}`)!, value.get(`${sid}:${t + 2}`)!);
      }
    }
    const s = spec({ minResiduals: 5 });
    const trained = { below: [1, 1], above: [1, 1] };
    const out = onlineBandForecasts(s, H, HOUR, { seriesIds: ids, windowEnds: ends, p50, actual }, trained);
    // By hand for series B: feed actuals up to each origin, then offsets.
    const b = new OnlineBand(s, H, HOUR, trained);
    for (let t = 1; t <= n; t++) {
      const o = T0 + t * HOUR;
      if (t >= 2) b.actual(o, value.get(`B:${t}`)!);
      const off = b.offsets(o);
      const i = (t - 1) * 2 + 1;
      assert.equal(out.p10[i * H]!, -off.below[0]!);
      assert.equal(out.p90[i * H + 1]!, off.above[1]!);
      b.issue(o, [0, 0], [-off.below[0]!, -off.below[1]!], [off.above[0]!, off.above[1]!]);
    }
    // Series A's smaller residuals give it a narrower band than B's at the end.
    const last = (n - 1) * 2;
    assert.ok(out.p90[last * H]! < out.p90[(last + 1) * H]!);
    // Changing actuals after the last origin changes nothing served.
    const actual2 = [...actual];
    actual2[actual2.length - 1] = 1e9;
    const out2 = onlineBandForecasts(s, H, HOUR, { seriesIds: ids, windowEnds: ends, p50, actual: actual2 }, trained);
    assert.deepEqual(out2, out);
    // No peek: a mid-stream actual (series A, the slot ending at origin tt) changed changes only A's bands at origins
    // at or after tt (the slot ending at the origin is known there), and does change them.
    for (const tt of [20, 35, 50]) {
      const actual3: number[] = [];
      for (let t = 1; t <= n; t++) for (const sid of ['A', 'B']) for (let h = 1; h <= H; h++) actual3.push(sid === 'A' && t + h === tt ? 1e4 : value.get(`${sid}:${t + h}`)!);
      const out3 = onlineBandForecasts(s, H, HOUR, { seriesIds: ids, windowEnds: ends, p50, actual: actual3 }, trained);
      let changed = 0;
      for (let i = 0; i < ids.length; i++) {
        const t = (ends[i]! - T0) / HOUR;
        for (let h = 0; h < H; h++) {
          const j = i * H + h;
          if (out3.p10[j] === out.p10[j] && out3.p90[j] === out.p90[j]) continue;
          assert.ok(ids[i] === 'A' && t >= tt, `actual of A at slot ${tt} changed the band of ${ids[i]} at origin ${t}, step ${h + 1}`);
          changed++;
        }
      }
      assert.ok(changed > 0, `actual of A at slot ${tt} changed no band`);
    }
  });

  it('warm-up start, median band offsets', () => {
    const ends = Array.from({ length: 100 }, (_, i) => T0 + i * HOUR);
    // First hold-out sample 80; window 1 day + horizon 2 h: ends > T0 + 80 h − 26 h.
    assert.equal(onlineBandWarmupFrom(ends, 80, spec({ windowDays: 1 }), 2, HOUR), 55);
    assert.equal(onlineBandWarmupFrom(ends, 80, spec({ method: 'static' }), 2, HOUR), 80);
    // With a centre, a served P50 in the band's window needs the model's P50 over the centre's window before it: the
    // two spans add up (1 d + 2 h + 2 d + 2 h = 76 h: ends > 80 h − 76 h); a static band with a centre warms up too.
    assert.equal(onlineBandSpanMs(spec({ windowDays: 1, centreDays: 2 }), 2, HOUR), 76 * HOUR);
    assert.equal(onlineBandWarmupFrom(ends, 80, spec({ windowDays: 1, centreDays: 2 }), 2, HOUR), 5);
    assert.equal(onlineBandWarmupFrom(ends, 80, spec({ method: 'static', centreDays: 1 }), 2, HOUR), 55);
    const m = medianBandOffsets([0, 0, 0, 0, 0, 0], [-1, -2, -3, -5, -1, Number.NaN], [2, 1, 4, 3, 6, 5], 2);
    // Step 1: below 1, 3, 1 and above 2, 4, 6; step 2: the third sample has no P10, so below 2, 5 and above 1, 3.
    assert.deepEqual(m, { below: [1, 3.5], above: [4, 2] });
  });

  it('validateOnlineBandSpec names the bad field; metadata with a bad onlineBand is refused', () => {
    assert.deepEqual(validateOnlineBandSpec({ method: 'window', windowDays: 7, level: 0.8 }), { method: 'window', windowDays: 7, level: 0.8, gamma: ONLINE_BAND_DEFAULTS.gamma, minResiduals: ONLINE_BAND_DEFAULTS.minResiduals, centreDays: 0 });
    assert.equal(validateOnlineBandSpec({ method: 'aci', windowDays: 7, level: 0.8, centreDays: 14 }).centreDays, 14);
    assert.throws(() => validateOnlineBandSpec({ method: 'aci', windowDays: 7, level: 0.8, centreDays: -1 }), /centreDays/);
    assert.throws(() => validateOnlineBandSpec({ method: 'aci', windowDays: 7, level: 0.8, centreDays: '7' }), /centreDays/);
    assert.throws(() => validateOnlineBandSpec({ method: 'kalman', windowDays: 7, level: 0.8 }), (e: Error) => e instanceof OnlineBandSpecError && /method/.test(e.message));
    assert.throws(() => validateOnlineBandSpec({ method: 'aci', windowDays: 0, level: 0.8 }), /windowDays/);
    assert.throws(() => validateOnlineBandSpec({ method: 'aci', windowDays: 7, level: 1 }), /level/);
    assert.throws(() => validateOnlineBandSpec({ method: 'aci', windowDays: 7, level: 0.8, gamma: -1 }), /gamma/);
    assert.throws(() => validateOnlineBandSpec({ method: 'aci', windowDays: 7, level: 0.8, minResiduals: 2.5 }), /minResiduals/);
    assert.throws(() => new OnlineBand(spec(), 2, HOUR, { below: [1], above: [1, 1] }), RangeError);
    assert.throws(() => new OnlineBand(spec(), 2, HOUR, { below: [1, Number.NaN], above: [1, 1] }), RangeError);
    const meta = lstmMetadata({ units: 2, steps: 3, horizon: 2 });
    assert.ok(validateMetadata({ ...meta, onlineBand: { ...ONLINE_BAND_DEFAULTS, trained: { below: [1, 2], above: [1, 2] } } }, 'x'));
    // Metadata written before centreDays existed: the validated metadata carries it as 0 (not undefined, which would
    // make every span NaN downstream).
    const { centreDays: _, ...before } = ONLINE_BAND_DEFAULTS;
    const old = validateMetadata({ ...meta, onlineBand: { ...before, trained: { below: [1, 2], above: [1, 2] } } }, 'x');
    assert.equal(old.onlineBand?.centreDays, 0);
    assert.equal(onlineBandSpanMs(old.onlineBand!, 2, HOUR), ONLINE_BAND_DEFAULTS.windowDays * DAY + 2 * HOUR);
    assert.throws(() => validateMetadata({ ...meta, onlineBand: { ...ONLINE_BAND_DEFAULTS, trained: { below: [1], above: [1, 2] } } }, 'x'), /onlineBand.trained/);
    assert.throws(() => validateMetadata({ ...meta, onlineBand: { ...ONLINE_BAND_DEFAULTS, method: 'x' } }, 'x'), /onlineBand.method/);
    // The offsets a band starts from are required: the forecaster and `sda train evaluate` start from the same ones.
    assert.throws(() => validateMetadata({ ...meta, onlineBand: { ...ONLINE_BAND_DEFAULTS } }, 'x'), /onlineBand.trained is missing/);
  });
});

describe('online band: the centre (an online median correction of the served P50)', () => {
  const H = 3;
  /** Hourly origins over `days`: the model's P50 is 0, the actuals `bias` + N(0, 1); served through OnlineBand.serve. */
  const runBiased = (s: OnlineBandSpec, days: number, bias: number, scoreFromDay: number) => {
    const z = normal(11);
    const actual = new Map<number, number>();
    for (let t = 0; t <= days * 24 + H; t++) actual.set(T0 + t * HOUR, bias + z());
    const band = new OnlineBand(s, H, HOUR, { below: flat(H, 1.2816), above: flat(H, 1.2816) });
    let below = 0;
    let inside = 0;
    let total = 0;
    let lastP50 = 0;
    let width = 0;
    for (let t = 1; t <= days * 24; t++) {
      const o = T0 + t * HOUR;
      band.actual(o, actual.get(o)!);
      const served = band.serve(o, flat(H, 0));
      lastP50 = served.p50[H - 1]!;
      for (let h = 0; h < H; h++) assert.ok(served.p10[h]! < served.p50[h]! && served.p50[h]! < served.p90[h]!, `P10 < P50 < P90 at origin ${t}, step ${h + 1}`);
      if (t < scoreFromDay * 24) continue;
      for (let h = 1; h <= H; h++) {
        const y = actual.get(o + h * HOUR)!;
        total++;
        if (y < served.p50[h - 1]!) below++;
        width += served.p90[h - 1]! - served.p10[h - 1]!;
        if (y >= served.p10[h - 1]! && y <= served.p90[h - 1]!) inside++;
      }
    }
    return { below: below / total, coverage: inside / total, lastP50, width: width / total };
  };

  it('a P50 biased low by 3: with the centre half the actuals fall below the served P50 and the band covers about 80%; without it almost none, and only a far wider band covers', () => {
    const centred = runBiased(spec({ method: 'aci', windowDays: 7, gamma: 0.01, centreDays: 7 }), 21, 3, 8);
    const plain = runBiased(spec({ method: 'aci', windowDays: 7, gamma: 0.01, centreDays: 0 }), 21, 3, 8);
    assert.ok(centred.below > 0.4 && centred.below < 0.6, `share below the centred P50 ${centred.below}`);
    assert.ok(centred.coverage > 0.72 && centred.coverage < 0.88, `coverage with the centre ${centred.coverage}`);
    assert.ok(Math.abs(centred.lastP50 - 3) < 0.3, `the centred P50 ${centred.lastP50} is near the bias 3`);
    assert.ok(plain.below < 0.05, `share below the model's P50 ${plain.below}`);
    assert.ok(centred.width < 0.7 * plain.width, `mean width ${centred.width} with the centre, ${plain.width} without`);
  });

  it('centreDays 0 serves the model P50 unchanged; the shift blends in below minResiduals and uses only slots at or before the origin', () => {
    const none = new OnlineBand(spec({ centreDays: 0, minResiduals: 4 }), 1, HOUR, { below: [1], above: [1] });
    const c = new OnlineBand(spec({ centreDays: 1, minResiduals: 4 }), 1, HOUR, { below: [1], above: [1] });
    for (let t = 1; t <= 3; t++) {
      const o = T0 + t * HOUR;
      for (const b of [none, c]) b.actual(o, 10);
      assert.equal(none.serve(o, [2]).p50[0], 2);
      // Residuals 10 − 2 = 8 of the slots ending at or before o whose issues are held: t − 1 of them (the first origin has none).
      assert.equal(c.serve(o, [2]).p50[0], 2 + ((t - 1) / 4) * 8);
    }
    // An actual after the origin does not move that origin's centre, though an issue held targets its slot (the
    // origin o's own forecast); it does move the next origin's. Re-issuing with another raw P50 moves it too.
    const o = T0 + 4 * HOUR;
    c.actual(o, 10);
    const before = c.centre(o)[0]!;
    c.issue(o, [2], undefined, undefined, [2]);
    c.actual(o + HOUR, -1e6);
    assert.equal(c.centre(o)[0], before);
    assert.notEqual(c.centre(o + HOUR)[0], before);
    // Origins 1-3 have residuals 8, 8, 8 (scaled 3/4: 6); the model's P50 of origins 2 and 3 replaced by 4 gives 8, 6, 6.
    assert.equal(before, 6);
    c.issue(T0 + 2 * HOUR, [4], undefined, undefined, [4]);
    c.issue(T0 + 3 * HOUR, [4], undefined, undefined, [4]);
    assert.equal(c.centre(o)[0], (3 / 4) * 6);
  });

  it('the centre depends on the model P50 and the actuals only, not on the bands served (a replay with the served bands recomputes the same P50)', () => {
    const s = spec({ method: 'aci', windowDays: 1, gamma: 0.05, centreDays: 2, minResiduals: 3 });
    const a = new OnlineBand(s, 2, HOUR, { below: [1, 1], above: [1, 1] });
    const b = new OnlineBand(s, 2, HOUR, { below: [1, 1], above: [1, 1] });
    const z = normal(5);
    for (let t = 1; t <= 80; t++) {
      const o = T0 + t * HOUR;
      const y = 2 + z();
      a.actual(o, y);
      b.actual(o, y);
      const raw = [Math.sin(t), Math.cos(t)];
      const sa = a.serve(o, raw);
      // b is told other bands were served (as a replay would be); its P50 must still be a's.
      const sb = b.serve(o, raw, { p10: [sa.p10[0]! - 1, sa.p10[1]! - 1], p90: [sa.p90[0]! + 1, sa.p90[1]! + 1] });
      assert.deepEqual(sb.p50, sa.p50);
    }
  });

  it('state is kept for the longer of the band window and the centre', () => {
    const b = new OnlineBand(spec({ windowDays: 1, centreDays: 3, minResiduals: 1 }), 1, HOUR, { below: [1], above: [1] });
    for (let t = 1; t <= 5 * 24; t++) {
      const o = T0 + t * HOUR;
      b.actual(o, 1);
      b.serve(o, [0]);
    }
    // About three days of issues and actuals are held (not one).
    assert.ok(b.size().issues >= 3 * 24 && b.size().issues <= 3 * 24 + 2, `issues held ${b.size().issues}`);
    assert.equal(b.centre(T0 + 5 * 24 * HOUR)[0], 1);
  });
});
