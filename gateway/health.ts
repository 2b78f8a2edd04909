// GET /healthz: each dependency checked with a time limit, in parallel. PostgreSQL, Kafka and the schema registry
// are required (503 when one is down); the model registry's current version is reported, and its absence is a
// "degraded" status, not a failure (the gateway serves stored forecasts without a model).
import type pg from 'pg';
import type { Config } from '../platform/config.js';
import { loadEntry, readCurrent } from '../model/registry.js';
import { type Admin, createKafka } from '../platform/kafka/client.js';

export interface CheckResult {
  up: boolean;
  required: boolean;
  latencyMs: number;
  detail: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  checkedAt: string;
  dependencies: Record<string, CheckResult>;
}

export type Check = () => Promise<string>;

const TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

/** Messages from dependencies are cut short and stripped of anything that looks like a credential. */
function cleanDetail(msg: string): string {
  return msg.replace(/(password|passwd|token|secret)=\S+/gi, '$1=***').slice(0, 200);
}

export function postgresCheck(pool: pg.Pool): Check {
  return async () => {
    const r = await pool.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
    return `PostgreSQL ${r.rows[0]?.v ?? '?'}`;
  };
}

/** One admin client kept between checks; dropped and rebuilt after a failure. */
export function kafkaCheck(config: Config): Check & { close: () => Promise<void> } {
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  const get = () => {
    if (admin) return Promise.resolve(admin);
    connecting ??= (async () => {
      const a = createKafka(config, 'sda-gateway-health', { quiet: true, retries: 0 }).admin();
      await a.connect();
      admin = a;
      return a;
    })().finally(() => (connecting = undefined));
    return connecting;
  };
  const check = async () => {
    try {
      const c = await (await get()).describeCluster();
      return `${c.brokers.length} broker(s), cluster ${c.clusterId}`;
    } catch (err) {
      const a = admin;
      admin = undefined;
      await a?.disconnect().catch(() => undefined);
      throw err;
    }
  };
  return Object.assign(check, { close: async () => { await admin?.disconnect().catch(() => undefined); admin = undefined; } });
}

export function schemaRegistryCheck(url: string): Check {
  return async () => {
    const res = await fetch(`${url}/schemas/types`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const types = (await res.json()) as unknown;
    return `answers at ${new URL(url).host}${Array.isArray(types) ? ` (${types.join(', ')})` : ''}`;
  };
}

export function modelRegistryCheck(root: string): Check {
  return async () => {
    const v = await readCurrent(root);
    if (v === null) throw new Error(`no model in ${root}; run sda train`);
    const t = (await loadEntry(root, v)).metadata.target;
    return `${v} (${t.market} ${t.kind}, step ${t.stepMs / 60_000} min, ${t.seriesIds.length === 0 ? 'all series' : t.seriesIds.join(',')})`;
  };
}

export class Health {
  private inFlight: Promise<HealthReport> | undefined;

  constructor(private readonly checks: Record<string, { check: Check; required: boolean }>) {}

  /** Runs every check (concurrent callers share one round). */
  report(): Promise<HealthReport> {
    this.inFlight ??= this.run().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async run(): Promise<HealthReport> {
    const entries = await Promise.all(
      Object.entries(this.checks).map(async ([name, { check, required }]) => {
        const t0 = performance.now();
        try {
          const detail = await withTimeout(check(), TIMEOUT_MS, name);
          return [name, { up: true, required, latencyMs: Number((performance.now() - t0).toFixed(1)), detail: cleanDetail(detail) }] as const;
        } catch (err) {
          return [name, { up: false, required, latencyMs: Number((performance.now() - t0).toFixed(1)), detail: cleanDetail((err as Error).message ?? String(err)) }] as const;
        }
      }),
    );
    const dependencies = Object.fromEntries(entries) as Record<string, CheckResult>;
    const all = Object.values(dependencies);
    const status = all.some((c) => c.required && !c.up) ? 'down' : all.some((c) => !c.up) ? 'degraded' : 'ok';
    return { status, checkedAt: new Date().toISOString(), dependencies };
  }
}
