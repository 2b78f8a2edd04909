// How long `sda train` keeps the event loop from running timers: runTraining with TRAIN_DEFAULTS (epochs from the
// command line) on stored features, into a temporary registry (not promoted), with a 5 ms setInterval probe beside
// it. A gap between two probe ticks is a stretch of synchronous work (a consumer in the same process, as in
// `sda demo`, misses its heartbeats during it). Prints the longest gaps with the training line printed just before
// each began (where it was), perf_hooks monitorEventLoopDelay's max and p99, and writes the training's printed
// lines, without the timing ones, to OUT so that two commits' hold-out tables can be compared with diff.
//
//   deploy/local/node.sh dist/bench/train-blocking.js [--market QSIM] [--kind RT_PRICE] [--epochs 2] [--out FILE]
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { createPool } from '../platform/postgres/pool.js';
import { TRAIN_DEFAULTS, runTraining } from '../model/train.js';

/** A stretch without timers: ms between two probe ticks, the line printed last before it began and those printed during it. */
interface Block {
  ms: number;
  atSeconds: number;
  after: string;
  during: string[];
}

/**
 * Run `work` beside a setInterval probe of `tickMs`; returns its result, every gap over `reportMs` (ms between two
 * ticks, minus nothing: a gap of tickMs is no block), and monitorEventLoopDelay's max and p99 (ms). `lines` is read
 * at each gap to name where the work was: the last line before the gap began and those printed during it.
 */
async function probeBlocks<T>(work: () => Promise<T>, lines: Array<{ t: number; line: string }>, tickMs = 5, reportMs = 200): Promise<{ result: T; blocks: Block[]; maxMs: number; p99Ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const t0 = performance.now();
  let last = t0;
  const blocks: Block[] = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    if (gap > reportMs) {
      const before = lines.filter((l) => l.t <= last);
      blocks.push({ ms: gap, atSeconds: (last - t0) / 1_000, after: before[before.length - 1]?.line ?? '(start)', during: lines.filter((l) => l.t > last && l.t <= now).map((l) => l.line) });
    }
    last = now;
  }, tickMs);
  try {
    const result = await work();
    return { result, blocks, maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
  } finally {
    clearInterval(timer);
    h.disable();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { market: { type: 'string', default: 'QSIM' }, kind: { type: 'string', default: 'RT_PRICE' }, epochs: { type: 'string', default: '2' }, out: { type: 'string', default: '' } } });
  const epochs = Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`--epochs must be a whole number >= 0, got ${values.epochs}`);
  const config = loadConfig();
  const pool = createPool(config, 2);
  const registry = await mkdtemp(join(os.tmpdir(), 'sda-train-blocking-'));
  const lines: Array<{ t: number; line: string }> = [];
  const print = (s: string) => {
    for (const line of s.split('\n')) lines.push({ t: performance.now(), line });
  };
  try {
    const t0 = performance.now();
    const { blocks, maxMs, p99Ms } = await probeBlocks(
      () => runTraining(pool, { ...TRAIN_DEFAULTS, market: values.market!, kind: values.kind!, epochs, backend: 'auto', promote: false, registry, progress: false, print }),
      lines,
    );
    const seconds = (performance.now() - t0) / 1_000;
    process.stdout.write(`train-blocking: ${values.market} ${values.kind}, ${epochs} epochs, ${seconds.toFixed(1)} s in all; event loop delay max ${maxMs.toFixed(0)} ms, p99 ${p99Ms.toFixed(0)} ms; ${blocks.length} gaps over 200 ms\n`);
    for (const b of [...blocks].sort((a, b) => b.ms - a.ms).slice(0, 12)) {
      process.stdout.write(`  ${b.ms.toFixed(0).padStart(6)} ms at ${b.atSeconds.toFixed(1)} s, after: ${b.after.slice(0, 110)}${b.during.length ? ` | during: ${b.during.map((l) => l.slice(0, 60)).join(' / ').slice(0, 200)}` : ''}\n`);
    }
    if (values.out) {
      // Timings, versions and paths differ between runs; everything else is the training's result.
      const kept = lines.map((l) => l.line).filter((l) => !/ s\b| s \(|registered |model_metrics: |backend: /.test(l));
      await writeFile(values.out, `${kept.join('\n')}\n`);
      await writeFile(`${values.out}.times`, lines.map((l) => `${((l.t - t0) / 1_000).toFixed(2)} ${l.line}`).join('\n'));
      process.stdout.write(`training lines without timings: ${values.out}\n`);
    }
  } finally {
    await pool.end();
    await rm(registry, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`train-blocking: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
