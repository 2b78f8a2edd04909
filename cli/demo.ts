// `sda demo`: the main job end to end, for a newcomer. Today: the stack comes up, schemas are registered,
// a handful of ticks are produced as Avro, consumed back, decoded and printed; a poison record is sent too
// and shown arriving on the dead-letter topic.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/config.js';
import { formatStatus, stackStatus, stackUp } from '../deploy/local/stack.js';
import type { DeadLetter, MarketTick, PointType, TickKind } from '../schemas/types.js';
import { createConsumer, createProducer, sendRecords } from '../streams/kafka/client.js';
import { DeadLetterPublisher } from '../streams/kafka/dead-letter.js';
import { type DecodedRecord, runDecodingConsumer } from '../streams/kafka/decoding-consumer.js';
import { provision } from '../streams/kafka/provision.js';
import { TOPICS } from '../streams/kafka/topics.js';

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
  print('1/4  stack: PostgreSQL, Kafka (KRaft), Apicurio Registry, Prometheus');
  await stackUp(config, { print });
  print(formatStatus(await stackStatus(config)));

  print('\n2/4  topics and Avro schemas (TopicNameStrategy subjects, BACKWARD compatibility)');
  const { kafka, serde, writers } = await provision(config, 'sda-demo');
  for (const w of Object.values(writers)) print(`     ${w.subject.padEnd(40)} schema id ${w.schemaId}`);

  const runTag = randomUUID();
  const ticks = demoTicks();
  const producer = createProducer(kafka);
  await producer.connect();
  print(`\n3/4  producing ${ticks.length} MarketTick records to ${TOPICS.ticks.name} (key = series id) and 1 poison record`);
  await sendRecords(
    producer,
    TOPICS.ticks.name,
    ticks.map((t) => ({ key: t.seriesId, value: serde.encode(writers.ticks, t), headers: { 'sda.demo-run': runTag, 'sda.kind': t.kind } })),
  );
  await sendRecords(producer, TOPICS.ticks.name, [{ key: 'HB_NORTH', value: Buffer.from('{"price": "not avro"}'), headers: { 'sda.demo-run': runTag } }]);

  print(`\n4/4  consuming them back (group sda-demo-${runTag.slice(0, 8)}), decoding, dead-lettering what does not decode`);
  const consumer = createConsumer(kafka, `sda-demo-${runTag}`);
  const dlqConsumer = createConsumer(kafka, `sda-demo-dlq-${runTag}`);
  await Promise.all([consumer.connect(), dlqConsumer.connect()]);
  const deadLetters = new DeadLetterPublisher(serde, writers.deadLetters, producer, 'sda-demo');
  const mine: DecodedRecord<MarketTick>[] = [];
  const letters: DeadLetter[] = [];
  await runDecodingConsumer<MarketTick>({
    consumer,
    serde,
    deadLetters,
    topic: TOPICS.ticks.name,
    reader: writers.ticks,
    handle: async (records) => {
      mine.push(...records.filter((r) => r.headers['sda.demo-run'] === runTag));
    },
  });
  await dlqConsumer.subscribe({ topic: TOPICS.deadLetters.name, fromBeginning: true });
  await dlqConsumer.run({
    eachMessage: async ({ message }) => {
      const { value } = await serde.decode<DeadLetter>(message.value, writers.deadLetters);
      if (value.processor === 'sda-demo' && value.raw.toString().includes('not avro') && value.failedAt >= ticks[0]!.ingestedAt) letters.push(value);
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
  print('The stack keeps running: `sda stack status`, `sda stack down`.');
  if (mine.length !== ticks.length || letters.length < 1) throw new Error('the demo did not see all its records come back within 60 s; check `sda stack status` and .cache/logs/');
  return { consumed: mine.length, deadLettered: letters.length };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the pipeline end to end: stack up, schemas registered, ticks produced, consumed and printed, a poison record dead-lettered')
    .action(async () => {
      await runDemo(loadConfig(), (line) => process.stdout.write(`${line}\n`));
    });
}
