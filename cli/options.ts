// Parsing and bounding of command-line option values: a bad value stops the command naming the option.
import fs from 'node:fs';
import { SdaError } from '../platform/errors.js';

/** A command-line option value out of its range or shape (code OPTION_INVALID, not retriable); the message starts with the option. */
export class OptionError extends SdaError<'OPTION_INVALID'> {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('OPTION_INVALID', `${option}: ${message}`);
  }
}

export function intOption(name: string, raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new OptionError(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new OptionError(name, `expected an integer from ${min} to ${max}, got ${raw}`);
  return n;
}

/** An integer that must be one of `allowed` (e.g. a window step of 15 or 60 minutes); the error lists them. */
export function oneOfIntOption(name: string, raw: string, allowed: readonly number[]): number {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !allowed.includes(n)) throw new OptionError(name, `expected ${allowed.join(' or ')}, got ${JSON.stringify(raw)}`);
  return n;
}

export function numberOption(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new OptionError(name, `expected a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** An ISO date or date-time; a bare date means 00:00 UTC. */
export function dateOption(name: string, raw: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw;
  const t = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(t)) throw new OptionError(name, `expected an ISO date like 2024-07-01 or 2024-07-01T05:00:00Z, got ${JSON.stringify(raw)}`);
  return t;
}

export function listOption(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

export function speedOption(raw: string): 'max' | number {
  if (raw === 'max') return 'max';
  return numberOption('--speed', raw, 0.001, 1e9);
}

/** A Kafka topic name: 1-249 of A-Z a-z 0-9 . _ - (Kafka's own rule). */
export function topicOption(name: string, raw: string): string {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(raw)) throw new OptionError(name, `${JSON.stringify(raw)} is not a valid topic name (1-249 of A-Z a-z 0-9 . _ -)`);
  return raw;
}

/** An ISO date or date-time (as dateOption) that must fall on a whole multiple of `stepMinutes` of UTC time. */
export function alignedDateOption(name: string, raw: string, stepMinutes: number): number {
  const t = dateOption(name, raw);
  if (t % (stepMinutes * 60_000) !== 0) throw new OptionError(name, `must be on a ${stepMinutes}-minute boundary (UTC), got ${JSON.stringify(raw)}`);
  return t;
}

/**
 * Opens (creates or truncates) the file an option names for writing; returns its file descriptor, for
 * fs.createWriteStream(path, { fd }). Errors: OptionError "cannot write PATH: no such directory" (ENOENT),
 * "permission denied" (EACCES/EPERM), "is a directory" (EISDIR), or the system's message otherwise.
 */
export function outputFileOption(name: string, file: string): number {
  try {
    return fs.openSync(file, 'w');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new OptionError(name, `cannot write ${file}: ${why}`);
  }
}
