// Sliding-window minimum / maximum with a monotonic deque (amortised O(1) per slot): each slot is pushed once
// and popped at most once. For the maximum the deque holds, oldest first, the slots whose value is strictly
// greater than every later value in the window, so its front is the window maximum (the minimum likewise).
// Its content is a function of the window's values alone, so it is rebuilt from the ring on restore rather
// than stored in snapshots.

export class MonotonicDeque {
  private readonly slots: Float64Array;
  private readonly vals: Float64Array;
  private head = 0;
  private size = 0;

  /** capacity: the window length (the deque never holds more slots than the window). */
  constructor(private readonly capacity: number, private readonly keepsMax: boolean) {
    this.slots = new Float64Array(capacity);
    this.vals = new Float64Array(capacity);
  }

  /** Drop slots <= `slot` from the front (they left the window). Call before push. */
  evictThrough(slot: number): void {
    while (this.size > 0 && this.slots[this.head]! <= slot) {
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.size -= 1;
    }
  }

  /** Add the newest slot's (present) value. */
  push(slot: number, value: number): void {
    while (this.size > 0) {
      let back = this.head + this.size - 1;
      if (back >= this.capacity) back -= this.capacity;
      const v = this.vals[back]!;
      if (this.keepsMax ? v <= value : v >= value) this.size -= 1;
      else break;
    }
    let at = this.head + this.size;
    if (at >= this.capacity) at -= this.capacity;
    this.slots[at] = slot;
    this.vals[at] = value;
    this.size += 1;
  }

  /** The window's extreme, NaN when the window has no value. */
  front(): number {
    return this.size > 0 ? this.vals[this.head]! : NaN;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}
