// Validation of GET /forecast query parameters: every parameter bounded, unknown ones refused. Pure, so the rules
// are unit-tested without a server.
import { TickKindValues, type TickKind } from '../schemas/types.js';

export const SERIES_RE = /^[A-Z0-9_]{1,64}$/;
export const MARKET_RE = /^[A-Z0-9_]{1,64}$/;
/** `at` must fall in [AT_MIN, AT_MAX). */
export const AT_MIN = Date.UTC(2000, 0, 1);
export const AT_MAX = Date.UTC(2100, 0, 1);
const ALLOWED = new Set(['series', 'at', 'kind', 'market']);
// A date (midnight UTC), or a date-time with an explicit offset (Z or ±hh:mm). A "+" left unencoded in a URL query
// arrives as a space; it is read as the "+" it was.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+\- ]\d{2}:?\d{2}))?$/;

export interface ForecastQuery {
  series: string;
  market: string;
  kind: TickKind;
  /** UTC ms, or null for "the latest forecast's first interval". */
  at: number | null;
}

export class ParamError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'ParamError';
  }
}

const show = (v: string) => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);

/** Parses an ISO-8601 instant as described above; NaN when it is not one (or not a real calendar time). */
export function parseIsoInstant(raw: string): number {
  const m = ISO_RE.exec(raw);
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const back = new Date(local);
  // Date.UTC rolls 2024-02-30 over into March: a time that does not round-trip does not exist.
  if (back.getUTCFullYear() !== Number(y) || back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || back.getUTCHours() !== Number(h) || back.getUTCMinutes() !== Number(mi) || back.getUTCSeconds() !== Number(s)) {
    return Number.NaN;
  }
  if (zone === 'Z') return local;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const oh = Number(digits.slice(0, 2));
  const om = Number(digits.slice(2, 4));
  if (oh > 23 || om > 59) return Number.NaN;
  return local - sign * (oh * 60 + om) * 60_000;
}

/** The query of a /forecast request; throws ParamError naming the first thing wrong. */
export function parseForecastQuery(query: Record<string, unknown>): ForecastQuery {
  const unknown = Object.keys(query).filter((k) => !ALLOWED.has(k));
  if (unknown.length > 0) throw new ParamError(`unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map(show).join(', ')}; allowed: series, at, kind, market`);
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new ParamError(`${name} must be given once, as a single value`);
    return v;
  };
  const series = one('series');
  if (series === undefined || series === '') throw new ParamError('series is required, e.g. series=HB_NORTH');
  if (!SERIES_RE.test(series)) throw new ParamError(`series ${show(series)} must be 1-64 of A-Z 0-9 _`);
  const market = one('market') ?? 'ERCOT';
  if (!MARKET_RE.test(market)) throw new ParamError(`market ${show(market)} must be 1-64 of A-Z 0-9 _`);
  const kind = one('kind') ?? 'RT_PRICE';
  if (!(TickKindValues as readonly string[]).includes(kind)) throw new ParamError(`kind ${show(kind)} must be one of ${TickKindValues.join(', ')}`);
  const rawAt = one('at');
  let at: number | null = null;
  if (rawAt !== undefined) {
    if (rawAt.length > 40) throw new ParamError('at is too long for an ISO-8601 time');
    at = parseIsoInstant(rawAt);
    if (Number.isNaN(at)) throw new ParamError(`at ${show(rawAt)} is not an ISO-8601 time such as 2024-07-01T15:00:00Z (a date-time needs Z or an offset)`);
    if (at < AT_MIN || at >= AT_MAX) throw new ParamError(`at ${show(rawAt)} is out of range (${new Date(AT_MIN).toISOString()} to ${new Date(AT_MAX).toISOString()})`);
  }
  return { series, market, kind: kind as TickKind, at };
}
