// ERCOT public API sign-in: Azure AD B2C resource-owner-password (ROPC) flow. The API wants the *id_token* as
// "Authorization: Bearer <id_token>" next to the APIM subscription key. Tokens live one hour and cannot be
// refreshed with a refresh token in ERCOT's guide; a new POST mints a new one. We cache the token and fetch a new
// one `refreshMarginMs` (default 5 minutes) before it expires, and on demand after a 401 (invalidate()).
//
// Endpoint and parameters (ERCOT developer portal, "Registration and authentication", and the official examples
// in github.com/ercot/api-specs pubapi/examples/*.py|*.js):
//   POST https://ercotb2c.b2clogin.com/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token
//   username, password, grant_type=password, scope=openid+fec253ea-0d06-4272-a5e6-b478baeecd70+offline_access,
//   client_id=fec253ea-0d06-4272-a5e6-b478baeecd70, response_type=id_token
// ERCOT's examples put these in the query string; we send them as an application/x-www-form-urlencoded body (the
// standard OAuth form, which B2C accepts) so the password never appears in a URL, a proxy log or an error message.
// The response carries access_token, id_token, refresh_token, token_type and expires_in (3600).
import { ErcotError } from './errors.js';

export const ERCOT_TOKEN_URL = 'https://ercotb2c.b2clogin.com/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token';
/** Public client id of ERCOT's API application (the same for every user). */
export const ERCOT_CLIENT_ID = 'fec253ea-0d06-4272-a5e6-b478baeecd70';
const DEFAULT_LIFETIME_MS = 3_600_000;

export interface TokenProviderOptions {
  tokenUrl: string;
  username: string;
  password: string;
  clientId?: string;
  /** Fetch a new token this long before the current one expires (default 5 minutes). */
  refreshMarginMs?: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  now?: () => number;
}

export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Turns a fetch failure (timeout, connection error) into an ErcotError. */
export function transportError(err: unknown, what: string): ErcotError {
  if (err instanceof ErcotError) return err;
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return new ErcotError('TIMEOUT', `${what} timed out`, true, {}, { cause: err });
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? err.message : String(err);
  return new ErcotError('NETWORK', `${what} failed (${message}${cause})`, true, {}, { cause: err });
}

export function statusError(status: number, what: string, bodySnippet: string, retryAfterMs?: number): ErcotError {
  const tail = bodySnippet ? `: ${bodySnippet}` : '';
  const details = { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (status === 429) return new ErcotError('RATE_LIMITED', `${what}: HTTP 429 Too Many Requests (ERCOT allows 30 requests per minute)${tail}`, true, details);
  if (status >= 500) return new ErcotError('SERVER_ERROR', `${what}: HTTP ${status}${tail}`, true, details);
  if (status === 400) return new ErcotError('BAD_REQUEST', `${what}: HTTP 400 Bad Request${tail}`, false, details);
  if (status === 401) return new ErcotError('UNAUTHORIZED', `${what}: HTTP 401 Unauthorized${tail}`, false, details);
  if (status === 403) return new ErcotError('FORBIDDEN', `${what}: HTTP 403 Forbidden (does the subscription include this report?)${tail}`, false, details);
  if (status === 404) return new ErcotError('NOT_FOUND', `${what}: HTTP 404 Not Found${tail}`, false, details);
  return new ErcotError('HTTP_ERROR', `${what}: unexpected HTTP ${status}${tail}`, status === 408, details);
}

/** A short, single-line excerpt of an error body. */
export function snippet(text: string, max = 300): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}...` : one;
}

function jwtExpiryMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = claims && typeof claims === 'object' ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function positiveSeconds(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

export class TokenProvider {
  readonly #tokenUrl: string;
  readonly #username: string;
  readonly #password: string;
  readonly #clientId: string;
  readonly #marginMs: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  #token: { value: string; refreshAt: number } | undefined;
  #inflight: Promise<string> | undefined;
  /** Tokens fetched so far (for metrics and tests). */
  fetched = 0;

  constructor(opts: TokenProviderOptions) {
    this.#tokenUrl = opts.tokenUrl;
    this.#username = opts.username;
    this.#password = opts.password;
    this.#clientId = opts.clientId ?? ERCOT_CLIENT_ID;
    this.#marginMs = opts.refreshMarginMs ?? 5 * 60_000;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#fetch = opts.fetchImpl ?? fetch;
    this.#now = opts.now ?? Date.now;
  }

  /** A valid id_token, from the cache or freshly fetched (concurrent callers share one request). */
  async getToken(): Promise<string> {
    if (this.#token && this.#now() < this.#token.refreshAt) return this.#token.value;
    this.#inflight ??= this.#fetchToken().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Drops the cached token (after the API answered 401 with it), so the next getToken() fetches a new one. */
  invalidate(token?: string): void {
    if (token === undefined || this.#token?.value === token) this.#token = undefined;
  }

  async #fetchToken(): Promise<string> {
    const what = `ERCOT token request to ${describeUrl(this.#tokenUrl)}`;
    const form = new URLSearchParams({
      username: this.#username,
      password: this.#password,
      grant_type: 'password',
      scope: `openid ${this.#clientId} offline_access`,
      client_id: this.#clientId,
      response_type: 'id_token',
    });
    const fetchedAt = this.#now();
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await this.#fetch(this.#tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      throw transportError(err, what);
    }
    if (status === 400 || status === 401) {
      // B2C answers 400 with {"error":"invalid_grant","error_description":"AADB2C90225: The username or password
      // provided in the request are invalid..."}: credentials are wrong, retrying cannot help.
      let reason = snippet(text, 200);
      try {
        const j = JSON.parse(text) as { error?: unknown; error_description?: unknown };
        if (typeof j.error === 'string') reason = `${j.error}${typeof j.error_description === 'string' ? `: ${snippet(j.error_description, 200)}` : ''}`;
      } catch {
        /* keep the snippet */
      }
      throw new ErcotError('AUTH_FAILED', `${what} was refused (HTTP ${status}${reason ? `, ${reason}` : ''}); check ERCOT_API_USERNAME and ERCOT_API_PASSWORD`, false, { status });
    }
    if (status < 200 || status >= 300) {
      const retryAfterMs = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) * 1000 : undefined;
      throw statusError(status, what, snippet(text), retryAfterMs);
    }
    let body: { id_token?: unknown; expires_in?: unknown; id_token_expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new ErcotError('BAD_RESPONSE', `${what}: the response is not valid JSON (${text.length} characters)`, true, { status });
    }
    const idToken = body && typeof body === 'object' ? body.id_token : undefined;
    if (typeof idToken !== 'string' || idToken.length === 0) {
      throw new ErcotError('TOKEN_INVALID', `${what}: the response has no id_token (keys: ${body && typeof body === 'object' ? Object.keys(body).join(', ') : typeof body})`, false, { status });
    }
    // Prefer the relative lifetime (immune to clock skew); else the token's own exp claim; else one hour.
    const seconds = positiveSeconds(body.id_token_expires_in) ?? positiveSeconds(body.expires_in);
    const expiresAt = seconds !== undefined ? fetchedAt + seconds * 1000 : (jwtExpiryMs(idToken) ?? fetchedAt + DEFAULT_LIFETIME_MS);
    const lifetime = Math.max(0, expiresAt - fetchedAt);
    // Refresh `margin` early, but never use less than half of a short-lived token (no refresh storm).
    this.#token = { value: idToken, refreshAt: fetchedAt + Math.max(lifetime - this.#marginMs, lifetime / 2) };
    this.fetched++;
    return idToken;
  }
}
