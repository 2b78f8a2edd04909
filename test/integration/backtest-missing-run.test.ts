// trace: 8.1
// `sda backtest --run NAME` on a run that does not exist: the command fails naming the missing input topic and leaves
// nothing behind (no run.NAME.dispatch, no run.NAME.dlq, no registry subject), against the real Kafka and registry.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { subjectFor, topicSet } from '../../platform/kafka/topics.js';
import { config, deleteTestTopics, sda, withAdmin } from './harness.js';

describe('sda backtest --run on a run that does not exist', () => {
  it('fails before creating any of the run\'s topics or subjects', async () => {
    const run = `ghost-${randomUUID().slice(0, 8)}`;
    const topics = topicSet(run);
    try {
      const r = await sda(['backtest', '--from', '2024-07-03', '--to', '2024-07-04', '--run', run, '--simulate', '6', '--allow-lookahead']);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, new RegExp(`${topics.forecasts.name.replace(/\./g, '\\.')} does not exist`));
      const existing = new Set(await withAdmin((admin) => admin.listTopics()));
      assert.deepEqual([topics.dispatch.name, topics.deadLetters.name].filter((t) => existing.has(t)), []);
      const subjects = (await (await fetch(`${config.registry.url}/subjects`)).json()) as string[];
      assert.deepEqual(subjects.filter((s) => s === subjectFor(topics.dispatch.name)), []);
    } finally {
      const existing = new Set(await withAdmin((admin) => admin.listTopics()));
      await deleteTestTopics(Object.values(topics).map((t) => t.name).filter((t) => existing.has(t)));
    }
  });
});
