// `sda backtest`: battery strategies over history, settled on actual prices; table on stdout, JSON and HTML files.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { makeBattery, type BatteryAsset } from '../dispatch/asset.js';
import { findAsset, loadAssets } from '../dispatch/assets-config.js';
import { backtestHtml, backtestJson, backtestTable, monthTable } from '../dispatch/report.js';
import { PRICE_BASES, type PriceBasis, STRATEGY_NAMES, type StrategyName } from '../dispatch/strategies.js';
import { type ActualsSource, runBacktestJob } from '../processors/dispatcher/backtest-job.js';
import { type HistorySource, runPipelineForBacktest } from '../processors/dispatcher/backtest-pipeline.js';
import { provision } from '../platform/kafka/provision.js';
import { validateRunName } from '../platform/kafka/topics.js';
import { OptionError, dateOption, intOption, listOption, numberOption } from './options.js';
import { Progress } from '../platform/progress.js';
import { centralWallToUtc } from '../market/central-time.js';
import { centralLabel } from '../market/format.js';

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('replay history through battery strategies (forecast-driven rolling horizon, baseline bid, yesterday\'s-prices persistence, perfect foresight) and settle each on the actual real-time price at the asset\'s settlement point; prints a table, writes JSON and a self-contained HTML report')
    .requiredOption('--from <date>', 'first hour of the backtest, ISO date or date-time (UTC; a plain date is UTC midnight, 18:00 or 19:00 US Central the day before)')
    .requiredOption('--to <date>', 'end of the backtest (exclusive; the same reading)')
    .option('--asset <ids>', 'comma-separated asset ids from --assets, case-insensitive (default: the first asset)')
    .option('--assets <file>', 'battery list (JSON, default config/assets.json)')
    .option('--power <mw>', 'an ad-hoc battery instead of --asset: power, MW')
    .option('--energy <mwh>', 'an ad-hoc battery: energy, MWh (with --power)')
    .option('--round-trip-efficiency <fraction>', 'an ad-hoc battery: round-trip efficiency, fraction in (0, 1] (default 0.85)')
    .option('--min-soc <fraction>', 'an ad-hoc battery: lowest state of charge, fraction of --energy in [0, 1) (default 0)')
    .option('--max-soc <fraction>', 'an ad-hoc battery: highest state of charge, fraction of --energy in (0, 1], above --min-soc (default 1)')
    .option('--initial-soc <fraction>', 'an ad-hoc battery: state of charge at the start, fraction between --min-soc and --max-soc (default --min-soc)')
    .option('--cycles-per-day <n>', 'an ad-hoc battery: most equivalent full cycles per US Central day, in (0, 24], or none (default none)')
    .option('--degradation-cost <usd-per-mwh>', 'an ad-hoc battery: degradation cost, $ per MWh discharged, in [0, 10000] (default 0)')
    .option('--series <points>', 'comma-separated settlement points: run each asset at each of them instead of its own')
    .option('--strategies <list>', `comma-separated: ${STRATEGY_NAMES.join(',')}`, STRATEGY_NAMES.join(','))
    .option('--run <name>', 'a run-scoped topic set: forecasts from run.NAME.forecasts; the dispatcher and dispatch sink run on it (schedules on run.NAME.dispatch, rows in dispatch_schedules with run = NAME) and the forecast strategy settles those schedules')
    .option('--pipeline', 'with --run and --simulate or --input: first replay that history through the whole pipeline on the run (ticks -> windower -> features -> an LSTM trained with the defaults on windows ending at or before --from -> forecaster -> forecasts), then dispatch and settle; actual prices from the run\'s stored ticks')
    .option('--epochs <n>', 'with --pipeline: training epochs (default: sda train\'s)')
    .option('--input <files>', 'actual prices from these files (comma-separated; any file `sda replay` reads) instead of market_data')
    .option('--simulate <days>', 'actual prices from the simulator (the same as `sda simulate --days D --start S --seed N`) instead of market_data')
    .option('--sim-start <date>', 'with --simulate: its --start', '2024-07-01')
    .option('--seed <n>', 'with --simulate: its --seed', '42')
    .option('--price-basis <basis>', 'what the forecast strategy optimises on: p50 (the median) or mean (0.3 P10 + 0.4 P50 + 0.3 P90, the expected price; see dispatch/README.md)', 'p50')
    .option('--model <version>', 'only forecasts of this model version')
    .option('--registry <dir>', 'model registry, to check each model was trained on data before --from')
    .option('--allow-lookahead', 'skip the check that models were trained before --from')
    .option('--out <dir>', 'where backtest.json and backtest.html go (default .cache/backtests/<run or live>)')
    .option('--json', 'print the JSON report on stdout instead of the tables')
    .addHelpText('after', `
Forecasts come from the run's topic (--run) or the forecasts table. The whole pipeline on a run, in one command:
  sda backtest --pipeline --run NAME --simulate 120 --sim-start 2024-01-01 --from 2024-04-01 --to 2024-05-01 --asset bess-north
or step by step (each sda process job until it prints "caught up (lag 0) at offsets ...", then Ctrl-C):
  sda replay FILE --run NAME                          (or sda simulate --run NAME): ticks -> run.NAME.ticks
  sda process postgres-sink --run NAME                 (the run's prices in market_data, market run.NAME.ERCOT)
  sda process windower --run NAME, sda process features-sink --run NAME
  sda train --run NAME --to FROM --registry DIR        (a model that saw nothing from --from on)
  sda process forecaster --run NAME --registry DIR
  sda backtest --run NAME --from FROM --to TO --registry DIR --asset bess-north
The optimiser, strategies and settlement: dispatch/README.md.`)
    .action(async (opts: {
      from: string; to: string; asset?: string; assets?: string; power?: string; energy?: string; series?: string; strategies: string; run?: string;
      roundTripEfficiency?: string; minSoc?: string; maxSoc?: string; initialSoc?: string; cyclesPerDay?: string; degradationCost?: string;
      pipeline?: boolean; epochs?: string; input?: string; simulate?: string; simStart: string; seed: string; priceBasis: string; model?: string; registry?: string; allowLookahead?: boolean; out?: string; json?: boolean;
    }) => {
      const fromMs = dateOption('--from', opts.from);
      const toMs = dateOption('--to', opts.to);
      if (fromMs % 3_600_000 !== 0 || toMs % 3_600_000 !== 0) throw new OptionError('--from/--to', 'must be whole hours (UTC)');
      if (!(toMs > fromMs) || toMs - fromMs > 3 * 366 * 86_400_000) throw new OptionError('--to', 'must be after --from and at most 3 years later');
      const strategies = (listOption(opts.strategies) ?? []) as StrategyName[];
      const bad = strategies.filter((s) => !(STRATEGY_NAMES as readonly string[]).includes(s));
      if (bad.length > 0 || strategies.length === 0) throw new OptionError('--strategies', `unknown ${bad.join(',') || '(none)'}; choose from ${STRATEGY_NAMES.join(',')}`);
      if (opts.run !== undefined) validateRunName(opts.run);
      if (!(PRICE_BASES as readonly string[]).includes(opts.priceBasis)) throw new OptionError('--price-basis', `expected ${PRICE_BASES.join(' or ')}, got ${JSON.stringify(opts.priceBasis)}`);
      const assets = backtestAssets(opts);
      const hint = plainDateHint(opts.from, opts.to);
      if (hint) (opts.json ? process.stderr : process.stdout).write(`${hint}\n`);
      let actuals: ActualsSource = { kind: 'db' };
      if (opts.input && opts.simulate) throw new OptionError('--input/--simulate', 'choose one source of actual prices');
      if (opts.input) actuals = { kind: 'files', files: listOption(opts.input)! };
      if (opts.simulate) actuals = { kind: 'simulator', days: numberOption('--simulate', opts.simulate, 1, 3_660), start: dateOption('--sim-start', opts.simStart), seed: intOption('--seed', opts.seed, 0, Number.MAX_SAFE_INTEGER) };
      let registryDir = opts.registry;
      if (opts.pipeline) {
        if (opts.run === undefined) throw new OptionError('--pipeline', 'needs --run NAME (the topic set the history replays on)');
        if (actuals.kind === 'db') throw new OptionError('--pipeline', 'needs the history to replay: --simulate DAYS (with --sim-start) or --input FILES');
        registryDir ??= path.join(loadConfig().cacheDir, 'backtests', opts.run, 'model_registry');
        if (actuals.kind === 'simulator') {
          // Check the period against the history before publishing anything: training and the baselines need the days before --from.
          const simEnd = actuals.start + actuals.days * 86_400_000;
          const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
          if (toMs > simEnd) throw new OptionError('--to', `is after the simulated history ends (${iso(simEnd)}): raise --simulate or move --to`);
          if (fromMs - actuals.start < 14 * 86_400_000) throw new OptionError('--from', `needs at least 14 days of history before it to train on and for the baselines; the simulation starts ${iso(actuals.start)}: move --sim-start earlier or --from later`);
        }
        const history: HistorySource = actuals.kind === 'files' ? { kind: 'files', files: actuals.files } : { kind: 'simulator', start: actuals.start, days: actuals.days, seed: actuals.seed, nodes: [...new Set(assets.map((a) => a.settlementPoint))] };
        const epochs = opts.epochs === undefined ? undefined : intOption('--epochs', opts.epochs, 1, 10_000);
        const config = loadConfig();
        const p = await provision(config, 'sda-backtest');
        const t0 = Date.now();
        const stage = (what: string) => process.stderr.write(`backtest pipeline [${((Date.now() - t0) / 1_000).toFixed(0)} s] ${what}\n`);
        const r = await runPipelineForBacktest(config, p, { run: opts.run, history, trainTo: fromMs, registryDir, ...(epochs !== undefined ? { epochs } : {}), onProgress: stage, print: (l) => { if (!opts.json) process.stdout.write(`  ${l}\n`); } });
        stage(`${r.ticksPublished.toLocaleString('en-US')} ticks (${r.ticksDeadLettered} dead-lettered), ${r.windows.toLocaleString('en-US')} windows, model ${r.modelVersion}, ${r.forecasts.toLocaleString('en-US')} forecasts; seconds: ${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
        // Settle on the prices the run stored (market run.NAME.<market>), exactly what went through the pipeline.
        actuals = { kind: 'db' };
      }
      const progress = new Progress('backtest', assets.length * strategies.length + (opts.run ? 2 : 0), 2_000);
      const job = await runBacktestJob(loadConfig(), {
        assets, fromMs, toMs, strategies, actuals,
        ...(opts.run !== undefined ? { run: opts.run } : {}),
        ...(opts.model ? { modelVersion: opts.model } : {}),
        ...(registryDir ? { registryDir } : {}),
        allowLookahead: Boolean(opts.allowLookahead),
        priceBasis: opts.priceBasis as PriceBasis,
        onProgress: (done, _total, what) => progress.update(done, what),
      });
      progress.done(assets.length * strategies.length + (opts.run ? 2 : 0), `${job.wallSeconds.toFixed(1)} s`);
      const dir = opts.out ?? path.join(loadConfig().cacheDir, 'backtests', opts.run ?? 'live');
      fs.mkdirSync(dir, { recursive: true });
      const json = { meta: job.meta, uncheckedModels: job.uncheckedModels, results: job.results.map((r) => backtestJson(r)) };
      fs.writeFileSync(path.join(dir, 'backtest.json'), `${JSON.stringify(json, null, 2)}\n`);
      fs.writeFileSync(path.join(dir, 'backtest.html'), backtestHtml(job.results, job.meta));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return;
      }
      for (const [k, v] of Object.entries(job.meta)) process.stdout.write(`${k}: ${v}\n`);
      if (job.uncheckedModels.length > 0) process.stdout.write(`not in the registry, training range unchecked: ${job.uncheckedModels.join(', ')}\n`);
      for (const r of job.results) {
        process.stdout.write(`\n${r.assetId} at ${r.settlementPoint}\n${backtestTable(r)}\n\nsettled revenue by month (US Central; the end state of charge is not in it)\n${monthTable(r)}\n`);
      }
      process.stdout.write(`\nwrote ${path.join(dir, 'backtest.json')} and ${path.join(dir, 'backtest.html')}\n`);
    });
}

/**
 * One line when --from or --to is a plain date (YYYY-MM-DD), which dateOption reads as UTC midnight: ERCOT's trading
 * day runs on US Central Prevailing Time (the Operating Day, HE 1-24, in ERCOT's reports), so such a bound falls at 18:00 or
 * 19:00 Central the day before and cuts a Central evening off; the line names the Central clock time and the explicit
 * UTC times of the Central midnights. Null when both bounds carry a time. Pure; does not change how dates are parsed.
 */
export function plainDateHint(from: string, to: string): string | null {
  const plain = [['--from', from], ['--to', to]].filter(([, v]) => /^\d{4}-\d{2}-\d{2}$/.test(v!)) as Array<[string, string]>;
  if (plain.length === 0) return null;
  const midnight = (d: string) => {
    const [year, month, day] = d.split('-').map(Number) as [number, number, number];
    return new Date(centralWallToUtc({ year, month, day }, 0, false)).toISOString().replace('.000Z', 'Z');
  };
  const read = plain.map(([k, v]) => `${k} ${v} is ${v}T00:00Z (${centralLabel(Date.parse(`${v}T00:00:00Z`))})`).join(', ');
  return `note: ${read}; the ERCOT trading day is US Central time: for whole Central days give explicit times, e.g. ${plain.map(([k, v]) => `${k} ${midnight(v)}`).join(' ')}`;
}

/** The ad-hoc battery settings sda backtest takes besides --power/--energy (dispatch/asset.ts BatteryAsset fields). */
export interface AdhocSettingsOptions {
  roundTripEfficiency?: string;
  minSoc?: string;
  maxSoc?: string;
  initialSoc?: string;
  cyclesPerDay?: string;
  degradationCost?: string;
}

/**
 * The settings of an ad-hoc battery given as options (each optional; omitted ones take makeBattery's defaults,
 * dispatch/asset.ts BATTERY_DEFAULTS): --round-trip-efficiency (0, 1], --min-soc [0, 1), --max-soc (0, 1],
 * --initial-soc [0, 1], --cycles-per-day (0, 24] or "none", --degradation-cost [0, 10000] $/MWh. How they fit
 * together (min below max, initial between) is checked by makeBattery (DispatchError ASSET_INVALID naming each rule).
 * /query's answer about a battery described by size names these flags with the configured battery's values, so the
 * backtest it suggests runs the battery it planned (rag/dispatch-answer.ts). Errors: OptionError naming the flag.
 */
export function adhocSettings(opts: AdhocSettingsOptions): Partial<BatteryAsset> {
  const out: Partial<BatteryAsset> = {};
  const fraction = (name: string, raw: string, lowOpen: boolean, highOpen: boolean) => {
    const n = numberOption(name, raw, 0, 1);
    if ((lowOpen && n === 0) || (highOpen && n === 1)) throw new OptionError(name, `expected a fraction in ${lowOpen ? '(' : '['}0, 1${highOpen ? ')' : ']'}, got ${JSON.stringify(raw)}`);
    return n;
  };
  if (opts.roundTripEfficiency !== undefined) out.roundTripEfficiency = fraction('--round-trip-efficiency', opts.roundTripEfficiency, true, false);
  if (opts.minSoc !== undefined) out.minSoc = fraction('--min-soc', opts.minSoc, false, true);
  if (opts.maxSoc !== undefined) out.maxSoc = fraction('--max-soc', opts.maxSoc, true, false);
  if (opts.initialSoc !== undefined) out.initialSoc = fraction('--initial-soc', opts.initialSoc, false, false);
  if (opts.cyclesPerDay !== undefined) {
    if (opts.cyclesPerDay.trim().toLowerCase() === 'none') out.dailyCycleLimit = null;
    else {
      const n = numberOption('--cycles-per-day', opts.cyclesPerDay, 0, 24);
      if (n === 0) throw new OptionError('--cycles-per-day', `expected a number in (0, 24] or none, got ${JSON.stringify(opts.cyclesPerDay)}`);
      out.dailyCycleLimit = n;
    }
  }
  if (opts.degradationCost !== undefined) out.degradationCostPerMwh = numberOption('--degradation-cost', opts.degradationCost, 0, 10_000);
  return out;
}

/**
 * The batteries a backtest runs: an ad-hoc one (--power with --energy, and its other settings, adhocSettings) or ids
 * from the asset file (--asset, default the first), each at every settlement point of --series (all of them, none
 * dropped). A battery moved to another point is named `ID.POINT` (the asset id rule allows `.`, not `@`). Errors:
 * OptionError for a lone --power/--energy, bad numbers, or ad-hoc settings without --power/--energy; the asset loader's
 * error for an unknown id, makeBattery's for an invalid battery (DispatchError ASSET_INVALID).
 */
export function backtestAssets(opts: { asset?: string; assets?: string; power?: string; energy?: string; series?: string } & AdhocSettingsOptions): BatteryAsset[] {
  const series = listOption(opts.series);
  const settings = adhocSettings(opts);
  if (opts.power !== undefined || opts.energy !== undefined) {
    if (opts.power === undefined || opts.energy === undefined) throw new OptionError('--power/--energy', 'give both for an ad-hoc battery');
    const powerMw = numberOption('--power', opts.power, 0.001, 10_000);
    const energyMwh = numberOption('--energy', opts.energy, 0.001, 100_000);
    const id = `adhoc-${opts.power}mw-${opts.energy}mwh`;
    return (series ?? ['HB_NORTH']).map((sp) => makeBattery({ ...settings, id: series && series.length > 1 ? `${id}.${sp}` : id, settlementPoint: sp, powerMw, energyMwh }));
  }
  if (Object.keys(settings).length > 0) throw new OptionError('--round-trip-efficiency/--min-soc/--max-soc/--initial-soc/--cycles-per-day/--degradation-cost', 'set an ad-hoc battery (with --power and --energy); a configured battery\'s settings come from --assets');
  const all = loadAssets(opts.assets);
  const chosen = (listOption(opts.asset) ?? [all[0]!.id]).map((id) => findAsset(all, id));
  if (!series) return chosen;
  return chosen.flatMap((a) => series.map((sp) => makeBattery({ ...a, id: series.length > 1 || sp !== a.settlementPoint ? `${a.id}.${sp}` : a.id, settlementPoint: sp })));
}
