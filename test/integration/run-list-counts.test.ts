// trace: D.run-scoped
// `sda run list` counts a run topic's data records, not its offsets: a transactional producer's commit markers (one
// per partition a transaction wrote) and an aborted transaction's records and marker take offsets but are no records a
// reader gets. Against the shared broker, on a run of its own: N committed records in several transactions, one
// aborted transaction, and a plain (non-transactional) topic beside it. Only the transactional and compacted topics
// are read; run.NAME.ticks (written without transactions) is counted by its offsets, and each count says which.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { type Admin, type Producer, connectFenced, createKafka, createProducer } from '../../platform/kafka/client.js';
import { countDataRecords } from '../../platform/kafka/count-records.js';
import { topicSet } from '../../platform/kafka/topics.js';
import { COUNTED_BY_LEGEND, type RunInfo, incompleteNote } from '../../cli/run.js';
import { config, createTestTopic, deleteTestTopics, sda, withAdmin } from './harness.js';

describe('sda run list record counts', () => {
  const run = `count-${randomUUID().slice(0, 8)}`;
  const set = topicSet(run);
  const txTopic = set.features.name;
  const plainTopic = set.ticks.name;
  const kafka = createKafka(config, `sda-test-${run}`, { quiet: true });
  type Message = Parameters<Producer['send']>[0]['messages'][number];
  type Transaction = Awaited<ReturnType<Producer['transaction']>>;

  /** Sends `messages` to each of `topics` in turn with one plain (non-transactional) producer of its own. */
  async function sendPlain(topics: string[], messages: Message[]): Promise<void> {
    const plain = createProducer(kafka);
    await plain.connect();
    try {
      for (const topic of topics) await plain.send({ topic, messages });
    } finally {
      await plain.disconnect();
    }
  }

  /**
   * A run topic of one partition (topicSet(`${prefix}-<8 hex>`).forecasts) holding 2 committed records (offsets 0-1,
   * commit marker 2), then 3 records (offsets 3-5, values `${word} 0..2`) in a transaction left open. The caller
   * commits or aborts `open`, disconnects `tx` and deletes the topic; when the set-up fails it does so itself.
   */
  async function withOpenTransaction(prefix: string, word: string): Promise<{ run: string; topic: string; tx: Producer; open: Transaction }> {
    const openRun = `${prefix}-${randomUUID().slice(0, 8)}`;
    const topic = topicSet(openRun).forecasts.name;
    await createTestTopic(topic, 1);
    const tx = createProducer(kafka, { transactionalId: `sda-test-${openRun}` });
    try {
      await connectFenced(tx);
      const first = await tx.transaction();
      await first.send({ topic, messages: [0, 1].map((i) => ({ key: `c${i}`, value: Buffer.from(`committed ${i}`), partition: 0 })) });
      await first.commit();
      const open = await tx.transaction();
      try {
        await open.send({ topic, messages: [0, 1, 2].map((i) => ({ key: `o${i}`, value: Buffer.from(`${word} ${i}`), partition: 0 })) });
      } catch (e) {
        await open.abort();
        throw e;
      }
      return { run: openRun, topic, tx, open };
    } catch (e) {
      await tx.disconnect();
      await deleteTestTopics([topic]);
      throw e;
    }
  }

  /** The real admin client with `fetchTopicOffsets` replaced by `fetch(topic, real)`; every other member is the client's own, bound to it. */
  function withFetchTopicOffsets(admin: Admin, fetch: (topic: string, real: Admin['fetchTopicOffsets']) => ReturnType<Admin['fetchTopicOffsets']>): Admin {
    return new Proxy(admin, {
      get(target, prop) {
        if (prop === 'fetchTopicOffsets') return (topic: string) => fetch(topic, (t) => target.fetchTopicOffsets(t));
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Admin;
  }

  after(async () => {
    await deleteTestTopics([txTopic, plainTopic]);
  });

  it('counts committed data records: markers and aborted records left out', async () => {
    await createTestTopic(txTopic, 3);
    await createTestTopic(plainTopic, 2);
    const tx = createProducer(kafka, { transactionalId: `sda-test-${run}` });
    await connectFenced(tx);
    const committed = 25;
    try {
      // 25 records in 5 transactions over 3 partitions: 5 x 3 commit markers, 15 offsets the old count added.
      for (let t = 0; t < 5; t++) {
        const trx = await tx.transaction();
        await trx.send({ topic: txTopic, messages: Array.from({ length: 5 }, (_, i) => ({ key: `HB_${t}_${i}`, value: Buffer.from(`v${t * 5 + i}`), partition: i % 3 })) });
        await trx.commit();
      }
      const aborted = await tx.transaction();
      await aborted.send({ topic: txTopic, messages: Array.from({ length: 4 }, (_, i) => ({ key: `X${i}`, value: Buffer.from('aborted'), partition: i % 3 })) });
      await aborted.abort();
    } finally {
      await tx.disconnect();
    }
    await sendPlain([plainTopic], Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`p${i}`), partition: i % 2 })));
    const offsets = await withAdmin(async (a) => (await a.fetchTopicOffsets(txTopic)).reduce((n, o) => n + Number(o.high) - Number(o.low), 0));
    assert.ok(offsets > committed, `the transactional topic's offsets (${offsets}) exceed its records: markers take offsets`);

    const json = await sda(['run', 'list', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const info = (JSON.parse(json.stdout) as RunInfo[]).find((r) => r.name === run);
    assert.ok(info, `run ${run} listed`);
    assert.deepEqual(
      info.topics.map((t) => [t.topic, t.records, t.partitions, t.complete, t.countedBy]),
      [
        [txTopic, committed, 3, true, 'read'],
        [plainTopic, 7, 2, true, 'offsets'],
      ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
    );

    const text = await sda(['run', 'list']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`topic ${txTopic.replace(/\./g, '\\.')}\\s+${committed} records \\(read\\), 3 partitions\\n`));
    assert.match(text.stdout, new RegExp(`topic ${plainTopic.replace(/\./g, '\\.')}\\s+7 records \\(offsets\\), 2 partitions \\(incl\\. SYSTEM series context copies: [^\\n]*--verbose counts them\\)\\n`));
    assert.ok(text.stdout.startsWith(`${COUNTED_BY_LEGEND}\n`), 'the legend of (read) and (offsets) first');
  });

  it('run.NAME.ticks is counted by its offsets, not read: records written there in a transaction count their marker too', async () => {
    // The ticks topic is written without transactions (topics.ts recordsAreOffsets), so `sda run list` takes its end −
    // start offsets and does not read it. Shown with 4 records written there in one transaction: 5 offsets (the commit
    // marker) where a read finds 4. (A count that read it, as before, says 4.)
    const offRun = `offs-${randomUUID().slice(0, 8)}`;
    const topic = topicSet(offRun).ticks.name;
    await createTestTopic(topic, 1);
    const tx = createProducer(kafka, { transactionalId: `sda-test-${offRun}` });
    try {
      await connectFenced(tx);
      const trx = await tx.transaction();
      await trx.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: Buffer.from(`${i}`), partition: 0 })) });
      await trx.commit();
      const json = await sda(['run', 'list', '--json']);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual((JSON.parse(json.stdout) as RunInfo[]).find((r) => r.name === offRun)?.topics, [{ topic, partitions: 1, records: 5, complete: true, countedBy: 'offsets' }]);
      // The same topic counted by reading (no byOffsets): its 4 records.
      const read = await withAdmin((admin) => countDataRecords(config, kafka, admin, [topic], { idleMs: 1_000 }));
      assert.deepEqual(read, [{ topic, partitions: 1, records: 4, complete: true, countedBy: 'read' }]);
    } finally {
      await tx.disconnect();
      await deleteTestTopics([topic]);
    }
  });

  it('a transaction still open: the committed records counted, the count not complete', async () => {
    // 2 committed records, then 3 in a transaction left open while `sda run list` counts: kafkajs lists offsets
    // read_committed (its end is the last stable offset, 3 here), so only the high watermark (6) shows the open one.
    const { run: openRun, topic: openTopic, tx, open } = await withOpenTransaction('open', 'open');
    try {
      try {
        const json = await sda(['run', 'list', '--json']);
        assert.equal(json.code, 0, json.stderr);
        const info = (JSON.parse(json.stdout) as RunInfo[]).find((r) => r.name === openRun);
        assert.ok(info, `run ${openRun} listed`);
        assert.deepEqual(info.topics, [{ topic: openTopic, partitions: 1, records: 2, complete: false, incomplete: 'transaction-open', countedBy: 'read' }]);
        const text = await sda(['run', 'list']);
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, new RegExp(`topic ${openTopic.replace(/\./g, '\\.')}\\s+2 records \\(read\\), 1 partitions \\(committed records only: a transaction is open\\)\\n`));
      } finally {
        await open.abort();
      }
      // Aborted: nothing open any more, the same 2 records, complete.
      const after = await sda(['run', 'list', '--json']);
      assert.equal(after.code, 0, after.stderr);
      assert.deepEqual((JSON.parse(after.stdout) as RunInfo[]).find((r) => r.name === openRun)?.topics, [{ topic: openTopic, partitions: 1, records: 2, complete: true, countedBy: 'read' }]);
    } finally {
      await tx.disconnect();
      await deleteTestTopics([openTopic]);
    }
  });

  it('a transaction committed between the offset listings: its records counted (the read ends where complete is judged)', async () => {
    // 2 committed records (offsets 0-1, marker 2), then 3 in a transaction (3-5) open when kafkajs lists the offsets
    // (its `high`, read_committed, is 3) and committed (marker 6) before the high watermarks are listed. The read's end
    // taken from that first listing stopped at 3 while the second said nothing was open: 2 records, complete.
    const { topic: lateTopic, tx, open } = await withOpenTransaction('late', 'late');
    try {
      let listedHigh: string | undefined;
      await withAdmin(async (admin) => {
        const committing = withFetchTopicOffsets(admin, async (topic, real) => {
          const offsets = await real(topic);
          if (topic === lateTopic && listedHigh === undefined) {
            listedHigh = offsets[0]?.high;
            await open.commit();
          }
          return offsets;
        });
        const counts = await countDataRecords(config, kafka, committing, [lateTopic], { idleMs: 1_000 });
        assert.equal(listedHigh, '3', 'the transaction was open at the first listing');
        assert.deepEqual(counts, [{ topic: lateTopic, partitions: 1, records: 5, complete: true, countedBy: 'read' }]);
      });
    } finally {
      await tx.disconnect();
      await deleteTestTopics([lateTopic]);
    }
  });

  it('a read cut short at its idle limit: not complete, said as such, not as an open transaction', async () => {
    // idleMs 1 (3 ms before the first batch): the throw-away group has not even joined when the read gives up.
    const cutRun = `cut-${randomUUID().slice(0, 8)}`;
    const cutTopic = topicSet(cutRun).ticks.name;
    await createTestTopic(cutTopic, 1);
    await sendPlain([cutTopic], [0, 1, 2].map((i) => ({ key: `k${i}`, value: Buffer.from(`${i}`) })));
    try {
      const counts = await withAdmin((admin) => countDataRecords(config, kafka, admin, [cutTopic], { idleMs: 1 }));
      assert.equal(counts.length, 1);
      assert.equal(counts[0]!.complete, false);
      assert.equal(counts[0]!.incomplete, 'read-cut-short');
      assert.ok(counts[0]!.records < 3, `records ${counts[0]!.records}`);
      assert.match(incompleteNote(counts[0]!), /idle limit/);
      assert.doesNotMatch(incompleteNote(counts[0]!), /transaction/);
    } finally {
      await deleteTestTopics([cutTopic]);
    }
  });

  it('a topic deleted while the count runs is left out, not an error', async () => {
    // Three topics of one run, 2 records each. The real admin client, wrapped so that the deletions fall between the
    // count's steps: `gone1` just after its offsets were listed (before its high watermarks), `gone2` after its
    // offsets and high watermarks, before the read subscribes (deleted when the count lists the third topic).
    const delRun = `del-${randomUUID().slice(0, 8)}`;
    const s = topicSet(delRun);
    const [gone1, gone2, kept] = [s.ticks.name, s.features.name, s.forecasts.name];
    for (const t of [gone1, gone2, kept]) await createTestTopic(t, 1);
    await sendPlain([gone1, gone2, kept], [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: Buffer.from('2') }]);
    try {
      await withAdmin(async (admin) => {
        const deleteNow = async (topic: string) => {
          await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
          const deadline = Date.now() + 10_000;
          while ((await admin.listTopics()).includes(topic)) {
            if (Date.now() > deadline) throw new Error(`${topic} still listed 10 s after its deletion`);
            await new Promise((r) => setTimeout(r, 100));
          }
        };
        const racing = withFetchTopicOffsets(admin, async (topic, real) => {
          if (topic === kept) await deleteNow(gone2);
          const offsets = await real(topic);
          if (topic === gone1) await deleteNow(gone1);
          return offsets;
        });
        const counts = await countDataRecords(config, kafka, racing, [gone1, gone2, kept], { idleMs: 1_000 });
        assert.deepEqual(counts, [{ topic: kept, partitions: 1, records: 2, complete: true, countedBy: 'read' }]);
      });
    } finally {
      const left = await withAdmin((admin) => admin.listTopics());
      await deleteTestTopics([gone1, gone2, kept].filter((t) => left.includes(t)));
    }
  });
});
