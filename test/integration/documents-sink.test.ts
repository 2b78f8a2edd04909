// trace: 4.1, D.vector-store
// market.documents → embeddings → vector store (LanceDB in a temporary directory), against the real Kafka and registry.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OnnxEmbedder, createEmbedder } from '../../rag/embeddings.js';
import { loadSchema } from '../../schemas/catalog.js';
import type { MarketDocument } from '../../schemas/types.js';
import { startDocumentsSink } from '../../sinks/vector/documents-sink.js';
import { LanceDbStore } from '../../rag/store/lancedb-store.js';
import { pointId } from '../../rag/store/store.js';
import type { Writer } from '../../platform/kafka/avro-serde.js';
import { createProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { TOPICS, groupCaughtUp, subjectFor } from '../../platform/kafka/topics.js';
import { config, deleteTestTopics, uniqueName, until, withAdmin } from './harness.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 7, 1, 5);

const doc = (id: string, text: string, extra: Partial<MarketDocument> = {}): MarketDocument => ({
  id, kind: 'daily-summary', seriesId: 'HB_NORTH', rangeStart: T0, rangeEnd: T0 + 24 * H, text, numbers: {}, createdAt: T0 + 25 * H, ...extra,
});

describe('documents sink: market.documents into the vector store', () => {
  const topic = uniqueName('test.docs');
  const group = uniqueName('test-docs-sink');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-docs-sink-'));
  let p: Provisioned;
  let writer: Writer<MarketDocument>;
  let embedder: OnnxEmbedder;
  let store: LanceDbStore;

  before(async () => {
    p = await provision(config, 'sda-test-docs');
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }));
    writer = await p.serde.register<MarketDocument>(subjectFor(topic), loadSchema(TOPICS.documents.schema));
    embedder = await createEmbedder(config);
    store = await LanceDbStore.open(dir, 'docs');
  });

  after(async () => {
    await store?.close();
    await embedder?.close();
    await deleteTestTopics([topic]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('embeds and upserts each document once, deletes on a tombstone, dead-letters poison, commits after the write', async () => {
    const records = [
      doc('d:north:1', 'HB_NORTH daily summary: real-time price averaged 31.40 $/MWh.'),
      doc('d:west:1', 'HB_WEST fell to -12.00 $/MWh overnight on strong wind.', { kind: 'event', seriesId: 'HB_WEST', rangeStart: T0 + 2 * H, rangeEnd: T0 + 3 * H }),
      doc('c:cap', 'The ERCOT system-wide offer cap is $5,000/MWh.', { kind: 'concept', seriesId: null, rangeStart: null, rangeEnd: null }),
      doc('d:north:1', 'HB_NORTH daily summary (revised): real-time price averaged 31.45 $/MWh.'),
      doc('d:gone', 'A document withdrawn later.'),
      doc('d:empty', '   '),
    ];
    const producer = createProducer(p.kafka);
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        ...records.map((r) => ({ key: r.id, value: p.serde.encode(writer, r) })),
        { key: 'd:poison', value: Buffer.from('not avro at all') },
        { key: 'd:gone', value: null },
      ],
    });
    await producer.disconnect();
    const total = records.length + 2;

    const sink = await startDocumentsSink(config, { topic, groupId: group, store, embedder }, p);
    try {
      await until(() => sink.counts.received >= total, 120_000, `the sink to receive ${total} records`);
      const isCaughtUp = async () => withAdmin((admin) => groupCaughtUp(admin, group, topic));
      const deadline = Date.now() + 30_000;
      while (!(await isCaughtUp()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.ok(await isCaughtUp(), 'offsets committed to the end of every partition');
    } finally {
      await sink.stop();
    }

    assert.equal(sink.counts.received, total);
    assert.equal(sink.counts.deadLettered, 2, 'the undecodable record and the empty text');
    assert.equal(await store.count(), 3, 'north (once), west, the concept; the withdrawn document is gone');
    const got = await store.get(['d:north:1', 'd:west:1', 'c:cap', 'd:gone', 'd:empty'].map(pointId));
    const byDoc = new Map(got.map((g) => [g.payload.docId, g]));
    assert.deepEqual([...byDoc.keys()].sort(), ['c:cap', 'd:north:1', 'd:west:1']);
    assert.match(byDoc.get('d:north:1')!.payload.text, /revised/);
    assert.deepEqual(byDoc.get('d:west:1')!.payload, { docId: 'd:west:1', kind: 'event', series: 'HB_WEST', timeStart: T0 + 2 * H, timeEnd: T0 + 3 * H, text: records[1]!.text });
    assert.equal(byDoc.get('c:cap')!.payload.series, null);

    const [q] = await embedder.embed(['What is the maximum offer price in ERCOT?']);
    const [top] = await store.search(q!, 1);
    assert.equal(top!.payload.docId, 'c:cap');
  });
});
