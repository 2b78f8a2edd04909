// Process plumbing for the local stack: run a command to completion, start a daemon with a pid file
// and a log file, stop it, and wait for a condition with a deadline.
import { spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SdaError } from '../errors.js';

/** A tool the stack needs that is missing or could not be installed (TOOL_MISSING, INSTALL_FAILED); the message says what to do. Not retriable. */
export class InstallError extends SdaError<'TOOL_MISSING' | 'INSTALL_FAILED'> {}

/** A child command that exited non-zero (code COMMAND_FAILED, not retriable); the message ends with its last 4,000 characters of output. */
export class CommandError extends SdaError<'COMMAND_FAILED'> {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super('COMMAND_FAILED', `command failed (exit ${exitCode}): ${command}\n${output.slice(-4_000)}`);
  }
}

/** Runs a command to completion and returns its combined output; throws CommandError on a non-zero exit. */
export function run(cmd: string, args: string[], options: SpawnOptions & { input?: string; quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => reject(new CommandError(`${cmd} ${args.join(' ')}`, null, String(err))));
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new CommandError(`${cmd} ${args.join(' ')}`, code, output))));
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

export function commandExists(cmd: string): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  return dirs.some((d) => {
    try {
      fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a long-running process detached from this one, its output appended to logFile. */
export function startDaemon(cmd: string, args: string[], opts: { logFile: string; pidFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): number {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  fs.mkdirSync(path.dirname(opts.pidFile), { recursive: true });
  const log = fs.openSync(opts.logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log], env: opts.env ?? process.env, cwd: opts.cwd });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  child.unref();
  fs.writeFileSync(opts.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 20_000): Promise<void> {
  if (!pidAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM'); // the daemon leads its own process group
  } catch {
    process.kill(pid, 'SIGTERM');
  }
  const gone = await waitFor(async () => !pidAlive(pid), graceMs, 100);
  if (!gone) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    await waitFor(async () => !pidAlive(pid), 5_000, 100);
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not ready yet
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function tcpOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function httpOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Last lines of a log file, to show when a service fails to start. */
export function tail(file: string, lines = 25): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Waits until a daemon started with `startDaemon` answers its health check. Gives up early if the process exits
 * (a bad config, a port in use), so the caller can show its log at once instead of waiting out the timeout.
 */
export async function waitHealthy(pidFile: string, healthy: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<'up' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await healthy().catch(() => false)) return 'up';
    const pid = readPid(pidFile);
    if (pid && !pidAlive(pid)) return 'exited';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The error for a daemon that did not come up, with the end of its log. */
export function startFailure(what: string, outcome: 'exited' | 'timeout', timeoutMs: number, logFile: string): Error {
  const why = outcome === 'exited' ? 'exited during start-up' : `did not answer within ${Math.round(timeoutMs / 1_000)} s`;
  return new Error(`${what} ${why}; its log (${logFile}) ends:\n${tail(logFile)}`);
}
