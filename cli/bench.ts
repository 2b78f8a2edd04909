// `sda bench <name>`: runs a benchmark from bench/ and prints its figures and conditions.
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { runIngestBench } from '../bench/ingest.js';
import { runWindowerBench } from '../bench/windower.js';
import { runRoundtripBench } from '../bench/roundtrip.js';
import { numberOption } from './options.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks: print figures and the conditions they were measured under (see bench/RESULTS.md)');
  bench
    .command('roundtrip')
    .description('produce N Avro MarketTicks through the real broker and registry, then consume and decode them; raw-bytes baseline in the same run')
    .option('-n, --messages <count>', 'messages per phase', '1000000')
    .option('--batch <size>', 'records per produce request (bulk producer)', '2000')
    .option('--skip-baseline', 'skip the raw-bytes baseline run')
    .action(async (opts: { messages: string; batch: string; skipBaseline?: boolean }) => {
      const n = Number(opts.messages);
      const batch = Number(opts.batch);
      if (!Number.isInteger(n) || n < 1 || n > 50_000_000) throw new Error(`--messages must be an integer from 1 to 50000000, got ${opts.messages}`);
      if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) throw new Error(`--batch must be an integer from 1 to 100000, got ${opts.batch}`);
      await runRoundtripBench(loadConfig(), { messages: n, batch, baseline: !opts.skipBaseline });
    });
  bench
    .command('ingest')
    .description('simulator → Kafka → PostgreSQL sink: ticks/s per stage and end to end, with PostgreSQL COPY alone as the ceiling')
    .option('--days <n>', 'simulated days (all series; 365 days = 569,400 ticks)', '365')
    .action(async (opts: { days: string }) => {
      await runIngestBench(loadConfig(), { days: numberOption('--days', opts.days, 1, 3_660) });
    });
  bench
    .command('windower')
    .description('the windower with all features: pure core, the exactly-once Kafka processor (catch-up), live lag, with the broker\'s produce/consume as the reference')
    .option('--days <n>', 'simulated days of all series (90 days = 140,400 ticks)', '90')
    .action(async (opts: { days: string }) => {
      await runWindowerBench(loadConfig(), { days: numberOption('--days', opts.days, 1, 3_660) });
    });
}
