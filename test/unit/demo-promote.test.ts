// `sda demo`'s promotion rule (cli/demo-promote.ts): a model that loses to naive last hour or ridge on its hold-out
// is not promoted over another current version (a second demo run once promoted a model at RMSE 823.7 against ridge's
// lower figure), is promoted when nothing is current (the forecaster needs a model), and one that beats both is.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { baselinesNotBeaten, demoPromotion, sameModelLine } from '../../cli/demo-promote.js';
import { MODEL_FILE, type ModelMetadata, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, SEQUENCE_FEATURES } from '../../model/contract.js';
import { identicalCurrent, listVersions, loadEntry, readModelFiles, sameModel, setCurrent, writeVersion } from '../../model/registry.js';

const NEW = '20261202T071128498Z-tfjs-9f5a';
const OLD = '20261202T070447914Z-tfjs-5150';

describe('demoPromotion', () => {
  it('promotes a model that beats naive last hour and ridge, over a current one', () => {
    const p = demoPromotion(NEW, { rmse: 7.29, rmse_naive_last: 7.51, rmse_ridge: 13.85 }, OLD);
    assert.equal(p.promote, true);
    assert.match(p.line, /beats naive last hour and ridge on the hold-out: promoted/);
  });

  it('keeps the current model when the new one loses to ridge, and says how to serve it anyway', () => {
    const p = demoPromotion(NEW, { rmse: 823.7, rmse_naive_last: 900, rmse_ridge: 700.2 }, OLD);
    assert.equal(p.promote, false);
    assert.match(p.line, /does not beat ridge \(700\.20\): NOT promoted; current stays 20261202T070447914Z-tfjs-5150/);
    assert.match(p.line, /\.\/sda train promote 20261202T071128498Z-tfjs-9f5a/);
  });

  it('a tie or a missing baseline counts as losing; both baselines are named when both win', () => {
    assert.equal(demoPromotion(NEW, { rmse: 9, rmse_naive_last: 9, rmse_ridge: 12 }, OLD).promote, false);
    assert.equal(demoPromotion(NEW, { rmse: 9, rmse_naive_last: 12 }, OLD).promote, false);
    assert.equal(demoPromotion(NEW, { rmse: Number.NaN, rmse_naive_last: 12, rmse_ridge: 12 }, OLD).promote, false);
    assert.match(demoPromotion(NEW, { rmse: 20, rmse_naive_last: 12, rmse_ridge: 13 }, OLD).line, /does not beat naive last hour \(12\.00\) and ridge \(13\.00\)/);
  });

  it('promotes a losing model when no model is current, saying why', () => {
    const p = demoPromotion(NEW, { rmse: 823.7, rmse_naive_last: 447.6, rmse_ridge: 700 }, null);
    assert.equal(p.promote, true);
    assert.match(p.line, /no other model is current: promoted so the forecaster has one to serve/);
  });

  it('refuses an empty version', () => {
    assert.throws(() => demoPromotion('', { rmse: 1 }, null), RangeError);
  });
  it('baselinesNotBeaten names each baseline not beaten strictly, and a model without scores', () => {
    assert.deepEqual(baselinesNotBeaten({ rmse: 9.5, rmse_naive_last: 12, rmse_ridge: 9 }), { lost: ['ridge (9.00)'], rmseText: '9.50' });
    assert.deepEqual(baselinesNotBeaten({ rmse: 8, rmse_naive_last: 12, rmse_ridge: 9 }).lost, []);
    assert.deepEqual(baselinesNotBeaten(undefined), { lost: ['no finite hold-out RMSE'], rmseText: '-' });
  });
});

// A second `sda demo` run on the same windows with the same seed trains a twin of the current model: same ONNX bytes,
// same metadata but for its version name, creation time, commit and epoch timings. The demo (model/train.ts
// keepIdenticalCurrent) asks identicalCurrent before registering; a twin is kept out, anything else goes on to
// demoPromotion. Two registry directories stand for the two runs' registries.
describe('a model identical to the current one (second demo run)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const ONNX = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256);
  function metadata(version: string, createdAt: string, gitCommit: string, epochSeconds: number[]): ModelMetadata {
    return {
      formatVersion: 1,
      version,
      createdAt,
      trainer: 'tfjs',
      backend: 'tfjs-cpu',
      architecture: { type: 'lstm', layers: 1, units: 8, steps: 24, features: SEQUENCE_FEATURES.length, horizon: 1, recurrentActivation: 'sigmoid' },
      target: { market: 'ERCOT', kind: 'RT_PRICE', seriesIds: ['HB_NORTH'], stepMs: 3_600_000, unit: 'USD/MWh' },
      featureOrder: [...SEQUENCE_FEATURES],
      scaler: { features: SEQUENCE_FEATURES.map(() => ({ mean: 0, std: 1 })), target: { mean: 30, std: 12 } },
      trainingRange: { from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z' },
      holdoutRange: { from: '2024-02-01T00:00:00.000Z', to: '2024-02-08T00:00:00.000Z' },
      metrics: { rmse: 7.29, rmse_naive_last: 7.51, rmse_ridge: 13.85 },
      gitCommit,
      onnx: { file: MODEL_FILE, input: ONNX_INPUT, output: ONNX_OUTPUT, opset: ONNX_OPSET },
      training: { seed: 42, lossPerEpoch: [0.31, 0.22], epochSeconds },
    };
  }
  const run1 = () => metadata(OLD, '2026-12-02T07:04:47.914Z', 'a'.repeat(40), [4.1, 3.9]);
  const run2 = () => metadata(NEW, '2026-12-02T07:11:28.498Z', 'b'.repeat(40), [4.4, 4.0]);
  async function registries(): Promise<{ first: string; second: string }> {
    const first = await mkdtemp(join(tmpdir(), 'sda-demo-run1-'));
    const second = await mkdtemp(join(tmpdir(), 'sda-demo-run2-'));
    dirs.push(first, second);
    await writeVersion(first, run1(), { [MODEL_FILE]: ONNX });
    await setCurrent(first, OLD);
    return { first, second };
  }

  it('is found identical across two registries, kept out, and the demo says so plainly', async () => {
    const { first, second } = await registries();
    await writeVersion(second, run2(), { [MODEL_FILE]: Uint8Array.from(ONNX) });
    const twin = await readModelFiles(await loadEntry(second, NEW));
    assert.equal(sameModel(await readModelFiles(await loadEntry(first, OLD)), twin), true);
    const kept = await identicalCurrent(first, twin);
    assert.equal(kept?.version, OLD);
    assert.deepEqual(await listVersions(first), [OLD]);
    assert.equal(sameModelLine(kept!.version), "same model as the current 20261202T070447914Z-tfjs-5150: kept the current one (the identical new one was not registered again); the forecaster serves it, re-forecasting the recent windows only if the stored forecasts are another version's");
    // Step 7 may still rewind (stored forecasts of an older version): the line must not say nothing happens.
    assert.doesNotMatch(sameModelLine(kept!.version), /nothing to re-forecast/);
    assert.throws(() => sameModelLine(''), RangeError);
  });

  it('a model that differs in one ONNX byte or one served metadata field is not identical: the promotion rule decides', async () => {
    const { first } = await registries();
    const flipped = Uint8Array.from(ONNX);
    flipped[10] = flipped[10]! ^ 1;
    assert.equal(await identicalCurrent(first, { metadata: run2(), onnx: flipped }), null);
    const rescaled = run2();
    rescaled.scaler = { ...rescaled.scaler, target: { mean: 30, std: 12.5 } };
    assert.equal(await identicalCurrent(first, { metadata: rescaled, onnx: ONNX }), null);
    const otherLosses = run2();
    otherLosses.training = { ...otherLosses.training, lossPerEpoch: [0.31, 0.21] };
    assert.equal(await identicalCurrent(first, { metadata: otherLosses, onnx: ONNX }), null);
    // The twin itself, in memory as the trainer has it (keys in another order), is identical.
    const { training, ...rest } = run2();
    assert.equal((await identicalCurrent(first, { metadata: { training, ...rest } as ModelMetadata, onnx: ONNX }))?.version, OLD);
    // A differing model that beats both baselines is still promoted.
    assert.equal(demoPromotion(NEW, run2().metrics, OLD).promote, true);
  });

  it('nothing is identical when the registry has no current model or its ONNX file is gone', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'sda-demo-empty-'));
    dirs.push(empty);
    assert.equal(await identicalCurrent(empty, { metadata: run2(), onnx: ONNX }), null);
    const { first } = await registries();
    await rm(join(first, OLD, MODEL_FILE));
    assert.equal(await identicalCurrent(first, { metadata: run2(), onnx: ONNX }), null);
  });
});
