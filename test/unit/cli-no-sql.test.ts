// trace: D.postgres
// cli/ holds argument parsing and printing only: no SQL statement and no database query in any of its files. The
// queries live with the data's owner (reports/stored.ts, sinks/postgres/run-rows.ts, processors/dispatcher/...).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import { sourceFiles } from './source-files.js';

/** SQL as this project writes it (upper-case keywords), and any `.query(` / `.query<T>(` call on a pool or client. */
const SQL = [
  /\bSELECT\b/,
  /\bINSERT\s+INTO\b/,
  /\bUPDATE\s+\w+\s+SET\b/,
  /\bDELETE\s+FROM\b/,
  /\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|DATABASE|SCHEMA)\b/,
  /\bTRUNCATE\b/,
  /\bCOPY\s+\w+.*\bFROM\s+STDIN\b/,
  /\.query\s*[<(]/,
];

/** Each line of `file` that looks like SQL or a database query, as `file:line: text`. */
function sqlLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => (SQL.some((re) => re.test(line)) ? [`${path.relative(projectRoot(), file)}:${i + 1}: ${line.trim().slice(0, 120)}`] : []));
}


describe('cli/ holds no SQL', () => {
  it('no file in cli/ contains an SQL statement or a database query', () => {
    const files = sourceFiles(['test']).filter((f) => f.startsWith('cli/')).map((f) => path.join(projectRoot(), f));
    assert.ok(files.length > 10, `${files.length} files in cli/`);
    assert.deepEqual(files.flatMap(sqlLines), [], 'move these to the module that owns the data (reports/, sinks/postgres/, processors/, gateway/*-store.ts)');
  });

  it('the guard sees SQL where it is (the queries moved out of cli/)', () => {
    for (const f of ['reports/stored.ts', 'sinks/postgres/run-rows.ts', 'processors/dispatcher/backtest-sources.ts']) {
      assert.ok(sqlLines(path.join(projectRoot(), f)).length > 0, `${f} holds queries`);
    }
    assert.deepEqual(sqlLines(path.join(projectRoot(), 'cli', 'run.ts')), [], "an HTTP method: 'DELETE' is not SQL");
  });
});
