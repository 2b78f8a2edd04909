// Produce-then-consume round trip of Avro MarketTicks through the real broker and schema registry.
// The baseline, in the same run, sends the same bytes without Avro encoding or decoding, so the figures
// separate the cost of the client + broker from the cost of our serde.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { loadSchema } from '../schemas/catalog.js';
import type { MarketTick, PointType } from '../schemas/types.js';
import { BulkProducer, type Kafka, type OutgoingRecord, createConsumer, createKafka, createProducer } from '../platform/kafka/client.js';
import { AvroSerde, type Writer } from '../platform/kafka/avro-serde.js';
import { freshTopics } from './topics.js';

const SERIES: Array<[string, PointType]> = [
  ['HB_NORTH', 'HUB'], ['HB_SOUTH', 'HUB'], ['HB_WEST', 'HUB'], ['HB_HOUSTON', 'HUB'],
  ['LZ_NORTH', 'LOAD_ZONE'], ['LZ_SOUTH', 'LOAD_ZONE'], ['LZ_WEST', 'LOAD_ZONE'], ['LZ_HOUSTON', 'LOAD_ZONE'],
];

export function benchTick(i: number, t0: number): MarketTick {
  const [seriesId, pointType] = SERIES[i % SERIES.length]!;
  const start = t0 + Math.floor(i / SERIES.length) * 900_000;
  return { market: 'ERCOT', seriesId, pointType, kind: 'RT_PRICE', intervalStart: start, intervalEnd: start + 900_000, value: 20 + (i % 97) * 0.37, unit: 'USD/MWh', source: 'bench', ingestedAt: t0 };
}

interface PhaseResult {
  messages: number;
  bytes: number;
  seconds: number;
}

function rate(p: PhaseResult) {
  return { msgsPerSec: Math.round(p.messages / p.seconds), mbPerSec: Number((p.bytes / p.seconds / 1_048_576).toFixed(1)), seconds: Number(p.seconds.toFixed(2)) };
}

type ClientName = 'kafkajs' | 'platformatic';

/** A send function over one of the clients; kafkajs gets `inflight` concurrent requests (its producer queues them). */
async function openSender(config: Config, kafka: Kafka, client: ClientName, topic: string, inflight: number) {
  if (client === 'platformatic') {
    const bulk = new BulkProducer(config, 'sda-bench-bulk');
    // Two workers: one encodes the next batch while the other's request is in flight (sends stay serialised).
    return { send: (records: OutgoingRecord[]) => bulk.send(topic, records), close: () => bulk.close(), workers: 2 };
  }
  const producer = createProducer(kafka);
  await producer.connect();
  return { send: async (records: OutgoingRecord[]) => void (await producer.send({ topic, acks: -1, messages: records as never })), close: () => producer.disconnect(), workers: inflight };
}

/** Sends `n` records built by `make`, `batch` per request; kafkajs with up to `inflight` requests at once. */
async function producePhase(config: Config, kafka: Kafka, client: ClientName, topic: string, n: number, batch: number, inflight: number, make: (i: number) => { key: string; value: Buffer }, progress: (done: number) => void): Promise<PhaseResult> {
  const sender = await openSender(config, kafka, client, topic, inflight);
  let bytes = 0;
  let next = 0;
  let done = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < n) {
      const from = next;
      const to = Math.min(n, from + batch);
      next = to;
      const messages: OutgoingRecord[] = new Array(to - from);
      for (let i = from; i < to; i++) {
        const m = make(i);
        bytes += m.value.length + m.key.length;
        messages[i - from] = m;
      }
      await sender.send(messages);
      done += to - from;
      progress(done);
    }
  };
  await Promise.all(Array.from({ length: sender.workers }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sender.close();
  return { messages: n, bytes, seconds };
}

async function consumePhase(kafka: Kafka, topic: string, n: number, decode: (v: Buffer) => void, progress: (done: number) => void): Promise<PhaseResult> {
  const consumer = createConsumer(kafka, `bench-${topic}-${Date.now()}`, { maxBytesPerPartition: 16 * 1_048_576, maxBytes: 64 * 1_048_576, minBytes: 1, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let bytes = 0;
  let t0 = 0n;
  let t1 = 0n;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 5_000,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      if (t0 === 0n) t0 = process.hrtime.bigint();
      for (const m of batch.messages) {
        decode(m.value!);
        bytes += m.value!.length + (m.key?.length ?? 0);
      }
      count += batch.messages.length;
      progress(count);
      if (count >= n) {
        if (t1 === 0n) t1 = process.hrtime.bigint();
        finish();
      }
    },
  });
  await finished;
  await consumer.disconnect();
  return { messages: count, bytes, seconds: Number(t1 - t0) / 1e9 };
}

function progressPrinter(label: string, n: number): (done: number) => void {
  let lastPct = -1;
  return (done) => {
    const pct = Math.floor((done / n) * 10) * 10;
    if (pct !== lastPct) {
      lastPct = pct;
      process.stderr.write(`\r  ${label.padEnd(22)} ${String(pct).padStart(3)}% (${done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')})${done >= n ? '\n' : ''}`);
    }
  };
}

export interface RoundtripOptions {
  messages: number;
  /** Records per produce request for the bulk (platformatic) producer. */
  batch: number;
  /** Records per request for kafkajs, whose per-request grouping is quadratic: 1,000 measured best here. */
  kafkajsBatch?: number;
  baseline: boolean;
  inflight?: number;
  partitions?: number;
}

export async function runRoundtripBench(config: Config, opts: RoundtripOptions) {
  const inflight = opts.inflight ?? 4;
  const kafkajsBatch = opts.kafkajsBatch ?? 1_000;
  const partitions = opts.partitions ?? config.kafka.partitions;
  const kafka = createKafka(config, 'sda-bench');
  const serde = new AvroSerde(config.registry.url);
  const avroTopic = 'bench.roundtrip.avro';
  const rawTopic = 'bench.roundtrip.raw';
  const writer: Writer<MarketTick> = await serde.register(`${avroTopic}-value`, loadSchema('MarketTick'));
  const t0 = Date.UTC(2024, 0, 1);
  const version = (pkgName: string) => (JSON.parse(fs.readFileSync(path.join(config.root, 'node_modules', ...pkgName.split('/'), 'package.json'), 'utf8')) as { version: string }).version;
  const conditions = {
    date: new Date().toISOString(),
    host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    producers: {
      platformatic: `@platformatic/kafka ${version('@platformatic/kafka')}: idempotent, acks=all, no compression, one request in flight while the next batch is encoded, ${opts.batch} records/request`,
      kafkajs: `kafkajs ${version('kafkajs')}: idempotent, acks=all, no compression, ${inflight} sends queued, ${kafkajsBatch} records/request`,
    },
    consumer: `kafkajs ${version('kafkajs')} eachBatch, 3 partitions concurrently, maxBytesPerPartition 16 MiB`,
    broker: `Apache Kafka (KRaft, single node, same machine) at ${config.kafka.brokers.join(',')}, topics with ${partitions} partitions`,
    registry: config.registry.url,
    messages: opts.messages,
  };
  process.stderr.write(`roundtrip bench: ${JSON.stringify(conditions)}\n`);

  const rows: Array<[string, PhaseResult, PhaseResult | undefined]> = [];
  if (opts.baseline) {
    const rawValues = SERIES.map((_, i) => Buffer.from(writer.type.toBuffer(benchTick(i, t0))));
    const makeRaw = (i: number) => ({ key: SERIES[i % SERIES.length]![0], value: rawValues[i % rawValues.length]! });
    await freshTopics(config, [{ name: rawTopic, partitions }]);
    const pk = await producePhase(config, kafka, 'kafkajs', rawTopic, opts.messages, kafkajsBatch, inflight, makeRaw, progressPrinter('raw produce (kafkajs)', opts.messages));
    rows.push(['raw bytes, kafkajs producer', pk, undefined]);
    await freshTopics(config, [{ name: rawTopic, partitions }]);
    const pp = await producePhase(config, kafka, 'platformatic', rawTopic, opts.messages, opts.batch, inflight, makeRaw, progressPrinter('raw produce (bulk)', opts.messages));
    let sink = 0;
    const c = await consumePhase(kafka, rawTopic, opts.messages, (v) => (sink += v.length), progressPrinter('raw consume', opts.messages));
    rows.push(['raw bytes, bulk producer (baseline)', pp, c]);
  }
  await freshTopics(config, [{ name: avroTopic, partitions }]);
  const p = await producePhase(config, kafka, 'platformatic', avroTopic, opts.messages, opts.batch, inflight, (i) => {
    const tick = benchTick(i, t0);
    return { key: tick.seriesId, value: serde.encode(writer, tick) };
  }, progressPrinter('avro encode+produce', opts.messages));
  let checksum = 0;
  const c = await consumePhase(kafka, avroTopic, opts.messages, (v) => {
    const d = serde.decodeCached<MarketTick>(v, writer);
    if (!d) throw new Error('writer schema missing from cache');
    checksum += d.value.value;
  }, progressPrinter('avro consume+decode', opts.messages));
  rows.push(['Avro MarketTick via registry, bulk producer', p, c]);

  const results = Object.fromEntries(rows.map(([label, prod, cons]) => [label, { produce: rate(prod), consume: cons ? rate(cons) : null, avgRecordBytes: Math.round(prod.bytes / prod.messages) }]));
  const report = { bench: 'roundtrip', conditions, results, rssMiB: Math.round(process.memoryUsage().rss / 1_048_576), checksum: Number(checksum.toFixed(2)) };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const fmt = (r: ReturnType<typeof rate>) => `${r.msgsPerSec.toLocaleString('en-US')} msg/s (${r.mbPerSec} MB/s)`;
  process.stdout.write(`\n| run | produce | consume |\n|---|---|---|\n`);
  for (const [label, prod, cons] of rows) process.stdout.write(`| ${label} | ${fmt(rate(prod))} | ${cons ? fmt(rate(cons)) : '-'} |\n`);
  return report;
}
