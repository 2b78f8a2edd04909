// Shared set-up for integration tests: they run against the real services that `sda stack up` started.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { loadConfig, projectRoot } from '../../platform/config.js';
import { type Admin, createConsumer, createKafka, createTopicsAndWait } from '../../platform/kafka/client.js';
import type { Provisioned } from '../../platform/kafka/provision.js';
import { topicConfig } from '../../platform/kafka/topics.js';
import type { MarketTick } from '../../schemas/types.js';

export const config = loadConfig();

/** The settlement points testTick cycles through. */
export const TEST_HUBS = ['HB_NORTH', 'HB_SOUTH', 'HB_WEST', 'HB_HOUSTON', 'LZ_NORTH', 'LZ_SOUTH'];

/** Tick i of a synthetic feed: six settlement points in turn, 15-minute intervals from 2023-11-14, value i (USD/MWh). */
export function testTick(i: number): MarketTick {
  return {
    market: 'ERCOT', seriesId: TEST_HUBS[i % TEST_HUBS.length]!, pointType: 'HUB', kind: 'RT_PRICE',
    intervalStart: 1_700_000_000_000 + i * 900_000, intervalEnd: 1_700_000_900_000 + i * 900_000, value: i, unit: 'USD/MWh', source: 'test', ingestedAt: 0,
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}.${randomUUID().slice(0, 8)}`;
}

export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka(config, 'sda-test-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTestTopic(name: string, partitions = 3): Promise<void> {
  await withAdmin((admin) => createTopicsAndWait(admin, [{ topic: name, numPartitions: partitions, replicationFactor: 1, configEntries: topicConfig({ name, schema: 'MarketTick', cleanupPolicy: 'delete', retentionMs: 3_600_000, doc: '' }) }]));
}

export async function deleteTestTopics(names: string[]): Promise<void> {
  await withAdmin((admin) => admin.deleteTopics({ topics: names, timeout: 10_000 })).catch(() => undefined);
}

/** Runs the built CLI; resolves with its exit code and output whatever the code. */
export function sda(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'sda.js'), ...args], { env: { ...process.env, ...env }, maxBuffer: 32 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A record as a consumer received it: key and value bytes, its Kafka record timestamp (ms since the epoch) and offset as decimal strings. */
export interface ReceivedRecord {
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Every committed record of `topic` (read_committed: an aborted transaction's records are never delivered), from the
 * beginning, in the order received (offset order within a partition), through a consumer group of its own
 * (`groupPrefix` plus a random suffix, see uniqueName). Transaction markers occupy offsets too, so the last record sits
 * below the end offset: the read ends once `quietMs` pass without a record instead.
 */
export async function readCommittedRecords(p: Provisioned, topic: string, groupPrefix: string, quietMs: number): Promise<ReceivedRecord[]> {
  const consumer = createConsumer(p.kafka, uniqueName(groupPrefix), { readUncommitted: false, maxWaitTimeInMs: 200 });
  const out: ReceivedRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let quietSince = Date.now();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      quietSince = Date.now();
      out.push({ partition, offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value });
    },
  });
  while (Date.now() - quietSince < quietMs) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return out;
}
