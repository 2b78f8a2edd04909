// The demo's dispatch step: the dispatcher in the stream (market.forecasts -> market.dispatch -> dispatch_schedules),
// the backtest table over the demo's simulated days, and one battery's schedule for the day GET /api/assets calls
// plannable (GET /dispatch?asset=&day=: tomorrow, or today when the forecast covers more of today).
import type pg from 'pg';
import type { Config } from '../platform/config.js';
import type { BatteryAsset } from '../dispatch/asset.js';
import { loadAssets } from '../dispatch/assets-config.js';
import { type DayAheadPlan, bandText, noTradeReason } from '../dispatch/day-ahead.js';
import { centralLabel, formatDollars } from '../market/format.js';
import { exposeCounts } from '../platform/metrics.js';
import { backtestTable } from '../dispatch/report.js';
import { runBacktestJobInWorker } from '../processors/dispatcher/backtest-worker.js';
import { storedBacktestRange } from '../processors/dispatcher/backtest-sources.js';
import { startDispatcher } from '../processors/dispatcher/processor.js';
import { startDispatchSink } from '../sinks/postgres/dispatch-sink.js';
import type { Provisioned } from '../platform/kafka/provision.js';

/**
 * The printed part of the step (no Kafka): the backtest table of `asset` over the stored days that have forecasts, and
 * the plan GET /dispatch returns for it (`plan`, or none). Returns the lines.
 */
export async function dispatchReportLines(config: Config, pool: pg.Pool, asset: BatteryAsset, plan: DayAheadPlan | null, dayLabel: 'tomorrow' | 'today' = 'tomorrow'): Promise<string[]> {
  const lines: string[] = [];
  const range = await storedBacktestRange(pool, asset.market, asset.settlementPoint);
  if (!range) lines.push(`backtest: fewer than 24 hours of ${asset.settlementPoint} both forecast and settled yet`);
  else {
    // On a worker thread: the solves are synchronous and would hold the loop the demo's consumers heartbeat on.
    const job = await runBacktestJobInWorker(config, { assets: [asset], fromMs: range.fromMs, toMs: range.toMs, strategies: ['forecast', 'baseline', 'persistence', 'perfect'], actuals: { kind: 'db' }, allowLookahead: true });
    lines.push(`backtest of ${asset.id} (${asset.powerMw} MW / ${asset.energyMwh} MWh at ${asset.settlementPoint}), ${new Date(range.fromMs).toISOString().slice(0, 16)}Z to ${new Date(range.toMs).toISOString().slice(0, 16)}Z, settled on actual RT prices (${job.wallSeconds.toFixed(1)} s):`);
    lines.push(...backtestTable(job.results[0]!).split('\n'));
    lines.push(`(in-sample: the demo's model ${range.models.join(', ')} was trained on these simulated days; \`sda backtest\` with a model trained before --from gives an honest figure)`);
  }
  if (!plan) lines.push(`${dayLabel}: no forecast of ${asset.settlementPoint} reaches ${dayLabel} yet`);
  else {
    lines.push(`${dayLabel} (${plan.day}, US Central, ${plan.coveredHours} h covered by the forecast) on forecast ${plan.forecast.modelVersion} issued ${centralLabel(Date.parse(plan.forecast.issuedAt))}, from ${plan.initialSocMwh.toFixed(1)} MWh stored (${plan.initialSocSource}): charge ${plan.chargeHours}, discharge ${plan.dischargeHours}; expected net revenue ${formatDollars(plan.expectedRevenue)} at the forecast's P50 prices.${noTradeReason(plan, asset) ? ` ${noTradeReason(plan, asset)!.text}` : bandText(plan)}`);
    lines.push('  HE  price $/MWh  charge MW  discharge MW  SoC MWh');
    for (const iv of plan.intervals) {
      lines.push(`  ${String(iv.hourEnding).padStart(2)}  ${iv.price.toFixed(2).padStart(11)}  ${iv.chargeMw.toFixed(2).padStart(9)}  ${iv.dischargeMw.toFixed(2).padStart(12)}  ${iv.socMwh.toFixed(2).padStart(7)}`);
    }
  }
  return lines;
}

/**
 * The demo step: starts the dispatcher and the dispatch sink on the live topics (they keep running with the demo),
 * waits for them to go quiet, prints their counts, the backtest table and GET /dispatch?asset=<first asset>&day=<plannable>.
 * Returns the jobs to stop.
 */
export async function demoDispatch(config: Config, p: Provisioned, pool: pg.Pool, gatewayUrl: string, print: (line: string) => void): Promise<Array<{ stop(): Promise<void> }>> {
  const assets = loadAssets();
  const dispatcher = await startDispatcher(config, { assets }, p);
  exposeCounts('dispatcher', () => dispatcher.counts);
  const sink = await startDispatchSink(config, {}, p);
  exposeCounts('dispatch-sink', () => sink.counts);
  let last = -1;
  let quietSince = Date.now();
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const n = dispatcher.counts.received + sink.counts.received;
    if (n !== last) {
      last = n;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 4_000 && sink.counts.stored >= dispatcher.counts.schedules) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  print(`     dispatcher: ${dispatcher.counts.schedules} schedules for ${assets.map((a) => a.id).join(', ')} from ${dispatcher.counts.received} forecasts (${dispatcher.counts.skipped} of other series), ${dispatcher.counts.deadLettered} dead-lettered; dispatch sink stored ${sink.counts.stored}`);
  const asset = assets[0]!;
  // The day to plan is the gateway's choice (GET /api/assets `plannable`): tomorrow, or today when the forecast covers
  // more of it (the demo's market clock sits on a Central midnight: all of the day just begun, half of tomorrow).
  const listed = (await (await fetch(`${gatewayUrl}/api/assets`)).json()) as { assets?: Array<{ id: string; plannable: 'tomorrow' | 'today' | null }> };
  const dayLabel = listed.assets?.find((a) => a.id === asset.id)?.plannable ?? 'tomorrow';
  const url = `/dispatch?asset=${encodeURIComponent(asset.id)}&day=${dayLabel}`;
  const res = await fetch(`${gatewayUrl}${url}`);
  print(`     GET ${url} -> ${res.status}`);
  const plan = res.ok ? ((await res.json()) as DayAheadPlan) : null;
  if (!res.ok) print(`       ${JSON.stringify(await res.json())}`);
  for (const line of await dispatchReportLines(config, pool, asset, plan, dayLabel)) print(`     ${line}`);
  return [dispatcher, sink];
}
