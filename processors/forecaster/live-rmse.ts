// Live accuracy: each forecast's horizon-1 prediction is kept until the window whose last point covers that
// interval arrives; the squared error then joins a last-N ring per (model version, series), whose RMSE is the live
// figure. In memory: it restarts empty with the process.
import { seriesKeyOf } from '../../market/series.js';

export interface LiveMetric {
  market: string;
  seriesId: string;
  kind: string;
  modelVersion: string;
  rmse: number;
  /** Errors in the ring (at most the window size). */
  n: number;
  /** Errors seen in all. */
  total: number;
}

interface Pending {
  value: number;
  version: string;
}

class ErrorRing {
  readonly sq: Float64Array;
  n = 0;
  next = 0;
  total = 0;
  constructor(size: number) {
    this.sq = new Float64Array(size);
  }
  push(e: number): void {
    this.sq[this.next] = e * e;
    this.next = (this.next + 1) % this.sq.length;
    this.n = Math.min(this.n + 1, this.sq.length);
    this.total += 1;
  }
  rmse(): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.sq[i]!;
    return Math.sqrt(s / this.n);
  }
}

export class LiveRmse {
  private readonly pending = new Map<string, Map<number, Pending>>();
  private readonly rings = new Map<string, { market: string; seriesId: string; kind: string; modelVersion: string; ring: ErrorRing }>();

  /** window: errors kept per (version, series); maxPending: horizon-1 predictions kept per series. */
  constructor(private readonly window = 168, private readonly maxPending = 512) {}

  private static key(s: { market: string; seriesId: string; kind: string }): string {
    return seriesKeyOf(s);
  }

  /** A window arrived: its last point is the actual of [windowEnd - stepMs, windowEnd). Returns the error scored, if any. */
  observeActual(w: { market: string; seriesId: string; kind: string; stepMs: number; windowEnd: number; values: ReadonlyArray<number | null> }): number | undefined {
    const preds = this.pending.get(LiveRmse.key(w));
    if (!preds) return undefined;
    const start = w.windowEnd - w.stepMs;
    const p = preds.get(start);
    for (const t of preds.keys()) if (t <= start) preds.delete(t); // predictions for this interval or before are done
    const actual = w.values[w.values.length - 1];
    if (!p || actual === null || actual === undefined || !Number.isFinite(actual) || !Number.isFinite(p.value)) return undefined;
    const rk = `${p.version}\u0000${LiveRmse.key(w)}`;
    let r = this.rings.get(rk);
    if (!r) this.rings.set(rk, (r = { market: w.market, seriesId: w.seriesId, kind: w.kind, modelVersion: p.version, ring: new ErrorRing(this.window) }));
    const err = p.value - actual;
    r.ring.push(err);
    return err;
  }

  /** A forecast was published: remember its horizon-1 prediction for [targetStart, targetStart + stepMs). */
  recordForecast(f: { market: string; seriesId: string; kind: string; modelVersion: string; targetStart: number; values: readonly number[] }): void {
    const k = LiveRmse.key(f);
    let preds = this.pending.get(k);
    if (!preds) this.pending.set(k, (preds = new Map()));
    preds.delete(f.targetStart);
    preds.set(f.targetStart, { value: f.values[0]!, version: f.modelVersion });
    if (preds.size > this.maxPending) preds.delete(preds.keys().next().value!);
  }

  snapshot(): LiveMetric[] {
    return [...this.rings.values()].map((r) => ({ market: r.market, seriesId: r.seriesId, kind: r.kind, modelVersion: r.modelVersion, rmse: r.ring.rmse(), n: r.ring.n, total: r.ring.total }));
  }
}
