// Structured JSON logs (pino), one event per line, each carrying the run id.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread, workerData } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { type LogLevel, processSettings } from './config.js';

/**
 * What a worker thread's logger takes over from the thread that started it (workerLog()), passed as
 * `workerData[WORKER_LOG_KEY]`: the run id its lines carry, and the file they go to (logToFile) with the level from
 * which they reach stderr too (absent: every line to stderr, as in the parent).
 */
export interface WorkerLog {
  runId: string;
  file?: string;
  terminalLevel?: Exclude<LogLevel, 'silent'>;
}

/** The workerData key under which a worker thread finds its WorkerLog (processors/dispatcher/backtest-worker.ts). */
export const WORKER_LOG_KEY = 'sdaLog';

/** pino's numeric levels, as in each JSON line's "level". */
const LEVEL_VALUES: Record<Exclude<LogLevel, 'silent'>, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/**
 * This thread's WorkerLog, when it is a worker started with one; undefined otherwise. Errors: a WorkerLog that is not
 * one (run id not 1-64 of A-Z a-z 0-9 _ . -, file not an absolute path, unknown level) throws a TypeError naming it.
 */
function inheritedLog(): WorkerLog | undefined {
  if (isMainThread) return undefined;
  const w = (workerData as Record<string, unknown> | null)?.[WORKER_LOG_KEY] as Partial<WorkerLog> | undefined;
  if (w === undefined) return undefined;
  if (typeof w.runId !== 'string' || !/^[\w.-]{1,64}$/.test(w.runId)) throw new TypeError(`workerData.${WORKER_LOG_KEY}.runId must be 1-64 of A-Z a-z 0-9 _ . -, got ${JSON.stringify(w.runId)}`);
  if (w.file !== undefined && (typeof w.file !== 'string' || !path.isAbsolute(w.file))) throw new TypeError(`workerData.${WORKER_LOG_KEY}.file must be an absolute path, got ${JSON.stringify(w.file)}`);
  if (w.terminalLevel !== undefined && !(w.terminalLevel in LEVEL_VALUES)) throw new TypeError(`workerData.${WORKER_LOG_KEY}.terminalLevel must be one of ${Object.keys(LEVEL_VALUES).join(', ')}, got ${JSON.stringify(w.terminalLevel)}`);
  return w as WorkerLog;
}

const inherited = inheritedLog();

/**
 * This process's run id: in a worker thread started with a WorkerLog, its parent's; else SDA_RUN_ID when valid
 * (platform/config.ts), else a fresh UUID.
 */
export const RUN_ID = inherited?.runId ?? processSettings().runId ?? randomUUID();

let root: Logger | undefined;

/**
 * Where the root logger's lines go: stderr (the default), or a file with only the lines at or above `terminalMin`
 * also on stderr (logToFile). A stream of its own, so loggers made before the switch (module-level `logger(...)`) follow.
 */
const router = {
  stderr: undefined as ReturnType<typeof pino.destination> | undefined,
  file: undefined as ReturnType<typeof pino.destination> | undefined,
  /** The file's absolute path and the level from which lines also go to stderr (logToFile's arguments). */
  filePath: undefined as string | undefined,
  terminalLevel: 'warn' as Exclude<LogLevel, 'silent'>,
  terminalMin: 0,
  write(line: string): void {
    this.stderr ??= pino.destination(2);
    if (!this.file) {
      this.stderr.write(line);
      return;
    }
    this.file.write(line);
    // pino writes each line as {"level":N,...}; a line without it (none expected) goes to both.
    const level = /^\{"level":(\d+)/.exec(line);
    if (!level || Number(level[1]) >= this.terminalMin) this.stderr.write(line);
  },
};

/**
 * From now on, this process's log lines (every level the logger keeps, LOG_LEVEL) go to `file` (appended; its folder
 * created), and only those at `terminalLevel` or above (default warn: warnings and errors) to stderr as well. For a
 * command whose stdout is a readable report (`sda demo`), so JSON lines do not interleave with it. Loggers already
 * made follow, and so do worker threads started with workerLog() in their workerData. `opts.rotate`: a `file` already
 * there is first renamed to `file.1` (replacing an older `file.1`), so the file holds this command's lines and the
 * previous run's are kept once (`sda demo`: one demo.log per run, not appended to without limit). Returns the
 * absolute path. Errors: an unwritable path throws (fs errors from renaming or opening the file).
 */
export function logToFile(file: string, terminalLevel: Exclude<LogLevel, 'silent'> = 'warn', opts: { rotate?: boolean } = {}): string {
  const abs = path.resolve(file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  if (opts.rotate && fs.existsSync(abs)) fs.renameSync(abs, `${abs}.1`);
  const next = pino.destination({ dest: abs, append: true, sync: true });
  const prev = router.file;
  router.file = next;
  router.filePath = abs;
  router.terminalLevel = terminalLevel;
  router.terminalMin = LEVEL_VALUES[terminalLevel];
  prev?.end();
  return abs;
}

/** Back to the default: every line to stderr (the file of logToFile closed). */
export function logToStderr(): void {
  const prev = router.file;
  router.file = undefined;
  router.filePath = undefined;
  prev?.end();
}

/**
 * This thread's logging as a WorkerLog, for a worker thread it starts (`new Worker(url, { workerData: { ...,
 * [WORKER_LOG_KEY]: workerLog() } })`): the worker's lines then carry this run id and go where this thread's go (the
 * file of logToFile, appended by both threads, line by line), rather than to stderr under a fresh run id.
 */
export function workerLog(): WorkerLog {
  return router.filePath === undefined ? { runId: RUN_ID } : { runId: RUN_ID, file: router.filePath, terminalLevel: router.terminalLevel };
}

// A worker thread started with its parent's file logs there from the start (before any of its modules log).
if (inherited?.file !== undefined) logToFile(inherited.file, inherited.terminalLevel ?? 'warn');

/** The process-wide logger; `component` namespaces each module's events. Logs go to stderr so stdout stays for results. */
export function logger(component: string): Logger {
  if (!root) {
    const level = processSettings().logLevel;
    root = pino(
      {
        level,
        base: { runId: RUN_ID },
        timestamp: pino.stdTimeFunctions.isoTime,
        // Secrets never reach a log line, whatever a caller passes.
        redact: { paths: ['password', '*.password', 'postgres.password', 'connectionString', '*.connectionString', 'apiKey', '*.apiKey', 'subscriptionKey', '*.subscriptionKey'], censor: '***' },
      },
      router,
    );
  }
  return root.child({ component });
}
