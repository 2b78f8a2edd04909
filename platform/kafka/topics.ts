// The topics the pipeline uses, their schemas and settings, created idempotently at start-up.
// Keys are the series id (or document id), so one partition holds whole series.
import type { Kafka } from 'kafkajs';
import { type Admin, createTopicsAndWait } from './client.js';
import type { SchemaName } from '../../schemas/catalog.js';
import { KafkaError } from './errors.js';

export interface TopicSpec {
  name: string;
  /** The Avro schema of its values, registered under `<name>-value` (TopicNameStrategy). */
  schema: SchemaName;
  cleanupPolicy: 'delete' | 'compact';
  retentionMs: number;
  partitions?: number;
  doc: string;
  /**
   * Written in Kafka transactions (the processors' outputs, their dead letters, the windower's changelog): its offsets
   * then hold commit and abort markers and aborted records, so end − start offsets is not its record count.
   */
  transactional?: boolean;
}

const DAY = 24 * 60 * 60 * 1_000;

export const TOPICS = {
  ticks: { name: 'market.ticks', schema: 'MarketTick', cleanupPolicy: 'delete', retentionMs: 30 * DAY, doc: 'Raw market ticks from every source, keyed by series id.' },
  features: { name: 'market.features', schema: 'FeatureWindow', cleanupPolicy: 'delete', retentionMs: 30 * DAY, transactional: true, doc: 'Rolling 24-hour windows and their features, keyed by series id.' },
  forecasts: { name: 'market.forecasts', schema: 'Forecast', cleanupPolicy: 'delete', retentionMs: 30 * DAY, transactional: true, doc: 'Model forecasts, keyed by series id.' },
  dispatch: { name: 'market.dispatch', schema: 'DispatchSchedule', cleanupPolicy: 'delete', retentionMs: 30 * DAY, transactional: true, doc: 'Battery schedules from the dispatcher, one per asset and forecast issue, keyed by asset id.' },
  documents: { name: 'market.documents', schema: 'MarketDocument', cleanupPolicy: 'compact', retentionMs: -1, doc: 'Text documents for retrieval, keyed by document id (latest wins).' },
  deadLetters: { name: 'market.dlq', schema: 'DeadLetter', cleanupPolicy: 'delete', retentionMs: 30 * DAY, partitions: 1, transactional: true, doc: 'Records that could not be processed, with reason and raw bytes.' },
  windowerChangelog: { name: 'sda.windower.changelog', schema: 'WindowerState', cleanupPolicy: 'compact', retentionMs: -1, transactional: true, doc: 'Compacted changelog of the windower state, one record per input partition, written in the windower\'s transactions.' },
} as const satisfies Record<string, TopicSpec>;

export const ALL_TOPICS: TopicSpec[] = Object.values(TOPICS);

/** The prefix of every run-scoped topic: `run.<NAME>.<suffix>`. */
export const RUN_TOPIC_PREFIX = 'run.';

/**
 * Validates a run name: 1-64 of [A-Za-z0-9_-] (no dot, so `run.NAME.x` parses back unambiguously).
 * Returns the name unchanged; throws KafkaError code RUN_NAME_INVALID otherwise.
 */
export function validateRunName(name: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new KafkaError('RUN_NAME_INVALID', `run name ${JSON.stringify(name)} is invalid: use 1-64 of A-Z a-z 0-9 _ - (e.g. --run backtest-july)`);
  }
  return name;
}

/** A live topic name's run-scoped name: the first dot segment (market., sda.) replaced by `run.NAME.`. */
export function runTopicName(liveName: string, run: string): string {
  const dot = liveName.indexOf('.');
  return `${RUN_TOPIC_PREFIX}${validateRunName(run)}.${dot < 0 ? liveName : liveName.slice(dot + 1)}`;
}

/**
 * The topic set of a run. `undefined` is the live set (TOPICS itself); a run name gives the same specs renamed
 * `run.NAME.<x>` (market.ticks -> run.NAME.ticks, sda.windower.changelog -> run.NAME.windower.changelog), with
 * their schemas registered under their own TopicNameStrategy subjects (`run.NAME.ticks-value`). Generic over
 * every entry of TOPICS. Throws RUN_NAME_INVALID for a bad name.
 */
export function topicSet(run?: string): { [K in keyof typeof TOPICS]: TopicSpec } {
  if (run === undefined) return TOPICS;
  validateRunName(run);
  const out: Record<string, TopicSpec> = {};
  for (const [key, spec] of Object.entries(TOPICS) as Array<[string, TopicSpec]>) {
    out[key] = { ...spec, name: runTopicName(spec.name, run), doc: `${spec.doc} (run ${run})` };
  }
  return out as { [K in keyof typeof TOPICS]: TopicSpec };
}

/**
 * Whether `topic` is a known topic (live, or a run's) whose data records are its end − log start offsets: one of
 * TOPICS (or a run's copy) with cleanup policy delete that is not written in transactions (TopicSpec.transactional),
 * so no marker, aborted record or compaction gap takes an offset. Today: market.ticks and run.NAME.ticks (written by
 * the publishers' idempotent, non-transactional producer). False for any other name (count those by reading).
 */
export function recordsAreOffsets(topic: string): boolean {
  const run = runOfTopic(topic);
  const spec = Object.values(topicSet(run) as Record<string, TopicSpec>).find((t) => t.name === topic);
  return spec !== undefined && spec.cleanupPolicy === 'delete' && spec.transactional !== true;
}

/** The run a topic belongs to (`run.NAME.x` -> NAME), or undefined for a live topic. */
export function runOfTopic(topic: string): string | undefined {
  const m = /^run\.([A-Za-z0-9_-]{1,64})\./.exec(topic);
  return m?.[1];
}

/**
 * The `market` a run's rows are stored under in the PostgreSQL tables (market_data, features, forecasts):
 * undefined -> the market unchanged (live); 'NAME' -> `run.NAME.<market>`. Market is in every table key, so a
 * run replaying the same series and hours as the live pipeline never overwrites a live row; a run's rows are
 * read with `WHERE market = 'run.NAME.ERCOT'` and removed by `sda run delete NAME`.
 */
export function runMarket(market: string, run?: string): string {
  return run === undefined ? market : `${RUN_TOPIC_PREFIX}${validateRunName(run)}.${market}`;
}

/** Whether a stored market is a run's (`run.NAME.<market>`, runMarket) rather than a live market ('ERCOT', 'GB'). */
export function isRunMarket(market: string): boolean {
  return market.startsWith(RUN_TOPIC_PREFIX);
}

/**
 * The one SQL rule for "a live market, not a run's" (the live views: the dashboard's overview, prices table and series
 * list, /query's market list): `NOT starts_with(<column>, $<param>)`, with RUN_TOPIC_PREFIX bound by the caller as
 * parameter `param` (liveMarketSql('m.market', 2) -> `NOT starts_with(m.market, $2)`, params [..., RUN_TOPIC_PREFIX]).
 * A live market never starts with 'run.' (runMarket writes the prefix; a live market is upper case A-Z0-9_).
 * @param column a fixed column reference of the caller's SQL (letters, digits, _ and one dot), never input
 * @param param  the 1-based placeholder number the prefix is bound to
 * Errors: TypeError for a column or placeholder outside those rules.
 */
export function liveMarketSql(column: string, param: number): string {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(column)) throw new TypeError(`liveMarketSql: not a column reference: ${column}`);
  if (!Number.isInteger(param) || param < 1) throw new TypeError(`liveMarketSql: not a placeholder number: ${param}`);
  return `NOT starts_with(${column}, $${param})`;
}

/** Consumer group / transactional id base of a job in a run: undefined -> base unchanged; 'NAME' -> `${base}.run.NAME`. */
export function groupFor(base: string, run?: string): string {
  return run === undefined ? base : `${base}.run.${validateRunName(run)}`;
}

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
  await createTopicsAndWait(
    admin,
    missing.map((s) => ({
      topic: s.name,
      numPartitions: s.partitions ?? defaultPartitions,
      replicationFactor: 1,
      configEntries: topicConfig(s),
    })),
  );
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

/**
 * The committed offset of each partition of `topic` for consumer group `groupId` (one OffsetFetch), undefined where
 * the group has committed none. `client`: a connected Admin the caller owns and keeps open (the forecaster's rebuild
 * reads its offsets, ends and ranges over one), or a Kafka client, from which a short-lived admin connection is
 * opened and closed. The processors read it on assignment to decide whether a kept or restored partition state is
 * still the latest. Errors: KafkaError KAFKA_UNAVAILABLE (retriable) when the fetch (or the connection) fails.
 */
export async function groupCommittedOffsets(client: Kafka | Admin, groupId: string, topic: string): Promise<Map<number, bigint | undefined>> {
  const [admin, owned]: [Admin, boolean] = 'admin' in client ? [client.admin(), true] : [client, false];
  try {
    if (owned) await admin.connect();
    const offsets = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
    return new Map(offsets.map((o) => [o.partition, BigInt(o.offset) < 0n ? undefined : BigInt(o.offset)]));
  } catch (err) {
    throw new KafkaError('KAFKA_UNAVAILABLE', `committed offsets of group ${groupId} on ${topic} not fetched: ${(err as Error).message}`, true, { cause: err });
  } finally {
    if (owned) await admin.disconnect().catch(() => undefined);
  }
}
