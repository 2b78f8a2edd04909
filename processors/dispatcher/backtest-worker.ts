// runBacktestJob on a worker thread, for callers that share their event loop with Kafka consumers (the demo's step 11:
// the dispatcher, windower, forecaster and sinks run in the same process). runBacktest is synchronous: its forecast
// strategy re-optimises each hour on HiGHS (1,056 solves for 44 days), which held the demo's loop for 1.4-8.5 s on a
// 2-core machine; with the consumers' 10 s session timeout and 1 s heartbeats, a hold of ~9 s or more has the broker
// drop every in-process member ("The coordinator is not aware of this member") and rebalance all groups at once.
// Here the solves run on their own thread and the caller's loop keeps heartbeating.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ConfigError, type Config } from '../../platform/config.js';
import { SdaError } from '../../platform/errors.js';
import { WORKER_LOG_KEY, type WorkerLog, logger, workerLog } from '../../platform/logger.js';
import { KafkaError, PoisonRecordError } from '../../platform/kafka/errors.js';
import { CentralTimeError } from '../../market/central-time.js';
import { DispatchError } from '../../dispatch/errors.js';
import { ModelError } from '../../model/errors.js';
import { SourceFileError } from '../../streams/errors.js';
import { CsvSyntaxError } from '../../streams/ercot/mis-csv.js';
import { SimulatorOptionError } from '../../streams/simulator/catalog.js';
import { type BacktestJobOptions, type BacktestJobResult, runBacktestJob } from './backtest-job.js';

/** The worker's marker in workerData, so that importing this module elsewhere in a worker does not start a job. */
const MARK = 'sda-backtest-job';

interface Request {
  mark: typeof MARK;
  config: Config;
  options: Omit<BacktestJobOptions, 'onProgress'>;
  /** The caller's run id and log file (platform/logger.ts reads it when the worker's modules load). */
  [WORKER_LOG_KEY]: WorkerLog;
}
type Reply = { ok: true; result: BacktestJobResult } | { ok: false; error: ErrorData };

/**
 * An error as plain data that survives postMessage: the structured clone keeps an Error's message and stack but not its
 * class, `code`, `retriable` or own fields (HTML structured clone algorithm; Node's worker_threads use V8's), so they
 * travel here and errorFromData builds the error again.
 */
export interface ErrorData {
  /** The class name (`KafkaError`, `SourceFileError`, `Error`, ...). */
  name: string;
  message: string;
  /** SdaError's code, or another error's `code` (a Node system error's ECONNREFUSED, PostgreSQL's SQLSTATE). */
  code?: string | number;
  /** SdaError's `retriable`. */
  retriable?: boolean;
  /** An SdaError's own fields (SourceFileError's `file`, ConfigError's `problems`, ...), JSON-safe as its toJSON gives them. */
  fields?: Record<string, unknown>;
  stack?: string;
  cause?: ErrorData | { value: unknown };
}

/**
 * The project's error classes a backtest job can throw (its sources, registry, simulator, files, Kafka and config),
 * by class name: errorFromData gives these back as instances of their own class. Another SdaError comes back as an
 * SdaError with its name, code and retriable.
 */
const TYPED: ReadonlyMap<string, new (...args: never[]) => SdaError> = new Map<string, new (...args: never[]) => SdaError>(
  [DispatchError, KafkaError, PoisonRecordError, ModelError, ConfigError, SourceFileError, CsvSyntaxError, SimulatorOptionError, CentralTimeError].map((c) => [c.name, c]),
);

const OWN = new Set(['name', 'code', 'retriable', 'message', 'cause']);

/** `e` (anything thrown) as ErrorData; causes followed 5 deep. */
export function errorData(e: unknown, depth = 0): ErrorData {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const out: ErrorData = { name: err.name, message: err.message };
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err instanceof SdaError) {
    out.retriable = err.retriable;
    const fields = Object.fromEntries(Object.entries(err.toJSON()).filter(([k]) => !OWN.has(k)));
    if (Object.keys(fields).length > 0) out.fields = fields;
  }
  if (err.stack !== undefined) out.stack = err.stack;
  if (err.cause !== undefined && depth < 5) out.cause = err.cause instanceof Error ? errorData(err.cause, depth + 1) : { value: structuredCloneable(err.cause) };
  return out;
}

function structuredCloneable(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return String(v);
  }
}

/**
 * The error `d` describes, built again on this side: one of TYPED's classes (instanceof holds; constructed through
 * SdaError's constructor with the class as new.target, so its own constructor's checks do not run again and its fields
 * come from `d.fields`), an SdaError for another project error, else an Error; with the same name, message, code,
 * retriable, fields, the worker's stack and the cause chain.
 */
export function errorFromData(d: ErrorData): Error {
  const cause = d.cause === undefined ? undefined : 'value' in d.cause ? d.cause.value : errorFromData(d.cause);
  const options = cause === undefined ? undefined : { cause };
  let err: Error;
  if (d.retriable !== undefined && typeof d.code === 'string') {
    err = Reflect.construct(SdaError, [d.code, d.message, d.retriable, options], TYPED.get(d.name) ?? SdaError) as SdaError;
    Object.assign(err, d.fields ?? {});
  } else {
    err = new Error(d.message, options);
    if (d.code !== undefined) Object.assign(err, { code: d.code });
  }
  err.name = d.name;
  if (d.stack !== undefined) err.stack = d.stack;
  return err;
}

/**
 * Runs runBacktestJob(config, options) on a new worker thread and resolves with its result (the same plain data:
 * results, meta, counts, wallSeconds of the job itself). The options must be structured-cloneable, hence no
 * onProgress and no Provisioned (a run's Kafka reads would provision their own clients in the worker).
 * Errors: the job's error, built again on this thread by errorFromData: a DispatchError, KafkaError, SourceFileError,
 * ConfigError, ... as that class (so callers and the CLI can tell a bad option from a service that is down) with its
 * code, retriable, message, own fields, the worker's stack and its causes; another error as an Error with its name,
 * message and code. (Before, only a DispatchError kept its class.) A worker that exits without replying rejects.
 * The worker's log lines carry the caller's run id and go where the caller's go (platform/logger.ts workerLog: the
 * file of logToFile, `sda demo`'s demo.log), not to stderr under a run id of their own.
 */
export function runBacktestJobInWorker(config: Config, options: Omit<BacktestJobOptions, 'onProgress'>): Promise<BacktestJobResult> {
  const request: Request = { mark: MARK, config, options, [WORKER_LOG_KEY]: workerLog() };
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = new Worker(new URL(import.meta.url), { workerData: request });
    worker.once('message', (reply: Reply) => {
      settled = true;
      // The reply is the job's last act; a handle it left open (a pool socket closing) must not keep the thread alive.
      void worker.terminate();
      if (reply.ok) resolve(reply.result);
      else reject(errorFromData(reply.error));
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
  const log = logger('backtest-worker');
  const period = { from: new Date(options.fromMs).toISOString(), to: new Date(options.toMs).toISOString() };
  log.info({ ...period, assets: options.assets.map((a) => a.id), strategies: options.strategies }, 'backtest job started on a worker thread');
  runBacktestJob(config, options).then(
    (result) => {
      log.info({ ...period, wallSeconds: result.wallSeconds }, 'backtest job done');
      parentPort!.postMessage({ ok: true, result } satisfies Reply);
    },
    (e: unknown) => {
      log.info({ ...period, err: (e as Error)?.message ?? String(e) }, 'backtest job failed; its error goes back to the caller');
      parentPort!.postMessage({ ok: false, error: errorData(e) } satisfies Reply);
    },
  );
}
