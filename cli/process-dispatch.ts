// `sda process dispatcher` and `sda process dispatch-sink`: the dispatch side's long-running jobs, under `sda process`.
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { loadAssets } from '../dispatch/assets-config.js';
import { groupFor, topicSet } from '../platform/kafka/topics.js';
import { PRICE_BASES, type PriceBasis } from '../dispatch/strategies.js';
import { OptionError } from './options.js';
import { exposeCounts, startMetricsServer } from '../platform/metrics.js';
import { untilSignal } from './process.js';
import { Progress } from '../platform/progress.js';

export function registerDispatchProcesses(proc: Command): void {
  proc
    .command('dispatcher')
    .description('consume committed Forecasts (market.forecasts) and publish one DispatchSchedule per configured battery and forecast issue to market.dispatch, exactly once (one Kafka transaction per batch); the battery follows its latest schedule until the next forecast (rolling horizon); state read back from its own output topic at start-up')
    .option('--assets <file>', 'battery list (JSON, see config/assets.json)')
    .option('--run <name>', 'work on a run-scoped topic set: run.NAME.forecasts -> run.NAME.dispatch (a backtest)')
    .option('--group <id>', 'consumer group and transactional id base', 'sda-dispatcher')
    .option('--price-basis <basis>', 'optimise on the forecast\'s p50 or its mean (0.3 P10 + 0.4 P50 + 0.3 P90); one dispatcher (group) per basis', 'p50')
    .addHelpText('after', '\nThe optimiser and its formulation: dispatch/README.md.')
    .action(async (opts: { assets?: string; run?: string; group: string; priceBasis: string }) => {
      if (!(PRICE_BASES as readonly string[]).includes(opts.priceBasis)) throw new OptionError('--price-basis', `expected ${PRICE_BASES.join(' or ')}, got ${JSON.stringify(opts.priceBasis)}`);
      const assets = loadAssets(opts.assets);
      const topics = topicSet(opts.run);
      const progress = new Progress('dispatcher');
      const config = loadConfig();
      const metrics = await startMetricsServer(config.dispatchMetricsPorts.dispatcher);
      const { startDispatcher } = await import('../processors/dispatcher/processor.js');
      const d = await startDispatcher(config, {
        assets,
        priceBasis: opts.priceBasis as PriceBasis,
        inputTopic: topics.forecasts.name,
        outputTopic: topics.dispatch.name,
        deadLetterTopic: topics.deadLetters.name,
        // One group per basis: the default group name gets a -mean suffix for the mean basis.
        groupId: groupFor(opts.priceBasis === 'mean' && opts.group === 'sda-dispatcher' ? 'sda-dispatcher-mean' : opts.group, opts.run),
        onBatch: (c) => progress.update(c.received, `schedules ${c.schedules}, skipped ${c.skipped}, dead-lettered ${c.deadLettered}`),
      });
      exposeCounts('dispatcher', () => d.counts);
      process.stdout.write(`dispatcher: ${assets.map((a) => `${a.id} (${a.settlementPoint}, ${a.powerMw} MW / ${a.energyMwh} MWh)`).join(', ')}; ${topics.forecasts.name} -> ${topics.dispatch.name}; ${d.counts.restored} latest schedules restored; Ctrl-C to stop\n`);
      const sig = await Promise.race([untilSignal(), d.failed]);
      await d.stop();
      await metrics.close();
      process.stdout.write(`dispatcher stopped on ${sig}: ${JSON.stringify(d.counts)}\n`);
    });
  proc
    .command('dispatch-sink')
    .description('consume committed DispatchSchedules (market.dispatch, or run.NAME.dispatch) into the dispatch_schedules table: idempotent upsert, offsets committed after the database commit')
    .option('--run <name>', 'the run-scoped topic run.NAME.dispatch; rows carry run = NAME')
    .option('--group <id>', 'consumer group', 'sda-dispatch-sink')
    .action(async (opts: { run?: string; group: string }) => {
      const topics = topicSet(opts.run);
      const progress = new Progress('dispatch-sink');
      const config = loadConfig();
      const metrics = await startMetricsServer(config.dispatchMetricsPorts.dispatchSink);
      const { startDispatchSink } = await import('../sinks/postgres/dispatch-sink.js');
      const sink = await startDispatchSink(config, {
        topic: topics.dispatch.name,
        groupId: groupFor(opts.group, opts.run),
        onBatch: (c) => progress.update(c.received, `stored ${c.stored}, dead-lettered ${c.deadLettered}`),
      });
      exposeCounts('dispatch-sink', () => sink.counts);
      const sig = await Promise.race([untilSignal(), sink.failed]);
      await sink.stop();
      await metrics.close();
      process.stdout.write(`dispatch-sink stopped on ${sig}: ${JSON.stringify(sink.counts)}\n`);
    });
}
