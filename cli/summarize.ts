// `sda summarize`: a period of market data and forecasts from PostgreSQL → MarketDocuments on market.documents
// (hourly and daily summaries, price events, forecast snapshots, the concepts corpus).
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { summarize } from '../processors/summarizer/summarizer.js';
import { DAY_MS, centralDateOf, centralMidnightUtc } from '../market/central-time.js';
import { OptionError, dateOption, listOption, topicOption } from './options.js';
import { TOPICS } from '../platform/kafka/topics.js';

/** A bare date is a Central operating day (its start, or with `end` the start of the next day); else an ISO instant. */
function periodBound(name: string, raw: string, end: boolean): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return dateOption(name, raw);
  dateOption(name, raw);
  return end ? centralMidnightUtc(centralDateOf(centralMidnightUtc(raw) + DAY_MS + 2 * 3_600_000)) : centralMidnightUtc(raw);
}

export function registerSummarize(program: Command): void {
  program
    .command('summarize')
    .description('summarize a period of market_data and forecasts into retrieval documents on market.documents (keyed by id: re-running a period replaces its documents); `sda process vector-sink` indexes them')
    .requiredOption('--from <date>', 'first Central operating day (YYYY-MM-DD) or an ISO instant')
    .requiredOption('--to <date>', 'last Central operating day, inclusive (YYYY-MM-DD), or an ISO instant (exclusive)')
    .option('--market <name>', 'market', 'ERCOT')
    .option('--series <list>', 'only these series, comma-separated (default: every hub, load zone and system series)')
    .option('--no-hourly', 'skip the hourly summaries')
    .option('--no-concepts', 'skip the concepts corpus (rag/corpus/*.md)')
    .option('--topic <name>', 'documents topic', TOPICS.documents.name)
    .action(async (opts: { from: string; to: string; market: string; series?: string; hourly: boolean; concepts: boolean; topic: string }) => {
      const from = periodBound('--from', opts.from, false);
      const to = periodBound('--to', opts.to, true);
      if (!(to > from)) throw new OptionError('--to', `${opts.to} must come after --from ${opts.from}`);
      if (to - from > 400 * DAY_MS) throw new OptionError('--from/--to', 'at most 400 days per run');
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(opts.market)) throw new OptionError('--market', `${JSON.stringify(opts.market)} is not a market name`);
      topicOption('--topic', opts.topic);
      const counts = await summarize(loadConfig(), { from, to, market: opts.market, series: listOption(opts.series), hourly: opts.hourly, concepts: opts.concepts, topic: opts.topic });
      process.stdout.write(`published ${counts.published} documents to ${opts.topic} for ${new Date(from).toISOString()} .. ${new Date(to).toISOString()}: ` +
        `${counts.daily} daily, ${counts.hourly} hourly, ${counts.events} events, ${counts.forecasts} forecast snapshots, ${counts.concepts} concepts\n`);
    });
}
