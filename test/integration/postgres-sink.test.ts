// trace: 1.5, D.postgres, D.exactly-once
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import type { MarketTick } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { BulkProducer, type OutgoingRecord } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { groupCaughtUp } from '../../platform/kafka/topics.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, withAdmin } from './harness.js';

const SERIES = 8;
const INTERVALS = 750; // 6,000 valid ticks

const sinkLog = path.join(os.tmpdir(), `sda-sink-test-${process.pid}.log`);

function startSink(topic: string, group: string): ChildProcess {
  const log = fs.openSync(sinkLog, 'a');
  const child = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'sda.js'), 'process', 'postgres-sink', '--topic', topic, '--group', group, '--max-rows', '150'], {
    stdio: ['ignore', 'ignore', log],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  fs.closeSync(log);
  return child;
}

const sinkLogTail = () => (fs.existsSync(sinkLog) ? fs.readFileSync(sinkLog, 'utf8').split('\n').slice(-15).join('\n') : '(no log)');

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

describe('PostgreSQL sink: market.ticks → market_data', () => {
  const topic = uniqueName('test.sink');
  const prefix = `T${topic.slice(-8)}`;
  const pool = createPool(config, 2);
  let p: Provisioned;
  const t0 = Date.UTC(2024, 6, 1);
  const tick = (s: number, i: number): MarketTick => ({
    market: 'ERCOT', seriesId: `${prefix}_${s}`, pointType: 'HUB', kind: 'RT_PRICE', intervalStart: t0 + i * 900_000, intervalEnd: t0 + (i + 1) * 900_000,
    value: s === 0 && i === 5 ? -251 : s === 1 && i === 7 ? 5_000 : Math.round((20 + s + Math.sin(i / 10) * 15) * 100) / 100, unit: 'USD/MWh', source: 'test', ingestedAt: t0, imputed: false,
  });
  const expectedSum = () => {
    let sum = 0;
    for (let s = 0; s < SERIES; s++) for (let i = 0; i < INTERVALS; i++) sum += tick(s, i).value;
    return sum;
  };

  before(async () => {
    await createTestTopic(topic, 3);
    p = await provision(config, 'sda-test-sink');
  });

  after(async () => {
    await pool.query('DELETE FROM market_data WHERE series_id LIKE $1', [`${prefix}\\_%`]);
    await pool.end();
    await deleteTestTopics([topic]);
  });

  it('stores every accepted tick exactly once and dead-letters the rest, even when killed mid-batch and restarted', async () => {
    const records: OutgoingRecord[] = [];
    for (let i = 0; i < INTERVALS; i++) for (let s = 0; s < SERIES; s++) records.push({ key: `${prefix}_${s}`, value: p.serde.encode(p.writers.ticks, tick(s, i)) });
    // Invalid values that Avro still encodes: the sink's validation rejects them.
    const invalid: MarketTick[] = [
      { ...tick(0, 0), intervalStart: t0 - 86_400_000, intervalEnd: t0 - 86_400_000, value: 1 }, // empty interval
      { ...tick(0, 0), intervalStart: t0 - 2 * 86_400_000, intervalEnd: t0 - 2 * 86_400_000 + 900_000, unit: 'MW' }, // wrong unit
      { ...tick(0, 0), intervalStart: t0 - 3 * 86_400_000, intervalEnd: t0 - 3 * 86_400_000 + 900_000, value: Number.NaN },
    ];
    records.splice(1_000, 0, ...invalid.map((t) => ({ key: t.seriesId, value: p.serde.encode(p.writers.ticks, t) })));
    records.splice(3_000, 0, { key: `${prefix}_0`, value: Buffer.from('not avro at all') }, { key: `${prefix}_1`, value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2]) });
    // A re-sent duplicate of an existing tick must not add a row.
    records.push({ key: `${prefix}_2`, value: p.serde.encode(p.writers.ticks, tick(2, 3)) });
    const producer = new BulkProducer(config, 'sda-test-sink-producer');
    await producer.send(topic, records);
    await producer.close();

    const group = uniqueName('test-sink-group');
    const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM market_data WHERE series_id LIKE $1', [`${prefix}\\_%`])).rows[0]!.n);

    let sink = startSink(topic, group);
    const deadline = Date.now() + 60_000;
    let seen = 0;
    while ((seen = await count()) < 600 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(seen >= 600 && seen < SERIES * INTERVALS, `killed part-way (saw ${seen} rows)`);
    sink.kill('SIGKILL');
    await exited(sink);

    sink = startSink(topic, group);
    try {
      const total = SERIES * INTERVALS;
      const until2 = Date.now() + 90_000;
      while ((await count()) < total && Date.now() < until2) await new Promise((r) => setTimeout(r, 200));
      // Let the sink commit its final offsets, then check the group has no lag.
      const lagFree = () => withAdmin((admin) => groupCaughtUp(admin, group, topic));
      const lagDeadline = Date.now() + 90_000;
      while (!(await lagFree()) && Date.now() < lagDeadline) await new Promise((r) => setTimeout(r, 250));
      assert.ok(await lagFree(), `committed offsets reach the end of every partition; the sink's log ends:\n${sinkLogTail()}`);

      const rows = await pool.query<{ n: string; keys: string; sum: number; neg: string; cap: string }>(
        `SELECT count(*) AS n, count(DISTINCT (series_id, interval_start)) AS keys, sum(value) AS sum,
                count(*) FILTER (WHERE value = -251) AS neg, count(*) FILTER (WHERE value = 5000) AS cap
           FROM market_data WHERE series_id LIKE $1`,
        [`${prefix}\\_%`],
      );
      const r = rows.rows[0]!;
      assert.equal(Number(r.n), total, 'row count equals the valid ticks accepted');
      assert.equal(Number(r.keys), total, 'no duplicates');
      assert.ok(Math.abs(Number(r.sum) - expectedSum()) < 1e-6, 'every stored value is the produced one');
      assert.equal(Number(r.neg), 1, 'a negative price is kept');
      assert.equal(Number(r.cap), 1, 'a price at the offer cap is kept');

      const letters = await pool.query<{ reason_code: string; n: string }>(
        'SELECT reason_code, count(*) AS n FROM dead_letters WHERE source_topic = $1 GROUP BY 1 ORDER BY 1',
        [topic],
      );
      assert.deepEqual(letters.rows.map((l) => [l.reason_code, Number(l.n)]), [['unknown-schema', 1], ['validation', 3], ['wire-format', 1]]);
      // Counts reconcile: everything produced is either a stored row (or a duplicate of one) or a dead letter.
      assert.equal(records.length, total + 1 + 5);
    } finally {
      sink.kill('SIGTERM');
      await exited(sink);
    }
  });
});
