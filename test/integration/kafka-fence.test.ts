// trace: D.kafka, D.exactly-once
// Transactional producers fence on connect (platform/kafka/client.ts connectFenced, used by createProducer with a
// transactionalId): against the real broker, two producers with one transactional id. Once the second one has
// connected, the first one's open transaction can no longer commit (without the fence kafkajs 2.2.4 ran the
// transactional InitProducerId only on the first transaction(), and the first one's commit went through). A fenced
// renewing producer is replaced on its next transaction after a failed send (it used to keep its old epoch and fail
// every transaction from then on) and that transaction commits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Kafka, type Producer, createConsumer, createKafka, createProducer } from '../../platform/kafka/client.js';
import { config, createTestTopic, deleteTestTopics, uniqueName } from './harness.js';

/** Every value on `topic` as text, read_committed from the beginning, once `expected` have arrived and a further 2 s passed (at most 30 s). */
async function readCommitted(kafka: Kafka, topic: string, expected: number): Promise<string[]> {
  const reader = createConsumer(kafka, uniqueName('test-fence-reader'), { readUncommitted: false });
  await reader.connect();
  const values: string[] = [];
  try {
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    const deadline = Date.now() + 30_000;
    while (values.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 2_000));
    return values;
  } finally {
    await reader.disconnect();
  }
}

describe('transactional producers fence on connect', { timeout: 240_000 }, () => {
  const kafka = createKafka(config, 'sda-test-fence');
  const topics: string[] = [];
  const open: Producer[] = [];
  const producer = (transactionalId: string): Producer => {
    const p = createProducer(kafka, { transactionalId });
    open.push(p);
    return p;
  };

  before(async () => {
    topics.push(uniqueName('test-fence'), uniqueName('test-fence-renew'));
    for (const t of topics) await createTestTopic(t, 1);
  });
  after(async () => {
    for (const p of open) await p.disconnect().catch(() => undefined);
    await deleteTestTopics(topics);
  });

  it("a second producer's connect fences the first: its open transaction cannot commit and stays invisible", async () => {
    const topic = topics[0]!;
    const id = uniqueName('test-fence-tx');
    const a = producer(id);
    await a.connect();
    const txA = await a.transaction();
    await txA.send({ topic, messages: [{ key: 'k', value: 'from A' }] });
    const b = producer(id);
    await b.connect();
    await assert.rejects(txA.commit(), (err: Error) => /epoch|fenced/i.test(err.message), "A's commit after B's connect must fail with a fencing error");
    const txB = await b.transaction();
    await txB.send({ topic, messages: [{ key: 'k', value: 'from B' }] });
    await txB.commit();
    assert.deepEqual(await readCommitted(kafka, topic, 1), ['from B']);
  });

  it("a fenced producer's next transaction runs on a fresh producer (a new epoch) and commits", async () => {
    const topic = topics[1]!;
    const id = uniqueName('test-fence-renew-tx');
    const a = producer(id);
    await a.connect();
    const first = await a.transaction();
    await first.send({ topic, messages: [{ key: 'k', value: 'A 1' }] });
    await first.commit();
    const b = producer(id);
    await b.connect();
    // A's epoch is old: its send fails at AddPartitionsToTxn, and kafkajs aborts locally (no EndTxn).
    const second = await a.transaction();
    await assert.rejects(second.send({ topic, messages: [{ key: 'k', value: 'A 2 (fenced)' }] }), (err: Error) => /epoch|fenced/i.test(err.message));
    await second.abort().catch(() => undefined);
    // The next transaction replaces A's producer: its InitProducerId fences B in turn, and A commits.
    const third = await a.transaction();
    await third.send({ topic, messages: [{ key: 'k', value: 'A 3' }] });
    await third.commit();
    assert.deepEqual(await readCommitted(kafka, topic, 2), ['A 1', 'A 3']);
  });
});
