// platform/logger.ts logToFile, as `sda demo` uses it: after the switch every log line (of the loggers made before it
// too) goes to the file, and only warnings and errors to stderr as well, so the demo's steps on stdout are not
// interleaved with info lines; before the switch (and in `sda process ...`, which never switches) all go to stderr.
// Run in a child process, since pino writes to file descriptor 2 directly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const loggerModule = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'platform', 'logger.js');

function child(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, LOG_LEVEL: 'info' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const levels = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; component: string });

describe('logToFile', () => {
  it('sends every line to the file and only warn and above to stderr; stdout untouched', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sda-logs-'));
    try {
      const file = path.join(dir, 'sub', 'demo.log');
      const r = await child(`
        const { logger, logToFile } = await import(${JSON.stringify(loggerModule)});
        const early = logger('early');
        early.info('before the switch');
        const abs = logToFile(${JSON.stringify(file)}, 'warn');
        process.stdout.write('step line ' + abs + '\\n');
        early.info('info after');
        logger('late').warn('warn after');
        early.error({ err: 'boom' }, 'error after');
        logger('late').debug('debug after');
      `);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `step line ${file}\n`, 'stdout carries only what the command prints');
      assert.deepEqual(levels(r.stderr).map((l) => [l.level, l.msg]), [
        [30, 'before the switch'],
        [40, 'warn after'],
        [50, 'error after'],
      ]);
      assert.deepEqual(levels(await readFile(file, 'utf8')).map((l) => [l.level, l.component, l.msg]), [
        [30, 'early', 'info after'],
        [40, 'late', 'warn after'],
        [50, 'early', 'error after'],
      ], 'every line the logger keeps (LOG_LEVEL info: no debug), from loggers made before the switch too');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without the switch every line goes to stderr, none to stdout', async () => {
    const r = await child(`
      const { logger } = await import(${JSON.stringify(loggerModule)});
      logger('p').info('info');
      logger('p').error('error');
    `);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(levels(r.stderr).map((l) => [l.level, l.msg]), [
      [30, 'info'],
      [50, 'error'],
    ]);
  });
});
