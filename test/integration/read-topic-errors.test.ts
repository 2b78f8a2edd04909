// trace: D.kafka, D.dispatcher
// A history read that meets a record it cannot process rejects at once with the error, naming the topic, partition
// and offset, and closes its consumer (platform/kafka/read-topic.ts): before, the error took kafkajs's way for a
// failed batch (retries, a consumer restart) while the read's idle timer ended it with what it had, so a dispatcher
// restoring its schedules or a backtest reading a run's forecasts silently got a partial topic (reviewer's finding,
// 2026-12-02). Real broker and registry; the failing registry is a serde pointed at a closed port.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AvroSerde } from '../../platform/kafka/avro-serde.js';
import { createProducer } from '../../platform/kafka/client.js';
import { KafkaError } from '../../platform/kafka/errors.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { readPartitionsToEnd, readTopicToEnd } from '../../platform/kafka/read-topic.js';
import { readTopic } from '../../processors/dispatcher/backtest-sources.js';
import { restoreSchedules } from '../../processors/dispatcher/processor.js';
import { config, createTestTopic, deleteTestTopics, testTick, uniqueName, withAdmin } from './harness.js';

/** The members of the consumer groups whose id starts with `prefix` (the throw-away groups of reads started with it). */
async function membersOf(prefix: string): Promise<{ groups: number; members: number }> {
  return withAdmin(async (admin) => {
    const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (ids.length === 0) return { groups: 0, members: 0 };
    const described = await admin.describeGroups(ids);
    return { groups: ids.length, members: described.groups.reduce((n, g) => n + g.members.length, 0) };
  });
}

describe('history reads that meet an error', { timeout: 300_000 }, () => {
  const topic = uniqueName('test-read-errors');
  let p: Provisioned;
  /** The same clients with a schema registry that does not answer (nothing listens on port 9 here). */
  let noRegistry: Provisioned;

  before(async () => {
    p = await provision(config, 'sda-test-read-errors');
    noRegistry = { ...p, serde: new AvroSerde('http://127.0.0.1:9') };
    await createTestTopic(topic, 1);
    const producer = createProducer(p.kafka);
    await producer.connect();
    try {
      await producer.send({ topic, messages: [0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: p.serde.encode(p.writers.ticks, testTick(i)) })) });
    } finally {
      await producer.disconnect();
    }
  });

  after(async () => {
    await deleteTestTopics([topic]);
  });

  it("an error from the caller's batch callback rejects the read with it, at the first record not processed, and closes the consumer", async () => {
    const groupPrefix = uniqueName('test-read-errors-cb');
    const boom = new Error('cannot apply this record');
    const handed: bigint[] = [];
    const read = readPartitionsToEnd(
      p.kafka,
      new Map([[topic, new Map([[0, 5n]])]]),
      ({ messages, processed }) => {
        for (const m of messages) {
          if (m.offset === '2') throw boom;
          handed.push(BigInt(m.offset));
          processed(BigInt(m.offset));
        }
      },
      { groupPrefix, idleMs: 5_000, firstIdleMs: 30_000 },
    );
    await assert.rejects(read, (e: unknown) => {
      assert.ok(e instanceof KafkaError, `a KafkaError, got ${String(e)}`);
      assert.equal(e.code, 'TOPIC_READ_FAILED');
      assert.equal(e.message, `reading ${topic} partition 0 stopped at offset 2: cannot apply this record`);
      assert.equal(e.cause, boom);
      assert.equal(e.retriable, false);
      return true;
    });
    // Offsets 0 and 1 once each: the failed batch was not retried, and nothing after the error was handed over.
    assert.deepEqual(handed, [0n, 1n]);
    assert.deepEqual(await membersOf(groupPrefix), { groups: 1, members: 0 }, 'the read left its throw-away group');
  });

  it('readTopicToEnd with the schema registry unreachable rejects naming the first record, never returns a partial topic', async () => {
    await assert.rejects(readTopicToEnd(noRegistry, topic, p.writers.ticks, { idleMs: 5_000, firstIdleFactor: 6 }), (e: unknown) => {
      assert.ok(e instanceof KafkaError, `a KafkaError, got ${String(e)}`);
      assert.equal(e.code, 'TOPIC_READ_FAILED');
      assert.match(e.message, new RegExp(`^reading ${topic} partition 0 stopped at offset 0: could not fetch schema \\d+ from http://127\\.0\\.0\\.1:9`));
      assert.ok(e.cause instanceof KafkaError && e.cause.code === 'REGISTRY_UNAVAILABLE', 'the registry error is the cause');
      assert.equal(e.retriable, true, "retriable as the registry's error is");
      return true;
    });
    // The same topic with the registry up: all five records (the failure above was the registry, not the data).
    assert.deepEqual((await readTopicToEnd(p, topic, p.writers.ticks, { idleMs: 2_000 })).map((r) => r.offset), [0n, 1n, 2n, 3n, 4n]);
  });

  it('the dispatcher refuses to start on a restore that failed, saying why and what to do', async () => {
    await assert.rejects(restoreSchedules(noRegistry, topic, p.writers.dispatch, 'forecast', 5_000), (e: unknown) => {
      assert.ok(e instanceof KafkaError, `a KafkaError, got ${String(e)}`);
      assert.equal(e.code, 'STATE_RESTORE_FAILED');
      assert.match(e.message, new RegExp(`^dispatcher: cannot restore each asset's latest schedule from ${topic}, so it does not start .*reading ${topic} partition 0 stopped at offset 0: could not fetch schema`));
      assert.match(e.message, /start the dispatcher again$/);
      assert.ok(e.cause instanceof KafkaError && e.cause.code === 'TOPIC_READ_FAILED');
      return true;
    });
  });

  it("a backtest's topic read fails with the error instead of settling on part of the topic", async () => {
    await assert.rejects(readTopic(noRegistry, topic, p.writers.ticks, 5_000), (e: unknown) => {
      assert.ok(e instanceof KafkaError && e.code === 'TOPIC_READ_FAILED', `TOPIC_READ_FAILED, got ${String(e)}`);
      assert.match(e.message, new RegExp(`^reading ${topic} partition 0 stopped at offset 0: `));
      return true;
    });
  });
});
