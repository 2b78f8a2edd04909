// trace: 6.2
// Fresh tester's finding (2026-12-02): the pipeline panel listed 4 of the 7 pipeline consumer groups and, with every
// processor stopped, still showed lag 0 with no sign that nothing ran. ConsumerLagReader now reports each group's
// state and member count from Kafka's DescribeGroups beside its lag: here against the real broker, one group with a
// running consumer and one that never joined. Reviewer (2026-12-02): an optional group (the mean-basis dispatcher)
// that never joined lagged by the whole topic in /metrics and Grafana; it is now left out of the lag while it is Dead
// with no committed offset, and counted once it has committed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConsumerLagReader } from '../../gateway/consumer-lag.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
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

  it('leaves an optional group that never joined out of the lag and /metrics, and counts one that has committed', async () => {
    const optional = uniqueName('test-lag-optional');
    const committed = uniqueName('test-lag-optional-ran');
    // The optional group that ran once: its offsets outlive its members (here committed with no member: state Empty).
    await withAdmin((a) => a.setOffsets({ groupId: committed, topic, partitions: [{ partition: 0, offset: '1' }] }));
    const cmd = 'sda process dispatcher --price-basis mean';
    const r = new ConsumerLagReader(config, [{ group: optional, topic, optional: cmd }, { group: committed, topic, optional: cmd }, { group: never, topic }], { cacheMs: 0, timeoutMs: 10_000 });
    try {
      const byGroup = new Map((await r.read()).map((g) => [g.group, g]));
      const o = byGroup.get(optional)!;
      assert.deepEqual({ lag: o.lag, partitions: o.partitions, state: o.state, members: o.members, notRunning: o.notRunning, error: o.error }, { lag: null, partitions: [], state: 'Dead', members: 0, notRunning: cmd, error: undefined });
      const c = byGroup.get(committed)!;
      assert.equal(c.notRunning, undefined, JSON.stringify(c));
      assert.equal(c.lag, 2, 'partition 0 from offset 1 (1 record) + partition 1 uncommitted (1 record)');
      assert.equal(byGroup.get(never)!.lag, 3, 'a group not marked optional is counted as before');
      // /metrics: no lag series for the optional group not running; its read answered and it has 0 members.
      const text = await new GatewayMetrics(r, '/nonexistent-registry').registry.metrics();
      const lines = (name: string, group: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes(`group="${group}"`));
      assert.deepEqual(lines('sda_consumer_lag', optional), []);
      assert.deepEqual(lines('sda_consumer_lag_up', optional), [`sda_consumer_lag_up{group="${optional}"} 1`]);
      assert.deepEqual(lines('sda_consumer_group_members', optional), [`sda_consumer_group_members{group="${optional}"} 0`]);
      assert.equal(lines('sda_consumer_lag', committed).length, 2, 'one series per partition once it has committed');
      assert.equal(lines('sda_consumer_lag', never).length, 2);
    } finally {
      await r.close();
    }
  });

  it('after the consumer leaves, its group is Empty with 0 members', async () => {
    await consumer!.disconnect();
    consumer = undefined;
    const g = (await reader!.read()).find((x) => x.group === running)!;
    assert.equal(g.members, 0, JSON.stringify(g));
    assert.equal(g.state, 'Empty');
  });
});
