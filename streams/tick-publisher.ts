// Publishes parsed rows from any source: valid ticks as Avro to market.ticks (key = series id), everything
// else to the dead-letter topic with its reason and raw text. Counts reconcile: read = accepted + deadLettered.
import type { Config } from '../platform/config.js';
import { BulkProducer, type OutgoingRecord } from '../platform/kafka/client.js';
import { CONTEXT_HEADER, copyPartitions, isContextTick } from '../platform/kafka/context-series.js';
import { encodeDeadLetter } from '../platform/kafka/dead-letter.js';
import { KafkaError } from '../platform/kafka/errors.js';
import type { Provisioned } from '../platform/kafka/provision.js';
import { TOPICS } from '../platform/kafka/topics.js';
import type { Parsed, Rejection } from '../market/parsed.js';
import { checkTick } from '../market/tick-validation.js';

const CONTEXT_HEADERS = { [CONTEXT_HEADER]: '1' };

export interface PublishCounts {
  read: number;
  accepted: number;
  deadLettered: number;
  imputed: number;
}

export class TickPublisher {
  readonly counts: PublishCounts = { read: 0, accepted: 0, deadLettered: 0, imputed: 0 };
  private readonly producer: BulkProducer;
  private ticks: OutgoingRecord[] = [];
  private letters: OutgoingRecord[] = [];
  /** The batch in flight: the next one is encoded while the broker acknowledges this one. */
  private inFlight: Promise<void> = Promise.resolve();
  /** Partitions of the target topic, read once: context ticks (SYSTEM load/wind/solar) get a copy on each. */
  private partitions: Promise<number> | undefined;
  /** The partitions that get a copy of each context tick (all but the SYSTEM key's home partition). */
  private copyTargets: number[] | undefined;
  /** Context copies written (not counted in `accepted`: each is a copy of an accepted tick). */
  contextCopies = 0;

  constructor(
    config: Config,
    private readonly p: Provisioned,
    private readonly processor: string,
    /** topic: where ticks go (default market.ticks); deadLetterTopic: where rejections go (default market.dlq). */
    private readonly opts: { topic?: string; deadLetterTopic?: string; batch?: number } = {},
  ) {
    this.producer = new BulkProducer(config, `sda-${processor}`);
  }

  private get batchSize(): number {
    return this.opts.batch ?? 2_000;
  }

  /** Queues rows; sends a batch whenever enough are queued. Resolves once queued rows over the batch size are acknowledged. */
  async add(items: Iterable<Parsed>): Promise<void> {
    for (const item of items) {
      this.counts.read++;
      if (item.ok && item.label?.provisional) {
        // A row of a DST-change day whose hour only the whole day can place (market/dst-day.ts): the caller
        // did not run placeDstDays over the day, so it is not published on a guess.
        this.reject({ reasonCode: 'dst-day-numbering', message: `${item.tick.seriesId}: ${item.label.date} hour ending ${item.label.hourEnding} was not placed: its day's numbering was never checked as a whole (placeDstDays)`, raw: item.label.raw, origin: item.label.origin });
      } else if (item.ok) {
        const problem = checkTick(item.tick);
        if (problem) {
          this.reject({ ...problem, raw: JSON.stringify(item.tick), origin: item.tick.source });
          continue;
        }
        this.counts.accepted++;
        if (item.tick.imputed) this.counts.imputed++;
        const value = this.p.serde.encode(this.p.writers.ticks, item.tick);
        this.ticks.push({ key: item.tick.seriesId, value });
        if (isContextTick(item.tick)) {
          // Context ticks share one key (the SYSTEM series id), so their copy partitions are worked out once.
          this.copyTargets ??= copyPartitions(item.tick.seriesId, await this.partitionCount());
          for (const partition of this.copyTargets) {
            this.ticks.push({ key: item.tick.seriesId, value, partition, headers: CONTEXT_HEADERS });
            this.contextCopies++;
          }
        }
      } else {
        this.reject(item.rejection);
      }
      if (this.ticks.length >= this.batchSize) await this.flushTicks();
    }
    if (this.letters.length >= this.batchSize) await this.flushLetters();
  }

  private partitionCount(): Promise<number> {
    this.partitions ??= (async () => {
      const admin = this.p.kafka.admin();
      await admin.connect();
      try {
        const topic = this.opts.topic ?? TOPICS.ticks.name;
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        const n = meta.topics[0]?.partitions.length ?? 0;
        if (n < 1) throw new KafkaError('TOPIC_MISSING', `topic ${topic} has no partitions; run \`sda stack up\` (it provisions the topics)`);
        return n;
      } finally {
        await admin.disconnect();
      }
    })();
    return this.partitions;
  }

  private reject(r: Rejection): void {
    this.counts.deadLettered++;
    this.letters.push(encodeDeadLetter(this.p.serde, this.p.writers.deadLetters, { topic: r.origin, reasonCode: r.reasonCode, message: r.message, key: r.slot?.seriesId ?? null, raw: r.raw }, this.processor));
  }

  private async flushTicks(): Promise<void> {
    if (this.ticks.length === 0) return;
    const batch = this.ticks;
    this.ticks = [];
    await this.inFlight;
    const sent = this.producer.send(this.opts.topic ?? TOPICS.ticks.name, batch);
    sent.catch(() => undefined); // surfaced when awaited by the next flush, not as an unhandled rejection
    this.inFlight = sent;
  }

  private async flushLetters(): Promise<void> {
    if (this.letters.length === 0) return;
    const batch = this.letters;
    this.letters = [];
    await this.producer.send(this.opts.deadLetterTopic ?? TOPICS.deadLetters.name, batch);
  }

  /** Sends everything queued and waits for the broker's acknowledgement. */
  async flush(): Promise<PublishCounts> {
    await this.flushTicks();
    await this.inFlight;
    await this.flushLetters();
    return { ...this.counts };
  }

  async close(): Promise<PublishCounts> {
    const counts = await this.flush();
    await this.producer.close();
    return counts;
  }
}
