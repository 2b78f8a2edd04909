// The one base of every error the project throws on purpose (kafkajs's retriable errors, platformatic/kafka's
// `canRetry`): a stable `code` that callers, logs, metrics labels and HTTP responses may match on, and `retriable`,
// whether trying the same thing again can help. Each module declares its own codes as a string-literal union and
// passes it as `Code` (LlmError, ErcotError, ...): the set is open across the project and closed within a module.
// Codes are stable: tests, dead-letter reasons and API responses expose them, so never rename one.

/** What `toJSON()` returns: plain data only, safe to log as one JSON line (no stack, no functions, no cycles). */
export interface SdaErrorJson {
  name: string;
  code: string;
  retriable: boolean;
  message: string;
  /** The error's own extra fields (ConfigError's `problems`, ErcotError's `details`, ...), JSON-safe. */
  [field: string]: unknown;
  /** The cause chain, outermost first; an Error that is not an SdaError appears as {name, message, code?}. */
  cause?: unknown;
}

/** How deep `toJSON()` follows causes and nested fields before it writes '[truncated]'. */
const MAX_DEPTH = 5;
const OWN_FIELDS = new Set(['name', 'message', 'stack', 'code', 'retriable', 'cause']);

/** A dead-letter reason from an error code: the code in kebab case (WIRE_FORMAT -> wire-format). */
export function deadLetterReason(code: string): string {
  return code.toLowerCase().replace(/_/g, '-');
}

export class SdaError<Code extends string = string> extends Error {
  /**
   * @param code stable machine-readable code (SCREAMING_SNAKE, or kebab case where it is a dead-letter reason)
   * @param message what went wrong and, where it helps, what to do; never a secret
   * @param retriable whether the same call may succeed later (a service that did not answer); false for bad input
   * @param options.cause the underlying error, kept for logs (`toJSON().cause`)
   */
  constructor(
    readonly code: Code,
    message: string,
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Plain data for structured logs and API bodies: name, code, retriable, message, extra fields, the cause chain. */
  toJSON(): SdaErrorJson {
    return errorJson(this, 0) as SdaErrorJson;
  }
}

function errorJson(err: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err instanceof SdaError) out.retriable = err.retriable;
  out.message = err.message;
  if (err instanceof SdaError) {
    for (const [key, value] of Object.entries(err)) {
      if (!OWN_FIELDS.has(key) && value !== undefined && typeof value !== 'function') out[key] = jsonSafe(value, depth + 1);
    }
  }
  if (err.cause !== undefined) out.cause = depth >= MAX_DEPTH ? '[truncated]' : jsonSafe(err.cause, depth + 1);
  return out;
}

function jsonSafe(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return errorJson(value, depth);
  if (typeof value !== 'object') return String(value);
  if (depth > MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => jsonSafe(v, depth + 1));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') out[key] = jsonSafe(v, depth + 1);
  return out;
}
