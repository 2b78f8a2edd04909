// trace: D.summarizer
// The summarizer against the real services: market_data rows under a market name of this test's own → documents on
// a topic of its own, decoded through the registry; a second run over the same period gives the same ids.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { summarize } from '../../processors/summarizer/summarizer.js';
import type { MarketDocument } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { createConsumer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { config, deleteTestTopics, uniqueName, until, withAdmin } from './harness.js';

const H = 3_600_000;
const DAY1 = Date.UTC(2024, 6, 1, 5);

describe('summarizer: market data → MarketDocuments on a documents topic', () => {
  const market = `T${uniqueName('sum').slice(-8).toUpperCase()}`;
  const topic = uniqueName('test.docs.sum');
  const pool = createPool(config, 2);
  let p: Provisioned;

  before(async () => {
    p = await provision(config, 'sda-test-summarizer');
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }));
    // One day of hourly HB_WEST real-time prices: negative from 02:00 to 04:00, a spike at 19:00.
    const hours = Array.from({ length: 24 }, (_, h) => ({ t: DAY1 + h * H, v: h >= 2 && h < 4 ? -15 : h === 19 ? 1500 : 30 + h }));
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       SELECT $1, 'HB_WEST', 'HUB', 'RT_PRICE', t, t + interval '1 hour', v, 'USD/MWh', 'test', now() FROM unnest($2::timestamptz[], $3::float8[]) AS u(t, v)`,
      [market, hours.map((h) => new Date(h.t)), hours.map((h) => h.v)],
    );
  });

  after(async () => {
    await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
    await pool.end();
    await deleteTestTopics([topic]);
  });

  it('publishes daily, hourly, event and concept documents keyed by their ids, the same ids on a re-run', async () => {
    const opts = { market, from: DAY1, to: DAY1 + 24 * H, topic, now: DAY1 + 25 * H };
    const first = await summarize(config, opts, p);
    assert.deepEqual({ ...first, concepts: first.concepts > 0 }, { hourly: 24, daily: 1, events: 2, forecasts: 0, concepts: true, published: 24 + 1 + 2 + first.concepts });
    await summarize(config, opts, p);

    const received: Array<{ key: string; doc: MarketDocument }> = [];
    const consumer = createConsumer(p.kafka, uniqueName('test-sum-read'));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: message.key!.toString(), doc: (await p.serde.decode<MarketDocument>(message.value!)).value });
      },
    });
    try {
      await until(() => received.length >= 2 * first.published, 60_000, `${2 * first.published} documents`);
    } finally {
      await consumer.disconnect();
    }
    for (const r of received) assert.equal(r.key, r.doc.id);
    const ids = received.map((r) => r.key);
    assert.equal(new Set(ids).size, first.published, 'the second run wrote the same ids');
    const byId = new Map(received.map((r) => [r.key, r.doc]));
    const daily = byId.get(`daily-summary:${market}:HB_WEST:RT_PRICE:${new Date(DAY1).toISOString()}`);
    assert.ok(daily);
    assert.match(daily.text, /average 98\.00 \$\/MWh, low -15\.00 at 02:00 CT, high 1500\.00 at 19:00 CT, from 24 intervals in 24 hours\. 2 intervals were negative\./);
    assert.deepEqual(daily.numbers, { mean: 98, min: -15, max: 1500, intervals: 24, negativeIntervals: 2 });
    assert.ok(byId.has(`event:${market}:HB_WEST:RT_PRICE:negative:${new Date(DAY1).toISOString()}`));
    assert.ok(byId.has(`event:${market}:HB_WEST:RT_PRICE:spike:${new Date(DAY1 + 19 * H).toISOString()}`));
    assert.ok([...byId.values()].some((d) => d.kind === 'concept' && /\$5,000 per MWh/.test(d.text)));
  });
});
