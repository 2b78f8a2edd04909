// The served model, kept in step with the registry's `current` file without a restart. poll() reads `current`;
// when it names another version, that version is loaded beside the old one and then swapped in by one assignment,
// so a run already in flight finishes on the model it started with (acquire/release) and the next run uses the
// new one. A model that fails to load is logged and the old one stays; it is tried again only when `current`
// changes. With no `current` yet the watcher logs once and keeps polling.
import { logger } from '../../platform/logger.js';
import { OnnxModel } from '../../model/onnx-model.js';
import { loadEntry, readCurrent } from '../../model/registry.js';
import { FORECAST_MAX_SPAN_MS } from './forecast.js';

const log = logger('forecaster');

export interface ModelWatcherOptions {
  /** How often `current` is read (ms). */
  pollMs?: number;
  /** onnxruntime intra-op threads. */
  threads?: number;
  onSwitch?: (from: string | null, to: string) => void;
}

export class ModelWatcher {
  private model: OnnxModel | null = null;
  private readonly uses = new Map<OnnxModel, number>();
  private readonly retired = new Set<OnnxModel>();
  private rejected: string | null = null;
  private saidMissing = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  switches = 0;

  constructor(readonly root: string, private readonly opts: ModelWatcherOptions = {}) {}

  get pollMs(): number {
    return this.opts.pollMs ?? 2_000;
  }

  /** The version being served, or null before the first model. */
  get version(): string | null {
    return this.model?.version ?? null;
  }

  /** Reads `current` once and swaps in a new version if it names one. Never throws. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    let version: string | null;
    try {
      version = await readCurrent(this.root);
    } catch (err) {
      if (this.rejected !== '<current>') log.error({ dir: this.root, err: (err as Error).message }, 'cannot read the model registry');
      this.rejected = '<current>';
      return;
    }
    if (version === null) {
      if (!this.saidMissing) log.warn({ dir: this.root }, `no model in ${this.root}; run sda train`);
      this.saidMissing = true;
      return;
    }
    if (version === this.model?.version || version === this.rejected) return;
    let next: OnnxModel;
    try {
      const entry = await loadEntry(this.root, version);
      const span = entry.metadata.architecture.horizon * entry.metadata.target.stepMs;
      if (!(span > 0 && span <= FORECAST_MAX_SPAN_MS)) throw new Error(`horizon x step is ${span} ms; the forecaster serves up to ${FORECAST_MAX_SPAN_MS} ms`);
      next = await OnnxModel.load(entry, { threads: this.opts.threads ?? 1 });
    } catch (err) {
      this.rejected = version;
      log.error({ dir: this.root, version, serving: this.model?.version ?? null, err: (err as Error).message }, 'cannot load the model `current` names; keeping the one served');
      return;
    }
    if (this.stopped) {
      await next.close();
      return;
    }
    const old = this.model;
    this.model = next; // the swap: runs that start from now on use the new version
    this.rejected = null;
    this.saidMissing = false;
    if (old) {
      this.switches += 1;
      this.retire(old);
    }
    const m = next.metadata;
    log.info({ from: old?.version ?? null, to: version, market: m.target.market, kind: m.target.kind, stepMs: m.target.stepMs, series: m.target.seriesIds, horizon: m.architecture.horizon }, old ? 'model switched' : 'model loaded');
    this.opts.onSwitch?.(old?.version ?? null, version);
  }

  /** Starts polling every pollMs. */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.poll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.pollMs);
      });
    };
    tick();
  }

  /** Resolves once a model is loaded (polling meanwhile); rejects if `signal` aborts first. */
  async ready(signal?: AbortSignal): Promise<void> {
    while (!this.model) {
      signal?.throwIfAborted();
      await this.poll();
      if (this.model) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.pollMs);
        signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  }

  /** The model to run now; pair with release(). */
  acquire(): OnnxModel | null {
    const m = this.model;
    if (m) this.uses.set(m, (this.uses.get(m) ?? 0) + 1);
    return m;
  }

  release(m: OnnxModel): void {
    const n = (this.uses.get(m) ?? 1) - 1;
    if (n > 0) {
      this.uses.set(m, n);
      return;
    }
    this.uses.delete(m);
    if (this.retired.delete(m)) void m.close().catch(() => undefined);
  }

  private retire(m: OnnxModel): void {
    if ((this.uses.get(m) ?? 0) > 0) this.retired.add(m);
    else void m.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    const m = this.model;
    this.model = null;
    if (m) this.retire(m);
  }
}
