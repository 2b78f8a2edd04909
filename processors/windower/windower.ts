// The pure core of the stateful windower: one PartitionWindower per input partition turns MarketTicks into
// FeatureWindows (the last W steps of a series and its features) in event time. No I/O, no clock: computedAt is
// passed in, and the whole state snapshots to and restores from plain JSON. See README.md in this folder.
import type { FeatureWindow, MarketTick, TickKind } from '../../schemas/types.js';
import { centralCalendar } from '../../market/calendar.js';
import { SYSTEM_SERIES_ID, seriesKey } from '../../market/series.js';
import { type FiredRelated, SeriesState, type SeriesSnapshot } from './series-state.js';
import { Watermark } from './watermark.js';

export { idleEventTime } from './watermark.js';
export type { SeriesSnapshot } from './series-state.js';

export const HOUR_MS = 3_600_000;
export const QUARTER_MS = 900_000;
/**
 * How many steps behind the newest event time a tick may arrive and still count, unless WindowerOptions say otherwise
 * (the forecaster's history keeps slots for windows re-emitted this late: processors/forecaster/history.ts).
 */
export const DEFAULT_ALLOWED_LATENESS_STEPS = 2;

export interface WindowerOptions {
  /** Window step: hourly or 15 minutes. */
  stepMs: typeof HOUR_MS | typeof QUARTER_MS;
  /** Steps per window; default 24 hours' worth (24 hourly, 96 quarter-hourly). */
  windowSteps?: number;
  /** How far behind the newest event time a tick may arrive and still count; default 2 steps. */
  allowedLatenessMs?: number;
  /**
   * Emit a series' window as soon as its slot is complete (its ticks cover the whole step: four 15-minute ticks
   * for an hourly slot, one hourly tick), before the watermark passes it; later ticks within the allowed lateness
   * re-emit it corrected. Default true; false = emit only when the watermark passes (the earlier behaviour).
   */
  fireWhenComplete?: boolean;
}

/** A tick the windower did not take. `late`: its slot was already emitted; `validation`: unusable interval or value. */
export interface WindowerRejection {
  reasonCode: 'late' | 'validation';
  message: string;
}

export interface AddResult {
  /** Windows that became final, ordered by windowEnd, then market, seriesId, kind. */
  windows: FeatureWindow[];
  late?: WindowerRejection;
}

export interface WindowerSnapshot {
  version: 1;
  /** Absent in snapshots from before early firing (restored as true unless the options say otherwise). */
  fireWhenComplete?: boolean;
  stepMs: number;
  windowSteps: number;
  allowedLatenessMs: number;
  maxEventTime: number | null;
  /** Last finalised (emitted) slot index, null before the first event. */
  frontierSlot: number | null;
  /** In key order. */
  series: SeriesSnapshot[];
}

interface Resolved {
  stepMs: number;
  windowSteps: number;
  allowedLatenessMs: number;
  historySlots: number;
  lag1: number;
  lag24: number;
  lag168: number;
  fireWhenComplete: boolean;
}

function resolve(opts: WindowerOptions): Resolved {
  const { stepMs } = opts;
  if (stepMs !== HOUR_MS && stepMs !== QUARTER_MS) throw new RangeError(`windower stepMs ${String(stepMs)} is not ${HOUR_MS} or ${QUARTER_MS}`);
  const perHour = HOUR_MS / stepMs;
  const windowSteps = opts.windowSteps ?? 24 * perHour;
  if (!Number.isInteger(windowSteps) || windowSteps < 2 || windowSteps > 10_000) throw new RangeError(`windower windowSteps ${windowSteps} is not an integer in 2-10000`);
  const allowedLatenessMs = opts.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_STEPS * stepMs;
  if (!Number.isSafeInteger(allowedLatenessMs) || allowedLatenessMs < 0) throw new RangeError(`windower allowedLatenessMs ${allowedLatenessMs} is not a non-negative integer`);
  const lag168 = 168 * perHour;
  return { stepMs, windowSteps, allowedLatenessMs, historySlots: Math.max(windowSteps, lag168 + 1), lag1: perHour, lag24: 24 * perHour, lag168, fireWhenComplete: opts.fireWhenComplete ?? true };
}

/** Whether an early window's related values equal the ones at finalisation. */
function sameRelated(was: FiredRelated, [load, wind, solar]: [number, number, number]): boolean {
  return was[0] === nullable(load) && was[1] === nullable(wind) && was[2] === nullable(solar);
}

const nullable = (v: number): number | null => (Number.isNaN(v) ? null : v);
const iso = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms));

export class PartitionWindower {
  private readonly o: Resolved;
  private readonly watermark: Watermark;
  /** Last finalised slot; every slot <= it has been emitted. */
  private frontier: number | null = null;
  private readonly byKey = new Map<string, SeriesState>();
  /** Series in key order: the emission order within a step. */
  private readonly ordered: SeriesState[] = [];
  /** The series the last take() updated (add() fires its complete slots). */
  private taken: SeriesState | undefined;
  /** Per market, its related series [LOAD, WIND, SOLAR] of SYSTEM_SERIES_ID (undefined: none yet); reset on insert. */
  private readonly relatedCache = new Map<string, Array<SeriesState | undefined>>();

  constructor(opts: WindowerOptions) {
    this.o = resolve(opts);
    this.watermark = new Watermark(this.o.stepMs, this.o.allowedLatenessMs);
  }

  get stepMs(): number {
    return this.o.stepMs;
  }

  get windowSteps(): number {
    return this.o.windowSteps;
  }

  /** Max event time minus allowed lateness; null before the first tick. */
  get watermarkMs(): number | null {
    return this.watermark.value();
  }

  get seriesCount(): number {
    return this.ordered.length;
  }

  /** Apply one tick; returns the windows that became final and, when the tick was not taken, why. */
  add(tick: MarketTick, computedAt: number): AddResult {
    const bad = this.take(tick, true);
    if (bad) return { windows: [], late: bad };
    const moved = this.watermark.observe(tick.intervalStart);
    const windows = moved ? this.advance(computedAt) : [];
    if (this.o.fireWhenComplete) {
      // After the watermark moved, any series may have complete slots right after the new frontier; a related
      // (SYSTEM) tick may complete the slot other series wait on; otherwise only the series this tick touched.
      const t = this.taken;
      this.fireEarly(moved || (t?.seriesId === SYSTEM_SERIES_ID && this.completes(t, tick)) ? this.ordered : t ? [t] : [], computedAt, windows);
    }
    return { windows };
  }

  /**
   * Feed a related (context) series tick that belongs to another partition, e.g. SYSTEM load for a partition
   * that holds only prices: it is kept for the related-series features but neither emitted nor allowed to move
   * this partition's watermark. Returns a rejection when it is late here.
   */
  addRelated(tick: MarketTick): WindowerRejection | undefined {
    return this.take(tick, false);
  }

  /**
   * addRelated, and then the early windows it completes: a series' slot fires once its own ticks and its market's
   * related series (where this partition holds them) cover it, so a context tick can be the one that completes it.
   * The Kafka processor uses this for context copies; `late` as addRelated.
   */
  addContext(tick: MarketTick, computedAt: number): AddResult {
    const late = this.take(tick, false);
    if (late) return { windows: [], late };
    const windows: FeatureWindow[] = [];
    if (this.o.fireWhenComplete && tick.seriesId === SYSTEM_SERIES_ID) {
      const s = this.byKey.get(seriesKey(tick.market, tick.seriesId, tick.kind));
      if (s && this.completes(s, tick)) this.fireEarly(this.ordered, computedAt, windows);
    }
    return { windows };
  }

  /** Whether the slot holding the tick's last instant is now complete for the series (others may wait on it). */
  private completes(s: SeriesState, tick: MarketTick): boolean {
    return s.isComplete(Math.ceil(tick.intervalEnd / this.o.stepMs) - 1);
  }

  /**
   * Move event time forward without a tick (an idle partition; see idleEventTime) and return the windows that
   * became final. Never moves it back.
   */
  advanceTo(eventTimeMs: number, computedAt: number): FeatureWindow[] {
    if (!Number.isFinite(eventTimeMs)) throw new RangeError(`advanceTo: event time ${eventTimeMs} is not finite`);
    if (this.frontier === null) this.initFrontier(Math.floor((eventTimeMs - this.o.allowedLatenessMs) / this.o.stepMs) - 1);
    if (!this.watermark.observe(eventTimeMs)) return [];
    const out = this.advance(computedAt);
    if (this.o.fireWhenComplete) this.fireEarly(this.ordered, computedAt, out);
    return out;
  }

  private take(tick: MarketTick, emits: boolean): WindowerRejection | undefined {
    const { stepMs: S } = this.o;
    const start = tick.intervalStart;
    const end = tick.intervalEnd;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start || !Number.isFinite(tick.value)) {
      return {
        reasonCode: 'validation',
        message: `tick ${tick.seriesId} ${tick.kind}: interval [${String(start)}, ${String(end)}) or value ${String(tick.value)} unusable`,
      };
    }
    // Before this partition's first own tick there is no watermark: related ticks are only stored.
    if (this.frontier === null && emits) this.initFrontier(Math.floor((start - this.o.allowedLatenessMs) / S) - 1);
    const frontier = this.frontier ?? -Infinity;
    const firstSlot = Math.floor(start / S);
    const lastSlot = Math.ceil(end / S) - 1;
    if (lastSlot <= frontier) {
      return {
        reasonCode: 'late',
        message:
          `tick ${tick.market} ${tick.seriesId} ${tick.kind} for ${iso(start)}-${iso(end)} is late: windows up to ` +
          `${iso((frontier + 1) * S)} were already emitted (watermark ${iso(this.watermark.value() ?? NaN)}, allowed lateness ${this.o.allowedLatenessMs} ms)`,
      };
    }
    const key = seriesKey(tick.market, tick.seriesId, tick.kind);
    let series = this.byKey.get(key);
    const from = Math.max(firstSlot, frontier + 1);
    if (!series) {
      series = SeriesState.create(tick.market, tick.seriesId, tick.kind, emits, from, this.frontier ?? from - 1, this.o.historySlots, this.o.windowSteps);
      this.insert(series);
    } else if (emits && !series.emits) {
      series.emits = true;
    }
    this.taken = emits ? series : undefined;
    // A tick for a slot whose window was already emitted early: that window (and the later early ones, which hold
    // the slot too) will be emitted again with the corrected value.
    series.touchFired(from);
    if (lastSlot === firstSlot) {
      series.addPart(firstSlot, start, tick.value, (end - start) / S);
    } else {
      for (let slot = from; slot <= lastSlot; slot++) {
        const overlap = Math.min(end, (slot + 1) * S) - Math.max(start, slot * S);
        series.addPart(slot, start, tick.value, overlap / S);
      }
    }
    return undefined;
  }

  /** The first watermark: series stored before it (related ticks only) start right after it. */
  private initFrontier(frontier: number): void {
    this.frontier = frontier;
    for (const s of this.ordered) s.rebase(frontier);
  }

  private insert(series: SeriesState): void {
    this.byKey.set(series.key, series);
    this.relatedCache.clear();
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ordered[mid]!.key < series.key) lo = mid + 1;
      else hi = mid;
    }
    this.ordered.splice(lo, 0, series);
  }

  /** Finalise and emit every step up to the watermark. */
  private advance(computedAt: number): FeatureWindow[] {
    const target = this.watermark.lastFinalSlot();
    const out: FeatureWindow[] = [];
    if (target === null || this.frontier === null) return out;
    while (this.frontier < target) {
      let next = Infinity;
      for (const s of this.ordered) {
        const c = s.nextEmitSlot(this.frontier);
        if (c < next) next = c;
      }
      if (next > target) {
        this.frontier = target;
        break;
      }
      const k = next;
      for (const s of this.ordered) s.catchUp(k);
      this.emitStep(k, computedAt, out);
      this.frontier = k;
    }
    for (const s of this.ordered) {
      if (s.fired.size > 0) for (const k of s.fired.keys()) if (k <= this.frontier) s.fired.delete(k);
    }
    return out;
  }

  /**
   * Early firing: for each series, re-emit its early windows that a later tick changed, then emit the window of
   * every complete slot right after its last emitted one (contiguous: a slot still missing ticks holds the later
   * ones back until the watermark passes it). Appends to `out`, keeping it ordered by windowEnd, then series.
   */
  private fireEarly(candidates: readonly SeriesState[], computedAt: number, out: FeatureWindow[]): void {
    const F = this.frontier;
    if (F === null) return;
    const early: FeatureWindow[] = [];
    for (const s of candidates) {
      if (!s.emits) continue;
      if (s.firedDirty) {
        s.firedDirty = false;
        for (const k of [...s.fired.keys()].sort((a, b) => a - b)) {
          if (s.fired.get(k) !== null) continue;
          const w = this.earlyWindow(s, k, computedAt);
          if (w) {
            early.push(w);
            s.fired.set(k, [w.systemLoad ?? null, w.wind ?? null, w.solar ?? null]);
          } else s.fired.delete(k);
        }
      }
      // Slots before the series' first possible window have none to emit: start at the later of the two.
      for (let k = Math.max(s.firedThrough(F) + 1, s.firstSlot + this.o.windowSteps - 1); s.isComplete(k) && this.relatedComplete(s.market, k); k++) {
        const w = this.earlyWindow(s, k, computedAt);
        if (!w) break;
        early.push(w);
        s.fired.set(k, [w.systemLoad ?? null, w.wind ?? null, w.solar ?? null]);
      }
    }
    if (early.length > 1) early.sort((a, b) => a.windowEnd - b.windowEnd); // stable: series order kept within a step
    for (const w of early) out.push(w);
  }

  /**
   * The window ending at open slot k of one series, from its finalised history and its open slots so far,
   * features computed directly (two-pass) over the W values; undefined when the series may not emit there yet
   * (too little history, or an empty window), as at finalisation.
   */
  private earlyWindow(s: SeriesState, k: number, computedAt: number): FeatureWindow | undefined {
    const { stepMs: S, windowSteps: W } = this.o;
    if (s.firstSlot > k - W + 1) return undefined;
    const values: Array<number | null> = new Array<number | null>(W);
    let n = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let last = NaN;
    for (let j = 0; j < W; j++) {
      const v = s.valueAt(k - W + 1 + j);
      if (Number.isNaN(v)) {
        values[j] = null;
        continue;
      }
      values[j] = v;
      n++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      last = v;
    }
    if (n === 0) return undefined;
    const mean = sum / n;
    let jbar = 0;
    for (let j = 0; j < W; j++) if (values[j] !== null) jbar += j;
    jbar /= n;
    let ss = 0;
    let sjy = 0;
    let sjj = 0;
    for (let j = 0; j < W; j++) {
      const v = values[j];
      if (v === null || v === undefined) continue;
      ss += (v - mean) * (v - mean);
      sjy += (j - jbar) * (v - mean);
      sjj += (j - jbar) * (j - jbar);
    }
    const rel: [number, number, number] = [this.relatedValue(s.market, 'LOAD', k), this.relatedValue(s.market, 'WIND', k), this.relatedValue(s.market, 'SOLAR', k)];
    return this.assemble(s, k, values, { n, mean, std: Math.sqrt(ss / n), min, max, last, trend: n >= 2 && sjj > 0 ? sjy / sjj : NaN }, centralCalendar(k * S), rel, computedAt);
  }

  private emitStep(k: number, computedAt: number, out: FeatureWindow[]): void {
    const { stepMs: S, windowSteps: W } = this.o;
    let calendar: ReturnType<typeof centralCalendar> | undefined;
    let related: Map<string, [number, number, number]> | undefined;
    for (const s of this.ordered) {
      if (!s.emits || s.firstSlot > k - W + 1 || s.stats.n === 0) continue;
      calendar ??= centralCalendar(k * S);
      related ??= new Map();
      let rel = related.get(s.market);
      if (!rel) {
        rel = [this.relatedValue(s.market, 'LOAD', k), this.relatedValue(s.market, 'WIND', k), this.relatedValue(s.market, 'SOLAR', k)];
        related.set(s.market, rel);
      }
      if (s.fired.size > 0 && s.fired.has(k)) {
        // Emitted early: emit again only if it changed since (a later tick for its slots, or new related values).
        const was = s.fired.get(k);
        s.fired.delete(k);
        if (was && sameRelated(was, rel)) continue;
      }
      out.push(this.window(s, k, calendar, rel, computedAt));
    }
  }

  private relatedStates(market: string): Array<SeriesState | undefined> {
    let r = this.relatedCache.get(market);
    if (!r) {
      r = (['LOAD', 'WIND', 'SOLAR'] as const).map((kind) => this.byKey.get(seriesKey(market, SYSTEM_SERIES_ID, kind)));
      this.relatedCache.set(market, r);
    }
    return r;
  }

  /** Whether every related series this partition holds for `market` has slot k complete (early firing waits for them). */
  private relatedComplete(market: string, k: number): boolean {
    for (const r of this.relatedStates(market)) if (r && !r.isComplete(k)) return false;
    return true;
  }

  /** A related series' value at slot k: finalised, or the open slot's value so far (early windows). */
  private relatedValue(market: string, kind: TickKind, k: number): number {
    const s = this.relatedStates(market)[kind === 'LOAD' ? 0 : kind === 'WIND' ? 1 : 2];
    return s ? s.valueAt(k) : NaN;
  }

  private window(
    s: SeriesState,
    k: number,
    cal: ReturnType<typeof centralCalendar>,
    [load, wind, solar]: [number, number, number],
    computedAt: number,
  ): FeatureWindow {
    const { windowSteps: W } = this.o;
    const values = s.ring.slice(k, W);
    let last = NaN;
    for (let j = W - 1; j >= 0; j--) {
      const v = values[j];
      if (v !== null && v !== undefined) {
        last = v;
        break;
      }
    }
    const st = s.stats;
    st.refine(s.ring);
    return this.assemble(s, k, values, { n: st.n, mean: st.mean(), std: st.std(), min: st.min(), max: st.max(), last, trend: st.trend() }, cal, [load, wind, solar], computedAt);
  }

  private assemble(
    s: SeriesState,
    k: number,
    values: Array<number | null>,
    f: { n: number; mean: number; std: number; min: number; max: number; last: number; trend: number },
    cal: ReturnType<typeof centralCalendar>,
    [load, wind, solar]: [number, number, number],
    computedAt: number,
  ): FeatureWindow {
    const { stepMs: S, windowSteps: W } = this.o;
    const first = k - W + 1;
    const net = load - wind - solar;
    return {
      market: s.market,
      seriesId: s.seriesId,
      kind: s.kind,
      stepMs: S,
      windowStart: first * S,
      windowEnd: (k + 1) * S,
      values,
      count: f.n,
      missing: W - f.n,
      mean: nullable(f.mean),
      std: nullable(f.std),
      min: nullable(f.min),
      max: nullable(f.max),
      last: nullable(f.last),
      trend: nullable(f.trend),
      lag1h: nullable(s.valueAt(k - this.o.lag1)),
      lag24h: nullable(s.valueAt(k - this.o.lag24)),
      lag168h: nullable(s.valueAt(k - this.o.lag168)),
      hourOfDay: cal.hourOfDay,
      dayOfWeek: cal.dayOfWeek,
      isHoliday: cal.isHoliday,
      systemLoad: nullable(load),
      wind: nullable(wind),
      solar: nullable(solar),
      netLoad: nullable(net),
      computedAt,
    };
  }

  /** The whole state as a plain JSON-able object (deterministic for a given input history). */
  snapshot(): WindowerSnapshot {
    return {
      version: 1,
      fireWhenComplete: this.o.fireWhenComplete,
      stepMs: this.o.stepMs,
      windowSteps: this.o.windowSteps,
      allowedLatenessMs: this.o.allowedLatenessMs,
      maxEventTime: this.watermark.maxEventTime,
      frontierSlot: this.frontier,
      series: this.ordered.map((s) => s.snapshot()),
    };
  }

  /**
   * Rebuild a windower from a snapshot. `opts` must agree with the snapshot on stepMs and windowSteps (when
   * given); allowedLatenessMs, when given, replaces the snapshot's (it takes effect from the next tick on).
   */
  static restore(snap: WindowerSnapshot, opts?: Partial<WindowerOptions>): PartitionWindower {
    if (snap.version !== 1) throw new Error(`windower snapshot version ${String(snap.version)} is not supported`);
    if (opts?.stepMs !== undefined && opts.stepMs !== snap.stepMs) throw new Error(`windower snapshot has stepMs ${snap.stepMs}, options ask for ${opts.stepMs}`);
    const w = new PartitionWindower({
      stepMs: snap.stepMs as WindowerOptions['stepMs'],
      windowSteps: snap.windowSteps,
      allowedLatenessMs: opts?.allowedLatenessMs ?? snap.allowedLatenessMs,
      fireWhenComplete: opts?.fireWhenComplete ?? snap.fireWhenComplete ?? true,
    });
    if (opts?.windowSteps !== undefined && opts.windowSteps !== snap.windowSteps) {
      throw new Error(`windower snapshot has windowSteps ${snap.windowSteps}, options ask for ${opts.windowSteps}`);
    }
    if (snap.maxEventTime !== null) w.watermark.observe(snap.maxEventTime);
    w.frontier = snap.frontierSlot;
    for (const s of snap.series) w.insert(SeriesState.restore(s, w.o.historySlots, w.o.windowSteps));
    return w;
  }
}
