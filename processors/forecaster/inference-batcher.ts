// One onnxruntime run for the windows that arrive together: callers (one per partition batch, run concurrently)
// submit their windows; the first submit schedules a flush on the next macrotask, so batches submitted in the same
// turn (one fetch response, several partitions) share a run, and batches submitted while a run is in flight share
// the next one. Each flush takes the served model once, so every window of a run is filtered (servesWindow) and
// forecast by the same version: a model switch lands between runs.
import { servesWindow, type ModelMetadata } from '../../model/contract.js';
import type { FeatureWindow } from '../../schemas/types.js';
import { inferenceSeconds } from '../../platform/metrics.js';
import type { ModelWatcher } from './model-watcher.js';

export interface BatchResult {
  version: string;
  metadata: ModelMetadata;
  /** Per submitted window: its horizon values, or null when the model does not serve it (or it has no points). */
  values: Array<number[] | null>;
  /** Per submitted window: its P10/P90 per horizon when the model has quantiles, else null. */
  bands: Array<{ p10: number[]; p90: number[] } | null>;
  /** How many of the windows were not served, and how many had no points. */
  skipped: number;
  empty: number;
}

interface Request {
  windows: readonly FeatureWindow[];
  resolve: (r: BatchResult) => void;
  reject: (err: unknown) => void;
}

export class InferenceBatcher {
  private queue: Request[] = [];
  private scheduled = false;
  private running = false;
  /** onnxruntime runs made, and windows forecast in them. */
  runs = 0;
  windows = 0;
  largestRun = 0;

  constructor(private readonly watcher: ModelWatcher, private readonly maxBatch = 4_096) {}

  submit(windows: readonly FeatureWindow[]): Promise<BatchResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ windows, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const requests = this.queue;
    this.queue = [];
    if (requests.length === 0) return;
    this.running = true;
    const model = this.watcher.acquire();
    try {
      if (!model) throw new Error('no model loaded');
      const meta = model.metadata;
      const results = requests.map((r) => ({ version: model.version, metadata: meta, values: new Array<number[] | null>(r.windows.length).fill(null), bands: new Array<{ p10: number[]; p90: number[] } | null>(r.windows.length).fill(null), skipped: 0, empty: 0 }));
      const todo: Array<{ req: number; at: number; w: FeatureWindow }> = [];
      requests.forEach((r, req) =>
        r.windows.forEach((w, at) => {
          if (!servesWindow(meta, w)) results[req]!.skipped += 1;
          else if (w.count === 0) results[req]!.empty += 1;
          else todo.push({ req, at, w });
        }),
      );
      for (let i = 0; i < todo.length; i += this.maxBatch) {
        const chunk = todo.slice(i, i + this.maxBatch);
        const stop = inferenceSeconds.startTimer({ model_version: model.version });
        const out = await model.forecastBands(chunk.map((t) => t.w));
        stop();
        this.runs += 1;
        this.windows += chunk.length;
        this.largestRun = Math.max(this.largestRun, chunk.length);
        chunk.forEach((t, k) => {
          const f = out[k]!;
          results[t.req]!.values[t.at] = f.values;
          if (f.p10 && f.p90) results[t.req]!.bands[t.at] = { p10: f.p10, p90: f.p90 };
        });
      }
      requests.forEach((r, i) => r.resolve(results[i]!));
    } catch (err) {
      for (const r of requests) r.reject(err);
    } finally {
      if (model) this.watcher.release(model);
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
