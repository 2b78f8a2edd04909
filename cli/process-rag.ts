// `sda process vector-sink` and `sda process summarizer`: the retrieval side's long-running jobs, under `sda process`.
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { OptionError, intOption, topicOption } from './options.js';
import { untilSignal } from './process.js';
import { Progress } from '../platform/progress.js';
import { TOPICS } from '../platform/kafka/topics.js';

export function registerRagProcesses(proc: Command): void {
  proc
    .command('vector-sink')
    .description('consume market.documents, embed each text (all-MiniLM-L6-v2, ONNX) and upsert it into the vector store (Qdrant when QDRANT_URL is set, else LanceDB in VECTOR_DIR); tombstones delete; offsets committed after the store write')
    .option('--topic <name>', 'documents topic', TOPICS.documents.name)
    .option('--group <id>', 'consumer group', 'sda-documents-sink')
    .action(async (opts: { topic: string; group: string }) => {
      topicOption('--topic', opts.topic);
      const progress = new Progress('vector-sink');
      // Loaded here: ONNX Runtime, LanceDB and the tokenizer are not needed by the other `sda` commands.
      const { startDocumentsSink } = await import('../sinks/vector/documents-sink.js');
      const sink = await startDocumentsSink(loadConfig(), {
        topic: opts.topic,
        groupId: opts.group,
        onBatch: (c) => progress.update(c.received, `upserted ${c.upserted}, deleted ${c.deleted}, dead-lettered ${c.deadLettered}`),
      });
      process.stdout.write(`vector-sink writing to ${sink.store.backend} collection ${sink.store.collection}; Ctrl-C to stop\n`);
      const sig = await Promise.race([untilSignal(), sink.failed]);
      await sink.stop();
      process.stdout.write(`vector-sink stopped on ${sig}: ${JSON.stringify(sink.counts)}\n`);
    });
  proc
    .command('summarizer')
    .description('every --every minutes, summarize the --lookback-hours before the market clock (the end of the latest stored interval) of market_data and forecasts onto market.documents (the same ids each time, so the latest summary of a period wins); the concepts corpus on the first run that succeeds')
    .option('--every <minutes>', 'minutes between runs', '60')
    .option('--lookback-hours <n>', 'hours summarized each run (whole Central days are completed by later runs)', '48')
    .option('--market <name>', 'market', 'ERCOT')
    .option('--topic <name>', 'documents topic', TOPICS.documents.name)
    .action(async (opts: { every: string; lookbackHours: string; market: string; topic: string }) => {
      const everyMs = intOption('--every', opts.every, 1, 24 * 60) * 60_000;
      const lookbackMs = intOption('--lookback-hours', opts.lookbackHours, 1, 24 * 400) * 3_600_000;
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(opts.market)) throw new OptionError('--market', `${JSON.stringify(opts.market)} is not a market name`);
      topicOption('--topic', opts.topic);
      const { runSummarizerSchedule } = await import('../processors/summarizer/schedule.js');
      const stop = new AbortController();
      let stopped: string | undefined;
      void untilSignal().then((sig) => {
        stopped = sig;
        stop.abort();
      });
      await runSummarizerSchedule(loadConfig(), {
        market: opts.market,
        topic: opts.topic,
        everyMs,
        lookbackMs,
        signal: stop.signal,
        onRun: ({ from, to, clock, counts: c }) => {
          // A failed run is logged by the schedule; the next one covers the same period.
          if (c) process.stdout.write(`${new Date(from).toISOString()} .. ${new Date(to).toISOString()} (${clock} clock): published ${c.published} documents (${c.daily} daily, ${c.hourly} hourly, ${c.events} events, ${c.forecasts} forecasts, ${c.concepts} concepts${c.withdrawn > 0 ? `, ${c.withdrawn} superseded ids withdrawn` : ''})\n`);
        },
      });
      process.stdout.write(`summarizer stopped on ${stopped}\n`);
    });
}
