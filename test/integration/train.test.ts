// trace: 3.1, 3.3, 3.4, 3.5, 7.2
// Training end to end against the real services: 40 simulated days of two hubs and SYSTEM, under a market name of
// this test's own, through the real windower and features sink into PostgreSQL; then `runTraining` (5 small epochs)
// writes a registry entry whose ONNX model, tfjs checkpoint and metadata reload, `current` points at it, its scores
// are in model_metrics; `sda train evaluate` re-scores it through onnxruntime (from features and from the exported
// dataset) and `sda train metrics` exports the rows.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { METADATA_FILE, validateMetadata } from '../../model/contract.js';
import { readDataset } from '../../model/dataset.js';
import { servedForecast } from '../../model/served-graph.js';
import { OnnxModel } from '../../model/onnx-model.js';
import { ONLINE_BAND_DEFAULTS } from '../../model/online-band.js';
import { BASE_RIDGE_ALPHAS } from '../../model/baselines.js';
import { listVersions, loadEntry, readCurrent } from '../../model/registry.js';
import { loadTfjsModel } from '../../model/tfjs-io.js';
import { HOUR_MS, type TrainOptions, runTraining } from '../../model/train.js';
import { startWindower } from '../../processors/windower/processor.js';
import { startFeaturesSink } from '../../sinks/postgres/features-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { BulkProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { config, createTestTopic, deleteTestTopics, sda, uniqueName, withAdmin } from './harness.js';

const HUBS = ['HB_NORTH', 'HB_WEST'];
const DAYS = 40;

describe('train: features → LSTM → registry, metrics and evaluation', () => {
  const input = uniqueName('test.train.in');
  const output = uniqueName('test.train.out');
  const changelog = uniqueName('test.train.log');
  const market = `T${input.slice(-8).toUpperCase()}`;
  const pool = createPool(config, 2);
  let p: Provisioned;
  let work: string;
  let version: string | undefined;

  /**
   * The training both runs share (same windows, same seed, so the same model): 5 epochs of a 1-layer, 12-unit LSTM
   * over 36 hourly steps ahead of this test's market's RT prices, registered in `registry` and promoted, its
   * human-readable output appended to `lines`. One validation slice (folds 1) keeps this test's training time as it
   * was; the rolling-origin folds are covered by test/unit/model-rolling-origin.test.ts on a small dataset.
   */
  const trainOptions = (registry: string, lines: string[]): TrainOptions => ({
    market,
    kind: 'RT_PRICE',
    stepMs: HOUR_MS,
    epochs: 5,
    units: 12,
    layers: 1,
    horizon: 36,
    batchSize: 64,
    learningRate: 0.003,
    seed: 5,
    folds: 1,
    backend: 'auto',
    registry,
    promote: true,
    print: (l) => lines.push(l),
    progress: false,
  });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sda-train-'));
    p = await provision(config, 'sda-test-train');
    await createTestTopic(input, 3);
    await createTestTopic(output, 3);
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic: changelog, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }));

    // Hubs' 15-minute RT prices and SYSTEM load/wind/solar, through the real windower and sink.
    const ticks = [...simulateMarket({ start: Date.UTC(2024, 6, 1, 5), days: DAYS, seed: 11, nodes: HUBS, includeSystem: true })]
      .filter((t) => t.kind === 'RT_PRICE' || t.seriesId === 'SYSTEM')
      .map((t) => ({ ...t, market }));
    const producer = new BulkProducer(config, 'sda-test-train-input');
    await producer.send(input, ticks.map((t) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t) })));
    await producer.close();
    const windower = await startWindower(config, { inputTopic: input, outputTopic: output, changelogTopic: changelog, groupId: uniqueName('test-train-win') }, p);
    const sink = await startFeaturesSink(config, { topic: output, groupId: uniqueName('test-train-sink') }, p);
    try {
      // Hourly slots 0..959: windows for slots 23..956 at least (those the watermark passes; complete slots after
      // them may fire too). Wait until the count has settled.
      const atLeast = HUBS.length * (956 - 23 + 1);
      const count = async () => Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM features WHERE market = $1 AND kind = 'RT_PRICE'", [market])).rows[0]!.n);
      const deadline = Date.now() + 90_000;
      let last = -1;
      let settled = 0;
      while (Date.now() < deadline && settled < 8) {
        await new Promise((r) => setTimeout(r, 250));
        const n = await count();
        settled = n >= atLeast && n === last ? settled + 1 : 0;
        last = n;
      }
      assert.ok(last >= atLeast && last <= HUBS.length * (959 - 23 + 1), `every hub window stored: ${last}`);
    } finally {
      await sink.stop();
      await windower.stop();
    }
  });

  after(async () => {
    await pool.query('DELETE FROM features WHERE market = $1', [market]);
    if (version) await pool.query('DELETE FROM model_metrics WHERE model_version = $1', [version]);
    await pool.end();
    await deleteTestTopics([input, output, changelog]);
    await rm(work, { recursive: true, force: true });
  });

  it('trains, registers a loadable model with valid metadata, records metrics, and evaluates it through the CLI', async () => {
    const registry = join(work, 'registry');
    const datasetDir = join(work, 'dataset');
    const lines: string[] = [];
    const r = await runTraining(pool, { ...trainOptions(registry, lines), exportDatasetDir: datasetDir });
    version = r.version;
    const out = lines.join('\n');
    assert.match(out, /^backend: tfjs-wasm/m);
    assert.match(out, new RegExp(`feature matrix ${market}/HB_NORTH/RT_PRICE: \\(N, M\\) = \\(93\\d, 41\\)`));
    assert.match(out, /feature matrix, all series: \(N, M\) = \(18[67]\d, 41\)/);
    assert.match(out, /lstm_0 \(LSTM\)/);
    assert.match(out, /\| \*\*all\*\* \| \*\*model\*\* \|/);

    // the loss falls
    assert.equal(r.epochs.length, 5);
    assert.ok(r.epochs[4]!.trainLoss < r.epochs[0]!.trainLoss, `train loss ${r.epochs.map((e) => e.trainLoss.toFixed(4)).join(' → ')}`);

    // metadata.json validates and says what was trained
    const meta = validateMetadata(JSON.parse(await readFile(join(r.dir, METADATA_FILE), 'utf8')), 'metadata.json');
    assert.equal(meta.version, r.version);
    assert.equal(meta.trainer, 'tfjs');
    assert.equal(meta.backend, 'tfjs-wasm');
    assert.deepEqual(meta.target, { market, kind: 'RT_PRICE', seriesIds: HUBS, stepMs: HOUR_MS, unit: 'USD/MWh' });
    assert.deepEqual(meta.architecture, { type: 'lstm', layers: 1, units: 12, steps: 24, features: 11, horizon: 36, recurrentActivation: 'sigmoid', quantiles: [0.1, 0.5, 0.9] });
    assert.equal(meta.stepSources?.length, 36);
    for (const k of ['pinball', 'coverage_p10_p90', 'rmse_h1', 'rmse_h36', 'rmse_h36_ridge', 'rmse_h24_same_hour_last_week']) assert.ok(Number.isFinite(meta.metrics[k]), k);
    assert.match(out, /\| 36 \| .* \|/, 'the per-horizon table has a row for h = 36');
    assert.match(out, /P10-P90 coverage \d+\.\d%/);
    assert.ok(meta.trainingRange.to < meta.holdoutRange.from);
    for (const k of ['rmse', 'mae', 'rmse_naive_last', 'rmse_same_hour_yesterday', 'rmse_same_hour_last_week', 'rmse_ridge']) assert.ok(Number.isFinite(meta.metrics[k]), k);
    assert.equal((meta.training!.lossPerEpoch as number[]).length, 5);
    // the online band (model/online-band.ts): in the metadata with its fallback offsets per step; the hold-out scores
    // are the online band's, with the static band's beside them
    assert.equal(meta.onlineBand?.method, ONLINE_BAND_DEFAULTS.method);
    assert.equal(meta.onlineBand?.trained?.below.length, 36);
    for (const k of ['pinball_static', 'coverage_p10_p90_static']) assert.ok(Number.isFinite(meta.metrics[k]), k);
    assert.match(out, /the online band; the static band on the same points: pinball loss/);
    // the level-adjusted last week is offered on the validation slice with its L; where a step serves it, the
    // metadata carries the level (validated above) and `sda train evaluate` below serves it from week-change.f64
    assert.match(out, /level-adjusted last week: L = (6|12|24) slots/);
    assert.equal(meta.stepSources!.some((s) => s.includes('same_hour_last_week_level')), meta.lastWeekLevel !== undefined);
    // this run's model blends it in at most steps (2026-12-02), so the evaluate-equals-training checks below cover it
    assert.ok(meta.lastWeekLevel && meta.lastWeekLevel.weight.filter((k) => k > 0).length >= 10, JSON.stringify(meta.stepSources));
    assert.ok(existsSync(join(datasetDir, 'week-change.f64')));

    // `current` points at it
    assert.equal(await readCurrent(registry), r.version);

    // the ONNX model (onnxruntime) and the tfjs checkpoint both reload and agree on the hold-out
    const d = await readDataset(datasetDir);
    assert.equal(d.n, r.dataset.n);
    const size = d.steps * d.features;
    const batch = 16;
    const x = d.X.slice(d.trainCount * size, (d.trainCount + batch) * size);
    const onnx = await OnnxModel.load(await loadEntry(registry, r.version));
    const fromOnnx = await onnx.runScaled(x, batch);
    await onnx.close();
    assert.ok(existsSync(join(r.dir, 'tfjs', 'model.json')) && existsSync(join(r.dir, 'tfjs', 'weights.bin')));
    const reloaded = await loadTfjsModel(join(r.dir, 'tfjs'));
    const raw = tf.tidy(() => (reloaded.predict(tf.tensor3d(x, [batch, d.steps, d.features])) as tf.Tensor).dataSync());
    reloaded.dispose();
    // the tfjs checkpoint is the bare network (P50 residual over the ridge base, two band widths); model.onnx
    // wraps it (model/served-graph.ts), and servedForecast computes the same from the checkpoint's output
    assert.match(String(meta.training!.target), /^ridge/);
    // the default base: a ridge penalty per step ahead (TRAIN_DEFAULTS.basePenalty), one of BASE_RIDGE_ALPHAS each
    assert.equal(meta.training!.basePenalty, 'per-horizon');
    const baseAlphas = meta.training!.baseRidgeAlphas as number[];
    assert.equal(baseAlphas.length, 36);
    assert.ok(baseAlphas.every((v) => BASE_RIDGE_ALPHAS.includes(v)), baseAlphas.join(' '));
    const H = 36;
    assert.equal(raw.length, batch * 3 * H);
    const served = servedForecast(r.spec, x, raw, 0, batch);
    const q = fromOnnx.quantiles;
    assert.ok(q, 'a quantiles output');
    for (let i = 0; i < batch; i++) {
      for (let h = 0; h < H; h++) {
        const j = i * H + h;
        assert.ok(Math.abs(fromOnnx.output[j]! - served.p50[j]!) < 1e-3, `sample ${i} h${h + 1}: onnx ${fromOnnx.output[j]} tfjs served ${served.p50[j]}`);
        const [p10, p50, p90] = [q[i * 3 * H + h]!, q[i * 3 * H + H + h]!, q[i * 3 * H + 2 * H + h]!];
        assert.ok(p10 <= p50 && p50 <= p90, `sample ${i} h${h + 1}: ${p10} <= ${p50} <= ${p90}`);
        assert.ok(Math.abs(p10 - served.p10[j]!) < 1e-3 && Math.abs(p90 - served.p90[j]!) < 1e-3, `sample ${i} h${h + 1}: band`);
      }
    }

    // model_metrics rows: per series and overall, model and baselines
    const rows = await pool.query<{ series_id: string; baseline: string; value: number }>(
      "SELECT series_id, baseline, value FROM model_metrics WHERE model_version = $1 AND split = 'holdout' AND metric = 'rmse' ORDER BY series_id, baseline",
      [r.version],
    );
    assert.deepEqual([...new Set(rows.rows.map((x) => x.series_id))], ['*', ...HUBS]);
    assert.equal(rows.rows.length, 3 * 5);
    assert.ok(Math.abs(rows.rows.find((x) => x.series_id === '*' && x.baseline === 'model')!.value - meta.metrics.rmse!) < 1e-9);

    // `sda train evaluate` on the entry: rebuilt from features with the model's scaler, and from the exported dataset
    const parseRmse = (stdout: string) => Number(/\| \*\*all\*\* \| \*\*model\*\* \| \d+ \| ([-\d.]+) \|/.exec(stdout)?.[1]);
    for (const args of [['--model', r.dir], ['--model', r.version, '--registry', registry, '--dataset', datasetDir]]) {
      const ev = await sda(['train', 'evaluate', ...args]);
      assert.equal(ev.code, 0, ev.stderr);
      assert.match(ev.stdout, /\| series \| method \| n \| RMSE \(USD\/MWh\) \| MAE \(USD\/MWh\) \| RMSE \/ naive \|/);
      for (const hub of HUBS) assert.match(ev.stdout, new RegExp(`\\| ${hub} \\| naive last hour \\|`));
      const rmse = parseRmse(ev.stdout);
      // the evaluation serves the online band too (warmed up on the ONNX model's own forecasts of the training period)
      const coverage = Number(/P10-P90 coverage ([\d.]+)%/.exec(ev.stdout)?.[1]) / 100;
      assert.match(ev.stdout, /the online band; the static band on the same points/);
      assert.ok(Math.abs(coverage - meta.metrics.coverage_p10_p90!) <= 0.01, `evaluate ${args.join(' ')}: coverage ${coverage} vs training ${meta.metrics.coverage_p10_p90}`);
      assert.ok(Math.abs(rmse - meta.metrics.rmse!) <= 0.01 * meta.metrics.rmse! + 0.01, `evaluate ${args.join(' ')}: RMSE ${rmse} vs training ${meta.metrics.rmse}`);
    }

    const csv = join(work, 'metrics.csv');
    const ex = await sda(['train', 'metrics', '--csv', csv, '--version', r.version]);
    assert.equal(ex.code, 0, ex.stderr);
    const text = await readFile(csv, 'utf8');
    assert.match(text, /^model_version,series_id,split,metric,baseline,value,recorded_at\n/);
    assert.equal(text.trim().split('\n').length, 1 + 3 * 5 * 3);
  });

  it('a second run on the same windows with the same seed trains the same model: with keepIdenticalCurrent (sda demo) it is neither registered nor promoted', async () => {
    assert.ok(version, 'the first test registered a model');
    const registry = join(work, 'registry');
    const versions = await listVersions(registry);
    const lines: string[] = [];
    const r = await runTraining(pool, { ...trainOptions(registry, lines), keepIdenticalCurrent: true });
    assert.equal(r.sameAsCurrent, version, lines.join('\n'));
    assert.equal(r.version, version);
    assert.equal(r.promoted, false);
    assert.match(lines.join('\n'), new RegExp(`same model as the current ${version}: identical ONNX bytes.*not registered again, current unchanged`));
    assert.deepEqual(await listVersions(registry), versions);
    assert.equal(await readCurrent(registry), version);
  });

  it('says clearly when there are no feature windows', async () => {
    const res = await sda(['train', '--market', `${market}X`, '--series', 'HB_NORTH', '--registry', join(work, 'none')]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`no feature windows for ${market}X/HB_NORTH/RT_PRICE .*run sda demo or sda simulate \\+ sda process windower/features-sink first`));
  });
});
