// trace: D.sources
// The simulator and replay commands end to end, and the real taylor series, against the real services.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import type { MarketTick } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { createConsumer, createKafka } from '../../platform/kafka/client.js';
import { type Provisioned, ensureTicksTopic, provision } from '../../platform/kafka/provision.js';
import { REPLAY_FORMATS } from '../../streams/replay/formats.js';
import { replay } from '../../streams/replay/replay.js';
import { TAYLOR_LENGTH, TAYLOR_SERIES, TAYLOR_START, ensureTaylorCsv, taylorParsed } from '../../streams/taylor.js';
import { TickPublisher } from '../../streams/tick-publisher.js';
import { config, deleteTestTopics, sda, uniqueName, until } from './harness.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-replay-'));
const fixtures = path.join(projectRoot(), 'test', 'fixtures', 'ercot');

async function readTopic(p: Provisioned, topic: string, expected: number): Promise<Array<{ tick: MarketTick; partition: number; offset: number }>> {
  const consumer = createConsumer(createKafka(config, 'sda-test-reader'), uniqueName('test-reader'));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Array<{ tick: MarketTick; partition: number; offset: number }> = [];
  await consumer.run({ eachMessage: async ({ message, partition }) => void out.push({ tick: (await p.serde.decode<MarketTick>(message.value, p.writers.ticks)).value, partition, offset: Number(message.offset) }) });
  await until(() => out.length >= expected, 60_000, `${expected} ticks on ${topic}`);
  await new Promise((r) => setTimeout(r, 300));
  await consumer.disconnect();
  return out;
}

describe('simulate, replay and the taylor import', () => {
  const topics: string[] = [];
  let p: Provisioned;
  before(async () => {
    p = await provision(config, 'sda-test-replay');
  });
  after(async () => {
    await deleteTestTopics(topics);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('`sda simulate --out` is deterministic for a seed and differs across seeds', async () => {
    const files = ['a', 'b', 'c'].map((n) => path.join(tmp, `${n}.csv`));
    for (const [file, seed] of [[files[0]!, '7'], [files[1]!, '7'], [files[2]!, '8']] as const) {
      const r = await sda(['simulate', '--days', '2', '--start', '2024-08-01', '--seed', seed, '--out', file]);
      assert.equal(r.code, 0, r.stderr);
    }
    const hash = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    assert.equal(hash(files[0]!), hash(files[1]!));
    assert.notEqual(hash(files[0]!), hash(files[2]!));
    const lines = fs.readFileSync(files[0]!, 'utf8').trim().split('\n');
    assert.equal(lines.length - 1, 2 * (9 * 96 + 9 * 24 + 3 * 96 + 8 * 24), 'a header and every tick of 2 days');
  });

  it('`sda replay` publishes simulated and ERCOT MIS files to its own topic in event-time order with a reconciling summary', async () => {
    const topic = uniqueName('test.replay');
    topics.push(topic);
    const sim = path.join(tmp, 'sim.csv');
    assert.equal((await sda(['simulate', '--days', '1', '--start', '2024-11-02', '--nodes', 'HB_NORTH,HB_WEST', '--no-system', '--out', sim])).code, 0);
    // A gap of one interval in the simulated file, and one unreadable line.
    const simLines = fs.readFileSync(sim, 'utf8').trim().split('\n');
    simLines[5] = simLines[5]!.replace(/,(-?[\d.]+),USD\/MWh,/, ',,USD/MWh,');
    simLines.push('ERCOT,HB_NORTH,HUB,RT_PRICE,not-a-time,2024-11-03T00:15:00Z,1,USD/MWh,simulator,false');
    fs.writeFileSync(sim, `${simLines.join('\n')}\n`);
    const files = [sim, path.join(fixtures, 'rt-spp-2024-11-03-fall.csv'), path.join(fixtures, 'dam-spp-2024-11-03-fall.csv')];
    const r = await sda(['replay', ...files, '--topic', topic]);
    assert.equal(r.code, 0, r.stderr);
    const simTicks = simLines.length - 2; // header and the bad line
    const expected = simTicks + 100 + 25;
    assert.match(r.stdout, new RegExp(`replayed ${expected} ticks \\(1 imputed\\), 1 dead-lettered, of ${expected + 1} parsed`));
    assert.match(r.stdout, /rt-spp-2024-11-03-fall\.csv: ercot-mis-rt-spp, 100 rows/);

    const got = await readTopic(p, topic, expected);
    assert.equal(got.length, expected, 'each tick once');
    // Within every partition, offsets follow event time.
    for (const part of new Set(got.map((g) => g.partition))) {
      const inPart = got.filter((g) => g.partition === part).sort((a, b) => a.offset - b.offset);
      for (let i = 1; i < inPart.length; i++) assert.ok(inPart[i]!.tick.intervalStart >= inPart[i - 1]!.tick.intervalStart, 'event-time order');
    }
    // The fall-back day (25 hours from 05:00Z): 25 distinct hourly DAM intervals at HB_HOUSTON, 100 RT at HB_NORTH.
    const fallDay = (g: { tick: MarketTick }) => g.tick.intervalStart >= Date.UTC(2024, 10, 3, 5) && g.tick.intervalEnd <= Date.UTC(2024, 10, 4, 6);
    const dam = got.filter((g) => g.tick.seriesId === 'HB_HOUSTON' && g.tick.kind === 'DAM_PRICE' && fallDay(g));
    assert.equal(new Set(dam.map((g) => g.tick.intervalStart)).size, 25);
    const rt = got.filter((g) => g.tick.seriesId === 'HB_NORTH' && g.tick.kind === 'RT_PRICE' && fallDay(g) && g.tick.source === 'file-replay');
    assert.ok(rt.length >= 100, 'the MIS file\'s 100 intervals (the simulated HB_NORTH day may overlap)');
    assert.equal(got.filter((g) => g.tick.imputed).length, 1);
  });

  it('a paced replay spaces intervals by event time divided by the speed', async () => {
    const topic = uniqueName('test.paced');
    topics.push(topic);
    await ensureTicksTopic(config, p, topic);
    const file = path.join(tmp, 'paced.csv');
    assert.equal((await sda(['simulate', '--days', '0.25', '--start', '2024-08-01', '--nodes', 'HB_NORTH', '--no-system', '--out', file])).code, 0);
    const waits: number[] = [];
    const publisher = new TickPublisher(config, p, 'test-paced', { topic });
    const summary = await replay([file], REPLAY_FORMATS, publisher, { speed: 3_600, sleep: async (ms) => void waits.push(ms) });
    await publisher.close();
    assert.equal(summary.accepted, 24 + 6, '6 hours of 15-minute RT and hourly DAM');
    // The test's sleep returns at once, so each wait is the distance from now to the interval's due time: at 3600x,
    // 15 minutes of event time are 250 ms apart and the last interval (5 h 45 min in) is due 5.75 s after the start.
    assert.equal(waits.length, 23);
    const last = waits[waits.length - 1]!;
    assert.ok(last > 5_000 && last <= 5_750, `last wait ${last} ms`);
    for (let i = 1; i < waits.length; i++) assert.ok(Math.abs(waits[i]! - waits[i - 1]! - 250) < 150, `step ${i}: ${waits[i - 1]} -> ${waits[i]} ms`);
  });

  it('imports the real taylor series (4,032 half-hours, England and Wales, from June 2000) with its run recorded', async () => {
    const file = await ensureTaylorCsv(config);
    const items = taylorParsed(fs.readFileSync(file, 'utf8'), Date.now());
    assert.equal(items.length, TAYLOR_LENGTH);
    const first = items[0]!;
    assert.ok(first.ok && first.tick.value === 22_262 && first.tick.intervalStart === TAYLOR_START && first.tick.seriesId === TAYLOR_SERIES);
    // A topic of the test's own: the shared market.ticks keeps only the demo's and the user's event time.
    const topic = uniqueName('test.taylor');
    const r = await sda(['ingest', 'taylor', '--topic', topic]);
    assert.equal(r.code, 0, r.stderr);
    const runId = /run ([0-9a-f-]{36})/.exec(r.stdout)?.[1];
    assert.ok(runId, r.stdout);
    const pool = createPool(config, 1);
    try {
      const row = await pool.query<{ status: string; rows_accepted: string }>('SELECT status, rows_accepted FROM ingest_runs WHERE run_id = $1', [runId]);
      assert.deepEqual(row.rows.map((x) => [x.status, Number(x.rows_accepted)]), [['succeeded', TAYLOR_LENGTH]]);
    } finally {
      await pool.end();
      await deleteTestTopics([topic]);
    }
  });

  it('a replay of a file with an unknown header fails naming the file and the supported layouts', async () => {
    const bad = path.join(tmp, 'bad.csv');
    fs.writeFileSync(bad, 'when,what\n1,2\n');
    const r = await sda(['replay', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.csv has an unknown header "when,what"; supported: sda-csv, ercot-mis-rt-spp, ercot-mis-dam-spp, ercot-mis-load/);
  });
});
