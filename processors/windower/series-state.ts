// The state of one series (market, seriesId, kind) in a partition: the finalised history ring (long enough for
// the 168-hour lag and the window), the running window statistics, and the still-open slots.
import { seriesKey } from '../../market/series.js';
import type { TickKind } from '../../schemas/types.js';
import { RollingStats, type StatsSnapshot } from './features.js';
import { PendingSlot, type SlotPart } from './pending.js';
import { SlotRing } from './ring.js';

export interface SeriesSnapshot {
  market: string;
  seriesId: string;
  kind: TickKind;
  /** False for a series fed only as a related (context) series: kept, never emitted. */
  emits: boolean;
  /** Earliest slot with data; windows start once it is W - 1 slots behind the window end. */
  firstSlot: number;
  /** Newest finalised slot held by the ring. */
  ringEndSlot: number;
  /** The ring, oldest first, null for missing. */
  ring: Array<number | null>;
  stats: StatsSnapshot;
  /** Open slots in ascending order, each with its ticks in ascending intervalStart. */
  pending: Array<{ slot: number; parts: SlotPart[] }>;
  /**
   * Open slots whose window was already emitted early (the slot was complete), ascending, each with the related
   * values [systemLoad, wind, solar] it was emitted with, or null when a later tick changed the slot (the window
   * must be emitted again). Absent in snapshots from before early firing: none.
   */
  fired?: Array<[slot: number, related: FiredRelated | null]>;
}

/** The related values [systemLoad, wind, solar] an early window was emitted with (null = missing). */
export type FiredRelated = [number | null, number | null, number | null];

/** A slot counts as complete when its ticks cover it: coverage >= 1 - this (5-minute ticks sum to 1 only roughly). */
export const COMPLETE_TOLERANCE = 1e-9;

export class SeriesState {
  readonly key: string;
  emits: boolean;
  firstSlot: number;
  /** Newest finalised slot that has a value (for skipping empty steps); -Infinity when none is known. */
  private lastRingData = -Infinity;
  readonly pending = new Map<number, PendingSlot>();
  /** Open slots already emitted early (see SeriesSnapshot.fired); a contiguous run starting right after the frontier. */
  readonly fired = new Map<number, FiredRelated | null>();
  /** Some entry of `fired` is null (changed since it was emitted). */
  firedDirty = false;

  constructor(
    readonly market: string,
    readonly seriesId: string,
    readonly kind: TickKind,
    emits: boolean,
    firstSlot: number,
    readonly ring: SlotRing,
    readonly stats: RollingStats,
  ) {
    this.key = seriesKey(market, seriesId, kind);
    this.emits = emits;
    this.firstSlot = firstSlot;
  }

  static create(market: string, seriesId: string, kind: TickKind, emits: boolean, firstSlot: number, ringEndSlot: number, historySlots: number, windowSteps: number): SeriesState {
    return new SeriesState(market, seriesId, kind, emits, firstSlot, new SlotRing(historySlots, ringEndSlot), new RollingStats(windowSteps));
  }

  /** Record one tick's share of an open slot. */
  addPart(slot: number, start: number, value: number, weight: number): void {
    let p = this.pending.get(slot);
    if (!p) {
      p = new PendingSlot();
      this.pending.set(slot, p);
    }
    p.set(start, value, weight);
    if (slot < this.firstSlot) this.firstSlot = slot;
  }

  /** Value of a slot: finalised (ring) or still open (pending, the mean of the ticks so far); NaN when missing. */
  valueAt(slot: number): number {
    if (slot <= this.ring.endSlot) return this.ring.valueAt(slot);
    const p = this.pending.get(slot);
    return p ? p.value() : NaN;
  }

  /** Whether an open slot has all its expected intervals (its ticks cover the whole step). */
  isComplete(slot: number): boolean {
    const p = this.pending.get(slot);
    return p !== undefined && p.coverage() >= 1 - COMPLETE_TOLERANCE;
  }

  /** Mark every early-emitted slot at or after `slot` as changed (its window is emitted again). */
  touchFired(slot: number): void {
    if (this.fired.size === 0) return;
    for (const k of this.fired.keys()) {
      if (k >= slot) {
        this.fired.set(k, null);
        this.firedDirty = true;
      }
    }
  }

  /** Newest slot emitted early, or `frontier` when none. */
  firedThrough(frontier: number): number {
    let e = frontier;
    for (const k of this.fired.keys()) if (k > e) e = k;
    return e;
  }

  /** Start the (still empty) ring right after `frontier`, dropping open slots at or before it. */
  rebase(frontier: number): void {
    for (const slot of this.pending.keys()) if (slot <= frontier) this.pending.delete(slot);
    this.ring.clear(frontier);
    this.stats.reset();
    this.lastRingData = -Infinity;
    let first = Infinity;
    for (const slot of this.pending.keys()) if (slot < first) first = slot;
    this.firstSlot = first === Infinity ? frontier + 1 : first;
  }

  /** Finalise every slot up to and including k into the ring and the statistics (k only grows). */
  catchUp(k: number): void {
    const ring = this.ring;
    if (k <= ring.endSlot) return;
    if (k - ring.endSlot > ring.capacity) {
      // Everything held would be evicted: start from an empty ring just before the last `capacity` slots.
      const from = k - ring.capacity;
      for (const slot of this.pending.keys()) if (slot <= from) this.pending.delete(slot);
      ring.clear(from);
      this.stats.reset();
      this.lastRingData = -Infinity;
    }
    while (ring.endSlot < k) {
      const slot = ring.endSlot + 1;
      let v = NaN;
      if (this.pending.size > 0) {
        const p = this.pending.get(slot);
        if (p) {
          v = p.value();
          this.pending.delete(slot);
        }
      }
      if (!Number.isNaN(v)) this.lastRingData = slot;
      this.stats.push(ring, v);
    }
  }

  /**
   * Lower bound of the first window end slot after `frontier` at which this series may emit (its window then
   * holds data), Infinity when none is in sight. Used to skip steps where nothing can be emitted.
   */
  nextEmitSlot(frontier: number): number {
    if (!this.emits) return Infinity;
    const W = this.stats.windowSteps;
    const oldestInNext = frontier + 2 - W;
    let c = Infinity;
    if (this.lastRingData >= oldestInNext) c = frontier + 1;
    else {
      for (const slot of this.pending.keys()) if (slot >= oldestInNext && slot < c) c = slot;
      if (c <= frontier) c = frontier + 1;
    }
    return c === Infinity ? c : Math.max(c, this.firstSlot + W - 1);
  }

  snapshot(): SeriesSnapshot {
    const pending = [...this.pending.entries()].sort((a, b) => a[0] - b[0]).map(([slot, p]) => ({ slot, parts: p.sorted() }));
    return {
      market: this.market,
      seriesId: this.seriesId,
      kind: this.kind,
      emits: this.emits,
      firstSlot: this.firstSlot,
      ringEndSlot: this.ring.endSlot,
      ring: this.ring.toArray(),
      stats: this.stats.snapshot(),
      pending,
      ...(this.fired.size > 0 ? { fired: [...this.fired.entries()].sort((a, b) => a[0] - b[0]) } : {}),
    };
  }

  static restore(s: SeriesSnapshot, historySlots: number, windowSteps: number): SeriesState {
    if (s.ring.length !== historySlots) throw new Error(`snapshot of ${s.seriesId} ${s.kind}: ring of ${s.ring.length} slots, expected ${historySlots}`);
    const ring = SlotRing.fromArray(s.ring, s.ringEndSlot);
    const state = new SeriesState(s.market, s.seriesId, s.kind, s.emits, s.firstSlot, ring, RollingStats.restore(s.stats, windowSteps, ring));
    for (let i = 0; i < s.ring.length; i++) {
      const v = s.ring[i];
      if (v !== null && v !== undefined) state.lastRingData = s.ringEndSlot - s.ring.length + 1 + i;
    }
    for (const { slot, parts } of s.pending) state.pending.set(slot, PendingSlot.fromParts(parts));
    for (const [slot, related] of s.fired ?? []) {
      state.fired.set(slot, related === null ? null : [related[0], related[1], related[2]]);
      if (related === null) state.firedDirty = true;
    }
    return state;
  }
}
