// Start-up provisioning shared by every program: topics created idempotently, every topic's value schema
// registered under its TopicNameStrategy subject with BACKWARD compatibility.
import type { Config } from '../config.js';
import { logger } from '../logger.js';
import { loadSchema } from '../../schemas/catalog.js';
import type { DeadLetter, DispatchSchedule, FeatureWindow, Forecast, MarketDocument, MarketTick, WindowerState } from '../../schemas/types.js';
import { AvroSerde, type Writer } from './avro-serde.js';
import { type Kafka, createKafka } from './client.js';
import { KafkaError } from './errors.js';
import { ALL_TOPICS, TOPICS, type TopicSpec, ensureTopics, subjectFor } from './topics.js';

export interface Writers {
  ticks: Writer<MarketTick>;
  features: Writer<FeatureWindow>;
  forecasts: Writer<Forecast>;
  dispatch: Writer<DispatchSchedule>;
  documents: Writer<MarketDocument>;
  deadLetters: Writer<DeadLetter>;
  windowerChangelog: Writer<WindowerState>;
}

export interface Provisioned {
  kafka: Kafka;
  serde: AvroSerde;
  writers: Writers;
  createdTopics: string[];
}

const log = logger('provision');

export async function provision(config: Config, clientId = config.kafka.clientId): Promise<Provisioned> {
  const kafka = createKafka(config, clientId);
  const admin = kafka.admin();
  let createdTopics: string[];
  try {
    await admin.connect();
    createdTopics = await ensureTopics(admin, ALL_TOPICS, config.kafka.partitions);
  } catch (err) {
    throw new KafkaError('KAFKA_UNAVAILABLE', `cannot reach Kafka at ${config.kafka.brokers.join(',')}: ${(err as Error).message}. Start the stack with \`sda stack up\`.`, true, { cause: err });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const serde = new AvroSerde(config.registry.url);
  const entries = await Promise.all(
    (Object.keys(TOPICS) as Array<keyof typeof TOPICS>).map(async (k) => [k, await serde.register(subjectFor(TOPICS[k].name), loadSchema(TOPICS[k].schema))] as const),
  );
  const writers = Object.fromEntries(entries) as unknown as Writers;
  log.debug({ createdTopics, subjects: entries.map(([, w]) => `${w.subject}#${w.schemaId}`) }, 'topics and schemas provisioned');
  return { kafka, serde, writers, createdTopics };
}

/**
 * A topic of MarketTicks other than market.ticks (a backtest replay, a test), created like market.ticks and with
 * the MarketTick schema registered under its own TopicNameStrategy subject.
 */
export async function ensureTicksTopic(config: Config, p: Provisioned, topic: string): Promise<void> {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new KafkaError('TOPIC_NAME_INVALID', `topic name ${JSON.stringify(topic)} must be 1-249 of A-Z a-z 0-9 . _ -`);
  if (topic === TOPICS.ticks.name) return;
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ ...TOPICS.ticks, name: topic }], config.kafka.partitions);
  } finally {
    await admin.disconnect();
  }
  const writer = await p.serde.register(subjectFor(topic), loadSchema('MarketTick'));
  if (writer.schemaId !== p.writers.ticks.schemaId) throw new Error(`subject ${subjectFor(topic)} resolved the MarketTick schema to id ${writer.schemaId}, expected ${p.writers.ticks.schemaId}`);
}

/**
 * Creates the topics a processor writes if they are missing (partitions, cleanup and retention of their spec) and
 * registers each one's value schema under its own TopicNameStrategy subject (`<name>-value`), so a processor
 * pointed at new topics (a run's `run.NAME.*`, a test's) works without creating them by hand. Existing topics are
 * left as they are. Returns the names it created. Throws when Kafka or the registry cannot be reached.
 */
export async function ensureOutputTopics(config: Config, p: Provisioned, specs: TopicSpec[]): Promise<string[]> {
  const admin = p.kafka.admin();
  await admin.connect();
  let created: string[];
  try {
    created = await ensureTopics(admin, specs, config.kafka.partitions);
  } finally {
    await admin.disconnect();
  }
  for (const spec of specs) {
    if (ALL_TOPICS.some((t) => t.name === spec.name)) continue; // registered by provision()
    await p.serde.register(subjectFor(spec.name), loadSchema(spec.schema));
  }
  if (created.length > 0) log.info({ created }, 'output topics created');
  return created;
}
