// `sda summarize`: a period of market data and forecasts from PostgreSQL → MarketDocuments on market.documents
// (hourly and daily summaries, price events, forecast snapshots, the concepts corpus).
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { summarize } from '../processors/summarizer/summarizer.js';
import { DAY_MS, addCentralDays } from '../market/central-time.js';
import { type ZoneClock, marketClock } from '../market/zone-clock.js';
import { OptionError, dateOption, listOption, topicOption } from './options.js';
import { TOPICS } from '../platform/kafka/topics.js';

/**
 * A bare date is a day on the market's clock (ERCOT: a Central operating day; GB: a UK day; market/zone-clock.ts): its
 * start, or with `end` the start of the next day, UTC ms; else an ISO instant.
 */
function periodBound(name: string, raw: string, end: boolean, clock: ZoneClock): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return dateOption(name, raw);
  dateOption(name, raw);
  return clock.midnightUtc(end ? addCentralDays(raw, 1) : raw);
}

export function registerSummarize(program: Command): void {
  program
    .command('summarize')
    .description('summarize a period of market_data and forecasts into retrieval documents on market.documents (keyed by id: re-running a period replaces its documents); `sda process vector-sink` indexes them')
    .requiredOption('--from <date>', "first day on the market's clock (YYYY-MM-DD: ERCOT's Central operating day, GB's UK day) or an ISO instant")
    .requiredOption('--to <date>', "last day on the market's clock, inclusive (YYYY-MM-DD), or an ISO instant (exclusive)")
    .option('--market <name>', 'market', 'ERCOT')
    .option('--series <list>', 'only these series, comma-separated (default: every hub, load zone and system series)')
    .option('--no-hourly', 'skip the hourly summaries')
    .option('--no-concepts', 'skip the concepts corpus (rag/corpus/*.md)')
    .option('--topic <name>', 'documents topic', TOPICS.documents.name)
    .action(async (opts: { from: string; to: string; market: string; series?: string; hourly: boolean; concepts: boolean; topic: string }) => {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(opts.market)) throw new OptionError('--market', `${JSON.stringify(opts.market)} is not a market name`);
      const clock = marketClock(opts.market);
      const from = periodBound('--from', opts.from, false, clock);
      const to = periodBound('--to', opts.to, true, clock);
      if (!(to > from)) throw new OptionError('--to', `${opts.to} must come after --from ${opts.from}`);
      if (to - from > 400 * DAY_MS) throw new OptionError('--from/--to', 'at most 400 days per run');
      topicOption('--topic', opts.topic);
      const counts = await summarize(loadConfig(), { from, to, market: opts.market, series: listOption(opts.series), hourly: opts.hourly, concepts: opts.concepts, topic: opts.topic });
      process.stdout.write(`published ${counts.published} documents to ${opts.topic} for ${new Date(from).toISOString()} .. ${new Date(to).toISOString()}: ` +
        `${counts.daily} daily, ${counts.hourly} hourly, ${counts.events} events, ${counts.forecasts} forecast snapshots, ${counts.concepts} concepts` +
        `${counts.withdrawn > 0 ? `; withdrew ${counts.withdrawn} superseded Central-day ids` : ''}\n`);
    });
}
