// trace: D.exactly-once
// Faults survived, with counts reconciled (issue 17): the five consumers (ticks sink, windower, features sink,
// forecaster, forecasts sink) run in this process on topics of their own while a real service of the stack is
// stopped and started again under them: the Kafka broker mid-stream, PostgreSQL mid-batch, the schema registry for
// 30 s while records arrive under a schema version the consumers have not seen, and a sink slowed past its
// consumer session (tables locked: backpressure). Nobody restarts a consumer; at the end market_data, features and
// forecasts hold exactly what an undisturbed run of the same input holds (row count and an ordered md5 of the rows
// computed in SQL), no duplicate, nothing lost, and the consumer error counter names what failed.
//
// The services are the ones the suite runs against (this file's config), stopped and started through the stack's
// own service classes; every one is started again in `after` even when a test fails. Each test prints its time to
// recover (service back -> every consumer committing again -> all caught up) as a diagnostic; figures belong in
// bench/RESULTS.md, never in assertions.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { services } from '../../deploy/local/stack.js';
import type { LocalService } from '../../deploy/local/service.js';
import { consumerErrorCount } from '../../platform/metrics.js';
import { PIPELINE_JOBS, type PipelineJob, type PipelineTopics, pipelineGroups, startPipeline } from '../../processors/pipeline.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';
import { loadSchema } from '../../schemas/catalog.js';
import type { MarketTick } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import type { Writer } from '../../platform/kafka/avro-serde.js';
import { type Provisioned, ensureTicksTopic, provision } from '../../platform/kafka/provision.js';
import { createTopicsAndWait } from '../../platform/kafka/client.js';
import { subjectFor } from '../../platform/kafka/topics.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { TickPublisher } from '../../streams/tick-publisher.js';
import { budget, groupProgress, waitUntil, within } from './group-state.js';
import { config, createTestTopic, deleteTestTopics, uniqueName, withAdmin } from './harness.js';

const START = Date.UTC(2024, 6, 1, 5);
const DAYS = 4;
const SPLIT = Date.UTC(2024, 6, 3, 5); // the first half is published before the fault, the rest after it starts
type Service = 'kafka' | 'postgres' | 'schema-registry';

/** The same deterministic input for every run: two hubs and the system series, four simulated days. */
function inputTicks(market: string): MarketTick[] {
  return [...simulateMarket({ start: START, days: DAYS, seed: 17, nodes: ['HB_NORTH', 'HB_WEST'] })].map((t) => ({ ...t, market }));
}

/** Row count and an md5 over the rows in key order, without the market column (each run has its own) or stored_at. */
async function tableDigests(pool: ReturnType<typeof createPool>, market: string) {
  const one = async (sql: string) => (await pool.query<{ n: string; md5: string | null; keys: string }>(sql, [market])).rows[0]!;
  const ticks = await one(`SELECT count(*) AS n, count(DISTINCT (series_id, kind, interval_start)) AS keys,
      md5(string_agg(concat_ws('|', series_id, kind, point_type, interval_start, interval_end, value, unit, source, ingested_at, imputed), ',' ORDER BY series_id, kind, interval_start)) AS md5
    FROM market_data WHERE market = $1`);
  const features = await one(`SELECT count(*) AS n, count(DISTINCT (series_id, kind, step_ms, window_end)) AS keys,
      md5(string_agg(concat_ws('|', series_id, kind, step_ms, window_start, window_end, "values", count, missing, mean, std, min, max, last, trend, lag_1h, lag_24h, lag_168h,
        hour_of_day, day_of_week, is_holiday, system_load, wind, solar, net_load, computed_at), ',' ORDER BY series_id, kind, step_ms, window_end)) AS md5
    FROM features WHERE market = $1`);
  // Forecast values are rounded to 1e-4: onnxruntime may sum in another order when a batch holds other windows.
  const forecasts = await one(`SELECT count(*) AS n, count(DISTINCT (series_id, kind, step_ms, model_version, target_start)) AS keys,
      md5(string_agg(concat_ws('|', series_id, kind, step_ms, model_version, target_start, target_end, (SELECT array_agg(round(v::numeric, 4) ORDER BY i) FROM unnest("values") WITH ORDINALITY AS x(v, i)),
        unit, issued_at, input_start, input_end), ',' ORDER BY series_id, kind, step_ms, model_version, target_start)) AS md5
    FROM forecasts WHERE market = $1`);
  return { market_data: ticks, features, forecasts };
}

/** Committed offsets at the end of every partition; on a transactional topic the last commit marker may stay unread. */
async function caughtUp(group: string, topic: string, transactional: boolean): Promise<boolean> {
  return withAdmin(async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
    return ends.every((e) => {
      if (e.offset === '0') return true;
      const c = Number(committed.find((x) => x.partition === e.partition)?.offset ?? -1);
      return c === Number(e.offset) || (transactional && c === Number(e.offset) - 1);
    });
  });
}

interface RunReport {
  market: string;
  digests: Awaited<ReturnType<typeof tableDigests>>;
  /** ms from the service being back to each job's first committed batch. */
  firstCommitMs: Partial<Record<PipelineJob, number>>;
  /** ms from the service being back to every job caught up. */
  caughtUpMs?: number;
  /** ms the service was down (stop called -> start resolved). */
  outageMs?: number;
  errors: Record<PipelineJob, number>;
}

/**
 * Every wait of this file draws on one budget (the outages themselves add 95 s), so a consumer that stops making
 * progress fails its test with the groups' state in the message long before the runner's 600 s file timeout.
 */
const waits = budget(330_000);

const stack = new Map(services(config).map((s) => [s.name, s] as const));
const svc = (name: Service): LocalService => stack.get(name)!;
const quiet = () => undefined;

describe('faults survived: broker, database and registry restarts and a slow sink leave the tables as an undisturbed run', { concurrency: 1 }, () => {
  const pool = createPool(config, 2);
  const markets: string[] = [];
  const topicsMade: string[] = [];
  const registries: string[] = [];
  let reference: RunReport;

  /**
   * One run: its own topics, groups, market id and model registry; the first half of the input is published, the
   * pipeline started, `fault` runs once the windower has committed a few transactions, then the rest is published.
   */
  async function run(label: string, fault?: { service?: Service; inject: (ctx: { published: () => Promise<void>; pipeline: { counts: Record<PipelineJob, { batches?: number; transactions?: number }> } }) => Promise<{ restoredAt: number; outageMs?: number }> }, evolve = false): Promise<RunReport> {
    const id = uniqueName(`test.faults.${label}`);
    const market = `F${id.slice(-8).toUpperCase()}`;
    markets.push(market);
    const topics: PipelineTopics = { ticks: `${id}.ticks`, features: `${id}.features`, forecasts: `${id}.forecasts`, changelog: `${id}.changelog` };
    topicsMade.push(...Object.values(topics));
    // Publisher and consumers have serdes of their own, as separate processes would.
    const pub = await provision(config, 'sda-test-faults-pub');
    await ensureTicksTopic(config, pub, topics.ticks);
    for (const t of [topics.features, topics.forecasts]) await createTestTopic(t, 3);
    await withAdmin((admin) => createTopicsAndWait(admin, [{ topic: topics.changelog, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]));
    const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-faults-registry-'));
    registries.push(registry);
    // The same seeded weights in every run, so forecasts compare across runs.
    await writeRandomModel(registry, { version: 'faults-v1', market, seriesIds: [], horizon: 4, units: 4, seed: 1 });

    let secondWriter: Writer<MarketTick> = pub.writers.ticks;
    if (evolve) {
      // A producer upgraded to a newer MarketTick (one optional field more): its schema id is new to the consumers.
      const schema = loadSchema('MarketTick') as unknown as { fields: unknown[] };
      secondWriter = await pub.serde.register<MarketTick>(subjectFor(topics.ticks), { ...schema, fields: [...schema.fields, { name: 'faultNote', type: ['null', 'string'], default: null }] });
      assert.notEqual(secondWriter.schemaId, pub.writers.ticks.schemaId);
    }
    const ticks = inputTicks(market);
    const publish = async (part: MarketTick[], writer: Writer<MarketTick>) => {
      const p: Provisioned = { ...pub, writers: { ...pub.writers, ticks: writer } };
      const publisher = new TickPublisher(config, p, 'test-faults', { topic: topics.ticks, batch: 250 });
      await publisher.add(part.map((tick) => ({ ok: true as const, tick })));
      await publisher.close();
    };
    await publish(ticks.filter((t) => t.intervalStart < SPLIT), pub.writers.ticks);

    const consumerSide = await provision(config, 'sda-test-faults');
    const groupPrefix = uniqueName('test-faults');
    const groups = pipelineGroups({ topics, groupPrefix });
    const errorsBefore = Object.fromEntries(PIPELINE_JOBS.map((j) => [j, consumerErrorCount(groups[j].group)])) as Record<PipelineJob, number>;
    const lastBatch: Partial<Record<PipelineJob, number>> = {};
    const firstCommit: Partial<Record<PipelineJob, number>> = {};
    let restoredAt = Number.POSITIVE_INFINITY;
    const pipeline = await startPipeline(config, consumerSide, {
      topics, groupPrefix, registryDir: registry, windowerMaxBytes: 4_096, ticksSinkMaxRows: 200,
      onBatch: (job) => {
        const now = Date.now();
        lastBatch[job] = now;
        if (now >= restoredAt && firstCommit[job] === undefined) firstCommit[job] = now - restoredAt;
      },
    });
    const report: RunReport = { market, digests: undefined as never, firstCommitMs: {}, errors: errorsBefore };
    const secondHalf = () => publish(ticks.filter((t) => t.intervalStart >= SPLIT), secondWriter);
    try {
      let published: Promise<void> | undefined;
      const progress = async () => {
        const now = Date.now();
        const jobs = PIPELINE_JOBS.map((j) => `${j}: ${JSON.stringify(pipeline.counts[j])}, last batch ${lastBatch[j] === undefined ? 'never' : `${now - lastBatch[j]!} ms ago`}`);
        const groupsNow = [];
        for (const j of PIPELINE_JOBS) groupsNow.push(await groupProgress(groups[j].group, groups[j].topic));
        return `[${label}] ${jobs.join('; ')} | ${groupsNow.join(' | ')}`;
      };
      if (fault) {
        // Mid-stream: the windower has committed work and has more to do.
        await waitFor(() => (pipeline.counts.windower.transactions ?? 0) >= 3, waits.take(90_000), 'the windower to commit its first transactions', pipeline.failed, progress);
        const r = await fault.inject({ published: () => (published ??= secondHalf()), pipeline: pipeline as never });
        restoredAt = r.restoredAt;
        report.outageMs = r.outageMs;
      }
      await within(Promise.race([published ?? secondHalf(), pipeline.failed]), waits.take(120_000), 'the second half of the input to be published');
      for (const job of PIPELINE_JOBS) {
        const transactional = job !== 'ticks-sink' && job !== 'windower';
        await waitForAsync(() => caughtUp(groups[job].group, groups[job].topic, transactional), waits.take(150_000), `${job} to catch up on ${groups[job].topic}`, pipeline.failed, progress);
      }
      if (fault) report.caughtUpMs = Date.now() - restoredAt;
    } finally {
      await within(pipeline.stop(), 60_000, `the pipeline of run ${label} to stop`);
    }
    report.firstCommitMs = firstCommit;
    report.errors = Object.fromEntries(PIPELINE_JOBS.map((j) => [j, consumerErrorCount(groups[j].group) - errorsBefore[j]])) as Record<PipelineJob, number>;
    report.digests = await tableDigests(pool, market);
    return report;
  }

  const sameAsReference = (r: RunReport) => {
    for (const table of ['market_data', 'features', 'forecasts'] as const) {
      const got = r.digests[table];
      const want = reference.digests[table];
      assert.equal(got.n, want.n, `${table}: ${got.n} rows after the fault, ${want.n} in the undisturbed run`);
      assert.equal(got.keys, got.n, `${table}: no key twice`);
      assert.equal(got.md5, want.md5, `${table}: the rows equal the undisturbed run's`);
    }
  };

  before(async () => {
    // Every service this file stops must be up to begin with.
    for (const name of ['postgres', 'kafka', 'schema-registry'] as const) assert.ok((await svc(name).health()).up, `${name} is up (sda stack up)`);
    reference = await run('reference');
    for (const table of ['market_data', 'features', 'forecasts'] as const) assert.ok(Number(reference.digests[table].n) > 0, `the undisturbed run wrote ${table}`);
  });

  after(async () => {
    // Whatever happened, the stack is left running.
    for (const name of ['postgres', 'kafka', 'schema-registry'] as const) {
      if (!(await svc(name).health()).up) await svc(name).start(quiet);
    }
    for (const m of markets) {
      for (const table of ['market_data', 'features', 'forecasts']) await pool.query(`DELETE FROM ${table} WHERE market = $1`, [m]).catch(() => undefined);
    }
    await pool.end();
    await deleteTestTopics(topicsMade);
    for (const r of registries) await rm(r, { recursive: true, force: true });
  });

  /** Stops a service, keeps it down `downMs` (publishing the rest of the input meanwhile when `publishWhileDown`), starts it again. */
  const outage = (name: Service, downMs: number, publishWhileDown: boolean) => async (ctx: { published: () => Promise<void> }) => {
    const t0 = Date.now();
    await svc(name).stop();
    try {
      if (publishWhileDown) void ctx.published().catch(() => undefined);
      await new Promise((r) => setTimeout(r, downMs));
    } finally {
      await svc(name).start(quiet);
    }
    return { restoredAt: Date.now(), outageMs: Date.now() - t0 };
  };

  const print = (t: { diagnostic: (m: string) => void }, label: string, r: RunReport) =>
    t.diagnostic(`${label}: outage ${r.outageMs} ms; first commit after the service was back (ms) ${JSON.stringify(r.firstCommitMs)}; all caught up ${r.caughtUpMs} ms after; consumer errors ${JSON.stringify(r.errors)}`);

  it('the Kafka broker stopped mid-stream for 20 s and started again', async (t) => {
    const r = await run('kafka', { inject: outage('kafka', 20_000, false) });
    print(t, 'kafka', r);
    sameAsReference(r);
    assert.ok(Object.values(r.errors).some((n) => n > 0), `the consumer error counter shows the outage: ${JSON.stringify(r.errors)}`);
  });

  it('PostgreSQL stopped mid-batch for 20 s and started again', async (t) => {
    const r = await run('postgres', { inject: outage('postgres', 20_000, true) });
    print(t, 'postgres', r);
    sameAsReference(r);
    assert.ok(r.errors['ticks-sink'] > 0, `the ticks sink's errors are counted: ${JSON.stringify(r.errors)}`);
  });

  it('the schema registry stopped for 30 s while records arrive under a schema version the consumers have not seen', async (t) => {
    const r = await run('registry', { inject: outage('schema-registry', 30_000, true) }, true);
    print(t, 'registry', r);
    sameAsReference(r);
    assert.ok(r.errors['ticks-sink'] > 0 && r.errors.windower > 0, `the registry outage is counted for both tick consumers: ${JSON.stringify(r.errors)}`);
  });

  it('a sink slowed past its consumer session (tables locked for 25 s): backpressure, then catch-up', async (t) => {
    const r = await run('slow-sink', {
      inject: async (ctx) => {
        const locker = await pool.connect();
        const t0 = Date.now();
        try {
          await locker.query('BEGIN');
          // SHARE ROW EXCLUSIVE blocks every insert and update (the sinks' writes) and lets reads through.
          await locker.query('LOCK TABLE market_data, features, forecasts IN SHARE ROW EXCLUSIVE MODE');
          void ctx.published().catch(() => undefined);
          await new Promise((r) => setTimeout(r, 25_000));
        } finally {
          await locker.query('ROLLBACK').catch(() => undefined);
          locker.release();
        }
        return { restoredAt: Date.now(), outageMs: Date.now() - t0 };
      },
    });
    print(t, 'slow sink', r);
    sameAsReference(r);
    assert.ok(r.errors['ticks-sink'] > 0, `the slow sink lost its group membership and says so: ${JSON.stringify(r.errors)}`);
  });
});

async function waitFor(check: () => boolean, timeoutMs: number, what: string, failed: Promise<never>, explain: () => Promise<string>): Promise<void> {
  await waitForAsync(async () => check(), timeoutMs, what, failed, explain);
}

/** Polls `check` until true; a timeout says what it waited for and `explain` (every group's state and offsets); a crashed job fails at once. */
async function waitForAsync(check: () => Promise<boolean>, timeoutMs: number, what: string, failed: Promise<never>, explain: () => Promise<string>): Promise<void> {
  let gaveUp = false;
  const loop = waitUntil(what, timeoutMs, async () => gaveUp || (await check()), explain);
  try {
    await Promise.race([loop, failed]);
  } finally {
    gaveUp = true;
  }
}
