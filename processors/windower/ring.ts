// A fixed-capacity ring of step slots for one series: slot index -> value (NaN = missing). Holds the newest
// `capacity` slots ending at `endSlot`; pushing slot endSlot + 1 evicts slot endSlot + 1 - capacity. Slot
// indices are floor(utcMs / stepMs), so they are absolute and survive a snapshot.

export class SlotRing {
  readonly capacity: number;
  private readonly buf: Float64Array;
  /** Newest slot held. */
  endSlot: number;

  constructor(capacity: number, endSlot: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity ${capacity} is not a positive integer`);
    this.capacity = capacity;
    this.buf = new Float64Array(capacity).fill(NaN);
    this.endSlot = endSlot;
  }

  private index(slot: number): number {
    const i = slot % this.capacity;
    return i < 0 ? i + this.capacity : i;
  }

  /** Value of a slot, NaN when missing or outside the ring. */
  valueAt(slot: number): number {
    if (slot > this.endSlot || slot <= this.endSlot - this.capacity) return NaN;
    return this.buf[this.index(slot)]!;
  }

  /** Append slot endSlot + 1 (NaN for missing). */
  push(value: number): void {
    this.endSlot += 1;
    this.buf[this.index(this.endSlot)] = value;
  }

  /** Forget everything; the ring then ends at `endSlot` with every slot missing. */
  clear(endSlot: number): void {
    this.buf.fill(NaN);
    this.endSlot = endSlot;
  }

  /**
   * Values of the `count` slots ending at `lastSlot` (<= endSlot), oldest first, null for missing; slots older
   * than the ring are null.
   */
  slice(lastSlot: number, count: number): Array<number | null> {
    const out: Array<number | null> = [];
    const first = lastSlot - count + 1;
    const oldest = this.endSlot - this.capacity + 1;
    let slot = first;
    for (; slot < oldest && slot <= lastSlot; slot++) out.push(null);
    let i = this.index(slot);
    for (; slot <= lastSlot; slot++) {
      const v = this.buf[i]!;
      out.push(Number.isNaN(v) ? null : v);
      i = i + 1 === this.capacity ? 0 : i + 1;
    }
    return out;
  }

  /** All held slots, oldest first, null for missing (JSON-able). */
  toArray(): Array<number | null> {
    const out = new Array<number | null>(this.capacity);
    const first = this.endSlot - this.capacity + 1;
    for (let i = 0; i < this.capacity; i++) {
      const v = this.buf[this.index(first + i)]!;
      out[i] = Number.isNaN(v) ? null : v;
    }
    return out;
  }

  static fromArray(values: ReadonlyArray<number | null>, endSlot: number): SlotRing {
    const ring = new SlotRing(values.length, endSlot);
    const first = endSlot - values.length + 1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      ring.buf[ring.index(first + i)] = v === null || v === undefined ? NaN : v;
    }
    return ring;
  }
}
