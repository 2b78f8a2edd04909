// `sda bench <name>`: runs a benchmark from bench/ and prints its figures and conditions.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { runIngestBench } from '../bench/ingest.js';
import { runWindowerBench } from '../bench/windower.js';
import { runWindowerRestoreBench } from '../bench/windower-restore.js';
import { runRoundtripBench } from '../bench/roundtrip.js';
import { runClientsBench } from '../bench/kafka-clients.js';
import { runForecastBench } from '../bench/forecast.js';
import { runDispatchBench } from '../bench/dispatch.js';
import { runReadCommittedBench } from '../bench/read-committed.js';
import { intOption, listOption, numberOption } from './options.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks: print figures and the conditions they were measured under (see bench/RESULTS.md)');
  bench
    .command('dispatch')
    .description('battery LP solve time per problem size (1-step call as baseline, 36 hourly, 96 x 15-min, MILP) and a backtest of a simulated year: every strategy settled on RT prices, forecast-driven on a ridge forecast trained on the year before, with its wall time')
    .option('--solves <n>', 'solves per problem size', '200')
    .option('--days <n>', 'backtest days after the training year', '365')
    .option('--node <id>', 'settlement point', 'HB_NORTH')
    .option('--seed <n>', 'simulator seed', '42')
    .option('--clip <q>', 'quantile of the training prices the ridge forecast is winsorised at (1 = none)', '0.99')
    .action(async (opts: { solves: string; days: string; node: string; seed: string; clip: string }) => {
      if (!/^[A-Z0-9_]{1,64}$/.test(opts.node)) throw new Error(`--node: ${JSON.stringify(opts.node)} is not a settlement point like HB_NORTH`);
      await runDispatchBench({ solves: intOption('--solves', opts.solves, 1, 10_000), days: intOption('--days', opts.days, 7, 366), node: opts.node, seed: intOption('--seed', opts.seed, 0, 1_000_000), clipQuantile: numberOption('--clip', opts.clip, 0.5, 1) });
    });
  bench
    .command('roundtrip')
    .description('produce N Avro MarketTicks through the real broker and registry, then consume and decode them; raw-bytes baseline in the same run')
    .option('-n, --messages <count>', 'messages per phase', '1000000')
    .option('--batch <size>', 'records per produce request (bulk producer)', '2000')
    .option('--skip-baseline', 'skip the raw-bytes baseline run')
    .action(async (opts: { messages: string; batch: string; skipBaseline?: boolean }) => {
      const n = intOption('-n/--messages', opts.messages, 1, 50_000_000);
      const batch = intOption('--batch', opts.batch, 1, 100_000);
      await runRoundtripBench(loadConfig(), { messages: n, batch, baseline: !opts.skipBaseline });
    });
  bench
    .command('clients')
    .description('kafkajs vs @platformatic/kafka (the installed version, and a 2.x fetched into .cache/bench) on the round trip workload, produce then consume, on each Node binary given, in one run (issue 11)')
    .option('-n, --messages <count>', 'records per cell (produce, then consume)', '200000')
    .option('--nodes <paths>', 'comma-separated node binaries (default: this Node and /usr/bin/node when it differs)')
    .option('--clients <names>', 'kafkajs, platformatic (installed), platformatic2 (the fetched 2.x)', 'kafkajs,platformatic,platformatic2')
    .option('--rounds <n>', 'rounds over the matrix, alternating order', '3')
    .action(async (opts: { messages: string; nodes?: string; clients: string; rounds: string }) => {
      const clients = listOption(opts.clients) ?? [];
      const bad = clients.filter((c) => !['kafkajs', 'platformatic', 'platformatic2'].includes(c));
      if (clients.length === 0 || bad.length > 0) throw new Error(`--clients takes kafkajs, platformatic, platformatic2; got ${opts.clients}`);
      const nodes = listOption(opts.nodes) ?? [process.execPath, ...(fs.existsSync('/usr/bin/node') && fs.realpathSync('/usr/bin/node') !== fs.realpathSync(process.execPath) ? ['/usr/bin/node'] : [])];
      const missing = nodes.filter((n) => !fs.existsSync(n));
      if (missing.length > 0) throw new Error(`--nodes: no such file ${missing.join(', ')}; give absolute paths of node binaries`);
      await runClientsBench(loadConfig(), {
        messages: intOption('--messages', opts.messages, 1_000, 5_000_000),
        nodes: nodes.map((n) => path.resolve(n)),
        clients: clients as Array<'kafkajs' | 'platformatic' | 'platformatic2'>,
        rounds: intOption('--rounds', opts.rounds, 1, 10),
      });
    });
  bench
    .command('read-committed')
    .description('kafkajs vs @platformatic/kafka as read_committed readers of an aborted transaction that spans several fetch responses: records delivered per transaction (a correct reader delivers none of the aborted one)')
    .option('--aborted <n>', 'records in the aborted transaction', '2000')
    .option('--record-bytes <n>', 'bytes per aborted record', '2000')
    .option('--fetch-bytes <n>', 'bytes per fetch, both clients', '262144')
    .action(async (opts: { aborted: string; recordBytes: string; fetchBytes: string }) => {
      await runReadCommittedBench(loadConfig(), {
        aborted: intOption('--aborted', opts.aborted, 1, 1_000_000),
        recordBytes: intOption('--record-bytes', opts.recordBytes, 1, 100_000),
        fetchBytes: intOption('--fetch-bytes', opts.fetchBytes, 1_024, 64 * 1_048_576),
      });
    });
  bench
    .command('ingest')
    .description('simulator → Kafka → PostgreSQL sink: ticks/s per stage and end to end, with PostgreSQL COPY alone as the ceiling')
    .option('--days <n>', 'simulated days (all series; 365 days = 569,400 ticks)', '365')
    .action(async (opts: { days: string }) => {
      await runIngestBench(loadConfig(), { days: numberOption('--days', opts.days, 1, 3_660) });
    });
  bench
    .command('train')
    .description('seconds per training epoch of the same LSTM on the same dataset (the target\'s feature matrix in PostgreSQL; run sda demo first) for each tfjs backend and for the PyTorch trainer on CPU')
    .option('--market <m>', 'market of the target', 'ERCOT')
    .option('--kind <k>', 'kind of the target', 'RT_PRICE')
    .option('--epochs <n>', 'epochs per trainer', '3')
    .option('--backends <list>', 'tfjs backends to time (node-gpu, node, wasm, cpu)', 'wasm,cpu')
    .option('--no-torch', 'skip the PyTorch trainer')
    .action(async (opts: { market: string; kind: string; epochs: string; backends: string; torch: boolean }) => {
      const { runTrainBench } = await import('../bench/train.js');
      const { BACKEND_ORDER } = await import('../model/backend.js');
      const backends = (listOption(opts.backends) ?? []).map((b) => {
        const name = BACKEND_ORDER.find((x) => x === b);
        if (!name) throw new Error(`--backends: ${b} is not one of ${BACKEND_ORDER.join(', ')}`);
        return name;
      });
      if (!/^[A-Z0-9_]{1,32}$/.test(opts.market) || !/^[A-Z_]{1,32}$/.test(opts.kind)) throw new Error('--market and --kind are upper-case names, e.g. ERCOT and RT_PRICE');
      await runTrainBench(loadConfig(), { market: opts.market, kind: opts.kind, epochs: intOption('--epochs', opts.epochs, 1, 100), backends, torch: opts.torch });
    });
  bench
    .command('windower')
    .description('the windower with all features: pure core, the exactly-once Kafka processor (catch-up), live lag, with the broker\'s produce/consume as the reference')
    .option('--days <n>', 'simulated days of all series (90 days = 140,400 ticks)', '90')
    .action(async (opts: { days: string }) => {
      await runWindowerBench(loadConfig(), { days: numberOption('--days', opts.days, 1, 3_660) });
    });
  bench
    .command('windower-restore')
    .description('the windower\'s restore: ms from the group join to every assigned partition\'s state restored from the changelog, over a changelog filled by one run first, per round')
    .option('--partitions <n>', 'input partitions', '6')
    .option('--days <n>', 'simulated days of all series in the changelog\'s state', '8')
    .option('--rounds <n>', 'restarts timed', '5')
    .action(async (opts: { partitions: string; days: string; rounds: string }) => {
      await runWindowerRestoreBench(loadConfig(), { partitions: intOption('--partitions', opts.partitions, 1, 64), days: numberOption('--days', opts.days, 1, 60), rounds: intOption('--rounds', opts.rounds, 1, 50) });
    });
  bench
    .command('forecaster-restore')
    .description('the forecaster\'s state rebuild on assignment: per partition, ms from fence to the trailing windows read back and replayed, and the records read, for a last-week model (8 days) and an online-band model, over an input consumed by one run first, per round')
    .option('--partitions <n>', 'input partitions', '3')
    .option('--days <n>', 'simulated days of every series in the input', '30')
    .option('--rounds <n>', 'restarts timed per model', '3')
    .action(async (opts: { partitions: string; days: string; rounds: string }) => {
      const { runForecasterRestoreBench } = await import('../bench/forecaster-restore.js');
      await runForecasterRestoreBench(loadConfig(), { partitions: intOption('--partitions', opts.partitions, 1, 64), days: numberOption('--days', opts.days, 1, 120), rounds: intOption('--rounds', opts.rounds, 1, 50) });
    });
  bench
    .command('forecast-quality')
    .description('forecast quality of `sda train` with its defaults (36 h, P10/P50/P90) on the simulated market and on taylor, through the real windower and features sink: hold-out RMSE per horizon (h = 1, 6, 12, 24, 36) for the served model and every baseline, pinball loss, P10-P90 coverage, step sources, seconds per epoch')
    .option('--days <n>', 'simulated days (the demo uses 45)', '45')
    .option('--datasets <list>', 'sim, taylor or both', 'sim,taylor')
    .option('--epochs <n>', 'epochs (default: sda train\'s)')
    .action(async (opts: { days: string; datasets: string; epochs?: string }) => {
      const { runForecastQualityBench } = await import('../bench/forecast-quality.js');
      const datasets = listOption(opts.datasets) ?? [];
      for (const d of datasets) if (d !== 'sim' && d !== 'taylor') throw new Error(`--datasets: ${d} is not sim or taylor`);
      await runForecastQualityBench(loadConfig(), { days: numberOption('--days', opts.days, 14, 365), datasets, epochs: opts.epochs ? intOption('--epochs', opts.epochs, 1, 100) : undefined });
    });
  bench
    .command('forecast')
    .description('serving: ONNX inference of the current model (or a fresh one: LSTM 32, 24x11) at batch 1 and 256 with the bare onnxruntime run as baseline; GET /forecast latency at fixed rates from autocannon in a second process, with /livez and the raw PostgreSQL query as baselines')
    .option('--duration <s>', 'seconds per load run', '15')
    .option('--rates <list>', 'request rates, req/s over all connections', '200,1000')
    .option('--connections <n>', 'autocannon connections', '10')
    .option('--fresh', 'benchmark a freshly built model even if the registry has a current one')
    .option('--units <n>', 'LSTM units of a freshly built model', '32')
    .option('--horizon <n>', 'horizon of a freshly built model', '24')
    .action(async (opts: { duration: string; rates: string; connections: string; fresh?: boolean; units: string; horizon: string }) => {
      const rates = opts.rates.split(',').map((r) => intOption('--rates', r.trim(), 1, 100_000));
      if (rates.length === 0 || rates.length > 5) throw new Error('--rates: give 1 to 5 rates');
      await runForecastBench(loadConfig(), {
        duration: intOption('--duration', opts.duration, 1, 300),
        rates,
        connections: intOption('--connections', opts.connections, 1, 1_000),
        fresh: opts.fresh === true,
        units: intOption('--units', opts.units, 1, 512),
        horizon: intOption('--horizon', opts.horizon, 1, 168),
      });
    });
  bench
    .command('gateway')
    .description('dashboard and gateway: page load to first chart data in headless Chromium (DOMContentLoaded as baseline), forecast publish → page update over the live feed, tick → windower → forecaster → page, and GET / and /forecast latency at a fixed rate from autocannon in a second process with /livez as baseline')
    .option('--runs <n>', 'timed page loads', '20')
    .option('--live <n>', 'live forecasts timed from publication to the page', '20')
    .option('--duration <s>', 'seconds per load run', '10')
    .option('--rate <n>', 'request rate, req/s over all connections', '200')
    .option('--connections <n>', 'autocannon connections', '10')
    .option('--chain-hours <n>', 'simulated hours timed from tick to page through the windower and forecaster (0 = skip)', '10')
    .action(async (opts: { runs: string; live: string; duration: string; rate: string; connections: string; chainHours: string }) => {
      // Imported when run: it loads playwright-core, a dev dependency the production image leaves out.
      const { runGatewayBench } = await import('../bench/gateway.js');
      await runGatewayBench(loadConfig(), {
        runs: intOption('--runs', opts.runs, 1, 1_000),
        live: intOption('--live', opts.live, 1, 1_000),
        duration: intOption('--duration', opts.duration, 1, 300),
        rate: intOption('--rate', opts.rate, 1, 100_000),
        connections: intOption('--connections', opts.connections, 1, 1_000),
        chainHours: intOption('--chain-hours', opts.chainHours, 0, 23),
      });
    });
  bench
    .command('soak')
    .description('simulated ticks replayed at a speed-up through the whole pipeline (each job a child process) with the gateway under steady GET /forecast and /query load: RSS and heap of every process, consumer lag and errors sampled over time, memory slope after warm-up; curves as CSV/JSON under .cache/artifacts/')
    .option('--days <n>', 'simulated days replayed (7 = one week)', '7')
    .option('--speed <x>', 'event time this many times faster than real time (a week: 100 = 100 min, 1000 = 10 min)', '1000')
    .option('--sample <s>', 'seconds between samples', '5')
    .option('--forecast-rate <n>', 'GET /forecast requests per second', '20')
    .option('--query-rate <n>', 'GET /query requests per second (each is a responder answer)', '0.1')
    .option('--no-rag', 'no RAG responder behind /query (it answers 503); default: the responder, models from `sda models fetch`')
    .action(async (opts: { days: string; speed: string; sample: string; forecastRate: string; queryRate: string; rag: boolean }) => {
      const { runSoakBench } = await import('../bench/soak.js');
      await runSoakBench(loadConfig(), {
        days: numberOption('--days', opts.days, 1 / 96, 366),
        speed: numberOption('--speed', opts.speed, 1, 1_000_000),
        sampleSeconds: numberOption('--sample', opts.sample, 1, 600),
        forecastRate: intOption('--forecast-rate', opts.forecastRate, 1, 100_000),
        queryRate: numberOption('--query-rate', opts.queryRate, 0, 100),
        rag: opts.rag,
      });
    });
  bench
    .command('rag')
    .description('retrieval: embedding latency (1 text, batch of 64), LanceDB indexing and search over N documents, the local LM\'s prompt and generation speed per thread count')
    .option('--documents <n>', 'synthetic summaries to index and search', '5000')
    .option('--repeats <n>', 'timed repeats per latency figure', '50')
    .option('--threads <list>', 'LM thread counts to compare', '1,2')
    .action(async (opts: { documents: string; repeats: string; threads: string }) => {
      const threads = opts.threads.split(',').map((t) => intOption('--threads', t.trim(), 1, 64));
      if (threads.length === 0 || threads.length > 4) throw new Error('--threads: give 1 to 4 thread counts');
      const { runRagBench } = await import('../bench/rag.js');
      await runRagBench(loadConfig(), { documents: intOption('--documents', opts.documents, 10, 200_000), repeats: intOption('--repeats', opts.repeats, 3, 10_000), threads });
    });
  bench
    .command('rag-eval')
    .description('the RAG responder on the evaluation question set (test/rag-eval/questions.ts): simulated market RAGEVAL → market_data, summaries → embeddings → LanceDB (.cache/rag-eval), then every question over the market clock read from the data; retrieval recall@5, and per category intent parsed, every expected fact present, no wrong number, latency p50/p95 for the facts answer, without and with the model (30 questions at once too); grounding, injection resistance')
    .option('--threads <n>', 'local LM threads (default LLM_THREADS)')
    .option('--max-tokens <n>', 'most tokens per answer (default the responder\'s 160)')
    .option('--questions <n>', 'only the first n questions (a quick look; default all)')
    .option('--skip-llm', 'retrieval and the no-model baseline only')
    .option('--keep', 'leave the RAGEVAL rows in PostgreSQL after the run')
    .action(async (opts: { threads?: string; maxTokens?: string; questions?: string; skipLlm?: boolean; keep?: boolean }) => {
      const { runRagEvalBench } = await import('../bench/rag-eval.js');
      await runRagEvalBench(loadConfig(), {
        ...(opts.threads ? { threads: intOption('--threads', opts.threads, 1, 64) } : {}),
        ...(opts.maxTokens ? { maxTokens: intOption('--max-tokens', opts.maxTokens, 16, 1_024) } : {}),
        ...(opts.questions ? { limit: intOption('--questions', opts.questions, 1, 1_000) } : {}),
        skipLlm: opts.skipLlm === true,
        keep: opts.keep === true,
      });
    });
}
