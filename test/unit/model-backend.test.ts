// trace: D.forecaster
// Backend selection: tfjs-node(-gpu) are optional and absent here, so `auto` falls back to wasm; without wasm to
// cpu; a backend asked for by name must load or the error says why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { type Importer, backendChoice, selectBackend } from '../../model/backend.js';

const realImport: Importer = (pkg) => import(pkg);
const withoutWasm: Importer = (pkg) => (pkg.includes('wasm') ? Promise.reject(new Error(`Cannot find package '${pkg}'`)) : realImport(pkg));

describe('model backend selection', () => {
  it('auto passes over the absent tfjs-node packages and picks wasm', async () => {
    const s = await selectBackend('auto');
    assert.equal(s.name, 'wasm');
    assert.equal(s.label, 'tfjs-wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(s.skipped.map((x) => x.split(':')[0]), ['node-gpu', 'node']);
  });

  it('auto falls back to the pure-JS cpu backend when wasm cannot load', async () => {
    const s = await selectBackend('auto', withoutWasm);
    assert.equal(s.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(s.skipped.length, 3);
    const t = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync());
    assert.deepEqual(Array.from(t), [2, 3]);
  });

  it('a named backend must load; a bad name is refused', async () => {
    assert.equal((await selectBackend('cpu')).name, 'cpu');
    assert.equal((await selectBackend('wasm')).name, 'wasm');
    await assert.rejects(selectBackend('node'), /backend node is not available: .*install @tensorflow\/tfjs-node/);
    await assert.rejects(selectBackend('wasm', withoutWasm), /backend wasm is not available/);
    assert.throws(() => backendChoice('gpu'), /--backend: expected one of auto, node-gpu, node, wasm, cpu/);
  });
});
