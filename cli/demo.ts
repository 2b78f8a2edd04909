// `sda demo`: the main job end to end, for a newcomer. The stack comes up and schemas are registered; 45 simulated
// days of an ERCOT-like market and the real taylor demand series flow through Kafka into PostgreSQL; the windower
// makes feature windows exactly once; an LSTM is trained and registered; the forecaster serves it in the stream;
// the gateway answers /forecast, the RAG responder answers /query from summaries in the vector store; a round trip
// and a poison record show the wire format and the dead-letter topic. Then, unless --no-serve, the simulation goes
// on live (one simulated hour every --pace ms) while the dashboard at / shows prices and forecasts as they arrive.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type pg from 'pg';
import { type Config, loadConfig } from '../platform/config.js';
import { formatStatus, stackStatus, stackUp } from '../deploy/local/stack.js';
import type { HealthReport } from '../gateway/health.js';
import { startGateway } from '../gateway/server.js';
import { TRAIN_DEFAULTS, runTraining } from '../model/train.js';
import { type Evaluation, metricsRecord } from '../model/evaluate.js';
import { readCurrent, registryRoot } from '../model/registry.js';
import { storedForecast } from '../reports/forecasts.js';
import { demoPromotion, sameModelLine } from './demo-promote.js';
import { demoReforecast } from './demo-reforecast.js';
import { startForecaster } from '../processors/forecaster/processor.js';
import { serveInProcessMetrics } from '../platform/in-process-metrics.js';
import { exposeCounts, setModelVersion } from '../platform/metrics.js';
import { forecasterHooks } from '../processors/forecaster/hooks.js';
import { summarize } from '../processors/summarizer/summarizer.js';
import { startWindower } from '../processors/windower/processor.js';
import { createRagQueryService } from '../rag/query-service.js';
import { countSeriesRows, countStoredTicks, forecastsBesideActuals, hubPriceStats, latestFeatureWindows, latestIntervalEnd } from '../reports/stored.js';
import { demoDispatch } from './demo-dispatch.js';
import { demoDeployStep } from './demo-deploy.js';
import { SYSTEM_SERIES_ID } from '../market/series.js';
import type { DeadLetter, MarketTick, PointType, TickKind } from '../schemas/types.js';
import { startFeaturesSink } from '../sinks/postgres/features-sink.js';
import { startForecastsSink } from '../sinks/postgres/forecasts-sink.js';
import { createPool } from '../platform/postgres/pool.js';
import { describeStaleness, storedStaleness } from '../reports/staleness.js';
import { startTicksSink } from '../sinks/postgres/ticks-sink.js';
import { startDocumentsSink } from '../sinks/vector/documents-sink.js';
import { createConsumer, createProducer, sendRecords } from '../platform/kafka/client.js';
import { DeadLetterPublisher } from '../platform/kafka/dead-letter.js';
import { type DecodedRecord, runDecodingConsumer } from '../platform/kafka/consume-loop.js';
import { type Provisioned, ensureTicksTopic, provision } from '../platform/kafka/provision.js';
import { TOPICS, groupCaughtUp } from '../platform/kafka/topics.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { TAYLOR_LENGTH, TAYLOR_SERIES, ensureTaylorCsv, taylorParsed } from '../streams/taylor.js';
import { TickPublisher } from '../streams/tick-publisher.js';
import { describeRuntime } from '../platform/installers/node.js';
import { logToFile } from '../platform/logger.js';
import { demoLmStep } from './demo-lm.js';
import { intOption } from './options.js';
import { untilSignal } from './process.js';
import { type Stoppable, named, stopAll } from './stop-all.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STEPS = 12;
/** 45 days: enough hourly windows of the five hubs to train on (about 5,000) in under a minute on two cores. */
const DEMO_SIM = { start: Date.UTC(2024, 4, 1, 5), days: 45, seed: 42 };
/** The round trip and its poison record use a topic of their own, so they never move market.ticks' event time. */
const ROUNDTRIP_TOPIC = 'demo.roundtrip';
/** A model promoted after the stored forecasts forecasts again the windows of the last 7 days (those step 9 summarizes). */
const REFORECAST_SPAN_MS = 7 * DAY;

/** A few plausible ERCOT ticks for the last whole hours: hub and zone prices, system load, wind, solar. */
export function demoTicks(now = Date.now()): MarketTick[] {
  const end = Math.floor(now / HOUR) * HOUR;
  const series: Array<[string, PointType, TickKind, string, (h: number) => number]> = [
    ['HB_NORTH', 'HUB', 'RT_PRICE', 'USD/MWh', (h) => 28 + 9 * Math.sin(h / 3)],
    ['HB_WEST', 'HUB', 'RT_PRICE', 'USD/MWh', (h) => (h % 4 === 0 ? -4.5 : 21 + 6 * Math.cos(h / 2))],
    ['LZ_HOUSTON', 'LOAD_ZONE', 'RT_PRICE', 'USD/MWh', (h) => 31 + 7 * Math.sin(h / 2)],
    [SYSTEM_SERIES_ID, 'SYSTEM', 'LOAD', 'MW', (h) => 52_000 + 6_000 * Math.sin(h / 4)],
    [SYSTEM_SERIES_ID, 'SYSTEM', 'WIND', 'MW', (h) => 14_000 + 3_000 * Math.cos(h / 5)],
    [SYSTEM_SERIES_ID, 'SYSTEM', 'SOLAR', 'MW', (h) => Math.max(0, 9_000 * Math.sin(((h % 24) - 6) / 12 * Math.PI))],
  ];
  const ticks: MarketTick[] = [];
  for (let i = 3; i >= 1; i--) {
    const start = end - i * HOUR;
    for (const [seriesId, pointType, kind, unit, f] of series) {
      ticks.push({ market: 'ERCOT', seriesId, pointType, kind, intervalStart: start, intervalEnd: start + HOUR, value: Math.round(f(start / HOUR) * 100) / 100, unit, source: 'demo', ingestedAt: now });
    }
  }
  return ticks;
}

export interface DemoOptions {
  /** Keep serving (live simulation, processors, gateway and dashboard) until Ctrl-C. */
  serve: boolean;
  /** Wall milliseconds per simulated hour while serving. */
  paceMs: number;
  epochs: number;
}


const n = (v: number) => v.toLocaleString('en-US');

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, crashed?: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    const err = crashed?.();
    if (err) throw new Error(`${what}: ${err.message}`);
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1_000} s; check \`sda stack status\` and .cache/logs/`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function caughtUp(p: Provisioned, group: string, topic: string): Promise<boolean> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    return await groupCaughtUp(admin, group, topic);
  } finally {
    await admin.disconnect();
  }
}

export async function runDemo(config: Config, print: (line: string) => void, opts: DemoOptions = { serve: false, paceMs: 2_000, epochs: TRAIN_DEFAULTS.epochs }): Promise<void> {
  const step = (i: number, title: string) => print(`\n${i}/${STEPS}  ${title}`);
  const running: Stoppable[] = [];
  const pool = createPool(config, 2);
  try {
    print(`1/${STEPS}  stack: PostgreSQL, Kafka (KRaft), Apicurio Registry, Prometheus`);
    await stackUp(config, { print });
    print(formatStatus(await stackStatus(config)));
    print(`     runtime: ${describeRuntime()}`);

    step(2, 'topics and Avro schemas (TopicNameStrategy subjects, BACKWARD compatibility)');
    const p = await provision(config, 'sda-demo');
    for (const w of Object.values(p.writers)) print(`     ${w.subject.padEnd(40)} schema id ${w.schemaId}`);
    // The processors run in this process; each one's series are served on its own port for Prometheus (sda-processors job).
    const processorMetrics = await serveInProcessMetrics(config);
    running.push(named('processor metrics servers', processorMetrics));
    print(`     processor metrics for Prometheus: ${Object.entries(processorMetrics.servers).map(([name, s]) => `${name} ${s.url}`).join(', ')}`);

    const simEnd = await demoMarketData(config, p, pool, running, print, step);
    const windows = await demoFeatures(config, p, pool, running, print, step);

    step(6, `training: feature windows from PostgreSQL -> LSTM (tfjs) -> ONNX in model_registry/, scored against baselines on a time-ordered hold-out`);
    const registry = registryRoot();
    const current = await readCurrent(registry);
    const demoRule = (version: string, evaluation: Evaluation) => {
      const promotion = demoPromotion(version, metricsRecord(evaluation), current);
      print(`     ${promotion.line}`);
      return promotion.promote;
    };
    // The demo's simulated days only (window ends up to simEnd): a second run after a live phase finds later, live
    // windows in `features` too (scarcity spikes included) and would otherwise train and score on those.
    const trained = await runTraining(pool, { ...TRAIN_DEFAULTS, to: new Date(simEnd), epochs: opts.epochs, backend: 'auto', promote: demoRule, keepIdenticalCurrent: true, print: (l) => { for (const line of l.split('\n')) print(`     ${line}`); } });
    if (trained.sameAsCurrent) print(`     ${sameModelLine(trained.sameAsCurrent)}`);
    else print(trained.promoted ? `     model ${trained.version} is current (model_registry/current); backend ${trained.backend}` : `     model ${trained.version} registered, not served; the forecaster serves ${current}`);

    step(7, 'forecaster: market.features -> current ONNX model (onnxruntime-node, batched) -> market.forecasts (exactly once) -> forecasts table');
    // A model promoted since the stored forecasts were issued (step 6 on a second run) forecasts the latest windows
    // again: the forecaster's group is moved back over them before it starts (cli/demo-reforecast.ts).
    const again = await demoReforecast(p, pool, { current: await readCurrent(registry), groupId: 'sda-forecaster', inputTopic: TOPICS.features.name, market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', spanMs: REFORECAST_SPAN_MS });
    for (const line of again.lines) print(`     ${line}`);
    const expected = windows + (again.rewound?.windows ?? 0);
    // The same hooks as `sda process forecaster`: live RMSE into model_metrics and sda_forecast_live_rmse, sda_model_info.
    const forecaster = await startForecaster(config, forecasterHooks(pool), p);
    exposeCounts('forecaster', () => forecaster.counts);
    setModelVersion(forecaster.modelVersion);
    running.push(named('forecaster', forecaster));
    let forecasterCrash: Error | undefined;
    forecaster.failed.catch((err: unknown) => {
      forecasterCrash = err as Error;
    });
    const forecastsSink = await startForecastsSink(config, {}, p);
    exposeCounts('forecasts-sink', () => forecastsSink.counts);
    running.push(named('forecasts sink', forecastsSink));
    // market.features is transactional: a commit marker follows each transaction's records, so the forecaster's
    // committed offsets stop one short of the end. Caught up = it has read this run's windows and gone quiet.
    let lastReceived = -1;
    let quietSince = Date.now();
    await waitFor(
      'the forecaster catching up with market.features',
      () => {
        if (forecaster.counts.received !== lastReceived) {
          lastReceived = forecaster.counts.received;
          quietSince = Date.now();
        }
        return forecaster.modelVersion !== null && forecaster.counts.received >= expected && Date.now() - quietSince > 3_000 && forecastsSink.counts.stored >= forecaster.counts.forecasts;
      },
      300_000,
      () => forecasterCrash,
    );
    print(`     this run: ${n(forecaster.counts.forecasts)} forecasts from ${n(forecaster.counts.received)} windows (${n(forecaster.counts.skipped)} not served by the model) in ${n(forecaster.counts.inferenceRuns)} inference runs, model ${forecaster.modelVersion}`);
    if (forecaster.counts.received === 0) {
      // A second run: the windower made no new windows, and the forecaster's consumer group committed past every
      // stored one in an earlier run, so the model served here forecast nothing (it issued the stored ones already, or
      // the rewind above could not be made); say whose forecasts are shown.
      const newest = await storedForecast(pool, 'ERCOT', 'HB_NORTH', 'RT_PRICE', { latest: true });
      print(`     no new windows on ${TOPICS.features.name} (an earlier run's forecaster already read them all), so ${forecaster.modelVersion} made no forecasts here;`);
      print(`     the forecasts below and in steps 8, 9 and 11 are the stored ones, the newest by ${newest?.modelVersion ?? 'no model'}${newest && newest.modelVersion !== forecaster.modelVersion ? ` (not ${forecaster.modelVersion})` : ''}`);
    }
    await printForecasts(pool, print);
    print(`     data-to-forecast staleness: ${describeStaleness(await storedStaleness(pool, 'ERCOT'))}`);

    step(8, `gateway: GET /forecast, /healthz, /metrics, /openapi.json and the dashboard at / (port ${config.gateway.port})`);
    const rag = createRagQueryService(config);
    running.push({ name: 'RAG responder', stop: () => rag.close() });
    const gw = await startGateway(config, { port: config.gateway.port, queryService: rag }).catch((err: Error) => {
      throw new Error(`the gateway could not listen on port ${config.gateway.port} (${err.message}); stop what uses it (another \`sda serve\`?) or set GATEWAY_PORT`);
    });
    running.push({ name: 'gateway', stop: () => gw.close() });
    const forecast = await fetch(`${gw.url}/forecast?series=HB_NORTH`);
    print(`     GET /forecast?series=HB_NORTH -> ${forecast.status}`);
    const answer = (await forecast.json()) as { steps?: Array<{ h: number; start: string; p10: number | null; p50: number | null; p90: number | null; source: string }> } & Record<string, unknown>;
    const { steps, ...head } = answer;
    for (const line of JSON.stringify({ ...head, steps: steps ? `[${steps.length} steps]` : undefined }, null, 2).split('\n')) print(`       ${line}`);
    if (steps && steps.length > 0) {
      // The whole curve: a few horizons of the 36, each with its P10-P90 band and what produced it.
      const f = (v: number | null) => (v === null ? '-' : v.toFixed(2)).padStart(9);
      print(`       ${'h'.padStart(3)}  ${'interval start (UTC)'.padEnd(24)}${'P10'.padStart(9)}${'P50'.padStart(9)}${'P90'.padStart(9)}  source`);
      for (const s of steps.filter((x) => [1, 6, 12, 24, 36].includes(x.h))) print(`       ${String(s.h).padStart(3)}  ${s.start.padEnd(24)}${f(s.p10)}${f(s.p50)}${f(s.p90)}  ${s.source}`);
    }
    const health = (await (await fetch(`${gw.url}/healthz`)).json()) as HealthReport;
    print(`     GET /healthz -> ${health.status}: ${Object.entries(health.dependencies).map(([k, v]) => `${k} ${v.up ? 'up' : 'DOWN'} (${v.detail})`).join('; ')}`);

    step(9, 'RAG: summaries of the last 7 simulated days -> market.documents -> MiniLM embeddings -> vector store; GET /query answered by the local model');
    const docs = await summarize(config, { market: 'ERCOT', from: simEnd - 7 * DAY, to: simEnd, hourly: false }, p);
    print(`     summarizer: ${n(docs.published)} documents (${docs.daily} daily summaries, ${docs.events} events, ${docs.forecasts} forecast snapshots, ${docs.concepts} concept notes)`);
    const docSink = await startDocumentsSink(config, {}, p);
    running.push(named('documents sink', docSink));
    await waitFor('the documents sink embedding and storing the summaries', () => docSink.counts.received >= docs.published, 600_000);
    print(`     documents sink: ${n(docSink.counts.upserted)} embedded and stored in ${docSink.store.backend}`);
    // Issue 14: periods resolve against the market clock (the end of the latest stored interval), every number is a
    // SQL fact, unknown series are named as such; the model only phrases, and its words are checked.
    for (const question of ['What is the forecast for HB_NORTH?', 'Were there any negative prices yesterday?', 'What is the forecast for HB_NOWHERE?']) {
      const t0 = Date.now();
      const answer = await fetch(`${gw.url}/query?q=${encodeURIComponent(question)}`);
      const body = (await answer.json()) as { answer?: string; sources?: Array<{ id?: string; title?: string; kind?: string }>; error?: string; detail?: string; marketNow?: string; mode?: string; modelSkipped?: string[] };
      print(`     GET /query?q=${question} -> ${answer.status} in ${((Date.now() - t0) / 1_000).toFixed(1)} s (market clock ${body.marketNow ?? '-'}; ${body.mode === 'facts' ? `facts only${body.modelSkipped?.length ? `, model text not used: ${body.modelSkipped.join(', ')}` : ''}` : 'facts + checked model text'})`);
      print(`     answer: ${body.answer ?? `${body.error ?? ''} ${body.detail ?? ''}`}`);
      for (const s of (body.sources ?? []).slice(0, 3)) print(`       source: ${s.title ?? s.id ?? JSON.stringify(s)}`);
    }
    // Issue 15: the fine-tuned adapter, when `sda lm finetune` has made one (never trained here), base vs tuned.
    await demoLmStep(config, pool, print);

    await demoRoundTrip(config, p, print, step);

    step(11, 'dispatch: market.forecasts -> dispatcher (battery LP on HiGHS) -> market.dispatch -> dispatch_schedules; backtest of the demo days; GET /dispatch');
    running.push(...(await demoDispatch(config, p, pool, gw.url, print)).map((d, i) => named(i === 0 ? 'dispatcher' : 'dispatch sink', d)));

    step(12, 'deployment and traceability: deploy/k8s rendered and checked offline (kubectl kustomize, kubernetes-validate, project rules; no cluster here); the PRD steps covered by the last test results (sda trace)');
    await demoDeployStep(config, print);

    if (!opts.serve) {
      // The gateway stops with the demo: say how to get it back rather than point at a port nobody serves.
      print('\nDemo done. The gateway stops with it (--no-serve): `./sda serve` brings the dashboard, /forecast, /dispatch and /query back on the stored data.');
      print('The stack keeps running after the demo: `./sda stack status`, `./sda stack down`.');
      return;
    }
    print(`\nDemo done. Dashboard: ${gw.url}/  ·  /forecast?series=HB_NORTH  ·  /dispatch?asset=bess-north  ·  /query?q=...  ·  /metrics  ·  /openapi.json`);
    print('The stack keeps running after the demo: `./sda stack status`, `./sda stack down`.');
    print(`Live: the simulation goes on at one simulated hour every ${opts.paceMs} ms; the windower, forecaster and sinks keep running and the dashboard updates as forecasts arrive. Ctrl-C to stop.`);
    await serveLive(config, p, pool, simEnd, opts.paceMs, print);
  } finally {
    await stopAll(running.reverse(), print);
    await pool.end();
  }
}

/** Steps 3 and 4: simulated and real market data into Kafka (once: a re-run finds them stored), the sink stores them. Returns the simulation's end. */
async function demoMarketData(config: Config, p: Provisioned, pool: pg.Pool, running: Stoppable[], print: (line: string) => void, step: (i: number, t: string) => void): Promise<number> {
  step(3, `market data in: ${DEMO_SIM.days} simulated days of an ERCOT-like market (seed ${DEMO_SIM.seed}) and the real taylor demand series`);
  const simEnd = DEMO_SIM.start + DEMO_SIM.days * DAY;
  const ticks = [...simulateMarket(DEMO_SIM)];
  // Stored means: a row with the same key and the same value, whichever source wrote it first.
  const stored = async () => {
    const [sim, taylor] = await Promise.all([countStoredTicks(pool, 'ERCOT', ticks), countSeriesRows(pool, 'GB', TAYLOR_SERIES)]);
    return { sim, taylor };
  };
  const before = await stored();
  if (before.sim === ticks.length && before.taylor === TAYLOR_LENGTH) {
    print(`     already in market_data from an earlier run (${n(before.sim)} simulated ticks, ${n(before.taylor)} taylor values): not published again, since`);
    print('     the windower would rightly dead-letter a second copy of old event time as late');
  } else {
    const publisher = new TickPublisher(config, p, 'demo');
    // Oldest first: the windower keeps one watermark per partition, so event time should move forward.
    const taylorFile = await ensureTaylorCsv(config, (m) => print(`     taylor: ${m}`));
    await publisher.add(taylorParsed(fs.readFileSync(taylorFile, 'utf8'), Date.now()));
    print(`     taylor: ${n(TAYLOR_LENGTH)} half-hourly England & Wales demand values (June-August 2000) published as ${TAYLOR_SERIES}`);
    const t0 = Date.now();
    await publisher.add(ticks.map((tick) => ({ ok: true as const, tick })));
    const counts = await publisher.close();
    print(`     simulator: ${n(ticks.length)} ticks published to ${TOPICS.ticks.name} in ${((Date.now() - t0) / 1_000).toFixed(1)} s (SYSTEM ticks also as ${n(publisher.contextCopies)} context copies, one per other partition)`);
    print(`     counts reconcile: ${n(counts.read)} read = ${n(counts.accepted)} accepted + ${counts.deadLettered} dead-lettered`);
  }

  step(4, 'PostgreSQL sink: market.ticks -> market_data (COPY, idempotent, offsets committed after the database)');
  const sink = await startTicksSink(config, {}, p);
  exposeCounts('postgres-sink', () => sink.counts);
  running.push(named('postgres sink', sink));
  let now = before;
  await waitFor('the sink storing the demo data', async () => {
    now = await stored();
    return now.sim >= ticks.length && now.taylor >= TAYLOR_LENGTH;
  }, 180_000);
  print(`     market_data holds all ${n(now.sim)} simulated ticks and ${n(now.taylor)} taylor values`);
  const hubs = await hubPriceStats(pool, 'ERCOT', DEMO_SIM.start, simEnd);
  print(`     ${'hub'.padEnd(12)}${'RT intervals'.padStart(13)}${'mean $/MWh'.padStart(12)}${'min'.padStart(10)}${'max'.padStart(10)}${'negative'.padStart(10)}`);
  for (const h of hubs) print(`     ${h.seriesId.padEnd(12)}${String(h.intervals).padStart(13)}${h.mean.toFixed(2).padStart(12)}${h.min.toFixed(2).padStart(10)}${h.max.toFixed(2).padStart(10)}${String(h.negative).padStart(10)}`);
  return simEnd;
}

/** Step 5: the windower turns market.ticks into feature windows exactly once; the features sink stores them. */
async function demoFeatures(config: Config, p: Provisioned, pool: pg.Pool, running: Stoppable[], print: (line: string) => void, step: (i: number, t: string) => void): Promise<number> {
  step(5, 'windower: market.ticks -> rolling 24-hour windows and features on market.features (one Kafka transaction per batch) -> features table');
  const windower = await startWindower(config, {}, p);
  exposeCounts('windower', () => windower.counts);
  running.push(named('windower', windower));
  const sink = await startFeaturesSink(config, {}, p);
  exposeCounts('features-sink', () => sink.counts);
  running.push(named('features sink', sink));
  // market.features is transactional (commit markers take offsets), so the sink is compared by counts instead.
  await waitFor('the windower catching up with market.ticks', async () => (await caughtUp(p, 'sda-windower', TOPICS.ticks.name)) && sink.counts.stored >= windower.counts.windows, 300_000, () => windower.crashed);
  print(`     this run: ${n(windower.counts.windows)} windows from ${n(windower.counts.received)} ticks (${n(windower.counts.context)} of them context copies of SYSTEM series) in ${windower.counts.transactions} transactions; ${windower.counts.deadLettered} dead-lettered`);
  const rows = await latestFeatureWindows(pool, { market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', stepMs: HOUR, minCount: 20, limit: 4 });
  print('     HB_NORTH RT, the latest hourly windows of 24 points (features table):');
  print(`     ${'window end (UTC)'.padEnd(20)}${'points'.padStart(8)}${'mean'.padStart(9)}${'std'.padStart(8)}${'trend/h'.padStart(9)}${'lag 24h'.padStart(9)}${'system load'.padStart(13)}${'wind'.padStart(9)}`);
  const f = (v: number | null, d = 2) => (v === null ? '-' : v.toFixed(d));
  for (const r of rows) {
    print(`     ${r.windowEnd.toISOString().slice(0, 16).padEnd(20)}${`${r.count}/${r.count + r.missing}`.padStart(8)}${f(r.mean).padStart(9)}${f(r.std).padStart(8)}${f(r.trend).padStart(9)}${f(r.lag24h).padStart(9)}${f(r.systemLoad, 0).padStart(13)}${f(r.wind, 0).padStart(9)}`);
  }
  if (rows.length === 0) throw new Error('no HB_NORTH windows in the features table: market.ticks held newer data before the demo\'s, so its ticks were late (see README "Windower"); to start afresh: `./sda stack down`, remove .cache/kafka/data and .cache/pg, run the demo again');
  return windower.counts.windows;
}

/** The latest HB_NORTH forecasts beside the actual hourly price, and the horizon-1 error over the hold-out range. */
async function printForecasts(pool: pg.Pool, print: (line: string) => void): Promise<void> {
  const rows = await forecastsBesideActuals(pool, { market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', limit: 48 });
  const errors = rows.flatMap((x) => (x.actual === null ? [] : [x.predicted - x.actual]));
  const rmse = errors.length ? Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length) : Number.NaN;
  // Which model issued the forecasts shown (a second run's new model, once it has forecast the latest windows again).
  const versions = new Map<string, number>();
  for (const x of rows) versions.set(x.modelVersion, (versions.get(x.modelVersion) ?? 0) + 1);
  const by = [...versions].map(([v, k]) => (versions.size > 1 ? `${v} (${k})` : v)).join(', ') || 'no model';
  print(`     HB_NORTH, next-hour forecasts of model ${by} beside the hour's actual mean (forecasts JOIN market_data); RMSE over the last ${errors.length}: ${rmse.toFixed(2)} USD/MWh`);
  print(`     ${'hour (UTC)'.padEnd(20)}${'forecast'.padStart(10)}${'actual'.padStart(10)}`);
  for (const x of rows.slice(-4)) print(`     ${x.targetStart.toISOString().slice(0, 16).padEnd(20)}${x.predicted.toFixed(2).padStart(10)}${(x.actual === null ? '-' : x.actual.toFixed(2)).padStart(10)}`);
}

/** Step 10: ticks produced and consumed back through the registry, and a poison record dead-lettered, on a topic of their own. */
async function demoRoundTrip(config: Config, p: Provisioned, print: (line: string) => void, step: (i: number, t: string) => void): Promise<void> {
  const { kafka, serde, writers } = p;
  await ensureTicksTopic(config, p, ROUNDTRIP_TOPIC);
  const runTag = randomUUID();
  const ticks = demoTicks();
  const producer = createProducer(kafka);
  await producer.connect();
  // The consumer joins first and reads from the end, so it sees exactly this run's records.
  step(10, `round trip: ${ticks.length} MarketTick records and 1 poison record through ${ROUNDTRIP_TOPIC}; a fresh consumer group decodes them and dead-letters what does not decode`);
  const consumer = createConsumer(kafka, `sda-demo-${runTag}`);
  const dlqConsumer = createConsumer(kafka, `sda-demo-dlq-${runTag}`);
  await Promise.all([consumer.connect(), dlqConsumer.connect()]);
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  const deadLetters = new DeadLetterPublisher(serde, writers.deadLetters, producer, 'sda-demo');
  const mine: DecodedRecord<MarketTick>[] = [];
  const letters: DeadLetter[] = [];
  try {
    await runDecodingConsumer<MarketTick>({
      consumer,
      serde,
      deadLetters,
      topic: ROUNDTRIP_TOPIC,
      reader: writers.ticks,
      fromBeginning: false,
      handle: async (records) => {
        mine.push(...records.filter((r) => r.headers['sda.demo-run'] === runTag));
      },
    });
    await joined;
    await new Promise((r) => setTimeout(r, 500)); // the fetch positions are set just after the join
    const runStart = Date.now();
    await sendRecords(producer, ROUNDTRIP_TOPIC, ticks.map((t) => ({ key: t.seriesId, value: serde.encode(writers.ticks, t), headers: { 'sda.demo-run': runTag, 'sda.kind': t.kind } })));
    await sendRecords(producer, ROUNDTRIP_TOPIC, [{ key: 'HB_NORTH', value: Buffer.from('{"price": "not avro"}'), headers: { 'sda.demo-run': runTag } }]);
    await dlqConsumer.subscribe({ topic: TOPICS.deadLetters.name, fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        // market.dlq is shared; a record there that does not decode is skipped, never allowed to stall the reader.
        const decoded = await serde.decode<DeadLetter>(message.value, writers.deadLetters).catch(() => undefined);
        const value = decoded?.value;
        if (value && value.processor === 'sda-demo' && value.failedAt >= runStart) letters.push(value);
      },
    });
    await waitFor('the round trip', () => mine.length >= ticks.length && letters.length >= 1, 60_000);
  } finally {
    await Promise.all([consumer.disconnect(), dlqConsumer.disconnect(), producer.disconnect()]);
  }
  mine.sort((a, b) => a.value.intervalStart - b.value.intervalStart || a.value.seriesId.localeCompare(b.value.seriesId) || a.value.kind.localeCompare(b.value.kind));
  print(`     ${'interval start (UTC)'.padEnd(22)}${'series'.padEnd(12)}${'kind'.padEnd(10)}${'value'.padStart(12)} unit      partition/offset`);
  for (const r of mine.slice(0, 6)) {
    const t = r.value;
    print(`     ${new Date(t.intervalStart).toISOString().slice(0, 16).padEnd(22)}${t.seriesId.padEnd(12)}${t.kind.padEnd(10)}${t.value.toFixed(2).padStart(12)} ${t.unit.padEnd(9)} ${r.partition}/${r.offset}`);
  }
  print(`     ... ${mine.length}/${ticks.length} ticks round-tripped through Kafka and the registry`);
  for (const l of letters.slice(0, 1)) print(`     dead letter: ${l.topic}[${l.partition}]@${l.offset} reason=${l.reasonCode}: ${l.message}`);
}

/** Continue the simulation from where market_data ends, one simulated hour per paceMs, until Ctrl-C. */
async function serveLive(config: Config, p: Provisioned, pool: pg.Pool, simEnd: number, paceMs: number, print: (line: string) => void): Promise<void> {
  const latest = await latestIntervalEnd(pool, 'ERCOT', 'simulator');
  const start = Math.max(simEnd, Math.ceil((latest ?? simEnd) / HOUR) * HOUR);
  let stopped = false;
  const signal = untilSignal().then((sig) => {
    stopped = true;
    return sig;
  });
  const publisher = new TickPublisher(config, p, 'demo-live');
  let hour = start;
  let batch: MarketTick[] = [];
  try {
    for (const tick of simulateMarket({ start, days: 365, seed: DEMO_SIM.seed + 1 })) {
      if (stopped) break;
      if (tick.intervalStart >= hour + HOUR) {
        await publisher.add(batch.map((t) => ({ ok: true as const, tick: t })));
        await publisher.flush();
        print(`     live: ${new Date(hour).toISOString().slice(0, 13)}:00Z published (${batch.length} ticks)`);
        batch = [];
        hour += HOUR;
        await Promise.race([new Promise((r) => setTimeout(r, paceMs)), signal]);
        if (stopped) break;
      }
      batch.push(tick);
    }
  } finally {
    await publisher.close();
  }
  print(`stopped on ${await signal}`);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the pipeline end to end: stack up, 45 simulated days and the real taylor series through Kafka into PostgreSQL, feature windows, an LSTM trained and served in the stream, /forecast and /query answered by the gateway, a round trip and a dead letter; then keeps the simulation going live with the dashboard at http://127.0.0.1:GATEWAY_PORT/ until Ctrl-C',
    )
    .option('--no-serve', 'stop after the steps instead of serving the live dashboard')
    .option('--pace <ms>', 'wall milliseconds per simulated hour while serving live', '2000')
    .option('--epochs <n>', 'training epochs', String(TRAIN_DEFAULTS.epochs))
    .action(async (o: { serve: boolean; pace: string; epochs: string }) => {
      const opts: DemoOptions = { serve: o.serve, paceMs: intOption('--pace', o.pace, 50, 3_600_000), epochs: intOption('--epochs', o.epochs, 1, 500) };
      const config = loadConfig();
      // The processors run in this process: their JSON log lines go to a file, so the steps on stdout read cleanly;
      // warnings and errors reach the terminal (stderr) too. `sda process ...` on its own logs to stderr as before.
      // One file per demo run: the previous run's is kept as demo.log.1.
      const logFile = logToFile(path.join(config.cacheDir, 'logs', 'demo.log'), 'warn', { rotate: true });
      process.stdout.write(`logs: ${path.relative(process.cwd(), logFile) || logFile} (JSON lines of this run, the previous run's in demo.log.1; warnings and errors are shown on this terminal too)\n`);
      await runDemo(config, (line) => process.stdout.write(`${line}\n`), opts);
      // Clients that keep sockets (Kafka, the local model) do not hold the process once the demo is over.
      process.exit(0);
    });
}
