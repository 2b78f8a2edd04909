// platform/logger.ts logToFile, as `sda demo` uses it: after the switch every log line (of the loggers made before it
// too) goes to the file, and only warnings and errors to stderr as well, so the demo's steps on stdout are not
// interleaved with info lines; before the switch (and in `sda process ...`, which never switches) all go to stderr.
// Run in a child process, since pino writes to file descriptor 2 directly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const loggerModule = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'platform', 'logger.js');
const workerModule = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'processors', 'dispatcher', 'backtest-worker.js');
const configModule = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'platform', 'config.js');
const assetModule = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dispatch', 'asset.js');

function child(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, LOG_LEVEL: 'info' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `script` run as a module file (a worker thread started from it inherits no --input-type, which a file worker refuses). */
async function childFile(dir: string, script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(dir, 'child.mjs');
  await writeFile(file, script);
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { env: { ...process.env, LOG_LEVEL: 'info' }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const levels = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; component: string; runId: string });

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
  it('rotate: the file of a previous run moves to FILE.1 (an older FILE.1 replaced), the file holds this run only', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sda-logs-'));
    try {
      const file = path.join(dir, 'demo.log');
      const runOnce = (msg: string) =>
        child(`
          const { logger, logToFile } = await import(${JSON.stringify(loggerModule)});
          logToFile(${JSON.stringify(file)}, 'warn', { rotate: true });
          logger('demo').info(${JSON.stringify(msg)});
        `);
      const msgs = async (f: string) => levels(await readFile(f, 'utf8')).map((l) => l.msg);
      for (const msg of ['run 1', 'run 2', 'run 3']) assert.equal((await runOnce(msg)).code, 0);
      assert.deepEqual(await msgs(file), ['run 3']);
      assert.deepEqual(await msgs(`${file}.1`), ['run 2'], 'the previous run kept once; run 1 gone');
      // Without rotate, appended as before.
      const plain = await child(`
        const { logger, logToFile } = await import(${JSON.stringify(loggerModule)});
        logToFile(${JSON.stringify(file)}, 'warn');
        logger('demo').info('appended');
      `);
      assert.equal(plain.code, 0, plain.stderr);
      assert.deepEqual(await msgs(file), ['run 3', 'appended']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a worker thread started with workerLog() logs to its parent's file under its parent's run id; without it, to stderr under its own", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sda-logs-'));
    try {
      const file = path.join(dir, 'demo.log');
      const r = await child(`
        const { Worker } = await import('node:worker_threads');
        const { logger, logToFile, workerLog, WORKER_LOG_KEY, RUN_ID } = await import(${JSON.stringify(loggerModule)});
        logToFile(${JSON.stringify(file)}, 'warn');
        const code = (msg) => \`import(\${JSON.stringify(${JSON.stringify(loggerModule)})}).then((m) => m.logger('worker').info(\${JSON.stringify(msg)}));\`;
        const run = (msg, workerData) => new Promise((resolve, reject) => {
          const w = new Worker(code(msg), { eval: true, workerData });
          w.once('error', reject);
          w.once('exit', resolve);
        });
        await run('with workerLog', { [WORKER_LOG_KEY]: workerLog() });
        await run('without', {});
        logger('parent').info('parent');
        process.stdout.write(RUN_ID);
      `);
      assert.equal(r.code, 0, r.stderr);
      const runId = r.stdout;
      assert.deepEqual(levels(await readFile(file, 'utf8')).map((l) => [l.component, l.msg, l.runId]), [
        ['worker', 'with workerLog', runId],
        ['parent', 'parent', runId],
      ]);
      const stray = levels(r.stderr);
      assert.deepEqual(stray.map((l) => [l.component, l.msg]), [['worker', 'without']]);
      assert.notEqual(stray[0]!.runId, runId);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("runBacktestJobInWorker: the job's worker thread logs to the caller's file under the caller's run id", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sda-logs-'));
    try {
      const file = path.join(dir, 'demo.log');
      // A two-day simulator backtest, one strategy: no PostgreSQL, no Kafka.
      const r = await childFile(dir, `
        const { logToFile, RUN_ID } = await import(${JSON.stringify(loggerModule)});
        const { loadConfig } = await import(${JSON.stringify(configModule)});
        const { makeBattery } = await import(${JSON.stringify(assetModule)});
        const { runBacktestJobInWorker } = await import(${JSON.stringify(workerModule)});
        logToFile(${JSON.stringify(file)}, 'warn');
        const start = Date.UTC(2024, 4, 1, 5);
        const asset = makeBattery({ id: 'bess-log', powerMw: 10, energyMwh: 20, settlementPoint: 'HB_NORTH' });
        await runBacktestJobInWorker(loadConfig(), { assets: [asset], fromMs: start + 2 * 86400000, toMs: start + 4 * 86400000, historyDays: 2, strategies: ['persistence'], actuals: { kind: 'simulator', start, days: 4, seed: 3 } });
        process.stdout.write(RUN_ID);
      `);
      assert.equal(r.code, 0, r.stderr);
      const runId = r.stdout;
      const lines = levels(await readFile(file, 'utf8')).filter((l) => l.component === 'backtest-worker');
      assert.deepEqual(lines.map((l) => [l.msg, l.runId]), [
        ['backtest job started on a worker thread', runId],
        ['backtest job done', runId],
      ]);
      assert.deepEqual(levels(r.stderr), [], 'no info line on stderr');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
