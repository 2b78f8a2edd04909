// trace: D.forecaster, D.exactly-once
// The forecaster's state is a function of the model and its input partition's trailing windows: a forecaster stopped
// mid-stream and started again (it rebuilds each partition's state from the partition on assignment, restore.ts)
// writes the Forecast records that one run that never stopped writes over the same input (values within 1e-5
// relative: assertSameForecasts), with a model that
// serves some steps from "same hour last week" (state the process builds from the windows it has seen). Real Kafka,
// registry and a tiny untrained model in a temporary registry; unique topics and groups.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LAST_WEEK_SOURCE } from '../../model/quantile.js';
import { type ForecasterOptions, type PartitionRestore, startForecaster } from '../../processors/forecaster/processor.js';
import { type RandomModelOptions, writeRandomModel } from '../../processors/forecaster/random-model.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';
import { BulkProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { readTopicToEnd } from '../../platform/kafka/read-topic.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, until } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Feature windows of `days` simulated days (two hubs' RT prices and the system series), under `market`. */
function windowsOf(market: string, start: number, days: number): FeatureWindow[] {
  const core = new PartitionWindower({ stepMs: HOUR });
  const out: FeatureWindow[] = [];
  for (const t of simulateMarket({ start, days, seed: 7, nodes: ['HB_NORTH', 'HB_WEST'], includeSystem: true })) out.push(...core.add({ ...t, market }, t.ingestedAt).windows);
  return out;
}

/** The committed Forecast records of a topic, keyed by series and target start (a key seen twice fails). */
/** Runs a forecaster until it has received `count` windows (at most 3 minutes, else fails naming `what`), then stops it. */
async function consumeAll(p: Provisioned, opts: ForecasterOptions, count: number, what: string): Promise<void> {
  const f = await startForecaster(config, opts, p);
  try {
    await until(() => f.counts.received === count, 180_000, what);
  } finally {
    await f.stop();
  }
}

async function forecastsOf(p: Provisioned, topic: string): Promise<Map<string, Forecast>> {
  const out = new Map<string, Forecast>();
  for (const r of await readTopicToEnd(p, topic, p.writers.forecasts, { idleMs: 2_000 })) {
    const k = `${r.value.seriesId}|${r.value.targetStart}`;
    assert.ok(!out.has(k), `one forecast per window on ${topic}: ${k} twice`);
    out.set(k, r.value);
  }
  return out;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * (1 + Math.abs(a));
const served = (w: FeatureWindow) => w.kind === 'RT_PRICE' && w.count > 0;

/**
 * Each forecast of `want` has one in `got` under the same key with the same model version, issue time and step
 * sources, and P50, P10 and P90 within 1e-5 relative (`close`) at every step. `names`: how the two runs are called
 * in the messages.
 */
function assertSameForecasts(want: Iterable<[string, Forecast]>, got: Map<string, Forecast>, names: [string, string]): void {
  const [a, b] = names;
  for (const [k, x] of want) {
    const y = got.get(k);
    assert.ok(y, `${b} has ${k}`);
    assert.equal(y.modelVersion, x.modelVersion, `${k}: model version`);
    assert.equal(y.issuedAt, x.issuedAt, `${k}: issued at`);
    assert.deepEqual(y.stepSources, x.stepSources, `${k}: step sources`);
    x.values.forEach((v, h) => assert.ok(close(v, y.values[h]!), `${k} step ${h + 1}: P50 ${v} (${a}) vs ${y.values[h]} (${b})`));
    x.p10!.forEach((v, h) => assert.ok(close(v, y.p10![h]!), `${k} step ${h + 1}: P10 ${v} (${a}) vs ${y.p10![h]} (${b})`));
    x.p90!.forEach((v, h) => assert.ok(close(v, y.p90![h]!), `${k} step ${h + 1}: P90 ${v} (${a}) vs ${y.p90![h]} (${b})`));
  }
}

describe('forecaster: state rebuilt from the trailing windows on assignment', () => {
  const topics: string[] = [];
  const registries: string[] = [];
  let p: Provisioned;

  before(async () => {
    p = await provision(config, 'sda-test-forecaster-restore');
  });

  after(async () => {
    await deleteTestTopics(topics);
    for (const r of registries) await rm(r, { recursive: true, force: true });
  });

  /**
   * B consumes the windows up to `cutDay`, stops, and is started again for the rest; A consumes everything at once.
   * Returns both runs' forecasts, the windows, and B's restores after its restart.
   */
  async function runPair(name: string, model: Omit<RandomModelOptions, 'version' | 'market'>, days: number, cutDay: number) {
    const features = uniqueName(`test.fcr.${name}.features`);
    const outA = uniqueName(`test.fcr.${name}.forecasts-a`);
    const outB = uniqueName(`test.fcr.${name}.forecasts-b`);
    topics.push(features, outA, outB);
    const market = `T${features.slice(-8).toUpperCase()}`;
    for (const t of [features, outA, outB]) await createTestTopic(t, 3);
    const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
    registries.push(registry);
    const start = Date.UTC(2024, 6, 1, 5);
    const all = windowsOf(market, start, days);
    const cut = start + cutDay * DAY;
    const phase1 = all.filter((w) => w.windowEnd <= cut);
    const phase2 = all.filter((w) => w.windowEnd > cut);
    await writeRandomModel(registry, { ...model, version: `fcr-${name}-${market}`, market });

    const producer = new BulkProducer(config, 'sda-test-forecaster-restore-input');
    const send = (ws: FeatureWindow[]) => producer.send(features, ws.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w) })));
    // Small fetches (many transactions) and small read-back chunks (the rebuilt span starts mid-partition).
    const base = { inputTopic: features, registryDir: registry, pollMs: 200, maxBytesPerPartition: 32_768, restore: { firstChunk: 64, guard: 32 } };
    const restores: PartitionRestore[] = [];
    try {
      // B: phase 1, stopped, then started again for phase 2.
      await send(phase1);
      const optsB = { ...base, outputTopic: outB, groupId: uniqueName('test-fcr-b'), onRestore: (r: PartitionRestore) => void restores.push(r) };
      await consumeAll(p, optsB, phase1.length, 'B to consume phase 1');
      assert.ok(restores.every((r) => r.windows === 0), 'a first start has nothing to rebuild');
      restores.length = 0;
      await send(phase2);
      await consumeAll(p, optsB, phase2.length, 'B to consume phase 2 after its restart');
      // A: the whole input, never stopped.
      await consumeAll(p, { ...base, outputTopic: outA, groupId: uniqueName('test-fcr-a') }, all.length, 'A to consume everything');
    } finally {
      await producer.close();
    }
    const fa = await forecastsOf(p, outA);
    const fb = await forecastsOf(p, outB);
    assert.equal(fa.size, all.filter(served).length, 'A forecast every served window');
    assert.equal(fb.size, fa.size, 'B forecast every served window once');
    assertSameForecasts(fa, fb, ['never stopped', 'restarted']);
    return { fa, fb, cut, phase2, restores };
  }

  // An 8-step quantile model: steps 3 and 6 served from same hour last week, the graph's band elsewhere.
  const sources = ['lstm', 'lstm', 'lstm', 'lstm', 'baseline:same_hour_yesterday', 'lstm', 'lstm', 'lstm'];

  it('a forecaster stopped mid-stream and started again writes the same forecasts as one that never stopped (steps from last week)', async () => {
    const { fa, cut, phase2, restores } = await runPair('lw', { seriesIds: [], horizon: 8, units: 4, seed: 3, stepSources: sources, lastWeek: { steps: [3, 6] } }, 12, 10);
    assert.ok(restores.some((r) => r.windows > 0), `the restarted B rebuilt its partitions' state from their windows: ${JSON.stringify(restores)}`);
    for (const r of restores) if (r.windows > 0) assert.ok(r.slots > 0 && BigInt(r.to) > BigInt(r.from), `restore of partition ${r.partition} holds slots`);
    // The comparison has teeth: after the restart, steps were served from last week's values (a restarted forecaster
    // without the rebuilt state falls back to the graph there, with another step source).
    const lastWeekAfterRestart = [...fa.values()].filter((f) => f.targetStart > cut && f.stepSources?.[2] === LAST_WEEK_SOURCE).length;
    assert.ok(lastWeekAfterRestart >= phase2.filter(served).length / 2, `forecasts after the restart served from last week: ${lastWeekAfterRestart}`);
  });

  it('the same with an online band (rolling-window conformal): its state is rebuilt by replaying the trailing windows through the model', async () => {
    const H = 8;
    const onlineBand = { method: 'window' as const, windowDays: 1, level: 0.8, gamma: 0, minResiduals: 12, centreDays: 0, trained: { below: new Array<number>(H).fill(5), above: new Array<number>(H).fill(5) } };
    const { fa, cut, restores } = await runPair('ob', { seriesIds: [], horizon: H, units: 4, seed: 4, stepSources: sources, lastWeek: { steps: [3, 6] }, onlineBand }, 16, 14);
    const rebuilt = restores.filter((r) => r.bands > 0);
    assert.ok(rebuilt.length > 0, `the restarted B rebuilt online bands: ${JSON.stringify(restores)}`);
    // Mid-partition: the read-back started after the partition's first record, so the replay is not the whole stream.
    assert.ok(rebuilt.some((r) => BigInt(r.from) > 0n), `a rebuild started mid-partition: ${JSON.stringify(rebuilt.map((r) => r.from))}`);
    // The band served after the restart is the online one, not the trained ±5.
    const after = [...fa.values()].filter((f) => f.targetStart > cut);
    assert.ok(after.some((f) => Math.abs(f.values[0]! - f.p10![0]! - 5) > 1e-6), 'the online band moved off the trained offsets');
  });
  it('the same with an ACI online band and a median centre: the bands served before the stop are read back from the output and issued again, the centre recomputed', async () => {
    const H = 8;
    // The rebuild reads the input back over the history (8 d), the band's window and the centre's (3 d + 8 h, 2 d + 8 h):
    // 13.7 of the 20 days before the stop, so it starts mid-partition.
    const onlineBand = { method: 'aci' as const, windowDays: 3, level: 0.8, gamma: 0.05, minResiduals: 12, centreDays: 2, trained: { below: new Array<number>(H).fill(5), above: new Array<number>(H).fill(5) } };
    const { restores } = await runPair('aci', { seriesIds: [], horizon: H, units: 4, seed: 7, stepSources: sources, lastWeek: { steps: [3, 6] }, onlineBand }, 22, 20);
    const rebuilt = restores.filter((r) => r.bands > 0);
    assert.ok(rebuilt.some((r) => BigInt(r.from) > 0n), `a rebuild started mid-partition: ${JSON.stringify(rebuilt.map((r) => r.from))}`);
    assert.ok(rebuilt.every((r) => r.servedForecasts > 0), `the served forecasts were read back: ${JSON.stringify(rebuilt.map((r) => r.servedForecasts))}`);
  });

  it('a model switch rebuilds the bands from the trailing windows: a running forecaster that switches serves what one restarted on the new model serves', async () => {
    const features = uniqueName('test.fcr.sw.features');
    const outA = uniqueName('test.fcr.sw.forecasts-a');
    const outB = uniqueName('test.fcr.sw.forecasts-b');
    topics.push(features, outA, outB);
    const market = `T${features.slice(-8).toUpperCase()}`;
    for (const t of [features, outA, outB]) await createTestTopic(t, 3);
    const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
    registries.push(registry);
    const start = Date.UTC(2024, 6, 1, 5);
    const all = windowsOf(market, start, 14);
    const cut = start + 12 * DAY;
    const phase1 = all.filter((w) => w.windowEnd <= cut);
    const phase2 = all.filter((w) => w.windowEnd > cut);
    const H = 8;
    const band = (m: 'window' | 'aci') => ({ method: m, windowDays: 1, level: 0.8, gamma: 0.05, minResiduals: 12, centreDays: 0, trained: { below: new Array<number>(H).fill(5), above: new Array<number>(H).fill(5) } });
    const v1 = await writeRandomModel(registry, { version: `fcr-sw1-${market}`, market, seriesIds: [], horizon: H, units: 4, seed: 5, stepSources: sources, lastWeek: { steps: [3] }, onlineBand: band('aci') });
    const producer = new BulkProducer(config, 'sda-test-forecaster-restore-input');
    const send = (ws: FeatureWindow[]) => producer.send(features, ws.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w) })));
    const base = { inputTopic: features, registryDir: registry, pollMs: 200, maxBytesPerPartition: 32_768, restore: { firstChunk: 64, guard: 32 } };
    const optsA = { ...base, outputTopic: outA, groupId: uniqueName('test-fcr-sw-a') };
    const optsB = { ...base, outputTopic: outB, groupId: uniqueName('test-fcr-sw-b') };
    try {
      await send(phase1);
      const a = await startForecaster(config, optsA, p);
      try {
        let b = await startForecaster(config, optsB, p);
        try {
          await until(() => a.counts.received === phase1.length && b.counts.received === phase1.length, 180_000, 'A and B to consume phase 1 with v1');
        } finally {
          await b.stop();
        }
        // v2 becomes current: A, running, switches and replays its trailing windows with v2; B starts on v2 and reads them back.
        const v2 = await writeRandomModel(registry, { version: `fcr-sw2-${market}`, market, seriesIds: [], horizon: H, units: 4, seed: 6, stepSources: sources, lastWeek: { steps: [3] }, onlineBand: band('aci') });
        await a.pollModel();
        assert.equal(a.modelVersion, v2.version, 'A serves v2');
        assert.notEqual(v1.version, v2.version);
        b = await startForecaster(config, optsB, p);
        try {
          await send(phase2);
          await until(() => a.counts.received === all.length && b.counts.received === phase2.length, 180_000, 'A and B to consume phase 2 with v2');
        } finally {
          await b.stop();
        }
      } finally {
        await a.stop();
      }
    } finally {
      await producer.close();
    }
    const fa = await forecastsOf(p, outA);
    const fb = await forecastsOf(p, outB);
    const after = [...fa.entries()].filter(([, f]) => f.targetStart > cut);
    assert.equal(after.length, phase2.filter(served).length);
    assertSameForecasts(after, fb, ['switched live', 'restarted on v2']);
  });
  it('a live switch from a window band to an ACI band, on a forecaster restarted on the window model: it reads the served bands back first, and serves what one that never stopped serves', async () => {
    const features = uniqueName('test.fcr.wa.features');
    const outA = uniqueName('test.fcr.wa.forecasts-a');
    const outB = uniqueName('test.fcr.wa.forecasts-b');
    topics.push(features, outA, outB);
    const market = `T${features.slice(-8).toUpperCase()}`;
    for (const t of [features, outA, outB]) await createTestTopic(t, 3);
    const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
    registries.push(registry);
    const start = Date.UTC(2024, 6, 1, 5);
    const all = windowsOf(market, start, 14);
    // Restarted within the ACI window before the switch: some of the bands it counts were served before the restart.
    const restartAt = start + 11.75 * DAY;
    const cut = start + 12 * DAY;
    const phase1a = all.filter((w) => w.windowEnd <= restartAt);
    const phase1b = all.filter((w) => w.windowEnd > restartAt && w.windowEnd <= cut);
    const phase2 = all.filter((w) => w.windowEnd > cut);
    const H = 8;
    // The same window and horizon: the same span, so only the bands served decide whether the partition is read again.
    const band = (m: 'window' | 'aci') => ({ method: m, windowDays: 1, level: 0.8, gamma: 0.05, minResiduals: 12, centreDays: 0, trained: { below: new Array<number>(H).fill(5), above: new Array<number>(H).fill(5) } });
    await writeRandomModel(registry, { version: `fcr-wa1-${market}`, market, seriesIds: [], horizon: H, units: 4, seed: 5, stepSources: sources, lastWeek: { steps: [3] }, onlineBand: band('window') });
    const producer = new BulkProducer(config, 'sda-test-forecaster-restore-input');
    const send = (ws: FeatureWindow[]) => producer.send(features, ws.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w) })));
    const base = { inputTopic: features, registryDir: registry, pollMs: 200, maxBytesPerPartition: 32_768, restore: { firstChunk: 64, guard: 32 } };
    const restoresB: PartitionRestore[] = [];
    const optsA = { ...base, outputTopic: outA, groupId: uniqueName('test-fcr-wa-a') };
    const optsB = { ...base, outputTopic: outB, groupId: uniqueName('test-fcr-wa-b'), onRestore: (r: PartitionRestore) => void restoresB.push(r) };
    let v2 = '';
    try {
      await send(phase1a);
      const a = await startForecaster(config, optsA, p);
      try {
        let b = await startForecaster(config, optsB, p);
        try {
          await until(() => a.counts.received === phase1a.length && b.counts.received === phase1a.length, 180_000, 'A and B to consume phase 1a with the window model');
        } finally {
          await b.stop();
        }
        // B restarts on the window model: rebuilt without reading the served bands back (the model has no ACI band).
        restoresB.length = 0;
        b = await startForecaster(config, optsB, p);
        try {
          await send(phase1b);
          await until(() => a.counts.received === phase1a.length + phase1b.length && b.counts.received === phase1b.length, 180_000, 'A and B to consume phase 1b with the window model');
          assert.ok(restoresB.some((r) => r.windows > 0) && restoresB.every((r) => r.servedForecasts === 0), `B rebuilt without the read-back: ${JSON.stringify(restoresB)}`);
          restoresB.length = 0;
          // The ACI model becomes current: both switch live.
          v2 = (await writeRandomModel(registry, { version: `fcr-wa2-${market}`, market, seriesIds: [], horizon: H, units: 4, seed: 6, stepSources: sources, lastWeek: { steps: [3] }, onlineBand: band('aci') })).version;
          await a.pollModel();
          await b.pollModel();
          assert.equal(a.modelVersion, v2);
          assert.equal(b.modelVersion, v2);
          await send(phase2);
          await until(() => a.counts.received === all.length && b.counts.received === phase1b.length + phase2.length, 180_000, 'A and B to consume phase 2 with the ACI model');
        } finally {
          await b.stop();
        }
      } finally {
        await a.stop();
      }
    } finally {
      await producer.close();
    }
    const fa = await forecastsOf(p, outA);
    const fb = await forecastsOf(p, outB);
    const after = [...fa.entries()].filter(([, f]) => f.targetStart > cut);
    assert.equal(after.length, phase2.filter(served).length);
    assert.ok(after.every(([, f]) => f.modelVersion === v2), 'phase 2 served by the ACI model');
    assertSameForecasts(after, fb, ['never stopped', 'restarted on the window model, then switched']);
    // How: B read its partitions again for the ACI model, with the bands served (before and after its restart) read back.
    const reread = restoresB.filter((r) => r.bandVersion === v2 && r.bands > 0);
    assert.ok(reread.length > 0 && reread.every((r) => r.servedForecasts > 0), `B read the served bands back at the switch: ${JSON.stringify(restoresB)}`);
  });

  it('a rebalance that moves partitions to a second member: the two members together write what one uninterrupted forecaster writes', async () => {
    const features = uniqueName('test.fcr.rb.features');
    const outA = uniqueName('test.fcr.rb.forecasts-a');
    const outB = uniqueName('test.fcr.rb.forecasts-b');
    topics.push(features, outA, outB);
    const market = `T${features.slice(-8).toUpperCase()}`;
    for (const t of [features, outA, outB]) await createTestTopic(t, 3);
    const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
    registries.push(registry);
    const start = Date.UTC(2024, 6, 1, 5);
    // The simulator's nine settlement points: enough series that every one of the 3 partitions holds some.
    const core = new PartitionWindower({ stepMs: HOUR });
    const all: FeatureWindow[] = [];
    for (const t of simulateMarket({ start, days: 16, seed: 9, includeSystem: false })) if (t.kind === 'RT_PRICE') all.push(...core.add({ ...t, market }, t.ingestedAt).windows);
    const cut = start + 14 * DAY;
    const phase1 = all.filter((w) => w.windowEnd <= cut);
    const phase2 = all.filter((w) => w.windowEnd > cut);
    const H = 8;
    const onlineBand = { method: 'aci' as const, windowDays: 2, level: 0.8, gamma: 0.05, minResiduals: 12, centreDays: 0, trained: { below: new Array<number>(H).fill(5), above: new Array<number>(H).fill(5) } };
    await writeRandomModel(registry, { version: `fcr-rb-${market}`, market, seriesIds: [], horizon: H, units: 4, seed: 8, stepSources: sources, lastWeek: { steps: [3, 6] }, onlineBand });
    const producer = new BulkProducer(config, 'sda-test-forecaster-restore-input');
    const send = (ws: FeatureWindow[]) => producer.send(features, ws.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w) })));
    const base = { inputTopic: features, registryDir: registry, pollMs: 200, maxBytesPerPartition: 32_768, restore: { firstChunk: 64, guard: 32 } };
    const optsB = { ...base, outputTopic: outB, groupId: uniqueName('test-fcr-rb-b') };
    const restores: PartitionRestore[] = [];
    try {
      await send(phase1);
      const b1 = await startForecaster(config, optsB, p);
      let b2: Awaited<ReturnType<typeof startForecaster>> | undefined;
      try {
        await until(() => b1.counts.received === phase1.length, 180_000, 'B1 to consume phase 1');
        // A second member joins: the group moves some partitions to it, which rebuilds them from the partitions.
        b2 = await startForecaster(config, { ...optsB, onRestore: (r: PartitionRestore) => void restores.push(r) }, p);
        await until(() => restores.some((r) => r.windows > 0), 120_000, 'B2 to be given a partition and rebuild it');
        await send(phase2);
        await until(() => b1.counts.received + b2!.counts.received === all.length, 180_000, 'B1 and B2 to consume phase 2');
      } finally {
        await b2?.stop();
        await b1.stop();
      }
      await consumeAll(p, { ...base, outputTopic: outA, groupId: uniqueName('test-fcr-rb-a') }, all.length, 'A to consume everything');
    } finally {
      await producer.close();
    }
    const fa = await forecastsOf(p, outA);
    const fb = await forecastsOf(p, outB);
    assert.equal(fb.size, fa.size, 'B1 and B2 forecast every served window once');
    assertSameForecasts(fa, fb, ['one member', 'rebalanced']);
  });
});
