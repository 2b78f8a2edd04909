// Structured JSON logs (pino), one event per line, each carrying the run id.
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { processSettings } from './config.js';

/** This process's run id: SDA_RUN_ID when valid (platform/config.ts), else a fresh UUID. */
export const RUN_ID = processSettings().runId ?? randomUUID();

let root: Logger | undefined;

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
      pino.destination(2),
    );
  }
  return root.child({ component });
}
