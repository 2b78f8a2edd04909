// The windower's restore: how long a started instance takes from its group join to every assigned partition's state
// restored from the changelog (producers initialised, which fences a previous owner, then the changelog read). The
// changelog is filled first by one run over simulated ticks; then each round starts an instance in the same group,
// times the restore of all its partitions and stops it.
import os from 'node:os';
import type { Config } from '../platform/config.js';
import { startWindower } from '../processors/windower/processor.js';
import { BulkProducer } from '../platform/kafka/client.js';
import { provision } from '../platform/kafka/provision.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { freshTopics } from './topics.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` holds, polling every 20 ms; throws naming `what` after `ms`. */
async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`windower-restore bench: ${what} did not happen within ${ms} ms`);
    await sleep(20);
  }
}

/**
 * Restore time of the windower over `partitions` input partitions (one changelog partition, as the catalogue's),
 * `rounds` times: ms from the group join (onGroupJoin) to the last partition's state ready (onPartitionReady).
 * Prints the conditions and the figures as JSON and a Markdown table. Errors: Kafka and registry errors; a restore that
 * does not finish within 120 s.
 */
export async function runWindowerRestoreBench(config: Config, opts: { partitions: number; days: number; rounds: number }) {
  const p = await provision(config, 'sda-bench-windower-restore');
  const input = 'bench.restore.in';
  const output = 'bench.restore.out';
  const changelog = 'bench.restore.changelog';
  await freshTopics(config, [{ name: input, partitions: opts.partitions }, { name: output }, { name: changelog, compact: true, partitions: 1 }]);
  const ticks = [...simulateMarket({ start: Date.UTC(2024, 0, 1, 6), days: opts.days, seed: 3 })];
  const series = new Set(ticks.map((t) => `${t.seriesId}|${t.kind}`)).size;
  const producer = new BulkProducer(config, 'sda-bench-windower-restore');
  const encoded = ticks.map((t) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t) }));
  for (let i = 0; i < encoded.length; i += 2_000) await producer.send(input, encoded.slice(i, i + 2_000));
  await producer.close();
  const groupId = `bench-windower-restore-${Date.now()}`;
  const common = { inputTopic: input, outputTopic: output, changelogTopic: changelog, groupId };

  // Fill the changelog: one run over every tick.
  let received = 0;
  const fill = await startWindower(config, { ...common, onBatch: (c) => void (received = c.received) }, p);
  await until(`the first run's ${encoded.length} ticks`, 300_000, () => received >= encoded.length);
  await fill.stop();

  const restoreMs: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    let joined = 0;
    let readyAt = 0;
    const ready = new Set<number>();
    const w = await startWindower(config, {
      ...common,
      onGroupJoin: () => void (joined ||= performance.now()),
      onPartitionReady: (partition) => {
        ready.add(partition);
        if (ready.size === opts.partitions) readyAt ||= performance.now();
      },
    }, p);
    await until(`round ${r + 1}: every partition's state ready`, 120_000, () => readyAt > 0);
    await w.stop();
    restoreMs.push(Math.round(readyAt - joined));
  }
  const sorted = [...restoreMs].sort((a, b) => a - b);
  const results = { ticks: encoded.length, series, restoreMs, medianMs: sorted[Math.floor(sorted.length / 2)], minMs: sorted[0], maxMs: sorted[sorted.length - 1] };
  const report = {
    bench: 'windower-restore',
    conditions: { date: new Date().toISOString(), host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; broker and Node on this machine`, node: process.version, partitions: opts.partitions, changelogPartitions: 1, days: opts.days, rounds: opts.rounds },
    results,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n| partitions | rounds | restore median ms | min | max |\n|---|---|---|---|---|\n| ${opts.partitions} | ${opts.rounds} | ${results.medianMs} | ${results.minMs} | ${results.maxMs} |\n`);
  return report;
}
