// Child `sda process ...` members for the lost-and-regained tests (windower-regained, forecaster-regained): spawned
// at a log level with their stderr kept, stopped (SIGCONT first: a SIGSTOPped child cannot act on SIGTERM), and
// described with their group's progress in a wait's timeout message.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../platform/config.js';
import { budget, groupProgress, waitUntil } from './group-state.js';
import { withAdmin } from './harness.js';
import { groupCaughtUp } from '../../platform/kafka/topics.js';

/** One child: its process, consumer group, name in messages, the last 4,000 characters of its stderr and (up to 1 MB) all of it. */
export interface SdaChild {
  child: ChildProcess;
  group: string;
  name: string;
  tail: string;
  log: string;
}

const hasExited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

/** Resolves when `c` has exited (at once if it already has). */
const exited = (c: ChildProcess): Promise<void> => new Promise<void>((r) => (hasExited(c) ? r() : c.once('exit', () => r())));

/** SIGCONT then SIGTERM, and wait for the exit (nothing for a child that has exited). */
export async function stop(c: ChildProcess): Promise<void> {
  if (hasExited(c)) return;
  c.kill('SIGCONT'); // a stopped child cannot act on SIGTERM
  c.kill('SIGTERM');
  await exited(c);
}

/** The children a test file starts, of one processor kind (`kind` names them in messages). */
export class SdaChildren {
  readonly started: SdaChild[] = [];
  /** The file's budget for its waits (ms in all), shared by waitCaughtUp. */
  readonly waits = budget(420_000);

  constructor(private readonly kind: string) {}

  /** `sda <args>` (e.g. ['process', 'windower', '--input', …]) in group `group`, LOG_LEVEL `level`; stderr kept (SDA_TEST_CHILD_STDERR=1 echoes it). */
  spawn(name: string, group: string, args: readonly string[], level = 'warn'): ChildProcess {
    const child = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'sda.js'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: level },
    });
    const entry: SdaChild = { child, group, name, tail: '', log: '' };
    this.started.push(entry);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      entry.tail = (entry.tail + d).slice(-4_000);
      if (entry.log.length < 1_000_000) entry.log += d;
      if (process.env.SDA_TEST_CHILD_STDERR) process.stderr.write(d);
    });
    return child;
  }

  /** The record of a child this started (throws for another). */
  of(c: ChildProcess): SdaChild {
    const s = this.started.find((x) => x.child === c);
    if (!s) throw new Error(`not a ${this.kind} this file started`);
    return s;
  }

  /** Stops every child started (after()). */
  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((s) => stop(s.child)));
  }

  /** The group's progress on `topic` and each of its children: running or exited, and its stderr's last 800 characters. */
  async explain(group: string, topic: string): Promise<string> {
    const procs = this.started
      .filter((s) => s.group === group)
      .map((s) => `${this.kind} ${s.name} (pid ${s.child.pid}) ${hasExited(s.child) ? `exited (${s.child.exitCode ?? s.child.signalCode})` : 'running'}, stderr: ${JSON.stringify(s.tail.slice(-800))}`);
    return `${await groupProgress(group, topic)} | ${procs.join('; ')}`;
  }

  /** Waits (within `timeoutMs` of the file's budget) until `group` has committed to the end of `topic`. */
  async waitCaughtUp(group: string, topic: string, timeoutMs: number): Promise<void> {
    await waitUntil(`group ${group} to catch up on ${topic}`, this.waits.take(timeoutMs), () => withAdmin((admin) => groupCaughtUp(admin, group, topic)), () => this.explain(group, topic));
  }
}
