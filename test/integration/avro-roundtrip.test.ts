// trace: D.kafka, D.registry
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadSchema } from '../../schemas/catalog.js';
import type { MarketTick } from '../../schemas/types.js';
import { AvroSerde, type Writer } from '../../platform/kafka/avro-serde.js';
import { type Consumer, type KafkaMessage, type Producer, createConsumer, createKafka, createProducer, headersToStrings, sendRecords } from '../../platform/kafka/client.js';
import { decodeWire } from '../../platform/kafka/wire-format.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, until } from './harness.js';

describe('Avro MarketTick through the real broker and registry', () => {
  const topic = uniqueName('test.roundtrip');
  const kafka = createKafka(config, 'sda-test');
  const serde = new AvroSerde(config.registry.url);
  let writer: Writer<MarketTick>;
  let producer: Producer;
  let consumer: Consumer;

  before(async () => {
    await createTestTopic(topic);
    writer = await serde.register<MarketTick>(`${topic}-value`, loadSchema('MarketTick'));
    producer = createProducer(kafka);
    consumer = createConsumer(kafka, uniqueName('test-group'));
    await Promise.all([producer.connect(), consumer.connect()]);
  });

  after(async () => {
    await Promise.all([producer?.disconnect(), consumer?.disconnect()]);
    await deleteTestTopics([topic]);
  });

  it('produces in Confluent wire format; consumes and decodes with key and headers intact', async () => {
    const ticks: MarketTick[] = [
      { market: 'ERCOT', seriesId: 'HB_NORTH', pointType: 'HUB', kind: 'RT_PRICE', intervalStart: Date.UTC(2024, 7, 20, 20), intervalEnd: Date.UTC(2024, 7, 20, 20, 15), value: 4_999.99, unit: 'USD/MWh', source: 'test', ingestedAt: Date.now(), imputed: false },
      { market: 'ERCOT', seriesId: 'HB_WEST', pointType: 'HUB', kind: 'RT_PRICE', intervalStart: Date.UTC(2024, 3, 2, 8), intervalEnd: Date.UTC(2024, 3, 2, 8, 15), value: -35.12, unit: 'USD/MWh', source: 'test', ingestedAt: Date.now(), imputed: false },
      { market: 'ERCOT', seriesId: 'SYSTEM', pointType: 'SYSTEM', kind: 'LOAD', intervalStart: Date.UTC(2024, 7, 20, 21), intervalEnd: Date.UTC(2024, 7, 20, 22), value: 85_559, unit: 'MW', source: 'test', ingestedAt: Date.now(), imputed: false },
    ];
    await sendRecords(producer, topic, ticks.map((t, i) => ({ key: t.seriesId, value: serde.encode(writer, t), headers: { 'sda.trace': `trace-${i}`, 'sda.bin': Buffer.from([1, 2, 3]) } })));

    const got: KafkaMessage[] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    await until(() => got.length >= ticks.length, 30_000, 'the 3 ticks to come back');

    // The registry agrees on the schema id carried in every payload.
    const latest = (await (await fetch(`${config.registry.url}/subjects/${topic}-value/versions/latest`)).json()) as { id: number };
    for (const m of got) {
      assert.equal(m.value![0], 0, 'magic byte');
      assert.equal(decodeWire(m.value).schemaId, latest.id);
    }
    const fresh = new AvroSerde(config.registry.url); // decodes by fetching the writer schema by id
    const decoded = await Promise.all(got.map(async (m) => ({ key: m.key!.toString(), headers: headersToStrings(m.headers), value: (await fresh.decode<MarketTick>(m.value)).value })));
    decoded.sort((a, b) => a.headers['sda.trace']!.localeCompare(b.headers['sda.trace']!));
    assert.deepEqual(decoded.map((d) => d.key), ['HB_NORTH', 'HB_WEST', 'SYSTEM']);
    assert.deepEqual(decoded.map((d) => d.headers['sda.trace']), ['trace-0', 'trace-1', 'trace-2']);
    assert.deepEqual(got.map((m) => [...(m.headers!['sda.bin'] as Buffer)]), [[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    for (let i = 0; i < ticks.length; i++) assert.deepEqual({ ...decoded[i]!.value }, ticks[i]);
  });

  it('refuses to encode a value that does not match the schema, naming the field', () => {
    const bad = { market: 'ERCOT', seriesId: 'HB_NORTH', pointType: 'HUB', kind: 'RT_PRICE', intervalStart: 0, intervalEnd: 1, value: 'high', unit: 'USD/MWh', source: 't', ingestedAt: 0 };
    assert.throws(() => serde.encode(writer, bad as unknown as MarketTick), (err: Error & { code?: string }) => err.code === 'AVRO_ENCODE' && /at value/.test(err.message));
  });
});
