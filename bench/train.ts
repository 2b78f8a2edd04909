// Training figures: seconds per epoch of the same LSTM on the same dataset for each tfjs backend installed here
// (wasm, cpu; tfjs-node and tfjs-node-gpu when present) and for the PyTorch trainer (model/gpu/train.py) on this
// machine's CPU, with the dataset the TypeScript side exports. The dataset is the feature matrix of a target in
// PostgreSQL (default: ERCOT real-time prices of the hubs, as `sda train`), so run `sda demo` first.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { type BackendName, selectBackend } from '../model/backend.js';
import { buildDataset, exportDataset } from '../model/dataset.js';
import { ensureTorchPython, trainScriptPath } from '../model/gpu/python.js';
import { buildLstm, trainLstm } from '../model/lstm.js';
import { TRAIN_DEFAULTS, loadMatrices, unitFor } from '../model/train.js';
import { createPool } from '../platform/postgres/pool.js';

export interface TrainBenchOptions {
  market: string;
  kind: string;
  epochs: number;
  backends: BackendName[];
  torch: boolean;
}

interface Row {
  trainer: string;
  epochSeconds: number[];
  /** Median seconds per epoch. */
  medianSeconds: number;
  samplesPerSec: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : Number.NaN;
};

export async function runTrainBench(config: Config, opts: TrainBenchOptions) {
  const pool = createPool(config, 1);
  const quiet = () => undefined;
  let series: Awaited<ReturnType<typeof loadMatrices>>['series'];
  try {
    ({ series } = await loadMatrices(pool, { market: opts.market, kind: opts.kind, stepMs: TRAIN_DEFAULTS.stepMs }, quiet));
  } finally {
    await pool.end();
  }
  const base = { horizon: TRAIN_DEFAULTS.horizon, stepMs: TRAIN_DEFAULTS.stepMs, target: { market: opts.market, kind: opts.kind, unit: unitFor(opts.market, opts.kind) }, targetScaling: TRAIN_DEFAULTS.scaling };
  const rows: Row[] = [];
  let conditions: Record<string, unknown> = {};
  const arch = { units: TRAIN_DEFAULTS.units, layers: TRAIN_DEFAULTS.layers, horizon: TRAIN_DEFAULTS.horizon, seed: TRAIN_DEFAULTS.seed };

  for (const name of opts.backends) {
    const selected = await selectBackend(name).catch((err: Error) => {
      process.stderr.write(`bench train: backend ${name} unavailable: ${err.message}\n`);
      return null;
    });
    if (!selected) continue;
    const dataset = buildDataset(series, base);
    conditions = { samples: dataset.n, trainSamples: dataset.trainCount, steps: dataset.steps, features: dataset.features, ...arch, batchSize: TRAIN_DEFAULTS.batchSize, loss: `quantile network, P50 ${TRAIN_DEFAULTS.loss} + pinball 0.1/0.9`, outputs: 3 * TRAIN_DEFAULTS.horizon };
    // The served quantile network (3·H outputs, pinball loss), timed over the training samples.
    const model = buildLstm({ steps: dataset.steps, features: dataset.features, ...arch, outputsPerStep: 3, zeroDense: true });
    const epochs = await trainLstm(model, dataset, {
      quantile: true,
      epochs: opts.epochs,
      batchSize: TRAIN_DEFAULTS.batchSize,
      learningRate: TRAIN_DEFAULTS.learningRate,
      finalLrFraction: TRAIN_DEFAULTS.finalLrFraction,
      loss: TRAIN_DEFAULTS.loss,
      huberDelta: TRAIN_DEFAULTS.huberDelta,
      seed: TRAIN_DEFAULTS.seed,
    });
    model.dispose();
    const secs = epochs.map((e) => e.seconds);
    rows.push({ trainer: `tfjs ${selected.label}`, epochSeconds: secs, medianSeconds: median(secs), samplesPerSec: Math.round(dataset.trainCount / median(secs)) });
    process.stderr.write(`bench train: tfjs ${selected.label}: ${secs.map((s) => s.toFixed(2)).join(', ')} s per epoch\n`);
  }

  if (opts.torch) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sda-bench-train-'));
    try {
      const dataset = buildDataset(series, base);
      await exportDataset(path.join(dir, 'dataset'), dataset);
      const py = await ensureTorchPython((m) => process.stderr.write(`bench train: ${m}\n`));
      const summary = path.join(dir, 'summary.json');
      await new Promise<void>((resolve, reject) => {
        execFile(
          py.python,
          [trainScriptPath(), '--dataset', path.join(dir, 'dataset'), '--registry', path.join(dir, 'registry'), '--device', 'cpu', '--epochs', String(opts.epochs), '--units', String(arch.units), '--batch-size', String(TRAIN_DEFAULTS.batchSize), '--lr', String(TRAIN_DEFAULTS.learningRate), '--summary', summary],
          { timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 },
          (err, _stdout, stderr) => (err ? reject(new Error(`train.py failed: ${err.message}\n${stderr.slice(-2_000)}`)) : resolve()),
        );
      });
      const s = JSON.parse(await readFile(summary, 'utf8')) as { dir: string; epochSeconds?: number[]; training?: { epochSeconds?: number[] } };
      const secs = s.epochSeconds ?? s.training?.epochSeconds ?? [];
      // train.py's epochs run over the fit part of the training samples (the rest validates).
      const meta = JSON.parse(await readFile(path.join(s.dir, 'metadata.json'), 'utf8')) as { training?: { fitSamples?: number } };
      const fitSamples = meta.training?.fitSamples ?? dataset.trainCount;
      rows.push({ trainer: `PyTorch ${py.torchVersion} CPU (model/gpu/train.py, ${fitSamples} samples per epoch)`, epochSeconds: secs, medianSeconds: median(secs), samplesPerSec: Math.round(fitSamples / median(secs)) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const report = {
    bench: 'train',
    conditions: {
      date: new Date().toISOString(),
      host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg()[0]!.toFixed(1)} at the end`,
      node: process.version,
      target: `${opts.market}/${opts.kind}, every series of it in features (hourly)`,
      epochs: opts.epochs,
      ...conditions,
    },
    results: rows,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n| trainer | s/epoch (median) | training samples/s |\n|---|---|---|\n`);
  for (const r of rows) process.stdout.write(`| ${r.trainer} | ${r.medianSeconds.toFixed(2)} | ${r.samplesPerSec.toLocaleString('en-US')} |\n`);
  return report;
}
