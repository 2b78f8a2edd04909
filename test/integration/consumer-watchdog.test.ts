// trace: D.kafka, D.exactly-once
// The consumer watchdog (platform/kafka/client.ts createConsumer) against the real broker: the broker process is frozen
// (SIGSTOP, as a long GC pause or a stalled host would) so the consumer's fetch hangs and it shows no sign of life;
// past its stall timeout the watchdog reports a 'stall' fault (counted in sda_consumer_errors_total) and starts the
// consumer again, which rejoins and reads on from the committed offsets: every record is seen, none twice.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pidFile, stackPaths } from '../../deploy/local/service.js';
import { readPid } from '../../platform/installers/process.js';
import { consumerErrorCount } from '../../platform/metrics.js';
import { type ConsumerFault, consumerFaults, createConsumer, createKafka, createProducer } from '../../platform/kafka/client.js';
import { groupCaughtUp } from '../../platform/kafka/topics.js';
import { groupProgress, waitUntil } from './group-state.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, withAdmin } from './harness.js';

describe('consumer watchdog', () => {
  const topic = uniqueName('test.watchdog');
  const kafkaPid = () => {
    const pid = readPid(pidFile(stackPaths(config), 'kafka'));
    assert.ok(pid, 'the stack\'s Kafka broker runs with a pid file (sda stack up)');
    return pid;
  };
  let frozen: number | undefined;

  after(async () => {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    await deleteTestTopics([topic]);
  });

  it('restarts a consumer silent past its stall timeout (broker frozen), which then reads on without loss or repeats', async () => {
    await createTestTopic(topic, 3);
    const kafka = createKafka(config, 'sda-test-watchdog');
    const producer = createProducer(kafka);
    await producer.connect();
    const send = (from: number, n: number) => producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 7}`, value: String(from + i) })) });
    const group = uniqueName('test-watchdog');
    const stalls: ConsumerFault[] = [];
    const onFault = (f: ConsumerFault) => void (f.group === group && f.kind === 'stall' && stalls.push(f));
    consumerFaults.on('fault', onFault);
    const seen: number[] = [];
    const consumer = createConsumer(kafka, group, { stallMs: 4_000, maxWaitTimeInMs: 500 });
    const explain = () => groupProgress(group, topic);
    try {
      await send(0, 200);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(Number(message.value!.toString())) });
      await waitUntil('the first 200 records', 60_000, async () => seen.length >= 200, explain);
      // Auto-commit commits each batch's offsets once it is handled, so a restart resumes after them.
      await waitUntil('the first 200 offsets committed', 30_000, () => withAdmin((a) => groupCaughtUp(a, group, topic)), explain);

      frozen = kafkaPid();
      process.kill(frozen, 'SIGSTOP');
      try {
        await waitUntil('the watchdog to report the silent consumer', 30_000, async () => stalls.length > 0);
      } finally {
        process.kill(frozen, 'SIGCONT');
        frozen = undefined;
      }
      assert.equal(stalls[0]!.reason, 'no-progress');
      assert.equal(stalls[0]!.restart, true);
      assert.ok(consumerErrorCount(group) >= 1, 'the stall is counted for the group');

      await send(200, 200);
      await waitUntil('all 400 records after the restart', 90_000, async () => new Set(seen).size >= 400, explain);
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual([...new Set(seen)].sort((a, b) => a - b), Array.from({ length: 400 }, (_, i) => i), 'every record seen');
      assert.equal(seen.length, 400, 'no record seen twice (the offsets were committed before the freeze)');
    } finally {
      consumerFaults.off('fault', onFault);
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    }
  });
});
