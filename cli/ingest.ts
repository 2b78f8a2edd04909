// `sda ingest`: market data in from real sources.
import type { Command } from 'commander';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../platform/config.js';
import { ensureTicksTopic, provision } from '../platform/kafka/provision.js';
import { TOPICS } from '../platform/kafka/topics.js';
import { ensureTaylorCsv, taylorParsed } from '../streams/taylor.js';
import { TickPublisher } from '../streams/tick-publisher.js';
import { createPool } from '../platform/postgres/pool.js';
import { finishRun, startRun } from '../streams/ercot/checkpoints.js';
import { ErcotClient, ercotCredentials } from '../streams/ercot/client.js';
import { runIngest, runSchedule, type IngestRunResult } from '../streams/ercot/ingest-job.js';
import { REPORT_IDS, type ReportId } from '../streams/ercot/reports.js';
import { DEFAULT_MAX_GAP } from '../streams/imputation.js';
import { OptionError, intOption, listOption, topicOption } from './options.js';
import { untilSignal } from './process.js';

export function registerIngest(program: Command): Command {
  const ingest = program.command('ingest').description('market data in from real sources: the ERCOT public API (schedule, backfill) and the real taylor demand series');
  ingest
    .command('taylor')
    .description('publish the real taylor series (half-hourly England & Wales demand, June-August 2000, 4,032 values, from Debian r-cran-forecast) as series TAYLOR_EW')
    .option('--topic <name>', `publish to this topic instead of ${TOPICS.ticks.name} (created if missing)`, TOPICS.ticks.name)
    .action(async (opts: { topic: string }) => {
      const topic = topicOption('--topic', opts.topic);
      const config = loadConfig();
      const file = await ensureTaylorCsv(config, (m) => process.stderr.write(`taylor: ${m}\n`));
      const items = taylorParsed(fs.readFileSync(file, 'utf8'), Date.now());
      const p = await provision(config, 'sda-ingest');
      await ensureTicksTopic(config, p, topic);
      const pool = createPool(config, 1);
      const runId = randomUUID();
      const first = items.find((i) => i.ok);
      await startRun(pool, { runId, job: 'import', report: 'taylor', from: first?.ok ? first.tick.intervalStart : null, to: null });
      const publisher = new TickPublisher(config, p, 'ingest-taylor', { topic });
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
  ingest
    .command('schedule')
    .description('poll the ERCOT public API every interval (hourly by default): each run fetches from the report\'s checkpoint to today, publishes only intervals after it, and records itself in ingest_runs')
    .option('--reports <list>', `reports to poll (${REPORT_IDS.join(',')})`, REPORT_IDS.join(','))
    .option('--interval-minutes <n>', 'minutes between polls', '60')
    .option('--lookback-days <n>', 'how far back the first run (no checkpoint yet) starts', '2')
    .option('--max-gap <n>', 'fill at most this many consecutive missing values per series (0 = never)', String(DEFAULT_MAX_GAP))
    .option('--once', 'run each report once and exit')
    .option('--topic <name>', `publish to this topic instead of ${TOPICS.ticks.name} (created if missing)`, TOPICS.ticks.name)
    .addHelpText('after', `\nNeeds ERCOT_API_SUBSCRIPTION_KEY, ERCOT_API_USERNAME and ERCOT_API_PASSWORD (ERCOT API Explorer account); ERCOT_API_BASE_URL and ERCOT_TOKEN_URL override the endpoints.`)
    .action(async (opts: { reports: string; intervalMinutes: string; lookbackDays: string; maxGap: string; once?: boolean; topic: string }) => {
      const reports = reportList(opts.reports);
      const intervalMs = intOption('--interval-minutes', opts.intervalMinutes, 1, 24 * 60) * 60_000;
      const lookbackDays = intOption('--lookback-days', opts.lookbackDays, 0, 366);
      const maxGap = intOption('--max-gap', opts.maxGap, 0, 96);
      await withErcot('schedule', maxGap, topicOption('--topic', opts.topic), async (deps) => {
        const controller = new AbortController();
        void untilSignal().then(() => controller.abort());
        const results = await runSchedule(deps, { reports, intervalMs, lookbackDays, once: Boolean(opts.once), signal: controller.signal, onRun: printRun });
        return results;
      });
    });

  ingest
    .command('backfill')
    .description('fetch and publish ERCOT reports for a range of delivery days (US/Central), one run per report, recorded in ingest_runs')
    .requiredOption('--from <date>', 'first delivery day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last delivery day, YYYY-MM-DD (inclusive)')
    .option('--reports <list>', `reports (${REPORT_IDS.join(',')})`, REPORT_IDS.join(','))
    .option('--max-gap <n>', 'fill at most this many consecutive missing values per series (0 = never)', String(DEFAULT_MAX_GAP))
    .option('--topic <name>', `publish to this topic instead of ${TOPICS.ticks.name} (created if missing)`, TOPICS.ticks.name)
    .action(async (opts: { from: string; to: string; reports: string; maxGap: string; topic: string }) => {
      for (const [name, v] of [['--from', opts.from], ['--to', opts.to]] as const) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new OptionError(name, `expected a date YYYY-MM-DD, got ${JSON.stringify(v)}`);
      }
      if (opts.from > opts.to) throw new OptionError('--from', `${opts.from} is after --to ${opts.to}`);
      if ((Date.parse(opts.to) - Date.parse(opts.from)) / 86_400_000 > 366) throw new OptionError('--from/--to', 'at most 366 days per backfill');
      const reports = reportList(opts.reports);
      const maxGap = intOption('--max-gap', opts.maxGap, 0, 96);
      await withErcot('backfill', maxGap, topicOption('--topic', opts.topic), async (deps) => {
        const results: IngestRunResult[] = [];
        for (const report of reports) {
          const r = await runIngest(deps, report, opts.from, opts.to, 'backfill', false);
          printRun(r);
          results.push(r);
        }
        return results;
      });
    });
  return ingest;
}

function reportList(raw: string): ReportId[] {
  const list = listOption(raw) ?? [];
  const bad = list.filter((r) => !(REPORT_IDS as readonly string[]).includes(r));
  if (bad.length || list.length === 0) throw new OptionError('--reports', `unknown report ${bad.join(', ') || '(none)'}; reports are ${REPORT_IDS.join(', ')}`);
  return list as ReportId[];
}

function printRun(r: IngestRunResult): void {
  process.stdout.write(`${new Date().toISOString()} ${r.report} ${r.from}..${r.to} ${r.status}: ${r.accepted} ticks published (${r.imputed} imputed), ${r.deadLettered} dead-lettered, ${r.skippedCovered} already covered${r.emptyDays.length > 0 ? `; EMPTY day(s) with no rows from ERCOT: ${r.emptyDays.join(', ')} (fetched again next run)` : ''}${r.error ? `; error: ${r.error}` : ''} [run ${r.runId}]\n`);
}

/** Config and the ERCOT credentials first (a clear error and non-zero exit without them), then Kafka, the registry and PostgreSQL. */
async function withErcot(job: string, maxGap: number, topic: string, body: (deps: Parameters<typeof runIngest>[0]) => Promise<IngestRunResult[]>): Promise<void> {
  const config = loadConfig();
  const credentials = ercotCredentials(config.ercot);
  const p = await provision(config, `sda-ingest-${job}`);
  await ensureTicksTopic(config, p, topic);
  const pool = createPool(config, 2);
  const publisher = new TickPublisher(config, p, `ingest-${job}`, { topic });
  try {
    const onPage = (report: string, page: number, total: number) => process.stderr.write(`${report}: page ${page}/${total}\n`);
    // Checkpoints belong to the stream they record: another topic keeps its own.
    const checkpointPrefix = topic === TOPICS.ticks.name ? undefined : `${topic}:`;
    const results = await body({ client: new ErcotClient(credentials), publisher, pool, maxGap, onPage, checkpointPrefix });
    if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
  } finally {
    await publisher.close();
    await pool.end();
  }
}
