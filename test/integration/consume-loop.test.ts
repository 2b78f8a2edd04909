// trace: D.kafka, D.dead-letters, D.exactly-once, D.layout
// The one consume loop (platform/kafka/consume-loop.ts, kafkajs binding) against the real broker and registry: its
// policy, which every consumer inherits. After-handler: offsets are committed only once the handler resolved, a
// failed batch is delivered again (and reported as a consumer fault), poison goes to the dead-letter topic with its
// reason and raw bytes, counts reconcile. Transactional: the handler's sends, the dead letters and the offsets
// commit together, so an aborted batch leaves nothing a read_committed reader sees.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AvroSerde, type Writer } from '../../platform/kafka/avro-serde.js';
import { type ConsumerFault, type Kafka, type Producer, consumerFaults, createConsumer, createKafka, createProducer, partitionProducers, sendRecords } from '../../platform/kafka/client.js';
import { type ConsumeLoop, startConsumeLoop } from '../../platform/kafka/consume-loop.js';
import { CONTEXT_HEADER } from '../../platform/kafka/context-series.js';
import { TOPICS, subjectFor } from '../../platform/kafka/topics.js';
import { loadSchema } from '../../schemas/catalog.js';
import type { DeadLetter, MarketTick } from '../../schemas/types.js';
import { committedVsEnd, groupProgress, waitUntil } from './group-state.js';
import { config, createTestTopic, deleteTestTopics, TEST_HUBS, testTick, uniqueName, until } from './harness.js';

const N = 1_200;
const SERIES = TEST_HUBS;
const tick = testTick;

/** Every value on `topic`, read_committed from the beginning, once `expected` have arrived and a further 2 s passed. */
async function readCommitted(kafka: Kafka, topic: string, expected: number): Promise<Buffer[]> {
  const reader = createConsumer(kafka, uniqueName('test-loop-reader'), { readUncommitted: false });
  await reader.connect();
  const values: Buffer[] = [];
  try {
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void values.push(message.value!) });
    await until(() => values.length >= expected, 60_000, `${expected} committed records on ${topic} (have ${values.length})`);
    await new Promise((r) => setTimeout(r, 2_000)); // anything beyond `expected` (an aborted batch leaking) arrives by now
  } finally {
    await reader.disconnect();
  }
  return values;
}

describe('the consume loop (kafkajs)', () => {
  const kafka = createKafka(config, 'sda-test-consume-loop');
  const serde = new AvroSerde(config.registry.url);
  const topics: string[] = [];
  const loops: ConsumeLoop[] = [];
  let ticks: Writer<MarketTick>;
  let letters: Writer<DeadLetter>;
  let producer: Producer;
  const poison = [Buffer.from('not avro'), Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, 1])];

  async function topic(partitions: number): Promise<string> {
    const name = uniqueName('test.consume-loop');
    topics.push(name);
    await createTestTopic(name, partitions);
    return name;
  }

  /** N valid ticks, the poison payloads and `copies` context copies (valid ticks marked as copies) on `name`. */
  async function fill(name: string, copies = 0): Promise<void> {
    const records: Array<{ key: string; value: Buffer; headers?: Record<string, string> }> = Array.from({ length: N }, (_, i) => ({ key: SERIES[i % SERIES.length]!, value: serde.encode(ticks, tick(i)) }));
    records.splice(10, 0, { key: 'HB_NORTH', value: poison[0]! });
    records.splice(700, 0, { key: 'LZ_SOUTH', value: poison[1]! });
    for (let c = 0; c < copies; c++) records.push({ key: SERIES[c % SERIES.length]!, value: serde.encode(ticks, tick(N + c)), headers: { [CONTEXT_HEADER]: '1' } });
    await sendRecords(producer, name, records);
  }

  before(async () => {
    ticks = await serde.register<MarketTick>('test.consume-loop-value', loadSchema('MarketTick'));
    letters = await serde.register<DeadLetter>(subjectFor(TOPICS.deadLetters.name), loadSchema('DeadLetter'));
    producer = createProducer(kafka);
    await producer.connect();
  });

  after(async () => {
    for (const loop of loops) await loop.stop().catch(() => undefined);
    await producer?.disconnect();
    await deleteTestTopics(topics);
  });

  it('after-handler: commits only once the handler resolved', async () => {
    const input = await topic(1);
    await sendRecords(producer, input, Array.from({ length: 10 }, (_, i) => ({ key: 'HB_NORTH', value: serde.encode(ticks, tick(i)) })));
    const groupId = uniqueName('test-loop-gate');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const loop = await startConsumeLoop<MarketTick>(kafka, {
      name: 'test-loop-gate', topic: input, groupId, serde, reader: ticks,
      commit: { kind: 'after-handler' },
      deadLetters: { kind: 'skip' },
      handle: async () => {
        started++;
        await gate;
      },
    });
    loops.push(loop);
    try {
      await until(() => started > 0, 60_000, 'the handler to start');
      // The handler holds the batch: a loop that committed before (or beside) it would show an offset here by now.
      await new Promise((r) => setTimeout(r, 2_000));
      assert.deepEqual((await committedVsEnd(groupId, input)).committed, [-1], 'nothing committed while the handler runs');
      assert.equal(loop.counts.batches, 0);
    } finally {
      release(); // a consumer stops only after its running handler
    }
    await waitUntil('the offsets committed after the handler', 60_000, async () => {
      const o = await committedVsEnd(groupId, input);
      return o.committed[0] === o.end[0];
    }, () => groupProgress(groupId, input));
    assert.deepEqual({ received: loop.counts.received, accepted: loop.counts.accepted, batches: loop.counts.batches }, { received: 10, accepted: 10, batches: 1 });
    await loop.stop();
  });

  it('after-handler: a failed batch is delivered again and reported; poison dead-lettered with reason and raw bytes; context copies skipped; counts reconcile', async () => {
    const input = await topic(3);
    const dlq = await topic(1);
    await fill(input, 6);
    const groupId = uniqueName('test-loop-after');
    const faults: ConsumerFault[] = [];
    const onFault = (f: ConsumerFault) => void (f.group === groupId && faults.push(f));
    consumerFaults.on('fault', onFault);
    const handled = new Map<number, number>();
    const failed: number[] = [];
    let failOnce = true;
    try {
      const loop = await startConsumeLoop<MarketTick>(kafka, {
        name: 'test-loop-after', topic: input, groupId, serde, reader: ticks,
        commit: { kind: 'after-handler' },
        deadLetters: { kind: 'publish', writer: letters, topic: dlq },
        skipContextCopies: true,
        partitionsConsumedConcurrently: 3,
        maxRecordsPerBatch: 150,
        handle: async (batch) => {
          if (failOnce && batch.records.length > 0) {
            failOnce = false;
            failed.push(...batch.records.map((r) => r.value.value));
            throw new Error('the first batch fails once');
          }
          for (const r of batch.records) handled.set(r.value.value, (handled.get(r.value.value) ?? 0) + 1);
        },
      });
      loops.push(loop);
      await waitUntil(`all ${N + 8} records`, 120_000, async () => loop.counts.received >= N + 8, async () => `${JSON.stringify(loop.counts)}; ${await groupProgress(groupId, input)}`);
      assert.ok(failed.length > 0, 'the failing batch ran');
      assert.ok(failed.every((v) => handled.get(v) === 1), 'the failed batch was delivered again and handled once');
      assert.equal(handled.size, N, 'every valid tick reached the handler, and no context copy did');
      assert.ok([...handled.values()].every((n) => n === 1), 'nothing handled twice');
      const c = loop.counts;
      assert.deepEqual({ received: c.received, accepted: c.accepted, rejected: c.rejected, skipped: c.skipped, deadLettered: c.deadLettered }, { received: N + 8, accepted: N, rejected: 2, skipped: 6, deadLettered: 2 });
      assert.equal(c.received, c.accepted + c.rejected + c.skipped, 'received = accepted + rejected + skipped');
      assert.ok(faults.some((f) => f.kind === 'batch' && /fails once/.test(f.message)), 'the failed batch was reported as a consumer fault (sda_consumer_errors_total)');
      await waitUntil('the offsets committed to the end', 60_000, async () => {
        const o = await committedVsEnd(groupId, input);
        return o.committed.every((x, i) => x === o.end[i]);
      }, () => groupProgress(groupId, input));
      await loop.stop();
    } finally {
      consumerFaults.off('fault', onFault);
    }
    const dead = await Promise.all((await readCommitted(kafka, dlq, 2)).map(async (v) => (await serde.decode<DeadLetter>(v, letters)).value));
    assert.equal(dead.length, 2, 'each poison record dead-lettered once');
    dead.sort((a, b) => a.reasonCode.localeCompare(b.reasonCode));
    assert.deepEqual(dead.map((d) => [d.reasonCode, d.topic, d.processor]), [['unknown-schema', input, 'test-loop-after'], ['wire-format', input, 'test-loop-after']]);
    assert.deepEqual(dead.map((d) => d.raw), [poison[1], poison[0]], 'the raw payloads as received');
  });

  it('transactional: sends, dead letters and offsets commit together; an aborted batch leaves nothing for read_committed readers', async () => {
    const input = await topic(3);
    const out = await topic(3);
    const dlq = await topic(1);
    await fill(input);
    const groupId = uniqueName('test-loop-tx');
    const { producers, producerFor } = partitionProducers(kafka, uniqueName('test-loop-tx'));
    let failOnce = true;
    let aborted = 0;
    let committed = 0;
    const loop = await startConsumeLoop<MarketTick>(kafka, {
      name: 'test-loop-tx', topic: input, groupId, serde, reader: ticks,
      commit: { kind: 'transactional', producerFor },
      deadLetters: { kind: 'publish', writer: letters, topic: dlq },
      maxRecordsPerBatch: 400,
      handle: async (batch, ctx) => {
        ctx.onAbort(() => void aborted++);
        ctx.onCommit(() => void (committed += batch.records.length));
        await ctx.send(out, batch.records.map((r) => ({ key: r.key, value: Buffer.from(String(r.value.value)) })));
        // A record the handler itself cannot use: dead-lettered inside the same transaction.
        for (const r of batch.records) if (r.value.value === 5) ctx.deadLetter({ topic: r.topic, partition: r.partition, offset: r.offset, key: r.key, raw: r.raw, reasonCode: 'test-rejected', message: 'value 5' });
        if (failOnce && batch.rejected.length > 0) {
          failOnce = false;
          throw new Error('fails after sending: the transaction aborts');
        }
      },
    });
    loops.push(loop);
    await waitUntil(`all ${N + 2} records`, 120_000, async () => loop.counts.received >= N + 2, async () => `${JSON.stringify(loop.counts)}; ${await groupProgress(groupId, input)}`);
    await loop.stop();
    for (const p of producers.values()) await (await p).disconnect();
    assert.equal(failOnce, false, 'the failing batch ran');
    assert.equal(aborted, 1, 'onAbort ran for the failed batch only');
    assert.equal(committed, N, 'onCommit ran once per committed batch');
    const values = (await readCommitted(kafka, out, N)).map((v) => Number(v.toString()));
    assert.equal(values.length, N, 'each valid input exactly once in the committed output');
    assert.equal(new Set(values).size, N);
    const dead = await Promise.all((await readCommitted(kafka, dlq, 3)).map(async (v) => (await serde.decode<DeadLetter>(v, letters)).value));
    assert.deepEqual(dead.map((d) => d.reasonCode).sort(), ['test-rejected', 'unknown-schema', 'wire-format'], 'dead letters exactly once: the aborted batch\'s are not visible');
    const offsets = await committedVsEnd(groupId, input);
    assert.deepEqual(offsets.committed, offsets.end, 'sendOffsets committed every partition to its end');
  });
});
