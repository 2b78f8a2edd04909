// Running statistics over the last W slots of a SlotRing, updated in O(1) per slot pushed.
//
// Sums are kept over shifted values y = x - K, where K (`shift`) is the window mean at the last recompute:
// with K close to the data, sum(y^2) does not cancel catastrophically in the variance. Positions j run 0..W-1
// (oldest..newest) inside the window; when the window slides by one slot every remaining position drops by one,
// so sum(j*y) loses sum(y) and sum(j^2) becomes sum(j^2) - 2 sum(j) + n ("index shift": no absolute slot
// index ever enters a product, which keeps the trend sums small). n, sum(j), sum(j^2) are integers and exact.
//
// Drift: the floating-point sums (sum y, sum y^2, sum j*y) are recomputed from the ring every W pushes, with a
// fresh K; the cost is O(W) every W slots, O(1) amortised, and the error never accumulates over more than one
// window's worth of additions and removals. When the window empties, the sums are reset to exact zeros and the
// next value becomes the shift. Before the features are read, a window whose variance would lose most of its
// digits to cancellation (variance < 1e-4 of the mean shifted square) is recomputed too (see refine).
//
// Min and max: monotonic deques (extremes.ts), amortised O(1).
import { MonotonicDeque } from './extremes.js';
import type { SlotRing } from './ring.js';

/** The floating-point part of RollingStats, which cannot be recomputed bit-for-bit and so is snapshotted. */
export interface StatsSnapshot {
  shift: number;
  sy: number;
  syy: number;
  sjy: number;
  /** Pushes since the last full recompute. */
  pushes: number;
}

export class RollingStats {
  /** Points present in the window. */
  n = 0;
  private sj = 0;
  private sjj = 0;
  private shift = 0;
  private sy = 0;
  private syy = 0;
  private sjy = 0;
  private pushes = 0;
  private readonly maxQ: MonotonicDeque;
  private readonly minQ: MonotonicDeque;

  constructor(readonly windowSteps: number) {
    this.maxQ = new MonotonicDeque(windowSteps, true);
    this.minQ = new MonotonicDeque(windowSteps, false);
  }

  /**
   * Slide the window by one slot: `value` (NaN = missing) becomes slot ring.endSlot + 1. Pushes it into the
   * ring too (the ring must hold at least W slots so the leaving value can still be read).
   */
  push(ring: SlotRing, value: number): void {
    const W = this.windowSteps;
    const slot = ring.endSlot + 1;
    const old = ring.valueAt(slot - W);
    if (!Number.isNaN(old)) {
      const y = old - this.shift;
      this.n -= 1;
      this.sy -= y;
      this.syy -= y * y;
      // position 0 contributes nothing to sj, sjj, sjy
    }
    // every remaining point moves from position j to j - 1
    this.sjy -= this.sy;
    this.sjj = this.sjj - 2 * this.sj + this.n;
    this.sj -= this.n;
    this.maxQ.evictThrough(slot - W);
    this.minQ.evictThrough(slot - W);
    if (!Number.isNaN(value)) {
      const j = W - 1;
      if (this.n === 0) this.shift = value; // an empty window restarts its shift at the data (sums are zeros)
      const y = value - this.shift;
      this.n += 1;
      this.sy += y;
      this.syy += y * y;
      this.sjy += j * y;
      this.sj += j;
      this.sjj += j * j;
      this.maxQ.push(slot, value);
      this.minQ.push(slot, value);
    }
    ring.push(value);
    if (this.n === 0) {
      this.sy = 0;
      this.syy = 0;
      this.sjy = 0;
    }
    this.pushes += 1;
    if (this.pushes >= W) this.recompute(ring);
  }

  /** Recompute every sum from the ring (window = the last W slots ending at ring.endSlot), with a new shift. */
  recompute(ring: SlotRing): void {
    const W = this.windowSteps;
    const first = ring.endSlot - W + 1;
    let n = 0;
    let sum = 0;
    for (let j = 0; j < W; j++) {
      const x = ring.valueAt(first + j);
      if (!Number.isNaN(x)) {
        n += 1;
        sum += x;
      }
    }
    this.shift = n > 0 ? sum / n : 0;
    this.sy = 0;
    this.syy = 0;
    this.sjy = 0;
    this.pushes = 0;
    this.recountExact(ring);
    for (let j = 0; j < W; j++) {
      const x = ring.valueAt(first + j);
      if (!Number.isNaN(x)) {
        const y = x - this.shift;
        this.sy += y;
        this.syy += y * y;
        this.sjy += j * y;
      }
    }
  }

  /**
   * Before reading std: if the variance is tiny next to the mean square of the shifted values (sum y^2 / n), the
   * subtraction would cancel most of its digits (the shift is stale, e.g. after a spike left the window), so
   * recompute with the shift at the current mean. O(W), only on near-constant windows; deterministic.
   */
  refine(ring: SlotRing): void {
    if (this.n === 0) return;
    const m = this.sy / this.n;
    const q = this.syy / this.n;
    if (q - m * m < 1e-4 * q) this.recompute(ring);
  }

  /** Recount the exact parts (n, sum j, sum j^2, the deques) from the ring. */
  private recountExact(ring: SlotRing): void {
    const W = this.windowSteps;
    const first = ring.endSlot - W + 1;
    this.n = 0;
    this.sj = 0;
    this.sjj = 0;
    this.maxQ.clear();
    this.minQ.clear();
    for (let j = 0; j < W; j++) {
      const x = ring.valueAt(first + j);
      if (!Number.isNaN(x)) {
        this.n += 1;
        this.sj += j;
        this.sjj += j * j;
        this.maxQ.push(first + j, x);
        this.minQ.push(first + j, x);
      }
    }
  }

  /** Forget everything (the ring was cleared). */
  reset(): void {
    this.n = 0;
    this.sj = 0;
    this.sjj = 0;
    this.shift = 0;
    this.sy = 0;
    this.syy = 0;
    this.sjy = 0;
    this.pushes = 0;
    this.maxQ.clear();
    this.minQ.clear();
  }

  mean(): number {
    return this.n > 0 ? this.shift + this.sy / this.n : NaN;
  }

  /** Population standard deviation. */
  std(): number {
    if (this.n === 0) return NaN;
    const m = this.sy / this.n;
    const v = this.syy / this.n - m * m;
    return v > 0 ? Math.sqrt(v) : 0;
  }

  min(): number {
    return this.minQ.front();
  }

  max(): number {
    return this.maxQ.front();
  }

  /** Least-squares slope of value against position, per step; NaN with fewer than two points. */
  trend(): number {
    if (this.n < 2) return NaN;
    const d = this.n * this.sjj - this.sj * this.sj;
    return d > 0 ? (this.n * this.sjy - this.sj * this.sy) / d : NaN;
  }

  snapshot(): StatsSnapshot {
    return { shift: this.shift, sy: this.sy, syy: this.syy, sjy: this.sjy, pushes: this.pushes };
  }

  static restore(s: StatsSnapshot, windowSteps: number, ring: SlotRing): RollingStats {
    const stats = new RollingStats(windowSteps);
    stats.recountExact(ring);
    stats.shift = s.shift;
    stats.sy = s.sy;
    stats.syy = s.syy;
    stats.sjy = s.sjy;
    stats.pushes = s.pushes;
    return stats;
  }
}
