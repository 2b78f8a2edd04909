// One ingestion run of one ERCOT report over a range of delivery days: fetch every page, apply the gap policy,
// publish ticks and dead letters, then record the run and move the report's checkpoint. A run writes a JSON log
// line at start and at end and a row in ingest_runs. The checkpoint is the end of the latest interval published
// for the report; an incremental run skips intervals at or before it, so a restart neither skips nor republishes.
// Every log line carries the process's `runId` (platform/logger.ts); the ingest run's own id is `ingestRunId`.
// An empty day (the API answers 200 with no rows for a day that should have data, as in a publication gap) is
// logged as a warning and counted per day; the checkpoint stops before it for the rest of the run, so the next
// incremental run fetches it again (field case 11 in test/fixtures/field-cases/).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { logger } from '../../platform/logger.js';
import { advanceCheckpoint, finishRun, readCheckpoint, startRun } from './checkpoints.js';
import { imputeGaps } from '../imputation.js';
import { placeDstDays } from '../../market/dst-day.js';
import type { Parsed } from '../../market/parsed.js';
import type { PublishCounts, TickPublisher } from '../tick-publisher.js';
import { centralDateOf, centralMidnightUtc } from '../../market/central-time.js';
import type { ErcotClient } from './client.js';
import type { ReportId } from './reports.js';

const log = logger('ercot-ingest');
const DAY_MS = 86_400_000;

export interface IngestRunResult extends PublishCounts {
  runId: string;
  report: ReportId;
  from: string;
  to: string;
  skippedCovered: number;
  coveredTo: number | null;
  /** Rows (ticks and rejections) the API returned per delivery day, YYYY-MM-DD -> count. */
  rowsPerDay: Record<string, number>;
  /** Days that should have data but came back empty; the checkpoint did not move past the first of them. */
  emptyDays: string[];
  status: 'succeeded' | 'failed';
  error?: string;
}

export interface IngestDeps {
  client: ErcotClient;
  publisher: TickPublisher;
  pool: pg.Pool;
  maxGap?: number;
  onPage?: (report: ReportId, page: number, totalPages: number) => void;
  /** Prefix of the checkpoint names (tests use their own); the checkpoint of a report is `${prefix}${report}`. */
  checkpointPrefix?: string;
  /** The clock that says whether a day should have data yet (default Date.now). */
  now?: () => number;
}

/**
 * How long after a delivery day starts (its Central midnight) ERCOT has published rows for it: the first 15-minute
 * settlement point prices post within minutes, the hourly reports within about an hour. A day that is still empty
 * this long after it began is an empty day, not a day not yet begun.
 */
export const EMPTY_DAY_GRACE_MS = 2 * 3_600_000;

/** Delivery dates from `from` to `to` inclusive, as YYYY-MM-DD. */
export function deliveryDays(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/**
 * Runs `report` for delivery days [from, to] (one request range per day, so memory stays bounded).
 * `incremental`: drop intervals that end at or before the checkpoint (the scheduler's mode); a backfill
 * republishes what it is asked for (the sink's upsert makes that harmless).
 */
export async function runIngest(deps: IngestDeps, report: ReportId, from: string, to: string, job: 'schedule' | 'backfill', incremental: boolean): Promise<IngestRunResult> {
  const runId = randomUUID();
  const checkpointName = `${deps.checkpointPrefix ?? ''}${report}`;
  const checkpoint = await readCheckpoint(deps.pool, checkpointName);
  await startRun(deps.pool, { runId, job, report, from: Date.parse(`${from}T00:00:00Z`), to: Date.parse(`${to}T00:00:00Z`) + DAY_MS });
  log.info({ event: 'ingest-start', ingestRunId: runId, job, report, from, to, checkpoint: checkpoint === null ? null : new Date(checkpoint).toISOString() }, 'ingest run started');
  const before = { ...deps.publisher.counts };
  const now = deps.now ?? Date.now;
  let skippedCovered = 0;
  let coveredTo = checkpoint;
  const rowsPerDay: Record<string, number> = {};
  const emptyDays: string[] = [];
  try {
    for (const day of deliveryDays(from, to)) {
      const items: Parsed[] = [];
      let pages = 0;
      for await (const page of deps.client.fetchReport(report, { from: day, to: day }, (p, total) => deps.onPage?.(report, p, total))) {
        pages++;
        items.push(...page);
      }
      rowsPerDay[day] = items.length;
      if (items.length === 0 && centralMidnightUtc(day) + EMPTY_DAY_GRACE_MS <= now()) {
        emptyDays.push(day);
        log.warn({ event: 'ingest-empty-day', ingestRunId: runId, report, day, pages, rows: 0, checkpointHeld: incremental }, `ERCOT returned no rows for ${report} on ${day}, a day that should have data (a publication gap?); ${incremental ? 'the checkpoint stays before it so the next run fetches it again' : 'run the backfill again later'}`);
      }
      // Every row of the day is in: check the hour numbering of DST-change days as a whole (dst-day.ts).
      const { items: filled } = imputeGaps(placeDstDays(items), deps.maxGap);
      const fresh = filled.filter((i) => {
        const end = i.ok ? i.tick.intervalEnd : i.rejection.slot?.intervalEnd;
        const covered = incremental && checkpoint !== null && end !== undefined && end <= checkpoint;
        if (covered) skippedCovered++;
        return !covered;
      });
      await deps.publisher.add(fresh);
      await deps.publisher.flush();
      // The checkpoint never passes an empty day: after one, later days are published but the checkpoint holds.
      if (emptyDays.length === 0) for (const i of fresh) if (i.ok && (coveredTo === null || i.tick.intervalEnd > coveredTo)) coveredTo = i.tick.intervalEnd;
      // Only after the broker acknowledged the day's records does the checkpoint move. Checkpoints belong to the
      // incremental (scheduled) stream: a backfill of old days must not drag the scheduler back.
      if (incremental && coveredTo !== null && coveredTo !== checkpoint) await advanceCheckpoint(deps.pool, checkpointName, coveredTo, runId);
    }
    const counts = diff(deps.publisher.counts, before);
    await finishRun(deps.pool, runId, counts, 'succeeded');
    const result: IngestRunResult = { runId, report, from, to, ...counts, skippedCovered, coveredTo, rowsPerDay, emptyDays, status: 'succeeded' };
    const { runId: _runId, ...logged } = result;
    log[emptyDays.length > 0 ? 'warn' : 'info']({ event: 'ingest-end', ingestRunId: runId, ...logged, coveredTo: coveredTo === null ? null : new Date(coveredTo).toISOString() }, emptyDays.length > 0 ? `ingest run finished with ${emptyDays.length} empty day(s): ${emptyDays.join(', ')}` : 'ingest run finished');
    return result;
  } catch (err) {
    const counts = diff(deps.publisher.counts, before);
    const error = (err as Error).message;
    await finishRun(deps.pool, runId, counts, 'failed', error).catch(() => undefined);
    log.error({ event: 'ingest-end', ingestRunId: runId, report, from, to, ...counts, rowsPerDay, emptyDays, status: 'failed', error }, 'ingest run failed');
    return { runId, report, from, to, ...counts, skippedCovered, coveredTo, rowsPerDay, emptyDays, status: 'failed', error };
  }
}

function diff(now: PublishCounts, before: PublishCounts): PublishCounts {
  return { read: now.read - before.read, accepted: now.accepted - before.accepted, deadLettered: now.deadLettered - before.deadLettered, imputed: now.imputed - before.imputed };
}

/** The range an incremental run covers: from the checkpoint's Central day (or `lookbackDays` back) to today. */
export function incrementalRange(checkpoint: number | null, now: number, lookbackDays: number): { from: string; to: string } {
  const today = centralDateOf(now);
  const from = checkpoint === null ? centralDateOf(now - lookbackDays * DAY_MS) : centralDateOf(Math.min(checkpoint, now));
  return { from: from > today ? today : from, to: today };
}

export interface ScheduleOptions {
  reports: ReportId[];
  intervalMs: number;
  lookbackDays: number;
  once: boolean;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  signal: AbortSignal;
  onRun?: (r: IngestRunResult) => void;
}

/** Polls each report every `intervalMs` (hourly by default) until the signal aborts; a failed run is logged and retried next time. */
export async function runSchedule(deps: IngestDeps, opts: ScheduleOptions): Promise<IngestRunResult[]> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms, signal) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  }));
  const results: IngestRunResult[] = [];
  while (!opts.signal.aborted) {
    const started = now();
    for (const report of opts.reports) {
      if (opts.signal.aborted) break;
      const checkpoint = await readCheckpoint(deps.pool, `${deps.checkpointPrefix ?? ''}${report}`);
      const range = incrementalRange(checkpoint, started, opts.lookbackDays);
      const r = await runIngest(deps, report, range.from, range.to, 'schedule', true);
      results.push(r);
      opts.onRun?.(r);
    }
    if (opts.once) break;
    await sleep(Math.max(0, opts.intervalMs - (now() - started)), opts.signal);
  }
  return results;
}
