// The ingest_runs table: one row per ingestion run, written at start and end, and per-report checkpoints.
import type pg from 'pg';
import type { PublishCounts } from '../tick-publisher.js';

export interface RunStart {
  runId: string;
  job: 'schedule' | 'backfill' | 'replay' | 'simulate' | 'import';
  report: string;
  from: number | null;
  to: number | null;
}

const ts = (ms: number | null) => (ms === null ? null : new Date(ms));

export async function startRun(pool: pg.Pool, run: RunStart): Promise<void> {
  await pool.query(
    `INSERT INTO ingest_runs (run_id, job, report, range_from, range_to, started_at, status) VALUES ($1, $2, $3, $4, $5, now(), 'running')`,
    [run.runId, run.job, run.report, ts(run.from), ts(run.to)],
  );
}

export async function finishRun(pool: pg.Pool, runId: string, counts: PublishCounts, status: 'succeeded' | 'failed', error?: string): Promise<void> {
  await pool.query(
    `UPDATE ingest_runs SET finished_at = now(), rows_read = $2, rows_accepted = $3, rows_dead_lettered = $4, rows_imputed = $5, status = $6, error = $7 WHERE run_id = $1`,
    [runId, counts.read, counts.accepted, counts.deadLettered, counts.imputed, status, error?.slice(0, 4_000) ?? null],
  );
}

export async function readCheckpoint(pool: pg.Pool, report: string): Promise<number | null> {
  const res = await pool.query<{ covered_to: Date }>('SELECT covered_to FROM ingest_checkpoints WHERE report = $1', [report]);
  return res.rows[0] ? res.rows[0].covered_to.getTime() : null;
}

/** Moves the checkpoint forward only (a late, shorter run never rewinds it). */
export async function advanceCheckpoint(pool: pg.Pool, report: string, coveredTo: number, runId: string): Promise<void> {
  await pool.query(
    `INSERT INTO ingest_checkpoints (report, covered_to, run_id) VALUES ($1, $2, $3)
     ON CONFLICT (report) DO UPDATE SET covered_to = GREATEST(ingest_checkpoints.covered_to, EXCLUDED.covered_to), run_id = EXCLUDED.run_id, updated_at = now()`,
    [report, new Date(coveredTo), runId],
  );
}
