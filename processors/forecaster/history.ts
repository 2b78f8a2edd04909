// Per-series values of the slots the forecaster has seen in its input windows, kept for 8 days and 1 h, so it can serve
// the "same hour last week" baseline for the horizons where the model's metadata chose it
// (metadata.stepSources[h-1] = "baseline:same_hour_last_week"). A slot it has not seen (after a restart, or in the
// first week of a series) leaves the model's own value for that step, and the record's stepSources says so.
// The level-adjusted form (metadata.lastWeekLevel, "baseline:same_hour_last_week_level") also reads the last L slots
// up to the window end and the same slots a week earlier (7 days + L − 1 slots back from the window end, which may lie
// up to the windower's allowed lateness behind the series' newest: HISTORY_KEEP_MS); one of them not seen falls back
// the same way.
import { seriesRecordKey } from '../../market/series.js';
import type { ModelMetadata } from '../../model/contract.js';
import { LEVEL_MAX_SLOTS, lastWeekStep, lastWeekValue, weekChanges } from '../../model/last-week.js';
import { lastWeekWeights } from '../../model/quantile.js';
import { DEFAULT_ALLOWED_LATENESS_STEPS, HOUR_MS } from '../windower/windower.js';

const WEEK_MS = 7 * 86_400_000;
/**
 * How far behind a series' newest window end the history answers (ms): 7 days + (LEVEL_MAX_SLOTS − 1 + 2) hours =
 * 8 days and 1 hour. The oldest slot a served window reads is its level's y(s − 7 days) for the oldest of its L
 * slots: windowEnd − 7 days − (L − 1)·step (last week's target slots, windowEnd + h·step − 7 days, are newer). A window
 * the forecaster serves ends at most the windower's allowed lateness behind its series' newest window end (a late tick
 * re-emits the windows that hold its slot, and only slots after the frontier, max event time − allowed lateness, take
 * ticks: DEFAULT_ALLOWED_LATENESS_STEPS = 2 steps, processors/windower/windower.ts). So it reads back at most
 * 7 days + (L − 1 + 2)·step; L ≤ LEVEL_MAX_SLOTS = 24 and the step is at most an hour. (Before: 8 days, which left a
 * window 2 h late with L = 24 without its oldest slot, so it fell back to the graph where applyLastWeek serves the level.)
 */
export const HISTORY_KEEP_MS = WEEK_MS + (LEVEL_MAX_SLOTS - 1 + DEFAULT_ALLOWED_LATENESS_STEPS) * HOUR_MS;

/** The part of a FeatureWindow the history reads. */
export interface HistoryWindow {
  market: string;
  seriesId: string;
  kind: string;
  stepMs: number;
  windowEnd: number;
  values: ReadonlyArray<number | null>;
}

interface SeriesSlots {
  /** The newest window end added (UTC ms). */
  newest: number;
  /** slot end (UTC ms) → value. */
  slots: Map<number, number>;
}

/**
 * Slot values per series, answering only for slots within `keepMs` of the series' newest window end. So its answers
 * are a function of the windows whose end lies in that span, in the order they were added (a later window's value of
 * a slot replaces an earlier one: a corrected window wins): a history rebuilt from those windows alone (restore.ts)
 * answers exactly as one that saw the whole stream.
 */
export class SeriesHistory {
  private readonly series = new Map<string, SeriesSlots>();

  /** keepMs: how far behind the newest window end of a series its slots are kept and answered (ms, > 0). */
  constructor(readonly keepMs = HISTORY_KEEP_MS) {
    if (!(Number.isFinite(keepMs) && keepMs > 0)) throw new RangeError(`SeriesHistory: keepMs must be a positive number of ms, got ${keepMs}`);
  }

  private static key(w: Pick<HistoryWindow, 'market' | 'seriesId' | 'kind' | 'stepMs'>): string {
    return seriesRecordKey(w, w.stepMs);
  }

  /** Record a window's values (slot i ends at windowEnd − (W − 1 − i)·step) and drop slots older than newest − keepMs. */
  add(w: HistoryWindow): void {
    const k = SeriesHistory.key(w);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { newest: w.windowEnd, slots: new Map() }));
    const grew = w.windowEnd > s.newest;
    if (grew) s.newest = w.windowEnd;
    const oldest = s.newest - this.keepMs;
    const W = w.values.length;
    const m = s.slots;
    w.values.forEach((v, i) => {
      const t = w.windowEnd - (W - 1 - i) * w.stepMs;
      if (t >= oldest && v !== null && Number.isFinite(v)) m.set(t, v);
    });
    if (grew) for (const t of m.keys()) if (t < oldest) m.delete(t);
  }

  /** The value of the slot ending at `slotEnd`, if seen and within keepMs of the series' newest window end. */
  get(w: Pick<HistoryWindow, 'market' | 'seriesId' | 'kind' | 'stepMs'>, slotEnd: number): number | undefined {
    const s = this.series.get(SeriesHistory.key(w));
    if (!s || slotEnd < s.newest - this.keepMs) return undefined;
    return s.slots.get(slotEnd);
  }

  /** The newest window end added for the window's series, or undefined. */
  newest(w: Pick<HistoryWindow, 'market' | 'seriesId' | 'kind' | 'stepMs'>): number | undefined {
    return this.series.get(SeriesHistory.key(w))?.newest;
  }

  /** Series tracked (for tests and metrics). */
  get size(): number {
    return this.series.size;
  }

  /** Slots held over all series (for metrics and the restore bench). */
  get slotCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.slots.size;
    return n;
  }
}

export interface ServedSteps {
  values: number[];
  p10: number[] | null;
  p90: number[] | null;
  stepSources: string[] | null;
}

/**
 * The steps a forecast serves: the model's output, with "same hour last week" (y at target slot end − 7 days,
 * Hyndman & Athanasopoulos FPP3 §5.2, m = a week) blended in with weight w (metadata.lastWeekWeight; w = 1: alone)
 * wherever the metadata uses it and the history holds that slot, with its band (metadata.lastWeekBand, or the graph's
 * band moved to the served value when metadata.lastWeekBandFromGraph). stepSources
 * names what produced each step; a step without history falls back to the graph's own choice
 * (metadata.training.graphSources, else "lstm"). With metadata.lastWeekLevel, last week's value at a step with level
 * weight k > 0 is y(T − 7 days) + k·level, level = the lastWeekLevel.rule (median or mean, chosen by the trainer; mean where the
 * field is absent, as in models before it) of y(s) − y(s − 7 days) over the lastWeekLevel.slots slots s up to the window end
 * (model/last-week.ts lastWeekValue, the trainer's rule); a step whose level cannot be computed
 * from the history (one of those 2·L slots not seen) falls back to the graph's choice as a missing last-week slot does.
 */
export function serveSteps(w: HistoryWindow, meta: ModelMetadata, values: number[], band: { p10: number[]; p90: number[] } | undefined, history: SeriesHistory): ServedSteps {
  const sources = meta.stepSources && meta.stepSources.length === values.length ? meta.stepSources : null;
  if (!sources) return { values, p10: band?.p10 ?? null, p90: band?.p90 ?? null, stepSources: null };
  const weights = lastWeekWeights(meta);
  const graph = (meta.training?.graphSources as string[] | undefined) ?? [];
  const out = { values: [...values], p10: band ? [...band.p10] : null, p90: band ? [...band.p90] : null, stepSources: [...sources] };
  const level = meta.lastWeekLevel;
  const changes = level?.weight.some((k, i) => k > 0 && weights[i]! > 0) ? weekChanges((t) => history.get(w, t), w.windowEnd, w.stepMs, level!.slots) : undefined;
  weights.forEach((lw, i) => {
    if (!(lw > 0) || i >= values.length) return;
    const seen = history.get(w, w.windowEnd + (i + 1) * w.stepMs - WEEK_MS);
    const v = seen === undefined ? Number.NaN : lastWeekValue(meta, i, seen, changes);
    if (!Number.isFinite(v)) {
      out.stepSources[i] = graph[i] ?? 'lstm';
      return;
    }
    // The trainer's rule (model/last-week.ts), so the hold-out scores what is served.
    const served = lastWeekStep(meta, i, lw, v, values[i]!, band?.p10[i], band?.p90[i]);
    out.values[i] = served.value;
    if (out.p10 && out.p90) {
      out.p10[i] = served.p10!;
      out.p90[i] = served.p90!;
    }
  });
  return out;
}
