// Structured JSON logs (pino), one event per line, each carrying the run id.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { type LogLevel, processSettings } from './config.js';

/** This process's run id: SDA_RUN_ID when valid (platform/config.ts), else a fresh UUID. */
export const RUN_ID = processSettings().runId ?? randomUUID();

let root: Logger | undefined;

/** pino's numeric levels, as in each JSON line's "level". */
const LEVEL_VALUES: Record<Exclude<LogLevel, 'silent'>, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/**
 * Where the root logger's lines go: stderr (the default), or a file with only the lines at or above `terminalMin`
 * also on stderr (logToFile). A stream of its own, so loggers made before the switch (module-level `logger(...)`) follow.
 */
const router = {
  stderr: undefined as ReturnType<typeof pino.destination> | undefined,
  file: undefined as ReturnType<typeof pino.destination> | undefined,
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
 * made follow. Returns the absolute path. Errors: an unwritable path throws (fs errors from opening the file).
 */
export function logToFile(file: string, terminalLevel: Exclude<LogLevel, 'silent'> = 'warn'): string {
  const abs = path.resolve(file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const next = pino.destination({ dest: abs, append: true, sync: true });
  const prev = router.file;
  router.file = next;
  router.terminalMin = LEVEL_VALUES[terminalLevel];
  prev?.end();
  return abs;
}

/** Back to the default: every line to stderr (the file of logToFile closed). */
export function logToStderr(): void {
  const prev = router.file;
  router.file = undefined;
  prev?.end();
}

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
