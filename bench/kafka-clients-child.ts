// One cell of `sda bench clients`: produce N framed Avro MarketTicks to an empty topic with one Kafka client, then
// consume them back with the same client in a fresh group, on whatever Node runs this file. Prints one JSON line.
// It imports the client libraries directly (not platform/kafka/client.ts), so the figures are the libraries'.
//   node dist/bench/kafka-clients-child.js '{"client":"kafkajs","brokers":["127.0.0.1:19092"],"topic":"t","messages":200000}'
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { repoRoot } from '../platform/installers/node.js';

export type ClientName = 'kafkajs' | 'platformatic' | 'platformatic2';

export interface CellOptions {
  client: ClientName;
  brokers: string[];
  topic: string;
  messages: number;
  /** Records per produce request: 1,000 for kafkajs (its per-request grouping is quadratic), 2,000 otherwise. */
  batch?: number;
  /** Where the @platformatic/kafka 2.x used for 'platformatic2' is installed (a folder with node_modules/). */
  platformatic2Dir?: string;
}

export interface CellResult {
  client: ClientName;
  clientVersion: string;
  node: string;
  produce: { msgsPerSec: number; seconds: number };
  consume: { msgsPerSec: number; seconds: number };
  consumed: number;
  bytes: number;
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

const SERIES: Array<[string, string]> = [
  ['HB_NORTH', 'HUB'], ['HB_SOUTH', 'HUB'], ['HB_WEST', 'HUB'], ['HB_HOUSTON', 'HUB'],
  ['LZ_NORTH', 'LOAD_ZONE'], ['LZ_SOUTH', 'LOAD_ZONE'], ['LZ_WEST', 'LOAD_ZONE'], ['LZ_HOUSTON', 'LOAD_ZONE'],
];

/** Eight framed Avro MarketTick values (one per series, 15-minute RT prices), as the round trip's raw baseline sends. */
function records(): Array<{ key: Buffer; value: Buffer }> {
  const schema = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'schemas', 'MarketTick.avsc'), 'utf8')) as avro.Schema;
  const type = avro.Type.forSchema(schema);
  const t0 = Date.UTC(2024, 0, 1);
  return SERIES.map(([seriesId, pointType], i) => {
    const tick = { market: 'ERCOT', seriesId, pointType, kind: 'RT_PRICE', intervalStart: t0, intervalEnd: t0 + 900_000, value: 20 + i * 0.37, unit: 'USD/MWh', source: 'bench', ingestedAt: t0, imputed: false };
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1, 1); // Confluent framing: magic 0, schema id 1
    return { key: Buffer.from(tick.seriesId), value: Buffer.concat([header, type.toBuffer(tick)]) };
  });
}

async function kafkajsCell(o: CellOptions): Promise<Omit<CellResult, 'node'>> {
  const version = (JSON.parse(fs.readFileSync(path.join(repoRoot(), 'node_modules', 'kafkajs', 'package.json'), 'utf8')) as { version: string }).version;
  const kafka = new Kafka({ clientId: 'sda-bench-clients', brokers: o.brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3_000, requestTimeout: 30_000 });
  const recs = records();
  const batch = o.batch ?? 1_000;
  // Producer: as createProducer (idempotent, one request in flight per broker), 4 sends queued like the round trip.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  let next = 0;
  const p0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < o.messages) {
      const from = next;
      const to = Math.min(o.messages, from + batch);
      next = to;
      const messages = new Array(to - from);
      for (let i = from; i < to; i++) messages[i - from] = recs[i % recs.length];
      await producer.send({ topic: o.topic, acks: -1, messages });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const produceSeconds = seconds(p0);
  await producer.disconnect();
  // Consumer: eachBatch, 3 partitions concurrently, 16 MiB per partition (the project's consumers' settings).
  const consumer = kafka.consumer({ groupId: `${o.topic}-kafkajs`, maxBytesPerPartition: 16 * 1_048_576, maxBytes: 64 * 1_048_576, minBytes: 1, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  let count = 0;
  let bytes = 0;
  // The clock starts when the group is joined (both clients then fetch offsets and records), not at the first
  // batch: one 16 MiB fetch can hold every record, which would time nothing.
  let c0 = 0n;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (c0 === 0n) c0 = process.hrtime.bigint();
  });
  let consumeSeconds = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: true,
        partitionsConsumedConcurrently: 3,
        eachBatch: async ({ batch: b }) => {
          if (c0 === 0n) c0 = process.hrtime.bigint();
          for (const m of b.messages) bytes += m.value!.length;
          count += b.messages.length;
          if (count >= o.messages && consumeSeconds === 0) {
            consumeSeconds = seconds(c0);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return { client: o.client, clientVersion: version, produce: rate(o.messages, produceSeconds), consume: rate(count, consumeSeconds), consumed: count, bytes };
}

async function platformaticCell(o: CellOptions): Promise<Omit<CellResult, 'node'>> {
  const base = o.client === 'platformatic2' ? o.platformatic2Dir ?? path.join(repoRoot(), '.cache', 'bench', 'platformatic-kafka-2') : repoRoot();
  const pkgDir = path.join(base, 'node_modules', '@platformatic', 'kafka');
  const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  // The same API in 1.x and 2.x for what this cell uses; typed loosely so either version loads.
  const lib = (await import(pathToFileURL(path.join(pkgDir, 'dist', 'index.js')).href)) as {
    Producer: new (o: object) => { send(o: object): Promise<unknown>; close(): Promise<void> };
    Consumer: new (o: object) => { consume(o: object): Promise<NodeJS.EventEmitter & { close(): Promise<void> }>; close(force?: boolean): Promise<void> };
    compatibilityPartitioner?: unknown;
  };
  const identity = { key: (k?: Buffer) => k, value: (v?: Buffer) => v, headerKey: (k?: Buffer) => k, headerValue: (v?: Buffer) => v };
  const recs = records();
  const batch = o.batch ?? 2_000;
  // Producer: as BulkProducer (idempotent, acks=all, Java-compatible partitioner), one request in flight.
  const producer = new lib.Producer({ clientId: 'sda-bench-clients', bootstrapBrokers: o.brokers, idempotent: true, acks: -1, partitioner: lib.compatibilityPartitioner, serializers: identity, retries: 10, retryDelay: 250 });
  const p0 = process.hrtime.bigint();
  for (let from = 0; from < o.messages; from += batch) {
    const to = Math.min(o.messages, from + batch);
    const messages = new Array(to - from);
    for (let i = from; i < to; i++) messages[i - from] = { topic: o.topic, ...recs[i % recs.length] };
    await producer.send({ messages });
  }
  const produceSeconds = seconds(p0);
  await producer.close();
  // Consumer: the stream consumer from the earliest offset, autocommit, same fetch sizes as the kafkajs cell.
  const consumer = new lib.Consumer({ clientId: 'sda-bench-clients', groupId: `${o.topic}-platformatic`, bootstrapBrokers: o.brokers, deserializers: identity, maxWaitTime: 100, minBytes: 1, maxBytes: 64 * 1_048_576 });
  let c0 = 0n;
  (consumer as unknown as NodeJS.EventEmitter).on('consumer:group:join', () => {
    if (c0 === 0n) c0 = process.hrtime.bigint();
  });
  const stream = await consumer.consume({ topics: [o.topic], mode: 'earliest', autocommit: true, maxWaitTime: 100, minBytes: 1, maxBytes: 64 * 1_048_576 });
  let count = 0;
  let bytes = 0;
  let consumeSeconds = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('data', (m: { value?: Buffer }) => {
      if (c0 === 0n) c0 = process.hrtime.bigint();
      bytes += m.value?.length ?? 0;
      count++;
      if (count >= o.messages && consumeSeconds === 0) {
        consumeSeconds = seconds(c0);
        resolve();
      }
    });
  });
  await stream.close();
  await consumer.close(true);
  return { client: o.client, clientVersion: version, produce: rate(o.messages, produceSeconds), consume: rate(count, consumeSeconds), consumed: count, bytes };
}

function rate(n: number, s: number) {
  return { msgsPerSec: Math.round(n / s), seconds: Number(s.toFixed(2)) };
}

/** Runs one cell on this process's Node; throws when a phase fails (the parent reports it per cell). */
export async function runCell(o: CellOptions): Promise<CellResult> {
  const r = o.client === 'kafkajs' ? await kafkajsCell(o) : await platformaticCell(o);
  return { ...r, node: process.version };
}

if (process.argv[1] && path.resolve(process.argv[1]).endsWith(`${path.sep}kafka-clients-child.js`)) {
  const timer = setTimeout(() => {
    process.stderr.write('kafka-clients-child: gave up after 240 s (the broker did not deliver every record)\n');
    process.exit(2);
  }, 240_000);
  runCell(JSON.parse(process.argv[2] ?? '{}') as CellOptions).then(
    (r) => {
      clearTimeout(timer);
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`kafka-clients-child: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
