// One step slot that is still open (its end is after the watermark): the ticks that make it up, keyed by their
// intervalStart so that a re-delivered tick replaces the earlier one (idempotent). The slot's value is the
// duration-weighted mean of its ticks, weight = the part of the tick's interval inside the slot / step. For
// ticks that tile the slot (four 15-minute prices in an hour) this is their plain mean, bit for bit: the weights
// are powers of two. A slot with only some of its ticks is the mean of those present.

/** [intervalStart, value, weight] of one constituent tick. */
export type SlotPart = [start: number, value: number, weight: number];

export class PendingSlot {
  private readonly parts = new Map<number, SlotPart>();
  /** value() and coverage() as last computed; NaN = not computed since the last set. */
  private cachedValue = NaN;
  private cachedCoverage = NaN;

  set(start: number, value: number, weight: number): void {
    this.parts.set(start, [start, value, weight]);
    this.cachedValue = NaN;
    this.cachedCoverage = NaN;
  }

  /** Constituents sorted by intervalStart: the order is independent of arrival order. */
  sorted(): SlotPart[] {
    return [...this.parts.values()].sort((a, b) => a[0] - b[0]);
  }

  /** The slot's value (NaN when empty). */
  value(): number {
    if (!Number.isNaN(this.cachedValue)) return this.cachedValue; // NaN marks "not computed yet"
    return (this.cachedValue = this.compute());
  }

  private compute(): number {
    if (this.parts.size === 1) {
      for (const p of this.parts.values()) return p[1];
    }
    let sw = 0;
    let swv = 0;
    for (const [, v, w] of this.sorted()) {
      sw += w;
      swv += w * v;
    }
    return sw > 0 ? swv / sw : NaN;
  }

  /**
   * How much of the slot its ticks cover: the sum of their weights (overlap / step). 1 = complete, e.g. four
   * 15-minute ticks in an hourly slot (4 x 0.25, exact in binary) or one hourly tick in a 15-minute slot.
   */
  coverage(): number {
    if (!Number.isNaN(this.cachedCoverage)) return this.cachedCoverage;
    let sw = 0;
    for (const p of this.parts.values()) sw += p[2];
    return (this.cachedCoverage = sw);
  }

  static fromParts(parts: ReadonlyArray<SlotPart>): PendingSlot {
    const p = new PendingSlot();
    for (const [s, v, w] of parts) p.set(s, v, w);
    return p;
  }
}
