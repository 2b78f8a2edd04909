// The one module that talks to Kafka client libraries. Everything else uses these functions and types, so a
// library can be swapped on measured evidence. Today: kafkajs for admin, consumers and transactions;
// @platformatic/kafka for bulk producing, where bench/roundtrip.ts measured it 2-3x faster than kafkajs on this
// machine (kafkajs groups a request's messages per partition in quadratic time and encodes records slowly), and for
// read_uncommitted offset listing (partitionEnds), which kafkajs's admin cannot ask.
import { EventEmitter } from 'node:events';
import { Admin as PlatformaticAdmin, FetchIsolationLevels, Producer as PlatformaticProducer, compatibilityPartitioner } from '@platformatic/kafka';
import { type Admin, CompressionTypes, Kafka, Partitioners, logLevel, type Consumer, type ConsumerConfig, type IHeaders, type ITopicConfig, type Producer, type ProducerConfig } from 'kafkajs';
import type { Config } from '../config.js';
import { logger } from '../logger.js';
import { KafkaError } from './errors.js';

export type { Admin, Consumer, Producer, EachBatchPayload, KafkaMessage, IHeaders } from 'kafkajs';

export interface OutgoingRecord {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
  timestamp?: string;
}

const log = logger('kafka');

type PinoLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * Retriable protocol errors a group or transaction coordinator answers while it is loading its state or moving, by
 * kafkajs's message for them (kafkajs src/protocol/error.js, codes 14, 15 and 16, each retriable there; its log entries
 * carry the message only), with the level their lines are logged at. A just-started broker creates and loads __consumer_offsets and
 * __transaction_state on the first FindCoordinator, so the first group join or InitProducerId of a fresh stack meets
 * them; kafkajs retries the request itself, and what it finally cannot do surfaces as its own error (a consumer crash,
 * a failed connect), which stays at error level. Code 51 (CONCURRENT_TRANSACTIONS, retriable in kafkajs) is the
 * transaction coordinator's answer to a new producer's fencing InitProducerId (connectFenced) while the previous
 * owner's open transaction is still being aborted: expected on every takeover of a partition, retried, debug.
 */
export const RETRIED_COORDINATOR_ERRORS: ReadonlyMap<string, { type: string; level: PinoLevel }> = new Map([
  ["The coordinator is loading and hence can't process requests for this group", { type: 'GROUP_LOAD_IN_PROGRESS', level: 'debug' }],
  ['The group coordinator is not available', { type: 'GROUP_COORDINATOR_NOT_AVAILABLE', level: 'debug' }],
  ['This is not the correct coordinator for this group', { type: 'NOT_COORDINATOR_FOR_GROUP', level: 'debug' }],
  ['The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing', { type: 'CONCURRENT_TRANSACTIONS', level: 'debug' }],
] as const);

/**
 * kafkajs's message for REBALANCE_IN_PROGRESS (code 27, non-retriable there): the group coordinator's answer to a
 * heartbeat when a member joins or leaves, the protocol's notice to rejoin. kafkajs's Runner rejoins and says so at
 * warn ('The group is rebalancing, re-joining'), so the connection's error line for that heartbeat response is logged
 * at info (`sda demo` printed one per consumer as its processors joined); the same error on any other request stays
 * at error level.
 */
export const REBALANCE_NOTICE = 'The group is rebalancing, so a rejoin is needed';

/**
 * The pino level of one kafkajs log entry (`namespace` as kafkajs names its logger: Connection, Consumer, ...):
 * kafkajs's level (NOTHING counts as error), except for error-level lines about a retried coordinator error
 * (RETRIED_COORDINATOR_ERRORS), which take that error's level:
 * - the connection's line for every error response ('Response JoinGroup(...)', its `error` the protocol error's
 *   message), logged before kafkajs retries the request;
 * - the consumer's 'Crash: KafkaJSProtocolError: <message>' for such an error: kafkajs restarts the consumer (the
 *   error is retriable), and createConsumer reports the crash itself (a warn line with its reason, metrics).
 * The consumer's 'Restarting the consumer in N ms' (kafkajs logs it at error level, after any retriable crash) is a
 * warning. Every other error, retriable or not, stays at error level (a broker that is down, a crash kafkajs does not restart from).
 */
export function kafkaLogLevel(level: logLevel, namespace = '', entry: { message?: unknown; error?: unknown; [field: string]: unknown } = {}): PinoLevel {
  const pinoLevel = toPinoLevel(level);
  if (pinoLevel !== 'error') return pinoLevel;
  if (typeof entry.error === 'string') {
    if (entry.error === REBALANCE_NOTICE && namespace === 'Connection' && typeof entry.message === 'string' && entry.message.startsWith('Response Heartbeat(')) return 'info';
    return RETRIED_COORDINATOR_ERRORS.get(entry.error)?.level ?? 'error';
  }
  if (namespace !== 'Consumer' || typeof entry.message !== 'string') return 'error';
  if (/^Restarting the consumer in \d+ ?ms$/.test(entry.message)) return 'warn';
  const crash = /^Crash: KafkaJSProtocolError: (.*)$/s.exec(entry.message);
  return (crash && RETRIED_COORDINATOR_ERRORS.get(crash[1]!)?.level) ?? 'error';
}

function toPinoLevel(level: logLevel): PinoLevel {
  switch (level) {
    case logLevel.ERROR:
    case logLevel.NOTHING:
      return 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      return 'info';
    default:
      return 'debug';
  }
}

export function createKafka(config: Config, clientId = config.kafka.clientId, opts: { quiet?: boolean; retries?: number; brokers?: string[] } = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: opts.brokers ?? config.kafka.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: opts.retries ?? 8, maxRetryTime: 5_000 },
    logLevel: opts.quiet ? logLevel.NOTHING : logLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }) => {
      const { message, timestamp: _ts, logger: _lg, ...extra } = entry;
      log[kafkaLogLevel(level, namespace, entry)]({ ns: namespace, ...extra }, message);
    },
  });
}

/**
 * An idempotent producer (acks=all, no duplicates on retry); pass transactionalId for exactly-once pipelines.
 * kafkajs keeps ordering under idempotence by allowing one request in flight per broker.
 */
/**
 * Transactional producers, one per input partition (transactional id `${prefix}-${partition}`, so a restarted
 * instance fences the old one's open transaction for that partition), created and connected on first use. A
 * failed connect is forgotten, so the next batch of that partition tries again. `producers` is the live map
 * (for dropping revoked partitions and disconnecting on stop).
 */
export function partitionProducers(kafka: Kafka, prefix: string): { producers: Map<number, Promise<Producer>>; producerFor: (partition: number) => Promise<Producer> } {
  const producers = new Map<number, Promise<Producer>>();
  const producerFor = (partition: number): Promise<Producer> => {
    let pr = producers.get(partition);
    if (!pr) {
      const producer = createProducer(kafka, { transactionalId: `${prefix}-${partition}` });
      pr = producer.connect().then(() => producer);
      producers.set(partition, pr);
      pr.catch(() => producers.delete(partition));
    }
    return pr;
  };
  return { producers, producerFor };
}

export function createProducer(kafka: Kafka, options: Partial<ProducerConfig> = {}): Producer {
  const make = () => kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // As the Java client does (retries = MAX_INT), so a retried batch can never be applied twice or out of order.
    retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: Number.MAX_SAFE_INTEGER },
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    ...options,
  });
  return options.transactionalId ? renewingTransactionalProducer(make, options.transactionalId) : make();
}

type Transaction = Awaited<ReturnType<Producer['transaction']>>;

/**
 * Connects a kafkajs transactional producer and fences every earlier producer with the same transactional id.
 * kafkajs 2.2.4's connect() runs only the idempotent InitProducerId, without the transactional id
 * (kafkajs src/producer/index.js, connect); the transactional InitProducerId, the one that bumps the epoch, fences a
 * previous owner and makes the coordinator abort or complete that owner's open transaction (KIP-98), runs lazily on
 * the first transaction(). So this begins one transaction and aborts it at once: the abort of a transaction that added
 * no partition is local (no EndTxn, kafkajs eosManager abort), and the InitProducerId before it returns only once the
 * previous owner's transaction is complete (kafkajs retries CONCURRENT_TRANSACTIONS). After this resolves, a producer
 * of the previous epoch can no longer add partitions, send offsets or commit (INVALID_PRODUCER_EPOCH /
 * PRODUCER_FENCED). Throws what connect() or InitProducerId throws (KafkaJS errors); on a failure the producer is
 * disconnected again.
 */
export async function connectFenced(producer: Producer): Promise<void> {
  try {
    await producer.connect();
    await (await producer.transaction()).abort();
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
}

/**
 * A transactional producer that fences on connect (connectFenced) and survives a failed transaction. kafkajs keeps a
 * producer's transaction state machine for its whole life: when a commit or abort fails (the broker went away
 * mid-transaction) it stays in COMMITTING or ABORTING and every later transaction() throws "Cannot call
 * beginTransaction in state ABORTING"; when a send, sendBatch or sendOffsets fails (a producer fenced by a newer
 * owner fails at AddPartitionsToTxn / AddOffsetsToTxn with INVALID_PRODUCER_EPOCH), kafkajs aborts locally and keeps
 * the old epoch, so every later transaction fails the same way. Either way the consumer feeding it could never make
 * progress again. After any failed transaction() / send / sendBatch / sendOffsets / commit / abort, the next
 * transaction() replaces the producer with a fresh one under the same transactional id, fenced (connectFenced): its
 * InitProducerId bumps the epoch, which fences the old producer and makes the coordinator abort the transaction it
 * left open (the Kafka protocol's recovery, KIP-98), so nothing of that transaction becomes visible and its input is
 * processed again. Each replacement logs 'transactional producer replaced after a failed transaction'.
 */
function renewingTransactionalProducer(make: () => Producer, transactionalId: string): Producer {
  let inner = make();
  let broken = false;
  let connected = false;
  const failed = (err: unknown): never => {
    broken = true;
    throw err;
  };
  const wrap = (tx: Transaction): Transaction => ({
    ...tx,
    send: (record) => tx.send(record).catch(failed),
    sendBatch: (batch) => tx.sendBatch(batch).catch(failed),
    sendOffsets: (offsets) => tx.sendOffsets(offsets).catch(failed),
    commit: () => tx.commit().catch(failed),
    abort: () => tx.abort().catch(failed),
  });
  const transaction = async (): Promise<Transaction> => {
    if (broken) {
      const old = inner;
      inner = make();
      broken = false;
      await old.disconnect().catch(() => undefined);
      if (connected) await connectFenced(inner).catch(failed);
      log.warn({ transactionalId }, 'transactional producer replaced after a failed transaction (the new epoch fences the old one)');
    }
    return wrap(await inner.transaction().catch(failed));
  };
  return new Proxy({} as Producer, {
    get(_, prop) {
      if (prop === 'transaction') return transaction;
      if (prop === 'connect') return async () => { connected = true; await connectFenced(inner).catch(failed); };
      if (prop === 'disconnect') return async () => { connected = false; await inner.disconnect(); };
      return Reflect.get(inner, prop);
    },
  });
}

/** The longest wait between attempts to start a crashed consumer again (as kafkajs's own maxRetryTime): a broker that is back is seen within this. */
const RESTART_MAX_MS = 5_000;

/** What a consumer's failure was about, for logs and the consumer error counter (platform/metrics.ts). */
export type ConsumerFaultReason = 'kafka-unavailable' | 'rebalance' | 'postgres-unavailable' | 'registry-unavailable' | 'no-progress' | 'other';

export interface ConsumerFault {
  group: string;
  reason: ConsumerFaultReason;
  message: string;
  /**
   * 'batch': a batch handler threw (the batch is delivered again); 'crash': the consumer stopped, `restart` says
   * whether it is started again; 'stall': the watchdog found a running consumer silent for `stallMs` (no fetch, batch,
   * heartbeat, join or crash) and started it again (reason 'no-progress').
   */
  kind: 'batch' | 'crash' | 'stall';
  restart?: boolean;
}

/** Every consumer's failed batches and crashes, as events ('fault', ConsumerFault): platform/metrics.ts counts them. */
export const consumerFaults = new EventEmitter();

const REBALANCE_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'FENCED_INSTANCE_ID']);

/**
 * Sorts an error by the service that failed: kafkajs errors by name and protocol error type (group errors are a
 * rebalance), SdaError REGISTRY_UNAVAILABLE, node-postgres errors by SQLSTATE class (08 connection, 57 operator
 * intervention such as an administrator shutdown) or the driver's connection messages.
 */
export function faultReason(err: unknown): ConsumerFaultReason {
  let e = err as { name?: string; type?: string; code?: unknown; message?: string; cause?: unknown; severity?: string } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.code === 'REGISTRY_UNAVAILABLE') return 'registry-unavailable';
    if (typeof e.type === 'string' && REBALANCE_TYPES.has(e.type)) return 'rebalance';
    const code = typeof e.code === 'string' ? e.code : '';
    if (e.severity !== undefined && /^(08|57|53)/.test(code)) return 'postgres-unavailable';
    if (/Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|terminating connection/i.test(e.message ?? '')) return 'postgres-unavailable';
    // A bare socket error under a kafkajs wrapper is not Kafka's: kafkajs wraps its own as KafkaJSConnectionError.
    if (depth > 0 && (code === 'ECONNREFUSED' || code === 'ECONNRESET') && !e.name?.startsWith('KafkaJS')) return 'postgres-unavailable';
    if (!e.cause) break;
    e = e.cause as typeof e;
  }
  const top = err as { name?: string; message?: string; code?: unknown } | undefined;
  if (top?.name?.startsWith('KafkaJS')) return 'kafka-unavailable';
  if (top?.code === 'ECONNREFUSED' || top?.code === 'ECONNRESET') return 'postgres-unavailable';
  return 'other';
}

function reportFault(fault: ConsumerFault): void {
  const msg = fault.kind === 'batch' ? 'batch failed; it is delivered again' : fault.kind === 'stall' ? 'consumer made no progress; the watchdog starts it again' : 'consumer crashed';
  (fault.kind !== 'batch' && !(fault.kind === 'crash' && fault.restart) ? log.error : log.warn).call(log, fault, msg);
  consumerFaults.emit('fault', fault);
}

/** kafkajs instrumentation events that show a consumer is alive: fetching, processing, heartbeating, (re)joining or restarting. */
const LIFE_EVENTS = ['FETCH_START', 'FETCH', 'START_BATCH_PROCESS', 'END_BATCH_PROCESS', 'HEARTBEAT', 'COMMIT_OFFSETS', 'GROUP_JOIN', 'REBALANCING', 'CONNECT', 'CRASH'] as const;

/**
 * How long a running consumer may stay silent before the watchdog restarts it: three session timeouts, and never less
 * than 90 s (a JoinGroup may legitimately wait for the whole rebalance timeout, 60 s by default). A consumer fetches
 * at least every maxWaitTimeInMs (5 s) even when it has nothing to read, so silence this long means its fetch loop is gone.
 */
export function stallTimeoutMs(sessionTimeoutMs: number): number {
  return Math.max(90_000, 3 * sessionTimeoutMs);
}

/**
 * A kafkajs consumer whose batch handlers report their failures (logged with the reason, counted in
 * sda_consumer_errors_total) before kafkajs retries the batch, and whose crashes are reported the same way.
 */
export function createConsumer(kafka: Kafka, groupId: string, options: Partial<ConsumerConfig> & { stallMs?: number } = {}): Consumer {
  const { stallMs: stallOption, ...kafkaOptions } = options;
  const sessionTimeout = kafkaOptions.sessionTimeout ?? 30_000;
  const stallMs = stallOption ?? stallTimeoutMs(sessionTimeout);
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    ...kafkaOptions,
  });
  const run = consumer.run;
  // Handlers running now and since when: a long handler is not a stall (it cannot be interrupted anyway).
  let handlersRunning = 0;
  let handlerSince = 0;
  let lastLife = Date.now();
  const guard = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => async (...args: A) => {
    if (handlersRunning++ === 0) handlerSince = Date.now();
    try {
      await fn(...args);
    } catch (err) {
      reportFault({ group: groupId, reason: faultReason(err), message: (err as Error)?.message ?? String(err), kind: 'batch' });
      throw err;
    } finally {
      handlersRunning--;
      lastLife = Date.now();
    }
  };
  // The consumer's subscriptions and run config, to start it again after a crash kafkajs does not restart from.
  const subscribe = consumer.subscribe;
  const disconnect = consumer.disconnect;
  const subscriptions: Array<Parameters<Consumer['subscribe']>[0]> = [];
  let runConfig: Parameters<Consumer['run']>[0] | undefined;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  consumer.subscribe = (s) => {
    subscriptions.push(s);
    return subscribe(s);
  };
  const stopConsumer = consumer.stop;
  const stoppedByCaller = () => {
    stopped = true;
    clearTimeout(restartTimer);
    clearInterval(watchdog);
    watchdog = undefined;
  };
  consumer.disconnect = () => {
    stoppedByCaller();
    return disconnect();
  };
  consumer.stop = () => {
    stoppedByCaller();
    return stopConsumer();
  };
  consumer.run = (config) => {
    runConfig = { ...config, eachBatch: config?.eachBatch && guard(config.eachBatch), eachMessage: config?.eachMessage && guard(config.eachMessage) };
    stopped = false;
    crashedForGood = false;
    lastLife = Date.now();
    watchdog ??= startWatchdog();
    return run(runConfig);
  };
  for (const e of LIFE_EVENTS) consumer.on(consumer.events[e], () => void (lastLife = Date.now()));
  // The watchdog: a consumer that was started (run) and not disconnected, with no handler running, that shows no
  // sign of life for stallMs is stopped and started again (it rejoins and resumes from the committed offsets, so
  // nothing is lost or repeated beyond what a rebalance does). A handler running longer than stallMs is logged once.
  let restarting = false;
  // A crash nobody restarts from (the handler's own error): the caller's watchCrash ends the job; the watchdog keeps out.
  let crashedForGood = false;
  let slowHandlerLogged = 0;
  let watchdog: NodeJS.Timeout | undefined;
  const startWatchdog = () => {
    const timer = setInterval(check, Math.max(1_000, Math.floor(stallMs / 6)));
    timer.unref?.();
    return timer;
  };
  const check = () => {
    if (stopped || runConfig === undefined || restarting || crashedForGood) return;
    const now = Date.now();
    if (handlersRunning > 0) {
      if (now - handlerSince > stallMs && slowHandlerLogged !== handlerSince) {
        slowHandlerLogged = handlerSince;
        log.warn({ group: groupId, runningMs: now - handlerSince, stallMs }, 'a batch handler has been running longer than the stall timeout');
      }
      return;
    }
    const silentMs = now - lastLife;
    if (silentMs <= stallMs) return;
    restarting = true;
    reportFault({ group: groupId, reason: 'no-progress', message: `no fetch, batch, heartbeat, join or crash for ${silentMs} ms (stall timeout ${stallMs} ms)`, kind: 'stall', restart: true });
    clearTimeout(restartTimer);
    const stoppedInTime = Promise.race([stopConsumer().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000).unref?.())]);
    void stoppedInTime
      .catch(() => true)
      .then((ok) => {
        if (!ok) log.error({ group: groupId }, 'the stalled consumer did not stop within 30 s; starting it again anyway');
        lastLife = Date.now();
        restarting = false;
        if (!stopped) restart(0);
      });
  };
  // kafkajs restarts a consumer after retriable errors only; a broker that stays away longer than its retries ends in a
  // non-retriable one (no group coordinator, no broker available) and the consumer stays stopped. Kafka-side crashes
  // are restarted here with a backoff capped at RESTART_MAX_MS, for as long as it takes: join again, resume from the committed offsets.
  const restart = (attempt: number) => {
    const delay = Math.min(RESTART_MAX_MS, 500 * 2 ** Math.min(attempt, 4));
    restartTimer = setTimeout(async () => {
      if (stopped) return;
      try {
        await consumer.connect();
        for (const s of subscriptions) await subscribe(s);
        await run(runConfig);
        log.warn({ group: groupId, attempt: attempt + 1 }, 'consumer started again (after a crash or a stall)');
      } catch (err) {
        log.warn({ group: groupId, attempt: attempt + 1, err: (err as Error).message, nextInMs: Math.min(RESTART_MAX_MS, 500 * 2 ** Math.min(attempt + 1, 4)) }, 'consumer could not start again yet');
        await disconnect().catch(() => undefined);
        restart(attempt + 1);
      }
    }, delay);
    restartTimer.unref?.();
  };
  consumer.on(consumer.events.CRASH, (e) => {
    const selfRestart = !e.payload.restart && !stopped && runConfig !== undefined && restartsAfterCrash(e.payload.error);
    reportFault({ group: groupId, reason: faultReason(e.payload.error), message: e.payload.error.message, kind: 'crash', restart: e.payload.restart || selfRestart });
    crashedForGood = !e.payload.restart && !selfRestart;
    if (selfRestart) restart(0);
  });
  return consumer;
}

/**
 * Whether createConsumer starts a consumer again after a crash kafkajs itself does not restart from: when the root
 * cause is a Kafka error (broker, coordinator or metadata unavailable). A crash whose root cause is the handler's own
 * programming error (TypeError, RangeError, ...) stays a crash.
 */
export function restartsAfterCrash(err: Error): boolean {
  let e: { name?: string; cause?: unknown } = err;
  for (let depth = 0; depth < 5 && e.cause; depth++) e = e.cause as typeof e;
  return typeof e.name === 'string' && e.name.startsWith('KafkaJS') && e.name !== 'KafkaJSNotImplemented';
}

/**
 * Sends inside a transaction in requests of at most 1,000 records: kafkajs groups a request's messages per
 * partition in quadratic time, and one request must stay under the broker's message size limit.
 */
export async function sendChunked(tx: { send: Producer['send'] }, topic: string, records: Array<{ key: string | Buffer | null; value: Buffer | null; headers?: Record<string, string | Buffer>; timestamp?: string }>): Promise<void> {
  for (let i = 0; i < records.length; i += 1_000) await tx.send({ topic, acks: -1, messages: records.slice(i, i + 1_000) });
}

export async function sendRecords(producer: Producer, topic: string, records: OutgoingRecord[], compression: 'none' | 'lz4' | 'gzip' = 'none'): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    compression: compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, partition: r.partition, timestamp: r.timestamp })),
  });
}

/**
 * Watches a consumer for a crash neither kafkajs nor createConsumer restarts from (kafkajs restarts after retriable
 * errors, createConsumer after Kafka-side ones):
 * `failed` rejects with the reason, so a job can end non-zero instead of hanging.
 */
export function watchCrash(consumer: Consumer, job: string): { failed: Promise<never>; crashed: () => Error | undefined } {
  let crashed: Error | undefined;
  let onFailed: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (onFailed = reject));
  failed.catch(() => undefined);
  consumer.on(consumer.events.CRASH, (e) => {
    const restart = e.payload.restart || restartsAfterCrash(e.payload.error);
    // A crash the consumer is started again from is createConsumer's warning (reportFault); this line is the job's end.
    (restart ? log.debug : log.error).call(log, { job, err: e.payload.error.message, restart }, 'consumer crashed');
    if (restart) return;
    crashed = e.payload.error;
    onFailed(new Error(`${job} stopped: ${crashed.message}`));
  });
  return { failed, crashed: () => crashed };
}

const METADATA_LAG_TYPES = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);
const metadataLag = (err: unknown) => METADATA_LAG_TYPES.has((err as { type?: string })?.type ?? '');

/**
 * Creates topics and waits until every partition has a leader. kafkajs's own wait (createTopics waitForLeaders)
 * retries LEADER_NOT_AVAILABLE only; a KRaft broker can answer the metadata request before it has applied the new
 * topic and says UNKNOWN_TOPIC_OR_PARTITION, which kafkajs throws although the topic was created. That is waited
 * out here (polling metadata every 100 ms, up to `timeoutMs`). Topics that exist already are left as they are (and
 * awaited the same way: another process may have created them a moment ago).
 */
export async function createTopicsAndWait(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000): Promise<void> {
  try {
    // false: every topic existed already, perhaps just created by another process; then their leaders are awaited too.
    if (await admin.createTopics({ waitForLeaders: true, timeout: timeoutMs, topics })) return;
  } catch (err) {
    if (!metadataLag(err)) throw err;
  }
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: names });
      if (md.topics.length === names.length && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!metadataLag(err)) throw err;
    }
    if (Date.now() > deadline) throw new KafkaError('KAFKA_UNAVAILABLE', `topics ${names.join(', ')} were created but have no leader after ${timeoutMs} ms`, true);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Header values as strings (kafkajs gives Buffers, arrays for repeated keys). */
export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

export { Kafka };

/** The leaf messages of an error tree (the platformatic client nests AggregateErrors). */
function innermostMessages(err: unknown, depth = 0): string[] {
  const nested = (err as { errors?: unknown[] })?.errors;
  if (Array.isArray(nested) && nested.length > 0 && depth < 5) return [...new Set(nested.flatMap((e) => innermostMessages(e, depth + 1)))];
  return [(err as Error)?.message ?? String(err)];
}

/** One partition's ends, as offsets: `highWatermark` the offset after its last appended record, committed or not; `lastStable` the first offset a read_committed reader cannot pass yet (the first record of the oldest transaction still open), equal to `highWatermark` when none is open. */
export interface PartitionEnds {
  highWatermark: bigint;
  lastStable: bigint;
}

/**
 * The ends of `partitions` of `topic` (partition -> PartitionEnds): topicPartitionEnds for the one topic.
 * Errors: as topicPartitionEnds.
 */
export async function partitionEnds(config: Config, topic: string, partitions: number[]): Promise<Map<number, PartitionEnds>> {
  return (await topicPartitionEnds(config, new Map([[topic, partitions]]))).get(topic) ?? new Map();
}

/**
 * The ends of the given partitions of each topic (topic -> partition -> PartitionEnds), over one connection: two
 * ListOffsets requests (latest offset) for all the topics together, read_uncommitted then read_committed: a
 * transaction open on a partition shows as `lastStable` < `highWatermark`. kafkajs cannot ask the first: its
 * admin.fetchTopicOffsets always lists read_committed, so its `high` is the last stable offset. The high watermark is
 * asked first, so a plain record appended between the two requests never reads as an open transaction (it moves the
 * last stable offset past the high watermark taken before it). Topics with no partitions asked are left out.
 * Errors: KafkaError('KAFKA_UNAVAILABLE', retriable) when the broker cannot answer, or answers with an error (an
 * unknown topic or partition included: the whole call fails), the client's message in it.
 */
export async function topicPartitionEnds(config: Config, partitions: ReadonlyMap<string, number[]>): Promise<Map<string, Map<number, PartitionEnds>>> {
  const out = new Map<string, Map<number, PartitionEnds>>();
  const asked = [...partitions].filter(([, ps]) => ps.length > 0);
  if (asked.length === 0) return out;
  const names = asked.map(([t]) => t).join(', ');
  const admin = new PlatformaticAdmin({ clientId: `${config.kafka.clientId}-offsets`, bootstrapBrokers: config.kafka.brokers, retries: 3, retryDelay: 250, timeout: 10_000, connectTimeout: 5_000 });
  const latest = async (isolationLevel: (typeof FetchIsolationLevels)[keyof typeof FetchIsolationLevels]): Promise<Map<string, Map<number, bigint>>> => {
    const topics = await admin.listOffsets({ topics: asked.map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })), isolationLevel });
    return new Map(topics.map((t) => [t.name, new Map(t.partitions.map((p) => [p.partitionIndex, p.offset]))]));
  };
  try {
    const high = await latest(FetchIsolationLevels.READ_UNCOMMITTED);
    const stable = await latest(FetchIsolationLevels.READ_COMMITTED);
    for (const [topic, ps] of asked) {
      const ends = new Map<number, PartitionEnds>();
      for (const partition of ps) {
        const h = high.get(topic)?.get(partition);
        const s = stable.get(topic)?.get(partition);
        if (h === undefined || s === undefined) throw new Error(`no offsets answered for ${topic} partition ${partition}`);
        ends.set(partition, { highWatermark: h, lastStable: s });
      }
      out.set(topic, ends);
    }
    return out;
  } catch (err) {
    throw new KafkaError('KAFKA_UNAVAILABLE', `cannot list the end offsets of ${names}: ${innermostMessages(err).join('; ')}`, true, { cause: err });
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * A high-throughput idempotent producer (acks=all) for sources that publish many records. Keys are partitioned
 * with the Java-compatible murmur2 partitioner, the same as kafkajs's default, so a series lands on the same
 * partition whichever producer wrote it. Sends are serialised: the idempotent sequence numbers need one request
 * in flight per partition, and callers get throughput from batch size instead.
 */
export class BulkProducer {
  private readonly producer: PlatformaticProducer<Buffer, Buffer, string, Buffer>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(config: Config, clientId = `${config.kafka.clientId}-bulk`) {
    this.producer = new PlatformaticProducer<Buffer, Buffer, string, Buffer>({
      clientId,
      bootstrapBrokers: config.kafka.brokers,
      idempotent: true,
      acks: -1,
      partitioner: compatibilityPartitioner,
      retries: 10,
      retryDelay: 250,
      timeout: 30_000,
      connectTimeout: 5_000,
      // Keys and values arrive as Buffers already; header names are strings on our side.
      serializers: {
        key: (k?: Buffer) => k,
        value: (v?: Buffer) => v,
        headerKey: (k?: string) => (k === undefined ? undefined : Buffer.from(k)),
        headerValue: (v?: Buffer) => v,
      },
    });
  }

  /** Resolves once the broker has acknowledged every record (acks=all). */
  send(topic: string, records: OutgoingRecord[]): Promise<void> {
    const messages = records.map((r) => ({
      topic,
      key: r.key === null ? undefined : Buffer.isBuffer(r.key) ? r.key : Buffer.from(r.key),
      value: r.value ?? undefined,
      partition: r.partition,
      headers: r.headers ? Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)])) : undefined,
      timestamp: r.timestamp === undefined ? undefined : BigInt(r.timestamp),
    }));
    const next = this.chain.then(() => this.producer.send({ messages }));
    this.chain = next.catch(() => undefined);
    return next.then(() => undefined, (err: unknown) => {
      throw new KafkaError('KAFKA_PRODUCE', `producing ${records.length} records to ${topic} failed: ${innermostMessages(err).join('; ')}`, (err as { retriable?: unknown }).retriable === true, { cause: err });
    });
  }

  async close(): Promise<void> {
    await this.chain;
    await this.producer.close();
  }
}
