// trace: 2.1, 2.4, 3.1
// Windower → market.features → features table → the training feature matrix, against the real services.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadFeatureMatrix, FEATURE_COLUMNS } from '../../model/feature-matrix.js';
import { startWindower } from '../../processors/windower/processor.js';
import { startFeaturesSink } from '../../sinks/postgres/features-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { BulkProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, withAdmin } from './harness.js';

describe('features: windower output stored in PostgreSQL and loaded as a matrix', () => {
  const input = uniqueName('test.feat.in');
  const output = uniqueName('test.feat.out');
  const changelog = uniqueName('test.feat.log');
  const market = `T${input.slice(-8).toUpperCase()}`;
  const pool = createPool(config, 2);
  let p: Provisioned;

  before(async () => {
    p = await provision(config, 'sda-test-features');
    await createTestTopic(input, 3);
    await createTestTopic(output, 3);
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic: changelog, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }));
  });

  after(async () => {
    await pool.query('DELETE FROM features WHERE market = $1', [market]);
    await pool.end();
    await deleteTestTopics([input, output, changelog]);
  });

  it('stores every window once and loads an (N, M) matrix with its column order', async () => {
    // Eight days of one hub's 15-minute real-time prices, under a market name of this test's own.
    const ticks = [...simulateMarket({ start: Date.UTC(2024, 6, 1, 5), days: 8, seed: 5, nodes: ['HB_NORTH'], includeSystem: false })]
      .filter((t) => t.kind === 'RT_PRICE')
      .map((t) => ({ ...t, market }));
    const producer = new BulkProducer(config, 'sda-test-features-input');
    await producer.send(input, ticks.map((t) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t) })));
    await producer.close();

    const windower = await startWindower(config, { inputTopic: input, outputTopic: output, changelogTopic: changelog, groupId: uniqueName('test-feat-win') }, p);
    const sink = await startFeaturesSink(config, { topic: output, groupId: uniqueName('test-feat-sink') }, p);
    try {
      const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM features WHERE market = $1', [market])).rows[0]!.n);
      // 8 days = hourly slots 0..191. The first window ends with slot 23; every hour has its four quarters, so each
      // window comes out as soon as its hour is complete (early firing), the last three before the watermark
      // (newest tick 191:45 - 2 steps) reaches them: windows for slots 23..191.
      const expected = 191 - 23 + 1;
      const deadline = Date.now() + 60_000;
      while ((await count()) < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await count(), expected);
      assert.equal(windower.counts.windows, expected, 'one row per window emitted');

      const first = await pool.query<{ values: number[]; count: number; missing: number }>('SELECT "values", count, missing FROM features WHERE market = $1 ORDER BY window_end LIMIT 1', [market]);
      assert.equal(first.rows[0]!.values.length, 24, 'the first window holds exactly 24 hourly points');
      assert.equal(first.rows[0]!.count + first.rows[0]!.missing, 24);

      const m = await loadFeatureMatrix(pool, { market, seriesId: 'HB_NORTH', from: new Date(Date.UTC(2024, 6, 1)), to: new Date(Date.UTC(2024, 6, 10)) });
      assert.deepEqual(m.shape, [expected, FEATURE_COLUMNS.length + 24]);
      assert.deepEqual(m.columns.slice(0, 3), ['mean', 'std', 'min']);
      assert.equal(m.columns[m.columns.length - 1], 'v23');
      assert.ok(m.rows.every((r) => r.length === m.shape[1]));
      assert.ok(m.windowEnds.every((t, i) => i === 0 || t > m.windowEnds[i - 1]!), 'rows in time order');
      // mean is the mean of the window's values
      const row = m.rows[10]!;
      const vals = row.slice(FEATURE_COLUMNS.length).filter((v) => !Number.isNaN(v));
      assert.ok(Math.abs(row[0]! - vals.reduce((a, b) => a + b, 0) / vals.length) < 1e-9);
    } finally {
      await sink.stop();
      await windower.stop();
    }
  });
  it('at the 15-minute step, the last 7 days of one hub load as one row per 15 minutes with 96 values each', async () => {
    const input15 = uniqueName('test.feat15.in');
    const output15 = uniqueName('test.feat15.out');
    const changelog15 = uniqueName('test.feat15.log');
    const market15 = `Q${input15.slice(-8).toUpperCase()}`;
    await createTestTopic(input15, 3);
    await createTestTopic(output15, 3);
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic: changelog15, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }));
    const start = Date.UTC(2024, 6, 1, 5);
    const ticks = [...simulateMarket({ start, days: 9, seed: 5, nodes: ['HB_NORTH'], includeSystem: false })].filter((t) => t.kind === 'RT_PRICE').map((t) => ({ ...t, market: market15 }));
    const producer = new BulkProducer(config, 'sda-test-features-15');
    await producer.send(input15, ticks.map((t) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t) })));
    await producer.close();
    const windower = await startWindower(config, { inputTopic: input15, outputTopic: output15, changelogTopic: changelog15, groupId: uniqueName('test-feat15-win'), stepMs: 900_000 }, p);
    const sink = await startFeaturesSink(config, { topic: output15, groupId: uniqueName('test-feat15-sink') }, p);
    try {
      // 864 quarter-hour slots; the first window ends with slot 95; every slot holds its one 15-minute tick, so each
      // is complete on arrival and its window comes out at once (early firing): windows for slots 95..863.
      const expected = 863 - 95 + 1;
      const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM features WHERE market = $1', [market15])).rows[0]!.n);
      const deadline = Date.now() + 60_000;
      while ((await count()) < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await count(), expected);
      // The last 7 days: window ends in (end - 7 d, end], one row per 15 minutes.
      const end = start + (863 + 1) * 900_000;
      const m = await loadFeatureMatrix(pool, { market: market15, seriesId: 'HB_NORTH', stepMs: 900_000, from: new Date(end - 7 * 86_400_000), to: new Date(end) });
      assert.deepEqual(m.shape, [7 * 96, FEATURE_COLUMNS.length + 96]);
      assert.equal(m.columns[m.columns.length - 1], 'v95');
      assert.ok(m.windowEnds.every((t, i) => i === 0 || t - m.windowEnds[i - 1]! === 900_000), 'one row every 15 minutes, in order');
    } finally {
      await sink.stop();
      await windower.stop();
      await pool.query('DELETE FROM features WHERE market = $1', [market15]);
      await deleteTestTopics([input15, output15, changelog15]);
    }
  });
});
