// `sda demo`: the main job end to end, for a newcomer: the stack comes up, schemas are registered, a simulated
// ERCOT-like market and the real taylor demand series flow through Kafka into PostgreSQL, and a handful of ticks
// are produced, consumed back, decoded and printed, with a poison record shown arriving on the dead-letter topic.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/config.js';
import { formatStatus, stackStatus, stackUp } from '../deploy/local/stack.js';
import type { DeadLetter, MarketTick, PointType, TickKind } from '../schemas/types.js';
import { createConsumer, createProducer, sendRecords } from '../streams/kafka/client.js';
import { DeadLetterPublisher } from '../streams/kafka/dead-letter.js';
import { type DecodedRecord, runDecodingConsumer } from '../streams/kafka/decoding-consumer.js';
import { type Provisioned, provision } from '../streams/kafka/provision.js';
import { simulateMarket } from '../streams/simulator/market.js';
import { TAYLOR_LENGTH, TAYLOR_SERIES, ensureTaylorCsv, taylorParsed } from '../streams/taylor.js';
import { TickPublisher } from '../streams/tick-publisher.js';
import { createPool } from '../sinks/postgres/pool.js';
import { startTicksSink } from '../sinks/postgres/ticks-sink.js';
import { startFeaturesSink } from '../sinks/postgres/features-sink.js';
import { startWindower } from '../processors/windower/processor.js';
import { TOPICS, groupCaughtUp } from '../streams/kafka/topics.js';

const HOUR = 3_600_000;

/** A few plausible ERCOT ticks for the last whole hours: hub and zone prices, system load, wind, solar. */
export function demoTicks(now = Date.now()): MarketTick[] {
  const end = Math.floor(now / HOUR) * HOUR;
  const series: Array<[string, PointType, TickKind, string, (h: number) => number]> = [
    ['HB_NORTH', 'HUB', 'RT_PRICE', 'USD/MWh', (h) => 28 + 9 * Math.sin(h / 3)],
    ['HB_WEST', 'HUB', 'RT_PRICE', 'USD/MWh', (h) => (h % 4 === 0 ? -4.5 : 21 + 6 * Math.cos(h / 2))],
    ['LZ_HOUSTON', 'LOAD_ZONE', 'RT_PRICE', 'USD/MWh', (h) => 31 + 7 * Math.sin(h / 2)],
    ['SYSTEM', 'SYSTEM', 'LOAD', 'MW', (h) => 52_000 + 6_000 * Math.sin(h / 4)],
    ['SYSTEM', 'SYSTEM', 'WIND', 'MW', (h) => 14_000 + 3_000 * Math.cos(h / 5)],
    ['SYSTEM', 'SYSTEM', 'SOLAR', 'MW', (h) => Math.max(0, 9_000 * Math.sin(((h % 24) - 6) / 12 * Math.PI))],
  ];
  const ticks: MarketTick[] = [];
  for (let i = 3; i >= 1; i--) {
    const start = end - i * HOUR;
    for (const [seriesId, pointType, kind, unit, f] of series) {
      ticks.push({ market: 'ERCOT', seriesId, pointType, kind, intervalStart: start, intervalEnd: start + HOUR, value: Math.round(f(start / HOUR) * 100) / 100, unit, source: 'demo', ingestedAt: now });
    }
  }
  return ticks;
}

export async function runDemo(config: Config, print: (line: string) => void): Promise<{ consumed: number; deadLettered: number }> {
  print('1/7  stack: PostgreSQL, Kafka (KRaft), Apicurio Registry, Prometheus');
  await stackUp(config, { print });
  print(formatStatus(await stackStatus(config)));

  print('\n2/7  topics and Avro schemas (TopicNameStrategy subjects, BACKWARD compatibility)');
  const provisioned = await provision(config, 'sda-demo');
  const { kafka, serde, writers } = provisioned;
  for (const w of Object.values(writers)) print(`     ${w.subject.padEnd(40)} schema id ${w.schemaId}`);

  await demoMarketData(config, provisioned, print);
  await demoFeatures(config, provisioned, print);

  const runTag = randomUUID();
  const ticks = demoTicks();
  const producer = createProducer(kafka);
  await producer.connect();
  // The consumer joins first and reads from the end, so it sees exactly this run's records.
  print(`\n6/7  round trip: a fresh consumer group (sda-demo-${runTag.slice(0, 8)}) joins ${TOPICS.ticks.name} at its end`);
  const consumer = createConsumer(kafka, `sda-demo-${runTag}`);
  const dlqConsumer = createConsumer(kafka, `sda-demo-dlq-${runTag}`);
  await Promise.all([consumer.connect(), dlqConsumer.connect()]);
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  const deadLetters = new DeadLetterPublisher(serde, writers.deadLetters, producer, 'sda-demo');
  const mine: DecodedRecord<MarketTick>[] = [];
  const letters: DeadLetter[] = [];
  await runDecodingConsumer<MarketTick>({
    consumer,
    serde,
    deadLetters,
    topic: TOPICS.ticks.name,
    reader: writers.ticks,
    fromBeginning: false,
    handle: async (records) => {
      mine.push(...records.filter((r) => r.headers['sda.demo-run'] === runTag));
    },
  });
  await joined;
  await new Promise((r) => setTimeout(r, 500)); // the fetch positions are set just after the join

  print(`\n7/7  producing ${ticks.length} MarketTick records (key = series id) and 1 poison record; consuming, decoding, dead-lettering what does not decode`);
  const runStart = Date.now();
  await sendRecords(
    producer,
    TOPICS.ticks.name,
    ticks.map((t) => ({ key: t.seriesId, value: serde.encode(writers.ticks, t), headers: { 'sda.demo-run': runTag, 'sda.kind': t.kind } })),
  );
  await sendRecords(producer, TOPICS.ticks.name, [{ key: 'HB_NORTH', value: Buffer.from('{"price": "not avro"}'), headers: { 'sda.demo-run': runTag } }]);
  await dlqConsumer.subscribe({ topic: TOPICS.deadLetters.name, fromBeginning: true });
  await dlqConsumer.run({
    eachMessage: async ({ message }) => {
      // market.dlq is shared; a record there that does not decode is skipped, never allowed to stall the reader.
      const decoded = await serde.decode<DeadLetter>(message.value, writers.deadLetters).catch(() => undefined);
      const value = decoded?.value;
      if (value && value.processor === 'sda-demo' && value.failedAt >= runStart) letters.push(value);
    },
  });
  const deadline = Date.now() + 60_000;
  while ((mine.length < ticks.length || letters.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await Promise.all([consumer.disconnect(), dlqConsumer.disconnect(), producer.disconnect()]);

  mine.sort((a, b) => a.value.intervalStart - b.value.intervalStart || a.value.seriesId.localeCompare(b.value.seriesId) || a.value.kind.localeCompare(b.value.kind));
  print(`\n     ${'interval start (UTC)'.padEnd(22)}${'series'.padEnd(12)}${'kind'.padEnd(10)}${'value'.padStart(12)} unit      partition/offset`);
  for (const r of mine) {
    const t = r.value;
    print(`     ${new Date(t.intervalStart).toISOString().slice(0, 16).padEnd(22)}${t.seriesId.padEnd(12)}${t.kind.padEnd(10)}${t.value.toFixed(2).padStart(12)} ${t.unit.padEnd(9)} ${r.partition}/${r.offset}`);
  }
  for (const l of letters.slice(0, 1)) print(`\n     dead letter: ${l.topic}[${l.partition}]@${l.offset} reason=${l.reasonCode}: ${l.message}`);
  print(`\nDemo done: ${mine.length}/${ticks.length} ticks round-tripped through Kafka + the registry, ${letters.length} poison record dead-lettered.`);
  print('Next: `./sda simulate --days 30`, `./sda replay <files>`, `./sda process postgres-sink`, `./sda bench ingest` (see README).');
  print('The stack keeps running: `./sda stack status`, `./sda stack down`.');
  if (mine.length !== ticks.length || letters.length < 1) throw new Error('the demo did not see all its records come back within 60 s; check `sda stack status` and .cache/logs/');
  return { consumed: mine.length, deadLettered: letters.length };
}

const DEMO_SIM = { start: Date.UTC(2024, 6, 1, 5), days: 2, seed: 42 };

/** Steps 3 and 4: simulated and real market data into Kafka, then the PostgreSQL sink stores it. */
async function demoMarketData(config: Config, p: Provisioned, print: (line: string) => void): Promise<void> {
  print(`\n3/7  market data in: ${DEMO_SIM.days} simulated days of an ERCOT-like market (seed ${DEMO_SIM.seed}) and the real taylor demand series`);
  const publisher = new TickPublisher(config, p, 'demo');
  // Oldest first: the windower keeps one watermark per partition, so event time should move forward.
  const taylorFile = await ensureTaylorCsv(config, (m) => print(`     taylor: ${m}`));
  const taylor = taylorParsed(fs.readFileSync(taylorFile, 'utf8'), Date.now());
  await publisher.add(taylor);
  print(`     taylor: ${TAYLOR_LENGTH.toLocaleString('en-US')} half-hourly England & Wales demand values (June-August 2000) published as ${TAYLOR_SERIES}`);
  const t0 = Date.now();
  const simulated = [...simulateMarket(DEMO_SIM)].map((tick) => ({ ok: true as const, tick }));
  await publisher.add(simulated);
  await publisher.flush();
  const simSecs = (Date.now() - t0) / 1_000;
  print(`     simulator: ${simulated.length.toLocaleString('en-US')} ticks published to ${TOPICS.ticks.name} in ${simSecs.toFixed(1)} s`);
  const counts = await publisher.close();
  print(`     counts reconcile: ${counts.read.toLocaleString('en-US')} read = ${counts.accepted.toLocaleString('en-US')} accepted + ${counts.deadLettered} dead-lettered`);

  print('\n4/7  PostgreSQL sink: market.ticks -> market_data (COPY, idempotent, offsets committed after the database)');
  const pool = createPool(config, 1);
  const sink = await startTicksSink(config, {}, p);
  try {
    const simEnd = DEMO_SIM.start + DEMO_SIM.days * 86_400_000;
    // Stored means: a row with the same key and the same value, whichever source wrote it first.
    const ticks = simulated.map((s) => s.tick);
    const stored = async () => {
      const r = await pool.query<{ sim: string; taylor: string }>(
        `SELECT (SELECT count(*) FROM market_data m
                   JOIN unnest($1::text[], $2::text[], $3::bigint[], $4::float8[]) AS t(series_id, kind, start_ms, value)
                     ON m.market = 'ERCOT' AND m.series_id = t.series_id AND m.kind = t.kind
                    AND m.interval_start = timestamptz 'epoch' + t.start_ms * interval '1 millisecond' AND m.value = t.value) AS sim,
                (SELECT count(*) FROM market_data WHERE market = 'GB' AND series_id = $5) AS taylor`,
        [ticks.map((t) => t.seriesId), ticks.map((t) => t.kind), ticks.map((t) => t.intervalStart), ticks.map((t) => t.value), TAYLOR_SERIES],
      );
      return { sim: Number(r.rows[0]!.sim), taylor: Number(r.rows[0]!.taylor) };
    };
    const deadline = Date.now() + 120_000;
    let now = await stored();
    while ((now.sim < simulated.length || now.taylor < TAYLOR_LENGTH) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      now = await stored();
    }
    print(`     market_data holds all ${now.sim.toLocaleString('en-US')} simulated ticks and ${now.taylor.toLocaleString('en-US')} taylor values`);
    const hubs = await pool.query<{ series_id: string; n: string; mean: number; min: number; max: number; negative: string }>(
      `SELECT series_id, count(*) AS n, avg(value) AS mean, min(value) AS min, max(value) AS max, count(*) FILTER (WHERE value < 0) AS negative
         FROM market_data WHERE market = 'ERCOT' AND kind = 'RT_PRICE' AND point_type = 'HUB' AND interval_start >= $1 AND interval_start < $2
        GROUP BY series_id ORDER BY series_id`,
      [new Date(DEMO_SIM.start), new Date(simEnd)],
    );
    print(`     ${'hub'.padEnd(12)}${'RT intervals'.padStart(13)}${'mean $/MWh'.padStart(12)}${'min'.padStart(10)}${'max'.padStart(10)}${'negative'.padStart(10)}`);
    for (const h of hubs.rows) print(`     ${h.series_id.padEnd(12)}${h.n.padStart(13)}${h.mean.toFixed(2).padStart(12)}${h.min.toFixed(2).padStart(10)}${h.max.toFixed(2).padStart(10)}${h.negative.padStart(10)}`);
    if (now.sim < simulated.length || now.taylor < TAYLOR_LENGTH) throw new Error('the sink did not store the demo data within 120 s; check `sda stack status` and .cache/logs/');
  } finally {
    await sink.stop();
    await pool.end();
  }
}

async function caughtUp(p: Provisioned, group: string, topic: string): Promise<boolean> {
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    return await groupCaughtUp(admin, group, topic);
  } finally {
    await admin.disconnect();
  }
}

/** Step 5: the windower turns market.ticks into feature windows exactly once; the features sink stores them. */
async function demoFeatures(config: Config, p: Provisioned, print: (line: string) => void): Promise<void> {
  print('\n5/7  windower: market.ticks -> rolling 24-hour windows and features on market.features (one Kafka transaction per batch) -> features table');
  const windower = await startWindower(config, {}, p);
  const sink = await startFeaturesSink(config, {}, p);
  const pool = createPool(config, 1);
  try {
    const deadline = Date.now() + 120_000;
    // market.features is transactional (commit markers take offsets), so the sink is compared by counts instead.
    while (!((await caughtUp(p, 'sda-windower', TOPICS.ticks.name)) && sink.counts.stored >= windower.counts.windows) && Date.now() < deadline) {
      if (windower.crashed) throw new Error(`the windower stopped: ${windower.crashed.message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    print(`     this run: ${windower.counts.windows.toLocaleString('en-US')} windows from ${windower.counts.received.toLocaleString('en-US')} ticks in ${windower.counts.transactions} transactions; ${windower.counts.deadLettered} ticks dead-lettered (late: older than the partition's watermark, e.g. a re-run's data)`);
    const rows = await pool.query<{ window_end: Date; count: number; missing: number; mean: number; std: number; trend: number; lag_24h: number | null; system_load: number | null }>(
      `SELECT window_end, count, missing, mean, std, trend, lag_24h, system_load FROM features
        WHERE market = 'ERCOT' AND series_id = 'HB_NORTH' AND kind = 'RT_PRICE' AND step_ms = 3600000 AND count >= 20
        ORDER BY window_end DESC LIMIT 4`,
    );
    print(`     HB_NORTH RT, the latest well-filled hourly windows of 24 points (features table):`);
    print(`     ${'window end (UTC)'.padEnd(20)}${'points'.padStart(8)}${'mean'.padStart(9)}${'std'.padStart(8)}${'trend/h'.padStart(9)}${'lag 24h'.padStart(9)}${'system load'.padStart(13)}`);
    const f = (v: number | null, d = 2) => (v === null ? '-' : v.toFixed(d));
    for (const r of rows.rows.reverse()) {
      print(`     ${r.window_end.toISOString().slice(0, 16).padEnd(20)}${`${r.count}/${r.count + r.missing}`.padStart(8)}${f(r.mean).padStart(9)}${f(r.std).padStart(8)}${f(r.trend).padStart(9)}${f(r.lag_24h).padStart(9)}${f(r.system_load, 0).padStart(13)}`);
    }
    if (!(await caughtUp(p, 'sda-windower', TOPICS.ticks.name))) throw new Error('the windower did not catch up with market.ticks within 120 s; check `sda stack status` and .cache/logs/');
    if (rows.rowCount === 0) {
      // Only possible when market.ticks already held newer data before the demo's: its ticks are then late.
      print('     (none: market.ticks already held newer data, so the demo\'s ticks were late for the windower; replay history into its own topic, see README "Windower")');
    }
  } finally {
    await sink.stop();
    await windower.stop();
    await pool.end();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the pipeline end to end: stack up, schemas registered, simulated and real market data through Kafka into PostgreSQL, a round trip printed, a poison record dead-lettered')
    .action(async () => {
      await runDemo(loadConfig(), (line) => process.stdout.write(`${line}\n`));
    });
}
