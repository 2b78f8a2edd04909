// trace: D.windower, D.exactly-once
// The windower's kept partition state after a lost-and-regained assignment, against the real broker: a member that
// misses its heartbeats (SIGSTOP) is removed from the group, another member takes the partition, processes and
// commits, leaves; the first member resumes (SIGCONT), rejoins and gets the partition back with its old in-memory
// state. That state is stale (it ends where the other member started): the member must restore the partition from
// the changelog, so its outputs equal those of one run that never stopped. With the state kept, the windows after the
// gap miss the other member's records and differ.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createTopicsAndWait } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { readTopicToEnd } from '../../platform/kafka/read-topic.js';
import type { MarketTick } from '../../schemas/types.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { TickPublisher } from '../../streams/tick-publisher.js';
import { waitUntil } from './group-state.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, withAdmin } from './harness.js';
import { SdaChildren, stop } from './sda-children.js';

const children = new SdaChildren('windower');
const { waits } = children;
const explain = (group: string, topic: string) => children.explain(group, topic);
const waitCaughtUp = (group: string, topic: string, timeoutMs: number) => children.waitCaughtUp(group, topic, timeoutMs);

/** `sda process windower` as a child process at a log level (warn: its warnings, the restore of a kept partition among them). */
function windower(name: string, args: { input: string; output: string; changelog: string; group: string }, level = 'warn'): ChildProcess {
  return children.spawn(name, args.group, ['process', 'windower', '--input', args.input, '--output', args.output, '--changelog', args.changelog, '--group', args.group], level);
}

/** Three simulated days under a market name of the test's own, a day per phase. */
function days(market: string): MarketTick[][] {
  const ticks = [...simulateMarket({ start: Date.UTC(2024, 7, 1, 5), days: 3, seed: 23, nodes: ['HB_NORTH', 'HB_WEST'] })].map((t) => ({ ...t, market }));
  const start = Math.min(...ticks.map((t) => t.intervalStart));
  const parts: MarketTick[][] = [[], [], []];
  for (const t of ticks) parts[Math.floor((t.intervalStart - start) / 86_400_000)]!.push(t);
  assert.ok(parts.every((x) => x.length > 0), 'every day has ticks');
  return parts;
}

describe('windower: a partition lost and regained', () => {
  let p: Provisioned;
  const topics: string[] = [];
  const publishers: TickPublisher[] = [];

  before(async () => {
    p = await provision(config, 'sda-test-windower-regained');
  });

  after(async () => {
    await children.stopAll();
    for (const pub of publishers) await pub.close().catch(() => undefined);
    await deleteTestTopics(topics);
  });

  /**
   * Member A processes day 1 alone, then stops answering (SIGSTOP): after its session timeout (10 s) the coordinator
   * removes it, its process keeps its in-memory state. Member B gets the partition (its producer fences A's), is
   * given day 2 (`bProcesses`) or nothing, and leaves. Day 3 is published, A resumes (SIGCONT), rejoins and gets the
   * partition back. Returns the windows of that run and of a reference run over the same days that never stopped.
   */
  async function lostAndRegained(bProcesses: boolean): Promise<{ got: string[]; expected: string[]; aTail: string; aLog: string; offsets: string[] }> {
    const input = uniqueName('test.winre.in');
    const outRef = uniqueName('test.winre.out-ref');
    const outX = uniqueName('test.winre.out-x');
    const logRef = uniqueName('test.winre.log-ref');
    const logX = uniqueName('test.winre.log-x');
    topics.push(input, outRef, outX, logRef, logX);
    // One input partition: the member that gets it back holds it alone before and after the gap.
    await createTestTopic(input, 1);
    for (const t of [outRef, outX]) await createTestTopic(t, 1);
    await withAdmin((admin) => createTopicsAndWait(admin, [logRef, logX].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }))));
    const parts = days(`R${input.slice(-8).toUpperCase()}`);
    const publisher = new TickPublisher(config, p, 'test-windower-regained', { topic: input, batch: 60 });
    publishers.push(publisher);
    const publish = async (ticks: MarketTick[]) => {
      await publisher.add(ticks.map((tick) => ({ ok: true as const, tick })));
      await publisher.flush();
    };
    const group = uniqueName('test-winre-x');
    const members = async () => withAdmin(async (admin) => (await admin.describeGroups([group])).groups[0]?.members ?? []);
    const committed = async () => (await withAdmin((admin) => admin.fetchOffsets({ groupId: group, topics: [input] })))[0]!.partitions[0]!.offset;
    const offsets: string[] = [];

    await publish(parts[0]!);
    const a = windower('A', { input, output: outX, changelog: logX, group });
    await waitCaughtUp(group, input, 90_000);
    offsets.push(await committed());

    a.kill('SIGSTOP');
    await waitUntil('the stopped member A to be removed from the group', waits.take(60_000), async () => (await members()).length === 0, () => explain(group, input), 500);

    if (bProcesses) await publish(parts[1]!);
    const b = windower('B', { input, output: outX, changelog: logX, group }, 'info');
    // B has the partition once its state is restored and its producer initialised (which fences A's).
    await waitUntil('member B to set up the partition', waits.take(90_000), async () => children.of(b).log.includes('partition state ready'), () => explain(group, input), 200);
    if (bProcesses) await waitCaughtUp(group, input, 90_000);
    await stop(b);
    offsets.push(await committed());

    if (!bProcesses) await publish(parts[1]!);
    await publish(parts[2]!);
    a.kill('SIGCONT');
    await waitCaughtUp(group, input, 120_000);
    offsets.push(await committed());
    const { tail: aTail, log: aLog } = children.of(a);
    await stop(a);

    const refGroup = uniqueName('test-winre-ref');
    const ref = windower('ref', { input, output: outRef, changelog: logRef, group: refGroup });
    try {
      await waitCaughtUp(refGroup, input, 120_000);
    } finally {
      await stop(ref);
    }
    const read = async (topic: string) => (await readTopicToEnd(p, topic, p.writers.features, { idleMs: 2_000, groupPrefix: 'test-winre-read' })).map((r) => `${r.key}=${JSON.stringify(r.value)}`);
    return { expected: await read(outRef), got: await read(outX), aTail, aLog, offsets };
  }

  const sameWindows = (r: { got: string[]; expected: string[]; aTail: string }) => {
    assert.ok(r.expected.length > 50, `the reference run emitted windows (${r.expected.length})`);
    const first = r.expected.findIndex((e, i) => r.got[i] !== e);
    assert.deepEqual(r.got, r.expected, `the regained run's windows equal the uninterrupted run's (${r.got.length} vs ${r.expected.length}; first difference at ${first}: got ${r.got[first]?.slice(0, 300)} expected ${r.expected[first]?.slice(0, 300)}); A's stderr: ${r.aTail.slice(-1_500)}`);
  };

  it('a member that regains a partition another member moved on restores it and writes what an uninterrupted run writes', async () => {
    const r = await lostAndRegained(true);
    assert.ok(BigInt(r.offsets[1]!) > BigInt(r.offsets[0]!), `B committed day 2 (offsets ${r.offsets.join(' -> ')})`);
    assert.match(r.aLog, /kept partition moved on by another member/, 'A kept the partition across the gap and found its state behind the group');
    sameWindows(r);
  });

  it('a member that regains a partition another member only set up (its producer fenced, nothing committed) writes what an uninterrupted run writes', async () => {
    const r = await lostAndRegained(false);
    assert.equal(r.offsets[1], r.offsets[0], `B committed nothing (offsets ${r.offsets.join(' -> ')})`);
    assert.doesNotMatch(r.aLog, /kept partition moved on by another member/, 'A kept its state, still the latest (no restore)');
    // A's kept producer was fenced by B's; A fences it in turn with a new producer before checking the offsets, so no
    // transaction runs on the fenced one (before that, the first one failed and the producer was replaced).
    assert.doesNotMatch(r.aLog, /transactional producer replaced after a failed transaction/, 'A used a new producer for the kept partition');
    sameWindows(r);
  });
});
