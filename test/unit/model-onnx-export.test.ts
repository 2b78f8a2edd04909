// trace: 3.5, D.forecaster
// The tfjs → ONNX export (model/onnx-export.ts): random tfjs LSTM forecasters of each supported shape give the
// same outputs in onnxruntime-node as in tfjs, survive a checkpoint round trip (model/tfjs-io.ts), and serve from
// a registry version through OnnxModel.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { MODEL_FILE, type ModelMetadata, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, SEQUENCE_FEATURES } from '../../model/contract.js';
import { OnnxModel } from '../../model/onnx-model.js';
import { ONNX_IR_VERSION, exportTfjsLstmToOnnx } from '../../model/onnx-export.js';
import { loadEntry, newVersion, writeVersion } from '../../model/registry.js';
import { loadTfjsModel, saveTfjsModel } from '../../model/tfjs-io.js';

const F = SEQUENCE_FEATURES.length;
const TOLERANCE = 1e-4;

/** Deterministic standard-normal numbers (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function randomArray(n: number, rand: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rand() * scale);
}

interface Case {
  name: string;
  units: number[];
  horizon: number;
  steps: number;
  recurrentActivation: 'sigmoid' | 'hardSigmoid';
  /** Dropout layers (identity at inference) after each LSTM, and no bias vectors anywhere. */
  dropoutNoBias?: boolean;
}

const CASES: Case[] = [
  { name: '1 layer, horizon 1', units: [8], horizon: 1, steps: 24, recurrentActivation: 'sigmoid' },
  { name: '1 layer, horizon 24', units: [16], horizon: 24, steps: 24, recurrentActivation: 'sigmoid' },
  { name: '2 layers, horizon 1', units: [12, 6], horizon: 1, steps: 24, recurrentActivation: 'sigmoid' },
  { name: '2 layers, horizon 24', units: [8, 8], horizon: 24, steps: 24, recurrentActivation: 'sigmoid' },
  { name: 'hardSigmoid (the tfjs default), horizon 24', units: [8], horizon: 24, steps: 24, recurrentActivation: 'hardSigmoid' },
  { name: '3 layers, 6 steps', units: [5, 7, 4], horizon: 3, steps: 6, recurrentActivation: 'sigmoid' },
  { name: 'Dropout between layers, no biases', units: [6, 5], horizon: 24, steps: 24, recurrentActivation: 'sigmoid', dropoutNoBias: true },
];

/** A tfjs forecaster of the contract's shape with every weight (biases included) random, so the gate mapping shows. */
function buildModel(c: Case, seed: number): tf.Sequential {
  const model = tf.sequential();
  c.units.forEach((units, i) => {
    model.add(
      tf.layers.lstm({
        units,
        recurrentActivation: c.recurrentActivation,
        returnSequences: i < c.units.length - 1,
        useBias: !c.dropoutNoBias,
        ...(i === 0 ? { inputShape: [c.steps, F] } : {}),
      }),
    );
    if (c.dropoutNoBias) model.add(tf.layers.dropout({ rate: 0.3 }));
  });
  model.add(tf.layers.dense({ units: c.horizon, useBias: !c.dropoutNoBias }));
  const rand = normals(seed);
  for (const layer of model.layers) {
    layer.setWeights(layer.getWeights().map((w) => tf.tensor(randomArray(w.size, rand, 0.4), w.shape)));
  }
  return model;
}

function tfjsPredict(model: tf.LayersModel, x: Float32Array, batch: number, steps: number): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor3d(x, [batch, steps, F])) as tf.Tensor).dataSync() as Float32Array);
}

async function ortPredict(session: ort.InferenceSession, x: Float32Array, batch: number, steps: number): Promise<Float32Array> {
  const out = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x, [batch, steps, F]) });
  return out[ONNX_OUTPUT]!.data as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'outputs have different sizes');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function metadataFor(c: Case, version: string): ModelMetadata {
  return {
    formatVersion: 1,
    version,
    createdAt: new Date().toISOString(),
    trainer: 'tfjs',
    backend: `tfjs-${tf.getBackend()}`,
    architecture: { type: 'lstm', layers: c.units.length, units: c.units[c.units.length - 1]!, steps: c.steps, features: F, horizon: c.horizon, recurrentActivation: 'sigmoid' },
    target: { market: 'ERCOT', kind: 'RT_PRICE', seriesIds: ['HB_TEST'], stepMs: 3_600_000, unit: 'USD/MWh' },
    featureOrder: [...SEQUENCE_FEATURES],
    scaler: { features: SEQUENCE_FEATURES.map(() => ({ mean: 0, std: 1 })), target: { mean: 30, std: 12 } },
    trainingRange: { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
    holdoutRange: { from: '2026-02-01T00:00:00.000Z', to: '2026-02-08T00:00:00.000Z' },
    metrics: {},
    gitCommit: 'unknown',
    onnx: { file: MODEL_FILE, input: ONNX_INPUT, output: ONNX_OUTPUT, opset: ONNX_OPSET },
    training: { note: 'random weights, export test' },
  };
}

describe('tfjs LSTM → ONNX export', () => {
  let dir = '';
  before(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    dir = await mkdtemp(join(tmpdir(), 'sda-onnx-export-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  CASES.forEach((c, ci) => {
    test(`${c.name}: onnxruntime matches tfjs, at batch 1 and 7`, async () => {
      const model = buildModel(c, 100 + ci);
      const bytes = exportTfjsLstmToOnnx(model, { steps: c.steps, features: F, horizon: c.horizon });
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      try {
        assert.deepEqual(session.inputNames, [ONNX_INPUT]);
        assert.deepEqual(session.outputNames, [ONNX_OUTPUT]);
        const rand = normals(200 + ci);
        for (const batch of [1, 7]) {
          const x = randomArray(batch * c.steps * F, rand);
          const expected = tfjsPredict(model, x, batch, c.steps);
          const got = await ortPredict(session, x, batch, c.steps);
          assert.equal(got.length, batch * c.horizon);
          const diff = maxAbsDiff(expected, got);
          console.log(`parity ${c.name}, batch ${batch}: max |tfjs - onnxruntime| = ${diff.toExponential(2)}`);
          assert.ok(diff < TOLERANCE, `max abs difference ${diff} ≥ ${TOLERANCE}`);
        }
      } finally {
        await session.release();
        model.dispose();
      }
    });
  });

  test('the ONNX header: IR version, opset 17, dynamic batch', async () => {
    const p = (await import('onnx-proto')).default;
    const model = buildModel(CASES[0]!, 1);
    const decoded = p.onnx.ModelProto.decode(exportTfjsLstmToOnnx(model, { steps: 24, features: F, horizon: 1 }));
    assert.equal(Number(decoded.irVersion), ONNX_IR_VERSION);
    assert.deepEqual(decoded.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', ONNX_OPSET]]);
    const graph = decoded.graph as InstanceType<typeof p.onnx.GraphProto>;
    const dims = graph.input[0]?.type?.tensorType?.shape?.dim ?? [];
    assert.equal(dims[0]?.dimParam, 'batch');
    assert.deepEqual(graph.node.map((n) => n.opType), ['Transpose', 'LSTM', 'Squeeze', 'MatMul', 'Add']);
    model.dispose();
  });

  test('refuses models outside the contract, naming the layer', () => {
    const seqLast = tf.sequential();
    seqLast.add(tf.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true, inputShape: [24, F] }));
    seqLast.add(tf.layers.dense({ units: 1 }));
    assert.throws(() => exportTfjsLstmToOnnx(seqLast, { steps: 24, features: F, horizon: 1 }), /must not return sequences/);
    const gru = tf.sequential();
    gru.add(tf.layers.gru({ units: 4, inputShape: [24, F] }));
    gru.add(tf.layers.dense({ units: 1 }));
    assert.throws(() => exportTfjsLstmToOnnx(gru, { steps: 24, features: F, horizon: 1 }), /GRU/);
    const wrongHorizon = buildModel(CASES[0]!, 3);
    assert.throws(() => exportTfjsLstmToOnnx(wrongHorizon, { steps: 24, features: F, horizon: 24 }), /horizon 24/);
    for (const m of [seqLast, gru, wrongHorizon]) m.dispose();
  });

  test('checkpoint round trip, then the export serves from a registry version through OnnxModel', async () => {
    const c = CASES[3]!; // 2 layers, horizon 24
    const model = buildModel(c, 7);
    const ckpt = join(dir, 'ckpt');
    await saveTfjsModel(model, ckpt);
    const reloaded = await loadTfjsModel(ckpt);
    const rand = normals(8);
    const batch = 5;
    const x = randomArray(batch * c.steps * F, rand);
    const before = tfjsPredict(model, x, batch, c.steps);
    assert.equal(maxAbsDiff(before, tfjsPredict(reloaded, x, batch, c.steps)), 0, 'the reloaded checkpoint predicts differently');

    const opts = { steps: c.steps, features: F, horizon: c.horizon };
    const bytes = exportTfjsLstmToOnnx(reloaded, opts);
    assert.deepEqual(bytes, exportTfjsLstmToOnnx(model, opts), 'the reloaded model exports different bytes');

    const root = join(dir, 'registry');
    const version = newVersion('tfjs');
    await writeVersion(root, metadataFor(c, version), {
      [MODEL_FILE]: bytes,
      'tfjs/model.json': await readFile(join(ckpt, 'model.json')),
      'tfjs/weights.bin': await readFile(join(ckpt, 'weights.bin')),
    });
    const entry = await loadEntry(root, version);
    const onnxModel = await OnnxModel.load(entry);
    try {
      const got = await onnxModel.predictScaled(x, batch);
      const diff = maxAbsDiff(before, got);
      console.log(`parity registry entry (2 layers, horizon 24), batch ${batch}: max |tfjs - OnnxModel| = ${diff.toExponential(2)}`);
      assert.ok(diff < TOLERANCE, `max abs difference ${diff} ≥ ${TOLERANCE}`);
      // The registry's tfjs checkpoint loads too.
      const fromRegistry = await loadTfjsModel(join(entry.dir, 'tfjs'));
      assert.equal(maxAbsDiff(before, tfjsPredict(fromRegistry, x, batch, c.steps)), 0);
      fromRegistry.dispose();
    } finally {
      await onnxModel.close();
      model.dispose();
      reloaded.dispose();
    }
  });
});
