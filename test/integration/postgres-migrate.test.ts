// trace: D.postgres
// Migrations against the real PostgreSQL, each case in a throwaway database: the project's migrations apply once
// with their checksums; an edited applied migration is refused with MIGRATION_CHANGED naming the file, and nothing
// else is applied; an unchanged one passes; a database migrated before checksums were kept is backfilled once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { MigrationError, migrate, migrationChecksum, migrationFiles } from '../../platform/postgres/migrate.js';
import { createPool } from '../../platform/postgres/pool.js';
import { config } from './harness.js';

describe('PostgreSQL migrations with checksums', () => {
  const admin = createPool(config, 1);
  const databases: string[] = [];
  const pools: pg.Pool[] = [];
  let dir = '';

  /** A fresh database of its own, dropped in `after`. */
  async function freshDatabase(): Promise<pg.Pool> {
    const name = `sda_migrate_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    await admin.query(`CREATE DATABASE ${name}`);
    databases.push(name);
    const pool = createPool({ ...config, postgres: { ...config.postgres, database: name } }, 2);
    pools.push(pool);
    return pool;
  }

  const files = { a: '001_create.sql', b: '002_seed.sql', c: '003_more.sql' };
  const sql = {
    a: 'CREATE TABLE t (id integer PRIMARY KEY, note text);\n',
    b: "INSERT INTO t VALUES (1, 'one');\n",
    c: "INSERT INTO t VALUES (2, 'two');\n",
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sda-migrations-'));
  });

  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    for (const db of databases) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });

  it("applies the project's migrations once, storing each file's sha256", async () => {
    const pool = await freshDatabase();
    const versions = migrationFiles().map((m) => m.version);
    assert.deepEqual(await migrate(pool), versions);
    assert.deepEqual(await migrate(pool), [], 'a second start applies nothing');
    const stored = (await pool.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations ORDER BY version')).rows;
    assert.deepEqual(
      stored,
      migrationFiles().map((m) => ({ version: m.version, checksum: migrationChecksum(readFileSync(m.file, 'utf8')) })),
    );
    assert.match(stored[0]!.checksum, /^[0-9a-f]{64}$/);
  });

  it('refuses to start when an applied migration changed, naming the file; an unchanged one passes', async () => {
    const pool = await freshDatabase();
    const d = path.join(dir, 'edited');
    await mkdir(d);
    await writeFile(path.join(d, files.a), sql.a);
    await writeFile(path.join(d, files.b), sql.b);
    assert.deepEqual(await migrate(pool, { dir: d }), ['001_create', '002_seed']);
    assert.deepEqual(await migrate(pool, { dir: d }), [], 'unchanged: passes, applies nothing');

    // Edit the applied 002 and add a new 003: the start is refused and 003 is not applied.
    await writeFile(path.join(d, files.b), "INSERT INTO t VALUES (1, 'uno');\n");
    await writeFile(path.join(d, files.c), sql.c);
    await assert.rejects(migrate(pool, { dir: d }), (err: unknown) => {
      assert.ok(err instanceof MigrationError, String(err));
      assert.equal(err.code, 'MIGRATION_CHANGED');
      assert.equal(err.retriable, false);
      assert.deepEqual(err.files, [path.join(d, files.b)]);
      assert.match(err.message, /002_seed\.sql/);
      assert.doesNotMatch(err.message, /001_create\.sql/, 'the unchanged file is not blamed');
      return true;
    });
    assert.equal((await pool.query('SELECT 1 FROM schema_migrations WHERE version = $1', ['003_more'])).rowCount, 0, 'nothing applied after a refusal');

    // Restored as applied (line endings aside): passes and applies 003.
    await writeFile(path.join(d, files.b), sql.b.replace(/\n/g, '\r\n'));
    assert.deepEqual(await migrate(pool, { dir: d }), ['003_more']);
    assert.deepEqual((await pool.query('SELECT id, note FROM t ORDER BY id')).rows, [
      { id: 1, note: 'one' },
      { id: 2, note: 'two' },
    ]);
  });

  it('backfills the checksums of a database migrated before they were kept, then catches an edit', async () => {
    const pool = await freshDatabase();
    const d = path.join(dir, 'legacy');
    await mkdir(d);
    await writeFile(path.join(d, files.a), sql.a);
    await writeFile(path.join(d, files.b), sql.b);
    // What the code before checksums left behind: the table without the column, 001 applied.
    await pool.query('CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    await pool.query(sql.a);
    await pool.query("INSERT INTO schema_migrations (version) VALUES ('001_create')");

    assert.deepEqual(await migrate(pool, { dir: d }), ['002_seed'], 'the applied 001 is not run again');
    const rows = (await pool.query<{ version: string; checksum: string | null }>('SELECT version, checksum FROM schema_migrations ORDER BY version')).rows;
    assert.deepEqual(rows, [
      { version: '001_create', checksum: migrationChecksum(sql.a) },
      { version: '002_seed', checksum: migrationChecksum(sql.b) },
    ]);

    await writeFile(path.join(d, files.a), sql.a.replace('note text', 'note text NOT NULL'));
    await assert.rejects(
      migrate(pool, { dir: d }),
      (err: unknown) => err instanceof MigrationError && err.code === 'MIGRATION_CHANGED' && /001_create\.sql/.test(err.message),
    );
  });
});
