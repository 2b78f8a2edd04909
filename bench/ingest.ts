// Simulator → Kafka → PostgreSQL sink, end to end and per stage, with PostgreSQL's own COPY speed measured in
// the same run as the ceiling. Bench ticks are stored under market 'BENCH' and removed afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { Config } from '../platform/config.js';
import type { MarketTick } from '../schemas/types.js';
import { copyLine } from '../platform/postgres/copy-format.js';
import { createPool } from '../platform/postgres/pool.js';
import { type WriteMode, writeBatch } from '../sinks/postgres/ticks-sink.js';
import { provision } from '../platform/kafka/provision.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { postgresDataDir } from '../deploy/local/postgres.js';
import { stackPaths } from '../deploy/local/service.js';
import { freshTopics } from './topics.js';
import { CpuMeter, cpuSeconds, pidFromFile, treeCpuSeconds } from './cpu.js';
import { TickPublisher } from '../streams/tick-publisher.js';

const BENCH_MARKET = 'BENCH';

function* benchTicks(days: number): Generator<MarketTick> {
  for (const t of simulateMarket({ start: Date.UTC(2024, 0, 1, 6), days, seed: 7 })) yield { ...t, market: BENCH_MARKET };
}

/** Simulates and publishes `days` of bench ticks in batches of 2,000; resolves once the broker acknowledged all. */
async function publishDays(publisher: TickPublisher, days: number) {
  let batch: Array<{ ok: true; tick: MarketTick }> = [];
  for (const tick of benchTicks(days)) {
    batch.push({ ok: true, tick });
    if (batch.length === 2_000) {
      await publisher.add(batch);
      batch = [];
    }
  }
  await publisher.add(batch);
  return publisher.close();
}

const secondsSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const perSec = (n: number, s: number) => Math.round(n / s);

function sinkProcess(config: Config, topic: string, group: string): ChildProcess {
  return spawn(process.execPath, [path.join(config.root, 'dist', 'cli', 'sda.js'), 'process', 'postgres-sink', '--topic', topic, '--group', group], { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'warn' } });
}

export async function runIngestBench(config: Config, opts: { days: number }) {
  const pool = createPool(config, 4);
  const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM market_data WHERE market = $1', [BENCH_MARKET])).rows[0]!.n);
  await pool.query('DELETE FROM market_data WHERE market = $1', [BENCH_MARKET]);
  const results: Record<string, unknown> = {};

  // 1. The simulator alone.
  let t0 = process.hrtime.bigint();
  let n = 0;
  for (const _ of benchTicks(opts.days)) n++;
  const simSecs = secondsSince(t0);
  results['1 simulate'] = { ticks: n, perSec: perSec(n, simSecs) };
  process.stderr.write(`bench ingest: ${n.toLocaleString('en-US')} ticks (${opts.days} days, all series)\n`);

  // 2. Ceiling: PostgreSQL COPY into a bare staging table, and COPY + the sink's upsert, without Kafka.
  const client = await pool.connect();
  try {
    await client.query('CREATE TEMP TABLE bench_copy (seq bigint, market text, series_id text, point_type text, kind text, start_ms bigint, end_ms bigint, value double precision, unit text, source text, ingested_ms bigint, imputed boolean)');
    const ticks = [...benchTicks(opts.days)];
    t0 = process.hrtime.bigint();
    let i = 0;
    const src = new Readable({
      read() {
        if (i >= ticks.length) return void this.push(null);
        let chunk = '';
        for (const end = Math.min(ticks.length, i + 2_000); i < end; i++) {
          const t = ticks[i]!;
          chunk += copyLine([i, t.market, t.seriesId, t.pointType, t.kind, t.intervalStart, t.intervalEnd, t.value, t.unit, t.source, t.ingestedAt, false]);
        }
        this.push(chunk);
      },
    });
    await pipeline(src, client.query(copyStreams.from('COPY bench_copy FROM STDIN')) as unknown as Writable);
    const copySecs = secondsSince(t0);
    results['2a PostgreSQL COPY alone (ceiling)'] = { rows: ticks.length, perSec: perSec(ticks.length, copySecs) };
    const labels: Record<WriteMode, string> = {
      direct: '2b sink write path, new rows: COPY into market_data, 50k rows/txn',
      staged: '2c sink write path, rows already stored: COPY to staging + insert-new/update-changed',
      upsert: '2d sink write path, race fallback: COPY to staging + INSERT .. ON CONFLICT DO UPDATE',
    };
    for (const mode of ['direct', 'staged', 'upsert'] as const) {
      t0 = process.hrtime.bigint();
      for (let from = 0; from < ticks.length; from += 50_000) {
        await writeBatch(client, ticks.slice(from, from + 50_000).map((tick, k) => ({ seq: String(from + k), tick })), [], 'bench', mode);
      }
      results[labels[mode]] = { rows: ticks.length, perSec: perSec(ticks.length, secondsSince(t0)) };
    }
  } finally {
    client.release();
  }
  await pool.query('DELETE FROM market_data WHERE market = $1', [BENCH_MARKET]);

  // 3. Publish alone: simulate + validate + Avro encode + produce (acks=all).
  const p = await provision(config, 'sda-bench-ingest');
  const topic = 'bench.ingest.ticks';
  await freshTopics(config, [{ name: topic }]);
  t0 = process.hrtime.bigint();
  const counts = await publishDays(new TickPublisher(config, p, 'bench-ingest', { topic }), opts.days);
  const pubSecs = secondsSince(t0);
  results['3 publish: simulate + validate + Avro + produce'] = { ticks: counts.accepted, perSec: perSec(counts.accepted, pubSecs) };

  // 4. Sink alone over the produced topic: consume + decode + validate + COPY + upsert + commit.
  let sink = sinkProcess(config, topic, `bench-sink-${Date.now()}`);
  // The clock starts at the first committed row, leaving out process start-up and the group join.
  let first = 0;
  while ((first = await count()) === 0) await new Promise((r) => setTimeout(r, 20));
  t0 = process.hrtime.bigint();
  while ((await count()) < counts.accepted) await new Promise((r) => setTimeout(r, 100));
  const sinkSecs = secondsSince(t0);
  sink.kill('SIGTERM');
  results['4 sink: consume + decode + validate + COPY + upsert'] = { ticks: counts.accepted - first, perSec: perSec(counts.accepted - first, sinkSecs), note: 'from the first committed batch to the last' };
  await pool.query('DELETE FROM market_data WHERE market = $1', [BENCH_MARKET]);

  // 5. End to end, both running at once: first tick simulated → last row committed in PostgreSQL.
  await freshTopics(config, [{ name: topic }]);
  sink = sinkProcess(config, topic, `bench-e2e-${Date.now()}`);
  await new Promise((r) => setTimeout(r, 4_000)); // let the sink join its group before the clock starts
  const paths = stackPaths(config);
  const sinkPid = sink.pid;
  const meter = new CpuMeter({
    'publisher (this Node process: simulate, validate, Avro encode, produce)': () => cpuSeconds(process.pid),
    'sink (Node: fetch, decode, validate, COPY text, commits)': () => (sinkPid ? cpuSeconds(sinkPid) : 0),
    'Kafka broker (JVM)': () => cpuSeconds(pidFromFile(`${paths.run}/kafka.pid`) ?? -1),
    'PostgreSQL (postmaster, backends, WAL writer, checkpointer)': () => treeCpuSeconds(pidFromFile(`${postgresDataDir(paths.postgres)}/postmaster.pid`) ?? -1),
    'schema registry (JVM)': () => cpuSeconds(pidFromFile(`${paths.run}/schema-registry.pid`) ?? -1),
  });
  t0 = process.hrtime.bigint();
  const e2eCounts = await publishDays(new TickPublisher(config, p, 'bench-ingest', { topic }), opts.days);
  const produced = secondsSince(t0);
  while ((await count()) < e2eCounts.accepted) await new Promise((r) => setTimeout(r, 100));
  const e2eSecs = secondsSince(t0);
  const cpu = meter.delta();
  sink.kill('SIGTERM');
  const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
  results['5 CPU during end to end'] = {
    wallSeconds: Number(e2eSecs.toFixed(2)),
    coresBusy: Number((cpuTotal / e2eSecs).toFixed(2)),
    cpuSeconds: cpu,
    cpuMicrosPerTick: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Number(((v / e2eCounts.accepted) * 1e6).toFixed(1))])),
  };
  results['5 end to end: simulator → Kafka → PostgreSQL (concurrent)'] = { ticks: e2eCounts.accepted, perSec: perSec(e2eCounts.accepted, e2eSecs), publishDoneAtSec: Number(produced.toFixed(2)), lastRowAtSec: Number(e2eSecs.toFixed(2)) };
  await pool.query('DELETE FROM market_data WHERE market = $1', [BENCH_MARKET]);
  await pool.end();

  const conditions = {
    date: new Date().toISOString(),
    host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; broker, registry, PostgreSQL and Node all on this machine`,
    node: process.version,
    days: opts.days,
    pipeline: 'TickPublisher (@platformatic/kafka idempotent, acks=all, 2,000/request) → topic with 3 partitions → postgres-sink (kafkajs eachBatch, 3 partitions concurrently, ≤50,000 rows per transaction)',
  };
  const report = { bench: 'ingest', conditions, results };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n| stage | ticks/s |\n|---|---|\n`);
  for (const [k, v] of Object.entries(results)) if ('perSec' in (v as object)) process.stdout.write(`| ${k} | ${(v as { perSec: number }).perSec.toLocaleString('en-US')} |\n`);
  const cpuRow = results['5 CPU during end to end'] as { cpuMicrosPerTick: Record<string, number>; coresBusy: number } | undefined;
  if (cpuRow) {
    process.stdout.write(`\nCPU per tick, end to end (${cpuRow.coresBusy} of ${os.cpus().length} cores busy):\n\n| process | CPU µs/tick |\n|---|---|\n`);
    for (const [k, v] of Object.entries(cpuRow.cpuMicrosPerTick)) process.stdout.write(`| ${k} | ${v} |\n`);
  }
  return report;
}
