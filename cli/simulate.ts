// `sda simulate`: a deterministic ERCOT-like market, published to market.ticks or written to a CSV file.
import fs from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { ensureOutputTopics, ensureTicksTopic, provision } from '../platform/kafka/provision.js';
import { runScope } from './process.js';
import { toSdaCsvLine, SDA_CSV_HEADER } from '../streams/replay/sda-csv.js';
import { DEFAULT_PRICE_NODES, seriesCatalog } from '../streams/simulator/catalog.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { TickPublisher } from '../streams/tick-publisher.js';
import { OptionError, alignedDateOption, intOption, listOption, numberOption, outputFileOption } from './options.js';
import { Progress } from '../platform/progress.js';
import { TOPICS } from '../platform/kafka/topics.js';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('generate a realistic ERCOT-like market (hubs, load zones, weather-zone load, wind, solar; RT 15-min and DAM hourly prices), deterministic for a seed, and publish it to market.ticks or write it as CSV')
    .option('--days <n>', 'days to simulate: whole 15-minute intervals (0.25 = 6 h), up to 3660', '7')
    .option('--start <date>', 'first interval, ISO date or date-time (UTC), aligned to 15 minutes', '2024-07-01')
    .option('--seed <n>', 'random seed; the same seed gives identical output', '42')
    .option('--nodes <list>', `comma-separated price nodes (default all: ${DEFAULT_PRICE_NODES.join(',')})`)
    .option('--no-system', 'leave out system load, wind, solar and weather-zone loads')
    .option('--topic <name>', `publish to this topic instead of ${TOPICS.ticks.name}; created if missing`, TOPICS.ticks.name)
    .option('--run <name>', 'publish to the run-scoped topic run.NAME.ticks (dead letters to run.NAME.dlq), created if missing')
    .option('--out <file>', 'write the ticks to this CSV file (the format `sda replay` reads) instead of publishing')
    .addHelpText('after', '\nThe model is documented in streams/simulator/README.md.')
    .action(async (opts: { days: string; start: string; seed: string; nodes?: string; system: boolean; out?: string; topic: string; run?: string }, cmd: Command) => {
      const simOpts = {
        days: quarterDaysOption(opts.days),
        start: alignedDateOption('--start', opts.start, 15),
        seed: intOption('--seed', opts.seed, 0, Number.MAX_SAFE_INTEGER),
        nodes: listOption(opts.nodes),
        includeSystem: opts.system,
      };
      const perDay = seriesCatalog(simOpts).reduce((n, s) => n + 86_400_000 / s.stepMs, 0);
      const total = Math.round(perDay * simOpts.days);
      const progress = new Progress('simulate', total);
      const t0 = Date.now();
      let n = 0;
      if (opts.out) {
        const out = fs.createWriteStream(opts.out, { fd: outputFileOption('--out', opts.out) });
        out.write(`${SDA_CSV_HEADER}\n`);
        let chunk = '';
        for (const tick of simulateMarket(simOpts)) {
          chunk += `${toSdaCsvLine(tick)}\n`;
          if (++n % 5_000 === 0) {
            if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
            chunk = '';
            progress.update(n);
          }
        }
        out.write(chunk);
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        progress.done(n);
        process.stdout.write(`wrote ${n.toLocaleString('en-US')} ticks to ${opts.out} in ${((Date.now() - t0) / 1_000).toFixed(1)} s\n`);
        return;
      }
      const config = loadConfig();
      const p = await provision(config, 'sda-simulate');
      const set = runScope(cmd, opts.run, ['topic']);
      if (set) {
        opts.topic = set.ticks.name;
        await ensureOutputTopics(config, p, [set.ticks, set.deadLetters]);
      } else await ensureTicksTopic(config, p, opts.topic);
      const publisher = new TickPublisher(config, p, 'simulator', { topic: opts.topic, deadLetterTopic: set?.deadLetters.name });
      let batch = [];
      for (const tick of simulateMarket(simOpts)) {
        batch.push({ ok: true as const, tick });
        if (batch.length === 2_000) {
          await publisher.add(batch);
          batch = [];
          n += 2_000;
          progress.update(n);
        }
      }
      await publisher.add(batch);
      n += batch.length;
      const counts = await publisher.close();
      progress.done(n);
      const secs = (Date.now() - t0) / 1_000;
      process.stdout.write(`published ${counts.accepted.toLocaleString('en-US')} ticks to ${opts.topic} (${counts.deadLettered} dead-lettered) in ${secs.toFixed(1)} s, ${Math.round(counts.accepted / secs).toLocaleString('en-US')} ticks/s\n`);
    });
}

/** --days: a number of days from 1/96 (one 15-minute interval) to 3660 that is a whole number of 15-minute intervals. */
function quarterDaysOption(raw: string): number {
  const days = numberOption('--days', raw, 0, 3_660);
  if (days === 0 || Math.abs(days * 96 - Math.round(days * 96)) > 1e-9) throw new OptionError('--days', `must be a whole number of 15-minute intervals (a multiple of 1/96 day, e.g. 0.25 or 1.5), got ${JSON.stringify(raw)}`);
  return days;
}
