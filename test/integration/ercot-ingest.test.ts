// trace: 1.1, 1.2, 1.6, D.sources
// Scheduled and backfill ingestion from a local fake of the ERCOT API into the real Kafka, registry and PostgreSQL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import type { MarketTick } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { centralDateOf, centralMidnightUtc } from '../../market/central-time.js';
import { ErcotClient } from '../../streams/ercot/client.js';
import { runSchedule } from '../../streams/ercot/ingest-job.js';
import { createConsumer, createKafka } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { TickPublisher } from '../../streams/tick-publisher.js';
import { FakeErcot, KEY, PASSWORD, RT_FIELDS, USER, rtDay } from '../fixtures/fake-ercot.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, until } from './harness.js';

const RT_PATH = '/np6-905-cd/spp_node_zone_hub';
const DAY = 86_400_000;

describe('ERCOT ingestion: schedule with checkpoints, backfill from the CLI', () => {
  const fake = new FakeErcot();
  const pool = createPool(config, 2);
  const topic = uniqueName('test.ercot');
  const point = `HB_T${topic.slice(-6).toUpperCase()}`;
  let p: Provisioned;

  before(async () => {
    await fake.start();
    fake.filterByDate = true;
    await createTestTopic(topic, 1);
    p = await provision(config, 'sda-test-ercot');
  });

  after(async () => {
    await fake.stop();
    await pool.query('DELETE FROM ingest_checkpoints WHERE report LIKE $1', [`${topic}:%`]);
    await pool.end();
    await deleteTestTopics([topic]);
  });

  it('publishes each interval once across restarts, imputes a one-interval gap, dead-letters a bad row, records every run', async () => {
    const dates = [3, 2, 1].map((d) => centralDateOf(Date.UTC(2024, 6, 20, 17) - d * DAY)); // 2024-07-17 .. 19
    const rows = (date: string) => rtDay(date, 'normal', point);
    const day1 = rows(dates[0]!);
    day1[10]![5] = ''; // missing price: one interval, filled by the gap policy
    day1[40]![6] = 'maybe'; // unreadable DSTFlag: dead-lettered
    fake.datasets.set(RT_PATH, { fields: RT_FIELDS, rows: [...day1, ...rows(dates[1]!)] });

    const poll = async (nowMs: number) => {
      const publisher = new TickPublisher(config, p, 'test-ercot', { topic });
      const client = new ErcotClient({ ...fake.options(), sleep: async () => undefined });
      try {
        return await runSchedule({ client, publisher, pool, checkpointPrefix: `${topic}:` }, { reports: ['rt-spp'], intervalMs: 3_600_000, lookbackDays: 1, once: true, signal: new AbortController().signal, now: () => nowMs });
      } finally {
        await publisher.close();
      }
    };
    const noonOf = (date: string) => centralMidnightUtc(date) + 12 * 3_600_000;

    const [first] = await poll(noonOf(dates[1]!));
    assert.equal(first!.status, 'succeeded');
    assert.equal(first!.accepted, 2 * 96 - 1, 'two days of 15-minute prices but the dead-lettered row');
    assert.equal(first!.imputed, 1);
    assert.equal(first!.deadLettered, 1);
    assert.equal(first!.coveredTo, centralMidnightUtc(dates[2]!), 'checkpoint at the end of the second day');

    // A restart (new client, new publisher) with nothing new publishes nothing.
    const [second] = await poll(noonOf(dates[1]!));
    assert.equal(second!.accepted, 0);
    assert.equal(second!.skippedCovered, 96, 'the checkpoint day is fetched again and skipped');

    // The next day arrives: only it is published.
    fake.datasets.set(RT_PATH, { fields: RT_FIELDS, rows: [...day1, ...rows(dates[1]!), ...rows(dates[2]!)] });
    const [third] = await poll(noonOf(dates[2]!));
    assert.equal(third!.accepted, 96);

    const runs = await pool.query<{ status: string; rows_accepted: string; rows_dead_lettered: string; rows_imputed: string }>(
      'SELECT status, rows_accepted, rows_dead_lettered, rows_imputed FROM ingest_runs WHERE run_id = ANY($1::uuid[]) ORDER BY started_at',
      [[first!.runId, second!.runId, third!.runId]],
    );
    assert.deepEqual(runs.rows.map((r) => [r.status, Number(r.rows_accepted), Number(r.rows_dead_lettered), Number(r.rows_imputed)]), [['succeeded', 191, 1, 1], ['succeeded', 0, 0, 0], ['succeeded', 96, 0, 0]]);

    // On the topic: every interval of the three days exactly once.
    const kafka = createKafka(config, 'sda-test-ercot-reader');
    const consumer = createConsumer(kafka, uniqueName('test-ercot-group'));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: MarketTick[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push((await p.serde.decode<MarketTick>(message.value, p.writers.ticks)).value) });
    await until(() => seen.length >= 3 * 96 - 1, 30_000, 'all published ticks');
    await new Promise((r) => setTimeout(r, 500));
    await consumer.disconnect();
    const starts = seen.map((t) => t.intervalStart);
    assert.equal(new Set(starts).size, starts.length, 'no interval published twice');
    assert.equal(starts.length, 3 * 96 - 1);
    const imputed = seen.filter((t) => t.imputed);
    assert.equal(imputed.length, 1);
    const neighbours = seen.filter((t) => Math.abs(t.intervalStart - imputed[0]!.intervalStart) === 900_000).map((t) => t.value);
    assert.ok(Math.abs(imputed[0]!.value - (neighbours[0]! + neighbours[1]!) / 2) < 1e-9, 'linear interpolation between the neighbours');
  });

  it('`sda ingest backfill` logs a start and an end line per run and exits 0; without credentials it exits non-zero naming them', async () => {
    const date = '2024-07-10';
    fake.datasets.set(RT_PATH, { fields: RT_FIELDS, rows: rtDay(date, 'normal', point) });
    const cli = (env: NodeJS.ProcessEnv) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'sda.js'), 'ingest', 'backfill', '--reports', 'rt-spp', '--from', date, '--to', date, '--topic', topic], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const ok = await cli({ ERCOT_API_BASE_URL: `${fake.base}/api/public-reports`, ERCOT_TOKEN_URL: `${fake.base}/b2c/token`, ERCOT_API_SUBSCRIPTION_KEY: KEY, ERCOT_API_USERNAME: USER, ERCOT_API_PASSWORD: PASSWORD });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /rt-spp 2024-07-10\.\.2024-07-10 succeeded: 96 ticks published/);
    const lines = ok.stderr.split('\n').filter((l) => l.startsWith('{'));
    // Each key once per line: the process's runId (the logger's) and the ingest run's own ingestRunId.
    for (const l of lines) assert.ok((l.match(/"runId":/g) ?? []).length <= 1, `runId twice in ${l}`);
    const events = lines.map((l) => JSON.parse(l) as { event?: string; runId?: string; ingestRunId?: string; time?: string; report?: string });
    const start = events.find((e) => e.event === 'ingest-start');
    const end = events.find((e) => e.event === 'ingest-end');
    assert.ok(start && end && start.ingestRunId === end.ingestRunId && start.report === 'rt-spp', 'start and end lines of one run');
    assert.ok(start.runId && start.runId === end.runId && start.runId !== start.ingestRunId, 'the process runId and the ingest run id are different keys');
    assert.match(ok.stdout, new RegExp(`\\[run ${start.ingestRunId}\\]`), 'stdout names the same ingest run');
    assert.ok(start.time && !Number.isNaN(Date.parse(start.time)), 'timestamped');
    assert.doesNotMatch(ok.stderr, new RegExp(PASSWORD), 'the password is never logged');

    const missing = await cli({ ERCOT_API_SUBSCRIPTION_KEY: '', ERCOT_API_USERNAME: '', ERCOT_API_PASSWORD: '' });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /missing ERCOT_API_SUBSCRIPTION_KEY, ERCOT_API_USERNAME, ERCOT_API_PASSWORD/);
  });

  it('field case 11: an empty day (200, zero records) is warned and counted, the checkpoint holds before it, the next run fetches it', async () => {
    const gapBody = JSON.parse(readFileSync(new URL('../../../test/fixtures/field-cases/11-api-empty-gap-day.json', import.meta.url), 'utf8')) as { _meta: { totalRecords: number }; data: unknown[] };
    assert.equal(gapBody._meta.totalRecords, 0);
    assert.deepEqual(gapBody.data, []);
    const [d1, d2, d3] = ['2024-07-22', '2024-07-23', '2024-07-24'];
    fake.datasets.set(RT_PATH, { fields: RT_FIELDS, rows: [...rtDay(d1!, 'normal', point), ...rtDay(d3!, 'normal', point)] });
    fake.bodiesByDate.set(d2!, gapBody);
    const prefix = `${topic}:gap:`;
    const nowMs = centralMidnightUtc(d3!) + 12 * 3_600_000;
    const poll = async () => {
      const publisher = new TickPublisher(config, p, 'test-ercot', { topic });
      const client = new ErcotClient({ ...fake.options(), sleep: async () => undefined });
      try {
        const [r] = await runSchedule({ client, publisher, pool, checkpointPrefix: prefix, now: () => nowMs }, { reports: ['rt-spp'], intervalMs: 3_600_000, lookbackDays: 2, once: true, signal: new AbortController().signal, now: () => nowMs });
        return r!;
      } finally {
        await publisher.close();
      }
    };
    const checkpoint = async () => (await pool.query<{ covered_to: Date }>('SELECT covered_to FROM ingest_checkpoints WHERE report = $1', [`${prefix}rt-spp`])).rows[0]?.covered_to.getTime();

    const first = await poll();
    assert.equal(first.status, 'succeeded');
    assert.deepEqual(first.rowsPerDay, { [d1!]: 96, [d2!]: 0, [d3!]: 96 });
    assert.deepEqual(first.emptyDays, [d2]);
    assert.equal(first.accepted, 192, 'the days around the gap are published');
    assert.equal(first.coveredTo, centralMidnightUtc(d2!), 'the checkpoint stops at the end of the last day before the empty day');
    assert.equal(await checkpoint(), centralMidnightUtc(d2!));

    // ERCOT fills the gap: the next run starts at the empty day and fetches it.
    fake.bodiesByDate.delete(d2!);
    fake.datasets.set(RT_PATH, { fields: RT_FIELDS, rows: [d1!, d2!, d3!].flatMap((d) => rtDay(d, 'normal', point)) });
    const second = await poll();
    assert.equal(second.from, d2, 'the next run begins at the empty day');
    assert.deepEqual(second.emptyDays, []);
    assert.equal(second.rowsPerDay[d2!], 96);
    assert.equal(second.accepted, 192, 'the filled day, and the day after it again (the sink upserts)');
    assert.equal(await checkpoint(), centralMidnightUtc('2024-07-25'), 'now the checkpoint passes it');

    // The run log of `sda ingest backfill`: a warning line for the empty day and the per-day counts on the end line.
    fake.bodiesByDate.set(d2!, gapBody);
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'sda.js'), 'ingest', 'backfill', '--reports', 'rt-spp', '--from', d1!, '--to', d2!, '--topic', topic], {
        env: { ...process.env, ERCOT_API_BASE_URL: `${fake.base}/api/public-reports`, ERCOT_TOKEN_URL: `${fake.base}/b2c/token`, ERCOT_API_SUBSCRIPTION_KEY: KEY, ERCOT_API_USERNAME: USER, ERCOT_API_PASSWORD: PASSWORD },
      }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })),
    );
    fake.bodiesByDate.clear();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /EMPTY day\(s\) with no rows from ERCOT: 2024-07-23/);
    const events = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event?: string; level?: number; day?: string; rows?: number; rowsPerDay?: Record<string, number>; emptyDays?: string[] });
    const warn = events.find((e) => e.event === 'ingest-empty-day');
    assert.ok(warn, 'a warning line for the empty day');
    assert.equal(warn.level, 40, 'logged at warn level');
    assert.equal(warn.day, d2);
    assert.equal(warn.rows, 0);
    const end = events.find((e) => e.event === 'ingest-end');
    assert.deepEqual(end?.rowsPerDay, { [d1!]: 96, [d2!]: 0 });
    assert.deepEqual(end?.emptyDays, [d2]);
  });
});
