// `sda bench clients`: kafkajs against @platformatic/kafka (the installed 1.x and a 2.x fetched for the bench) on the
// round trip's workload (produce N framed Avro MarketTicks, acks=all, idempotent; consume them back in a fresh
// group), each on every Node binary given, in one run. Each cell runs in its own process
// (bench/kafka-clients-child.ts) on its own empty 3-partition topic, so clients and Node versions do not share a heap.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { run } from '../platform/installers/process.js';
import { createKafka } from '../platform/kafka/client.js';
import type { CellResult, ClientName } from './kafka-clients-child.js';
import { freshTopics } from './topics.js';

/** The @platformatic/kafka 2.x release measured against the installed 1.x; fetched into .cache/bench on first use. */
export const PLATFORMATIC_2_VERSION = '2.12.1';

export interface ClientsBenchOptions {
  messages: number;
  /** Node binaries to run each client on (absolute paths); the first is the reference. */
  nodes: string[];
  clients: ClientName[];
  /** Rounds over the whole matrix, in alternating order, so neither client always runs on a warmer broker. */
  rounds: number;
}

/** Installs @platformatic/kafka@PLATFORMATIC_2_VERSION under .cache/bench/platformatic-kafka-2 (npm, once). */
async function ensurePlatformatic2(config: Config, progress: (msg: string) => void): Promise<string> {
  const dir = path.join(config.cacheDir, 'bench', 'platformatic-kafka-2');
  const pkg = path.join(dir, 'node_modules', '@platformatic', 'kafka', 'package.json');
  if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version === PLATFORMATIC_2_VERSION) return dir;
  progress(`installing @platformatic/kafka@${PLATFORMATIC_2_VERSION} into ${dir} (for this bench only)`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "sda-bench-platformatic-kafka-2", "private": true }\n');
  await run('npm', ['install', '--save-exact', '--no-audit', '--no-fund', '--loglevel=error', `@platformatic/kafka@${PLATFORMATIC_2_VERSION}`], { cwd: dir });
  return dir;
}

function runChild(node: string, script: string, options: object): Promise<CellResult | { error: string }> {
  return new Promise((resolve) => {
    execFile(node, [script, JSON.stringify(options)], { timeout: 300_000, maxBuffer: 8 * 1_048_576, env: { ...process.env, LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (!err && line.startsWith('{')) resolve(JSON.parse(line) as CellResult);
      else resolve({ error: (stderr.trim().split('\n').find((l) => /Error|error|gave up/.test(l)) ?? err?.message ?? 'no output').slice(0, 300) });
    });
  });
}

/**
 * Runs the matrix and prints conditions, JSON and a Markdown table (median of the rounds per cell, msg/s).
 * Errors: a cell that fails is reported in its row (e.g. a client that does not run on that Node), not thrown.
 */
export async function runClientsBench(config: Config, opts: ClientsBenchOptions) {
  const progress = (msg: string) => process.stderr.write(`clients bench: ${msg}\n`);
  const platformatic2Dir = opts.clients.includes('platformatic2') ? await ensurePlatformatic2(config, progress) : undefined;
  const script = path.join(config.root, 'dist', 'bench', 'kafka-clients-child.js');
  const nodeVersion = (n: string) => new Promise<string>((r) => execFile(n, ['--version'], (e, out) => r(e ? 'does not run' : out.trim())));
  const nodes = await Promise.all(opts.nodes.map(async (n) => ({ path: n, version: await nodeVersion(n) })));
  const conditions = {
    date: new Date().toISOString(),
    host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    nodes: nodes.map((n) => `${n.version} (${n.path})`),
    workload: `${opts.messages.toLocaleString('en-US')} framed Avro MarketTicks (8 keys, about 67 bytes) produced to an empty 3-partition topic, then consumed from the earliest offset in a fresh group by the same client`,
    kafkajs: 'producer idempotent, acks=all, one request in flight per broker, 4 sends of 1,000 records queued; consumer eachBatch, 3 partitions concurrently, 16 MiB per partition',
    platformatic: 'producer idempotent, acks=all, Java-compatible partitioner, 2,000 records/request, one request in flight; consumer stream from earliest, autocommit, 64 MiB per fetch',
    broker: `Apache Kafka (KRaft, single node, same machine) at ${config.kafka.brokers.join(',')}`,
    rounds: opts.rounds,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  const versionOf = (client: ClientName) => {
    const dir = client === 'kafkajs' ? path.join(config.root, 'node_modules', 'kafkajs') : path.join(client === 'platformatic2' ? platformatic2Dir! : config.root, 'node_modules', '@platformatic', 'kafka');
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  };
  progress(JSON.stringify(conditions));
  const cells = new Map<string, Array<CellResult | { error: string }>>();
  const order = nodes.flatMap((n) => opts.clients.map((c) => ({ node: n, client: c })));
  const created: string[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    for (const cell of round % 2 === 0 ? order : [...order].reverse()) {
      const topic = `bench.clients.${cell.client}.${Date.now().toString(36)}`;
      await freshTopics(config, [{ name: topic, partitions: 3 }]);
      created.push(topic);
      progress(`round ${round + 1}/${opts.rounds}: ${cell.client} on Node ${cell.node.version}`);
      const r = await runChild(cell.node.path, script, { client: cell.client, brokers: config.kafka.brokers, topic, messages: opts.messages, platformatic2Dir });
      const key = `${cell.client} ${cell.node.path}`;
      cells.set(key, [...(cells.get(key) ?? []), r]);
      if ('error' in r) progress(`  failed: ${r.error}`);
      else progress(`  produce ${r.produce.msgsPerSec.toLocaleString('en-US')} msg/s, consume ${r.consume.msgsPerSec.toLocaleString('en-US')} msg/s`);
    }
  }
  const admin = createKafka(config, 'sda-bench-admin', { quiet: true }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: created }).catch(() => undefined);
  await admin.disconnect();
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : Math.round((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
  };
  const rows = order.map(({ node, client }) => {
    const rs = cells.get(`${client} ${node.path}`) ?? [];
    const ok = rs.filter((r): r is CellResult => !('error' in r));
    const failed = rs.filter((r): r is { error: string } => 'error' in r);
    return {
      client,
      clientVersion: versionOf(client),
      node: node.version,
      produce: median(ok.map((r) => r.produce.msgsPerSec)),
      consume: median(ok.map((r) => r.consume.msgsPerSec)),
      runs: rs.map((r) => ('error' in r ? { error: r.error } : { produce: r.produce.msgsPerSec, consume: r.consume.msgsPerSec })),
      ...(failed.length > 0 ? { error: failed[0]!.error } : {}),
    };
  });
  const report = { bench: 'clients', conditions: { ...conditions, loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))) }, rows };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const fmt = (n: number) => (Number.isNaN(n) ? 'failed' : `${n.toLocaleString('en-US')} msg/s`);
  process.stdout.write('\n| client | Node | produce (median) | consume (median) | runs (produce / consume) |\n|---|---|---|---|---|\n');
  for (const r of rows) {
    const runs = r.runs.map((x) => ('error' in x ? 'failed' : `${Math.round(x.produce / 1000)}k / ${Math.round(x.consume / 1000)}k`)).join(', ');
    process.stdout.write(`| ${r.client === 'kafkajs' ? 'kafkajs' : '@platformatic/kafka'} ${r.clientVersion} | ${r.node} | ${fmt(r.produce)} | ${fmt(r.consume)} | ${runs}${r.error ? ` (${r.error})` : ''} |\n`);
  }
  return report;
}
