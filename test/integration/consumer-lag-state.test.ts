// trace: 6.2
// Fresh tester's finding (2026-12-02): the pipeline panel listed 4 of the 7 pipeline consumer groups and, with every
// processor stopped, still showed lag 0 with no sign that nothing ran. ConsumerLagReader now reports each group's
// state and member count from Kafka's DescribeGroups beside its lag: here against the real broker, one group with a
// running consumer and one that never joined.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConsumerLagReader } from '../../gateway/consumer-lag.js';
import { type Consumer, createKafka } from '../../platform/kafka/client.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, withAdmin } from './harness.js';

describe('consumer lag with group state', () => {
  const topic = uniqueName('test.lag-state');
  const running = uniqueName('test-lag-running');
  const never = uniqueName('test-lag-never');
  let consumer: Consumer | undefined;
  let reader: ConsumerLagReader | undefined;

  before(async () => {
    await createTestTopic(topic, 2);
    const producer = createKafka(config, 'sda-test-lag-producer').producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'a', value: '1', partition: 0 }, { key: 'b', value: '2', partition: 0 }, { key: 'c', value: '3', partition: 1 }] });
    await producer.disconnect();
    consumer = createKafka(config, 'sda-test-lag-consumer').consumer({ groupId: running });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // Joins the group and reads nothing (no commit): the lag stays the whole topic while a member runs.
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    const stable = async () => withAdmin(async (a) => (await a.describeGroups([running])).groups[0]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const g = await stable();
      if (g?.state === 'Stable' && g.members.length === 1) break;
      if (Date.now() > deadline) throw new Error(`${running} did not become Stable with 1 member within 60 s: ${g?.state}, ${g?.members.length} members`);
      await new Promise((r) => setTimeout(r, 250));
    }
    reader = new ConsumerLagReader(config, [{ group: running, topic }, { group: never, topic }], { cacheMs: 0, timeoutMs: 10_000 });
  });

  after(async () => {
    await consumer?.disconnect();
    await reader?.close();
    await deleteTestTopics([topic]);
  });

  it('gives a running group its members and state, and a group that never joined state Dead with 0 members', async () => {
    const groups = await reader!.read();
    const byGroup = new Map(groups.map((g) => [g.group, g]));
    const r = byGroup.get(running)!;
    const n = byGroup.get(never)!;
    assert.equal(r.state, 'Stable', JSON.stringify(r));
    assert.equal(r.members, 1);
    assert.equal(r.lag, 3, 'nothing committed: the whole topic');
    assert.equal(n.state, 'Dead', JSON.stringify(n));
    assert.equal(n.members, 0);
    assert.equal(n.lag, 3, 'lag alone does not tell the two apart');
    assert.equal(n.error, undefined);
  });

  it('after the consumer leaves, its group is Empty with 0 members', async () => {
    await consumer!.disconnect();
    consumer = undefined;
    const g = (await reader!.read()).find((x) => x.group === running)!;
    assert.equal(g.members, 0, JSON.stringify(g));
    assert.equal(g.state, 'Empty');
  });
});
