// trace: 3.2, 3.3
// The tfjs LSTM: the contract's architecture (sigmoid recurrent activation, last hidden state, dense to the
// horizon), deterministic initial weights for a seed, and a training loss that falls on a learnable series.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../model/backend.js';
import type { Dataset } from '../../model/dataset.js';
import ort from 'onnxruntime-node';
import { addLastValueResidual, buildLstm, lastScaledValue, modelSummary, predictScaled, shiftTargets, trainLstm } from '../../model/lstm.js';
import { exportTfjsLstmToOnnx } from '../../model/onnx-export.js';

/** Sine windows: X = 8 steps of sin, y = the next value (scaled units already). */
function sineDataset(n: number, steps = 8, features = 2): Dataset {
  const X = new Float32Array(n * steps * features);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < steps; s++) {
      X[(i * steps + s) * features] = Math.sin((i + s) / 3);
      X[(i * steps + s) * features + 1] = 1;
    }
    y[i] = Math.sin((i + steps) / 3);
  }
  const nan = new Float32Array(n).fill(Number.NaN);
  return {
    formatVersion: 1, featureOrder: [], steps, features, horizon: 1, n, trainCount: Math.floor(n * 0.8), seriesIds: Array(n).fill('S'), windowEnds: [...Array(n).keys()],
    scaler: { features: [], target: { mean: 0, std: 1 } }, target: { market: 'T', kind: 'K', seriesIds: ['S'], stepMs: 1, unit: 'u' },
    trainingRange: { from: '', to: '' }, holdoutRange: { from: '', to: '' }, X, y, baselines: { naive_last: nan, same_hour_yesterday: nan, same_hour_last_week: nan },
  };
}

describe('model lstm', () => {
  it('builds the contract architecture, stacked when asked', async () => {
    await selectBackend('cpu');
    const m = buildLstm({ steps: 24, features: 11, horizon: 24, units: 8, layers: 2, seed: 1 });
    const cfgs = m.layers.map((l) => l.getConfig() as Record<string, unknown>);
    assert.deepEqual(m.layers.map((l) => l.getClassName()), ['LSTM', 'LSTM', 'Dense']);
    assert.deepEqual(cfgs.map((c) => c.returnSequences), [true, false, undefined]);
    assert.ok(cfgs.slice(0, 2).every((c) => c.recurrentActivation === 'sigmoid'));
    assert.deepEqual(m.outputs[0]!.shape, [null, 24]);
    assert.match(modelSummary(m), /lstm_0 \(LSTM\)/);
    m.dispose();
  });

  it('gives the same initial weights for the same seed', async () => {
    await selectBackend('cpu');
    const a = buildLstm({ steps: 4, features: 3, horizon: 1, units: 4, layers: 1, seed: 7 });
    const b = buildLstm({ steps: 4, features: 3, horizon: 1, units: 4, layers: 1, seed: 7 });
    const wa = a.getWeights().map((t) => Array.from(t.dataSync()));
    const wb = b.getWeights().map((t) => Array.from(t.dataSync()));
    assert.deepEqual(wa, wb);
    a.dispose();
    b.dispose();
  });

  it('training lowers the loss on a learnable series and predicts the hold-out', async () => {
    await selectBackend('wasm');
    const d = sineDataset(400);
    const m = buildLstm({ steps: d.steps, features: d.features, horizon: 1, units: 8, layers: 1, seed: 3 });
    const batches: number[] = [];
    const r = await trainLstm(m, d, { epochs: 4, batchSize: 32, learningRate: 0.01, seed: 1, onBatch: (_e, b) => batches.push(b) });
    assert.equal(r.length, 4);
    assert.ok(r[3]!.trainLoss < r[0]!.trainLoss, `loss ${r.map((x) => x.trainLoss).join(' → ')}`);
    assert.ok(r[3]!.holdoutLoss < r[0]!.holdoutLoss);
    assert.equal(Math.max(...batches), Math.ceil(d.trainCount / 32));
    const p = predictScaled(m, d, d.trainCount, d.n, 17);
    assert.equal(p.length, d.n - d.trainCount);
    assert.ok(p.every(Number.isFinite));
    m.dispose();
    tf.disposeVariables();
  });

  it('delta target: shiftTargets round-trips, and model.onnx adds the last value back inside the graph', async () => {
    await selectBackend('wasm');
    const d = sineDataset(64, 6, 3);
    const y0 = d.y.slice();
    shiftTargets(d, -1);
    assert.ok(Math.abs(d.y[10]! - (y0[10]! - lastScaledValue(d, 10))) < 1e-6);
    shiftTargets(d, 1);
    d.y.forEach((v, i) => assert.ok(Math.abs(v - y0[i]!) < 1e-6));

    const m = buildLstm({ steps: 6, features: 3, horizon: 2, units: 4, layers: 1, seed: 2 });
    const onnxBytes = addLastValueResidual(exportTfjsLstmToOnnx(m, { steps: 6, features: 3, horizon: 2 }), 6);
    const session = await ort.InferenceSession.create(onnxBytes);
    const batch = 5;
    const x = d.X.slice(0, batch * 6 * 3);
    const out = (await session.run({ input: new ort.Tensor('float32', x, [batch, 6, 3]) })).output!.data as Float32Array;
    const net = tf.tidy(() => (m.predict(tf.tensor3d(x, [batch, 6, 3])) as tf.Tensor).dataSync());
    for (let i = 0; i < batch; i++) {
      for (let h = 0; h < 2; h++) {
        const expected = net[i * 2 + h]! + lastScaledValue(d, i);
        assert.ok(Math.abs(out[i * 2 + h]! - expected) < 1e-5, `sample ${i} step ${h}: ${out[i * 2 + h]} vs ${expected}`);
      }
    }
    await session.release();
    m.dispose();
  });
});
