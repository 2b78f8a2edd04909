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
import { MODEL_FILE, METADATA_FILE, type ModelMetadata, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, type Scaler, unscaleTarget } from './contract.js';
import { type Dataset, EmptyDatasetError, type SeriesMatrix, type TargetScaling, buildDataset, exportDataset, readDataset, rescaleInputs } from './dataset.js';
import { type Evaluation, evaluateHoldout, markdownTable, metricsRecord, summaryLine } from './evaluate.js';
import { loadFeatureMatrix } from './feature-matrix.js';
import { type TargetMode, type TrainLoss, addLastValueResidual, buildLstm, lastScaledValue, modelSummary, predictScaled, shiftTargets, trainLstm } from './lstm.js';
import { recordMetrics } from './metrics-store.js';
import { exportTfjsLstmToOnnx } from './onnx-export.js';
import { OnnxModel } from './onnx-model.js';
import { CURRENT_FILE, type RegistryEntry, loadEntry, readCurrent, newVersion, registryRoot, setCurrent, writeVersion } from './registry.js';
import { serializeTfjsModel } from './tfjs-io.js';

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
  /** Human-readable output (stdout by default). */
  print?: (line: string) => void;
  /** Show the per-epoch progress bar on stderr (default true). */
  progress?: boolean;
}

export const TRAIN_DEFAULTS = {
  market: 'ERCOT',
  kind: 'RT_PRICE',
  stepMs: HOUR_MS,
  epochs: 5,
  units: 32,
  layers: 1,
  horizon: 1,
  batchSize: 64,
  learningRate: 0.003,
  finalLrFraction: 0.1,
  loss: 'huber' as TrainLoss,
  huberDelta: 0.5,
  scaling: 'robust' as TargetScaling,
  target: 'delta' as TargetMode,
  seed: 42,
} as const;

export interface TrainResult {
  version: string;
  dir: string;
  promoted: boolean;
  backend: string;
  dataset: Dataset;
  epochs: Array<{ epoch: number; trainLoss: number; holdoutLoss: number; seconds: number; holdoutSeconds: number }>;
  evaluation: Evaluation;
  metadata: ModelMetadata;
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

  const { series } = await loadMatrices(pool, o, print);
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

  const arch = { steps: dataset.steps, features: dataset.features, horizon: o.horizon, units: o.units, layers: o.layers, seed: o.seed };
  const model = buildLstm(arch);
  print(modelSummary(model));

  const target = o.target ?? TRAIN_DEFAULTS.target;
  if (target === 'delta') shiftTargets(dataset, -1);
  const showProgress = o.progress ?? true;
  let bar: Progress | null = null;
  const epochs = await trainLstm(model, dataset, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    finalLrFraction: o.finalLrFraction ?? TRAIN_DEFAULTS.finalLrFraction,
    loss,
    huberDelta,
    seed: o.seed,
    onBatch: (epoch, b, total, meanLoss) => {
      if (!showProgress) return;
      if (b === 1) bar = new Progress(`epoch ${epoch}/${o.epochs}`, total);
      bar?.update(b, `loss ${meanLoss.toFixed(4)}`);
    },
    onEpoch: (r) => {
      if (showProgress) (bar as Progress | null)?.done(Math.ceil(dataset.trainCount / o.batchSize), `loss ${r.trainLoss.toFixed(4)}`);
      print(`epoch ${r.epoch}/${o.epochs}: train loss ${r.trainLoss.toFixed(5)} (${loss}), hold-out loss ${r.holdoutLoss.toFixed(5)} (MSE), scaled units, ${r.seconds.toFixed(1)} s (+${r.holdoutSeconds.toFixed(1)} s hold-out)`);
    },
  });

  const scaled = predictScaled(model, dataset, dataset.trainCount, dataset.n);
  if (target === 'delta') {
    shiftTargets(dataset, 1);
    for (let i = 0; i < scaled.length; i++) scaled[i]! += lastScaledValue(dataset, dataset.trainCount + Math.floor(i / o.horizon));
  }
  const forecast = Float64Array.from(scaled, (v) => unscaleTarget(v, dataset.scaler));
  const evaluation = evaluateHoldout(dataset, forecast);
  print('');
  print(markdownTable(evaluation));
  print('');
  print(summaryLine(evaluation));

  const version = newVersion('tfjs');
  const exported = exportTfjsLstmToOnnx(model, { steps: dataset.steps, features: dataset.features, horizon: o.horizon });
  const onnxBytes = target === 'delta' ? addLastValueResidual(exported, dataset.steps) : exported;
  const tfjsFiles = await serializeTfjsModel(model);
  const metadata: ModelMetadata = {
    formatVersion: 1,
    version,
    createdAt: new Date().toISOString(),
    trainer: 'tfjs',
    backend: backend.label,
    architecture: { type: 'lstm', layers: o.layers, units: o.units, steps: dataset.steps, features: dataset.features, horizon: o.horizon, recurrentActivation: 'sigmoid' },
    target: dataset.target,
    featureOrder: dataset.featureOrder,
    scaler: dataset.scaler,
    trainingRange: dataset.trainingRange,
    holdoutRange: dataset.holdoutRange,
    metrics: metricsRecord(evaluation),
    gitCommit: await gitCommit(),
    onnx: { file: MODEL_FILE, input: ONNX_INPUT, output: ONNX_OUTPUT, opset: ONNX_OPSET },
    training: {
      epochs: o.epochs,
      batchSize: o.batchSize,
      optimizer: 'adam',
      learningRate: o.learningRate,
      finalLrFraction: o.finalLrFraction ?? TRAIN_DEFAULTS.finalLrFraction,
      loss: loss === 'huber' ? `huber (delta ${huberDelta}, scaled target)` : 'mse (scaled target)',
      target:
        target === 'delta'
          ? 'delta: the network learns the scaled target minus the scaled value at the last step; model.onnx adds that value back (Slice, Reshape, Add), so it outputs the scaled level; the tfjs checkpoint outputs the delta'
          : 'level',
      targetScaling: scaling === 'robust' ? 'robust (median, IQR/1.349)' : 'standard (mean, std)',
      seed: o.seed,
      samples: dataset.n,
      trainSamples: dataset.trainCount,
      holdoutSamples: dataset.n - dataset.trainCount,
      lossPerEpoch: epochs.map((e) => e.trainLoss),
      holdoutLossPerEpoch: epochs.map((e) => e.holdoutLoss),
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
  return { version, dir, promoted: o.promote, backend: backend.label, dataset, epochs, evaluation, metadata };
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
    const batch = 512;
    for (let b = 0; b < count; b += batch) {
      const m = Math.min(batch, count - b);
      const s = dataset.trainCount + b;
      const out = await onnx.predictScaled(dataset.X.slice(s * size, (s + m) * size), m);
      for (let i = 0; i < m * H; i++) forecast[b * H + i] = unscaleTarget(out[i]!, meta.scaler);
    }
    const evaluation = evaluateHoldout(dataset, forecast);
    print('');
    print(markdownTable(evaluation));
    print('');
    print(summaryLine(evaluation));
    const rows = await recordMetrics(pool, entry.version, evaluation, 'holdout');
    print(`model_metrics: ${rows} rows for ${entry.version}`);
    return { version: entry.version, evaluation };
  } finally {
    await onnx.close();
  }
}
