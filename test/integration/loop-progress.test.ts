// trace: D.kafka, D.run-scoped
// The consume loop's progress lines (platform/kafka/loop-progress.ts), as `sda process ...` prints them: while a loop
// is behind, its lag; at the end of every partition it owns, "caught up (lag 0) at offsets ...", the offsets being the
// partitions' ends. On a plain topic and on a transactional one, whose last offset is a commit marker (no record a
// reader gets: a lag taken from the last record read would stay at 1 there). Against the shared broker and registry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AvroSerde, type Writer } from '../../platform/kafka/avro-serde.js';
import { type Admin, type Producer, connectFenced, createKafka, createProducer, sendRecords } from '../../platform/kafka/client.js';
import { type ConsumeLoop, startConsumeLoop } from '../../platform/kafka/consume-loop.js';
import { LoopProgress, lagLine, ownedLag, setLoopProgress, sharedConnection } from '../../platform/kafka/loop-progress.js';
import { loadSchema } from '../../schemas/catalog.js';
import type { MarketTick } from '../../schemas/types.js';
import { groupProgress, waitUntil } from './group-state.js';
import { config, createTestTopic, deleteTestTopics, TEST_HUBS, testTick, uniqueName, withAdmin } from './harness.js';

describe('consume loop progress: lag and caught up', () => {
  const kafka = createKafka(config, 'sda-test-loop-progress');
  const serde = new AvroSerde(config.registry.url);
  const topics: string[] = [];
  const loops: ConsumeLoop[] = [];
  const lines: string[] = [];
  let ticks: Writer<MarketTick>;
  let producer: Producer;

  before(async () => {
    ticks = await serde.register<MarketTick>('test.loop-progress-value', loadSchema('MarketTick'));
    producer = createProducer(kafka);
    await producer.connect();
    setLoopProgress({ everyMs: 200, write: (l) => void lines.push(l) });
  });
  after(async () => {
    setLoopProgress(undefined);
    for (const loop of loops) await loop.stop().catch(() => undefined);
    await producer?.disconnect();
    await deleteTestTopics(topics);
  });

  const records = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: TEST_HUBS[(from + i) % TEST_HUBS.length]!, value: serde.encode(ticks, testTick(from + i)) }));
  async function topic(partitions: number): Promise<string> {
    const name = uniqueName('test.loop-progress');
    topics.push(name);
    await createTestTopic(name, partitions);
    return name;
  }
  async function loop(name: string, input: string, groupId: string): Promise<void> {
    loops.push(await startConsumeLoop<MarketTick>(kafka, { name, topic: input, groupId, serde, reader: ticks, commit: { kind: 'after-handler' }, deadLetters: { kind: 'skip' }, handle: async () => undefined }));
  }
  /** The caught-up line a loop named `name` prints at the topic's ends now: "... at offsets p0 E0, p1 E1, ... of TOPIC". */
  async function caughtUpLine(name: string, input: string): Promise<string> {
    const ends = (await withAdmin((a) => a.fetchTopicOffsets(input))).sort((a, b) => a.partition - b.partition);
    return `${name}: caught up (lag 0) at offsets ${ends.map((e) => `p${e.partition} ${e.high}`).join(', ')} of ${input}`;
  }

  it('a plain topic: caught up at its ends, and again at the new ends after more records', async () => {
    const input = await topic(3);
    const groupId = uniqueName('test-loop-progress');
    await sendRecords(producer, input, records(0, 60));
    await loop('test-progress-plain', input, groupId);
    const first = await caughtUpLine('test-progress-plain', input);
    await waitUntil('the caught-up line at the ends', 60_000, async () => lines.includes(first), () => groupProgress(groupId, input).then((g) => `${g}\nlines:\n${lines.join('\n')}`));
    assert.match(first, /p0 \d+, p1 \d+, p2 \d+ of/);
    await sendRecords(producer, input, records(60, 12));
    const second = await caughtUpLine('test-progress-plain', input);
    assert.notEqual(second, first);
    await waitUntil('the caught-up line at the new ends', 60_000, async () => lines.includes(second), () => groupProgress(groupId, input).then((g) => `${g}\nlines:\n${lines.join('\n')}`));
    assert.equal(lines.filter((l) => l === first).length, 1, 'caught up at the same offsets is said once');
  });

  it('a transactional topic: caught up past the last commit marker (lag 0, not 1)', async () => {
    const input = await topic(1);
    const groupId = uniqueName('test-loop-progress');
    const tx = createProducer(kafka, { transactionalId: uniqueName('sda-test-loop-progress') });
    await connectFenced(tx);
    try {
      for (const from of [0, 5]) {
        const t = await tx.transaction();
        await t.send({ topic: input, messages: records(from, 5).map((m) => ({ ...m, partition: 0 })) });
        await t.commit();
      }
    } finally {
      await tx.disconnect();
    }
    // 10 records and 2 commit markers: offsets 0-11, the end 12.
    const expected = `test-progress-tx: caught up (lag 0) at offsets p0 12 of ${input}`;
    assert.equal(await caughtUpLine('test-progress-tx', input), expected);
    await loop('test-progress-tx', input, groupId);
    await waitUntil('the caught-up line past the marker', 60_000, async () => lines.includes(expected), () => groupProgress(groupId, input).then((g) => `${g}\nlines:\n${lines.join('\n')}`));
  });

  it('a first admin connect that fails does not silence the later checks: the next check connects again and reports', async () => {
    // The first connect goes to a port nothing listens on (refused at once, no retries), the later ones to the broker.
    const input = await topic(1);
    await sendRecords(producer, input, records(0, 5).map((m) => ({ ...m, partition: 0 })));
    const down = createKafka(config, 'sda-test-loop-progress-down', { brokers: ['127.0.0.1:1'], retries: 0, quiet: true });
    const opened: Admin[] = [];
    let connects = 0;
    const admin = sharedConnection<Admin>(async () => {
      const a = (connects++ === 0 ? down : kafka).admin();
      await a.connect();
      opened.push(a);
      return a;
    });
    const mine: string[] = [];
    const reporter = new LoopProgress('test-progress-reconnect', input, uniqueName('test-loop-progress'), admin.open, (l) => void mine.push(l));
    reporter.assigned([0]);
    try {
      assert.equal(await reporter.check(), undefined, 'the check with the refused connect is skipped');
      assert.equal(connects, 1);
      // Nothing read, nothing committed: the lag is the whole partition (5 records from the log start).
      assert.equal(await reporter.check(), `test-progress-reconnect: ${input} lag 5 records (read to p0 0/5)`);
      assert.equal(connects, 2);
      await reporter.check();
      assert.equal(connects, 2, 'the connection made is kept');
    } finally {
      for (const a of opened) await a.disconnect();
    }
    assert.deepEqual(mine, Array(2).fill(`test-progress-reconnect: ${input} lag 5 records (read to p0 0/5)`), 'a lag line from each check after the failed one');
  });

  it('ownedLag: the position read, else committed, else the log start; lagLine says the lag and where each partition is', () => {
    const ends = [{ partition: 0, low: '0', high: '100' }, { partition: 1, low: '40', high: '50' }, { partition: 2, low: '0', high: '7' }];
    const r = ownedLag([0, 1, 2], ends, new Map([[0, 90n]]), new Map([[1, undefined], [2, 7n]]));
    assert.equal(r.lag, 10n + 10n);
    assert.deepEqual(r.partitions.map((x) => [x.partition, x.position, x.end]), [[0, 90n, 100n], [1, 40n, 50n], [2, 7n, 7n]]);
    assert.equal(lagLine('windower', 't', r), 'windower: t lag 20 records (read to p0 90/100, p1 40/50, p2 7/7)');
    assert.equal(lagLine('windower', 't', ownedLag([2], ends, new Map(), new Map([[2, 7n]]))), 'windower: caught up (lag 0) at offsets p2 7 of t');
  });
});
