// Progress of a consume loop as a person running `sda process ...` reads it: every few seconds a line with the
// consumer's lag on its input topic while it has records to read, and one "caught up (lag 0) at offsets ..." line each
// time it reaches the end of every partition it owns. The one place that reports a consume loop's progress: the loop
// (consume-loop.ts) feeds it, processors and sinks do nothing of their own. Off unless a process turns it on
// (setLoopProgress: the `sda process` commands do), so tests and the in-process demo print nothing.
import type { Admin } from './client.js';

/** Where a loop's progress lines go and how often: `everyMs` between checks (ms, >= 100), `write` one line (default stderr). */
export interface LoopProgressSettings {
  everyMs: number;
  write?: (line: string) => void;
}

let settings: LoopProgressSettings | undefined;

/**
 * Turns progress reporting on (or off with undefined) for the consume loops this process starts from now on.
 * Throws RangeError for an everyMs that is not an integer of at least 100.
 */
export function setLoopProgress(s: LoopProgressSettings | undefined): void {
  if (s !== undefined && !(Number.isInteger(s.everyMs) && s.everyMs >= 100)) throw new RangeError(`setLoopProgress: everyMs must be an integer >= 100, got ${s.everyMs}`);
  settings = s;
}

/** The settings in force (undefined: off). */
export function loopProgressSettings(): LoopProgressSettings | undefined {
  return settings;
}

/**
 * A connection opened at its first use and shared after (the progress reporter's admin client): `open()` runs `connect`
 * once and hands every caller the same promise, while it is pending too; a connect that rejects is forgotten, so the
 * next `open()` tries again (a broker down at the first check must not fail every later check: a kept rejected promise
 * did, silently, as LoopProgress.check skips a failed listing). `opened()` the connection made so far, undefined when
 * none was (never asked, or only failed), for closing it; it waits for a connect in flight.
 */
export function sharedConnection<A>(connect: () => Promise<A>): { open(): Promise<A>; opened(): Promise<A | undefined> } {
  let pending: Promise<A> | undefined;
  const open = (): Promise<A> => {
    if (pending) return pending;
    const attempt = connect();
    pending = attempt;
    attempt.catch(() => {
      if (pending === attempt) pending = undefined;
    });
    return attempt;
  };
  return { open, opened: async () => (pending ? pending.catch(() => undefined) : undefined) };
}

/** One partition the member owns: the next offset it will read and the partition's end (last stable offset). */
export interface PartitionLag {
  partition: number;
  position: bigint;
  end: bigint;
}

/**
 * The lag of the partitions a member owns, in records (offsets): per partition its end (`ends`: the last stable offset,
 * kafkajs fetchTopicOffsets `high`, read_committed: past the last commit marker) minus its position, never below 0.
 * The position is where the member's own reading got to (`read`: the offset after the last one of its latest batch,
 * kafkajs END_BATCH_PROCESS `lastOffset` + 1, which passes a transaction's commit marker too), else the group's
 * committed offset (`committed`), else the partition's log start (`ends` `low`: a new group reads from the beginning).
 * Partitions missing from `ends` are left out. Returns the partitions (in `assigned` order) and their sum.
 */
export function ownedLag(
  assigned: readonly number[],
  ends: ReadonlyArray<{ partition: number; low: string; high: string }>,
  read: ReadonlyMap<number, bigint>,
  committed: ReadonlyMap<number, bigint | undefined>,
): { lag: bigint; partitions: PartitionLag[] } {
  const partitions: PartitionLag[] = [];
  let lag = 0n;
  for (const p of assigned) {
    const e = ends.find((x) => x.partition === p);
    if (!e) continue;
    const end = BigInt(e.high);
    const position = read.get(p) ?? committed.get(p) ?? BigInt(e.low);
    partitions.push({ partition: p, position, end });
    if (end > position) lag += end - position;
  }
  return { lag, partitions };
}

/** "p0 123, p1 456": each partition's position (caught up) or position/end. */
function positions(parts: PartitionLag[], withEnd: boolean): string {
  return parts.map((x) => `p${x.partition} ${x.position}${withEnd ? `/${x.end}` : ''}`).join(', ');
}

/** The line for a lag: "NAME: TOPIC lag N records (read to p0 a/b, ...)" or "NAME: caught up (lag 0) at offsets p0 a, ... of TOPIC". */
export function lagLine(name: string, topic: string, r: { lag: bigint; partitions: PartitionLag[] }): string {
  if (r.lag === 0n) return `${name}: caught up (lag 0) at offsets ${positions(r.partitions, false) || '(no partitions assigned)'} of ${topic}`;
  return `${name}: ${topic} lag ${r.lag.toLocaleString('en-US')} records (read to ${positions(r.partitions, true)})`;
}

/**
 * A loop's reporter: the loop calls `assigned` on each group join, `passed` after each batch it got through, and
 * `check` every settings.everyMs (start does that on a timer until stop). A check lists the topic's ends (and the
 * group's committed offsets where the member has read nothing of a partition yet) over `admin`, and writes a lag line
 * while the lag is above 0, or a caught-up line when it is 0 and the positions moved since the last caught-up line
 * (so a job that stays caught up says it once, and again after each new batch). A failed listing is skipped.
 */
export class LoopProgress {
  private owned: number[] = [];
  private readonly read = new Map<number, bigint>();
  private lastCaughtUp: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly name: string,
    private readonly topic: string,
    private readonly groupId: string,
    private readonly admin: () => Promise<Admin>,
    private readonly write: (line: string) => void,
  ) {}

  assigned(partitions: readonly number[]): void {
    this.owned = [...partitions].sort((a, b) => a - b);
  }

  /** The member got through a batch of `partition` up to `lastOffset` (decimal string). */
  passed(partition: number, lastOffset: string): void {
    this.read.set(partition, BigInt(lastOffset) + 1n);
  }

  /** One check; resolves with the line written, or undefined (nothing owned yet, unchanged caught up, a failed listing). */
  async check(): Promise<string | undefined> {
    if (this.checking || this.owned.length === 0) return undefined;
    this.checking = true;
    try {
      const admin = await this.admin();
      const ends = await admin.fetchTopicOffsets(this.topic);
      const committed = new Map<number, bigint | undefined>();
      if (this.owned.some((p) => !this.read.has(p))) {
        for (const c of (await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] }))[0]?.partitions ?? []) committed.set(c.partition, BigInt(c.offset) < 0n ? undefined : BigInt(c.offset));
      }
      const r = ownedLag(this.owned, ends, this.read, committed);
      if (r.lag === 0n) {
        const at = positions(r.partitions, false);
        if (at === this.lastCaughtUp) return undefined;
        this.lastCaughtUp = at;
      }
      const line = lagLine(this.name, this.topic, r);
      this.write(line);
      return line;
    } catch {
      return undefined;
    } finally {
      this.checking = false;
    }
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
