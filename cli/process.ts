// `sda process <name>`: long-running consumers that turn topics into tables and derived topics.
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { startTicksSink } from '../sinks/postgres/ticks-sink.js';
import { intOption } from './options.js';
import { Progress } from './progress.js';

/** Resolves on SIGINT or SIGTERM, so a job can stop cleanly (offsets are only committed after a sink commit). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
  });
}

export function registerProcess(program: Command): Command {
  const proc = program.command('process').description('long-running stream processors and sinks (stop with Ctrl-C / SIGTERM)');
  proc
    .command('postgres-sink')
    .description('consume market.ticks into PostgreSQL market_data: COPY into staging + idempotent upsert per batch, offsets committed after the database commit, bad records to market.dlq')
    .option('--topic <name>', 'topic to consume', 'market.ticks')
    .option('--group <id>', 'consumer group (instances with the same group share partitions)', 'sda-postgres-sink')
    .option('--max-rows <n>', 'most rows per database transaction', '50000')
    .action(async (opts: { topic: string; group: string; maxRows: string }) => {
      const maxRows = intOption('--max-rows', opts.maxRows, 1, 1_000_000);
      if (!/^[A-Za-z0-9._-]{1,249}$/.test(opts.topic)) throw new Error(`--topic: ${JSON.stringify(opts.topic)} is not a valid topic name`);
      const progress = new Progress('postgres-sink');
      const sink = await startTicksSink(loadConfig(), {
        topic: opts.topic,
        groupId: opts.group,
        maxRows,
        onBatch: (c) => progress.update(c.received, `accepted ${c.accepted}, dead-lettered ${c.deadLettered}, batches ${c.batches}`),
      });
      const sig = await untilSignal();
      await sink.stop();
      process.stdout.write(`postgres-sink stopped on ${sig}: ${JSON.stringify(sink.counts)}\n`);
    });
  return proc;
}
