// CPU time of processes from /proc, to say where a benchmark's time goes (Linux only).
import fs from 'node:fs';

const TICKS_PER_SEC = 100; // USER_HZ on Linux

/** user+system CPU seconds of a process (with `withReaped`, plus that of its exited, reaped children), or 0 if it is gone. */
export function cpuSeconds(pid: number, withReaped = false): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    const reaped = withReaped ? Number(fields[13]) + Number(fields[14]) : 0;
    return (own + reaped) / TICKS_PER_SEC;
  } catch {
    return 0;
  }
}

/** CPU seconds of a process tree, counting children that exited (PostgreSQL backends come and go). */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((a, p) => a + cpuSeconds(p, p === root), 0);
}

/** The pids of a process and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

export function pidFromFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]!.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Snapshots CPU seconds per named group of process trees; `delta` gives the CPU used since. */
export class CpuMeter {
  private readonly start: Map<string, number>;
  /** Each group returns the CPU seconds it has used so far. */
  constructor(private readonly groups: Record<string, () => number>) {
    this.start = this.read();
  }

  private read(): Map<string, number> {
    return new Map(Object.entries(this.groups).map(([name, used]) => [name, used()]));
  }

  delta(): Record<string, number> {
    const now = this.read();
    return Object.fromEntries([...now].map(([k, v]) => [k, Number((v - (this.start.get(k) ?? 0)).toFixed(2))]));
  }
}
