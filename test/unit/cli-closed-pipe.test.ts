// `sda <command> --help | head`: a reader that closes the pipe early must not crash the CLI with an unhandled EPIPE.
// Spawns the built CLI (dist/cli/sda.js) for every command; no services are needed for --help.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';

const SDA = path.join(projectRoot(), 'dist', 'cli', 'sda.js');

/** Runs `sda ...args` with its stdout piped into a reader that closes at once (`close: 'now'`) or after the first chunk. */
function runClosing(args: string[], close: 'now' | 'first-chunk'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SDA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    if (close === 'now') child.stdout.destroy();
    else child.stdout.once('data', () => child.stdout.destroy());
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** The command names `sda --help` lists. */
function commands(): string[] {
  const help = execFileSync(process.execPath, [SDA, '--help'], { encoding: 'utf8' });
  const section = help.slice(help.indexOf('Commands:'));
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

describe('a closed stdout pipe ends the CLI quietly', () => {
  it('sda train --help into a reader that closes at once: exit 0, no EPIPE stack (it was "Unhandled \'error\' event")', async () => {
    const r = await runClosing(['train', '--help'], 'now');
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled|at \w/);
  });

  it('other commands too (the guard is installed once for all in cli/sda.ts; a few spawns show it, each takes ~1 s)', async () => {
    const names = commands();
    assert.ok(names.includes('train') && names.includes('demo') && names.length >= 8, `commands: ${names.join(', ')}`);
    for (const name of ['demo', '']) {
      const r = await runClosing(name ? [name, '--help'] : ['--help'], 'now');
      assert.equal(r.code, 0, `sda ${name} --help: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/, `sda ${name} --help`);
    }
    // Like `| head -1`: the reader takes the first chunk, then closes.
    const head = await runClosing(['train', '--help'], 'first-chunk');
    assert.equal(head.code, 0, head.stderr);
    assert.doesNotMatch(head.stderr, /EPIPE|Unhandled/);
  });
});

describe('sda --version', () => {
  it('prints the version in package.json and exits 0', () => {
    const out = execFileSync(process.execPath, [SDA, '--version'], { encoding: 'utf8' }).trim();
    const pkg = JSON.parse(execFileSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(path.join(projectRoot(), 'package.json'))}))`], { encoding: 'utf8' })) as { version: string };
    assert.equal(out, pkg.version);
  });

  it('is listed under Options of sda --help, and only there (a subcommand\'s --version is its own)', () => {
    const help = execFileSync(process.execPath, [SDA, '--help'], { encoding: 'utf8' });
    assert.match(help, /^ {2}-V, --version +print the version and exit$/m);
    const sub = execFileSync(process.execPath, [SDA, 'stack', '--help'], { encoding: 'utf8' });
    assert.doesNotMatch(sub, /-V, --version/);
  });
});
