// ERCOT public reports API client: signs in (auth.ts), pages through a report for a range of delivery dates and
// yields each page's rows as Parsed (reports.ts).
//
// API facts (ERCOT developer portal "Using the API" / "Known limits", OpenAPI spec github.com/ercot/api-specs):
//   GET https://api.ercot.com/api/public-reports/<emil>/<report>?deliveryDateFrom=YYYY-MM-DD&deliveryDateTo=...
//       &page=N&size=M  (load uses operatingDayFrom/To); headers Ocp-Apim-Subscription-Key and
//       Authorization: Bearer <id_token>.
//   Response: {_meta:{totalRecords,pageSize,totalPages,currentPage,query}, report:{...}, fields:[{name,label,
//       dataType,...}], data:[[...],...], _links}; rows are arrays ordered as fields.
//   At most 30 requests per minute, else HTTP 429 (no Retry-After documented; honoured when present).
//
// Failure handling, per request: 429, 5xx, timeouts, connection errors and unparseable bodies are retried with
// exponential backoff and equal jitter (half fixed, half random), capped at maxDelayMs, at most maxAttempts tries
// (unparseable bodies at most maxInvalidBodyAttempts); a 401 triggers one token refresh and an immediate retry;
// everything else fails at once. Failures are ErcotError values with a stable code and `retriable`.
import type { Config } from '../../platform/config.js';
import type { Parsed } from '../../market/parsed.js';
import { describeUrl, ERCOT_CLIENT_ID, ERCOT_TOKEN_URL, snippet, statusError, TokenProvider, transportError } from './auth.js';
import { formatCivil, parseErcotDate } from '../../market/central-time.js';
import { ErcotConfigError, ErcotError } from './errors.js';
import { REPORTS, rowsToParsed, type ReportId } from './reports.js';

export const ERCOT_API_BASE_URL = 'https://api.ercot.com/api/public-reports';

export interface ErcotClientOptions {
  /** API base, e.g. https://api.ercot.com/api/public-reports (no trailing slash needed). */
  baseUrl: string;
  /** B2C token endpoint. */
  tokenUrl: string;
  subscriptionKey: string;
  username: string;
  password: string;
  /** B2C client id; ERCOT's public one by default. */
  clientId?: string;
  /** Per-request timeout (connect + whole body), default 60 s. */
  timeoutMs?: number;
  /** Tries per request for retriable failures, default 6. */
  maxAttempts?: number;
  /** Tries per request when the body is not valid JSON / not the API's shape, default 3. */
  maxInvalidBodyAttempts?: number;
  /** First backoff delay, doubled per attempt, default 1 s. */
  baseDelayMs?: number;
  /** First backoff delay after a 429 without Retry-After, doubled per attempt, default 10 s. */
  rateLimitDelayMs?: number;
  /** Ceiling of any single wait (Retry-After included), default 60 s. */
  maxDelayMs?: number;
  /** Rows per page (the API's `size`), default 10,000. */
  pageSize?: number;
  /** Client-side request budget per rolling minute, default 30 (ERCOT's limit); 0 disables it. */
  requestsPerMinute?: number;
  /** Fetch a new token this long before expiry, default 5 minutes. */
  tokenRefreshMarginMs?: number;
  fetchImpl?: typeof fetch;
  /** Injectable for tests (a no-op makes retries instant). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** In [0, 1); jitter source. */
  random?: () => number;
  /** Called before each backoff wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: ErcotError }) => void;
}

/** A delivery date: "YYYY-MM-DD", "MM/DD/YYYY", or a Date (its UTC calendar date, so new Date('2024-11-03') is 2024-11-03). */
export type DeliveryDate = Date | string;

export interface ReportPageBody {
  _meta: { totalRecords?: number; pageSize?: number; totalPages: number; currentPage?: number };
  fields: Array<{ name: string }>;
  data: unknown[];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function dateParam(d: DeliveryDate, which: string): string {
  if (d instanceof Date) {
    if (Number.isNaN(d.getTime())) throw new ErcotError('BAD_REQUEST', `range.${which} is an invalid Date`, false);
    return d.toISOString().slice(0, 10);
  }
  try {
    return formatCivil(parseErcotDate(d));
  } catch (err) {
    throw new ErcotError('BAD_REQUEST', `range.${which}: ${(err as Error).message}`, false);
  }
}

function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function checkShape(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return `the body is ${Array.isArray(body) ? 'an array' : typeof body}, not an object`;
  const b = body as Record<string, unknown>;
  const meta = b._meta as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object') return 'the body has no _meta';
  if (typeof meta.totalPages !== 'number' || !Number.isInteger(meta.totalPages) || meta.totalPages < 0) return `_meta.totalPages is ${JSON.stringify(meta.totalPages)}`;
  if (!Array.isArray(b.fields) || !b.fields.every((f) => f && typeof f === 'object' && typeof (f as { name?: unknown }).name === 'string')) return 'fields is not a list of {name}';
  if (!Array.isArray(b.data)) return 'data is not a list';
  return undefined;
}

/**
 * An empty page inside a non-empty result: the page has no rows although _meta.totalRecords says rows exist at its
 * position (totalRecords > (page - 1) x pageSize). Seen as a transient answer; retried like a truncated body, so a
 * day is never taken as complete with a page missing. A result of zero records (a day with no data) is not this:
 * the ingest job reports such a day (ingest-job.ts).
 * @returns the problem in words, or undefined
 */
export function emptyPageProblem(body: ReportPageBody, url: string): string | undefined {
  if (body.data.length > 0) return undefined;
  const { totalRecords, pageSize } = body._meta;
  const page = Number(new URL(url).searchParams.get('page') ?? '1');
  if (typeof totalRecords !== 'number' || typeof pageSize !== 'number' || !Number.isFinite(page) || pageSize <= 0) return undefined;
  if (totalRecords > (page - 1) * pageSize) return `page ${page} has no rows although _meta.totalRecords is ${totalRecords} in pages of ${pageSize}: an empty page inside the result`;
  return undefined;
}

/** Client-side sliding-window limiter: at most `limit` requests in any 60 s. */
class RequestBudget {
  readonly #stamps: number[] = [];
  constructor(
    private readonly limit: number,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async take(): Promise<void> {
    if (this.limit <= 0) return;
    const t = this.now();
    while (this.#stamps.length > 0 && this.#stamps[0]! <= t - 60_000) this.#stamps.shift();
    if (this.#stamps.length >= this.limit) {
      const wait = this.#stamps[0]! + 60_000 - t;
      if (wait > 0) await this.sleep(wait);
      this.#stamps.shift();
    }
    this.#stamps.push(this.now());
  }
}

export class ErcotClient {
  readonly #baseUrl: string;
  readonly #subscriptionKey: string;
  readonly #auth: TokenProvider;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #budget: RequestBudget;
  readonly #opts: Required<Pick<ErcotClientOptions, 'timeoutMs' | 'maxAttempts' | 'maxInvalidBodyAttempts' | 'baseDelayMs' | 'rateLimitDelayMs' | 'maxDelayMs' | 'pageSize'>>;
  readonly #onRetry: ErcotClientOptions['onRetry'];
  /** HTTP requests sent to the report API (not counting token requests). */
  requests = 0;

  constructor(opts: ErcotClientOptions) {
    const positive = (name: string, v: number | undefined, dflt: number, min = 1): number => {
      const n = v ?? dflt;
      if (!Number.isFinite(n) || n < min) throw new RangeError(`ErcotClient: ${name} must be a number >= ${min}, got ${v}`);
      return n;
    };
    this.#baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#subscriptionKey = opts.subscriptionKey;
    this.#fetch = opts.fetchImpl ?? fetch;
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#onRetry = opts.onRetry;
    this.#opts = {
      timeoutMs: positive('timeoutMs', opts.timeoutMs, 60_000),
      maxAttempts: Math.floor(positive('maxAttempts', opts.maxAttempts, 6)),
      maxInvalidBodyAttempts: Math.floor(positive('maxInvalidBodyAttempts', opts.maxInvalidBodyAttempts, 3)),
      baseDelayMs: positive('baseDelayMs', opts.baseDelayMs, 1_000, 0),
      rateLimitDelayMs: positive('rateLimitDelayMs', opts.rateLimitDelayMs, 10_000, 0),
      maxDelayMs: positive('maxDelayMs', opts.maxDelayMs, 60_000, 0),
      pageSize: Math.floor(positive('pageSize', opts.pageSize, 10_000)),
    };
    this.#budget = new RequestBudget(Math.floor(positive('requestsPerMinute', opts.requestsPerMinute, 30, 0)), this.#now, this.#sleep);
    this.#auth = new TokenProvider({
      tokenUrl: opts.tokenUrl,
      username: opts.username,
      password: opts.password,
      clientId: opts.clientId ?? ERCOT_CLIENT_ID,
      refreshMarginMs: opts.tokenRefreshMarginMs,
      timeoutMs: this.#opts.timeoutMs,
      fetchImpl: this.#fetch,
      now: this.#now,
    });
  }

  /** Tokens fetched so far. */
  get tokensFetched(): number {
    return this.#auth.fetched;
  }

  /** The URL of one page of a report for a date range (inclusive, Central delivery/operating dates). */
  reportUrl(report: ReportId, range: { from: DeliveryDate; to: DeliveryDate }, page: number): string {
    const spec = REPORTS[report];
    if (!spec) throw new ErcotError('BAD_REQUEST', `unknown report ${JSON.stringify(report)}`, false);
    const from = dateParam(range.from, 'from');
    const to = dateParam(range.to, 'to');
    if (from > to) throw new ErcotError('BAD_REQUEST', `range.from ${from} is after range.to ${to}`, false);
    const q = new URLSearchParams({ [spec.dateFromParam]: from, [spec.dateToParam]: to, ...spec.extraParams, page: String(page), size: String(this.#opts.pageSize) });
    return `${this.#baseUrl}${spec.path}?${q.toString()}`;
  }

  /**
   * Every row of `report` for the delivery dates `range.from`..`range.to` (inclusive), one Parsed[] per page, in
   * page order. `onPage(page, totalPages)` is called as each page arrives. Throws ErcotError when a request fails
   * for good; pages already yielded stay valid.
   */
  async *fetchReport(report: ReportId, range: { from: DeliveryDate; to: DeliveryDate }, onPage?: (page: number, totalPages: number) => void): AsyncGenerator<Parsed[]> {
    this.reportUrl(report, range, 1); // validates the arguments before any request
    let totalPages = 1;
    for (let page = 1; page <= totalPages; page++) {
      const url = this.reportUrl(report, range, page);
      const body = await this.fetchPage(url);
      totalPages = body._meta.totalPages;
      const ingestedAt = this.#now();
      const fields = body.fields.map((f) => f.name);
      const parsed = rowsToParsed(report, fields, body.data as unknown[][], `ercot-api:${report}:page=${page}`, ingestedAt);
      onPage?.(page, totalPages);
      yield parsed;
    }
  }

  /** GET one page with authentication, retries and shape checks. */
  async fetchPage(url: string): Promise<ReportPageBody> {
    const where = `ERCOT API ${describeUrl(url)}`;
    let attempt = 0;
    let invalidBodies = 0;
    let refreshed = false;
    for (;;) {
      attempt++;
      let error: ErcotError;
      try {
        return await this.#once(url, where);
      } catch (err) {
        error = err instanceof ErcotError ? err : transportError(err, `GET ${where}`);
      }
      if (error.code === 'UNAUTHORIZED' && !refreshed) {
        // The token expired (or was revoked) early: one fresh token, one immediate retry, not counted as a try.
        refreshed = true;
        this.#auth.invalidate();
        attempt--;
        continue;
      }
      if (error.code === 'UNAUTHORIZED') {
        throw new ErcotError('UNAUTHORIZED', `${error.message}; still refused with a freshly fetched token, check ERCOT_API_SUBSCRIPTION_KEY and the account's API access`, false, { ...error.details, attempts: attempt });
      }
      if (!error.retriable) throw error.withAttempts(attempt);
      if (error.code === 'BAD_RESPONSE' && ++invalidBodies >= this.#opts.maxInvalidBodyAttempts) throw error.exhausted(attempt);
      if (attempt >= this.#opts.maxAttempts) throw error.exhausted(attempt);
      const delayMs = this.#delay(error, attempt);
      this.#onRetry?.({ attempt, delayMs, error });
      await this.#sleep(delayMs);
    }
  }

  #delay(error: ErcotError, attempt: number): number {
    const { maxDelayMs } = this.#opts;
    if (error.details.retryAfterMs !== undefined) return Math.min(error.details.retryAfterMs, maxDelayMs);
    const base = error.code === 'RATE_LIMITED' ? this.#opts.rateLimitDelayMs : this.#opts.baseDelayMs;
    const ceiling = Math.min(maxDelayMs, base * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + this.#random() * (ceiling / 2));
  }

  async #once(url: string, where: string): Promise<ReportPageBody> {
    await this.#budget.take();
    const token = await this.#auth.getToken();
    this.requests++;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await this.#fetch(url, {
        headers: { 'Ocp-Apim-Subscription-Key': this.#subscriptionKey, Authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.#opts.timeoutMs),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      throw transportError(err, `GET ${where}`);
    }
    if (status < 200 || status >= 300) {
      throw statusError(status, `GET ${where}`, snippet(text), parseRetryAfter(retryAfter, this.#now()));
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      const tail = snippet(text.slice(-60), 60);
      throw new ErcotError(
        'BAD_RESPONSE',
        `GET ${where}: the response body is not valid JSON, probably truncated (${text.length} characters, ending ${JSON.stringify(tail)}; ${(err as Error).message})`,
        true,
        { status },
      );
    }
    const problem = checkShape(body);
    if (problem) throw new ErcotError('BAD_RESPONSE', `GET ${where}: not a report page: ${problem}`, true, { status });
    const empty = emptyPageProblem(body as ReportPageBody, url);
    if (empty) throw new ErcotError('BAD_RESPONSE', `GET ${where}: ${empty}`, true, { status });
    return body as ReportPageBody;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Configuration from the environment

export interface ErcotCredentials {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  subscriptionKey: string;
  username: string;
  password: string;
}

export const ERCOT_ENV = {
  subscriptionKey: 'ERCOT_API_SUBSCRIPTION_KEY',
  username: 'ERCOT_API_USERNAME',
  password: 'ERCOT_API_PASSWORD',
  baseUrl: 'ERCOT_API_BASE_URL',
  tokenUrl: 'ERCOT_TOKEN_URL',
  clientId: 'ERCOT_API_CLIENT_ID',
} as const;

/** The credentials with the secrets replaced by "***" (safe to log). */
export function redactErcotCredentials(c: ErcotCredentials): Omit<ErcotCredentials, 'password' | 'subscriptionKey'> & { password: '***'; subscriptionKey: '***' } {
  return { baseUrl: c.baseUrl, tokenUrl: c.tokenUrl, clientId: c.clientId, username: c.username, subscriptionKey: '***', password: '***' };
}

/**
 * Checks the ERCOT settings of the typed config (platform/config.ts `config.ercot`, read from
 * ERCOT_API_SUBSCRIPTION_KEY, ERCOT_API_USERNAME, ERCOT_API_PASSWORD (required) and ERCOT_API_BASE_URL,
 * ERCOT_TOKEN_URL, ERCOT_API_CLIENT_ID (optional overrides; empty means ERCOT's public endpoints)). Throws
 * ErcotConfigError naming every missing or malformed variable at once (never a value). The result spreads into
 * `new ErcotClient({...creds})`; printing it (JSON.stringify, console.log, util.inspect) shows "***" for the password
 * and the subscription key.
 */
export function ercotCredentials(settings: Config['ercot']): ErcotCredentials {
  const missing: string[] = [];
  const invalid: string[] = [];
  const required = (field: 'subscriptionKey' | 'username' | 'password'): string => {
    const v = settings[field].trim();
    if (v === '') missing.push(ERCOT_ENV[field]);
    return v;
  };
  const url = (field: 'baseUrl' | 'tokenUrl', dflt: string): string => {
    const v = settings[field].trim();
    if (!v) return dflt;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') invalid.push(`${ERCOT_ENV[field]} (expected an http(s) URL)`);
    } catch {
      invalid.push(`${ERCOT_ENV[field]} (expected an http(s) URL)`);
    }
    return v.replace(/\/+$/, '');
  };
  const subscriptionKey = required('subscriptionKey');
  const username = required('username');
  const password = required('password');
  const baseUrl = url('baseUrl', ERCOT_API_BASE_URL);
  const tokenUrl = url('tokenUrl', ERCOT_TOKEN_URL);
  const clientId = settings.clientId.trim() || ERCOT_CLIENT_ID;
  if (missing.length > 0 || invalid.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
      ...(invalid.length > 0 ? [`invalid ${invalid.join(', ')}`] : []),
    ];
    throw new ErcotConfigError(missing, invalid, `ERCOT API configuration: ${parts.join('; ')}. Set them in the environment (register at https://apiexplorer.ercot.com for a subscription key).`);
  }
  const creds: ErcotCredentials = { baseUrl, tokenUrl, clientId, subscriptionKey, username, password };
  const redacted = () => redactErcotCredentials(creds);
  Object.defineProperty(creds, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(creds, Symbol.for('nodejs.util.inspect.custom'), { value: redacted, enumerable: false });
  return creds;
}
