// Dashboard and gateway figures: page load to first chart data in headless Chromium (DOMContentLoaded of the same
// page as baseline), a forecast's trip from its publication to Kafka to the page (arrival at the gateway's feed as
// the split point), and HTTP latency of GET / and GET /forecast at a fixed rate from autocannon in a SECOND process
// on loopback, with GET /livez (no dependency) as baseline. Data lives under a market of the bench's own.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Config } from '../platform/config.js';
import { startGateway } from '../gateway/server.js';
import type { Forecast } from '../schemas/types.js';
import { writeForecasts } from '../sinks/postgres/forecasts-sink.js';
import { createPool } from '../platform/postgres/pool.js';
import { createProducer, sendRecords } from '../platform/kafka/client.js';
import { provision } from '../platform/kafka/provision.js';
import { TOPICS, ensureTopics } from '../platform/kafka/topics.js';
import { startForecaster } from '../processors/forecaster/processor.js';
import { writeRandomModel } from '../processors/forecaster/random-model.js';
import { startWindower } from '../processors/windower/processor.js';
import type { MarketTick } from '../schemas/types.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { TickPublisher } from '../streams/tick-publisher.js';
import { type CannonResult, autocannon } from './autocannon.js';

export interface GatewayBenchOptions {
  /** Page loads timed (after 2 warm-up loads). */
  runs: number;
  /** Live forecasts timed from publication to the page. */
  live: number;
  /** Seconds per autocannon run. */
  duration: number;
  /** Request rate (req/s over all connections). */
  rate: number;
  connections: number;
  /** Hours of ticks timed through windower → forecaster → gateway → page (0 = skip that phase). */
  chainHours: number;
}

const HOUR = 3_600_000;
const QUARTER = 900_000;
const MARKET = 'BENCHGW';
const SERIES = 'HB_BENCH';
const CHROMIUM = '/usr/bin/chromium';
const CHAIN_MARKET = 'BENCHCH';
const CHAIN_SERIES = 'HB_NORTH';

function quantiles(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (f: number) => Number((s[Math.min(s.length - 1, Math.floor(f * s.length))] ?? Number.NaN).toFixed(1));
  return { n: s.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: Number((s[s.length - 1] ?? Number.NaN).toFixed(1)) };
}

/**
 * A tick's trip through the whole pipeline: ticks topic → windower (exactly once) → features topic → forecaster (an
 * untrained model of the contract's shape; inference cost does not depend on the weights) → the gateway's feed
 * topic → SSE → the page. Two simulated days fill the windows first; then one simulated hour of ticks at a time,
 * each stamped ingestedAt = now: its first tick moves the watermark and finalises one hourly slot, whose window the
 * forecaster turns into the forecast the page draws.
 */
async function chainPhase(config: Config, pool: ReturnType<typeof createPool>, browser: import('playwright-core').Browser, gw: Awaited<ReturnType<typeof startGateway>>, feedTopic: string, hours: number): Promise<Record<string, unknown>> {
  const id = `${process.pid}`;
  const ticksTopic = `bench.gateway.ticks.${id}`;
  const featuresTopic = `bench.gateway.features.${id}`;
  const changelog = `bench.gateway.changelog.${id}`;
  const p = await provision(config, 'sda-bench-chain');
  const admin = p.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ ...TOPICS.ticks, name: ticksTopic, retentionMs: HOUR }, { ...TOPICS.features, name: featuresTopic, retentionMs: HOUR }, { ...TOPICS.windowerChangelog, name: changelog }], config.kafka.partitions);
  await admin.disconnect();
  const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-bench-chain-'));
  await writeRandomModel(registry, { version: 'bench-chain', market: CHAIN_MARKET, kind: 'RT_PRICE', stepMs: HOUR, steps: 24, horizon: 4, units: 32 });
  const start = Date.UTC(2024, 8, 2, 5);
  const all: MarketTick[] = [...simulateMarket({ start, days: 3, seed: 5, nodes: [CHAIN_SERIES], includeSystem: true })].map((t) => ({ ...t, market: CHAIN_MARKET }));
  const historyEnd = start + 2 * 24 * HOUR;
  const history = all.filter((t) => t.intervalStart < historyEnd);
  await pool.query('DELETE FROM market_data WHERE market = $1', [CHAIN_MARKET]);
  const rt = history.filter((t) => t.seriesId === CHAIN_SERIES && t.kind === 'RT_PRICE');
  await pool.query(
    `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
     SELECT $1, $2, 'HUB', 'RT_PRICE', a, b, v, 'USD/MWh', 'bench', now() FROM unnest($3::timestamptz[], $4::timestamptz[], $5::float8[]) AS u(a, b, v)`,
    [CHAIN_MARKET, CHAIN_SERIES, rt.map((t) => new Date(t.intervalStart)), rt.map((t) => new Date(t.intervalEnd)), rt.map((t) => t.value)],
  );
  const windower = await startWindower(config, { inputTopic: ticksTopic, outputTopic: featuresTopic, changelogTopic: changelog, groupId: `bench-chain-windower-${id}`, stepMs: HOUR });
  const forecaster = await startForecaster(config, { inputTopic: featuresTopic, outputTopic: feedTopic, groupId: `bench-chain-forecaster-${id}`, registryDir: registry, pollMs: 60_000 });
  const publisher = new TickPublisher(config, p, 'bench-chain', { topic: ticksTopic, batch: 5_000 });
  const seen = new Map<number, number>();
  const unsubscribe = gw.extensions.feed!.subscribe((f) => {
    if (f.market === CHAIN_MARKET && f.seriesId === CHAIN_SERIES && f.kind === 'RT_PRICE') seen.set(f.targetStart, f.receivedAt);
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const toGateway: number[] = [];
  const toPage: number[] = [];
  try {
    const page = await ctx.newPage();
    await page.goto(`${gw.url}/#market=${CHAIN_MARKET}&series=${CHAIN_SERIES}`);
    await page.waitForFunction(() => (window as unknown as PageWindow).__sdaFirstData !== undefined, undefined, { timeout: 60_000 });
    await publisher.add(history.map((tick) => ({ ok: true as const, tick })));
    await publisher.flush();
    // Wait for the history's forecasts to settle (no new one for 3 s).
    let last = -1;
    let quietSince = Date.now();
    const deadline = Date.now() + 180_000;
    while (Date.now() - quietSince < 3_000 || seen.size === 0) {
      if (Date.now() > deadline) throw new Error(`bench chain: no forecasts of ${CHAIN_MARKET} ${CHAIN_SERIES} reached the gateway within 180 s (windower ${JSON.stringify(windower.counts)}, forecaster ${JSON.stringify(forecaster.counts)})`);
      if (seen.size !== last) {
        last = seen.size;
        quietSince = Date.now();
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const base = await page.evaluate(() => (window as unknown as PageWindow).__sdaLiveForecasts ?? 0);
    for (let h = 0; h < hours + 1; h++) {
      const hourStart = historyEnd + h * HOUR;
      const now = Date.now();
      const batch = all.filter((t) => t.intervalStart >= hourStart && t.intervalStart < hourStart + HOUR).map((t) => ({ ...t, ingestedAt: now }));
      if (batch.length === 0) break;
      const before = seen.size;
      const sent = Date.now();
      await publisher.add(batch.map((tick) => ({ ok: true as const, tick })));
      await publisher.flush();
      await page.waitForFunction((k) => ((window as unknown as PageWindow).__sdaLiveForecasts ?? 0) >= k, base + h + 1, { timeout: 60_000, polling: 5 });
      const shown = await page.evaluate(() => (window as unknown as PageWindow).__sdaLastLiveAt!);
      const arrived = [...seen.values()].slice(before);
      if (h >= 1) {
        // The first hour is a warm-up.
        toGateway.push((arrived[0] ?? Number.NaN) - sent);
        toPage.push(shown - sent);
      }
    }
  } finally {
    unsubscribe();
    await ctx.close();
    await publisher.close().catch(() => undefined);
    await forecaster.stop().catch(() => undefined);
    await windower.stop().catch(() => undefined);
    const a = p.kafka.admin();
    await a.connect().then(() => a.deleteTopics({ topics: [ticksTopic, featuresTopic, changelog] })).catch(() => undefined).finally(() => a.disconnect());
    await pool.query('DELETE FROM market_data WHERE market = $1', [CHAIN_MARKET]);
    await rm(registry, { recursive: true, force: true });
  }
  return {
    'chain: tick published (acks=all) → forecast received by the gateway feed': quantiles(toGateway),
    'chain: tick published (acks=all) → forecast drawn on the page': quantiles(toPage),
  };
}

interface PageWindow {
  __sdaFirstData?: number;
  __sdaLiveForecasts?: number;
  __sdaLastLiveAt?: number;
}

export async function runGatewayBench(config: Config, opts: GatewayBenchOptions) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (bootstrap.sh --test installs it)`);
  const loadAtStart = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const results: Record<string, unknown> = {};
  const table: Array<[string, string, string, string]> = [];

  // --- Data: 30 days of 15-minute prices and hourly forecasts (horizon 24) of one series.
  const pool = createPool(config, 2);
  await pool.query('DELETE FROM market_data WHERE market = $1', [MARKET]);
  await pool.query('DELETE FROM forecasts WHERE market = $1', [MARKET]);
  const end = Date.UTC(2024, 7, 1);
  const days = 30;
  const n = days * 96;
  const starts = Array.from({ length: n }, (_, i) => new Date(end - days * 24 * HOUR + i * QUARTER));
  await pool.query(
    `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
     SELECT $1, $2, 'HUB', 'RT_PRICE', a, a + interval '15 minutes', v, 'USD/MWh', 'bench', now() FROM unnest($3::timestamptz[], $4::float8[]) AS u(a, v)`,
    [MARKET, SERIES, starts, starts.map((_, i) => 30 + 10 * Math.sin((2 * Math.PI * i) / 96))],
  );
  const base = { market: MARKET, seriesId: SERIES, kind: 'RT_PRICE' as const, modelVersion: 'bench', stepMs: HOUR, unit: 'USD/MWh' };
  const forecasts: Forecast[] = Array.from({ length: days * 24 }, (_, h) => {
    const t = end - days * 24 * HOUR + h * HOUR;
    return { ...base, issuedAt: t, targetStart: t, values: Array.from({ length: 24 }, (_, k) => 30 + k * 0.1), inputStart: t - 24 * HOUR, inputEnd: t };
  });
  await writeForecasts(pool, forecasts);

  // --- The gateway, with its live feed on a topic of the bench's own; no rate limit (the load is ours).
  const topic = `bench.gateway.forecasts.${process.pid}`;
  const p = await provision(config, 'sda-bench-gateway');
  const admin = p.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ ...TOPICS.forecasts, name: topic, retentionMs: HOUR }], config.kafka.partitions);
  await admin.disconnect();
  const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-bench-gw-'));
  const gwConfig = { ...config, gateway: { ...config.gateway, rateLimitPerMinute: 0, forecastsTopic: topic } };
  const gw = await startGateway(gwConfig, { port: 0, registryDir: registry });
  await gw.extensions.ready;
  const pageUrl = `${gw.url}/#market=${MARKET}&series=${SERIES}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const chromiumVersion = browser.version();
  const producer = createProducer(p.kafka);
  await producer.connect();
  const http: CannonResult[] = [];
  try {
    // Page load: a fresh browser context (empty cache) per load.
    const firstData: number[] = [];
    const domReady: number[] = [];
    for (let i = 0; i < opts.runs + 2; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await ctx.newPage();
      await page.goto(pageUrl);
      await page.waitForFunction(() => (window as unknown as PageWindow).__sdaFirstData !== undefined, undefined, { timeout: 60_000 });
      const t = await page.evaluate(() => ({ first: (window as unknown as PageWindow).__sdaFirstData!, dom: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd }));
      if (i >= 2) {
        firstData.push(t.first);
        domReady.push(t.dom);
      }
      await ctx.close();
    }
    results['page: navigation start → DOMContentLoaded (baseline)'] = quantiles(domReady);
    results['page: navigation start → first chart data drawn'] = quantiles(firstData);

    // Live: publish → gateway feed → SSE → page drawn.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(pageUrl);
    await page.waitForFunction(() => (window as unknown as PageWindow).__sdaFirstData !== undefined, undefined, { timeout: 60_000 });
    const atGateway = new Map<number, number>();
    const unsubscribe = gw.extensions.feed!.subscribe((f) => {
      if (f.market === MARKET) atGateway.set(f.targetStart, f.receivedAt);
    });
    const toGateway: number[] = [];
    const toPage: number[] = [];
    for (let i = 0; i < opts.live + 2; i++) {
      const t = end + i * HOUR;
      const f: Forecast = { ...base, modelVersion: 'bench-live', issuedAt: Date.now(), targetStart: t, values: [40 + i, 41, 42], inputStart: t - 24 * HOUR, inputEnd: t };
      const sent = Date.now();
      await sendRecords(producer, topic, [{ key: SERIES, value: p.serde.encode(p.writers.forecasts, f) }]);
      await page.waitForFunction((k) => ((window as unknown as PageWindow).__sdaLiveForecasts ?? 0) >= k, i + 1, { timeout: 30_000, polling: 5 });
      const shown = await page.evaluate(() => (window as unknown as PageWindow).__sdaLastLiveAt!);
      if (i >= 2) {
        toGateway.push((atGateway.get(t) ?? Number.NaN) - sent);
        toPage.push(shown - sent);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    unsubscribe();
    await ctx.close();
    results['live: forecast published (acks=all) → received by the gateway feed (baseline)'] = quantiles(toGateway);
    results['live: forecast published (acks=all) → drawn on the page'] = quantiles(toPage);
    if (opts.chainHours > 0) Object.assign(results, await chainPhase(config, pool, browser, gw, topic, opts.chainHours));
    await browser.close();

    // HTTP under load from a second process.
    const forecastPath = `/forecast?series=${SERIES}&market=${MARKET}&at=${new Date(end - 36 * HOUR + 1_800_000).toISOString()}`;
    const check = await fetch(`${gw.url}${forecastPath}`);
    if (check.status !== 200) throw new Error(`bench: ${forecastPath} answered ${check.status}: ${await check.text()}`);
    for (const [name, p0] of [['GET /livez (baseline)', '/livez'], ['GET / (dashboard page)', '/'], ['GET /forecast', forecastPath], ['GET /api/history (48 h)', `/api/history?series=${SERIES}&market=${MARKET}`]] as const) {
      const r = await autocannon(`${gw.url}${p0}`, opts.rate, opts.connections, opts.duration);
      http.push(r);
      results[`${name} at ${opts.rate} req/s`] = r;
    }
  } finally {
    await browser.close().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await gw.close();
    await admin.connect().then(() => admin.deleteTopics({ topics: [topic] })).catch(() => undefined).finally(() => admin.disconnect());
    await pool.query('DELETE FROM market_data WHERE market = $1', [MARKET]);
    await pool.query('DELETE FROM forecasts WHERE market = $1', [MARKET]);
    await pool.end();
    await rm(registry, { recursive: true, force: true });
  }

  for (const [k, v] of Object.entries(results)) {
    const r = v as { p50Ms: number; p99Ms: number; maxMs: number; n?: number; achievedPerSec?: number; non2xx?: number; errors?: number };
    table.push([k, `${r.p50Ms}`, `${r.p99Ms}`, r.achievedPerSec !== undefined ? `${Math.round(r.achievedPerSec).toLocaleString('en-US')} req/s achieved, ${r.non2xx} non-2xx, ${r.errors} errors` : `n=${r.n}, max ${r.maxMs} ms`]);
  }
  const cpus = os.cpus();
  const report = {
    bench: 'gateway',
    conditions: {
      date: new Date().toISOString(),
      host: `${cpus.length} x ${cpus[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; PostgreSQL, Kafka, the registry and Chromium on this machine; load average (1/5/15 min) at start ${loadAtStart}`,
      node: process.version,
      browser: `Debian chromium ${chromiumVersion}, headless, driven by playwright-core; viewport 1280x900; a fresh context (empty cache) per page load; ${opts.runs} timed loads after 2 warm-up loads`,
      page: `GET /#market=${MARKET}&series=${SERIES}: HTML + CSS + 2 JS modules + uPlot (ESM) from the gateway, then /api/overview, /api/series, /api/history (48 h: 48 hourly means of 192 15-minute prices, 48 forecasts) and the /events stream; "first chart data" is performance.now() when uPlot first holds data (window.__sdaFirstData)`,
      data: `${n} 15-minute prices and ${forecasts.length} hourly forecasts (horizon 24) of ${SERIES} in market ${MARKET}, next to the other rows of market_data and forecasts`,
      chain: opts.chainHours > 0
        ? `${opts.chainHours} simulated hours (after 1 warm-up) of ${CHAIN_SERIES} and SYSTEM ticks in market ${CHAIN_MARKET}, one hour per send (acks=all), through the windower (hourly, exactly once) and the forecaster (untrained LSTM 32, 24 steps, horizon 4) running in the bench process, on topics of the bench's own, after 2 simulated days filled the windows; measured from before the send to the page's redraw`
        : 'skipped (--chain-hours 0)',
      live: `${opts.live} forecasts (after 2 warm-up), one at a time, published with acks=all to a 3-partition topic of the bench's own; the gateway's live feed (kafkajs consumer, maxWait 200 ms) pushes them over SSE; the page is polled every 5 ms. Measured from before the send to the page's Date.now() after redrawing (the Kafka → SSE → browser part of the chain below)`,
      load: `autocannon 9.0.0 in a second Node process on loopback: ${opts.connections} connections, ${opts.duration} s per run, fixed overall rate ${opts.rate} req/s (-R; whole milliseconds); gateway in the bench process with its rate limit off, PostgreSQL pool of 8, LOG_LEVEL=${process.env.LOG_LEVEL ?? 'info'} (at info every request writes an access-log line to stderr)`,
    },
    results,
    loadAverageAtEnd: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n| measurement | p50 ms | p99 ms | notes |\n|---|---|---|---|\n`);
  for (const [k, p50, p99, note] of table) process.stdout.write(`| ${k} | ${p50} | ${p99} | ${note} |\n`);
  return report;
}
