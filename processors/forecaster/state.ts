// One input partition's forecaster state and the one way it changes: window by window, in offset order. The state is
// the series' slot history (history.ts, for the steps served from same hour last week) and, for a model with
// metadata.onlineBand, one OnlineBand per series (model/online-band.ts) fed with every actual the windows carry and
// every forecast served. The same step() runs live, in the replay of a partition's trailing windows on assignment
// (restore.ts) and in the replay after a model switch, so the state is a function of (model, trailing windows).
import { servesWindow, type ModelMetadata } from '../../model/contract.js';
import { OnlineBand, onlineBandSpanMs, readsServedBands } from '../../model/online-band.js';
import { seriesRecordKey } from '../../market/series.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';
import { toForecast } from './forecast.js';
import { HISTORY_KEEP_MS, SeriesHistory, serveSteps } from './history.js';

/**
 * How far behind a series' newest window end the state needs windows (ms): the history's HISTORY_KEEP_MS (8 days and 1 h), plus for an
 * online band onlineBandSpanMs (its window and horizon, and with a centre the centre's window and horizon too: a
 * replayed origin's centred P50 needs the model's P50 that far before it).
 */
export function stateSpanMs(meta: ModelMetadata | undefined): number {
  const b = meta?.onlineBand;
  if (!meta || !b) return HISTORY_KEEP_MS;
  return HISTORY_KEEP_MS + onlineBandSpanMs(b, meta.architecture.horizon, meta.target.stepMs);
}

/** One window's model output, as the inference batcher gives it. */
export interface WindowOutput {
  version: string;
  metadata: ModelMetadata;
  /** Horizon values (P50 for a quantile model), or null when the model does not serve the window. */
  values: number[] | null;
  band: { p10: number[]; p90: number[] } | null;
}

export class PartitionState {
  history: SeriesHistory;
  /** Online bands per series key, built with `bandVersion`'s forecasts. */
  private bands = new Map<string, OnlineBand>();
  /** The model version the bands were fed by (null: none fed yet). */
  bandVersion: string | null = null;
  /**
   * Whether the bands served at every origin of the trailing span are known (recorded live or read back): true for a
   * state that started with the partition (nothing served before it) or whose rebuild read the served bands back.
   * A state rebuilt without the read-back (its model then had no ACI band) is rebuilt again when an ACI model comes.
   */
  servedComplete = false;
  /** The trailing windows (newest of their series − spanMs and later), in offset order: a model switch replays them. */
  private windows: FeatureWindow[] = [];
  private readonly newest = new Map<string, number>();

  /**
   * True once a live batch has committed on this state: from then on the consumer's position and the state move
   * together, so resumeAt has nothing to skip (and the one-offset gaps that the input's transaction markers leave
   * between batches are not "a batch after the state's offset").
   */
  live = false;

  /** spanMs: stateSpanMs of the model the state is for; nextOffset: the input offset it has consumed up to. */
  constructor(readonly spanMs: number, public nextOffset: bigint) {
    this.history = new SeriesHistory(HISTORY_KEEP_MS);
  }

  /**
   * Whether a switch to `meta` needs the partition read again rather than a replay of the windows held: the model
   * needs a longer span than the state holds, or it has an ACI band and the bands served over the span are not all
   * known (servedComplete), which only the read-back of the output gives.
   */
  needsRebuildFor(meta: ModelMetadata): boolean {
    return stateSpanMs(meta) > this.spanMs || (readsServedBands(meta.onlineBand?.method) && !this.servedComplete);
  }

  /** Windows held for a replay (for tests and the restore log). */
  get windowCount(): number {
    return this.windows.length;
  }

  /** Bands held (for tests and the restore log). */
  get bandCount(): number {
    return this.bands.size;
  }

  /**
   * Advances the state by one window and returns its Forecast, if the model serves it: the window's slots go into
   * the history; with metadata.onlineBand its series' band gets the window's actuals (slots ending at or before the
   * window end; a re-emitted window replaces them), then the forecast is served (serveSteps) and, with a band,
   * OnlineBand.serve gives its P50 (the model's plus the centre), P10 and P90 and issues it to the band.
   */
  step(w: FeatureWindow, out: WindowOutput | undefined, replay = false): Forecast | undefined {
    this.history.add(w);
    this.keep(w);
    const meta = out?.metadata;
    const spec = meta?.onlineBand;
    let band: OnlineBand | undefined;
    if (out && meta && spec) {
      if (out.version !== this.bandVersion) {
        this.bands.clear();
        this.bandVersion = out.version;
      }
      if (servesWindow(meta, w)) {
        const k = seriesRecordKey(w, w.stepMs);
        band = this.bands.get(k);
        if (!band) {
          const H = meta.architecture.horizon;
          this.bands.set(k, (band = new OnlineBand(spec, H, w.stepMs, spec.trained)));
        }
        const W = w.values.length;
        w.values.forEach((v, i) => {
          if (v !== null) band!.actual(w.windowEnd - (W - 1 - i) * w.stepMs, v);
        });
      }
    }
    if (!out?.values) return undefined;
    const s = serveSteps(w, out.metadata, out.values, out.band ?? undefined, this.history);
    const k = seriesRecordKey(w, w.stepMs);
    if (band) {
      // A replayed origin is issued with the band actually served there when it is known (ACI counts its misses
      // against it, and the band served depends on everything before): recorded live, or read back from the output.
      // The P50 served is the model's plus the band's centre (model/online-band.ts), a function of the model's outputs
      // and the actuals alone, so a replay recomputes it.
      const known = replay ? this.served.get(k)?.get(w.windowEnd) : undefined;
      const served = band.serve(w.windowEnd, s.values, known);
      s.values = Array.from(served.p50);
      s.p10 = Array.from(served.p10);
      s.p90 = Array.from(served.p90);
    }
    // Every band served live is recorded, whatever model served it (a model without an online band serves its own
    // P10/P90): a later switch to an ACI model replays these origins with what was served there, as a restart reads
    // them back from the output.
    if (!replay && s.p10 && s.p90) this.recordServed(k, w.windowEnd, s.p10, s.p90);
    return toForecast(w, out.version, out.metadata, s.values, s);
  }

  /** Keeps `w` for a replay and drops the windows older than their series' newest − spanMs. */
  private keep(w: FeatureWindow): void {
    const k = seriesRecordKey(w, w.stepMs);
    const before = this.newest.get(k);
    this.windows.push(w);
    if (before === undefined || w.windowEnd > before) {
      this.newest.set(k, w.windowEnd);
      // Prune now and then (when the list has grown by half since), not on every window.
      if (this.windows.length > 64 && this.windows.length > 1.5 * this.pruned) this.prune();
    }
  }

  private pruned = 0;

  /** Bands served per series key and origin (window end): what a replay issues there (ACI reads them). */
  private readonly served = new Map<string, Map<number, { p10: number[]; p90: number[] }>>();

  private recordServed(k: string, origin: number, p10: number[], p90: number[]): void {
    let m = this.served.get(k);
    if (!m) this.served.set(k, (m = new Map()));
    m.set(origin, { p10, p90 });
  }

  /**
   * A Forecast this forecaster served before (read back from its output partition on a rebuild): its band is what a
   * replay issues at its origin. Later records of the same series and origin (a corrected window) replace earlier ones.
   */
  recordForecast(f: Forecast): void {
    if (f.p10 && f.p90) this.recordServed(seriesRecordKey(f, f.stepMs), f.targetStart, f.p10, f.p90);
  }

  private prune(): void {
    this.windows = this.windows.filter((x) => x.windowEnd >= this.newest.get(seriesRecordKey(x, x.stepMs))! - this.spanMs);
    for (const [k, m] of this.served) {
      const newest = this.newest.get(k);
      if (newest === undefined) continue; // a replay that has not reached the series yet
      for (const origin of m.keys()) if (origin < newest - this.spanMs) m.delete(origin);
    }
    this.pruned = this.windows.length;
  }

  /**
   * The state rebuilt from its trailing windows with another model's outputs (a model switch): a fresh history and
   * fresh bands, every held window stepped again in order. `outputs[i]` is `version`'s output for `trailing()[i]`.
   */
  async replay(version: string, outputs: ReadonlyArray<WindowOutput | undefined>): Promise<void> {
    const windows = this.trailing();
    if (outputs.length !== windows.length) throw new Error(`internal: ${outputs.length} outputs for ${windows.length} trailing windows`);
    this.history = new SeriesHistory(HISTORY_KEEP_MS);
    this.bands = new Map();
    this.windows = [];
    this.newest.clear();
    this.pruned = 0;
    this.bandVersion = version;
    await this.stepAll(windows, outputs);
  }

  /**
   * Replays `windows` in order with their outputs (undefined: the history alone), yielding to the event loop every
   * 256 windows so that a long replay does not hold up timers and I/O (the processor's heartbeat timer among them:
   * kafkajs itself heartbeats only between batches or when the handler calls it, see processor.ts heartbeatWhile).
   */
  async stepAll(windows: readonly FeatureWindow[], outputs: ReadonlyArray<WindowOutput | undefined>): Promise<void> {
    for (let i = 0; i < windows.length; i++) {
      this.step(windows[i]!, outputs[i], true);
      if (i % 256 === 255) await new Promise((r) => setImmediate(r));
    }
  }

  /** The windows a replay steps through (pruned first). */
  trailing(): FeatureWindow[] {
    this.prune();
    return [...this.windows];
  }
}
