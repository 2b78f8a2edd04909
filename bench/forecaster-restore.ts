// The forecaster's state rebuild on assignment (processors/forecaster/restore.ts): per partition, the time from the
// set-up's start (fence, committed offset) through the read-back of the trailing windows to the state replayed, and
// the records read, for a model that serves steps from last week (the history alone: 8 days and 1 h) and for one with the
// online band (ONLINE_BAND_DEFAULTS: its window and horizon too, and every served window through the model again).
// The input is first consumed by one run (the group's offsets at the end); each round starts the forecaster on the
// same group and times the rebuilds, then stops it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { ONLINE_BAND_DEFAULTS } from '../model/online-band.js';
import { type PartitionRestore, startForecaster } from '../processors/forecaster/processor.js';
import { writeRandomModel } from '../processors/forecaster/random-model.js';
import { PartitionWindower } from '../processors/windower/windower.js';
import type { FeatureWindow } from '../schemas/types.js';
import { BulkProducer } from '../platform/kafka/client.js';
import { provision } from '../platform/kafka/provision.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { freshTopics } from './topics.js';

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`forecaster-restore bench: ${what} did not happen within ${ms} ms`);
    await sleep(20);
  }
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/**
 * Rebuild figures over `days` simulated days of every series of the simulated market (hourly windows), `partitions`
 * input partitions, `rounds` restarts per model. Prints the conditions and figures as JSON and a Markdown table.
 * Errors: Kafka and registry errors; a rebuild that does not finish within 300 s.
 */
export async function runForecasterRestoreBench(config: Config, opts: { partitions: number; days: number; rounds: number }) {
  const p = await provision(config, 'sda-bench-forecaster-restore');
  const input = 'bench.fc-restore.in';
  // One output topic per model: an ACI model's rebuild reads its own served bands back from its output (another
  // model's forecasts there would be read as its own).
  const outputOf = (m: number) => `bench.fc-restore.out.${m}`;
  await freshTopics(config, [{ name: input, partitions: opts.partitions }]);
  const core = new PartitionWindower({ stepMs: HOUR });
  const windows: FeatureWindow[] = [];
  for (const t of simulateMarket({ start: Date.UTC(2024, 0, 1, 6), days: opts.days, seed: 3 })) windows.push(...core.add(t, t.ingestedAt).windows);
  const series = new Set(windows.map((w) => `${w.seriesId}|${w.kind}`)).size;
  const producer = new BulkProducer(config, 'sda-bench-forecaster-restore');
  const encoded = windows.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w) }));
  for (let i = 0; i < encoded.length; i += 2_000) await producer.send(input, encoded.slice(i, i + 2_000));
  await producer.close();

  const H = 36;
  const lastWeek = { steps: Array.from({ length: 13 }, (_, i) => 24 + i) };
  const models = [
    { name: 'last week (history only)', options: {} },
    { name: `online band (${ONLINE_BAND_DEFAULTS.method} ${ONLINE_BAND_DEFAULTS.windowDays} d)`, options: { onlineBand: { ...ONLINE_BAND_DEFAULTS, trained: { below: new Array<number>(H).fill(5), above: new Array<number>(H).fill(5) } } } },
  ];
  const rows: Array<Record<string, unknown>> = [];
  for (const [m, model] of models.entries()) {
    await freshTopics(config, [{ name: outputOf(m), partitions: opts.partitions }]);
    const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-bench-registry-'));
    try {
      await writeRandomModel(registry, { version: `bench-restore-${m}-${Date.now()}`, market: 'ERCOT', kind: 'RT_PRICE', horizon: H, units: 32, seed: 1, stepSources: new Array<string>(H).fill('lstm'), lastWeek, ...model.options });
      const common = { inputTopic: input, outputTopic: outputOf(m), groupId: `bench-forecaster-restore-${m}-${Date.now()}`, registryDir: registry, pollMs: 60_000 };
      let received = 0;
      const fill = await startForecaster(config, { ...common, onBatch: (c) => void (received = c.received) }, p);
      await until(`the first run's ${encoded.length} windows`, 600_000, () => received >= encoded.length);
      await fill.stop();
      const rounds: Array<{ wallMs: number; restores: PartitionRestore[] }> = [];
      for (let r = 0; r < opts.rounds; r++) {
        const restores: PartitionRestore[] = [];
        const t0 = performance.now();
        let doneAt = 0;
        const f = await startForecaster(config, {
          ...common,
          onRestore: (x) => {
            restores.push(x);
            if (restores.length === opts.partitions) doneAt ||= performance.now();
          },
        }, p);
        await until(`round ${r + 1}: every partition rebuilt`, 300_000, () => doneAt > 0);
        await f.stop();
        rounds.push({ wallMs: Math.round(doneAt - t0), restores });
      }
      const per = rounds.flatMap((r) => r.restores);
      rows.push({
        model: model.name,
        spanDays: Number((per[0]!.spanMs / 86_400_000).toFixed(2)),
        recordsReadPerRound: median(rounds.map((r) => r.restores.reduce((n, x) => n + x.records, 0))),
        windowsInTopic: encoded.length,
        readsPerPartition: median(per.map((x) => x.reads)),
        partitionMsMedian: Math.round(median(per.map((x) => x.ms))),
        partitionMsMax: Math.round(Math.max(...per.map((x) => x.ms))),
        readMsMedian: Math.round(median(per.map((x) => x.readMs))),
        inferMsMedian: Math.round(median(per.map((x) => x.inferMs))),
        replayMsMedian: Math.round(median(per.map((x) => x.replayMs))),
        startToAllRebuiltMsMedian: median(rounds.map((r) => r.wallMs)),
        bandsPerRound: rounds[0]!.restores.reduce((n, x) => n + x.bands, 0),
        slotsPerRound: rounds[0]!.restores.reduce((n, x) => n + x.slots, 0),
        servedForecastsPerRound: rounds[0]!.restores.reduce((n, x) => n + x.servedForecasts, 0),
      });
    } finally {
      await rm(registry, { recursive: true, force: true });
    }
  }
  const report = {
    bench: 'forecaster-restore',
    conditions: { date: new Date().toISOString(), host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; broker and Node on this machine`, node: process.version, partitions: opts.partitions, days: opts.days, series, windows: encoded.length, rounds: opts.rounds, horizon: H },
    results: rows,
  };
  const table = ['| model | span (days) | records read (all partitions) | of windows in topic | reads per partition | rebuild ms per partition median / max | of which read / inference / replay (medians) | start → all rebuilt ms (median) | bands | slots | served forecasts read back |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) table.push(`| ${r.model} | ${r.spanDays} | ${r.recordsReadPerRound} | ${r.windowsInTopic} | ${r.readsPerPartition} | ${r.partitionMsMedian} / ${r.partitionMsMax} | ${r.readMsMedian} / ${r.inferMsMedian} / ${r.replayMsMedian} | ${r.startToAllRebuiltMsMedian} | ${r.bandsPerRound} | ${r.slotsPerRound} | ${r.servedForecastsPerRound} |`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n${table.join('\n')}\n`);
  return report;
}
