// The windower with all features: the pure core alone, then the Kafka processor with exactly-once transactions
// over a pre-produced topic, then live (records produced while it runs) for the end-to-end lag; the broker's own
// produce/consume round trip of the same records is measured in the same run as the reference.
import os from 'node:os';
import type { Config } from '../platform/config.js';
import { startWindower } from '../processors/windower/processor.js';
import { PartitionWindower } from '../processors/windower/windower.js';
import { simulateStaleness } from '../processors/windower/staleness.js';
import type { MarketTick } from '../schemas/types.js';
import { BulkProducer, createConsumer } from '../platform/kafka/client.js';
import { freshTopics } from './topics.js';
import { provision } from '../platform/kafka/provision.js';
import { simulateMarket } from '../streams/simulator/market.js';

const perSec = (n: number, ms: number) => Math.round((n / ms) * 1_000);

export async function runWindowerBench(config: Config, opts: { days: number }) {
  const ticks: MarketTick[] = [...simulateMarket({ start: Date.UTC(2024, 0, 1, 6), days: opts.days, seed: 3 })];
  const series = new Set(ticks.map((t) => `${t.seriesId}|${t.kind}`)).size;
  const results: Record<string, unknown> = {};

  // 1. The pure core: one PartitionWindower over every tick, all features. One untimed pass of each mode first, so
  // neither timed pass pays the JIT warm-up (1 and 1b are compared with each other).
  for (const fire of [true, false]) {
    const warm = new PartitionWindower({ stepMs: 3_600_000, fireWhenComplete: fire });
    for (const t of ticks) warm.add(t, t.ingestedAt);
  }
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const core = new PartitionWindower({ stepMs: 3_600_000 });
  let t0 = performance.now();
  let windows = 0;
  for (const t of ticks) windows += core.add(t, t.ingestedAt).windows.length;
  const coreMs = performance.now() - t0;
  global.gc?.();
  const heapPerSeries = Math.round((process.memoryUsage().heapUsed - heap0) / series);
  const snapshotPerSeries = Math.round(JSON.stringify(core.snapshot()).length / series);
  results['1 core: PartitionWindower.add, all features'] = { ticks: ticks.length, perSec: perSec(ticks.length, coreMs), windows, series, heapBytesPerSeries: heapPerSeries, snapshotBytesPerSeries: snapshotPerSeries };
  // 1b. Baseline in the same run: the core with early firing off (the watermark-only windower before issue 12).
  const watermarkOnly = new PartitionWindower({ stepMs: 3_600_000, fireWhenComplete: false });
  t0 = performance.now();
  let windowsB = 0;
  for (const t of ticks) windowsB += watermarkOnly.add(t, t.ingestedAt).windows.length;
  results['1b core baseline: watermark only (fireWhenComplete false)'] = { ticks: ticks.length, perSec: perSec(ticks.length, performance.now() - t0), windows: windowsB };
  // 1c. Data-to-forecast staleness (newest tick end - newest window end = forecast target start), both ways.
  const hours = (ms: number) => Math.round((ms / 3_600_000) * 1_000) / 1_000;
  for (const [label, fire] of [['after: fire when complete', true], ['before: watermark only', false]] as const) {
    const s = simulateStaleness(ticks, { stepMs: 3_600_000, fireWhenComplete: fire });
    results[`1c staleness at each hour's data in, ${label}`] = { samples: s.samples, meanHours: hours(s.meanMs), p50Hours: hours(s.p50Ms), maxHours: hours(s.maxMs), note: 'newest tick end - newest window end (= forecast target start)' };
  }

  const p = await provision(config, 'sda-bench-windower');
  const input = 'bench.windower.in';
  await freshTopics(config, [{ name: input }, { name: 'bench.windower.out' }, { name: 'bench.windower.changelog', compact: true, partitions: 1 }]);
  const encoded = ticks.map((t) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t) }));
  const producer = new BulkProducer(config, 'sda-bench-windower');
  t0 = performance.now();
  for (let i = 0; i < encoded.length; i += 2_000) await producer.send(input, encoded.slice(i, i + 2_000));
  results['2 broker reference: produce (bulk producer, acks=all)'] = { ticks: encoded.length, perSec: perSec(encoded.length, performance.now() - t0) };

  // 2b. Broker reference: consume the same records back, no processing.
  const reader = createConsumer(p.kafka, `bench-reader-${Date.now()}`, { maxBytesPerPartition: 4 * 1_048_576 });
  await reader.connect();
  await reader.subscribe({ topic: input, fromBeginning: true });
  let seen = 0;
  let firstAt = 0;
  let lastAt = 0;
  reader.on(reader.events.GROUP_JOIN, () => { firstAt ||= performance.now(); });
  await reader.run({ eachBatch: async ({ batch }) => { seen += batch.messages.length; lastAt = performance.now(); } });
  while (seen < encoded.length) await new Promise((r) => setTimeout(r, 20));
  await reader.disconnect();
  results['2b broker reference: consume (kafkajs eachBatch)'] = { ticks: seen, perSec: perSec(seen, lastAt - firstAt) };

  // 3. The processor over the pre-produced topic: decode, windows, transactions (windows + changelog + offsets).
  // Timed from the group join (partitions assigned, nothing fetched yet) to the last commit: restore, fetches,
  // decoding, windows and every transaction included.
  let started = 0;
  let done = 0;
  const w = await startWindower(config, { inputTopic: input, outputTopic: 'bench.windower.out', changelogTopic: 'bench.windower.changelog', groupId: `bench-windower-${Date.now()}`, onGroupJoin: () => { started ||= performance.now(); }, onBatch: (c) => { if (c.received >= encoded.length && !done) done = performance.now(); } }, p);
  while (!done) await new Promise((r) => setTimeout(r, 20));
  results['3 processor: consume + decode + windows + features + transactions (catch-up)'] = { ticks: w.counts.received, perSec: perSec(w.counts.received, done - started), windows: w.counts.windows, transactions: w.counts.transactions, note: 'from the group join to the last commit' };

  // 4. Live: the next block of simulated time produced in batches while the processor runs; lag per transaction.
  const lags: number[] = [];
  const live = [...simulateMarket({ start: Date.UTC(2024, 0, 1, 6) + opts.days * 86_400_000, days: 7, seed: 3 })].map((t) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t) }));
  const before = w.counts.received;
  const target = before + live.length;
  let lastTx = w.counts.transactions;
  const lagTimer = setInterval(() => { if (w.counts.transactions !== lastTx) { lastTx = w.counts.transactions; lags.push(w.counts.lastLagMs); } }, 1);
  for (let i = 0; i < live.length; i += 500) {
    await producer.send(input, live.slice(i, i + 500));
    await new Promise((r) => setTimeout(r, 25)); // about 20,000 ticks/s offered
  }
  while (w.counts.received < target) await new Promise((r) => setTimeout(r, 20));
  clearInterval(lagTimer);
  await producer.close();
  await w.stop();
  lags.sort((a, b) => a - b);
  const q = (f: number) => lags[Math.min(lags.length - 1, Math.floor(f * lags.length))] ?? null;
  results['4 live: produce-to-committed-window lag'] = { ticks: live.length, offeredPerSec: 20_000, transactions: lags.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: lags[lags.length - 1] ?? null };

  const report = { bench: 'windower', conditions: { date: new Date().toISOString(), host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; broker and Node on this machine`, node: process.version, days: opts.days, step: 'hourly windows of 24 points', partitions: config.kafka.partitions }, results };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n| stage | ticks/s |\n|---|---|\n`);
  for (const [k, v] of Object.entries(results)) if ('perSec' in (v as object)) process.stdout.write(`| ${k} | ${(v as { perSec: number }).perSec.toLocaleString('en-US')} |\n`);
  return report;
}
