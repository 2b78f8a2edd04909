// `sda bench read-committed`: does each consumer client hide an aborted transaction from a read_committed reader
// when the transaction spans several fetch responses? One partition: a committed transaction (A), an aborted one
// (B, large records in many sends), a committed one (C); each client reads it from the start with a fetch size
// smaller than B. A correct reader delivers all of A and C and none of B (issue 11: the client chosen on evidence).
import os from 'node:os';
import { Consumer as PlatformaticConsumer, FetchIsolationLevels } from '@platformatic/kafka';
import type { Config } from '../platform/config.js';
import { createKafka, createProducer } from '../platform/kafka/client.js';
import { freshTopics } from './topics.js';

export interface ReadCommittedOptions {
  /** Records in the aborted transaction. */
  aborted: number;
  /** Bytes per aborted record's value. */
  recordBytes: number;
  /** Bytes per fetch (per partition and per request), for both clients. */
  fetchBytes: number;
}

type Seen = { A: number; B: number; C: number };
const COMMITTED = 100;

const tally = (seen: Seen, value: Buffer | null | undefined) => {
  const k = value?.toString('latin1', 0, 1) as keyof Seen | undefined;
  if (k && k in seen) seen[k]++;
};

async function readKafkajs(config: Config, topic: string, fetchBytes: number): Promise<Seen> {
  const consumer = createKafka(config, 'sda-bench-read-committed').consumer({
    groupId: `bench-read-committed-kafkajs-${Date.now()}`,
    readUncommitted: false,
    maxBytesPerPartition: fetchBytes,
    maxBytes: fetchBytes,
    maxWaitTimeInMs: 500,
  });
  const seen: Seen = { A: 0, B: 0, C: 0 };
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        tally(seen, message.value);
        if (seen.C >= COMMITTED) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

async function readPlatformatic(config: Config, topic: string, fetchBytes: number): Promise<Seen> {
  const consumer = new PlatformaticConsumer({
    clientId: 'sda-bench-read-committed',
    groupId: `bench-read-committed-platformatic-${Date.now()}`,
    bootstrapBrokers: config.kafka.brokers,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxBytesPerPartition: fetchBytes, maxBytes: fetchBytes, maxWaitTime: 500 });
  const seen: Seen = { A: 0, B: 0, C: 0 };
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    stream.on('data', (m: { value?: Buffer }) => {
      tally(seen, m.value);
      if (seen.C >= COMMITTED) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await stream.close();
  await consumer.close(true);
  return seen;
}

/**
 * Writes the three transactions to a fresh one-partition topic and reads them back with each client; prints the
 * conditions, JSON and a Markdown table of records delivered per transaction. Errors: Kafka errors.
 */
export async function runReadCommittedBench(config: Config, opts: ReadCommittedOptions): Promise<void> {
  const topic = `bench.read-committed.${Date.now().toString(36)}`;
  await freshTopics(config, [{ name: topic, partitions: 1 }]);
  const producer = createProducer(createKafka(config, 'sda-bench-read-committed'), { transactionalId: `${topic}-tx` });
  await producer.connect();
  const write = async (label: 'A' | 'B' | 'C', n: number, bytes: number, commit: boolean) => {
    const tx = await producer.transaction();
    const body = Buffer.alloc(bytes, 97);
    for (let from = 0; from < n; from += 100)
      await tx.send({ topic, messages: Array.from({ length: Math.min(100, n - from) }, (_, i) => ({ key: label, value: Buffer.concat([Buffer.from(`${label}${from + i}`), body]) })) });
    await (commit ? tx.commit() : tx.abort());
  };
  await write('A', COMMITTED, 16, true);
  await write('B', opts.aborted, opts.recordBytes, false);
  await write('C', COMMITTED, 16, true);
  await producer.disconnect();
  const conditions = {
    date: new Date().toISOString(),
    host: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    node: process.version,
    topic: `1 partition: A committed (${COMMITTED} records), B aborted (${opts.aborted} x ${opts.recordBytes} bytes), C committed (${COMMITTED})`,
    fetchBytes: opts.fetchBytes,
  };
  process.stderr.write(`read-committed bench: ${JSON.stringify(conditions)}\n`);
  const results = { kafkajs: await readKafkajs(config, topic, opts.fetchBytes), '@platformatic/kafka': await readPlatformatic(config, topic, opts.fetchBytes) };
  const admin = createKafka(config, 'sda-bench-admin').admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  process.stdout.write(`${JSON.stringify({ conditions, results }, null, 2)}\n\n| client | A committed | B aborted (want 0) | C committed |\n|---|---|---|---|\n`);
  for (const [client, s] of Object.entries(results)) process.stdout.write(`| ${client} | ${s.A} / ${COMMITTED} | ${s.B} / ${opts.aborted} | ${s.C} / ${COMMITTED} |\n`);
}
