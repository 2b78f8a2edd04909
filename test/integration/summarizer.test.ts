// trace: D.summarizer
// The summarizer against the real services: market_data rows under a market name of this test's own → documents on
// a topic of its own, decoded through the registry; a second run over the same period gives the same ids. A GB run
// market (run.NAME.GB, on UK time) gets UK-day documents, and its old Central-day documents are withdrawn from the
// topic and, through the documents sink, from the vector store (LanceDB in a temporary directory).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { summarize } from '../../processors/summarizer/summarizer.js';
import type { MarketDocument } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { createConsumer, createProducer, sendRecords } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { TOPICS, subjectFor } from '../../platform/kafka/topics.js';
import { loadSchema } from '../../schemas/catalog.js';
import { createEmbedder } from '../../rag/embeddings.js';
import { LanceDbStore } from '../../rag/store/lancedb-store.js';
import { pointId } from '../../rag/store/store.js';
import { startDocumentsSink } from '../../sinks/vector/documents-sink.js';
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
    assert.deepEqual({ ...first, concepts: first.concepts > 0 }, { hourly: 24, daily: 1, events: 2, forecasts: 0, concepts: true, published: 24 + 1 + 2 + first.concepts, withdrawn: 0 });
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

describe('summarizer: a GB market on UK days, its Central-day documents withdrawn', () => {
  const run = uniqueName('gbsum').replace('.', '-');
  const market = `run.${run}.GB`;
  const topic = uniqueName('test.docs.gbsum');
  const group = uniqueName('test-gbsum-sink');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-gbsum-'));
  const pool = createPool(config, 2);
  // 2000-06-05 00:00 UK (BST) = 2000-06-04 23:00 UTC; Central midnights of 06-04 and 06-05 are 05:00 UTC.
  const ukDay = Date.UTC(2000, 5, 4, 23);
  const oldIds = [Date.UTC(2000, 5, 4, 5), Date.UTC(2000, 5, 5, 5)].map((t) => `daily-summary:${market}:TAYLOR_EW:LOAD:${new Date(t).toISOString()}`);
  let p: Provisioned;

  before(async () => {
    p = await provision(config, 'sda-test-summarizer-gb');
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }));
    // One UK day of half-hourly load, highest at 18:30 UK.
    const ts = Array.from({ length: 48 }, (_, i) => ukDay + i * 1_800_000);
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       SELECT $1, 'TAYLOR_EW', 'SYSTEM', 'LOAD', t, t + interval '30 minutes', v, 'MW', 'test', now() FROM unnest($2::timestamptz[], $3::float8[]) AS u(t, v)`,
      [market, ts.map((t) => new Date(t)), ts.map((_, i) => (i === 37 ? 40_000 : 30_000 + i))],
    );
  });

  after(async () => {
    await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
    await pool.end();
    await deleteTestTopics([topic]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the UK day with UK times and tombstones the Central-day ids an earlier summarizer wrote, which the documents sink deletes', async () => {
    // What the Central-day summarizer left: the day split at Central midnight into two documents.
    const writer = await p.serde.register<MarketDocument>(subjectFor(topic), loadSchema(TOPICS.documents.schema));
    const old = oldIds.map((id, i): MarketDocument => ({ id, kind: 'daily-summary', seriesId: 'TAYLOR_EW', rangeStart: Date.UTC(2000, 5, 4 + i, 5), rangeEnd: Date.UTC(2000, 5, 5 + i, 5), text: `TAYLOR_EW load (${market}) on 2000-06-0${4 + i} (Central): average 30000 MW.`, numbers: {}, createdAt: 1 }));
    const producer = createProducer(p.kafka);
    await producer.connect();
    try {
      await sendRecords(producer, topic, old.map((d) => ({ key: d.id, value: p.serde.encode(writer, d) })));
    } finally {
      await producer.disconnect();
    }

    const counts = await summarize(config, { market, from: ukDay, to: ukDay + 24 * 3_600_000, topic, hourly: false, concepts: false, now: ukDay + 25 * 3_600_000 }, p);
    assert.deepEqual(counts, { hourly: 0, daily: 1, events: 0, forecasts: 0, concepts: 0, published: 1, withdrawn: 2 });

    // The topic, last record per key wins (one partition: offset order).
    const latest = new Map<string, MarketDocument | null>();
    let read = 0;
    const consumer = createConsumer(p.kafka, uniqueName('test-gbsum-read'));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        latest.set(message.key!.toString(), message.value === null ? null : (await p.serde.decode<MarketDocument>(message.value)).value);
        read++;
      },
    });
    try {
      await until(() => read >= old.length + 3, 60_000, `${old.length + 3} records`);
    } finally {
      await consumer.disconnect();
    }
    for (const id of oldIds) assert.equal(latest.get(id), null, `${id} withdrawn`);
    const uk = latest.get(`daily-summary:${market}:TAYLOR_EW:LOAD:${new Date(ukDay).toISOString()}`);
    assert.ok(uk, 'the UK-day document');
    assert.deepEqual([uk.rangeStart, uk.rangeEnd], [ukDay, ukDay + 24 * 3_600_000]);
    assert.match(uk.text, /^TAYLOR_EW load \(run\.[^)]+\.GB\) on 2000-06-05 \(UK\): average \d+ MW, low 30000 at 00:00 UK, high 40000 at 18:30 UK, from 48 intervals in 24 hours\.$/);

    // The documents sink applies the topic to the vector store: the two old points are gone, the UK day's is there.
    const embedder = await createEmbedder(config);
    const store = await LanceDbStore.open(dir, 'docs');
    const sink = await startDocumentsSink(config, { topic, groupId: group, store, embedder }, p);
    try {
      await until(() => sink.counts.received >= read, 120_000, `the sink to receive ${read} records`);
      const stored = await store.get([...oldIds, uk.id].map(pointId));
      assert.deepEqual(stored.map((s) => s.payload.docId), [uk.id]);
      assert.match(stored[0]!.payload.text, /\(UK\)/);
    } finally {
      await sink.stop();
      await store.close();
      await embedder.close();
    }
  });
});
