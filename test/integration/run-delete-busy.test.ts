// trace: D.postgres
// `sda run delete NAME` while a processor of the run is still consuming: it refuses before deleting anything (topics,
// subjects, rows stay), naming the busy group and its member (client id @ host) and saying to stop it first; once
// the member has left, the same command deletes the run. Against the shared stack, on a run of its own.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createConsumer, createKafka } from '../../platform/kafka/client.js';
import { groupFor, runMarket, topicSet } from '../../platform/kafka/topics.js';
import { createPool } from '../../platform/postgres/pool.js';
import { config, createTestTopic, deleteTestTopics, sda, until, withAdmin } from './harness.js';

describe('sda run delete with running processors', () => {
  const run = `busy-${randomUUID().slice(0, 8)}`;
  const topic = topicSet(run).ticks.name;
  const group = groupFor('sda-windower', run);
  const market = runMarket('ERCOT', run);
  const clientId = `sda-test-busy-${run}`;
  const pool = createPool(config, 1);
  const consumer = createConsumer(createKafka(config, clientId, { quiet: true }), group, { maxWaitTimeInMs: 200 });
  let connected = false;

  after(async () => {
    if (connected) await consumer.disconnect().catch(() => undefined);
    if (await topicExists().catch(() => false)) await deleteTestTopics([topic]);
    await withAdmin((a) => a.deleteGroups([group])).catch(() => undefined);
    await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
    await pool.end();
  });

  const rows = async (): Promise<number> => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM market_data WHERE market = $1', [market])).rows[0]!.n);
  const topicExists = async (): Promise<boolean> => (await withAdmin((a) => a.listTopics())).includes(topic);

  it('refuses while the group has members, naming them; deletes once they stopped', async () => {
    await createTestTopic(topic);
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       VALUES ($1, 'HB_NORTH', 'HUB', 'RT_PRICE', '2024-01-01T00:00:00Z', '2024-01-01T00:15:00Z', 20, 'USD/MWh', 'test', now())`,
      [market],
    );
    await consumer.connect();
    connected = true;
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await until(() => joined, 60_000, `consumer ${clientId} joining ${group}`);

    const refused = await sda(['run', 'delete', run]);
    assert.equal(refused.code, 1, `refused: ${refused.stdout} ${refused.stderr}`);
    assert.match(refused.stderr, new RegExp(`run ${run} is in use`));
    assert.match(refused.stderr, new RegExp(`group ${group.replace(/\./g, '\\.')} \\(\\w+\\): ${clientId} @ \\S+`), 'the group and its member (client id @ host) are named');
    assert.match(refused.stderr, /Stop these processors/);
    assert.doesNotMatch(refused.stdout, /deleted run/);
    assert.ok(await topicExists(), 'the topic stays');
    assert.equal(await rows(), 1, 'the rows stay');

    await consumer.disconnect();
    connected = false;
    const deleted = await sda(['run', 'delete', run]);
    assert.equal(deleted.code, 0, deleted.stderr + deleted.stdout);
    assert.match(deleted.stdout, new RegExp(`deleted run ${run}: 1 topics, 1 consumer groups`));
    assert.doesNotMatch(deleted.stdout, /KEPT/);
    assert.equal(await topicExists(), false, 'the topic is gone');
    assert.equal(await rows(), 0, 'the rows are gone');
  });
});
