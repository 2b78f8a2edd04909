// Applies platform/postgres/migrations/*.sql in order, each once, in its own transaction, under an advisory
// lock so concurrent starters do not race. schema_migrations keeps each applied file's sha256, and a start whose
// applied file has changed since is refused: an edit to an applied migration never reaches a database that already
// ran it, so the change belongs in a new numbered file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { projectRoot } from '../config.js';
import { SdaError } from '../errors.js';
import { logger } from '../logger.js';

const log = logger('migrate');
const LOCK_KEY = 0x5da_0001;

export const MIGRATIONS_DIR = path.join(projectRoot(), 'platform', 'postgres', 'migrations');

/**
 * MIGRATION_CHANGED: an applied migration's file differs from what was applied (`files` names each, with both sums).
 * MIGRATION_FAILED: a migration's SQL failed; its transaction was rolled back. Neither is retriable.
 */
export class MigrationError extends SdaError<'MIGRATION_CHANGED' | 'MIGRATION_FAILED'> {
  constructor(
    code: 'MIGRATION_CHANGED' | 'MIGRATION_FAILED',
    message: string,
    readonly files: string[],
    options?: { cause?: unknown },
  ) {
    super(code, message, false, options);
  }
}

export interface MigrationFile {
  /** The file name without `.sql`, e.g. `001_init`: the key in schema_migrations. */
  version: string;
  /** Absolute path. */
  file: string;
}

/** The numbered migration files (`NNN_name.sql`) of `dir`, in the order they apply. */
export function migrationFiles(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ''), file: path.join(dir, f) }));
}

/**
 * The checksum stored for a migration: sha256 (hex) of its text with CRLF read as LF, so a checkout that converts
 * line endings is not an edit, while any change of the SQL itself is.
 */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/**
 * Brings the database up to date with `opts.dir` (default MIGRATIONS_DIR) and returns the versions it applied
 * (empty when it was up to date). Before applying anything it checks every applied version whose file exists against
 * its stored checksum and throws MigrationError MIGRATION_CHANGED naming each changed file; nothing is applied then.
 * A database migrated before checksums were kept gets the column and, once, the checksum of each applied file as it
 * is on disk at that first run (logged): what was applied back then is unknowable, so today's file is trusted.
 * A failing migration rolls back and throws MIGRATION_FAILED naming its file.
 */
export async function migrate(pool: pg.Pool, opts: { dir?: string } = {}): Promise<string[]> {
  const files = migrationFiles(opts.dir).map((m) => {
    const sql = fs.readFileSync(m.file, 'utf8');
    return { ...m, sql, checksum: migrationChecksum(sql) };
  });
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), checksum text)');
    await client.query('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text');
    const done = new Map(
      (await client.query<{ version: string; checksum: string | null }>('SELECT version, checksum FROM schema_migrations')).rows.map((r) => [
        r.version,
        r.checksum,
      ]),
    );

    const backfilled: string[] = [];
    for (const m of files) {
      if (!done.has(m.version) || done.get(m.version) !== null) continue;
      await client.query('UPDATE schema_migrations SET checksum = $2 WHERE version = $1 AND checksum IS NULL', [m.version, m.checksum]);
      done.set(m.version, m.checksum);
      backfilled.push(m.version);
    }
    if (backfilled.length > 0)
      log.info({ versions: backfilled }, 'recorded the checksums of migrations applied before checksums were kept (the files as they are now)');
    const missing = [...done.keys()].filter((v) => !files.some((m) => m.version === v));
    if (missing.length > 0) log.warn({ versions: missing }, 'applied migrations with no file here (a newer checkout applied them?)');

    const changed = files.filter((m) => done.has(m.version) && done.get(m.version) !== m.checksum);
    if (changed.length > 0) {
      const list = changed.map(
        (m) => `${path.relative(projectRoot(), m.file)} (sha256 ${done.get(m.version)!.slice(0, 12)} when applied, ${m.checksum.slice(0, 12)} now)`,
      );
      throw new MigrationError(
        'MIGRATION_CHANGED',
        `applied migration${changed.length > 1 ? 's' : ''} changed since ${changed.length > 1 ? 'they were' : 'it was'} applied: ${list.join('; ')}. ` +
          'Restore the file as applied (git log -p FILE) and put the change in a new numbered migration.',
        changed.map((m) => m.file),
      );
    }

    for (const m of files) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)', [m.version, m.checksum]);
        await client.query('COMMIT');
        applied.push(m.version);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new MigrationError('MIGRATION_FAILED', `migration ${path.relative(projectRoot(), m.file)} failed: ${(err as Error).message}`, [m.file], {
          cause: err,
        });
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
