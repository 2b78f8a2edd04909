// Bench topics, deleted and created anew for each run so every figure starts from an empty log.
import type { Config } from '../platform/config.js';
import { createKafka } from '../platform/kafka/client.js';
import { topicConfig } from '../platform/kafka/topics.js';

export interface BenchTopic {
  name: string;
  compact?: boolean;
  /** Default: TOPIC_PARTITIONS. */
  partitions?: number;
}

export async function freshTopics(config: Config, topics: BenchTopic[]) {
  const admin = createKafka(config, 'sda-bench-admin').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const stale = topics.filter((t) => existing.has(t.name)).map((t) => t.name);
    if (stale.length) {
      await admin.deleteTopics({ topics: stale });
      for (let i = 0; i < 50 && (await admin.listTopics()).some((t) => stale.includes(t)); i++) await new Promise((r) => setTimeout(r, 200));
    }
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions ?? config.kafka.partitions, replicationFactor: 1, configEntries: topicConfig({ name: t.name, schema: 'MarketTick', cleanupPolicy: t.compact ? 'compact' : 'delete', retentionMs: t.compact ? -1 : 3_600_000, doc: '' }) })),
    });
  } finally {
    await admin.disconnect();
  }
}
