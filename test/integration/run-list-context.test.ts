// trace: D.run-scoped, D.sources
// What a replayed run's ticks topic holds, said where a user compares the figures: `sda replay --run NAME` prints the
// ticks and the SYSTEM series context copies it wrote (their sum is the topic's records), `sda run list` says the
// ticks topic's count includes such copies and lists the run's registry subjects, and `sda run list --verbose`
// counts the copies (ticks = records - copies = what the replay said). A simulated day, against the shared stack.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { type RunInfo, deleteRun } from '../../cli/run.js';
import { topicSet } from '../../platform/kafka/topics.js';
import { config, sda, withAdmin } from './harness.js';

describe('a replayed run: ticks and SYSTEM series context copies', () => {
  const run = `ctx-${randomUUID().slice(0, 8)}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-run-ctx-'));
  after(async () => {
    await deleteRun(config, run).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('replay, run list and run list --verbose agree on ticks, copies and records', async () => {
    const file = path.join(tmp, 'day.csv');
    const sim = await sda(['simulate', '--days', '1', '--start', '2024-08-01', '--seed', '3', '--out', file]);
    assert.equal(sim.code, 0, sim.stderr);
    const r = await sda(['replay', file, '--run', run]);
    assert.equal(r.code, 0, r.stderr);
    const ticksTopic = topicSet(run).ticks.name;
    const m = new RegExp(`^${ticksTopic.replace(/\./g, '\\.')}: ([\\d,]+) records written = ([\\d,]+) ticks \\+ ([\\d,]+) SYSTEM series context copies`, 'm').exec(r.stdout);
    assert.ok(m, r.stdout);
    const [total, ticks, copies] = [m[1]!, m[2]!, m[3]!].map((x) => Number(x.replace(/,/g, '')));
    assert.match(r.stdout, new RegExp(`replayed ${ticks!.toLocaleString('en-US')} ticks`));
    assert.equal(total, ticks! + copies!);
    assert.ok(copies! > 0, 'a simulated day has SYSTEM load, wind and solar');
    const offsets = await withAdmin(async (a) => (await a.fetchTopicOffsets(ticksTopic)).reduce((n, o) => n + Number(o.high) - Number(o.low), 0));
    assert.equal(offsets, total, 'the topic holds what the replay said it wrote');

    const text = await sda(['run', 'list']);
    assert.equal(text.code, 0, text.stderr);
    const ticksLine = text.stdout.split('\n').find((l) => l.includes(`topic ${ticksTopic} `));
    assert.ok(ticksLine, text.stdout);
    assert.match(ticksLine, new RegExp(`\\s${total} records \\(offsets\\), \\d+ partitions \\(incl\\. SYSTEM series context copies: .*--verbose counts them\\)$`));
    assert.match(text.stdout, new RegExp(`  subjects 2: run\\.${run}\\.dlq-value, run\\.${run}\\.ticks-value\\n`));

    const verbose = await sda(['run', 'list', '--verbose']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stdout, new RegExp(`topic ${ticksTopic.replace(/\./g, '\\.')}\\s+${total} records \\(read\\), \\d+ partitions \\(incl\\. ${copies!.toLocaleString('en-US')} SYSTEM series context copies, so ${ticks!.toLocaleString('en-US')} ticks: `));

    const json = await sda(['run', 'list', '--verbose', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const info = (JSON.parse(json.stdout) as RunInfo[]).find((x) => x.name === run);
    assert.ok(info);
    assert.deepEqual(info.topics.find((t) => t.topic === ticksTopic), { topic: ticksTopic, partitions: info.topics.find((t) => t.topic === ticksTopic)!.partitions, records: total, complete: true, countedBy: 'read', contextCopies: copies });
    assert.deepEqual([...info.subjects].sort(), [`run.${run}.dlq-value`, `run.${run}.ticks-value`]);
  });
});
