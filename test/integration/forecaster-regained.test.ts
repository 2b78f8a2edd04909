// trace: D.forecaster, D.exactly-once
// The forecaster's kept partition state after a lost-and-regained assignment, against the real broker and registry: a
// member that misses its heartbeats (SIGSTOP) is removed from the group, another member takes the partition, forecasts
// and commits the windows published meanwhile, and leaves; the first member resumes (SIGCONT), rejoins and gets the
// partition back with its old in-memory state (processor.ts revalidate). That state is stale: it ends where the other
// member started, so the member must rebuild it from the partition's trailing windows, and the forecasts topic then
// holds exactly the forecasts one forecaster that never stopped writes.
// What would break it: the model serves steps 3 and 6 from "same hour last week", and the gap (days 1-8) is what the
// forecasts after it (day 9) look up a week back. A member that kept its stale state (only day 0 seen) finds none of
// those slots and falls back to the graph there, with another step source and another value, so the comparison fails
// (and the warning is not logged); a member that processed the gap's windows twice or skipped some writes a different
// set of forecasts.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LAST_WEEK_SOURCE } from '../../model/quantile.js';
import { BulkProducer } from '../../platform/kafka/client.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { readTopicToEnd } from '../../platform/kafka/read-topic.js';
import { createPool } from '../../platform/postgres/pool.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';
import { PartitionWindower } from '../../processors/windower/windower.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';
import { simulateMarket } from '../../streams/simulator/market.js';
import { waitUntil } from './group-state.js';
import { config, createTestTopic, deleteTestTopics, readCommittedRecords, uniqueName, withAdmin } from './harness.js';
import { SdaChildren, stop } from './sda-children.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const children = new SdaChildren('forecaster');
const { waits } = children;
const explain = (group: string, topic: string) => children.explain(group, topic);
const waitCaughtUp = (group: string, topic: string, timeoutMs: number) => children.waitCaughtUp(group, topic, timeoutMs);

/**
 * `sda process forecaster` as a child process at a log level (warn: its warnings, the rebuild of a kept partition
 * among them). The live RMSE goes to model_metrics only when it stops (`--metrics-interval` a day); `after` deletes it.
 */
function forecaster(name: string, args: { input: string; output: string; group: string; registry: string }, level = 'warn'): ChildProcess {
  return children.spawn(name, args.group, ['process', 'forecaster', '--input', args.input, '--output', args.output, '--group', args.group, '--registry', args.registry, '--metrics-interval', '86400'], level);
}

/** Feature windows of `days` simulated days (two hubs' RT prices and the system series), under `market`. */
function windowsOf(market: string, start: number, days: number): FeatureWindow[] {
  const core = new PartitionWindower({ stepMs: HOUR });
  const out: FeatureWindow[] = [];
  for (const t of simulateMarket({ start, days, seed: 11, nodes: ['HB_NORTH', 'HB_WEST'], includeSystem: true }))
    out.push(...core.add({ ...t, market }, t.ingestedAt).windows);
  return out;
}

/** A forecast record's value and its Kafka record timestamp (ms since the epoch, decimal string). */
type StampedForecast = Forecast & { recordTimestamp: string };

/** The record timestamps of a topic's committed records (read_committed), keyed by `partition/offset`. */
async function recordTimestamps(p: Provisioned, topic: string): Promise<Map<string, string>> {
  return new Map((await readCommittedRecords(p, topic, 'test-fcre-ts', 3_000)).map((r) => [`${r.partition}/${r.offset}`, r.timestamp]));
}

/**
 * The committed (read_committed) Forecast records of a topic with their record timestamps, keyed by series and
 * target start (a key seen twice fails).
 */
async function forecastsOf(p: Provisioned, topic: string): Promise<Map<string, StampedForecast>> {
  const out = new Map<string, StampedForecast>();
  const records = await readTopicToEnd(p, topic, p.writers.forecasts, { idleMs: 2_000, groupPrefix: 'test-fcre-read' });
  const stamps = await recordTimestamps(p, topic);
  for (const r of records) {
    const k = `${r.value.seriesId}|${r.value.targetStart}`;
    assert.ok(!out.has(k), `one forecast per window on ${topic}: ${k} twice`);
    const recordTimestamp = stamps.get(`${r.partition}/${r.offset}`);
    assert.ok(recordTimestamp !== undefined, `${topic} ${r.partition}/${r.offset}: record timestamp read`);
    out.set(k, { ...r.value, recordTimestamp });
  }
  return out;
}

/** Within 1e-5 relative: the rebuilt state's forecasts come from other onnxruntime batches than the reference's. */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * (1 + Math.abs(a));

/**
 * `got` holds the same keys as `want` and, under each, a forecast with the same model version, issue time, step
 * sources and Kafka record timestamp (its window record's: the gateway's end-to-end latency is measured from it), and
 * P50, P10 and P90 within 1e-5 relative (`close`) at every step.
 */
function assertSameForecasts(want: Map<string, StampedForecast>, got: Map<string, StampedForecast>, tail: string): void {
  assert.deepEqual(
    [...got.keys()].sort(),
    [...want.keys()].sort(),
    `the regained run's forecasts are for the reference's windows (${got.size} vs ${want.size}); A's stderr: ${tail.slice(-1_500)}`,
  );
  for (const [k, x] of want) {
    const y = got.get(k)!;
    assert.equal(y.modelVersion, x.modelVersion, `${k}: model version`);
    assert.equal(y.issuedAt, x.issuedAt, `${k}: issued at`);
    assert.equal(y.recordTimestamp, x.recordTimestamp, `${k}: record timestamp`);
    assert.deepEqual(y.stepSources, x.stepSources, `${k}: step sources (a stale state falls back to the graph where last week's slot is missing)`);
    for (const q of ['values', 'p10', 'p90'] as const)
      x[q]!.forEach((v, h) => assert.ok(close(v, y[q]![h]!), `${k} step ${h + 1}: ${q} ${v} (uninterrupted) vs ${y[q]![h]} (regained)`));
  }
}

describe('forecaster: a partition lost and regained', () => {
  let p: Provisioned;
  const topics: string[] = [];
  const registries: string[] = [];
  const versions: string[] = [];
  const pool = createPool(config, 1);

  before(async () => {
    p = await provision(config, 'sda-test-forecaster-regained');
  });

  after(async () => {
    await children.stopAll();
    // The live RMSE rows the children wrote when they stopped.
    if (versions.length > 0) await pool.query('DELETE FROM model_metrics WHERE model_version = ANY($1::text[])', [versions]).catch(() => undefined);
    await pool.end();
    await deleteTestTopics(topics);
    for (const r of registries) await rm(r, { recursive: true, force: true });
  });

  it('a member that regains a partition another member moved on rebuilds its state and writes what an uninterrupted forecaster writes', async () => {
    const input = uniqueName('test.fcre.features');
    const outX = uniqueName('test.fcre.forecasts-x');
    const outRef = uniqueName('test.fcre.forecasts-ref');
    topics.push(input, outX, outRef);
    // One input partition: the member that gets it back holds it alone before and after the gap.
    for (const t of [input, outX, outRef]) await createTestTopic(t, 1);
    const market = `T${input.slice(-8).toUpperCase()}`;
    const registry = await mkdtemp(path.join(os.tmpdir(), 'sda-registry-'));
    registries.push(registry);
    // An 8-step quantile model: steps 3 and 6 served from same hour last week (the state), the graph's band elsewhere.
    const sources = ['lstm', 'lstm', 'lstm', 'lstm', 'baseline:same_hour_yesterday', 'lstm', 'lstm', 'lstm'];
    const model = await writeRandomModel(registry, {
      version: `fcre-${market}`,
      market,
      seriesIds: [],
      horizon: 8,
      units: 4,
      seed: 3,
      stepSources: sources,
      lastWeek: { steps: [3, 6] },
    });
    versions.push(model.version);

    // Day 0 for A alone; days 1-8 while A is stopped (B forecasts them); day 9 after A regains the partition. Day 9's
    // last-week steps look up slots of days 2-3, which only the windows of the gap hold.
    const start = Date.UTC(2024, 6, 1, 5);
    const all = windowsOf(market, start, 10);
    const phases = [
      all.filter((w) => w.windowEnd <= start + DAY),
      all.filter((w) => w.windowEnd > start + DAY && w.windowEnd <= start + 9 * DAY),
      all.filter((w) => w.windowEnd > start + 9 * DAY),
    ];
    assert.ok(
      phases.every((x) => x.length > 0),
      'every phase has windows',
    );
    const producer = new BulkProducer(config, 'sda-test-forecaster-regained-input');
    // Every window record gets its own timestamp (the test's start plus its index in `all`, ms: distinct, and within
    // the broker's accepted range of now), so the record-timestamp checks below fail when a forecast carries another
    // window's timestamp; without it a publish's records share the producer's one send time.
    const t0 = Date.now();
    const stampOf = new Map(all.map((w, i) => [w, String(t0 + i)]));
    const publish = (ws: FeatureWindow[]) =>
      producer.send(
        input,
        ws.map((w) => ({ key: w.seriesId, value: p.serde.encode(p.writers.features, w), timestamp: stampOf.get(w)! })),
      );

    const group = uniqueName('test-fcre-x');
    const args = { input, output: outX, group, registry };
    const members = async () => withAdmin(async (admin) => (await admin.describeGroups([group])).groups[0]?.members ?? []);
    const committed = async () => (await withAdmin((admin) => admin.fetchOffsets({ groupId: group, topics: [input] })))[0]!.partitions[0]!.offset;
    const offsets: string[] = [];
    let aLog = '';
    let aTail = '';
    try {
      await publish(phases[0]!);
      const a = forecaster('A', args);
      await waitCaughtUp(group, input, 90_000);
      offsets.push(await committed());

      // A stops answering: after the forecaster's session timeout (10 s) the coordinator removes it; its process keeps
      // its in-memory state of partition 0.
      a.kill('SIGSTOP');
      await waitUntil(
        'the stopped member A to be removed from the group',
        waits.take(60_000),
        async () => (await members()).length === 0,
        () => explain(group, input),
        500,
      );

      // B gets the partition (its producer fences A's), rebuilds it from day 0, forecasts days 1-8, commits, leaves.
      await publish(phases[1]!);
      const b = forecaster('B', args);
      await waitCaughtUp(group, input, 120_000);
      await stop(b);
      offsets.push(await committed());

      await publish(phases[2]!);
      a.kill('SIGCONT');
      await waitCaughtUp(group, input, 120_000);
      offsets.push(await committed());
      ({ log: aLog, tail: aTail } = children.of(a));
      await stop(a);

      const refGroup = uniqueName('test-fcre-ref');
      const ref = forecaster('ref', { ...args, output: outRef, group: refGroup });
      try {
        await waitCaughtUp(refGroup, input, 120_000);
      } finally {
        await stop(ref);
      }
    } finally {
      await producer.close();
    }

    assert.ok(
      BigInt(offsets[1]!) > BigInt(offsets[0]!) && BigInt(offsets[2]!) > BigInt(offsets[1]!),
      `B committed the gap, A the day after (offsets ${offsets.join(' -> ')})`,
    );
    assert.match(
      aLog,
      /kept partition moved on by another member/,
      `A kept the partition across the gap and found its state behind the group; A's stderr: ${aTail.slice(-1_500)}`,
    );
    const expected = await forecastsOf(p, outRef);
    const got = await forecastsOf(p, outX);
    assert.equal(expected.size, all.filter((w) => w.kind === 'RT_PRICE' && w.count > 0).length, 'the reference forecast every served window');
    // The comparison has teeth: after the gap the reference served step 3 from last week's values, slots that only the
    // gap's windows hold (a stale state falls back to the graph there, with another step source).
    const afterGap = [...expected.values()].filter((f) => f.targetStart > start + 9 * DAY);
    const fromLastWeek = afterGap.filter((f) => f.stepSources?.[2] === LAST_WEEK_SOURCE).length;
    assert.ok(
      afterGap.length > 0 && fromLastWeek >= afterGap.length / 2,
      `forecasts after the gap served from last week: ${fromLastWeek} of ${afterGap.length}`,
    );
    // Each forecast record carries its own window record's timestamp (the windows here are written once each, each with
    // its own timestamp).
    const windowStamps = await recordTimestamps(p, input);
    const windowRecords = await readTopicToEnd(p, input, p.writers.features, { idleMs: 2_000, groupPrefix: 'test-fcre-read' });
    const windowStamp = new Map(windowRecords.map((r) => [`${r.value.seriesId}|${r.value.windowEnd}`, windowStamps.get(`${r.partition}/${r.offset}`)]));
    const served = [...expected.keys()].map((k) => windowStamp.get(k));
    assert.equal(new Set(served).size, served.length, 'the forecast windows have distinct record timestamps (else the check below cannot tell them apart)');
    for (const [k, f] of expected) assert.equal(f.recordTimestamp, windowStamp.get(k), `${k}: the reference's record timestamp is its window record's`);
    assertSameForecasts(expected, got, aTail);
  });
});
