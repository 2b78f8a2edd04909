// trace: D.forecaster, D.exactly-once
// Forecaster: FeatureWindows on a topic → Forecasts on a topic (exactly once) → the forecasts table, against the
// real Kafka, registry and PostgreSQL, with a tiny untrained model in a temporary registry. A new model version
// is picked up while it runs; a restart on the same group adds no duplicates.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxModel } from '../../model/onnx-model.js';
import { loadEntry } from '../../model/registry.js';
import { startForecaster } from '../../processors/forecaster/processor.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';
import { startForecastsSink } from '../../sinks/postgres/forecasts-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { BulkProducer, createConsumer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, until } from './harness.js';

const HOUR = 3_600_000;

/** Feature windows of `days` simulated days (two hubs' RT prices and the system series), under `market`. */
function windowsOf(market: string, start: number, days: number): FeatureWindow[] {
  const core = new PartitionWindower({ stepMs: HOUR });
  const out: FeatureWindow[] = [];
  for (const t of simulateMarket({ start, days, seed: 11, nodes: ['HB_NORTH', 'HB_WEST'], includeSystem: true })) out.push(...core.add({ ...t, market }, t.ingestedAt).windows);
  return out;
}

describe('forecaster: feature windows to forecasts, exactly once, with model hot-swap', () => {
  const features = uniqueName('test.fc.features');
  const forecastsTopic = uniqueName('test.fc.forecasts');
  const market = `T${features.slice(-8).toUpperCase()}`;
  const group = uniqueName('test-fc');
  const pool = createPool(config, 2);
  let p: Provisioned;
  let registry: string;

  before(async () => {
    p = await provision(config, 'sda-test-forecaster');
    await createTestTopic(features, 3);
    await createTestTopic(forecastsTopic, 3);
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
  });

  after(async () => {
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.end();
    await deleteTestTopics([features, forecastsTopic]);
    await rm(registry, { recursive: true, force: true });
  });

  it('forecasts each served window once with the current model, follows `current`, and survives a restart without duplicates', async () => {
    const all = windowsOf(market, Date.UTC(2024, 6, 1, 5), 9);
    const served = (w: FeatureWindow) => w.kind === 'RT_PRICE' && w.count > 0;
    // Three phases in event time: 0-4 days, 4-7 days, the rest.
    const cut1 = Date.UTC(2024, 6, 5, 5);
    const cut2 = Date.UTC(2024, 6, 8, 5);
    const phase1 = all.filter((w) => w.windowEnd <= cut1);
    const phase2 = all.filter((w) => w.windowEnd > cut1 && w.windowEnd <= cut2);
    const phase3 = all.filter((w) => w.windowEnd > cut2);
    assert.ok(phase1.some((w) => !served(w)), 'the input holds windows the model does not serve (LOAD, WIND, SOLAR)');

    const v1 = await writeRandomModel(registry, { version: `fc-test-v1-${market}`, market, seriesIds: [], horizon: 4, units: 4, seed: 1 });
    const producer = new BulkProducer(config, 'sda-test-forecaster-input');
    const send = (ws: FeatureWindow[]) => producer.send(features, ws.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w) })));
    await send(phase1);
    // One poison record: it goes to the dead-letter topic, the rest goes on.
    await producer.send(features, [{ key: 'HB_NORTH', value: Buffer.from('not avro') }]);

    const opts = { inputTopic: features, outputTopic: forecastsTopic, groupId: group, registryDir: registry, pollMs: 200 };
    let forecaster = await startForecaster(config, opts, p);
    const sink = await startForecastsSink(config, { topic: forecastsTopic, groupId: uniqueName('test-fc-sink') }, p);
    const rows = async (version?: string) =>
      Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM forecasts WHERE market = $1 AND ($2::text IS NULL OR model_version = $2)', [market, version ?? null])).rows[0]!.n);
    const waitRows = async (n: number, what: string) => {
      const deadline = Date.now() + 120_000;
      while ((await rows()) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await rows(), n, what);
    };
    try {
      const n1 = phase1.filter(served).length;
      await until(() => forecaster.counts.received === phase1.length + 1, 120_000, 'phase 1 consumed');
      await waitRows(n1, 'one row per served window of phase 1');
      assert.equal(forecaster.counts.forecasts, n1);
      assert.equal(forecaster.counts.skipped, phase1.length - n1 - phase1.filter((w) => w.kind === 'RT_PRICE' && w.count === 0).length);
      assert.equal(forecaster.counts.deadLettered, 1, 'the poison record is dead-lettered');
      assert.ok(forecaster.counts.inferenceRuns < forecaster.counts.forecasts, `windows share inference runs (${forecaster.counts.inferenceRuns} runs for ${forecaster.counts.forecasts} forecasts)`);

      // Values equal OnnxModel.forecast on the same windows.
      const m1 = await OnnxModel.load(await loadEntry(registry, v1.version));
      const phase1Served = phase1.filter(served);
      const expected = await m1.forecast(phase1Served);
      await m1.close();
      const stored = await pool.query<{ series_id: string; target_start: Date; values: number[]; model_version: string; issued_at: Date; input_start: Date; unit: string }>(
        'SELECT series_id, target_start, "values", model_version, issued_at, input_start, unit FROM forecasts WHERE market = $1', [market]);
      const byKey = new Map(stored.rows.map((r) => [`${r.series_id}|${r.target_start.getTime()}`, r]));
      phase1Served.forEach((w, i) => {
        const r = byKey.get(`${w.seriesId}|${w.windowEnd}`);
        assert.ok(r, `a row for ${w.seriesId} ending ${new Date(w.windowEnd).toISOString()}`);
        assert.equal(r.model_version, v1.version);
        assert.equal(r.issued_at.getTime(), w.computedAt, 'issuedAt is the window\'s computedAt');
        assert.equal(r.input_start.getTime(), w.windowStart);
        assert.equal(r.unit, 'USD/MWh');
        assert.equal(r.values.length, 4);
        r.values.forEach((v, h) => assert.ok(Math.abs(v - expected[i]![h]!) <= 1e-4 * (1 + Math.abs(v)), `horizon ${h + 1}: ${v} vs ${expected[i]![h]}`));
      });

      // Live RMSE: each window's last point scores the horizon-1 forecast made from the window an hour earlier.
      for (const series of ['HB_NORTH', 'HB_WEST']) {
        const ws = phase1Served.filter((w) => w.seriesId === series);
        const errs: number[] = [];
        for (const w of ws) {
          const prev = byKey.get(`${series}|${w.windowEnd - HOUR}`);
          const actual = w.values[w.values.length - 1];
          if (prev && actual !== null && actual !== undefined) errs.push(prev.values[0]! - actual);
        }
        const live = forecaster.liveRmse().find((m) => m.seriesId === series && m.modelVersion === v1.version);
        assert.ok(live && errs.length > 0, `live RMSE for ${series}`);
        const tail = errs.slice(-168);
        assert.equal(live.n, tail.length);
        const rmse = Math.sqrt(tail.reduce((a, e) => a + e * e, 0) / tail.length);
        assert.ok(Math.abs(live.rmse - rmse) <= 1e-9 * rmse, `live RMSE ${live.rmse} vs ${rmse}`);
      }

      // A new version becomes current while the forecaster runs: later windows carry it, no restart.
      // v2 is a 36-hour quantile model: P10/P50/P90 per step, hour 24 served by same hour yesterday.
      const sources = Array.from({ length: 36 }, (_, h) => (h === 23 ? 'baseline:same_hour_yesterday' : 'lstm'));
      const v2 = await writeRandomModel(registry, { version: `fc-test-v2-${market}`, market, seriesIds: [], horizon: 36, units: 4, seed: 2, stepSources: sources });
      await until(() => forecaster.modelVersion === v2.version, 30_000, 'the forecaster to load v2');
      await send(phase2);
      const n2 = phase2.filter(served).length;
      await waitRows(n1 + n2, 'rows of phase 2 added');
      assert.equal(await rows(v1.version), n1);
      assert.equal(await rows(v2.version), n2, 'phase 2 forecasts carry the new version');
      assert.equal(forecaster.counts.modelSwitches, 1);
      const q = await pool.query<{ values: number[]; p10: number[] | null; p90: number[] | null; step_sources: string[] | null; target_start: Date; series_id: string }>(
        'SELECT "values", p10, p90, step_sources, target_start, series_id FROM forecasts WHERE market = $1 AND model_version = $2', [market, v2.version]);
      assert.equal(q.rows.length, n2);
      const byEnd = new Map(phase2.filter(served).map((w) => [`${w.seriesId}|${w.windowEnd}`, w]));
      for (const r of q.rows) {
        assert.equal(r.values.length, 36, 'a 36-step forecast');
        assert.equal(r.p10?.length, 36, 'P10 per step');
        assert.equal(r.p90?.length, 36, 'P90 per step');
        assert.deepEqual(r.step_sources, sources);
        r.values.forEach((v, h) => assert.ok(r.p10![h]! <= v && v <= r.p90![h]!, `P10 <= P50 <= P90 at step ${h + 1}: ${r.p10![h]} ${v} ${r.p90![h]}`));
        // Hour 24 is the value 24 hours before its slot: the window's last value.
        const w = byEnd.get(`${r.series_id}|${r.target_start.getTime()}`)!;
        const last = w.values[w.values.length - 1];
        if (typeof last === 'number') assert.ok(Math.abs(r.values[23]! - last) <= 1e-3 * (1 + Math.abs(last)), `hour 24 = same hour yesterday ${last}, got ${r.values[23]}`);
      }

      // Restart on the same group: it resumes after the committed offsets.
      await forecaster.stop();
      forecaster = await startForecaster(config, opts, p);
      await send(phase3);
      const n3 = phase3.filter(served).length;
      await until(() => forecaster.counts.received === phase3.length, 120_000, 'phase 3 consumed after the restart');
      await waitRows(n1 + n2 + n3, 'rows of phase 3 added, none duplicated');
      assert.equal(forecaster.counts.received, phase3.length, 'the restarted forecaster read only new windows');
    } finally {
      await forecaster.stop();
      await sink.stop();
      await producer.close();
    }

    // The topic, read_committed, holds each forecast exactly once.
    const reader = createConsumer(p.kafka, uniqueName('test-fc-reader'), { readUncommitted: false, maxWaitTimeInMs: 200 });
    const seen: Forecast[] = [];
    await reader.connect();
    await reader.subscribe({ topic: forecastsTopic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void seen.push((await p.serde.decode<Forecast>(message.value, p.writers.forecasts)).value) });
    const total = all.filter(served).length;
    try {
      await until(() => seen.length >= total, 60_000, 'forecasts read back');
    } finally {
      await reader.disconnect();
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen.map((f) => `${f.seriesId}|${f.targetStart}|${f.modelVersion}`)).size, total, 'no duplicate forecasts on the topic');
  });
});
