// `sda ingest`: market data in from real sources.
import type { Command } from 'commander';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config/config.js';
import { provision } from '../streams/kafka/provision.js';
import { ensureTaylorCsv, taylorParsed } from '../streams/taylor.js';
import { TickPublisher } from '../streams/tick-publisher.js';
import { createPool } from '../sinks/postgres/pool.js';
import { finishRun, startRun } from '../sinks/postgres/ingest-runs.js';

export function registerIngest(program: Command): Command {
  const ingest = program.command('ingest').description('market data in from real sources: the ERCOT public API (schedule, backfill) and the real taylor demand series');
  ingest
    .command('taylor')
    .description('publish the real taylor series (half-hourly England & Wales demand, June-August 2000, 4,032 values, from Debian r-cran-forecast) as series TAYLOR_EW')
    .action(async () => {
      const config = loadConfig();
      const file = await ensureTaylorCsv(config, (m) => process.stderr.write(`taylor: ${m}\n`));
      const items = taylorParsed(fs.readFileSync(file, 'utf8'), Date.now());
      const p = await provision(config, 'sda-ingest');
      const pool = createPool(config, 1);
      const runId = randomUUID();
      const first = items.find((i) => i.ok);
      await startRun(pool, { runId, job: 'import', report: 'taylor', from: first?.ok ? first.tick.intervalStart : null, to: null });
      const publisher = new TickPublisher(config, p, 'ingest-taylor');
      try {
        await publisher.add(items);
        const counts = await publisher.close();
        await finishRun(pool, runId, counts, 'succeeded');
        process.stdout.write(`taylor: published ${counts.accepted} ticks of TAYLOR_EW (${counts.deadLettered} dead-lettered), run ${runId}\n`);
      } catch (err) {
        await finishRun(pool, runId, publisher.counts, 'failed', (err as Error).message);
        throw err;
      } finally {
        await pool.end();
      }
    });
  return ingest;
}
