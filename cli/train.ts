// `sda train`: train the tfjs LSTM forecaster on feature windows from PostgreSQL, score it on a time-ordered
// hold-out against baselines, register it (model.onnx + tfjs checkpoint + metadata.json); `sda train evaluate`
// scores any registry entry's ONNX model the same way; `sda train promote` points `current` at a registered version;
// `sda train metrics` exports the model_metrics table.
import fs from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { BACKEND_CHOICES, backendChoice } from '../model/backend.js';
import { type Evaluation, metricsRecord, metricsSummaryLine } from '../model/evaluate.js';
import { exportMetricsCsv } from '../model/metrics-store.js';
import { promoteVersion, readCurrent, registryRoot } from '../model/registry.js';
import { baselinesNotBeaten, demoPromotion } from './demo-promote.js';
import { BAND_SCALES, BAND_SIDES, BASE_PENALTIES, BLEND_RULES, HOUR_MS, TRAIN_DEFAULTS, type TrainOptions, runEvaluate, runTraining } from '../model/train.js';
import { BAND_RULES } from '../model/quantile.js';
import { ONLINE_BAND_DEFAULTS, type OnlineBandSpec, OnlineBandSpecError, parseOnlineBandChoice } from '../model/online-band.js';
import { createPool } from '../platform/postgres/pool.js';
import { TickKindValues } from '../schemas/types.js';
import { validateRunName } from '../platform/kafka/topics.js';
import { OptionError, dateOption, intOption, listOption, numberOption, oneOfIntOption } from './options.js';

/** `sda train`'s options as commander gives them (strings, before validation). */
export interface TrainCliOptions {
  market: string;
  kind: string;
  series?: string;
  step: string;
  from?: string;
  to?: string;
  epochs: string;
  units: string;
  layers: string;
  horizon: string;
  batch: string;
  lr: string;
  lrFinal: string;
  loss: string;
  huberDelta: string;
  scaling: string;
  target: string;
  seed: string;
  folds: string;
  bandRule: string;
  bandSides: string;
  bandScale: string;
  blendRule: string;
  basePenalty: string;
  onlineBand: string;
  backend: string;
  registry?: string;
  run?: string;
  /** --promote WHEN (if-better, always) or false from --no-promote. */
  promote: string | boolean;
  exportDataset?: string;
  progress: boolean;
}

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

function nameOption(option: string, raw: string): string {
  if (!NAME_RE.test(raw)) throw new OptionError(option, `${JSON.stringify(raw)} is not a valid name (1-64 of A-Z a-z 0-9 _ . -)`);
  return raw;
}

function oneOf<T extends string>(option: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new OptionError(option, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

/**
 * `sda train`'s options validated into TrainOptions (no I/O): each value in its range or set, --from before --to,
 * 1-4 learning rates, and the band and blend rules that need rolling-origin blocks refused with --folds 1.
 * Throws OptionError naming the first bad option.
 */
export function parseTrainOptions(opts: TrainCliOptions): TrainOptions {
  const step = oneOfIntOption('--step', opts.step, [60, 15]);
  const seriesIds = listOption(opts.series)?.map((s) => nameOption('--series', s));
  const from = opts.from !== undefined ? new Date(dateOption('--from', opts.from)) : undefined;
  const to = opts.to !== undefined ? new Date(dateOption('--to', opts.to)) : undefined;
  if (from && to && !(from < to)) throw new OptionError('--from', `${opts.from} must be before --to ${opts.to}`);
  const lrList = listOption(opts.lr) ?? [];
  if (lrList.length === 0 || lrList.length > 4) throw new OptionError('--lr', `expected 1 to 4 comma-separated rates, got ${JSON.stringify(opts.lr)}`);
  const lrs = lrList.map((v) => numberOption('--lr', v, 1e-6, 1));
  const folds = intOption('--folds', opts.folds, 1, 5);
  const bandRule = oneOf('--band-rule', opts.bandRule, [...BAND_RULES, 'auto'] as const);
  const bandSides = oneOf('--band-sides', opts.bandSides, [...BAND_SIDES, 'auto'] as const);
  const blendRule = oneOf('--blend-rule', opts.blendRule, BLEND_RULES);
  // Rules that compare or combine rolling-origin blocks do nothing with one validation slice.
  if (folds === 1) {
    if (bandRule !== 'max') throw new OptionError('--band-rule', `${bandRule} combines validation blocks; with --folds 1 there is one slice (use max, or --folds 2 or more)`);
    if (bandSides === 'auto') throw new OptionError('--band-sides', 'auto chooses by next-block coverage; with --folds 1 there is no next block (use separate or joint, or --folds 2 or more)');
    if (blendRule === 'every-block') throw new OptionError('--blend-rule', 'every-block compares validation blocks; with --folds 1 there is one slice (use worst-block or diebold-mariano, or --folds 2 or more)');
  }
  return {
    market: nameOption('--market', opts.market),
    // The kinds a market tick carries (schemas/types.ts TickKindValues): an unknown one is refused here, before the
    // training backend and the feature matrix load (it used to fail later with 'no feature windows').
    kind: oneOf('--kind', opts.kind, TickKindValues),
    stepMs: step === 60 ? HOUR_MS : 900_000,
    seriesIds,
    from,
    to,
    epochs: intOption('--epochs', opts.epochs, 1, 10_000),
    units: intOption('--units', opts.units, 1, 1_024),
    layers: intOption('--layers', opts.layers, 1, 8),
    horizon: intOption('--horizon', opts.horizon, 1, 96),
    batchSize: intOption('--batch', opts.batch, 1, 65_536),
    learningRate: lrs[0]!,
    learningRates: lrs,
    finalLrFraction: numberOption('--lr-final', opts.lrFinal, 0.001, 1),
    loss: oneOf('--loss', opts.loss, ['pinball', 'huber', 'mse'] as const),
    huberDelta: numberOption('--huber-delta', opts.huberDelta, 1e-3, 1e3),
    scaling: oneOf('--scaling', opts.scaling, ['robust', 'standard'] as const),
    target: oneOf('--target', opts.target, ['ridge', 'delta', 'level'] as const),
    seed: intOption('--seed', opts.seed, 0, 2 ** 31 - 1),
    folds,
    bandRule,
    bandSides,
    bandScale: oneOf('--band-scale', opts.bandScale, BAND_SCALES),
    blendRule,
    basePenalty: oneOf('--base-penalty', opts.basePenalty, BASE_PENALTIES),
    onlineBand: onlineBandOption(opts.onlineBand),
    backend: backendChoice(opts.backend),
    registry: opts.registry,
    promote: trainPromotion(opts.promote === false ? false : oneOf('--promote', String(opts.promote), PROMOTE_WHEN), opts.registry),
    exportDatasetDir: opts.exportDataset,
    progress: opts.progress,
    run: opts.run === undefined ? undefined : validateRunName(opts.run),
  };
}

/** `sda train --promote WHEN`: if-better (the default: sda demo's rule, cli/demo-promote.ts) or always. */
export const PROMOTE_WHEN = ['if-better', 'always'] as const;

/**
 * What `sda train` does with the model it registered (TrainOptions.promote), by --promote / --no-promote:
 * - false (--no-promote): register only;
 * - 'if-better' (default): sda demo's rule (demoPromotion): promote when the model's overall hold-out RMSE beats naive
 *   last hour and ridge strictly, or when no model is current; otherwise keep `current`, print why and the
 *   `sda train promote VERSION` command that serves it anyway;
 * - 'always': promote, and when it loses to a baseline print a warning naming the baselines and the version it replaced.
 * `registry` is --registry (default registryRoot()); `write` takes each line (default stdout; warnings go there too,
 * beside the training report). The rule reads `current` when it is called, after the new version is registered.
 */
export function trainPromotion(when: (typeof PROMOTE_WHEN)[number] | false, registry?: string, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): TrainOptions['promote'] {
  if (when === false) return false;
  const flag = registry ? ` --registry ${registry}` : '';
  return async (version: string, evaluation: Evaluation) => {
    const metrics = metricsRecord(evaluation);
    const current = await readCurrent(registryRoot(registry));
    if (when === 'always') {
      const { lost, rmseText } = baselinesNotBeaten(metrics);
      if (lost.length > 0) write(`warning: ${version} (hold-out RMSE ${rmseText}) does not beat ${lost.join(' and ')}; promoted all the same (--promote always)${current ? `; to go back: sda train promote ${current}${flag}` : ''}`);
      return true;
    }
    const decision = demoPromotion(version, metrics, current, `sda train promote ${version}${flag}, or train with --promote always`);
    write(decision.line);
    return decision.promote;
  };
}

/** --online-band: off, auto or METHOD[,WINDOW_DAYS[,GAMMA[,CENTRE_DAYS]]] (model/online-band.ts parseOnlineBandChoice). */
function onlineBandOption(raw: string): OnlineBandSpec | 'auto' | 'off' {
  try {
    return parseOnlineBandChoice(raw);
  } catch (e) {
    if (e instanceof OnlineBandSpecError) throw new OptionError('--online-band', e.message);
    throw e;
  }
}

export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('train the LSTM forecaster (tfjs) on feature windows from PostgreSQL, score it on a time-ordered hold-out against naive, seasonal and ridge baselines, and register it (model.onnx, tfjs checkpoint, metadata.json)')
    .option('--market <name>', 'market of the target series', TRAIN_DEFAULTS.market)
    .option('--kind <kind>', `kind of the target series (${TickKindValues.join(', ')})`, TRAIN_DEFAULTS.kind)
    .option('--series <list>', 'comma-separated series ids (default: all series of market/kind in features; for prices the HB_* hubs)')
    .option('--step <minutes>', 'window step of the feature windows: 60 or 15', '60')
    .option('--from <date>', 'first window end (exclusive), ISO date or date-time (default: the oldest window)')
    .option('--to <date>', 'last window end (inclusive) (default: the newest window)')
    .option('--epochs <n>', 'training epochs', String(TRAIN_DEFAULTS.epochs))
    .option('--units <n>', 'LSTM units per layer', String(TRAIN_DEFAULTS.units))
    .option('--layers <n>', 'stacked LSTM layers', String(TRAIN_DEFAULTS.layers))
    .option('--horizon <steps>', 'steps ahead to forecast, 1-96 (P10/P50/P90 per step; 36 hourly steps cover tomorrow\'s day-ahead market)', String(TRAIN_DEFAULTS.horizon))
    .option('--batch <n>', 'minibatch size', String(TRAIN_DEFAULTS.batchSize))
    .option('--lr <rates>', 'Adam learning rate(s), comma-separated: each is trained with early stopping and the best on the (newest) validation block kept', TRAIN_DEFAULTS.learningRates.join(','))
    .option('--lr-final <fraction>', 'learning rate of the last epoch as a fraction of --lr (linear decay from epoch 1)', String(TRAIN_DEFAULTS.finalLrFraction))
    .option('--loss <name>', 'loss of the P50 head: pinball (the median; P10/P90 always use pinball loss), huber or mse', TRAIN_DEFAULTS.loss)
    .option('--huber-delta <d>', 'Huber loss: quadratic within this many scaled units, linear beyond', String(TRAIN_DEFAULTS.huberDelta))
    .option('--scaling <how>', 'value/target standardizer: robust (median, IQR/1.349) or standard (mean, std)', TRAIN_DEFAULTS.scaling)
    .option('--target <what>', 'ridge: learn the correction to a ridge forecast; delta: the change from the last value; level: the value itself (the base is added back inside model.onnx)', TRAIN_DEFAULTS.target)
    .option('--seed <n>', 'seed for initial weights and minibatch order', String(TRAIN_DEFAULTS.seed))
    .option('--folds <n>', 'rolling-origin validation blocks (10% of the training samples each, the latest first; each forecast by models fitted only before it) for early stopping, per-horizon sources and the conformal band; 1 = one slice of the latest 20%; blocks under 3 days fall back to 1', String(TRAIN_DEFAULTS.folds))
    .option('--band-rule <rule>', `how the rolling-origin blocks' conformal offsets combine into the P10-P90 band: max (the widest block's), pooled, median, mean, recent (recency-weighted), or auto (of these, the one whose offsets from the older blocks came closest to 80% on the next block); all but max need --folds 2 or more`, TRAIN_DEFAULTS.bandRule)
    .option('--band-sides <how>', 'separate (each side of the band calibrated on its own), joint (one two-sided offset, CQR), or auto (chosen by next-block coverage, needs --folds 2 or more)', TRAIN_DEFAULTS.bandSides)
    .option('--band-scale <what>', "scale the band per window inside model.onnx (normalized conformal): none, volatility (the window's mean absolute hourly change), level (|P50| from the training median), or both", TRAIN_DEFAULTS.bandScale)
    .option('--blend-rule <rule>', 'when a two-source blend replaces the best single source at a horizon: worst-block (beats it by 2% in the worst-block ratio), every-block (and by 2% in every block; needs --folds 2 or more), or diebold-mariano (and in a one-sided Diebold-Mariano test at 5%)', TRAIN_DEFAULTS.blendRule)
    .option('--base-penalty <how>', "the ridge penalty of the network's linear base (--target ridge): shared (the ridge baseline's one penalty) or per-horizon (the default: one per step ahead, chosen on the rolling-origin blocks; the ridge baseline is unchanged)", TRAIN_DEFAULTS.basePenalty)
    .option('--online-band <spec>', `the online P10-P90 band the forecaster serves (recalibrated per series and hour ahead from the residuals of its trailing window; model/online-band.ts): METHOD[,WINDOW_DAYS[,GAMMA[,CENTRE_DAYS]]] with METHOD aci (adaptive conformal inference, each side's misses), aci-interval (ACI on the band's misses, either side), window (rolling-window conformal) or static, and CENTRE_DAYS > 0 to shift the served P50 by the median residual of that many trailing days (default 0: off; it lost on the validation blocks); auto (the candidate closest to 80% on the validation blocks); off (the static band only)`, `${ONLINE_BAND_DEFAULTS.method},${ONLINE_BAND_DEFAULTS.windowDays},${ONLINE_BAND_DEFAULTS.gamma}`)
    .option('--backend <name>', `TensorFlow.js backend: ${BACKEND_CHOICES.join(', ')} (auto: node-gpu, node, wasm, cpu, first that loads)`, 'auto')
    .option('--run <name>', "train on a run's stored features (market run.NAME.<market>, written by the run's features sink); the model still targets --market, so `sda process forecaster --run NAME` serves it")
    .option('--registry <dir>', 'model registry directory (default: MODEL_REGISTRY_DIR, else ./model_registry)')
    .option('--promote <when>', "when to point `current` at the new model: if-better (it beats naive last hour and ridge on its hold-out, or no model is current; sda demo's rule; otherwise current stays and the line says how to serve it anyway) or always", 'if-better')
    .option('--no-promote', 'register the model without pointing `current` at it (promote it later: sda train promote VERSION)')
    .option('--export-dataset <dir>', 'also write the dataset (dataset.json, X.f32, y.f32, baselines.f32) for the PyTorch trainer')
    .option('--no-progress', 'no per-epoch progress bar on stderr')
    .addHelpText(
      'after',
      `
Examples:
  sda train                                      # ERCOT RT_PRICE, all HB_* hubs, whole range, 36 h, P10/P50/P90
  sda train --kind LOAD --market GB --series TAYLOR_EW --epochs 20
  sda train --horizon 24 --units 64 --no-promote --export-dataset /tmp/ds
  sda train --promote always                     # serve the new model even if it loses to naive last hour or ridge
  sda train evaluate --model current             # re-score the served model (or any version / directory)
  sda train promote VERSION                      # serve a version registered with --no-promote (or roll back)
  sda train metrics --csv metrics.csv

The new model is promoted (\`current\` points at it) when its overall hold-out RMSE beats both naive last hour and
ridge, or when no model is current (sda demo's rule); otherwise current stays and a line says why, with the
\`sda train promote VERSION\` command that serves it anyway (--promote always: promote whatever it scores, warning).

The hold-out is the last 20% of time (by window end); the scaler is fitted on training samples only. Rolling-origin
validation (--folds 3): the latest 30% of the training samples in 3 blocks, each forecast by a ridge and a network
fitted only on the samples before it, chooses the epochs, the learning rate and per hour what serves it (network,
baseline or a blend of two, the one that holds up best at every block) and calibrates the P10-P90 band (split
conformal per block, the widest kept); with blocks under 3 days, one slice of the latest 20%. Scores (RMSE, MAE per
series and overall, RMSE and MAE per horizon, pinball loss, band coverage) go to stdout and to the model_metrics
table, with a Diebold-Mariano test of the served forecast against the best baseline at h = 1, 6, 12, 24, 36.
The band and blend options (--band-rule, --band-sides, --band-scale, --blend-rule) are explained in model/README.md
("band calibration", "step sources"); their defaults (max, separate, none, worst-block) scored best on the simulated
market and taylor together (bench/RESULTS.md, 2026-12-01).
Dataset and registry formats: model/README.md.`,
    )
    .action(async (opts: TrainCliOptions) => {
      const options = parseTrainOptions(opts);
      const config = loadConfig();
      const pool = createPool(config, 2);
      try {
        await runTraining(pool, options);
      } finally {
        await pool.end();
      }
    });

  train
    .command('evaluate')
    .description("score a registry entry's ONNX model (either trainer) through onnxruntime on its hold-out, with the same baselines and table as training")
    .requiredOption('--model <dir|version>', 'a version directory, a version name in the registry, or "current"')
    .option('--dataset <dir>', 'a dataset written by --export-dataset (default: rebuilt from features over the model\'s training and hold-out ranges, with its scaler)')
    .option('--registry <dir>', 'model registry directory (default: MODEL_REGISTRY_DIR, else ./model_registry)')
    .action(async (opts: { model: string; dataset?: string; registry?: string }, cmd: Command) => {
      // `sda train` has --registry too; commander gives it to the parent when it follows the subcommand name.
      const registry = opts.registry ?? (cmd.parent?.opts() as { registry?: string } | undefined)?.registry;
      // A path (it has a separator) is a version directory: say so when it is missing, not that it is a bad version name.
      if (/[\\/]/.test(opts.model) && !fs.existsSync(opts.model)) throw new OptionError('--model', `no such directory: ${opts.model}`);
      const config = loadConfig();
      const pool = createPool(config, 2);
      try {
        await runEvaluate(pool, { model: opts.model, datasetDir: opts.dataset, registry });
      } finally {
        await pool.end();
      }
    });

  train
    .command('promote')
    .description("point the registry's `current` at an existing version (one registered with --no-promote, or an earlier one to roll back); the forecaster picks it up live (within --poll-ms)")
    .argument('<version>', 'a version directory name in the registry (ls the registry, or see the error, for the newest)')
    .option('--registry <dir>', 'model registry directory (default: MODEL_REGISTRY_DIR, else ./model_registry)')
    .addHelpText(
      'after',
      `
Refused, leaving current unchanged, when the version is not in the registry, its metadata.json does not validate
(model/contract.ts) or names another version, or its ONNX file is missing or empty; the error lists the newest
versions. current is replaced atomically (a rename), as sda train does. Prints the previous and the new current
version and the new one's hold-out scores against naive last hour and ridge when its metadata has them.

Examples:
  sda train --no-promote                         # register, keep serving the current model
  sda train promote 20261202T031500123Z-tfjs-1a2b
  sda train promote 20261130T120000000Z-tfjs-9f8e --registry /srv/model_registry   # roll back`,
    )
    .action(async (version: string, opts: { registry?: string }, cmd: Command) => {
      // As for evaluate: --registry before the subcommand name belongs to the parent.
      const registry = opts.registry ?? (cmd.parent?.opts() as { registry?: string } | undefined)?.registry;
      const root = registryRoot(registry);
      // Opened with ONNX Runtime as the forecaster opens it, so a corrupt file is refused here, not after `current` moved.
      const { previous, previousInvalid, entry } = await promoteVersion(root, version, async (e) => {
        const { OnnxModel } = await import('../model/onnx-model.js');
        const m = await OnnxModel.load(e);
        await m.close();
      });
      const before = previousInvalid !== undefined ? `${JSON.stringify(previousInvalid)} (not a version name)` : (previous ?? '(none)');
      process.stdout.write(`registry: ${root}\nprevious current: ${before}\n`);
      process.stdout.write(`current → ${entry.version}${previous === entry.version ? ' (it already was)' : ''}\n`);
      const m = entry.metadata;
      const summary = metricsSummaryLine(m.metrics, m.target.unit, m.architecture.horizon);
      process.stdout.write(summary === null ? 'no hold-out scores in its metadata\n' : `hold-out: ${summary}\n`);
      // Promoting stays the user's call (a roll-back may knowingly serve a weaker model); say so when it loses.
      const { lost, rmseText } = baselinesNotBeaten(m.metrics);
      if (lost.length > 0 && previous !== entry.version) {
        process.stderr.write(`warning: ${entry.version} (hold-out RMSE ${rmseText}) does not beat ${lost.join(' and ')}; to go back: sda train promote ${previous ?? 'VERSION'}${registry ? ` --registry ${registry}` : ''}\n`);
      }
    });

  train
    .command('metrics')
    .description('export the model_metrics table (hold-out and live scores per model version, series, method) as CSV')
    .requiredOption('--csv <file>', 'output CSV file')
    .option('--version <version>', 'only this model version')
    .action(async (opts: { csv: string; version?: string }) => {
      const config = loadConfig();
      const pool = createPool(config, 1);
      try {
        const n = await exportMetricsCsv(pool, opts.csv, opts.version ? { modelVersion: opts.version } : {});
        process.stdout.write(`wrote ${n} model_metrics rows to ${opts.csv}\n`);
      } finally {
        await pool.end();
      }
    });
}
