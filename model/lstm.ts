// The tfjs LSTM forecaster (architecture in model/contract.ts): LSTM layer(s) with sigmoid recurrent activation,
// the last step's hidden state, a dense layer to `horizon` scaled outputs. Built so model/onnx-export.ts can
// translate it. Trained with Adam on MSE in minibatches; the order of training samples is shuffled each epoch
// with a seeded generator (hold-out samples are never touched), initial weights are seeded too.
import { setImmediate } from 'node:timers/promises';
import * as tf from '@tensorflow/tfjs';
import p from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import { ONNX_INPUT, ONNX_OUTPUT, SEQUENCE_FEATURES } from './contract.js';
import type { Dataset } from './dataset.js';
import { YIELD_EVERY_MS } from './paced.js';
import { mulberry32 } from '../streams/simulator/prng.js';

const { onnx } = p;

/**
 * What the network learns: 'level' = the scaled target itself; 'delta' = the scaled target minus the scaled
 * `value` at the window's last step (0 when missing); 'ridge' = the scaled target minus a ridge regression's
 * forecast from the same window (fitted on the training samples). The base is added back inside the ONNX graph
 * (addLastValueResidual, or model/served-graph.ts), so the served model still maps input → scaled level.
 */
export type TargetMode = 'level' | 'delta' | 'ridge';

const VALUE = SEQUENCE_FEATURES.indexOf('value');

/** The scaled `value` at sample i's last step. */
export function lastScaledValue(d: Dataset, i: number): number {
  return d.X[(i * d.steps + d.steps - 1) * d.features + VALUE]!;
}

/** Turn d.y into deltas from the last value (sign -1) or back into levels (sign +1), in place. */
export function shiftTargets(d: Dataset, sign: 1 | -1): void {
  for (let i = 0; i < d.n; i++) {
    const last = lastScaledValue(d, i);
    for (let h = 0; h < d.horizon; h++) d.y[i * d.horizon + h]! += sign * last;
  }
}

function int64Tensor(name: string, values: number[]): O.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw };
}

/**
 * Add the last step's `value` input to every output of an exported LSTM → Dense graph: the node that produced
 * ONNX_OUTPUT now produces `delta`, then Slice(input[:, steps-1, value]) → Reshape [batch, 1] → Add → ONNX_OUTPUT.
 * Input and output names, shapes and meaning (scaled levels) stay those of model/contract.ts.
 */
export function addLastValueResidual(bytes: Uint8Array, steps: number): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph?.node || !graph.initializer) throw new Error('residual: the ONNX model has no graph');
  const producers = graph.node.filter((n) => n.output?.includes(ONNX_OUTPUT));
  if (producers.length !== 1) throw new Error(`residual: expected one node producing ${ONNX_OUTPUT}, found ${producers.length}`);
  const node = producers[0]!;
  node.output = node.output!.map((o) => (o === ONNX_OUTPUT ? 'delta' : o));
  graph.initializer.push(
    onnx.TensorProto.create(int64Tensor('residual_starts', [steps - 1, VALUE])),
    onnx.TensorProto.create(int64Tensor('residual_ends', [steps, VALUE + 1])),
    onnx.TensorProto.create(int64Tensor('residual_axes', [1, 2])),
    onnx.TensorProto.create(int64Tensor('residual_shape', [-1, 1])),
  );
  graph.node.push(
    onnx.NodeProto.create({ name: 'residual_last_value', opType: 'Slice', input: [ONNX_INPUT, 'residual_starts', 'residual_ends', 'residual_axes'], output: ['last_value_3d'] }),
    onnx.NodeProto.create({ name: 'residual_reshape', opType: 'Reshape', input: ['last_value_3d', 'residual_shape'], output: ['last_value'] }),
    onnx.NodeProto.create({ name: 'residual_add', opType: 'Add', input: ['delta', 'last_value'], output: [ONNX_OUTPUT] }),
  );
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`residual: invalid model proto: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

export interface LstmConfig {
  steps: number;
  features: number;
  horizon: number;
  units: number;
  layers: number;
  seed: number;
  /** Dense outputs per horizon step: 1 (point) or 3 (quantile network: P50 residual, two band widths). Default 1. */
  outputsPerStep?: 1 | 3;
  /** Start the dense layer at zero, so the untrained network adds nothing to its linear base. Default false. */
  zeroDense?: boolean;
}

/** A small deterministic PRNG (mulberry32) for shuffling: streams/simulator/prng.ts. */
export { mulberry32 };

export function buildLstm(c: LstmConfig): tf.Sequential {
  if (!(c.layers >= 1 && c.units >= 1)) throw new Error(`lstm: layers ${c.layers} and units ${c.units} must be at least 1`);
  const model = tf.sequential({ name: 'sda_lstm' });
  for (let l = 0; l < c.layers; l++) {
    model.add(
      tf.layers.lstm({
        units: c.units,
        recurrentActivation: 'sigmoid',
        returnSequences: l < c.layers - 1,
        kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed + 10 * l }),
        recurrentInitializer: tf.initializers.orthogonal({ seed: c.seed + 10 * l + 1, gain: 1 }),
        ...(l === 0 ? { inputShape: [c.steps, c.features] } : {}),
        name: `lstm_${l}`,
      }),
    );
  }
  model.add(tf.layers.dense({ units: c.horizon * (c.outputsPerStep ?? 1), kernelInitializer: c.zeroDense ? tf.initializers.zeros() : tf.initializers.glorotUniform({ seed: c.seed + 1000 }), name: 'dense' }));
  return model;
}

/** The model summary as text (tfjs prints it line by line). */
export function modelSummary(model: tf.LayersModel): string {
  const lines: string[] = [];
  model.summary(100, undefined, (...msg: unknown[]) => lines.push(msg.join(' ')));
  return lines.join('\n');
}

export type TrainLoss = 'mse' | 'huber' | 'pinball';

/**
 * The quantile network's loss on a raw output [batch, 3·H] = (m, a, b) against the target [batch, ≥H] (its first H
 * columns): P50 = m, P10 = m − softplus(a), P90 = m + softplus(b) (non-crossing), loss = point(P50) +
 * pinball_0.1(P10) + pinball_0.9(P90), each a mean over batch and horizon. The point term is pinball_0.5 (half the
 * absolute error: the median) by default, or Huber / MSE. Pinball loss: model/quantile.ts `pinball`.
 */
export function quantileNetworkLoss(H: number, point: TrainLoss = 'pinball', huberDelta = 1): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  return (yTrue, yPred) => {
    const y = yTrue.slice([0, 0], [-1, H]);
    const m = yPred.slice([0, 0], [-1, H]);
    const a = tf.softplus(yPred.slice([0, H], [-1, H]));
    const b = tf.softplus(yPred.slice([0, 2 * H], [-1, H]));
    const pin = (q: tf.Tensor, tau: number) => {
      const d = y.sub(q);
      return tf.maximum(d.mul(tau), d.mul(tau - 1)).mean() as tf.Scalar;
    };
    const p50 = point === 'pinball' ? pin(m, 0.5) : point === 'huber' ? tf.losses.huberLoss(y, m, undefined, huberDelta) : tf.losses.meanSquaredError(y, m);
    return (p50 as tf.Scalar).add(pin(m.sub(a), 0.1)).add(pin(m.add(b), 0.9));
  };
}

export interface EpochResult {
  epoch: number;
  trainLoss: number;
  holdoutLoss: number;
  /** Seconds spent on the training minibatches of this epoch. */
  seconds: number;
  /** Seconds spent on the hold-out forward pass after it. */
  holdoutSeconds: number;
}

/** Per-epoch results; with restoreBest, the epoch whose weights were kept (0 = untrained) and its validation MSE. */
export type EpochResults = EpochResult[] & { bestEpoch?: number; bestLoss?: number };

export interface TrainLstmOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /**
   * Learning rate of the last epoch as a fraction of learningRate; it falls linearly from epoch 1 to there
   * (default 1: constant). Decaying it steadies the final weights.
   */
  finalLrFraction?: number;
  seed: number;
  /** Training loss on the scaled target: 'mse' (default) or 'huber' (quadratic within huberDelta, linear beyond). */
  loss?: TrainLoss;
  huberDelta?: number;
  onBatch?: (epoch: number, batch: number, batches: number, meanLoss: number) => void;
  onEpoch?: (r: EpochResult) => void;
  /** A quantile network (3·H outputs) trained with quantileNetworkLoss; `loss` is then its P50 term. */
  quantile?: boolean;
  /**
   * Early stopping: after training, restore the weights of the epoch (0 = before training) with the lowest
   * "hold-out" loss, i.e. on samples [trainCount, n) of the dataset given, which the caller makes a validation slice.
   */
  restoreBest?: boolean;
}

/** Copy samples `idx` of d.X / d.y into batch buffers; y repeated `reps` times per row (to the output width). */
function gather(d: Dataset, idx: ArrayLike<number>, from: number, to: number, xb: Float32Array, yb: Float32Array, reps = 1): void {
  const size = d.steps * d.features;
  const H = d.horizon;
  for (let i = from; i < to; i++) {
    const s = idx[i]!;
    xb.set(d.X.subarray(s * size, (s + 1) * size), (i - from) * size);
    for (let r = 0; r < reps; r++) yb.set(d.y.subarray(s * H, (s + 1) * H), ((i - from) * reps + r) * H);
  }
}

/** Scaled predictions for samples [from, to) ([count, outputs]; outputs = horizon, or 3·horizon raw for a quantile network), in batches. */
export function predictScaled(model: tf.LayersModel, d: Dataset, from: number, to: number, batch = 1024): Float32Array {
  const size = d.steps * d.features;
  const H = (model.outputs[0]!.shape[1] as number | null) ?? d.horizon;
  const out = new Float32Array((to - from) * H);
  for (let b = from; b < to; b += batch) {
    const e = Math.min(to, b + batch);
    const vals = tf.tidy(() => {
      const x = tf.tensor3d(d.X.subarray(b * size, e * size), [e - b, d.steps, d.features]);
      return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
    out.set(vals, (b - from) * H);
  }
  return out;
}

/** MSE of the point forecast (the first horizon columns of each row of `width` outputs) against d.y from sample `from`. */
function mseScaled(pred: Float32Array, d: Dataset, from: number, width = d.horizon): number {
  const H = d.horizon;
  const rows = pred.length / width;
  let s = 0;
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < H; h++) {
      const e = pred[r * width + h]! - d.y[(from + r) * H + h]!;
      s += e * e;
    }
  }
  return rows ? s / (rows * H) : Number.NaN;
}

/**
 * Train on d's training samples; returns loss per epoch (train = mean minibatch loss in the training loss,
 * hold-out = MSE on the scaled target after the epoch).
 */
export async function trainLstm(model: tf.LayersModel, d: Dataset, o: TrainLstmOptions): Promise<EpochResults> {
  const delta = o.huberDelta ?? 1;
  const huber = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.huberLoss(yTrue, yPred, undefined, delta);
  const optimizer = tf.train.adam(o.learningRate);
  const reps = o.quantile ? 3 : 1;
  const width = d.horizon * reps;
  model.compile({ optimizer, loss: o.quantile ? quantileNetworkLoss(d.horizon, o.loss ?? 'pinball', delta) : o.loss === 'huber' ? huber : 'meanSquaredError' });
  const lrAt = (epoch: number) => o.learningRate * (o.epochs > 1 ? 1 - (1 - (o.finalLrFraction ?? 1)) * ((epoch - 1) / (o.epochs - 1)) : 1);
  const size = d.steps * d.features;
  const n = d.trainCount;
  const batches = Math.ceil(n / o.batchSize);
  const rng = mulberry32(o.seed);
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  const xb = new Float32Array(o.batchSize * size);
  const yb = new Float32Array(o.batchSize * width);
  const results: EpochResults = [];
  let best = { epoch: 0, loss: o.restoreBest ? mseScaled(predictScaled(model, d, d.trainCount, d.n), d, d.trainCount, width) : Number.POSITIVE_INFINITY, weights: o.restoreBest ? model.getWeights().map((w) => w.clone()) : [] };
  let lastYield = performance.now();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    // AdamOptimizer reads its public learningRate field on every step.
    (optimizer as unknown as { learningRate: number }).learningRate = lrAt(epoch);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    let sum = 0;
    let count = 0;
    for (let b = 0; b < batches; b++) {
      const from = b * o.batchSize;
      const to = Math.min(n, from + o.batchSize);
      const m = to - from;
      gather(d, idx, from, to, xb, yb, reps);
      const x = tf.tensor3d(xb.subarray(0, m * size), [m, d.steps, d.features]);
      const y = tf.tensor2d(yb.subarray(0, m * width), [m, width]);
      const loss = (await model.trainOnBatch(x, y)) as number;
      x.dispose();
      y.dispose();
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at epoch ${epoch}, batch ${b + 1}; try a smaller --lr`);
      sum += loss * m;
      count += m;
      o.onBatch?.(epoch, b + 1, batches, sum / count);
      // tfjs resolves trainOnBatch in microtasks, so without this a whole training never lets timers run: a process
      // that trains beside Kafka consumers (sda demo) would miss their heartbeats past the session timeout.
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await setImmediate();
        lastYield = performance.now();
      }
    }
    const t1 = performance.now();
    const holdoutLoss = mseScaled(predictScaled(model, d, d.trainCount, d.n), d, d.trainCount, width);
    const r = { epoch, trainLoss: sum / count, holdoutLoss, seconds: (t1 - t0) / 1_000, holdoutSeconds: (performance.now() - t1) / 1_000 };
    results.push(r);
    o.onEpoch?.(r);
    if (o.restoreBest && holdoutLoss < best.loss) {
      best.weights.forEach((w) => w.dispose());
      best = { epoch, loss: holdoutLoss, weights: model.getWeights().map((w) => w.clone()) };
    }
  }
  if (o.restoreBest) {
    model.setWeights(best.weights);
    best.weights.forEach((w) => w.dispose());
    results.bestEpoch = best.epoch;
    results.bestLoss = best.loss;
  }
  // A function loss cannot be serialised into the tfjs checkpoint's training config; the weights are what matter.
  if (o.loss === 'huber' || o.quantile) model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'meanSquaredError' });
  return results;
}
