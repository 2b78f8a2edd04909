// runBacktestJob on a worker thread, for callers that share their event loop with Kafka consumers (the demo's step 11:
// the dispatcher, windower, forecaster and sinks run in the same process). runBacktest is synchronous: its forecast
// strategy re-optimises each hour on HiGHS (1,056 solves for 44 days), which held the demo's loop for 1.4-8.5 s on a
// 2-core machine; with the consumers' 10 s session timeout and 1 s heartbeats, a hold of ~9 s or more has the broker
// drop every in-process member ("The coordinator is not aware of this member") and rebalance all groups at once.
// Here the solves run on their own thread and the caller's loop keeps heartbeating.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../platform/config.js';
import { DispatchError, type DispatchErrorCode } from '../../dispatch/errors.js';
import { type BacktestJobOptions, type BacktestJobResult, runBacktestJob } from './backtest-job.js';

/** The worker's marker in workerData, so that importing this module elsewhere in a worker does not start a job. */
const MARK = 'sda-backtest-job';

interface Request {
  mark: typeof MARK;
  config: Config;
  options: Omit<BacktestJobOptions, 'onProgress'>;
}
type Reply = { ok: true; result: BacktestJobResult } | { ok: false; name: string; code?: string; message: string };

/**
 * Runs runBacktestJob(config, options) on a new worker thread and resolves with its result (the same plain data:
 * results, meta, counts, wallSeconds of the job itself). The options must be structured-cloneable, hence no
 * onProgress and no Provisioned (a run's Kafka reads would provision their own clients in the worker).
 * Errors: the job's DispatchError is rethrown as a DispatchError with the same code and message; any other error as
 * an Error with its name and message (the stack stays in the worker); a worker that exits without replying rejects.
 */
export function runBacktestJobInWorker(config: Config, options: Omit<BacktestJobOptions, 'onProgress'>): Promise<BacktestJobResult> {
  const request: Request = { mark: MARK, config, options };
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = new Worker(new URL(import.meta.url), { workerData: request });
    worker.once('message', (reply: Reply) => {
      settled = true;
      // The reply is the job's last act; a handle it left open (a pool socket closing) must not keep the thread alive.
      void worker.terminate();
      if (reply.ok) resolve(reply.result);
      else if (reply.name === 'DispatchError' && reply.code) reject(new DispatchError(reply.code as DispatchErrorCode, reply.message));
      else reject(Object.assign(new Error(reply.message), { name: reply.name }));
    });
    worker.once('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`backtest worker exited with code ${code} before replying`));
      settled = true;
    });
  });
}

if (!isMainThread && (workerData as Partial<Request> | null)?.mark === MARK) {
  const { config, options } = workerData as Request;
  runBacktestJob(config, options).then(
    (result) => parentPort!.postMessage({ ok: true, result } satisfies Reply),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      const code = (err as { code?: unknown }).code;
      parentPort!.postMessage({ ok: false, name: err.name, ...(typeof code === 'string' ? { code } : {}), message: err.message } satisfies Reply);
    },
  );
}
