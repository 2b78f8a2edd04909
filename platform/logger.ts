// Structured JSON logs (pino), one event per line, each carrying the run id.
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';

export const RUN_ID = process.env.SDA_RUN_ID && /^[\w.-]{1,64}$/.test(process.env.SDA_RUN_ID) ? process.env.SDA_RUN_ID : randomUUID();

let root: Logger | undefined;

/** The process-wide logger; `component` namespaces each module's events. Logs go to stderr so stdout stays for results. */
export function logger(component: string): Logger {
  if (!root) {
    const level = process.env.LOG_LEVEL && /^(fatal|error|warn|info|debug|trace|silent)$/.test(process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : 'info';
    root = pino(
      {
        level,
        base: { runId: RUN_ID },
        timestamp: pino.stdTimeFunctions.isoTime,
        // Secrets never reach a log line, whatever a caller passes.
        redact: { paths: ['password', '*.password', 'postgres.password', 'connectionString', '*.connectionString', 'apiKey', '*.apiKey'], censor: '***' },
      },
      pino.destination(2),
    );
  }
  return root.child({ component });
}
