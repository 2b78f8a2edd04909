// The topics the pipeline uses, their schemas and settings, created idempotently at start-up.
// Keys are the series id (or document id), so one partition holds whole series.
import type { Admin } from './client.js';
import type { SchemaName } from '../../schemas/catalog.js';

export interface TopicSpec {
  name: string;
  /** The Avro schema of its values, registered under `<name>-value` (TopicNameStrategy). */
  schema: SchemaName;
  cleanupPolicy: 'delete' | 'compact';
  retentionMs: number;
  partitions?: number;
  doc: string;
}

const DAY = 24 * 60 * 60 * 1_000;

export const TOPICS = {
  ticks: { name: 'market.ticks', schema: 'MarketTick', cleanupPolicy: 'delete', retentionMs: 30 * DAY, doc: 'Raw market ticks from every source, keyed by series id.' },
  features: { name: 'market.features', schema: 'FeatureWindow', cleanupPolicy: 'delete', retentionMs: 30 * DAY, doc: 'Rolling 24-hour windows and their features, keyed by series id.' },
  forecasts: { name: 'market.forecasts', schema: 'Forecast', cleanupPolicy: 'delete', retentionMs: 30 * DAY, doc: 'Model forecasts, keyed by series id.' },
  documents: { name: 'market.documents', schema: 'MarketDocument', cleanupPolicy: 'compact', retentionMs: -1, doc: 'Text documents for retrieval, keyed by document id (latest wins).' },
  deadLetters: { name: 'market.dlq', schema: 'DeadLetter', cleanupPolicy: 'delete', retentionMs: 30 * DAY, partitions: 1, doc: 'Records that could not be processed, with reason and raw bytes.' },
  windowerChangelog: { name: 'sda.windower.changelog', schema: 'WindowerState', cleanupPolicy: 'compact', retentionMs: -1, doc: 'Compacted changelog of the windower state, one record per input partition, written in the windower\'s transactions.' },
} as const satisfies Record<string, TopicSpec>;

export const ALL_TOPICS: TopicSpec[] = Object.values(TOPICS);

export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

export function topicConfig(spec: TopicSpec): Array<{ name: string; value: string }> {
  const entries = [
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
    { name: 'retention.ms', value: String(spec.retentionMs) },
  ];
  if (spec.cleanupPolicy === 'compact') {
    entries.push({ name: 'min.cleanable.dirty.ratio', value: '0.1' }, { name: 'segment.ms', value: String(60 * 60 * 1_000) });
  }
  return entries;
}

/** Creates the missing topics; existing ones are left as they are. Returns the names it created. */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], defaultPartitions: number): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({
      topic: s.name,
      numPartitions: s.partitions ?? defaultPartitions,
      replicationFactor: 1,
      configEntries: topicConfig(s),
    })),
  });
  return missing.map((s) => s.name);
}

/**
 * Whether a consumer group's committed offsets have reached the end of every partition of a non-transactional
 * topic (on a transactional one, commit markers sit past the last record). An empty partition needs no commit.
 */
export async function groupCaughtUp(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
  return ends.every((e) => e.offset === '0' || committed.find((c) => c.partition === e.partition)?.offset === e.offset);
}
