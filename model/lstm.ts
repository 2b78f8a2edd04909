// The tfjs LSTM forecaster (architecture in model/contract.ts): LSTM layer(s) with sigmoid recurrent activation,
// the last step's hidden state, a dense layer to `horizon` scaled outputs. Built so model/onnx-export.ts can
// translate it. Trained with Adam on MSE in minibatches; the order of training samples is shuffled each epoch
// with a seeded generator (hold-out samples are never touched), initial weights are seeded too.
import * as tf from '@tensorflow/tfjs';
import p from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import { ONNX_INPUT, ONNX_OUTPUT, SEQUENCE_FEATURES } from './contract.js';
import type { Dataset } from './dataset.js';

const { onnx } = p;

/**
 * What the network learns: 'level' = the scaled target itself; 'delta' = the scaled target minus the scaled
 * `value` at the window's last step (0 when missing), added back inside the ONNX graph (addLastValueResidual),
 * so the served model still maps input → scaled level and serving is unchanged.
 */
export type TargetMode = 'level' | 'delta';

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
}

/** A small deterministic PRNG (mulberry32) for shuffling. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

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
  model.add(tf.layers.dense({ units: c.horizon, kernelInitializer: tf.initializers.glorotUniform({ seed: c.seed + 1000 }), name: 'dense' }));
  return model;
}

/** The model summary as text (tfjs prints it line by line). */
export function modelSummary(model: tf.LayersModel): string {
  const lines: string[] = [];
  model.summary(100, undefined, (...msg: unknown[]) => lines.push(msg.join(' ')));
  return lines.join('\n');
}

export type TrainLoss = 'mse' | 'huber';

export interface EpochResult {
  epoch: number;
  trainLoss: number;
  holdoutLoss: number;
  /** Seconds spent on the training minibatches of this epoch. */
  seconds: number;
  /** Seconds spent on the hold-out forward pass after it. */
  holdoutSeconds: number;
}

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
}

/** Copy samples `idx` of d.X / d.y into batch buffers. */
function gather(d: Dataset, idx: ArrayLike<number>, from: number, to: number, xb: Float32Array, yb: Float32Array): void {
  const size = d.steps * d.features;
  const H = d.horizon;
  for (let i = from; i < to; i++) {
    const s = idx[i]!;
    xb.set(d.X.subarray(s * size, (s + 1) * size), (i - from) * size);
    yb.set(d.y.subarray(s * H, (s + 1) * H), (i - from) * H);
  }
}

/** Scaled predictions for samples [from, to) ([count, horizon]), in batches. */
export function predictScaled(model: tf.LayersModel, d: Dataset, from: number, to: number, batch = 1024): Float32Array {
  const size = d.steps * d.features;
  const H = d.horizon;
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

function mseScaled(pred: Float32Array, d: Dataset, from: number): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    const e = pred[i]! - d.y[from * d.horizon + i]!;
    s += e * e;
  }
  return pred.length ? s / pred.length : Number.NaN;
}

/**
 * Train on d's training samples; returns loss per epoch (train = mean minibatch loss in the training loss,
 * hold-out = MSE on the scaled target after the epoch).
 */
export async function trainLstm(model: tf.LayersModel, d: Dataset, o: TrainLstmOptions): Promise<EpochResult[]> {
  const delta = o.huberDelta ?? 1;
  const huber = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.huberLoss(yTrue, yPred, undefined, delta);
  const optimizer = tf.train.adam(o.learningRate);
  model.compile({ optimizer, loss: o.loss === 'huber' ? huber : 'meanSquaredError' });
  const lrAt = (epoch: number) => o.learningRate * (o.epochs > 1 ? 1 - (1 - (o.finalLrFraction ?? 1)) * ((epoch - 1) / (o.epochs - 1)) : 1);
  const size = d.steps * d.features;
  const H = d.horizon;
  const n = d.trainCount;
  const batches = Math.ceil(n / o.batchSize);
  const rng = mulberry32(o.seed);
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  const xb = new Float32Array(o.batchSize * size);
  const yb = new Float32Array(o.batchSize * H);
  const results: EpochResult[] = [];
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
      gather(d, idx, from, to, xb, yb);
      const x = tf.tensor3d(xb.subarray(0, m * size), [m, d.steps, d.features]);
      const y = tf.tensor2d(yb.subarray(0, m * H), [m, H]);
      const loss = (await model.trainOnBatch(x, y)) as number;
      x.dispose();
      y.dispose();
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at epoch ${epoch}, batch ${b + 1}; try a smaller --lr`);
      sum += loss * m;
      count += m;
      o.onBatch?.(epoch, b + 1, batches, sum / count);
    }
    const t1 = performance.now();
    const holdoutLoss = mseScaled(predictScaled(model, d, d.trainCount, d.n), d, d.trainCount);
    const r = { epoch, trainLoss: sum / count, holdoutLoss, seconds: (t1 - t0) / 1_000, holdoutSeconds: (performance.now() - t1) / 1_000 };
    results.push(r);
    o.onEpoch?.(r);
  }
  // A function loss cannot be serialised into the tfjs checkpoint's training config; the weights are what matter.
  if (o.loss === 'huber') model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'meanSquaredError' });
  return results;
}
