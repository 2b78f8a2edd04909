// The gateway's live feed of forecasts: a Kafka consumer on the forecasts topic (Avro Forecast, decoded with the
// project's serde), in a consumer group of its own per gateway instance so every instance sees every forecast, that
// starts from the end of the topic and hands each new forecast to its listeners (the SSE hub). It commits nothing
// that matters (the group is this process's alone and is deleted when it stops). Undecodable records are counted
// and skipped: the forecasts sink, which owns the topic's durable processing, dead-letters them.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Config } from '../platform/config.js';
import { logger } from '../platform/logger.js';
import type { Forecast } from '../schemas/types.js';
import { type ConsumeLoop, startConsumeLoop } from '../platform/kafka/consume-loop.js';
import { type Provisioned, provision } from '../platform/kafka/provision.js';
import { TOPICS } from '../platform/kafka/topics.js';

const log = logger('forecast-feed');

export interface FeedForecast extends Forecast {
  /** When the gateway received it (ms since the epoch). */
  receivedAt: number;
  /**
   * The forecast record's Kafka timestamp (ms since the epoch). The forecaster gives it its window record's timestamp
   * and the windower that of the tick record that made the window final: when that tick was published to Kafka.
   */
  recordTimestamp: number;
}

export interface ForecastFeedOptions {
  topic?: string;
  /** Consumer group; default sda-gateway-<host>-<pid>-<random>, unique per instance. */
  groupId?: string;
  onForecast?: (f: FeedForecast) => void;
  onUndecodable?: (n: number) => void;
}

export class ForecastFeed {
  readonly topic: string;
  readonly groupId: string;
  private readonly listeners = new Set<(f: FeedForecast) => void>();
  private consumer: ConsumeLoop | undefined;
  private p: Provisioned | undefined;
  private readyPromise: Promise<void> | undefined;
  private stopping = false;
  private onStop: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.onStop = resolve));

  constructor(
    private readonly config: Config,
    private readonly opts: ForecastFeedOptions = {},
  ) {
    this.topic = opts.topic ?? TOPICS.forecasts.name;
    this.groupId = opts.groupId ?? `sda-gateway-${hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)}-${process.pid}-${randomUUID().slice(0, 8)}`;
    if (opts.onForecast) this.listeners.add(opts.onForecast);
  }

  subscribe(fn: (f: FeedForecast) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Connects and starts consuming; resolves once the group owns the topic's partitions and sits at the end offsets
   * read before joining, so every forecast published after ready() resolves reaches the listeners.
   */
  start(): Promise<void> {
    this.readyPromise ??= this.run();
    return this.readyPromise;
  }

  private async run(): Promise<void> {
    const p = (this.p = await provision(this.config, 'sda-gateway-feed'));
    if (this.stopping) return;
    const admin = p.kafka.admin();
    await admin.connect();
    let ends: Array<{ partition: number; offset: string }>;
    try {
      ends = await admin.fetchTopicOffsets(this.topic);
    } finally {
      await admin.disconnect();
    }
    if (this.stopping) return;
    let joined: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (joined = resolve));
    this.consumer = await startConsumeLoop<Forecast>(p.kafka, {
      name: 'forecast-feed',
      topic: this.topic,
      groupId: this.groupId,
      serde: p.serde,
      reader: p.writers.forecasts,
      fromBeginning: false,
      // The group is this process's alone: its offsets matter to nobody, and it starts at the end offsets anyway.
      commit: { kind: 'after-handler' },
      // The forecasts sink owns the topic's durable processing and dead-letters undecodable records; here they are counted.
      deadLetters: {
        kind: 'skip',
        onSkipped: (letters) => {
          log.warn({ topic: letters[0]?.topic, partition: letters[0]?.partition, n: letters.length, reason: letters[0]?.reasonCode }, 'undecodable forecasts skipped');
          this.opts.onUndecodable?.(letters.length);
        },
      },
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 },
      onAssignment: (mine, seek) => {
        for (const partition of mine) {
          const end = ends.find((x) => x.partition === partition)?.offset;
          if (end !== undefined) seek(partition, end);
        }
        joined();
      },
      handle: async (batch) => {
        const receivedAt = Date.now();
        for (const g of batch.records) {
          const f: FeedForecast = { ...g.value, receivedAt, recordTimestamp: Number(g.timestamp) };
          for (const fn of this.listeners) {
            try {
              fn(f);
            } catch (err) {
              log.warn({ err: (err as Error).message }, 'a forecast listener failed');
            }
          }
        }
      },
    });
    await Promise.race([ready, this.stopped]);
    if (this.stopping) return;
    log.info({ topic: this.topic, groupId: this.groupId }, 'live forecast feed started');
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.onStop();
    await this.readyPromise?.catch(() => undefined);
    const c = this.consumer;
    this.consumer = undefined;
    if (!c || !this.p) return;
    await c.stop().catch(() => undefined);
    const admin = this.p.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch {
      // the group expires on its own
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
