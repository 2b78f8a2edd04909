// The summarizer's schedule (`sda process summarizer`): every `everyMs`, summarize the `lookbackMs` before the
// market clock (the end of the latest stored interval, DESIGN "the market clock"; the wall clock only while the
// market has no data) onto the documents topic, the concepts corpus until a run has published it. Documents are keyed by id, so
// each run rewrites the same periods and the latest summary wins; a failed run loses nothing, since the next one
// covers the same period again.
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import { createPool } from '../../platform/postgres/pool.js';
import { marketState } from '../../rag/tools.js';
import { type SummarizeCounts, summarize } from './summarizer.js';

const log = logger('summarizer');

export interface SummarizerScheduleOptions {
  market: string;
  /** The documents topic. */
  topic: string;
  /** Time between the starts of two runs, ms (a run longer than that is followed at once by the next). */
  everyMs: number;
  /** The period each run summarizes, ms before the clock. */
  lookbackMs: number;
  /** Ends the schedule: the run in flight completes, no other starts. */
  signal: AbortSignal;
  /** Called after each run, with its counts or its error. */
  onRun?: (run: ScheduledRun) => void;
}

/** One run of the schedule: the period [from, to) (UTC ms), which clock `to` came from, and its outcome. */
export interface ScheduledRun {
  index: number;
  from: number;
  to: number;
  clock: 'market' | 'wall';
  counts?: SummarizeCounts;
  error?: Error;
}

/** The period a run summarizes: the `lookbackMs` before the market clock, or before the wall clock when the market is empty. */
export function schedulePeriod(marketNow: number | null, wallNow: number, lookbackMs: number): Pick<ScheduledRun, 'from' | 'to' | 'clock'> {
  const to = marketNow ?? wallNow;
  return { from: to - lookbackMs, to, clock: marketNow === null ? 'wall' : 'market' };
}

/** Runs the schedule until `opts.signal` aborts; returns the number of runs started. Errors of a run are reported, never thrown. */
export async function runSummarizerSchedule(config: Config, opts: SummarizerScheduleOptions): Promise<number> {
  const pool = createPool(config, 1);
  let index = 0;
  let conceptsDone = false;
  try {
    while (!opts.signal.aborted) {
      const started = Date.now();
      const run: ScheduledRun = { index, from: 0, to: 0, clock: 'wall' };
      try {
        Object.assign(run, schedulePeriod((await marketState(pool, opts.market)).now, started, opts.lookbackMs));
        run.counts = await summarize(config, { market: opts.market, from: run.from, to: run.to, topic: opts.topic, concepts: !conceptsDone });
        conceptsDone = true;
      } catch (err) {
        run.error = err as Error;
        log.error({ err: run.error.message, run: index }, 'summarizer run failed; the next run covers the same period');
      }
      index++;
      opts.onRun?.(run);
      // An abort ends the wait early (AbortError); the loop's condition then ends the schedule.
      await delay(Math.max(0, started + opts.everyMs - Date.now()), undefined, { signal: opts.signal }).catch((err: Error) => {
        if (err.name !== 'AbortError') throw err;
      });
    }
  } finally {
    await pool.end();
  }
  return index;
}
