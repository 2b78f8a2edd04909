// trace: D.kafka
// The history readers (platform/kafka/read-topic.ts readTopicToEnd for the windower's changelog and the dispatcher,
// read-partition.ts readPartitionRange for the forecaster's rebuild) step over a poison record and a record without a
// value, and keep the valid records on both sides of them, in offset order (one decodeOrPoison for both); a range
// read over the caller's admin client opens no admin connection of its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { readPartitionRange } from '../../platform/kafka/read-partition.js';
import { readTopicToEnd } from '../../platform/kafka/read-topic.js';
import { config, createTestTopic, deleteTestTopics, testTick, uniqueName } from './harness.js';

describe('history readers and poison records', { timeout: 120_000 }, () => {
  const topic = uniqueName('test-read-poison');
  let p: Provisioned;

  before(async () => {
    p = await provision(config, 'sda-test-read-poison');
    await createTestTopic(topic, 1);
    const producer = createProducer(p.kafka);
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: [
          { key: 'a', value: p.serde.encode(p.writers.ticks, testTick(0)) },
          { key: 'b', value: Buffer.from('not the wire format') },
          { key: 'c', value: p.serde.encode(p.writers.ticks, testTick(1)) },
          { key: 'd', value: null },
          { key: 'e', value: p.serde.encode(p.writers.ticks, testTick(2)) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
  });

  after(async () => {
    await deleteTestTopics([topic]);
  });

  it('readTopicToEnd keeps the three valid ticks and skips the poison and the value-less record', async () => {
    const records = await readTopicToEnd(p, topic, p.writers.ticks, { idleMs: 1_000 });
    assert.deepEqual(records.map((r) => [r.offset, r.key]), [[0n, 'a'], [2n, 'c'], [4n, 'e']]);
    assert.deepEqual(records.map((r) => r.value.intervalStart), [0, 1, 2].map((i) => testTick(i).intervalStart));
  });

  it('readPartitionRange returns the valid ticks of the range and counts the two it skipped', async () => {
    const range = await readPartitionRange(p, topic, 0, 0n, 5n, p.writers.ticks);
    assert.deepEqual(range.records.map((r) => [r.offset, r.key]), [[0n, 'a'], [2n, 'c'], [4n, 'e']]);
    assert.equal(range.skipped, 2);
  });

  it("readPartitionRange over the caller's admin reads the same range, opens no admin of its own and leaves the caller's connected", async () => {
    // p.kafka with admin() counted: the forecaster's rebuild passes one admin to all its range reads.
    let opened = 0;
    const kafka: Provisioned['kafka'] = Object.create(p.kafka, {
      admin: {
        value: (...args: Parameters<Provisioned['kafka']['admin']>) => {
          opened++;
          return p.kafka.admin(...args);
        },
      },
    });
    const counted = { ...p, kafka };
    const admin = p.kafka.admin();
    let disconnects = 0;
    admin.on(admin.events.DISCONNECT, () => void disconnects++);
    await admin.connect();
    try {
      const first = await readPartitionRange(counted, topic, 0, 1n, 5n, p.writers.ticks, { admin });
      const second = await readPartitionRange(counted, topic, 0, 3n, 5n, p.writers.ticks, { admin });
      assert.deepEqual(first.records.map((r) => [r.offset, r.key]), [[2n, 'c'], [4n, 'e']]);
      assert.deepEqual(second.records.map((r) => [r.offset, r.key]), [[4n, 'e']]);
      assert.equal(opened, 0, 'no admin of its own');
      assert.equal(disconnects, 0, "the caller's admin is left connected");
      // Without one it opens (and closes) its own, through the same counted client.
      await readPartitionRange(counted, topic, 0, 0n, 5n, p.writers.ticks);
      assert.equal(opened, 1);
    } finally {
      await admin.disconnect();
    }
  });
});
