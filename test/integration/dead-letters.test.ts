// trace: 1.4, D.dead-letters
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadSchema } from '../../schemas/catalog.js';
import type { DeadLetter, MarketTick } from '../../schemas/types.js';
import { AvroSerde, type Writer } from '../../platform/kafka/avro-serde.js';
import { type Producer, createConsumer, createKafka, createProducer, sendRecords } from '../../platform/kafka/client.js';
import { DeadLetterPublisher } from '../../platform/kafka/dead-letter.js';
import { type DecodedRecord, runDecodingConsumer } from '../../platform/kafka/consume-loop.js';
import { TOPICS, subjectFor } from '../../platform/kafka/topics.js';
import { encodeWire } from '../../platform/kafka/wire-format.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, until } from './harness.js';

describe('poison records go to the dead-letter topic and the consumer keeps going', () => {
  const topic = uniqueName('test.poison');
  const kafka = createKafka(config, 'sda-test');
  const serde = new AvroSerde(config.registry.url);
  let ticks: Writer<MarketTick>;
  let letters: Writer<DeadLetter>;
  let producer: Producer;

  before(async () => {
    await createTestTopic(topic, 1); // one partition: a fixed order to assert on
    ticks = await serde.register<MarketTick>(`${topic}-value`, loadSchema('MarketTick'));
    letters = await serde.register<DeadLetter>(subjectFor(TOPICS.deadLetters.name), loadSchema('DeadLetter'));
    producer = createProducer(kafka);
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await deleteTestTopics([topic]);
  });

  it('dead-letters bad wire format, an unknown schema id and an undecodable body with reason and raw bytes; valid records all arrive', async () => {
    const tick = (value: number): MarketTick => ({ market: 'ERCOT', seriesId: 'HB_NORTH', pointType: 'HUB', kind: 'RT_PRICE', intervalStart: 1_700_000_000_000 + value * 900_000, intervalEnd: 1_700_000_900_000 + value * 900_000, value, unit: 'USD/MWh', source: 'test', ingestedAt: 0 });
    const notWire = Buffer.from('{"price": 12}');
    const unknownId = encodeWire(2_000_000_000, ticks.type.toBuffer(tick(0)));
    const truncated = serde.encode(ticks, tick(0)).subarray(0, 12);
    await sendRecords(producer, topic, [
      { key: 'HB_NORTH', value: serde.encode(ticks, tick(1)) },
      { key: 'HB_NORTH', value: notWire },
      { key: 'HB_NORTH', value: unknownId },
      { key: 'HB_NORTH', value: truncated },
      { key: 'HB_NORTH', value: serde.encode(ticks, tick(2)) },
    ]);

    const consumer = createConsumer(kafka, uniqueName('test-poison-group'));
    await consumer.connect();
    const accepted: DecodedRecord<MarketTick>[] = [];
    const { counts } = await runDecodingConsumer<MarketTick>({
      consumer, serde, topic, reader: ticks,
      deadLetters: new DeadLetterPublisher(serde, letters, producer, 'test-poison'),
      handle: async (records) => void accepted.push(...records),
    });
    await until(() => counts.received >= 5, 30_000, 'all 5 records to be processed');
    await consumer.disconnect();

    assert.deepEqual(accepted.map((r) => r.value.value), [1, 2], 'both valid records arrive, in order, once');
    assert.deepEqual(counts, { received: 5, accepted: 2, deadLettered: 3 });

    const dlq = createConsumer(kafka, uniqueName('test-dlq-reader'));
    await dlq.connect();
    await dlq.subscribe({ topic: TOPICS.deadLetters.name, fromBeginning: true });
    const mine: DeadLetter[] = [];
    await dlq.run({
      eachMessage: async ({ message }) => {
        // Other writers share market.dlq; only this test's letters matter, and nothing there may stall the reader.
        const decoded = await serde.decode<DeadLetter>(message.value, letters).catch(() => undefined);
        if (decoded?.value.topic === topic) mine.push(decoded.value);
      },
    });
    await until(() => mine.length >= 3, 30_000, 'three dead letters for the test topic');
    await dlq.disconnect();

    mine.sort((a, b) => a.offset - b.offset);
    assert.deepEqual(mine.map((l) => [l.offset, l.reasonCode]), [[1, 'wire-format'], [2, 'unknown-schema'], [3, 'avro-decode']]);
    assert.deepEqual(mine[0]!.raw, notWire);
    assert.deepEqual(mine[1]!.raw, unknownId);
    assert.deepEqual(mine[2]!.raw, truncated);
    assert.match(mine[1]!.message, /schema id 2000000000 is not known/);
    assert.ok(mine.every((l) => l.processor === 'test-poison' && l.key?.toString() === 'HB_NORTH' && l.partition === 0));
  });
});
