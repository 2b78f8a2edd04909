// Errors of the ERCOT public-API client and its configuration. Errors are values with stable codes and a
// `retriable` flag: the client's retry loop retries exactly the retriable ones (up to its ceiling) and then
// surfaces the last one, with the number of attempts made. No message ever carries a password, a token or the
// subscription key.
import { SdaError } from '../../platform/errors.js';

export type ErcotErrorCode =
  /** Required environment variables are missing or malformed (see ercotCredentials in client.ts). */
  | 'CONFIG'
  /** The B2C token endpoint refused the username/password (HTTP 400/401 from the token endpoint). */
  | 'AUTH_FAILED'
  /** The token endpoint answered 200 but without a usable id_token. */
  | 'TOKEN_INVALID'
  /** The API answered 401 again after one token refresh (bad subscription key, or token not accepted). */
  | 'UNAUTHORIZED'
  /** HTTP 403: the subscription has no access to the report. */
  | 'FORBIDDEN'
  /** HTTP 404: unknown report path. */
  | 'NOT_FOUND'
  /** HTTP 400: the API rejected the query parameters. */
  | 'BAD_REQUEST'
  /** HTTP 429: more than 30 requests per minute. Retriable. */
  | 'RATE_LIMITED'
  /** HTTP 5xx. Retriable. */
  | 'SERVER_ERROR'
  /** Any other unexpected HTTP status. */
  | 'HTTP_ERROR'
  /** The per-request timeout fired. Retriable. */
  | 'TIMEOUT'
  /** Connection refused/reset, DNS failure, socket closed mid-body. Retriable. */
  | 'NETWORK'
  /** The body is not valid JSON (e.g. truncated) or lacks _meta/fields/data. Retriable a bounded number of times. */
  | 'BAD_RESPONSE';

export class ErcotError extends SdaError<ErcotErrorCode> {
  constructor(
    code: ErcotErrorCode,
    message: string,
    retriable: boolean,
    readonly details: { status?: number; attempts?: number; url?: string; retryAfterMs?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, retriable, options);
  }

  /** The same error with the number of tries recorded (message unchanged). */
  withAttempts(attempts: number): ErcotError {
    return new ErcotError(this.code, this.message, this.retriable, { ...this.details, attempts }, { cause: this.cause });
  }

  /** The same error, marked as final after `attempts` tries of a retriable failure (the message says so). */
  exhausted(attempts: number): ErcotError {
    const err = new ErcotError(
      this.code,
      `${this.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
      this.retriable,
      { ...this.details, attempts },
      { cause: this.cause },
    );
    return err;
  }
}

/** Thrown by ercotCredentials (client.ts): `missing` and `invalid` name the variables (never their values). */
export class ErcotConfigError extends ErcotError {
  constructor(
    readonly missing: string[],
    readonly invalid: string[],
    message: string,
  ) {
    super('CONFIG', message, false);
  }
}
