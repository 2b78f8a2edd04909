// The training job behind `sda train`: feature windows from PostgreSQL → dataset → tfjs LSTM → hold-out scores
// against baselines → registry entry (model.onnx, tfjs checkpoint, metadata.json) → model_metrics rows. And the
// evaluation of any registry entry's ONNX file on a hold-out (`sda train evaluate`), which is how a model from
// the PyTorch trainer is checked with the same table.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type pg from 'pg';
import { Progress } from '../cli/progress.js';
import { projectRoot } from '../config/config.js';
import { type BackendChoice, selectBackend } from './backend.js';
import { MODEL_FILE, METADATA_FILE, type ModelMetadata, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, ONNX_QUANTILES, QUANTILES, SEQUENCE_FEATURES, type Scaler, scaleTarget, unscaleTarget } from './contract.js';
import { fitRidge } from './baselines.js';
import { LAST_WEEK_SOURCE, SERVED_SOURCES, type ServedSource, type StepSource, blendLabel, chooseBlends, conformalOffsets, conformalQuantile, lastWeekWeights, seasonalNaiveIndex } from './quantile.js';
import { type ServedSpec, composeServedGraph, linearParts, servedForecast } from './served-graph.js';
import { type Dataset, EmptyDatasetError, type SeriesMatrix, type TargetScaling, buildDataset, exportDataset, readDataset, rescaleInputs } from './dataset.js';
import { type Evaluation, evaluateHoldout, horizonTable, markdownTable, metricsRecord, quantileLine, summaryLine } from './evaluate.js';
import { loadFeatureMatrix } from './feature-matrix.js';
import { type EpochResult, type TargetMode, type TrainLoss, buildLstm, modelSummary, predictScaled, trainLstm } from './lstm.js';
import { recordMetrics } from './metrics-store.js';
import { exportTfjsLstmToOnnx } from './onnx-export.js';
import { OnnxModel } from './onnx-model.js';
import { CURRENT_FILE, type RegistryEntry, loadEntry, readCurrent, newVersion, registryRoot, setCurrent, writeVersion } from './registry.js';
import { serializeTfjsModel } from './tfjs-io.js';
import { runMarket } from '../streams/kafka/topics.js';

export const HOUR_MS = 3_600_000;

export interface TargetQuery {
  market: string;
  kind: string;
  stepMs: number;
  /** Series to train on; default: every series of (market, kind, step) in `features` (for prices: the HB_* hubs). */
  seriesIds?: string[];
  from?: Date;
  to?: Date;
}

export interface TrainOptions extends TargetQuery {
  epochs: number;
  units: number;
  layers: number;
  horizon: number;
  batchSize: number;
  learningRate: number;
  /** Learning rates to try (each trained with early stopping; the best on the validation slice is kept). Default [learningRate]. */
  learningRates?: readonly number[];
  /** Learning rate of the last epoch as a fraction of learningRate (linear decay; default TRAIN_DEFAULTS). */
  finalLrFraction?: number;
  /** Training loss on the scaled target (default 'huber'). */
  loss?: TrainLoss;
  huberDelta?: number;
  /** How the value/target standardizer is fitted (default 'robust'). */
  scaling?: TargetScaling;
  /** Learn the level, or the delta from the last value with the residual added inside the ONNX graph. */
  target?: TargetMode;
  seed: number;
  backend: BackendChoice;
  registry?: string;
  promote: boolean;
  exportDatasetDir?: string;
  /**
   * Train on a run's rows (`sda train --run NAME`): features are read under market `run.NAME.<market>` (where a run's
   * sinks write them, see runMarket) while the model's target market stays `<market>`, so the forecaster serves the
   * run's windows (which carry the plain market on run.NAME.features).
   */
  run?: string;
  /** Human-readable output (stdout by default). */
  print?: (line: string) => void;
  /** Show the per-epoch progress bar on stderr (default true). */
  progress?: boolean;
}

export const TRAIN_DEFAULTS = {
  market: 'ERCOT',
  kind: 'RT_PRICE',
  stepMs: HOUR_MS,
  epochs: 6,
  units: 32,
  layers: 1,
  horizon: 36,
  batchSize: 64,
  learningRate: 0.003,
  learningRates: [0.003, 0.001] as readonly number[],
  finalLrFraction: 0.1,
  loss: 'pinball' as TrainLoss,
  huberDelta: 0.5,
  scaling: 'robust' as TargetScaling,
  target: 'ridge' as TargetMode,
  seed: 42,
} as const;

export interface TrainResult {
  version: string;
  dir: string;
  promoted: boolean;
  backend: string;
  dataset: Dataset;
  /** Per epoch of the chosen learning rate; holdoutLoss is the validation slice's P50 MSE (scaled). */
  epochs: Array<{ epoch: number; trainLoss: number; holdoutLoss: number; seconds: number; holdoutSeconds: number }>;
  evaluation: Evaluation;
  metadata: ModelMetadata;
  /** The served graph's parts (linear base, ridge, sources, band offsets) around the tfjs network. */
  spec: ServedSpec;
}

/** The unit of a target's values (features rows carry none). */
export function unitFor(market: string, kind: string): string {
  if (!kind.endsWith('_PRICE')) return 'MW';
  return market === 'GB' ? 'GBP/MWh' : 'USD/MWh';
}

function describeTarget(q: TargetQuery, series: string[]): string {
  return `${q.market}/${series.length ? series.join(',') : '*'}/${q.kind}`;
}

function emptyHint(q: TargetQuery, series: string[], range: string): string {
  return (
    `no feature windows for ${describeTarget(q, series)} (step ${q.stepMs / 60_000} min) in ${range}; ` +
    'run sda demo or sda simulate + sda process windower/features-sink first'
  );
}

/** Resolve the series list and the time range (the whole range present in `features` when not given). */
export async function resolveTarget(pool: pg.Pool, q: TargetQuery): Promise<{ seriesIds: string[]; from: Date; to: Date }> {
  let seriesIds = q.seriesIds;
  if (!seriesIds || seriesIds.length === 0) {
    const res = await pool.query<{ series_id: string }>(
      'SELECT DISTINCT series_id FROM features WHERE market = $1 AND kind = $2 AND step_ms = $3 ORDER BY series_id',
      [q.market, q.kind, q.stepMs],
    );
    const all = res.rows.map((r) => r.series_id);
    const hubs = all.filter((s) => s.startsWith('HB_'));
    seriesIds = q.kind.endsWith('_PRICE') && hubs.length > 0 ? hubs : all;
    if (seriesIds.length === 0) throw new EmptyDatasetError(emptyHint(q, [], 'any time range'));
  }
  let from = q.from;
  let to = q.to;
  if (!from || !to) {
    const res = await pool.query<{ lo: Date | null; hi: Date | null }>(
      'SELECT min(window_end) AS lo, max(window_end) AS hi FROM features WHERE market = $1 AND kind = $2 AND step_ms = $3 AND series_id = ANY($4::text[])',
      [q.market, q.kind, q.stepMs, seriesIds],
    );
    const { lo, hi } = res.rows[0] ?? { lo: null, hi: null };
    if (!lo || !hi) throw new EmptyDatasetError(emptyHint(q, seriesIds, 'any time range'));
    // loadFeatureMatrix reads window_end in (from, to].
    from ??= new Date(lo.getTime() - 1);
    to ??= hi;
  }
  if (!(from < to)) throw new Error(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  return { seriesIds, from, to };
}

/** Load the matrices, printing the shape of each and of all together. */
export async function loadMatrices(pool: pg.Pool, q: TargetQuery, print: (s: string) => void): Promise<{ series: SeriesMatrix[]; seriesIds: string[]; from: Date; to: Date }> {
  const { seriesIds, from, to } = await resolveTarget(pool, q);
  const series: SeriesMatrix[] = [];
  let rows = 0;
  let cols = 0;
  for (const seriesId of seriesIds) {
    const matrix = await loadFeatureMatrix(pool, { market: q.market, seriesId, kind: q.kind, stepMs: q.stepMs, from, to });
    print(`feature matrix ${q.market}/${seriesId}/${q.kind}: (N, M) = (${matrix.shape[0]}, ${matrix.shape[1]})`);
    rows += matrix.shape[0];
    if (matrix.shape[0] > 0) cols = matrix.shape[1];
    series.push({ seriesId, matrix });
  }
  const range = `(${from.toISOString()}, ${to.toISOString()}]`;
  if (rows === 0) throw new EmptyDatasetError(emptyHint(q, seriesIds, range));
  print(`feature matrix, all series: (N, M) = (${rows}, ${cols}), window ends in ${range}`);
  return { series, seriesIds, from, to };
}

/** The commit of the working tree, or 'unknown' (no git, or not a clone). */
export function gitCommit(): Promise<string> {
  return new Promise((res) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd: projectRoot(), timeout: 5_000 }, (err, stdout) => {
      const v = err ? '' : stdout.toString().trim();
      res(/^[0-9a-f]{40}$/.test(v) ? v : 'unknown');
    });
  });
}

function datasetSummary(d: Dataset): string {
  return (
    `dataset: ${d.n} samples of [${d.steps}, ${d.features}] → ${d.horizon} step(s) ahead; training ${d.trainCount} (${d.trainingRange.from} .. ${d.trainingRange.to}), ` +
    `hold-out ${d.n - d.trainCount} (${d.holdoutRange.from} .. ${d.holdoutRange.to}); target scaler mean ${d.scaler.target.mean.toFixed(3)} std ${d.scaler.target.std.toFixed(3)} ${d.target.unit}`
  );
}

/** Train, evaluate, register. */
export async function runTraining(pool: pg.Pool, o: TrainOptions): Promise<TrainResult> {
  const print = o.print ?? ((s: string) => process.stdout.write(`${s}\n`));
  const backend = await selectBackend(o.backend);
  print(`backend: ${backend.label}${backend.skipped.length ? ` (skipped ${backend.skipped.join('; ')})` : ''}`);

  const { series } = await loadMatrices(pool, { ...o, market: runMarket(o.market, o.run) }, print);
  const loss = o.loss ?? TRAIN_DEFAULTS.loss;
  const huberDelta = o.huberDelta ?? TRAIN_DEFAULTS.huberDelta;
  const scaling = o.scaling ?? TRAIN_DEFAULTS.scaling;
  const dataset = buildDataset(series, {
    horizon: o.horizon,
    stepMs: o.stepMs,
    target: { market: o.market, kind: o.kind, unit: unitFor(o.market, o.kind) },
    targetScaling: scaling,
  });
  print(datasetSummary(dataset));
  if (o.exportDatasetDir) {
    const files = await exportDataset(o.exportDatasetDir, dataset);
    print(`dataset written: ${files.join(', ')}`);
  }

  const target = o.target ?? TRAIN_DEFAULTS.target;
  const lrs = o.learningRates && o.learningRates.length > 0 ? [...o.learningRates] : [o.learningRate];
  const served = await trainQuantileModel(dataset, { ...o, loss, huberDelta, target, learningRates: lrs }, print);
  const { model, spec, epochs, chosenLr, validation } = served;
  const H = dataset.horizon;
  const holdCount = dataset.n - dataset.trainCount;
  const raw = predictScaled(model, dataset, dataset.trainCount, dataset.n);
  const q = servedForecast(spec, dataset.X, raw, dataset.trainCount, dataset.n);
  const un = (a: Float64Array) => Float64Array.from(a, (v) => unscaleTarget(v, dataset.scaler));
  const forecast = un(q.p50);
  const p10 = un(q.p10);
  const p90 = un(q.p90);
  const lwMeta = { stepSources: served.stepSources, lastWeekWeight: served.lastWeekWeight, lastWeekBand: served.lastWeekBand, architecture: { horizon: H } } as Pick<ModelMetadata, 'stepSources' | 'lastWeekWeight' | 'lastWeekBand' | 'architecture'>;
  applyLastWeek(dataset, lwMeta, forecast, p10, p90);
  const evaluation = evaluateHoldout(dataset, forecast, { p10, p90 });
  print('');
  print(markdownTable(evaluation));
  print('');
  print(`hold-out RMSE per horizon (${dataset.target.unit}), all series; the model column is what is served (per-horizon sources below):`);
  print(horizonTable(evaluation));
  print('');
  print(summaryLine(evaluation));
  print(quantileLine(evaluation));
  print(`step sources (chosen on the validation slice): ${describeSources(served.stepSources)}`);
  if (holdCount * H !== forecast.length) throw new Error('internal: hold-out forecast size');

  const version = newVersion('tfjs');
  const exported = exportTfjsLstmToOnnx(model, { steps: dataset.steps, features: dataset.features, horizon: 3 * H });
  const onnxBytes = composeServedGraph(exported, spec);
  const tfjsFiles = await serializeTfjsModel(model);
  const metadata: ModelMetadata = {
    formatVersion: 1,
    version,
    createdAt: new Date().toISOString(),
    trainer: 'tfjs',
    backend: backend.label,
    architecture: { type: 'lstm', layers: o.layers, units: o.units, steps: dataset.steps, features: dataset.features, horizon: H, recurrentActivation: 'sigmoid', quantiles: [...QUANTILES] },
    stepSources: [...served.stepSources],
    ...(served.lastWeekWeight.some((w) => w > 0) ? { lastWeekWeight: served.lastWeekWeight, lastWeekBand: served.lastWeekBand } : {}),
    target: dataset.target,
    featureOrder: dataset.featureOrder,
    scaler: dataset.scaler,
    trainingRange: dataset.trainingRange,
    holdoutRange: dataset.holdoutRange,
    metrics: metricsRecord(evaluation),
    gitCommit: await gitCommit(),
    onnx: { file: MODEL_FILE, input: ONNX_INPUT, output: ONNX_OUTPUT, opset: ONNX_OPSET, quantiles: ONNX_QUANTILES },
    training: {
      epochs: o.epochs,
      bestEpoch: epochs.bestEpoch,
      batchSize: o.batchSize,
      optimizer: 'adam',
      learningRate: chosenLr,
      learningRatesTried: validation.map((v) => ({ learningRate: v.lr, validationMse: v.loss, bestEpoch: v.bestEpoch })),
      finalLrFraction: o.finalLrFraction ?? TRAIN_DEFAULTS.finalLrFraction,
      loss: `quantile network: P50 ${loss === 'huber' ? `huber (delta ${huberDelta})` : loss === 'mse' ? 'mse' : 'pinball 0.5'} + pinball 0.1 (P50 − softplus(a)) + pinball 0.9 (P50 + softplus(b)), scaled target`,
      target:
        target === 'ridge'
          ? 'ridge: the network learns the scaled target minus a ridge forecast from the same window (fitted on the training part); model.onnx adds the ridge back (model/served-graph.ts); the tfjs checkpoint outputs the raw [P50 residual, a, b]'
          : target === 'delta'
            ? 'delta: the network learns the scaled target minus the scaled value at the last step; model.onnx adds it back; the tfjs checkpoint outputs the raw [P50 residual, a, b]'
            : 'level',
      targetScaling: scaling === 'robust' ? 'robust (median, IQR/1.349)' : 'standard (mean, std)',
      validation: `the last ${Math.round(VALIDATION_FRACTION * 100)}% of the training samples by time (${served.validationCount} samples): early stopping, learning rate, per-horizon source and conformal band calibration; never the hold-out`,
      conformal: { cLo: Array.from(spec.cLo), cHi: Array.from(spec.cHi) },
      shrink: spec.shrink ? Array.from(spec.shrink) : undefined,
      graphSources: [...served.graphSources],
      sourceWeights: Object.fromEntries(SERVED_SOURCES.map((k, i) => [k, Array.from(spec.weights?.[i] ?? [])])),
      seed: o.seed,
      samples: dataset.n,
      trainSamples: dataset.trainCount,
      fitSamples: served.fitCount,
      holdoutSamples: dataset.n - dataset.trainCount,
      lossPerEpoch: epochs.map((e) => e.trainLoss),
      validationLossPerEpoch: epochs.map((e) => e.holdoutLoss),
      epochSeconds: epochs.map((e) => e.seconds),
      ridgeAlpha: evaluation.ridgeAlpha,
      tfjsCheckpoint: 'tfjs/model.json',
    },
  };
  const root = registryRoot(o.registry);
  const files: Record<string, Uint8Array> = { [MODEL_FILE]: onnxBytes };
  for (const [name, bytes] of Object.entries(tfjsFiles)) files[`tfjs/${name}`] = bytes;
  const dir = await writeVersion(root, metadata, files);
  print(`registered ${version} in ${root}`);
  if (o.promote) {
    await setCurrent(root, version);
    print(`current → ${version}`);
  } else {
    print('not promoted (--no-promote): current unchanged');
  }
  const rows = await recordMetrics(pool, version, evaluation, 'holdout');
  print(`model_metrics: ${rows} rows for ${version}`);
  model.dispose();
  return { version, dir, promoted: o.promote, backend: backend.label, dataset, epochs, evaluation, metadata, spec };
}

/**
 * Hold-out forecasts as the forecaster serves them: at horizons that use same hour last week (weight w > 0), the
 * served value w·(last week) + (1 − w)·(graph P50) where last week's value is known, with its band
 * (metadata.lastWeekBand), in place. forecast/p10/p90: [hold-out samples, H], unscaled; forecast holds the graph's
 * P50 on entry.
 */
export function applyLastWeek(d: Dataset, meta: Pick<ModelMetadata, 'stepSources' | 'lastWeekWeight' | 'lastWeekBand' | 'architecture'>, forecast: Float64Array, p10?: Float64Array, p90?: Float64Array): void {
  const weights = lastWeekWeights(meta);
  if (!weights.some((w) => w > 0)) return;
  const H = d.horizon;
  const lw = d.baselines.same_hour_last_week;
  for (let i = 0; i < d.n - d.trainCount; i++) {
    for (let h = 0; h < H; h++) {
      const w = weights[h]!;
      if (!(w > 0)) continue;
      const v = lw[(d.trainCount + i) * H + h]!;
      if (!Number.isFinite(v)) continue;
      const j = i * H + h;
      const served = w * v + (1 - w) * forecast[j]!;
      forecast[j] = served;
      if (p10) p10[j] = served - (meta.lastWeekBand?.below[h] ?? 0);
      if (p90) p90[j] = served + (meta.lastWeekBand?.above[h] ?? 0);
    }
  }
}

/** Share of the training samples (the latest by time) kept out of fitting for validation. */
export const VALIDATION_FRACTION = 0.2;

/** "h1-5 lstm, h6 baseline:same_hour_yesterday, ..." */
export function describeSources(sources: readonly string[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < sources.length) {
    let j = i;
    while (j + 1 < sources.length && sources[j + 1] === sources[i]) j++;
    parts.push(`h${i + 1}${j > i ? `-${j + 1}` : ''} ${sources[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

interface QuantileTrainOptions {
  units: number;
  layers: number;
  epochs: number;
  batchSize: number;
  learningRates: number[];
  finalLrFraction?: number;
  loss: TrainLoss;
  huberDelta: number;
  target: TargetMode;
  seed: number;
  stepMs: number;
  progress?: boolean;
  /** Refit ridge and network on all training samples after the validation choices (default true). */
  refit?: boolean;
}

/**
 * Fit the served quantile model on a dataset's training samples (never the hold-out):
 * 1. split the training samples by time: the first 80% fit (minus the samples whose targets reach into the
 *    validation period), the last 20% validate;
 * 2. fit ridge on the fit part; the network learns the residual over the linear base (ridge by default);
 * 3. for each learning rate, train with early stopping on the validation P50 MSE (epoch 0 = the base alone);
 *    keep the best;
 * 4. per horizon, shrink the network's correction by the least-squares factor in [0, 1], then serve the source
 *    (network, ridge, naive last, same hour yesterday, same hour last week) with the lowest validation MSE;
 * 5. calibrate the P10/P90 band per side and horizon on the validation slice (split conformal);
 * 6. refit ridge and network (for the best epoch count) on all training samples, keeping those choices.
 */
export async function trainQuantileModel(dataset: Dataset, o: QuantileTrainOptions, print: (s: string) => void) {
  const H = dataset.horizon;
  const P = dataset.steps * dataset.features;
  let refitSeconds = 0;
  const valFrom = Math.floor(dataset.trainCount * (1 - VALIDATION_FRACTION));
  const cutoff = dataset.windowEnds[valFrom]!;
  let fitCount = 0;
  while (fitCount < valFrom && dataset.windowEnds[fitCount]! + H * o.stepMs <= cutoff) fitCount++;
  if (fitCount < 2 || dataset.trainCount - fitCount < 1) throw new EmptyDatasetError(`too few training samples (${dataset.trainCount}) for a validation slice at horizon ${H}; widen --from/--to`);
  const ridge = fitRidge(dataset.X, dataset.y, P, H, fitCount);
  const ridgeW = Float32Array.from(ridge.weights.subarray(0, P * H));
  const ridgeB = Float32Array.from(ridge.weights.subarray(P * H));
  const baseW = new Float32Array(P * H);
  const baseB = new Float32Array(H);
  const VALUE = SEQUENCE_FEATURES.indexOf('value');
  if (o.target === 'ridge') {
    baseW.set(ridgeW);
    baseB.set(ridgeB);
  } else if (o.target === 'delta') {
    for (let h = 0; h < H; h++) baseW[((dataset.steps - 1) * dataset.features + VALUE) * H + h] = 1;
  }
  const perDay = Math.max(1, Math.round(86_400_000 / o.stepMs));
  const spec: ServedSpec = {
    steps: dataset.steps, features: dataset.features, horizon: H, baseW, baseB, ridgeW, ridgeB,
    seasonalIndex: Array.from({ length: H }, (_, h) => seasonalNaiveIndex(h + 1, perDay, dataset.steps)),
    sources: Array.from({ length: H }, () => 'lstm' as ServedSource),
    cLo: new Float32Array(H), cHi: new Float32Array(H),
  };
  // The network's target: the scaled level minus the base, on training samples [0, trainCount).
  const parts = linearParts(spec, dataset.X, 0, dataset.trainCount);
  const resid = new Float32Array(dataset.trainCount * H);
  for (let i = 0; i < resid.length; i++) resid[i] = dataset.y[i]! - parts.base[i]!;
  const view: Dataset = { ...dataset, y: resid, trainCount: fitCount, n: dataset.trainCount };
  print(`validation: fit on ${fitCount} samples, validate on ${dataset.trainCount - fitCount} (the latest 20% of training by time); hold-out untouched; linear base ${o.target} (ridge alpha ${ridge.alpha})`);

  let bestRun: { model: ReturnType<typeof buildLstm>; epochs: Awaited<ReturnType<typeof trainLstm>>; lr: number; loss: number } | null = null;
  const validation: Array<{ lr: number; loss: number; bestEpoch: number }> = [];
  for (const lr of o.learningRates) {
    const model = buildLstm({ steps: dataset.steps, features: dataset.features, horizon: H, units: o.units, layers: o.layers, seed: o.seed, outputsPerStep: 3, zeroDense: true });
    if (!bestRun) print(modelSummary(model));
    let bar: Progress | null = null;
    const showProgress = o.progress ?? true;
    const epochs = await trainLstm(model, view, {
      epochs: o.epochs, batchSize: o.batchSize, learningRate: lr, finalLrFraction: o.finalLrFraction ?? TRAIN_DEFAULTS.finalLrFraction,
      loss: o.loss, huberDelta: o.huberDelta, seed: o.seed, quantile: true, restoreBest: true,
      onBatch: (epoch, b, total, meanLoss) => {
        if (!showProgress) return;
        if (b === 1) bar = new Progress(`lr ${lr} epoch ${epoch}/${o.epochs}`, total);
        bar?.update(b, `loss ${meanLoss.toFixed(4)}`);
      },
      onEpoch: (r: EpochResult) => {
        if (showProgress) (bar as Progress | null)?.done(Math.ceil(fitCount / o.batchSize), `loss ${r.trainLoss.toFixed(4)}`);
        print(`lr ${lr} epoch ${r.epoch}/${o.epochs}: train loss ${r.trainLoss.toFixed(5)} (quantile), validation P50 MSE ${r.holdoutLoss.toFixed(5)} (scaled), ${r.seconds.toFixed(1)} s (+${r.holdoutSeconds.toFixed(1)} s validation)`);
      },
    });
    const loss = epochs.bestLoss ?? Number.POSITIVE_INFINITY;
    validation.push({ lr, loss, bestEpoch: epochs.bestEpoch ?? o.epochs });
    print(`lr ${lr}: best validation P50 MSE ${loss.toFixed(5)} after epoch ${epochs.bestEpoch ?? o.epochs}${epochs.bestEpoch === 0 ? ' (the linear base alone)' : ''}`);
    if (!bestRun || loss < bestRun.loss) {
      bestRun?.model.dispose();
      bestRun = { model, epochs, lr, loss };
    } else {
      model.dispose();
    }
  }
  const { model, epochs, lr: chosenLr } = bestRun!;
  if (o.learningRates.length > 1) print(`learning rate ${chosenLr} chosen on the validation slice`);

  // Per-horizon source and band calibration on the validation samples [fitCount, trainCount).
  const vCount = dataset.trainCount - fitCount;
  const rawVal = predictScaled(model, dataset, fitCount, dataset.trainCount);
  const vParts = linearParts(spec, dataset.X, fitCount, dataset.trainCount);
  const yVal = dataset.y.subarray(fitCount * H, dataset.trainCount * H);
  // Shrinkage of the network's correction per horizon: the least-squares share of m that fits y − base on the
  // validation slice, clipped to [0, 1] (0: the base alone; 1: the network as trained).
  const shrink = new Float32Array(H);
  for (let h = 0; h < H; h++) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < vCount; i++) {
      const m = rawVal[i * 3 * H + h]!;
      num += m * (yVal[i * H + h]! - vParts.base[i * H + h]!);
      den += m * m;
    }
    shrink[h] = den > 0 ? Math.min(1, Math.max(0, num / den)) : 0;
  }
  spec.shrink = shrink;
  // Every source's validation forecasts (scaled), then per horizon the best single source or two-source blend.
  const lastWeek = dataset.baselines.same_hour_last_week;
  const cand: Record<StepSource, Float64Array> = {
    lstm: new Float64Array(vCount * H),
    'baseline:ridge': vParts.ridge,
    'baseline:naive_last': vParts.naive,
    'baseline:same_hour_yesterday': vParts.seasonal,
    [LAST_WEEK_SOURCE]: new Float64Array(vCount * H),
  };
  for (let i = 0; i < vCount; i++) {
    for (let h = 0; h < H; h++) {
      const j = i * H + h;
      cand.lstm[j] = vParts.base[j]! + shrink[h]! * rawVal[i * 3 * H + h]!;
      const lw = lastWeek[(fitCount + i) * H + h]!;
      cand[LAST_WEEK_SOURCE][j] = Number.isFinite(lw) ? scaleTarget(lw, dataset.scaler) : Number.NaN;
    }
  }
  const blends = chooseBlends(cand, yVal, H);
  const graphOnly = chooseBlends(Object.fromEntries(SERVED_SOURCES.map((k) => [k, cand[k]])), yVal, H);
  const weights = SERVED_SOURCES.map(() => new Float32Array(H));
  const lastWeekWeight = new Array<number>(H).fill(0);
  const stepSources: string[] = [];
  const graphSources: string[] = [];
  const put = (k: string, w: number, h: number) => {
    weights[SERVED_SOURCES.indexOf(k as ServedSource)]![h]! += w;
  };
  blends.forEach((c, h) => {
    stepSources.push(blendLabel(c));
    const lwIn = c.a === LAST_WEEK_SOURCE ? c.w : c.b === LAST_WEEK_SOURCE ? 1 - c.w : 0;
    if (lwIn === 0) {
      put(c.a, c.w, h);
      if (c.b) put(c.b, 1 - c.w, h);
      graphSources.push(blendLabel(c));
    } else if (lwIn === 1) {
      // last week alone: the graph serves its own best choice when the forecaster has no history
      const g = graphOnly[h]!;
      put(g.a, g.w, h);
      if (g.b) put(g.b, 1 - g.w, h);
      graphSources.push(blendLabel(g));
    } else {
      const other = c.a === LAST_WEEK_SOURCE ? c.b! : c.a;
      put(other, 1, h);
      graphSources.push(other);
    }
    lastWeekWeight[h] = lwIn;
  });
  spec.weights = weights;
  spec.sources = graphSources.map((g) => (SERVED_SOURCES.includes(g as ServedSource) ? (g as ServedSource) : 'lstm'));
  const tail = (1 - (QUANTILES[2] - QUANTILES[0])) / 2;
  const uncal = servedForecast(spec, dataset.X, rawVal, fitCount, dataset.trainCount);
  const lo = uncal.p50.map((v, j) => v - uncal.p10[j]!);
  const hi = uncal.p90.map((v, j) => v - uncal.p50[j]!);
  const { cLo, cHi } = conformalOffsets(yVal, uncal.p50, lo, hi, H, tail);
  spec.cLo = Float32Array.from(cLo);
  spec.cHi = Float32Array.from(cHi);
  // The band of a step that uses last week: validation residual quantiles around the served (blended) value, in
  // the target's unit.
  const lastWeekBand = { below: new Array<number>(H).fill(0), above: new Array<number>(H).fill(0) };
  for (let h = 0; h < H; h++) {
    if (lastWeekWeight[h] === 0) continue;
    const r: number[] = [];
    for (let i = 0; i < vCount; i++) {
      const j = i * H + h;
      const lw = cand[LAST_WEEK_SOURCE][j]!;
      if (!Number.isFinite(lw)) continue;
      const v = lastWeekWeight[h]! * lw + (1 - lastWeekWeight[h]!) * uncal.p50[j]!;
      r.push((yVal[j]! - v) * dataset.scaler.target.std);
    }
    lastWeekBand.below[h] = Math.max(0, conformalQuantile(r.map((v) => -v), 1 - tail) || 0);
    lastWeekBand.above[h] = Math.max(0, conformalQuantile(r, 1 - tail) || 0);
  }
  let final = model;
  if (o.refit ?? true) {
    // Refit on every training sample (fit + validation) with the choices made on the validation slice (learning
    // rate, epochs, sources, band offsets): the ridge as the ridge baseline is fitted, then the network for the best
    // epoch count on the residual over it.
    const full = fitRidge(dataset.X, dataset.y, P, H, dataset.trainCount);
    spec.ridgeW = Float32Array.from(full.weights.subarray(0, P * H));
    spec.ridgeB = Float32Array.from(full.weights.subarray(P * H));
    if (o.target === 'ridge') {
      spec.baseW = spec.ridgeW;
      spec.baseB = spec.ridgeB;
    }
    const bestEpoch = epochs.bestEpoch ?? o.epochs;
    const fullParts = linearParts(spec, dataset.X, 0, dataset.trainCount);
    const fullResid = new Float32Array(dataset.trainCount * H);
    for (let i = 0; i < fullResid.length; i++) fullResid[i] = dataset.y[i]! - fullParts.base[i]!;
    final = buildLstm({ steps: dataset.steps, features: dataset.features, horizon: H, units: o.units, layers: o.layers, seed: o.seed, outputsPerStep: 3, zeroDense: true });
    if (bestEpoch > 0) {
      const refitEpochs = await trainLstm(final, { ...dataset, y: fullResid, n: dataset.trainCount }, {
        epochs: bestEpoch, batchSize: o.batchSize, learningRate: chosenLr,
        // the same learning rates per epoch as the chosen run's first bestEpoch epochs
        finalLrFraction: o.epochs > 1 ? 1 - (1 - (o.finalLrFraction ?? TRAIN_DEFAULTS.finalLrFraction)) * ((bestEpoch - 1) / (o.epochs - 1)) : 1,
        loss: o.loss, huberDelta: o.huberDelta, seed: o.seed, quantile: true,
        onEpoch: (r: EpochResult) => print(`refit on all ${dataset.trainCount} training samples, epoch ${r.epoch}/${bestEpoch}: train loss ${r.trainLoss.toFixed(5)}, ${r.seconds.toFixed(1)} s`),
      });
      refitSeconds = refitEpochs.reduce((a, e) => a + e.seconds, 0);
    } else {
      print('refit: the best epoch count is 0, so the network stays at zero and the linear base serves alone');
    }
    model.dispose();
  }
  return { model: final, spec, stepSources, graphSources, lastWeekWeight, lastWeekBand, epochs, chosenLr, validation, fitCount, validationCount: vCount, refitSeconds };
}

/** A registry entry from a directory path (holding metadata.json) or a version name in the registry. */
export async function resolveEntry(model: string, registry?: string): Promise<RegistryEntry> {
  const asDir = resolve(model);
  if (existsSync(join(asDir, METADATA_FILE))) return loadEntry(dirname(asDir), basename(asDir));
  const root = registryRoot(registry);
  if (model === CURRENT_FILE) {
    const current = await readCurrent(root);
    if (!current) throw new Error(`model registry ${root} has no current version; train one first (sda train)`);
    return loadEntry(root, current);
  }
  return loadEntry(root, model);
}

function sameTarget(a: ModelMetadata['target'], d: Dataset): string | null {
  if (a.market !== d.target.market || a.kind !== d.target.kind || a.stepMs !== d.target.stepMs) {
    return `model target ${a.market}/${a.kind}/${a.stepMs} ms, dataset ${d.target.market}/${d.target.kind}/${d.target.stepMs} ms`;
  }
  return null;
}

export interface EvaluateOptions {
  model: string;
  registry?: string;
  datasetDir?: string;
  print?: (line: string) => void;
}

/** Evaluate a registry entry's ONNX model through onnxruntime on a hold-out: its dataset dir, or rebuilt from `features`. */
export async function runEvaluate(pool: pg.Pool, o: EvaluateOptions): Promise<{ version: string; evaluation: Evaluation }> {
  const print = o.print ?? ((s: string) => process.stdout.write(`${s}\n`));
  const entry = await resolveEntry(o.model, o.registry);
  const meta = entry.metadata;
  print(`model ${entry.version} (${meta.trainer}, ${meta.backend}): ${meta.architecture.layers}x LSTM(${meta.architecture.units}) → ${meta.architecture.horizon}, target ${meta.target.market}/${meta.target.seriesIds.join(',')}/${meta.target.kind}`);
  let dataset: Dataset;
  if (o.datasetDir) {
    dataset = await readDataset(o.datasetDir);
    const bad = sameTarget(meta.target, dataset);
    if (bad) throw new Error(`dataset ${o.datasetDir} does not match the model: ${bad}`);
    if (dataset.horizon !== meta.architecture.horizon || dataset.steps !== meta.architecture.steps) {
      throw new Error(`dataset ${o.datasetDir} has steps ${dataset.steps}, horizon ${dataset.horizon}; the model reads ${meta.architecture.steps} → ${meta.architecture.horizon}`);
    }
    rescaleInputs(dataset, meta.scaler);
    print(`dataset ${o.datasetDir}: ${datasetSummary(dataset)}`);
  } else {
    const q: TargetQuery = {
      market: meta.target.market,
      kind: meta.target.kind,
      stepMs: meta.target.stepMs,
      seriesIds: meta.target.seriesIds,
      from: new Date(Date.parse(meta.trainingRange.from) - 1),
      // the last hold-out sample's targets lie up to `horizon` steps after its window end
      to: new Date(Date.parse(meta.holdoutRange.to) + meta.architecture.horizon * meta.target.stepMs),
    };
    const { series } = await loadMatrices(pool, q, print);
    dataset = buildDataset(series, {
      horizon: meta.architecture.horizon,
      stepMs: meta.target.stepMs,
      target: { market: meta.target.market, kind: meta.target.kind, unit: meta.target.unit },
      holdoutFrom: Date.parse(meta.holdoutRange.from),
      scaler: meta.scaler as Scaler,
    });
    print(datasetSummary(dataset));
  }
  const onnx = await OnnxModel.load(entry, { threads: 1 });
  try {
    const size = dataset.steps * dataset.features;
    const H = dataset.horizon;
    const count = dataset.n - dataset.trainCount;
    const forecast = new Float64Array(count * H);
    const p10 = new Float64Array(count * H);
    const p90 = new Float64Array(count * H);
    const batch = 512;
    for (let b = 0; b < count; b += batch) {
      const m = Math.min(batch, count - b);
      const s = dataset.trainCount + b;
      const { output, quantiles } = await onnx.runScaled(dataset.X.slice(s * size, (s + m) * size), m);
      for (let i = 0; i < m * H; i++) forecast[b * H + i] = unscaleTarget(output[i]!, meta.scaler);
      if (quantiles) {
        for (let i = 0; i < m; i++) {
          for (let h = 0; h < H; h++) {
            p10[(b + i) * H + h] = unscaleTarget(quantiles[i * 3 * H + h]!, meta.scaler);
            p90[(b + i) * H + h] = unscaleTarget(quantiles[i * 3 * H + 2 * H + h]!, meta.scaler);
          }
        }
      }
    }
    applyLastWeek(dataset, meta, forecast, p10, p90);
    const evaluation = evaluateHoldout(dataset, forecast, onnx.hasQuantiles ? { p10, p90 } : undefined);
    print('');
    print(markdownTable(evaluation));
    print('');
    print(`hold-out RMSE per horizon (${dataset.target.unit}), all series:`);
    print(horizonTable(evaluation));
    print('');
    print(summaryLine(evaluation));
    if (evaluation.quantiles) print(quantileLine(evaluation));
    if (meta.stepSources) print(`step sources: ${describeSources(meta.stepSources)}`);
    const rows = await recordMetrics(pool, entry.version, evaluation, 'holdout');
    print(`model_metrics: ${rows} rows for ${entry.version}`);
    return { version: entry.version, evaluation };
  } finally {
    await onnx.close();
  }
}
