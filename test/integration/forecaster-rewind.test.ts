// trace: D.forecaster, D.exactly-once
// A model promoted while the forecaster's input is quiet (`sda demo`'s second run): before, the forecaster restarted
// on the new model found no new window and issued nothing, so every stored forecast stayed the earlier model's. Against
// the real Kafka, registry and PostgreSQL: a forecaster serves 10 simulated days with v1 and stops; v2 (same-hour-
// last-week steps, so its answers depend on the 8 days and 1 h of history before the span) becomes current;
// demoReforecast (cli/demo-reforecast.ts) moves the group back over the last 2 days (rewindForecaster); the
// forecaster started again issues v2 forecasts for exactly the served windows of those 2 days, once each, equal to a
// forecaster that read the whole topic with v2; the readers pick v2 (newest stored, one row per hour); a second
// demoReforecast does nothing. rewindForecaster's scan over many small chunks lands on the first offset in the span.
// A series that stopped long ago (3 days of the year 2000 on each partition, written just before the last 2 days'
// windows, as taylor's demand beside ERCOT in the demo) is not read again: the cutoff is the topic's newest window −
// the span, not each series' own newest (which moved its partition back to the stopped series' last 2 days and
// re-read everything after, and printed window ends from the year 2000).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoReforecast } from '../../cli/demo-reforecast.js';
import { LAST_WEEK_SOURCE } from '../../model/quantile.js';
import { startForecaster } from '../../processors/forecaster/processor.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';
import { rewindForecaster } from '../../processors/forecaster/rewind.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import { storedForecast } from '../../reports/forecasts.js';
import { forecastsBesideActuals } from '../../reports/stored.js';
import { seriesRecordKey } from '../../market/series.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';
import { startForecastsSink } from '../../sinks/postgres/forecasts-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { BulkProducer, createConsumer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { readTopicToEnd } from '../../platform/kafka/read-topic.js';
import { groupCommittedOffsets } from '../../platform/kafka/topics.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, until, withAdmin } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('forecaster rewind: a newly promoted model forecasts the latest windows again', () => {
  const features = uniqueName('test.fcrw.features');
  const forecastsTopic = uniqueName('test.fcrw.forecasts');
  const referenceTopic = uniqueName('test.fcrw.reference');
  const market = `W${features.slice(-8).toUpperCase()}`;
  const group = uniqueName('test-fcrw');
  const pool = createPool(config, 2);
  let p: Provisioned;
  let registry: string;
  const windows: FeatureWindow[] = [];
  /** The stopped series' windows: HB_OLD0 on partition 0, HB_OLD1 on partition 1 (written before the last 2 days'). */
  const stale: Array<{ partition: number; window: FeatureWindow }> = [];

  before(async () => {
    p = await provision(config, 'sda-test-forecaster-rewind');
    await createTestTopic(features, 2);
    await createTestTopic(forecastsTopic, 2);
    await createTestTopic(referenceTopic, 2);
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
    const core = new PartitionWindower({ stepMs: HOUR });
    for (const t of simulateMarket({ start: Date.UTC(2024, 6, 1, 5), days: 10, seed: 13, nodes: ['HB_NORTH', 'HB_WEST'], includeSystem: true })) windows.push(...core.add({ ...t, market }, t.ingestedAt).windows);
    for (const partition of [0, 1]) {
      const old = new PartitionWindower({ stepMs: HOUR });
      for (const t of simulateMarket({ start: Date.UTC(2000, 6, 1, 5), days: 3, seed: 17, nodes: ['HB_WEST'], includeSystem: false })) {
        if (t.kind === 'RT_PRICE') stale.push(...old.add({ ...t, market, seriesId: `HB_OLD${partition}` }, t.ingestedAt).windows.map((window) => ({ partition, window })));
      }
    }
    const producer = new BulkProducer(config, 'sda-test-forecaster-rewind-input');
    // The stopped series go just before the windows of the last 2 days, where the rewind's scan reads them.
    const spanStart = Math.max(...windows.map((w) => w.windowEnd)) - 2 * DAY;
    const send = (ws: FeatureWindow[]) => producer.send(features, ws.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w) })));
    await send(windows.filter((w) => w.windowEnd < spanStart));
    await producer.send(features, stale.map((s) => ({ key: s.window.seriesId, partition: s.partition, value: p.serde.encode(p.writers.features, s.window) })));
    await send(windows.filter((w) => w.windowEnd >= spanStart));
    await producer.close();
  });

  after(async () => {
    await pool.query('DELETE FROM forecasts WHERE market = $1', [market]);
    await pool.end();
    await deleteTestTopics([features, forecastsTopic, referenceTopic]);
    await rm(registry, { recursive: true, force: true });
  });

  it('a second run with a new model issues its forecasts for the last days, once each, and the readers show them', async () => {
    const served = (w: FeatureWindow) => w.kind === 'RT_PRICE' && w.count > 0;
    const v1 = await writeRandomModel(registry, { version: `fc-rw-v1-${market}`, market, seriesIds: [], horizon: 4, units: 4, seed: 1 });
    const opts = { inputTopic: features, outputTopic: forecastsTopic, groupId: group, registryDir: registry, pollMs: 200 };
    const sink = await startForecastsSink(config, { topic: forecastsTopic, groupId: uniqueName('test-fcrw-sink') }, p);
    const rows = async (version: string) => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM forecasts WHERE market = $1 AND model_version = $2', [market, version])).rows[0]!.n);
    const waitRows = async (version: string, n: number) => {
      const deadline = Date.now() + 120_000;
      while ((await rows(version)) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await rows(version), n, `${n} rows of ${version}`);
    };
    try {
      let forecaster = await startForecaster(config, opts, p);
      await until(() => forecaster.counts.received === windows.length + stale.length, 120_000, 'v1 reading every window');
      const n1 = forecaster.counts.forecasts;
      assert.equal(n1, windows.filter(served).length + stale.filter((s) => served(s.window)).length);
      assert.ok(stale.filter((s) => served(s.window)).length > 48, 'the stopped series were served too');
      await waitRows(v1.version, n1);
      await forecaster.stop();

      const sources = Array.from({ length: 8 }, () => 'lstm');
      const v2 = await writeRandomModel(registry, { version: `fc-rw-v2-${market}`, market, seriesIds: [], horizon: 8, units: 4, seed: 3, stepSources: sources, lastWeek: { steps: [3, 6] } });
      const query = { current: v2.version, groupId: group, inputTopic: features, market, seriesId: 'HB_NORTH', kind: 'RT_PRICE', spanMs: 2 * DAY };

      // The old behaviour: the forecaster started on v2 reads nothing, so nothing v2 issued is stored.
      const again = await demoReforecast(p, pool, query);
      assert.equal(again.storedVersion, v1.version);
      const cutoff = Math.max(...windows.map((w) => w.windowEnd)) - 2 * DAY;
      const inSpan = windows.filter((w) => w.windowEnd >= cutoff);
      assert.equal(new Set(inSpan.map((w) => seriesRecordKey(w, w.stepMs))).size, new Set(windows.map((w) => seriesRecordKey(w, w.stepMs))).size, 'every 2024 series has windows in the span');
      assert.ok(again.rewound, `rewound: ${again.lines.join(' / ')}`);
      assert.equal(again.rewound.cutoff, cutoff);
      assert.equal(again.rewound.windows, inSpan.length, 'the windows of the last 2 days of the topic are read again, no more (none of the stopped series)');
      assert.deepEqual(again.rewound.partitions.map((r) => r.older), [0, 0]);
      const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
      assert.ok(again.lines.join(' ').includes(`(window ends ${minute(Math.min(...inSpan.map((w) => w.windowEnd)))} to ${minute(cutoff + 2 * DAY)} UTC)`), again.lines.join(' / '));
      assert.ok(inSpan.length < windows.length / 3);
      assert.match(again.lines.join(' '), new RegExp(`${v1.version}'s, not the current ${v2.version}'s`));

      forecaster = await startForecaster(config, opts, p);
      try {
        await until(() => forecaster.counts.received === inSpan.length, 120_000, 'v2 reading the rewound windows');
        await new Promise((r) => setTimeout(r, 1_000));
        assert.equal(forecaster.counts.received, inSpan.length, 'nothing read beyond the rewound windows');
        assert.equal(forecaster.modelVersion, v2.version);
      } finally {
        await forecaster.stop();
      }
      const expected = inSpan.filter(served);
      assert.equal(forecaster.counts.forecasts, expected.length);
      await waitRows(v2.version, expected.length);
      assert.equal(await rows(v1.version), n1, 'v1 rows stay beside');

      // Exactly once on the topic: one v2 record per served window of the span, none outside it.
      const out = (await readTopicToEnd<Forecast>(p, forecastsTopic, p.writers.forecasts)).map((r) => r.value).filter((f) => f.modelVersion === v2.version);
      const key = (s: { seriesId: string; kind: string }, t: number) => `${s.seriesId}|${s.kind}|${t}`;
      assert.deepEqual(out.map((f) => key(f, f.targetStart)).sort(), expected.map((w) => key(w, w.windowEnd)).sort());

      // Equal to what a forecaster that read the whole topic with v2 serves there (the history before the span was rebuilt).
      const reference = await startForecaster(config, { ...opts, outputTopic: referenceTopic, groupId: uniqueName('test-fcrw-ref') }, p);
      try {
        await until(() => reference.counts.received === windows.length + stale.length, 120_000, 'the reference reading every window');
      } finally {
        await reference.stop();
      }
      const ref = new Map((await readTopicToEnd<Forecast>(p, referenceTopic, p.writers.forecasts)).map((r) => [key(r.value, r.value.targetStart), r.value]));
      let lastWeek = 0;
      for (const f of out) {
        const r = ref.get(key(f, f.targetStart));
        assert.ok(r, `a reference forecast for ${key(f, f.targetStart)}`);
        assert.deepEqual(f.stepSources, r.stepSources);
        f.values.forEach((v, i) => assert.ok(Math.abs(v - r.values[i]!) <= 1e-5 * (1 + Math.abs(v)), `step ${i + 1} of ${key(f, f.targetStart)}: ${v} vs ${r.values[i]}`));
        if (f.stepSources?.[2] === LAST_WEEK_SOURCE) lastWeek++;
      }
      assert.ok(lastWeek >= out.length / 2, `forecasts served from last week: ${lastWeek} of ${out.length}`);

      assert.ok(!out.some((f) => f.seriesId.startsWith('HB_OLD')), 'no stopped series forecast again');

      // The readers: GET /forecast's pick and the demo's table show v2, one row per hour.
      assert.equal((await storedForecast(pool, market, 'HB_NORTH', 'RT_PRICE', { latest: true }))?.modelVersion, v2.version);
      const shown = await forecastsBesideActuals(pool, { market, seriesId: 'HB_NORTH', kind: 'RT_PRICE', limit: 24 });
      assert.equal(shown.length, 24);
      assert.deepEqual([...new Set(shown.map((x) => x.modelVersion))], [v2.version]);
      assert.equal(new Set(shown.map((x) => x.targetStart.getTime())).size, 24, 'one forecast per hour');
      shown.slice(1).forEach((x, i) => assert.equal(x.targetStart.getTime() - shown[i]!.targetStart.getTime(), HOUR));

      // A second demo run with v2 still current: nothing to do.
      const third = await demoReforecast(p, pool, query);
      assert.deepEqual({ rewound: third.rewound, lines: third.lines, stored: third.storedVersion }, { rewound: null, lines: [], stored: v2.version });
    } finally {
      await sink.stop();
    }
  });

  it('rewindForecaster scans back in small chunks to the first window of the span; a group with a running member is refused', async () => {
    const g = uniqueName('test-fcrw-scan');
    const all = await readTopicToEnd<FeatureWindow>(p, features, p.writers.features);
    const ends = await withAdmin((admin) => admin.fetchTopicOffsets(features));
    await withAdmin((admin) => admin.setOffsets({ groupId: g, topic: features, partitions: ends.map((e) => ({ partition: e.partition, offset: e.offset })) }));
    const r = await rewindForecaster(p, { groupId: g, inputTopic: features, spanMs: DAY, chunk: 16, guard: 8 });
    const committed = await groupCommittedOffsets(p.kafka, g, features);
    assert.equal(r.partitions.length, ends.filter((e) => e.offset !== '0').length);
    const cutoff = Math.max(...all.map((x) => x.value.windowEnd)) - DAY;
    assert.equal(r.cutoff, cutoff);
    for (const part of r.partitions) {
      const mine = all.filter((x) => x.partition === part.partition).sort((a, b) => (a.offset < b.offset ? -1 : 1));
      assert.ok(mine.some((x) => x.value.seriesId === `HB_OLD${part.partition}`), 'a stopped series on this partition');
      const first = mine.find((x) => x.value.windowEnd >= cutoff)!;
      assert.equal(part.to, first.offset, `partition ${part.partition}: the first window of the last day`);
      assert.equal(committed.get(part.partition), first.offset, 'committed there');
      assert.equal(part.windows, mine.filter((x) => x.offset >= first.offset).length);
      assert.ok(part.windows < mine.length / 4);
    }
    await assert.rejects(rewindForecaster(p, { groupId: g, inputTopic: features, spanMs: 0 }), /spanMs must be a positive number/);
    // A group with a running member keeps its position (the member would commit over the rewind).
    const member = createConsumer(p.kafka, g);
    await member.connect();
    try {
      const joined = new Promise<void>((resolve) => member.on(member.events.GROUP_JOIN, () => resolve()));
      await member.subscribe({ topic: features, fromBeginning: false });
      await member.run({ eachMessage: async () => undefined });
      await joined;
      await assert.rejects(rewindForecaster(p, { groupId: g, inputTopic: features, spanMs: DAY }), new RegExp(`group ${g.replaceAll('.', '\\.')} has running members`));
    } finally {
      await member.disconnect();
    }
  });
});
