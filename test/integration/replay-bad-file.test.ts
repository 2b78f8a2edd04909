// trace: D.run-scoped, D.sources
// `sda replay --run NAME` with a file it cannot replay (missing, a directory, an unknown header, empty) fails with the
// file's coded error and leaves nothing behind: no run.NAME.* topic on the broker, no registry subject, so `sda run
// list` does not show a run that never started. Runs the built CLI against the shared stack.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { runOfTopic } from '../../platform/kafka/topics.js';
import { deleteRun } from '../../cli/run.js';
import { config, sda, withAdmin } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-replay-bad-'));

async function leftOf(run: string): Promise<{ topics: string[]; subjects: string[] }> {
  const topics = (await withAdmin((a) => a.listTopics())).filter((t) => runOfTopic(t) === run);
  const res = await fetch(`${config.registry.url}/subjects`);
  assert.ok(res.ok, `registry answered ${res.status}`);
  const subjects = ((await res.json()) as string[]).filter((s) => runOfTopic(s) === run);
  return { topics, subjects };
}

describe('sda replay with a bad input file creates no run', () => {
  const runs: string[] = [];
  after(async () => {
    // On a CLI that creates the run first (the bug this file guards against), its topics and subjects go here.
    for (const run of runs) await deleteRun(config, run).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const unknown = path.join(tmp, 'hostname.csv');
  fs.writeFileSync(unknown, 'some-host\n');
  const empty = path.join(tmp, 'empty.csv');
  fs.writeFileSync(empty, '');
  const cases: Array<[string, string, RegExp]> = [
    ['a missing file', '/nonexistent/ticks.csv', /sda: replay: no such file \/nonexistent\/ticks\.csv\n/],
    ['a directory', tmp, /sda: replay: .* is a directory; name a CSV file\n/],
    ['an unknown header', unknown, /sda: replay: .*hostname\.csv has an unknown header "some-host"; supported: sda-csv, /],
    ['an empty file', empty, /sda: replay: .*empty\.csv is empty\n/],
  ];
  for (const [what, file, message] of cases) {
    it(`${what}: the file's error, exit non-zero, no run.NAME.* topic or subject`, async () => {
      const run = `bad-${randomUUID().slice(0, 8)}`;
      runs.push(run);
      const r = await sda(['replay', file, '--run', run]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
      assert.deepEqual(await leftOf(run), { topics: [], subjects: [] });
    });
  }

  it('a good file before a bad one: still nothing created (every file is checked first)', async () => {
    const good = path.join(tmp, 'good.csv');
    const s = await sda(['simulate', '--days', '1', '--start', '2024-08-01', '--out', good]);
    assert.equal(s.code, 0, s.stderr);
    const run = `bad-${randomUUID().slice(0, 8)}`;
    runs.push(run);
    const r = await sda(['replay', good, '/nonexistent/second.csv', '--run', run]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no such file \/nonexistent\/second\.csv/);
    assert.deepEqual(await leftOf(run), { topics: [], subjects: [] });
  });
});
