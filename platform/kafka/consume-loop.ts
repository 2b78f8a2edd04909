// The one consume loop every pipeline consumer uses: subscribe, fetch batches (partitions concurrently where asked),
// decode Avro through the registry (writer -> reader resolution), skip context copies where asked, validate, hand
// the good records to the job's handler, dead-letter poison records with their reason and raw payload, heartbeat,
// and commit the offsets by ONE policy chosen per consumer:
//  - 'after-handler': offsets are committed after the handler resolved (a sink: after its store's transaction
//    committed) and the batch's dead letters were published. A crash in between re-delivers the batch, so the
//    handler must be idempotent.
//  - 'transactional': the handler's records, the batch's dead letters and the consumer offsets (sendOffsets) go
//    in one Kafka transaction of the partition's producer: exactly once for read_committed readers.
// A handler, decode (registry unreachable) or commit failure throws out of the batch: nothing of it is committed,
// the client reports the fault (sda_consumer_errors_total) and delivers the batch again.
// Counts reconcile: received = accepted + rejected + skipped.
//
// The handler sees decoded records and a small context (send, deadLetter, heartbeat, onCommit, onAbort), never the
// client library's types: the library is bound in one place below (kafkajs today, `startConsumeLoop`), and
// `processBatch` is the client-neutral policy a second binding reuses.
import type { DeadLetter } from '../../schemas/types.js';
import { loadConfig } from '../config.js';
import { logger } from '../logger.js';
import type { AvroSerde, Writer } from './avro-serde.js';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type OutgoingRecord,
  type Producer,
  createConsumer,
  createProducer,
  headersToStrings,
  sendChunked,
  watchCrash,
} from './client.js';
import { isContextCopy } from './context-series.js';
import { LoopProgress, loopProgressSettings, sharedConnection } from './loop-progress.js';
import { type DeadLetterInput, DeadLetterPublisher } from './dead-letter.js';
import { PoisonRecordError } from './errors.js';
import { startPlatformaticConsumeLoop } from './platformatic-consumer.js';

const log = logger('consume-loop');

/** A record as fetched, before decoding (client-neutral). */
export interface FetchedRecord {
  /** The record's offset, a decimal string (offsets are 64-bit). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as UTF-8 strings (the first of a repeated header). */
  headers: Record<string, string>;
  /** Broker timestamp, milliseconds since the epoch, as a decimal string. */
  timestamp: string;
}

/** A fetched batch: records of one partition in offset order (client-neutral). */
export interface FetchedBatch {
  topic: string;
  partition: number;
  records: FetchedRecord[];
}

/** A decoded, valid record handed to a handler. */
export interface DecodedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  /** Broker timestamp, ms since the epoch, as a decimal string. */
  timestamp: string;
  /** The registry id of the schema the record was written with. */
  schemaId: number;
  /** The value in the reader schema's shape. */
  value: T;
  /** The payload as received, for a dead letter raised after decoding. */
  raw: Buffer | null;
}

/** A record without a value (a compacted topic's delete), handed over where `tombstones: 'hand-over'`. */
export interface Tombstone {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
}

/** A reason to dead-letter a value: a stable kebab-case code and a message. */
export type Rejection = { reasonCode: string; message: string };

/** One batch (or slice of one, see maxRecordsPerBatch) as the handler sees it. */
export interface ConsumedBatch<T> {
  topic: string;
  partition: number;
  /** Decoded, valid records in offset order; context copies left out where skipContextCopies. */
  records: DecodedRecord<T>[];
  /** Records without a value, in offset order; only with `tombstones: 'hand-over'` (otherwise they are poison). */
  tombstones: Tombstone[];
  /** Poison and invalid records of this batch; the loop dead-letters them after the handler (a sink may also store them). */
  rejected: readonly DeadLetterInput[];
  /** Records fetched in this batch, whatever became of them (including those skipped, resumeAt's among them). */
  received: number;
  /** Broker timestamp (ms since the epoch) of the batch's last record. */
  lastTimestamp: number;
  /** The offset the batch commits for its partition (last offset + 1), a decimal string. */
  nextOffset: string;
}

/** What a handler may do besides reading its batch. */
export interface BatchContext {
  /**
   * Transactional policy: sends records inside the batch's transaction (visible to read_committed readers only if
   * it commits). After-handler policy: throws (a sink writes its store; a processor that publishes is transactional).
   */
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  /** Dead-letters a record the handler cannot process; sent with the batch's poison records, under the same policy. */
  deadLetter(letter: DeadLetterInput): void;
  /** Tells the group this member is alive (call it between long steps of one batch). */
  heartbeat(): Promise<void>;
  /** Runs once the batch is committed (offsets committed, or the transaction committed), in registration order. */
  onCommit(fn: () => void): void;
  /** Runs when the batch failed after its handler started (handler error, abort, failed commit): it is delivered again. */
  onAbort(fn: () => void): void;
}

/** A producer that runs Kafka transactions (createProducer with a transactionalId; partitionProducers). */
export type TransactionalProducer = Pick<Producer, 'transaction'>;

/** How a consumer's offsets are committed: one explicit choice per consumer. */
export type CommitPolicy =
  | { kind: 'after-handler' }
  | {
      kind: 'transactional';
      /** The transactional producer of an input partition (one per partition, so a restart fences its zombie). */
      producerFor: (partition: number) => Promise<TransactionalProducer>;
    };

/** Where rejected records go: the dead-letter topic (default market.dlq), or nowhere (counted and reported only). */
export type DeadLetterPolicy =
  | { kind: 'publish'; writer: Writer<DeadLetter>; topic?: string }
  /** A publisher the caller owns (and its producer): runDecodingConsumer. */
  | { kind: 'publisher'; publisher: DeadLetterPublisher }
  | { kind: 'skip'; onSkipped?: (letters: readonly DeadLetterInput[]) => void };

/** Counts over the loop's life. Reconcile: received = accepted + rejected + skipped. */
export interface LoopCounts {
  /** Records fetched. */
  received: number;
  /** Decoded, valid records (and tombstones, with `tombstones: 'hand-over'`) handed to the handler. */
  accepted: number;
  /** Poison or invalid records, dead-lettered by the loop (or skipped with `deadLetters: skip`). */
  rejected: number;
  /** Context copies left out (skipContextCopies) and records before `resumeAt`. */
  skipped: number;
  /** Dead letters sent: the rejected records plus those the handler raised. */
  deadLettered: number;
  /** Batches committed. */
  batches: number;
}

/** Group membership and fetch settings a consumer may tune. */
export interface ConsumerSettings {
  /** Ms without a heartbeat before the group drops the member. */
  sessionTimeout?: number;
  /** Ms between heartbeats. */
  heartbeatInterval?: number;
  /** Bytes fetched per partition and request (bounds a batch). */
  maxBytesPerPartition?: number;
  /** Bytes fetched per request. */
  maxBytes?: number;
  /** Ms the broker may wait for data before answering a fetch. */
  maxWaitTimeInMs?: number;
}

/** The options every consumer gives the loop (validated at start: startConsumeLoop throws a RangeError naming each bad one). */
export interface ConsumeLoopOptions<T> {
  /** Names the job in logs, crash messages and its dead letters' `processor`. */
  name: string;
  topic: string;
  groupId: string;
  serde: AvroSerde;
  /** Decode into this schema's shape (older or newer writer schemas are resolved); default the writer's shape. */
  reader?: Writer<T>;
  /** Extra validation of a decoded value: a reason dead-letters it. */
  validate?: (value: T) => Rejection | undefined;
  /** Default true: a new group starts at the beginning of the topic. */
  fromBeginning?: boolean;
  commit: CommitPolicy;
  deadLetters: DeadLetterPolicy;
  /** Partitions processed at once (default 1). */
  partitionsConsumedConcurrently?: number;
  /** Split a fetched batch into handler calls of at most this many records, each committed on its own. */
  maxRecordsPerBatch?: number;
  /** Leave out valid context copies of SYSTEM ticks (platform/kafka/context-series.ts): counted as skipped. */
  skipContextCopies?: boolean;
  /** Records without a value: 'decode' (default; they are poison) or 'hand-over' (batch.tombstones). */
  tombstones?: 'decode' | 'hand-over';
  /**
   * The first offset of a partition the consumer still needs (its restored state holds the earlier ones), or
   * undefined for all. Earlier records are skipped undecoded; a batch of only such records commits nothing.
   * `heartbeat` tells the group this member is alive: call it while a long wait (a state rebuild) runs, since the
   * client heartbeats only between batches.
   */
  resumeAt?: (partition: number, heartbeat: () => Promise<void>) => Promise<bigint | undefined>;
  /** Client settings; the client's defaults where absent (platform/kafka/client.ts createConsumer). */
  consumer?: ConsumerSettings;
  /** Called when the member has joined the group with the partitions it now owns; `seek` moves a partition's position. */
  onAssignment?: (partitions: number[], seek: (partition: number, offset: string) => void) => void;
  /** Processes one batch. Resolving lets the loop commit it; throwing has it delivered again. */
  handle: (batch: ConsumedBatch<T>, ctx: BatchContext) => Promise<void>;
}

/** A running loop. */
export interface ConsumeLoop {
  counts: LoopCounts;
  /** Rejects when the consumer crashed beyond the client's own restarts, so a job can end non-zero. */
  failed: Promise<never>;
  /** The crash that ended the loop, if any. */
  crashed(): Error | undefined;
  /** Leaves the group and closes the loop's connections. */
  stop(): Promise<void>;
}

/**
 * Sorts a batch's records into decoded good records, tombstones and rejections (bad framing, unknown schema,
 * undecodable body, or a value `validate` rejects). The writer schemas are fetched once each.
 * Errors: SdaError REGISTRY_UNAVAILABLE (retriable) when the registry cannot be reached: the batch is redelivered.
 */
export async function decodeBatch<T>(
  serde: AvroSerde,
  batch: FetchedBatch,
  reader: Writer<T> | undefined,
  validate?: (value: T) => Rejection | undefined,
  opts: { skipContextCopies?: boolean; tombstones?: 'decode' | 'hand-over' } = {},
): Promise<{ good: DecodedRecord<T>[]; poison: DeadLetterInput[]; tombstones: Tombstone[]; skipped: number }> {
  const good: DecodedRecord<T>[] = [];
  const poison: DeadLetterInput[] = [];
  const tombstones: Tombstone[] = [];
  let skipped = 0;
  for (const m of batch.records) {
    if (m.value === null && opts.tombstones === 'hand-over') {
      tombstones.push({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key ? m.key.toString('utf8') : null });
      continue;
    }
    const letter = (reason: Rejection) =>
      poison.push({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, raw: m.value, ...reason });
    try {
      const decoded = serde.decodeCached<T>(m.value, reader) ?? (await serde.decode<T>(m.value, reader));
      const invalid = validate?.(decoded.value);
      if (invalid) {
        letter(invalid);
        continue;
      }
      if (opts.skipContextCopies && isContextCopy(m.headers)) {
        skipped++;
        continue;
      }
      good.push({
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        key: m.key ? m.key.toString('utf8') : null,
        headers: m.headers,
        timestamp: m.timestamp,
        schemaId: decoded.schemaId,
        value: decoded.value,
        raw: m.value,
      });
    } catch (err) {
      if (!(err instanceof PoisonRecordError)) throw err;
      letter({ reasonCode: err.reasonCode, message: err.message });
    }
  }
  return { good, poison, tombstones, skipped };
}

/** What processBatch needs from the client binding for one fetched batch. */
export interface BatchControl {
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the partition was revoked (the rest of the batch is left for its next owner). */
  isRunning(): boolean;
  /** Commits `offset` (the next to read) for the batch's partition outside a transaction (after-handler policy). */
  commitOffset(offset: string): Promise<void>;
  /** Marks the batch's records up to `offset` processed (the client's in-memory position). */
  resolveOffset(offset: string): void;
}

/** What a binding keeps for processBatch over the loop's life: the counts, and the dead-letter publisher (none: skip). */
export interface LoopState {
  counts: LoopCounts;
  /** Encodes dead letters (transactional) or publishes them (after-handler); undefined with `deadLetters: skip`. */
  publisher: DeadLetterPublisher | undefined;
}

/**
 * The loop's policy for one fetched batch (client-neutral): skip what `resumeAt` says is done, then per slice of at
 * most maxRecordsPerBatch: decode, hand to the handler, dead-letter and commit by the consumer's policy, count,
 * heartbeat. Throws (nothing of the failed slice committed) when decoding, the handler or the commit fails.
 */
export async function processBatch<T>(opts: ConsumeLoopOptions<T>, state: LoopState, batch: FetchedBatch, control: BatchControl): Promise<void> {
  if (batch.records.length === 0) return;
  let records = batch.records;
  // Records resumeAt skipped: counted with the first slice, once it commits.
  let before = 0;
  const from = await opts.resumeAt?.(batch.partition, () => control.heartbeat());
  if (from !== undefined) {
    // Records come in offset order: only a batch that starts before the state's offset has records to drop.
    const fresh = BigInt(records[0]!.offset) >= from ? records : records.filter((m) => BigInt(m.offset) >= from);
    if (fresh.length < records.length)
      log.warn(
        { job: opts.name, partition: batch.partition, skipped: records.length - fresh.length, from: records[0]!.offset, stateAt: String(from) },
        "records before the restored state's offset skipped",
      );
    else if (BigInt(records[0]!.offset) > from)
      log.warn(
        { job: opts.name, partition: batch.partition, from: records[0]!.offset, stateAt: String(from) },
        "batch starts after the restored state's offset (records between were compacted away or the state is behind)",
      );
    if (fresh.length === 0) {
      control.resolveOffset(records[records.length - 1]!.offset);
      state.counts.received += records.length;
      state.counts.skipped += records.length;
      await control.heartbeat();
      return;
    }
    before = records.length - fresh.length;
    records = fresh;
  }
  const size = opts.maxRecordsPerBatch ?? records.length;
  for (let i = 0; i < records.length; i += size) {
    if (!control.isRunning()) return;
    await processSlice(opts, state, { topic: batch.topic, partition: batch.partition, records: records.slice(i, i + size) }, control, i === 0 ? before : 0);
  }
}

/** One slice: decode, handle, dead-letter, commit by the policy, count (`skippedBefore`: records resumeAt skipped ahead of it). */
async function processSlice<T>(opts: ConsumeLoopOptions<T>, state: LoopState, slice: FetchedBatch, control: BatchControl, skippedBefore: number): Promise<void> {
  const last = slice.records[slice.records.length - 1]!;
  const nextOffset = (BigInt(last.offset) + 1n).toString();
  const { good, poison, tombstones, skipped } = await decodeBatch(opts.serde, slice, opts.reader, opts.validate, opts);
  const letters: DeadLetterInput[] = [...poison];
  const committed: Array<() => void> = [];
  const aborted: Array<() => void> = [];
  const batch: ConsumedBatch<T> = {
    topic: slice.topic,
    partition: slice.partition,
    records: good,
    tombstones,
    rejected: poison,
    received: slice.records.length + skippedBefore,
    lastTimestamp: Number(last.timestamp),
    nextOffset,
  };
  const ctx = (send: BatchContext['send']): BatchContext => ({
    send,
    deadLetter: (letter) => void letters.push(letter),
    heartbeat: () => control.heartbeat(),
    onCommit: (fn) => void committed.push(fn),
    onAbort: (fn) => void aborted.push(fn),
  });
  const failed = (err: unknown): never => {
    for (const fn of aborted) fn();
    throw err;
  };
  if (opts.commit.kind === 'transactional') {
    const producer = await opts.commit.producerFor(slice.partition);
    const tx = await producer.transaction();
    try {
      await opts.handle(
        batch,
        ctx((topic, records) => sendChunked(tx, topic, records)),
      );
      if (letters.length > 0 && state.publisher) await sendChunked(tx, state.publisher.topic, state.publisher.encode(letters));
      await tx.sendOffsets({
        consumerGroupId: opts.groupId,
        topics: [{ topic: slice.topic, partitions: [{ partition: slice.partition, offset: nextOffset }] }],
      });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      failed(err);
    }
    control.resolveOffset(last.offset);
  } else {
    try {
      await opts.handle(
        batch,
        ctx(() => Promise.reject(new Error(`${opts.name}: send() needs the transactional commit policy`))),
      );
      // The handler's store has committed: now the dead letters, then the offsets. A crash between the two
      // re-delivers the batch: the store's upsert repeats nothing, the DLQ may carry such a letter twice.
      if (letters.length > 0) await state.publisher?.publish(letters);
      control.resolveOffset(last.offset);
      await control.commitOffset(nextOffset);
    } catch (err) {
      failed(err);
    }
  }
  if (letters.length > 0 && opts.deadLetters.kind === 'skip') opts.deadLetters.onSkipped?.(letters);
  const c = state.counts;
  c.received += slice.records.length + skippedBefore;
  c.accepted += good.length + tombstones.length;
  c.rejected += poison.length;
  c.skipped += skipped + skippedBefore;
  c.deadLettered += state.publisher ? letters.length : 0;
  c.batches += 1;
  for (const fn of committed) fn();
  await control.heartbeat();
}

/** A kafkajs message as a client-neutral record. */
function fromKafkajs(m: KafkaMessage): FetchedRecord {
  return { offset: m.offset, key: m.key ?? null, value: m.value ?? null, headers: m.headers ? headersToStrings(m.headers) : {}, timestamp: m.timestamp };
}

/** Checks the options every binding takes. Errors: RangeError naming each bad option. */
export function checkOptions<T>(opts: ConsumeLoopOptions<T>): void {
  const bad: string[] = [];
  const positiveInt = (name: string, v: number | undefined) =>
    v !== undefined && !(Number.isInteger(v) && v > 0) && bad.push(`${name} must be a positive integer, got ${v}`);
  if (!opts.name) bad.push('name is required');
  if (!opts.topic) bad.push('topic is required');
  if (!opts.groupId) bad.push('groupId is required');
  positiveInt('partitionsConsumedConcurrently', opts.partitionsConsumedConcurrently);
  positiveInt('maxRecordsPerBatch', opts.maxRecordsPerBatch);
  if (bad.length > 0) throw new RangeError(`consume loop ${opts.name || '(unnamed)'}: ${bad.join('; ')}`);
}

/**
 * The dead-letter publisher of a loop (undefined with `deadLetters: skip`), and the producer it owns: the after-handler
 * policy publishes dead letters with a producer of its own (`makeProducer`, connected by the caller); a transactional
 * one encodes them into its own transaction, and `deadLetters: publisher` brings its publisher.
 */
export function deadLetterSetup<T>(opts: ConsumeLoopOptions<T>, makeProducer: () => Producer): { producer: Producer | undefined; publisher: DeadLetterPublisher | undefined } {
  const dl = opts.deadLetters;
  const producer = dl.kind === 'publish' && opts.commit.kind === 'after-handler' ? makeProducer() : undefined;
  const publisher =
    dl.kind === 'publish' ? new DeadLetterPublisher(opts.serde, dl.writer, producer, opts.name, dl.topic) : dl.kind === 'publisher' ? dl.publisher : undefined;
  return { producer, publisher };
}

/**
 * Starts the loop on a kafkajs consumer of its own (createConsumer: fault metrics, restarts and the stall
 * watchdog), read_committed. Resolves once the consumer runs (not once it has joined: see onAssignment).
 * Errors: RangeError for bad options; Kafka errors when the broker cannot be reached.
 */
export async function startConsumeLoop<T>(kafka: Kafka, opts: ConsumeLoopOptions<T>): Promise<ConsumeLoop> {
  // KAFKA_CONSUMER_CLIENT=platformatic runs the same loop on @platformatic/kafka (issue 11: the client chosen on evidence).
  const config = loadConfig();
  if (config.kafka.consumerClient === 'platformatic') return startPlatformaticConsumeLoop(config, opts);
  checkOptions(opts);
  const consumer = createConsumer(kafka, opts.groupId, { readUncommitted: false, ...opts.consumer });
  const { producer, publisher } = deadLetterSetup(opts, () => createProducer(kafka));
  const crash = watchCrash(consumer, opts.name);
  const progress = watchProgress(kafka, consumer, opts);
  await Promise.all([consumer.connect(), producer?.connect()]);
  const loop = await runOn(consumer, opts, publisher);
  progress?.start();
  return {
    counts: loop.counts,
    failed: crash.failed,
    crashed: crash.crashed,
    async stop() {
      await progress?.stop();
      await consumer.disconnect();
      await producer?.disconnect();
    },
  };
}

/**
 * The loop's progress reporter (loop-progress.ts) when the process turned it on (setLoopProgress), fed by the
 * consumer's group joins (the partitions owned) and END_BATCH_PROCESS events (kafkajs emits one after each batch the
 * handler got through, and for a batch of only a commit marker or aborted records, so a transactional topic's end is
 * reached too). Its admin connection opens at the first check (again at the next check when that connect failed:
 * loop-progress.ts sharedConnection); stop ends the timer and closes it.
 */
function watchProgress<T>(kafka: Kafka, consumer: Consumer, opts: ConsumeLoopOptions<T>): { start(): void; stop(): Promise<void> } | undefined {
  const s = loopProgressSettings();
  if (!s) return undefined;
  // Opened at the first check and kept; a failed connect is tried again at the next check (sharedConnection).
  const admin = sharedConnection<Admin>(async () => {
    const a = kafka.admin();
    try {
      await a.connect();
    } catch (err) {
      await a.disconnect().catch(() => undefined);
      throw err;
    }
    return a;
  });
  const write = s.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const reporter = new LoopProgress(opts.name, opts.topic, opts.groupId, admin.open, write);
  consumer.on(consumer.events.GROUP_JOIN, (e) => reporter.assigned((e.payload.memberAssignment[opts.topic] ?? []) as number[]));
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    if (e.payload.topic === opts.topic) reporter.passed(e.payload.partition, e.payload.lastOffset);
  });
  return {
    start: () => reporter.start(s.everyMs),
    async stop() {
      reporter.stop();
      await (await admin.opened())?.disconnect().catch(() => undefined);
    },
  };
}

/** Runs the loop on a connected kafkajs consumer; the caller owns the consumer (and `publisher`'s producer). */
async function runOn<T>(consumer: Consumer, opts: ConsumeLoopOptions<T>, publisher: DeadLetterPublisher | undefined): Promise<{ counts: LoopCounts }> {
  const state: LoopState = { counts: { received: 0, accepted: 0, rejected: 0, skipped: 0, deadLettered: 0, batches: 0 }, publisher };
  if (opts.onAssignment) {
    const onAssignment = opts.onAssignment;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const mine = (e.payload.memberAssignment[opts.topic] ?? []) as number[];
      onAssignment(mine, (partition, offset) => consumer.seek({ topic: opts.topic, partition, offset }));
    });
  }
  await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning ?? true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
    eachBatch: async (payload: EachBatchPayload) => {
      const { batch } = payload;
      await processBatch(
        opts,
        state,
        { topic: batch.topic, partition: batch.partition, records: batch.messages.map(fromKafkajs) },
        {
          heartbeat: () => payload.heartbeat(),
          isRunning: () => payload.isRunning() && !payload.isStale(),
          resolveOffset: (offset) => payload.resolveOffset(offset),
          commitOffset: (offset) => consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }]),
        },
      );
    },
  });
  return { counts: state.counts };
}

/** The counts runDecodingConsumer reports. Reconcile: received = accepted + deadLettered. */
export interface ConsumeCounts {
  received: number;
  accepted: number;
  deadLettered: number;
}

/**
 * The loop on a caller's connected consumer with the after-handler policy (the demo's round trip, tests): decodes
 * `topic`, hands each batch's good records to `handle`, publishes poison records with `deadLetters`, commits after.
 * The caller owns (and disconnects) the consumer and the publisher's producer. Resolves once the consumer runs.
 */
export async function runDecodingConsumer<T>(opts: {
  consumer: Consumer;
  serde: AvroSerde;
  deadLetters: DeadLetterPublisher;
  topic: string;
  reader?: Writer<T>;
  fromBeginning?: boolean;
  validate?: (value: T) => Rejection | undefined;
  /** Processes one decoded batch; offsets are committed after it resolves. */
  handle: (records: DecodedRecord<T>[]) => Promise<void>;
}): Promise<{ counts: ConsumeCounts }> {
  const counts: ConsumeCounts = { received: 0, accepted: 0, deadLettered: 0 };
  const loop: ConsumeLoopOptions<T> = {
    name: 'decoding-consumer',
    topic: opts.topic,
    groupId: '', // used by the transactional policy only
    serde: opts.serde,
    reader: opts.reader,
    validate: opts.validate,
    fromBeginning: opts.fromBeginning,
    commit: { kind: 'after-handler' },
    deadLetters: { kind: 'publisher', publisher: opts.deadLetters },
    handle: async (batch, ctx) => {
      if (batch.records.length > 0) await opts.handle(batch.records);
      ctx.onCommit(() => {
        counts.received += batch.received;
        counts.accepted += batch.records.length;
        counts.deadLettered += batch.rejected.length;
      });
    },
  };
  await runOn(opts.consumer, loop, opts.deadLetters);
  return { counts };
}
