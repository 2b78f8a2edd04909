// trace: D.kafka, D.dead-letters, D.exactly-once
// The consume loop on @platformatic/kafka 2.x (platform/kafka/platformatic-consumer.ts) against the real broker and
// registry: both commit policies, a batch that fails once and is delivered again, poison records, offsets committed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AvroSerde, type Writer } from '../../platform/kafka/avro-serde.js';
import { type Kafka, type Producer, createConsumer, createKafka, createProducer, partitionProducers, sendRecords } from '../../platform/kafka/client.js';
import type { ConsumeLoop } from '../../platform/kafka/consume-loop.js';
import type { DeadLetterInput } from '../../platform/kafka/dead-letter.js';
import { startPlatformaticConsumeLoop } from '../../platform/kafka/platformatic-consumer.js';
import { loadSchema } from '../../schemas/catalog.js';
import type { MarketTick } from '../../schemas/types.js';
import { committedVsEnd } from './group-state.js';
import { config, createTestTopic, deleteTestTopics, TEST_HUBS, testTick, uniqueName, until } from './harness.js';

const N = 3_000;
const SERIES = TEST_HUBS;
const tick = testTick;

describe('the consume loop on @platformatic/kafka', () => {
  const kafka: Kafka = createKafka(config, 'sda-test-platformatic-loop');
  const serde = new AvroSerde(config.registry.url);
  const topics: string[] = [];
  let ticks: Writer<MarketTick>;
  let producer: Producer;
  const loops: ConsumeLoop[] = [];

  /** A fresh 3-partition topic with N valid ticks and 3 poison records (keys spread over the partitions). */
  async function fill(): Promise<string> {
    const topic = uniqueName('test.platformatic-loop');
    topics.push(topic);
    await createTestTopic(topic, 3);
    ticks ??= await serde.register<MarketTick>(`test.platformatic-loop-value`, loadSchema('MarketTick'));
    const records = Array.from({ length: N }, (_, i) => ({ key: SERIES[i % SERIES.length]!, value: serde.encode(ticks, tick(i)) }));
    records.splice(10, 0, { key: 'HB_NORTH', value: Buffer.from('not avro') });
    records.splice(1_500, 0, { key: 'HB_WEST', value: serde.encode(ticks, tick(0)).subarray(0, 9) });
    records.splice(2_900, 0, { key: 'LZ_SOUTH', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, 1]) });
    for (let i = 0; i < records.length; i += 1_000) await sendRecords(producer, topic, records.slice(i, i + 1_000));
    return topic;
  }

  before(async () => {
    producer = createProducer(kafka);
    await producer.connect();
  });

  after(async () => {
    for (const loop of loops) await loop.stop().catch(() => undefined);
    await producer?.disconnect();
    await deleteTestTopics(topics);
  });

  it('after-handler: every valid record handled (also those produced while it waits), poison dead-lettered, a failed batch delivered again, counts reconcile, offsets committed to the end', async () => {
    const topic = await fill();
    const groupId = uniqueName('test-platformatic-after');
    const seen = new Map<string, number>();
    const letters: DeadLetterInput[] = [];
    let failOnce = true;
    const loop = await startPlatformaticConsumeLoop<MarketTick>(config, {
      name: 'test-platformatic-after',
      topic,
      groupId,
      serde,
      reader: ticks,
      commit: { kind: 'after-handler' },
      deadLetters: { kind: 'skip', onSkipped: (l) => void letters.push(...l) },
      partitionsConsumedConcurrently: 3,
      maxRecordsPerBatch: 400,
      handle: async (batch) => {
        if (failOnce && batch.records.length > 0) {
          failOnce = false;
          throw new Error('the first batch fails once');
        }
        for (const r of batch.records) seen.set(`${r.value.seriesId}/${r.value.value}`, (seen.get(`${r.value.seriesId}/${r.value.value}`) ?? 0) + 1);
      },
    });
    loops.push(loop);
    await until(() => loop.counts.received >= N + 3, 120_000, `all ${N + 3} records (counts ${JSON.stringify(loop.counts)})`);
    // Records produced once the loop has drained the stream and waits: it must wake up and fetch again.
    const LIVE = 300;
    for (let i = N; i < N + LIVE; i += 100)
      await sendRecords(producer, topic, Array.from({ length: 100 }, (_, j) => ({ key: SERIES[(i + j) % SERIES.length]!, value: serde.encode(ticks, tick(i + j)) })));
    await until(() => loop.counts.received >= N + 3 + LIVE, 60_000, `the ${LIVE} records produced later (counts ${JSON.stringify(loop.counts)})`);
    assert.equal(failOnce, false, 'the failing batch ran');
    assert.equal(seen.size, N + LIVE, 'every valid tick reached the handler');
    assert.ok([...seen.values()].every((n) => n === 1), 'the failed batch was not counted as handled; nothing else twice');
    const c = loop.counts;
    assert.deepEqual({ received: c.received, accepted: c.accepted, rejected: c.rejected, skipped: c.skipped }, { received: N + 3 + LIVE, accepted: N + LIVE, rejected: 3, skipped: 0 });
    assert.deepEqual(letters.map((l) => l.reasonCode).sort(), ['avro-decode', 'unknown-schema', 'wire-format']);
    const offsets = await committedVsEnd(groupId, topic);
    assert.deepEqual(offsets.committed, offsets.end, 'the group committed every partition to its end');
    await loop.stop();
  });

  it('transactional: outputs, and offsets through sendOffsets, exactly once for a read_committed reader, although a batch failed after sending', async () => {
    const topic = await fill();
    const out = uniqueName('test.platformatic-loop-out');
    topics.push(out);
    await createTestTopic(out, 3);
    const groupId = uniqueName('test-platformatic-tx');
    const { producers, producerFor } = partitionProducers(kafka, uniqueName('test-platformatic-tx'));
    let failOnce = true;
    const loop = await startPlatformaticConsumeLoop<MarketTick>(config, {
      name: 'test-platformatic-tx',
      topic,
      groupId,
      serde,
      reader: ticks,
      commit: { kind: 'transactional', producerFor },
      deadLetters: { kind: 'skip' },
      maxRecordsPerBatch: 500,
      handle: async (batch, ctx) => {
        await ctx.send(out, batch.records.map((r) => ({ key: r.key, value: Buffer.from(String(r.value.value)) })));
        if (failOnce && batch.records.length > 0) {
          failOnce = false;
          throw new Error('fails after sending: the transaction aborts');
        }
      },
    });
    loops.push(loop);
    await until(() => loop.counts.received >= N + 3, 120_000, `all ${N + 3} records (counts ${JSON.stringify(loop.counts)})`);
    await loop.stop();
    for (const p of producers.values()) await (await p).disconnect();

    const reader = createConsumer(kafka, uniqueName('test-platformatic-tx-reader'), { readUncommitted: false });
    await reader.connect();
    await reader.subscribe({ topic: out, fromBeginning: true });
    const values: number[] = [];
    await reader.run({ eachMessage: async ({ message }) => void values.push(Number(message.value!.toString())) });
    await until(() => values.length >= N, 60_000, `${N} committed outputs (have ${values.length})`);
    await new Promise((r) => setTimeout(r, 2_000)); // anything beyond N (an aborted batch leaking) would arrive by now
    await reader.disconnect();
    assert.equal(failOnce, false, 'the failing batch ran');
    assert.equal(values.length, N, 'each valid input exactly once in the committed output');
    assert.equal(new Set(values).size, N);
    const offsets = await committedVsEnd(groupId, topic);
    assert.deepEqual(offsets.committed, offsets.end, 'sendOffsets committed every partition to its end');
  });
});
