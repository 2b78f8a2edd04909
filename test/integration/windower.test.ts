// trace: D.windower, D.exactly-once
// The windower processor against the real broker: a run SIGKILLed at random points and restarted produces
// byte-identical market.features content and identical `features` rows to a run that never stopped (exactly-once
// through transactions); SYSTEM load/wind/solar reach every partition as context copies and align beside each hub.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import type { FeatureWindow } from '../../schemas/types.js';
import { startFeaturesSink } from '../../sinks/postgres/features-sink.js';
import { createPool } from '../../platform/postgres/pool.js';
import { homePartition } from '../../platform/kafka/context-series.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { createTopicsAndWait } from '../../platform/kafka/client.js';
import { groupCaughtUp } from '../../platform/kafka/topics.js';
import { TickPublisher } from '../../streams/tick-publisher.js';
import { budget, groupProgress, waitUntil } from './group-state.js';
import { config, createTestTopic, deleteTestTopics, readCommittedRecords, uniqueName, withAdmin } from './harness.js';

/** Every windower started by this file, with its exit status and the last 2,000 characters of its stderr. */
const started: Array<{ child: ChildProcess; group: string; tail: string }> = [];

function windower(args: { input: string; output: string; changelog: string; group: string }): ChildProcess {
  const child = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'sda.js'), 'process', 'windower', '--input', args.input, '--output', args.output, '--changelog', args.changelog, '--group', args.group, '--max-batch-bytes', '2048'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const entry = { child, group: args.group, tail: '' };
  started.push(entry);
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    entry.tail = (entry.tail + d).slice(-2_000);
    // SDA_TEST_CHILD_STDERR=1 shows the windowers' own logs when debugging.
    if (process.env.SDA_TEST_CHILD_STDERR) process.stderr.write(d);
  });
  return child;
}

const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

const caughtUp = (group: string, topic: string) => withAdmin((admin) => groupCaughtUp(admin, group, topic));

/** The group's state and offsets, and every windower of the group: running or its exit status, and its stderr tail. */
async function explain(group: string, topic: string): Promise<string> {
  const procs = started.filter((s) => s.group === group).map((s, i) => `windower ${i + 1} (pid ${s.child.pid}) ${s.child.exitCode !== null || s.child.signalCode !== null ? `exited (${s.child.exitCode ?? s.child.signalCode})` : 'running'}, stderr: ${JSON.stringify(s.tail.slice(-800))}`);
  return `${await groupProgress(group, topic)} | ${procs.join('; ')}`;
}

/**
 * The waits of this file share one budget, so a windower that stops making progress fails its test with the group's
 * state in the message well inside the runner's file timeout.
 */
const waits = budget(420_000);

async function waitCaughtUp(group: string, topic: string, timeoutMs: number): Promise<void> {
  await waitUntil(`group ${group} to catch up on ${topic}`, waits.take(timeoutMs), () => caughtUp(group, topic), () => explain(group, topic));
}

/**
 * Every committed record of a topic as partition -> ['timestamp|key=value hex'] in offset order (read_committed). The
 * record timestamp (ms) is an output too: the windower stamps each window with the timestamp of the tick record that
 * completed it, and the gateway's end-to-end latency is measured from it.
 */
async function committedContent(p: Provisioned, topic: string): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const r of await readCommittedRecords(p, topic, 'test-reader', 2_000)) {
    const list = out.get(r.partition) ?? [];
    list.push(`${r.timestamp}|${r.key?.toString()}=${r.value?.toString('hex')}`);
    out.set(r.partition, list);
  }
  return out;
}

describe('windower: exactly-once through Kafka transactions', () => {
  const input = uniqueName('test.win.in');
  const outA = uniqueName('test.win.out-a');
  const outB = uniqueName('test.win.out-b');
  const logA = uniqueName('test.win.log-a');
  const logB = uniqueName('test.win.log-b');
  const market = `W${input.slice(-8).toUpperCase()}`;
  const hubs = ['HB_NORTH', 'HB_WEST', 'HB_HOUSTON'];
  const pool = createPool(config, 2);
  let p: Provisioned;

  /** market.features → `features` through the real sink, returned as ordered rows, then removed again. */
  async function featureRows(topic: string, expected: number): Promise<string[]> {
    const sink = await startFeaturesSink(config, { topic, groupId: uniqueName('test-win-sink') }, p);
    const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM features WHERE market = $1', [market])).rows[0]!.n);
    try {
      const deadline = Date.now() + 60_000;
      while ((await count()) < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    } finally {
      await sink.stop();
    }
    const rows = await pool.query<Record<string, unknown>>('SELECT * FROM features WHERE market = $1 ORDER BY series_id, kind, step_ms, window_end', [market]);
    await pool.query('DELETE FROM features WHERE market = $1', [market]);
    return rows.rows.map((r) => JSON.stringify(r));
  }

  before(async () => {
    p = await provision(config, 'sda-test-windower');
    await createTestTopic(input, 3);
    for (const t of [outA, outB]) await createTestTopic(t, 3);
    await withAdmin((admin) => createTopicsAndWait(admin, [logA, logB].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }))));
    // Four simulated days of hubs and system series under a market name of this test's own, published once the
    // way every source publishes (SYSTEM ticks with context copies); both runs read the same input.
    const publisher = new TickPublisher(config, p, 'test-windower', { topic: input, batch: 60 });
    await publisher.add([...simulateMarket({ start: Date.UTC(2024, 7, 1, 5), days: 4, seed: 11, nodes: hubs })].map((t) => ({ ok: true as const, tick: { ...t, market } })));
    await publisher.close();
    assert.ok(publisher.contextCopies > 0, 'SYSTEM ticks were copied to the other partitions');
  });

  after(async () => {
    await pool.query('DELETE FROM features WHERE market = $1', [market]);
    await pool.end();
    await deleteTestTopics([input, outA, outB, logA, logB]);
  });

  it('a run killed with SIGKILL at random points and restarted writes exactly what an uninterrupted run writes', async () => {
    const groupA = uniqueName('test-win-a');
    const reference = windower({ input, output: outA, changelog: logA, group: groupA });
    try {
      await waitCaughtUp(groupA, input, 90_000);
    } finally {
      reference.kill('SIGTERM');
      await exited(reference);
    }

    // Small fetches make many small transactions; each victim is killed a random moment after it has committed
    // progress of its own, so kills land between transactions and inside them.
    const groupB = uniqueName('test-win-b');
    const progressOf = async () =>
      withAdmin(async (admin) => ((await admin.fetchOffsets({ groupId: groupB, topics: [input] }))[0]?.partitions ?? []).reduce((n, c) => n + Math.max(0, Number(c.offset)), 0));
    const total = (await withAdmin((admin) => admin.fetchTopicOffsets(input))).reduce((n, e) => n + Number(e.offset), 0);
    const killedAt: number[] = [];
    for (let kill = 0; kill < 3; kill++) {
      const start = await progressOf();
      const victim = windower({ input, output: outB, changelog: logB, group: groupB });
      await waitUntil(`restarted windower ${kill + 1} to commit progress`, waits.take(60_000), async () => (await progressOf()) > start, () => explain(groupB, input), 20);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      victim.kill('SIGKILL');
      await exited(victim);
      killedAt.push(await progressOf());
    }
    assert.ok(killedAt.every((k) => k > 0 && k < total), `every kill landed mid-stream (committed ${killedAt.join(', ')} of ${total})`);
    const survivor = windower({ input, output: outB, changelog: logB, group: groupB });
    try {
      await waitCaughtUp(groupB, input, 120_000);
    } finally {
      survivor.kill('SIGTERM');
      await exited(survivor);
    }

    const a = await committedContent(p, outA);
    const b = await committedContent(p, outB);
    const windows = [...a.values()].reduce((n, l) => n + l.length, 0);
    assert.ok(windows > 100, `the reference run emitted windows (${windows})`);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [partition, records] of a) assert.deepEqual(b.get(partition), records, `partition ${partition}: byte-identical windows with the same record timestamps, same order`);

    // The same through the features sink: identical `features` rows (computed_at comes from the ticks, not the clock).
    // A window emitted early and re-emitted corrected is one row (the sink upserts by key, the last record wins).
    const keys = new Set<string>();
    for (const records of a.values()) {
      for (const r of records) {
        const { value } = await p.serde.decode<FeatureWindow>(Buffer.from(r.slice(r.indexOf('=') + 1), 'hex'), p.writers.features);
        keys.add(`${value.seriesId}/${value.kind}/${value.windowEnd}`);
      }
    }
    const rowsA = await featureRows(outA, keys.size);
    const rowsB = await featureRows(outB, keys.size);
    assert.equal(rowsA.length, keys.size, 'one features row per window');
    assert.deepEqual(rowsB, rowsA, 'the killed-and-restarted run stored identical features rows');

    // Context alignment: every hub window carries the SYSTEM load of its last interval, whichever partition the hub
    // is on (the hubs span partitions other than SYSTEM's home).
    const rows = rowsA.map((r) => JSON.parse(r) as { series_id: string; kind: string; window_end: string; last: number | null; system_load: number | null; wind: number | null; net_load: number | null });
    const load = new Map(rows.filter((r) => r.series_id === 'SYSTEM' && r.kind === 'LOAD').map((r) => [r.window_end, r.last]));
    const homes = new Set(hubs.map((h) => homePartition(h, 3)));
    assert.ok([...homes].some((h) => h !== homePartition('SYSTEM', 3)), 'some hub lives on a partition other than SYSTEM\'s');
    const hubRows = rows.filter((r) => r.kind === 'RT_PRICE');
    assert.ok(hubRows.length > 100);
    for (const r of hubRows) {
      assert.notEqual(r.system_load, null, `${r.series_id} ${r.window_end}: system load aligned`);
      assert.equal(r.system_load, load.get(r.window_end), `${r.series_id} ${r.window_end}: the SYSTEM load of the same interval`);
      assert.notEqual(r.wind, null);
      assert.notEqual(r.net_load, null);
    }
  });

  it('two instances in one group split the partitions; when one dies the other restores its state and the output still matches', async () => {
    const outC = uniqueName('test.win.out-c');
    const logC = uniqueName('test.win.log-c');
    await createTestTopic(outC, 3);
    await withAdmin((admin) => createTopicsAndWait(admin, [{ topic: logC, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]));
    const groupC = uniqueName('test-win-c');
    // Both instances start in the same instant, as a scaled-out deployment does. (The second used to die at start in
    // some runs: both registered the new output subjects at once, see AvroSerde.register.)
    const first = windower({ input, output: outC, changelog: logC, group: groupC });
    const second = windower({ input, output: outC, changelog: logC, group: groupC });
    const members = async () => withAdmin(async (admin) => (await admin.describeGroups([groupC])).groups[0]?.members ?? []);
    try {
      // Both members hold partitions once the group has settled.
      await waitUntil('both instances to own partitions', waits.take(120_000), async () => {
        const ms = await members();
        return ms.length === 2 && ms.every((m) => m.memberAssignment.length > 0);
      }, () => explain(groupC, input), 100);
      // Kill one as soon as the group has committed some progress; the survivor takes over its partitions.
      const progress = async () => withAdmin(async (admin) => ((await admin.fetchOffsets({ groupId: groupC, topics: [input] }))[0]?.partitions ?? []).reduce((n, c) => n + Math.max(0, Number(c.offset)), 0));
      await waitUntil('the group to commit progress', waits.take(60_000), async () => (await progress()) > 0, () => explain(groupC, input), 20);
      first.kill('SIGKILL');
      await exited(first);
      await waitCaughtUp(groupC, input, 120_000);
    } finally {
      for (const c of [first, second]) c.kill('SIGTERM');
      await Promise.all([exited(first), exited(second)]);
    }
    const a = await committedContent(p, outA);
    const c = await committedContent(p, outC);
    for (const [partition, records] of a) assert.deepEqual(c.get(partition), records, `partition ${partition}: identical to the single uninterrupted run`);
    await deleteTestTopics([outC, logC]);
  });
});
