// `sda replay`: historical files into market.ticks in event-time order, for backtests.
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { DEFAULT_MAX_GAP } from '../streams/imputation.js';
import { ensureOutputTopics, ensureTicksTopic, provision } from '../platform/kafka/provision.js';
import { runScope } from './process.js';
import { readReplayFiles, replayReads } from '../streams/replay/replay.js';
import { REPLAY_FORMATS } from '../streams/replay/formats.js';
import { TickPublisher } from '../streams/tick-publisher.js';
import { intOption, speedOption } from './options.js';
import { Progress } from '../platform/progress.js';
import { TOPICS } from '../platform/kafka/topics.js';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('publish ticks from historical CSV files (ERCOT MIS RT/DAM settlement point prices and load by weather zone, or the project\'s own CSV) in event-time order')
    .argument('<files...>', 'CSV files; the layout is detected from each header line')
    .option('--speed <n|max>', 'max: as fast as possible; N: event time advances N times faster than real time (3600 = an hour per second)', 'max')
    .option('--topic <name>', `publish to this topic instead of ${TOPICS.ticks.name} (a separate backtest stream); created if missing`, TOPICS.ticks.name)
    .option('--run <name>', 'publish to the run-scoped topic run.NAME.ticks (dead letters to run.NAME.dlq), created if missing, for a backtest beside the live pipeline; then `sda process windower --run NAME` etc.')
    .option('--max-gap <n>', 'fill at most this many consecutive missing values per series by interpolation (0 = never)', String(DEFAULT_MAX_GAP))
    .action(async (files: string[], opts: { speed: string; maxGap: string; topic: string; run?: string }, cmd: Command) => {
      const speed = speedOption(opts.speed);
      const maxGap = intOption('--max-gap', opts.maxGap, 0, 96);
      const set = runScope(cmd, opts.run, ['topic']);
      // Every file is read and its header recognised before any topic or registry subject is created: a missing,
      // unreadable or unknown file leaves nothing behind (no empty run.NAME.* for `sda run list` to show).
      const reads = await readReplayFiles(files, REPLAY_FORMATS);
      const config = loadConfig();
      const p = await provision(config, 'sda-replay');
      if (set) {
        opts.topic = set.ticks.name;
        await ensureOutputTopics(config, p, [set.ticks, set.deadLetters]);
      } else await ensureTicksTopic(config, p, opts.topic);
      const publisher = new TickPublisher(config, p, 'replay', { topic: opts.topic, deadLetterTopic: set?.deadLetters.name });
      let progress: Progress | undefined;
      let lastDone = 0;
      const summary = await replayReads(reads, publisher, {
        speed,
        maxGap,
        onProgress: (done, total, eventTime) => {
          progress ??= new Progress('replay', total);
          lastDone = done;
          progress.update(done, `event time ${new Date(eventTime).toISOString().slice(0, 16)}Z`);
        },
      });
      progress?.done(lastDone);
      await publisher.close();
      const range = summary.eventFrom === null ? 'no ticks' : `${new Date(summary.eventFrom).toISOString()} .. ${new Date(summary.eventTo!).toISOString()}`;
      process.stdout.write(
        [
          ...summary.files.map((f) => `  ${f.file}: ${f.format}, ${f.rows.toLocaleString('en-US')} rows`),
          `replayed ${summary.accepted.toLocaleString('en-US')} ticks (${summary.imputed} imputed), ${summary.deadLettered} dead-lettered, of ${summary.read.toLocaleString('en-US')} parsed; event time ${range}; ${summary.wallSeconds.toFixed(1)} s at speed ${speed}`,
          // What `sda run list` counts on the topic: the ticks and the SYSTEM series context copies (tick-publisher.ts).
          ...(publisher.contextCopies > 0
            ? [`${opts.topic}: ${(summary.accepted + publisher.contextCopies).toLocaleString('en-US')} records written = ${summary.accepted.toLocaleString('en-US')} ticks + ${publisher.contextCopies.toLocaleString('en-US')} SYSTEM series context copies (each SYSTEM load/wind/solar tick once more on every other partition, for the windower)`]
            : []),
          '',
        ].join('\n'),
      );
    });
}
