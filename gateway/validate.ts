// Request validation from one declarative schema per route: query and JSON-body parameters with their names, types
// and bounds. Unknown parameters are refused, and so is any parameter given empty; the first problem becomes a 400 naming the parameter. The same schemas
// produce the OpenAPI document (openapi.ts: paramJsonSchema below), so the documentation cannot drift from what is
// enforced. Every route of the gateway, /forecast included, is checked here; there is no second validator. Pure.
import type { NextFunction, Request, Response } from 'express';
import { SdaError } from '../platform/errors.js';

export type ParamSpec =
  | {
      type: 'string';
      description: string;
      required?: boolean;
      default?: string;
      minLength?: number;
      maxLength: number;
      pattern?: RegExp;
      enum?: readonly string[];
      example?: string;
      notBlank?: boolean;
      /**
       * Case-insensitive: ASCII letters a-z are read as A-Z before the checks (an `enum` is case-insensitive always, in
       * its members' own case), so `pattern` and `enum` describe the
       * canonical upper-case value and the handler gets that (hb_north is HB_NORTH). OpenAPI says so
       * (x-case-insensitive, and the parameter's description).
       */
      upperCase?: boolean;
    }
  | { type: 'integer'; description: string; required?: boolean; default?: number; minimum: number; maximum: number; example?: number }
  /**
   * A finite decimal number within its bounds (any of minimum / maximum inclusive, exclusiveMinimum / exclusiveMaximum
   * exclusive). In a query it is written as digits with an optional fraction (`-12.5`): no exponent, sign `+`, hex,
   * `Infinity` or `NaN`, at most `maxLength` characters; in a JSON body a JSON number (1e400 parses to Infinity and is
   * refused). The validated value is a number.
   */
  | { type: 'number'; description: string; required?: boolean; default?: number; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; maxLength: number; example?: number }
  /**
   * A point in time written as ISO-8601 (parseIsoInstant), checked to lie in [minimum, maximum) (UTC ms); the
   * validated value is UTC ms. OpenAPI shows it as a string with ISO_INSTANT_RE as its pattern.
   */
  | { type: 'instant'; description: string; required?: boolean; minimum: number; maximum: number; maxLength: number; example?: string };

export type ParamSpecs = Record<string, ParamSpec>;

export interface RouteSchema {
  method: 'get' | 'post';
  /** The path as OpenAPI writes it. */
  path: string;
  summary: string;
  tags?: string[];
  query?: ParamSpecs;
  /** A JSON object body (POST). */
  body?: ParamSpecs;
  /** status → description, and optionally a JSON schema of the answer. */
  responses: Record<string, { description: string; contentType?: string; schema?: Record<string, unknown> }>;
}

export type ParamValues = Record<string, string | number | undefined>;

/** A request parameter or body that breaks its route's schema (code PARAM_INVALID, not retriable); the gateway answers 400 bad_request. */
export class ValidationError extends SdaError<'PARAM_INVALID'> {
  constructor(
    readonly param: string,
    readonly detail: string,
  ) {
    super('PARAM_INVALID', detail);
  }
}

const show = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);

/**
 * An ISO-8601 instant as the gateway accepts it: a date (midnight UTC), or a date-time with an explicit offset (Z or
 * ±hh:mm / ±hhmm). A "+" left unencoded in a URL query arrives as a space; it is read as the "+" it was.
 */
export const ISO_INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+\- ]\d{2}:?\d{2}))?$/;

/** Parses an ISO-8601 instant (ISO_INSTANT_RE) to UTC ms; NaN when it is not one (or not a real calendar time). */
export function parseIsoInstant(raw: string): number {
  const m = ISO_INSTANT_RE.exec(raw);
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999, so 0001-01-01 would not round-trip.
  const back = new Date(0);
  back.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  back.setUTCHours(Number(h), Number(mi), Number(s), ms);
  const local = back.getTime();
  // The setters roll 2024-02-30 over into March: a time that does not round-trip does not exist.
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

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Why a string that is written as an ISO-8601 instant (it matches ISO_INSTANT_RE) still names no real time, in words
 * ("2024-02-30 does not exist: February 2024 has 29 days"), or null when it is a real time or not ISO-8601 at all (the
 * caller says "not an ISO-8601 time" then). Checks the month (01-12), the day against the month's length in the
 * proleptic Gregorian calendar (ISO 8601's), hour 00-23, minute and second 00-59 and an offset's hh 00-23, mm 00-59.
 */
export function isoInstantProblem(raw: string): string | null {
  const m = ISO_INSTANT_RE.exec(raw);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, , zone] = m;
  const date = `${y}-${mo}-${d}`;
  const month = Number(mo);
  if (month < 1 || month > 12) return `${date} does not exist: there is no month ${mo} (01-12)`;
  const year = Number(y);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (Number(d) < 1 || Number(d) > days) return `${date} does not exist: ${MONTHS[month - 1]} ${y} has ${days} days`;
  if (h !== undefined && Number(h) > 23) return `hour ${h} does not exist (00-23; midnight ending a day is 00:00 of the next)`;
  if (mi !== undefined && Number(mi) > 59) return `minute ${mi} does not exist (00-59)`;
  if (s !== undefined && Number(s) > 59) return `second ${s} does not exist (00-59; a leap second cannot be given)`;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    // A space is a "+" a URL query did not encode.
    if (Number(digits.slice(0, 2)) > 23 || Number(digits.slice(2, 4)) > 59) return `the offset ${zone[0] === ' ' ? `+${zone.slice(1)}` : zone} does not exist (hh 00-23, mm 00-59)`;
  }
  return null;
}

/**
 * The JSON Schema (OpenAPI 3.1) of one parameter, derived from its spec: the bounds, pattern, enum and default the
 * validator enforces. An instant's range is not expressible on a string; its description says it.
 */
export function paramJsonSchema(p: ParamSpec): Record<string, unknown> {
  if (p.type === 'integer') return { type: 'integer', minimum: p.minimum, maximum: p.maximum, ...(p.default !== undefined ? { default: p.default } : {}) };
  if (p.type === 'number') {
    const bounds = { minimum: p.minimum, exclusiveMinimum: p.exclusiveMinimum, maximum: p.maximum, exclusiveMaximum: p.exclusiveMaximum, default: p.default };
    return { type: 'number', ...Object.fromEntries(Object.entries(bounds).filter(([, v]) => v !== undefined)) };
  }
  if (p.type === 'instant') return { type: 'string', maxLength: p.maxLength, pattern: ISO_INSTANT_RE.source };
  return {
    type: 'string',
    maxLength: p.maxLength,
    ...(p.minLength !== undefined ? { minLength: p.minLength } : {}),
    ...(p.pattern ? { pattern: p.pattern.source } : {}),
    ...(p.enum ? { enum: [...p.enum] } : {}),
    ...(p.default !== undefined ? { default: p.default } : {}),
    // JSON Schema has no case-insensitive pattern or enum: they show the canonical form, and this says lower case is read too.
    ...(p.upperCase || p.enum ? { 'x-case-insensitive': true } : {}),
  };
}

/** What a parameter's description says in the OpenAPI document: its spec's, plus that it is case-insensitive where it is. */
export function paramDescription(p: ParamSpec): string {
  if (p.type !== 'string' || (!p.upperCase && !p.enum)) return p.description;
  const e = p.example ?? p.default ?? p.enum?.[0];
  if (!p.upperCase) return `${p.description} Case-insensitive${e !== undefined && e !== asciiUpper(e) ? ` (${asciiUpper(e)} is ${e})` : ''}.`;
  return `${p.description} Case-insensitive: lower-case letters are read as upper case${e !== undefined && e !== e.toLowerCase() ? ` (${e.toLowerCase()} is ${e})` : ''}.`;
}

/** A number's bounds in words, e.g. "0 < power <= 10000". */
function numberRange(name: string, p: Extract<ParamSpec, { type: 'number' }>): string {
  const low = p.exclusiveMinimum !== undefined ? `${p.exclusiveMinimum} < ` : p.minimum !== undefined ? `${p.minimum} <= ` : '';
  const high = p.exclusiveMaximum !== undefined ? ` < ${p.exclusiveMaximum}` : p.maximum !== undefined ? ` <= ${p.maximum}` : '';
  return `${low}${name}${high}`;
}

/** A decimal number as a query writes one: an optional minus, digits, an optional fraction. No exponent, so no 1e400. */
const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** ASCII a-z to A-Z only: String.prototype.toUpperCase would also turn "ß" into "SS" and "ﬁ" into "FI", letters no id holds. */
const asciiUpper = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

/** Only white space: what String.prototype.trim removes (spaces, tabs, line breaks, no-break spaces) and zero-width characters. */
const BLANK = /^[\s\u200B-\u200D\u2060\uFEFF]*$/u;
/** C0 controls other than tab, line feed and carriage return, and DEL: no question or id carries them (PostgreSQL text refuses NUL). */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/**
 * The 400 of a parameter given empty (`at=`, `series=`, `{"q": ""}`): every parameter of every route, required or
 * not. An empty value is a caller's mistake (a form or script that meant to fill it in), not a wish for the default
 * or for "none": reading `at=` as "latest" would answer a question that was not asked.
 */
function emptyError(name: string, spec: ParamSpec, where: 'query' | 'body'): ValidationError {
  const example = spec.example !== undefined ? (where === 'query' ? `${name}=${spec.example}` : `"${name}": ${JSON.stringify(spec.example)}`) : undefined;
  if (spec.required) return new ValidationError(name, `${name} is given empty; ${name} is required${example !== undefined ? `, e.g. ${example}` : ''}`);
  const dflt = 'default' in spec && spec.default !== undefined ? ` for ${spec.default}` : '';
  return new ValidationError(name, `${name} is given empty; give one${example !== undefined ? ` (e.g. ${example})` : ''}, or leave ${name} out${dflt}`);
}

function checkOne(name: string, spec: ParamSpec, raw: unknown, where: 'query' | 'body'): string | number | undefined {
  if (raw === '') throw emptyError(name, spec, where);
  if (raw === undefined || raw === null) {
    if (spec.required) throw new ValidationError(name, `${name} is required${spec.example !== undefined ? `, e.g. ${name}=${spec.example}` : ''}`);
    return spec.type === 'instant' ? undefined : spec.default;
  }
  if (spec.type === 'instant') {
    if (typeof raw !== 'string') throw new ValidationError(name, where === 'query' ? `${name} must be given once, as a single value` : `${name} must be a string`);
    if (raw.length > spec.maxLength) throw new ValidationError(name, `${name} is longer than ${spec.maxLength} characters (${raw.length}), too long for an ISO-8601 time`);
    const at = parseIsoInstant(raw);
    if (Number.isNaN(at)) {
      // Well-formed but impossible (2024-02-30, 24:00): say what does not exist rather than "not ISO-8601".
      const problem = isoInstantProblem(raw);
      if (problem !== null) throw new ValidationError(name, `${name} ${show(raw)} is not a valid time: ${problem}`);
      throw new ValidationError(name, `${name} ${show(raw)} is not an ISO-8601 time such as 2024-07-01T15:00:00Z (a date-time needs Z or an offset)`);
    }
    if (at < spec.minimum || at >= spec.maximum) throw new ValidationError(name, `${name} ${show(raw)} is out of range (${new Date(spec.minimum).toISOString()} to ${new Date(spec.maximum).toISOString()})`);
    return at;
  }
  if (spec.type === 'number') {
    const range = numberRange(name, spec);
    let n: number;
    if (where === 'body' && typeof raw === 'number') n = raw;
    else if (typeof raw === 'string' && raw.length <= spec.maxLength && DECIMAL.test(raw)) n = Number(raw);
    else if (typeof raw === 'string' || typeof raw === 'number') throw new ValidationError(name, `${name} must be a decimal number (digits, an optional fraction, no exponent) with ${range}, got ${show(String(raw))}`);
    else throw new ValidationError(name, `${name} must be given once, as a single value`);
    const inRange =
      Number.isFinite(n) &&
      (spec.minimum === undefined || n >= spec.minimum) &&
      (spec.exclusiveMinimum === undefined || n > spec.exclusiveMinimum) &&
      (spec.maximum === undefined || n <= spec.maximum) &&
      (spec.exclusiveMaximum === undefined || n < spec.exclusiveMaximum);
    if (!inRange) throw new ValidationError(name, `${name} must be a finite number with ${range}, got ${show(String(raw))}`);
    return n;
  }
  if (spec.type === 'integer') {
    let n: number;
    if (where === 'body' && typeof raw === 'number') n = raw;
    else if (typeof raw === 'string' && /^-?\d{1,15}$/.test(raw)) n = Number(raw);
    else if (typeof raw === 'string' || typeof raw === 'number') throw new ValidationError(name, `${name} must be an integer from ${spec.minimum} to ${spec.maximum}, got ${show(String(raw))}`);
    else throw new ValidationError(name, `${name} must be given once, as a single value`);
    if (!Number.isInteger(n) || n < spec.minimum || n > spec.maximum) throw new ValidationError(name, `${name} must be an integer from ${spec.minimum} to ${spec.maximum}, got ${show(String(raw))}`);
    return n;
  }
  if (typeof raw !== 'string') throw new ValidationError(name, where === 'query' ? `${name} must be given once, as a single value` : `${name} must be a string`);
  if (spec.enum && raw.length > spec.maxLength) throw new ValidationError(name, `${name} must be one of ${spec.enum.join(', ')}`);
  if (raw.length > spec.maxLength) throw new ValidationError(name, `${name} is longer than ${spec.maxLength} characters (${raw.length})`);
  if (CONTROL.test(raw)) throw new ValidationError(name, `${name} contains a control character (U+${raw.match(CONTROL)![0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}); send plain text`);
  if (spec.notBlank && BLANK.test(raw)) {
    if (spec.required) throw new ValidationError(name, `${name} is only white space (spaces, tabs, line breaks or no-break spaces); write some text${spec.example !== undefined ? `, e.g. ${name}=${spec.example}` : ''}`);
    return spec.default;
  }
  if (spec.minLength !== undefined && raw.length < spec.minLength) throw new ValidationError(name, `${name} is shorter than ${spec.minLength} characters`);
  // An enum is case-insensitive whatever its canonical case (P50 is p50, Today is today): the handler gets the member.
  const member = spec.enum?.find((e) => asciiUpper(e) === asciiUpper(raw));
  if (spec.enum && member === undefined) throw new ValidationError(name, `${name} ${show(raw)} must be one of ${spec.enum.join(', ')}`);
  const value = member ?? (spec.upperCase ? asciiUpper(raw) : raw);
  // The description says what a value must be in words ("power, MW (0 < power <= 10000)"); the pattern is the fallback.
  if (spec.pattern && !spec.pattern.test(value)) throw new ValidationError(name, spec.description ? `${name} ${show(raw)} is not valid: ${spec.description}${spec.example !== undefined ? ` (e.g. ${name}=${spec.example})` : ''}` : `${name} ${show(raw)} does not match ${spec.pattern.source}`);
  return value;
}

/** Checks `input` against `specs`: unknown names refused, each value typed and bounded, defaults filled in. */
export function validateParams(specs: ParamSpecs, input: Record<string, unknown>, where: 'query' | 'body'): ParamValues {
  const unknown = Object.keys(input).filter((k) => !Object.hasOwn(specs, k));
  if (unknown.length > 0) {
    const allowed = Object.keys(specs);
    throw new ValidationError(unknown[0]!, `unknown ${where} parameter${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map(show).join(', ')}; allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'}`);
  }
  const out: ParamValues = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = checkOne(name, spec, input[name], where);
  return out;
}

/**
 * Express middleware for a route schema: the checked query parameters land in res.locals.query and the checked body
 * in res.locals.body; a problem answers 400 {error: "bad_request", param, detail}.
 */
export function validated(schema: RouteSchema) {
  return (req: Request, res: Response, next: NextFunction): void => {
    try {
      res.locals.query = validateParams(schema.query ?? {}, (req.query ?? {}) as Record<string, unknown>, 'query');
      if (schema.body) {
        const body: unknown = req.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('body', 'the body must be a JSON object (Content-Type: application/json)');
        res.locals.body = validateParams(schema.body, body as Record<string, unknown>, 'body');
      }
      next();
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      res.status(400).json({ error: 'bad_request', param: err.param, detail: err.detail });
    }
  };
}
