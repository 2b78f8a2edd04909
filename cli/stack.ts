// `sda stack up|down|status`: the local services, no Docker needed.
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { SERVICE_NAMES, formatStatus, stackDown, stackProvision, stackStatus, stackUp } from '../deploy/local/stack.js';

export function registerStack(program: Command): void {
  const stack = program
    .command('stack')
    .description('install (first time), start, stop and check the local services: PostgreSQL, Kafka, schema registry, Prometheus');

  stack
    .command('up')
    .description('install on first use (cached under .cache/), start and health-check the services; apply migrations, create topics, register schemas. Safe to run twice.')
    .argument('[services...]', `only these (${SERVICE_NAMES.join(', ')})`)
    .action(async (only: string[]) => {
      const config = loadConfig();
      const t0 = Date.now();
      process.stderr.write('sda stack up\n');
      await stackUp(config, { only });
      process.stdout.write(`${formatStatus(await stackStatus(config))}\nstack up in ${((Date.now() - t0) / 1_000).toFixed(1)} s; logs in ${config.cacheDir}/logs\n`);
    });

  stack
    .command('provision')
    .description('apply migrations, create topics and register schemas on the services the environment names (PGHOST, KAFKA_BROKERS, SCHEMA_REGISTRY_URL), installing and starting nothing: for containers and Kubernetes (deploy/k8s). Safe to run twice.')
    .action(async () => {
      const config = loadConfig();
      process.stderr.write('sda stack provision\n');
      const r = await stackProvision(config);
      process.stdout.write(`provisioned: ${r.migrations.length} migration(s) applied, ${r.createdTopics.length} topic(s) created\n`);
    });

  stack
    .command('down')
    .description('stop the services (data stays in .cache/ for the next `stack up`)')
    .argument('[services...]', `only these (${SERVICE_NAMES.join(', ')})`)
    .action(async (only: string[]) => {
      const config = loadConfig();
      await stackDown(config, { only });
      process.stdout.write(`${formatStatus(await stackStatus(config))}\n`);
    });

  stack
    .command('status')
    .description('print each service, its port and whether it answers; exit code 3 if any is down')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const rows = await stackStatus(loadConfig());
      process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatStatus(rows)}\n`);
      if (rows.some((r) => !r.up)) process.exitCode = 3;
    });
}
