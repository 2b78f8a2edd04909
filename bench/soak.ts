// Soak: simulated ticks replayed at a speed-up through the whole pipeline, each job its own child process
// (bench/soak-child.ts: ticks sink, windower, features sink, forecaster, forecasts sink) and the gateway (a sixth
// child, with the RAG responder when its models are in MODELS_DIR) under a steady load of GET /forecast and
// GET /query from autocannon (two more processes). Every few seconds it samples each process's resident memory
// (/proc/PID/status VmRSS), its V8 heap in use (its own /metrics), records processed, consumer errors, and each
// consumer group's lag (end offsets minus committed, from the broker). Prints a table, writes the curves as CSV and
// JSON under .cache/artifacts/, and says whether memory grows after warm-up: the least-squares slope of RSS and
// heap over the second half of the run, in MB per minute.
import { type ChildProcess, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Config } from '../platform/config.js';
import type { MarketTick } from '../schemas/types.js';
import { writeRandomModel } from '../processors/forecaster/random-model.js';
import { createPool } from '../platform/postgres/pool.js';
import { provision } from '../platform/kafka/provision.js';
import { TOPICS, ensureTopics } from '../platform/kafka/topics.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { TickPublisher } from '../streams/tick-publisher.js';
import { type CannonResult, autocannon } from './autocannon.js';

export interface SoakOptions {
  /** Simulated days replayed. */
  days: number;
  /** Event time runs this many times faster than real time (100 = a week in 100 minutes). */
  speed: number;
  /** Seconds between samples. */
  sampleSeconds: number;
  /** GET /forecast requests per second. */
  forecastRate: number;
  /** GET /query requests per second (each is a responder answer: keep it low on a small machine). */
  queryRate: number;
  /** Serve /query with the RAG responder (needs `sda models fetch`); false: the gateway answers 503. */
  rag: boolean;
}

const JOBS = ['ticks-sink', 'windower', 'features-sink', 'forecaster', 'forecasts-sink'] as const;
type Job = (typeof JOBS)[number];
const MARKET = 'SOAK';
const SERIES = 'HB_NORTH';
const HOUR = 3_600_000;

interface Sample {
  t: number;
  simTime: string;
  process: string;
  rssMb: number;
  heapUsedMb: number | null;
  processed: number | null;
  consumerErrors: number | null;
  lag: number | null;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Sums of a few series from a Prometheus text page. */
async function scrape(url: string): Promise<{ heapUsedMb: number | null; processed: number | null; consumerErrors: number | null }> {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
    const sum = (name: string) => {
      let total: number | null = null;
      for (const line of text.split('\n')) {
        if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return total;
    };
    const heap = sum('sda_nodejs_heap_size_used_bytes');
    // No sda_consumer_errors_total series yet means no error yet.
    return { heapUsedMb: heap === null ? null : heap / 2 ** 20, processed: sum('sda_records_processed_total'), consumerErrors: sum('sda_consumer_errors_total') ?? 0 };
  } catch {
    return { heapUsedMb: null, processed: null, consumerErrors: null };
  }
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const pts = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length < 2) return Number.NaN;
  const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length;
  const my = pts.reduce((a, [, y]) => a + y, 0) / pts.length;
  const num = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? Number.NaN : num / den;
}

/** GET `url` every 1/rate seconds for `seconds` (one request in flight at most), as an autocannon-shaped summary. */
async function questionLoad(url: string, rate: number, seconds: number): Promise<CannonResult> {
  const ms: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const endAt = Date.now() + seconds * 1_000;
  if (rate > 0) {
    for (let next = Date.now(); next < endAt; next += 1_000 / rate) {
      if (next > Date.now()) await new Promise((r) => setTimeout(r, next - Date.now()));
      const t = performance.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
        await res.arrayBuffer();
        if (res.status < 200 || res.status > 299) non2xx++;
      } catch {
        errors++;
      }
      ms.push(performance.now() - t);
      if (Date.now() > next + 1_000 / rate) next = Date.now();
    }
  }
  const s = [...ms].sort((a, b) => a - b);
  const q = (f: number) => Number((s[Math.min(s.length - 1, Math.floor(f * s.length))] ?? Number.NaN).toFixed(1));
  return { path: url.replace(/^http:\/\/[^/]+/, ''), offeredPerSec: rate, achievedPerSec: Number((ms.length / seconds).toFixed(3)), avgMs: Number((s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)).toFixed(1)),
    p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), maxMs: q(1), requests: ms.length, non2xx, errors, timeouts: 0 };
}

interface Child {
  name: string;
  proc: ChildProcess;
  metrics: string;
  url?: string;
}

function startChild(config: Config, options: Record<string, unknown>, logDir: string): Promise<Child> {
  const name = String(options.job);
  const log = fs.openSync(path.join(logDir, `${name}.log`), 'w');
  const proc = spawn(process.execPath, [path.join(config.root, 'dist', 'bench', 'soak-child.js'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', log], env: process.env });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.once('line', (line) => {
      try {
        const o = JSON.parse(line) as { metrics: string; url?: string };
        resolve({ name, proc, metrics: o.metrics, url: o.url });
      } catch {
        reject(new Error(`${name} printed ${line.slice(0, 200)} instead of its metrics address; see ${logDir}/${name}.log`));
      }
    });
    proc.once('exit', (code) => reject(new Error(`${name} exited with code ${code} during start-up; see ${logDir}/${name}.log`)));
  });
}

export async function runSoakBench(config: Config, opts: SoakOptions): Promise<void> {
  const id = `${Date.now().toString(36)}`;
  const topics = { ticks: `bench.soak.${id}.ticks`, features: `bench.soak.${id}.features`, forecasts: `bench.soak.${id}.forecasts`, changelog: `bench.soak.${id}.changelog` };
  const groups = Object.fromEntries(JOBS.map((j) => [j, `bench-soak-${id}-${j}`])) as Record<Job, string>;
  const inputOf: Record<Job, string> = { 'ticks-sink': topics.ticks, windower: topics.ticks, 'features-sink': topics.features, forecaster: topics.features, 'forecasts-sink': topics.forecasts };
  const artifacts = path.join(config.cacheDir, 'artifacts');
  const logDir = path.join(artifacts, `soak-${id}-logs`);
  fs.mkdirSync(logDir, { recursive: true });
  const p = await provision(config, 'sda-bench-soak');
  const admin = p.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { ...TOPICS.ticks, name: topics.ticks }, { ...TOPICS.features, name: topics.features }, { ...TOPICS.forecasts, name: topics.forecasts },
    { ...TOPICS.windowerChangelog, name: topics.changelog },
  ], config.kafka.partitions);
  const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-soak-registry-'));
  await writeRandomModel(registry, { version: `soak-${id}`, market: MARKET, seriesIds: [], horizon: 4, units: 16, seed: 3 });
  const pool = createPool(config, 1);
  await pool.query('DELETE FROM market_data WHERE market = $1', [MARKET]);
  await pool.query('DELETE FROM features WHERE market = $1', [MARKET]);
  await pool.query('DELETE FROM forecasts WHERE market = $1', [MARKET]);

  const children: Child[] = [];
  const samples: Sample[] = [];
  let cannons: Promise<CannonResult[]> | undefined;
  try {
    for (const job of JOBS) {
      const io = job === 'windower' ? { output: topics.features, changelog: topics.changelog } : job === 'forecaster' ? { output: topics.forecasts, registryDir: registry } : {};
      children.push(await startChild(config, { job, input: inputOf[job], group: groups[job], ...io }, logDir));
    }
    children.push(await startChild(config, { job: 'gateway', registryDir: registry, rag: opts.rag }, logDir));
    const gw = children[children.length - 1]!;
    process.stderr.write(`soak: ${children.length} processes up (logs in ${logDir}); replaying ${opts.days} simulated days at ${opts.speed}x\n`);

    const start = Date.UTC(2024, 6, 1, 5);
    const end = start + opts.days * 24 * HOUR;
    const wallSeconds = Math.ceil((end - start) / opts.speed / 1_000);
    // The load runs for the whole replay; autocannon's own duration ends it.
    // The latest forecast of the series (404 until the first one is stored, after about a simulated day).
    cannons = Promise.all([autocannon(`${gw.url}/forecast?series=${SERIES}&market=${MARKET}`, opts.forecastRate, 4, wallSeconds)]);
    cannons.catch(() => undefined);
    // /query at a low fixed rate from this process (an answer takes seconds; autocannon's rate is whole requests/s).
    const queries = questionLoad(`${gw.url}/query?q=${encodeURIComponent(`What was the average ${SERIES} price yesterday?`)}`, opts.queryRate, wallSeconds);

    const t0 = Date.now();
    let simNow = start;
    const sample = async () => {
      const lagOf = async (job: Job) => {
        try {
          const ends = await admin.fetchTopicOffsets(inputOf[job]);
          const committed = (await admin.fetchOffsets({ groupId: groups[job], topics: [inputOf[job]] }))[0]?.partitions ?? [];
          return ends.reduce((n, e) => n + Math.max(0, Number(e.offset) - Math.max(0, Number(committed.find((c) => c.partition === e.partition)?.offset ?? 0))), 0);
        } catch {
          return null;
        }
      };
      const t = (Date.now() - t0) / 1_000;
      for (const c of children) {
        const m = await scrape(c.metrics);
        const job = JOBS.find((j) => j === c.name);
        samples.push({ t, simTime: new Date(simNow).toISOString(), process: c.name, rssMb: rssMb(c.proc.pid!), ...m, lag: job ? await lagOf(job) : null });
      }
    };
    const sampler = setInterval(() => void sample(), opts.sampleSeconds * 1_000);
    await sample();

    // The source: one quarter-hour of event time at a time, sent when the wall clock reaches it.
    const publisher = new TickPublisher(config, p, 'bench-soak', { topic: topics.ticks, batch: 5_000 });
    let published = 0;
    let pending: MarketTick[] = [];
    const ticks = simulateMarket({ start, days: opts.days, seed: 29 });
    let lastReport = Date.now();
    for (const tk of ticks) {
      if (tk.intervalStart > simNow) {
        await publisher.add(pending.map((tick) => ({ ok: true as const, tick })));
        await publisher.flush();
        published += pending.length;
        pending = [];
        simNow = tk.intervalStart;
        const due = t0 + (simNow - start) / opts.speed;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        if (Date.now() - lastReport > 30_000) {
          lastReport = Date.now();
          process.stderr.write(`soak: ${((Date.now() - t0) / 60_000).toFixed(1)} of ${(wallSeconds / 60).toFixed(1)} min, event time ${new Date(simNow).toISOString()}, ${published} ticks published\n`);
        }
      }
      pending.push({ ...tk, market: MARKET });
    }
    await publisher.add(pending.map((tick) => ({ ok: true as const, tick })));
    await publisher.close();
    published += pending.length;
    const load = [...(await cannons), await queries];
    clearInterval(sampler);
    await sample();

    // Figures per process: first sample, end of warm-up (the first half), end, and the slopes over the second half.
    const half = samples[samples.length - 1]!.t / 2;
    const rows = children.map((c) => {
      const mine = samples.filter((s) => s.process === c.name);
      const second = mine.filter((s) => s.t >= half);
      const last = mine[mine.length - 1]!;
      const atHalf = second[0] ?? last;
      return {
        process: c.name,
        rssStartMb: Number(mine[0]!.rssMb.toFixed(1)),
        rssHalfMb: Number(atHalf.rssMb.toFixed(1)),
        rssEndMb: Number(last.rssMb.toFixed(1)),
        rssSlopeMbPerMin: Number((slope(second.map((s) => [s.t / 60, s.rssMb])) || 0).toFixed(3)),
        heapHalfMb: atHalf.heapUsedMb === null ? null : Number(atHalf.heapUsedMb.toFixed(1)),
        heapEndMb: last.heapUsedMb === null ? null : Number(last.heapUsedMb.toFixed(1)),
        heapSlopeMbPerMin: Number((slope(second.flatMap((s) => (s.heapUsedMb === null ? [] : [[s.t / 60, s.heapUsedMb] as [number, number]]))) || 0).toFixed(3)),
        lagMax: mine.reduce((m, s) => Math.max(m, s.lag ?? 0), 0),
        lagEnd: last.lag,
        processed: last.processed,
        consumerErrors: last.consumerErrors,
      };
    });
    const conditions = {
      date: new Date().toISOString(),
      commit: (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: config.root }).toString().trim(); } catch { return 'unknown'; } })(),
      host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; broker, registry, PostgreSQL and every process on this machine`,
      replay: `${opts.days} simulated days (all series, seed 29, market ${MARKET}) at ${opts.speed}x: ${wallSeconds} s of wall time, ${published} ticks`,
      processes: 'each job a child process (bench/soak-child.ts), the gateway a sixth, autocannon two more; the source in the bench process',
      load: `GET /forecast at ${opts.forecastRate}/s (4 connections), GET /query at ${opts.queryRate}/s (${opts.rag ? 'RAG responder' : 'no responder: 503'})`,
      sampleSeconds: opts.sampleSeconds,
      lag: 'end offsets minus committed offsets of the job\'s input topic; on a transactional topic (features, forecasts) a caught-up group still shows the last commit marker, up to 1 per partition',
    };
    const report = { bench: 'soak', conditions, processes: rows, load, samples: samples.length };
    const base = path.join(artifacts, `soak-${id}`);
    fs.writeFileSync(`${base}.json`, JSON.stringify({ ...report, curves: samples }, null, 2));
    fs.writeFileSync(`${base}.csv`, ['t_s,sim_time,process,rss_mb,heap_used_mb,processed,consumer_errors,lag',
      ...samples.map((s) => [s.t.toFixed(1), s.simTime, s.process, s.rssMb.toFixed(1), s.heapUsedMb?.toFixed(1) ?? '', s.processed ?? '', s.consumerErrors ?? '', s.lag ?? ''].join(','))].join('\n'));
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n`);
    process.stdout.write('| process | RSS start / half / end MB | RSS slope 2nd half MB/min | heap half / end MB | heap slope MB/min | lag max / end | processed | consumer errors |\n|---|---|---|---|---|---|---|---|\n');
    for (const r of rows) {
      process.stdout.write(`| ${r.process} | ${r.rssStartMb} / ${r.rssHalfMb} / ${r.rssEndMb} | ${r.rssSlopeMbPerMin} | ${r.heapHalfMb ?? '-'} / ${r.heapEndMb ?? '-'} | ${r.heapSlopeMbPerMin} | ${r.lagMax} / ${r.lagEnd ?? '-'} | ${r.processed ?? '-'} | ${r.consumerErrors ?? '-'} |\n`);
    }
    process.stdout.write(`\n| load | offered/s | achieved/s | p50 ms | p99 ms | max ms | requests | non-2xx | errors |\n|---|---|---|---|---|---|---|---|---|\n`);
    for (const l of load) process.stdout.write(`| ${l.path.split('?')[0]} | ${l.offeredPerSec} | ${l.achievedPerSec} | ${l.p50Ms} | ${l.p99Ms} | ${l.maxMs} | ${l.requests} | ${l.non2xx} | ${l.errors} |\n`);
    process.stdout.write(`\ncurves: ${base}.csv and ${base}.json\n`);
  } finally {
    for (const c of children) c.proc.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.proc.exitCode !== null ? r(undefined) : c.proc.once('exit', r)))));
    await admin.deleteTopics({ topics: Object.values(topics), timeout: 10_000 }).catch(() => undefined);
    await admin.disconnect();
    await pool.end();
    await rm(registry, { recursive: true, force: true });
  }
}
