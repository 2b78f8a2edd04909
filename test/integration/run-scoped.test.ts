// trace: D.run-scoped
// Run-scoped replays against the real broker, registry and PostgreSQL: `sda simulate --run NAME` publishes old
// history to run.NAME.ticks; `sda process windower --run NAME` (which creates its own output topics) turns it into
// windows on run.NAME.features without dead-lettering the old event time; `sda process features-sink --run NAME`
// stores them under market run.NAME.<market>; a revised tick within the allowed lateness corrects the stored row,
// one beyond it lands on run.NAME.dlq as late; no market.* topic moves; `sda run delete NAME` removes it all.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import type { DeadLetter } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { createConsumer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { groupCaughtUp, groupFor, runMarket, topicSet } from '../../platform/kafka/topics.js';
import { TickPublisher } from '../../streams/tick-publisher.js';
import { groupProgress } from './group-state.js';
import { config, sda, withAdmin } from './harness.js';

const HOUR = 3_600_000;
const QUARTER = 900_000;

/** The last 3,000 characters each processor wrote to stderr (its warnings and errors), for timeout messages. */
const stderrTails = new Map<string, string>();

function processor(name: string, run: string): ChildProcess {
  const child = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'sda.js'), 'process', name, '--run', run], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  stderrTails.set(name, '');
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderrTails.set(name, (stderrTails.get(name)! + d).slice(-3_000)));
  return child;
}
const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

/** Each processor's exit status (or 'running') and stderr tail, and the run's consumer groups' state and offsets. */
let explainRun: () => Promise<string> = async () => '';

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${await explainRun().catch((e: Error) => e.message)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** End offsets of every live topic (market.*, sda.*), summed per topic. */
async function liveOffsets(): Promise<Record<string, number>> {
  return withAdmin(async (admin) => {
    const out: Record<string, number> = {};
    for (const t of (await admin.listTopics()).filter((n) => n.startsWith('market.') || n.startsWith('sda.')).sort()) {
      out[t] = (await admin.fetchTopicOffsets(t)).reduce((n, o) => n + Number(o.high), 0);
    }
    return out;
  });
}

const topicTotal = (topic: string) => withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0));

describe('run-scoped replay (sda simulate --run, sda process ... --run, sda run delete)', () => {
  const run = `t12-${randomUUID().slice(0, 8)}`;
  const set = topicSet(run);
  const market = runMarket('ERCOT', run);
  const pool = createPool(config, 1);
  const children: ChildProcess[] = [];
  let p: Provisioned;

  before(async () => {
    p = await provision(config, 'sda-test-run');
  });

  after(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map(exited));
    await sda(['run', 'delete', run]);
    await pool.end();
  });

  it('replays old history beside the live pipeline, corrects within the lateness, dead-letters beyond it, and deletes the run', async () => {
    const liveBefore = await liveOffsets();

    // Two days of 2024 (far older than anything live): one hub, RT 15-minute and DAM hourly prices.
    const sim = await sda(['simulate', '--run', run, '--days', '2', '--start', '2024-01-01', '--nodes', 'HB_NORTH', '--no-system']);
    assert.equal(sim.code, 0, sim.stderr);
    const ticks = await topicTotal(set.ticks.name);
    assert.equal(ticks, 2 * 96 + 2 * 24, 'every tick on run.NAME.ticks');

    // The windower creates run.NAME.features, the changelog and run.NAME.dlq itself.
    const windower = processor('windower', run);
    const sink = processor('features-sink', run);
    const ticksSink = processor('postgres-sink', run);
    children.push(windower, sink, ticksSink);
    explainRun = async () => {
      const procs = (
        [
          ['windower', windower],
          ['features-sink', sink],
          ['postgres-sink', ticksSink],
        ] as const
      ).map(([n, c]) => `${n} ${c.exitCode !== null || c.signalCode !== null ? `exited (${c.exitCode ?? c.signalCode})` : 'running'}, stderr: ${JSON.stringify(stderrTails.get(n)?.slice(-1_000) ?? '')}`);
      const groups = [await groupProgress(groupFor('sda-windower', run), set.ticks.name), await groupProgress(groupFor('sda-features-sink', run), set.features.name).catch(() => '')];
      return `${procs.join('; ')} | ${groups.join(' | ')}`;
    };
    await waitFor('the windower to catch up on the run', 90_000, async () => ((await withAdmin((a) => groupCaughtUp(a, groupFor('sda-windower', run), set.ticks.name))) ? true : undefined));
    const topics = await withAdmin((a) => a.listTopics());
    for (const t of [set.features.name, set.windowerChangelog.name, set.deadLetters.name]) assert.ok(topics.includes(t), `${t} created by the processors`);
    assert.equal(await topicTotal(set.deadLetters.name), 0, 'old event time on the run is not late: nothing dead-lettered');
    // Waited for, not asserted at once: the end offset an admin reads is the last stable one, and the windower's
    // transaction markers reach run.NAME.features a moment after its offsets are visible as committed.
    await waitFor('windows on run.NAME.features', 30_000, async () => ((await topicTotal(set.features.name)) > 0 ? true : undefined));

    // The newest RT window is out (its hour was complete) and stored under the run's market.
    const lastEnd = Date.UTC(2024, 0, 3);
    const row = () => pool.query<{ last: number; values: number[] }>("SELECT last, values FROM features WHERE market = $1 AND series_id = 'HB_NORTH' AND kind = 'RT_PRICE' AND window_end = $2", [market, new Date(lastEnd)]);
    const before = await waitFor('the newest window row', 60_000, async () => (await row()).rows[0]);
    const { rows: liveRows } = await pool.query("SELECT 1 FROM features WHERE market = 'ERCOT' AND window_end = $1 AND series_id = 'HB_NORTH' AND kind = 'RT_PRICE'", [new Date(lastEnd)]);
    assert.equal(liveRows.length, 0, 'no live row written for the run');

    // A revised price for the last quarter (within the 2-hour lateness) re-emits the window; the row follows.
    // One for a day earlier (beyond it) is dead-lettered on the run's topic with reason late.
    const publisher = new TickPublisher(config, p, 'test-run', { topic: set.ticks.name, deadLetterTopic: set.deadLetters.name });
    const tick = (start: number, value: number) => ({ ok: true as const, tick: { market: 'ERCOT', seriesId: 'HB_NORTH', pointType: 'HUB' as const, kind: 'RT_PRICE' as const, intervalStart: start, intervalEnd: start + QUARTER, value, unit: 'USD/MWh', source: 'test', ingestedAt: Date.now() } });
    await publisher.add([tick(lastEnd - QUARTER, 9_000), tick(lastEnd - 24 * HOUR, 7)]);
    await publisher.close();
    const after = await waitFor('the corrected row', 60_000, async () => {
      const r = (await row()).rows[0];
      return r && r.last !== before.last ? r : undefined;
    });
    assert.ok(after.last - before.last >= (9_000 - 5_000) / 4 - 1e-9, `the hour's mean took the revised quarter (${before.last} -> ${after.last})`);
    assert.deepEqual(after.values.slice(0, -1), before.values.slice(0, -1), 'only the corrected hour changed');

    const letters: DeadLetter[] = [];
    const reader = createConsumer(p.kafka, `test-run-dlq-${randomUUID()}`, { readUncommitted: false, maxWaitTimeInMs: 200 });
    await reader.connect();
    await reader.subscribe({ topic: set.deadLetters.name, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void letters.push((await p.serde.decode<DeadLetter>(message.value!, p.writers.deadLetters)).value) });
    await waitFor('the late dead letter', 60_000, async () => (letters.length > 0 ? true : undefined));
    await reader.disconnect();
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.reasonCode, 'late');

    const tickRows = () => pool.query<{ n: string }>('SELECT count(*) AS n FROM market_data WHERE market = $1', [market]).then((r) => Number(r.rows[0]!.n));
    assert.equal(await waitFor('the run\'s ticks in market_data', 60_000, async () => ((await tickRows()) === ticks ? true : undefined)), true);
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map(exited));
    // No live topic moved. market.dlq is shared with every other job on this stack (other tests dead-letter there
    // concurrently), so there the check is that none of the records written meanwhile comes from this run.
    const liveAfter = await liveOffsets();
    const { 'market.dlq': dlqBefore, ...restBefore } = liveBefore;
    const { 'market.dlq': dlqAfter, ...restAfter } = liveAfter;
    assert.deepEqual(restAfter, restBefore, 'no market.* or sda.* topic moved');
    if (dlqAfter !== dlqBefore) {
      const seen: DeadLetter[] = [];
      const peek = createConsumer(p.kafka, `test-run-live-dlq-${randomUUID()}`, { readUncommitted: false, maxWaitTimeInMs: 200 });
      await peek.connect();
      await peek.subscribe({ topic: 'market.dlq', fromBeginning: true });
      await peek.run({ eachMessage: async ({ message }) => void seen.push((await p.serde.decode<DeadLetter>(message.value!, p.writers.deadLetters)).value) });
      await waitFor('market.dlq read to its end', 30_000, async () => (seen.length >= (dlqAfter ?? 0) ? true : undefined));
      await peek.disconnect();
      const ours = seen.filter((l) => l.topic.includes(run) || (l.key !== null && l.key !== undefined && String(l.key).includes(run)));
      assert.deepEqual(ours, [], 'nothing of the run on market.dlq');
    }

    // sda run list shows it; sda run delete removes its topics, groups, subjects and rows.
    const list = await sda(['run', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.trim().startsWith('['), `sda run list --json printed JSON: ${JSON.stringify(list.stdout.slice(0, 200))} ${list.stderr.slice(0, 500)}`);
    const mine = (JSON.parse(list.stdout) as Array<{ name: string; topics: Array<{ topic: string }>; groups: Array<{ group: string }>; subjects: string[] }>).find((r) => r.name === run);
    assert.ok(mine, 'the run is listed');
    assert.deepEqual(mine.topics.map((t) => t.topic).sort(), [set.deadLetters.name, set.features.name, set.ticks.name, set.windowerChangelog.name].sort());
    assert.ok(mine.groups.some((g) => g.group === groupFor('sda-windower', run)));
    assert.ok(mine.subjects.includes(`${set.features.name}-value`));
    const del = await sda(['run', 'delete', run]);
    assert.equal(del.code, 0, del.stderr + del.stdout);
    assert.match(del.stdout, new RegExp(`deleted run ${run}: 4 topics`));
    const left = await withAdmin((a) => a.listTopics());
    assert.deepEqual(left.filter((t) => t.startsWith(`run.${run}.`)), []);
    assert.equal((await pool.query('SELECT 1 FROM features WHERE market = $1', [market])).rows.length, 0, 'the run\'s rows are gone');
    assert.equal(await tickRows(), 0, 'the run\'s ticks are gone from market_data');
    assert.match(del.stdout, /market_data 240, features \d+/);
    const twice = await sda(['run', 'delete', run]);
    assert.equal(twice.code, 1, 'deleting a run that is not there is an error');
    assert.match(twice.stderr, new RegExp(`no run ${run}`));
    const again = await sda(['run', 'list', '--json']);
    assert.equal((JSON.parse(again.stdout) as Array<{ name: string }>).some((r) => r.name === run), false, 'the run is no longer listed');
  });
});
