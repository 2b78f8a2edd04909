// The consume loop's second binding: the same client-neutral policy (processBatch in consume-loop.ts: decode,
// handle, dead-letter, commit by the consumer's policy, count) on a @platformatic/kafka 2.x consumer instead of
// kafkajs. Selected per process with KAFKA_CONSUMER_CLIENT=platformatic (config.kafka.consumerClient); kafkajs stays
// the default until the windower's SIGKILL test and the sink kill test pass with this one (issue 11).
//
// How it maps onto the loop's contract:
// - Fetching: the library's MessagesStream (read_committed, no autocommit, position from the group's committed
//   offsets, the earliest or latest offset where none). What the stream has buffered is drained, grouped per
//   partition in offset order, and each partition's records are one FetchedBatch.
// - Commit policies: 'after-handler' commits through the fetched message's own commit (the stream's commit queue,
//   which coalesces commits of one partition and waits out a rejoin); 'transactional' leaves the offsets to the
//   policy's producer (sendOffsets in its transaction), as with kafkajs.
// - Heartbeats run on the library's own timer, so the loop's heartbeat() has nothing to do.
// - A failed batch (handler, decode, dead letter or commit) closes the consumer and starts a new one after a
//   backoff: it joins again and reads from the committed offsets, so nothing of the failed batch counts as done
//   (kafkajs does the same by restarting the consumer). Records at or below an offset this member already finished
//   (a rejoin that re-reads from a commit still in flight) are dropped before decoding.
// Limits measured with 2.12.1 (bench/RESULTS.md, 2026-12-01):
// - read_committed drops an aborted transaction only when its abort marker is in the same fetch response; one
//   that spans several responses leaks (1,900 of 2,000 aborted records delivered at 256 KiB per fetch; kafkajs 0).
//   Only consumers of topics no transactional producer writes (market.ticks) may select this binding.
// - Its group protocol is 'roundrobin' (kafkajs: 'RoundRobinAssigner'): the two clients cannot share a group, so a
//   group changes client with all its members stopped.
import { Consumer as PlatformaticConsumer, FetchIsolationLevels, type Message, type MessagesStream } from '@platformatic/kafka';
import type { Config } from '../config.js';
import { logger } from '../logger.js';
import { type ConsumerFault, consumerFaults, createKafka, createProducer, faultReason } from './client.js';
import { type ConsumeLoop, type ConsumeLoopOptions, type FetchedRecord, type LoopCounts, checkOptions, deadLetterSetup, processBatch } from './consume-loop.js';

const log = logger('platformatic-consumer');

type Msg = Message<Buffer, Buffer, Buffer, Buffer>;
type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** Messages the stream may hold ahead of the handler (the loop's batch bound, besides maxRecordsPerBatch). */
const HIGH_WATER_MARK = 20_000;
/** Backoff between restarts after failed batches: doubling from the first, capped at the last. */
const RESTART_BACKOFF_MS = { first: 500, max: 15_000 } as const;
/** Consecutive failed batches with reason 'other' (a programming or data error, not an outage) before the loop gives up. */
const MAX_OTHER_FAILURES = 10;

/**
 * A @platformatic/kafka message as the loop's client-neutral record: offset and timestamp as decimal strings,
 * headers as UTF-8 strings (the first of a repeated header), null for an absent key or value.
 */
export function fromPlatformatic(m: Pick<Msg, 'offset' | 'key' | 'value' | 'headerEntries' | 'timestamp'>): FetchedRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headerEntries ?? []) {
    const name = k.toString('utf8');
    if (!(name in headers)) headers[name] = v === undefined || v === null ? '' : v.toString('utf8');
  }
  return { offset: m.offset.toString(), key: m.key ?? null, value: m.value ?? null, headers, timestamp: m.timestamp.toString() };
}

/**
 * Splits drained messages into per-partition runs in offset order, leaving out offsets below `from(partition)`
 * (already finished by this member). Pure; partitions in the order of their first record kept.
 */
export function groupByPartition<M extends { partition: number; offset: bigint }>(messages: readonly M[], from: (partition: number) => bigint | undefined): Map<number, M[]> {
  const out = new Map<number, M[]>();
  for (const m of messages) {
    const floor = from(m.partition);
    if (floor !== undefined && m.offset < floor) continue;
    let run = out.get(m.partition);
    if (!run) out.set(m.partition, (run = []));
    run.push(m);
  }
  return out;
}

/** The backoff before restart number `n` (1-based) after failed batches, ms. */
export function restartBackoffMs(n: number): number {
  return Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.first * 2 ** Math.max(0, n - 1));
}

function reportFault(fault: ConsumerFault): void {
  log.warn(fault, fault.kind === 'batch' ? 'batch failed; the consumer starts again from the committed offsets' : 'consumer stopped');
  consumerFaults.emit('fault', fault);
}

/**
 * Starts the loop on a @platformatic/kafka consumer of its own (read_committed). Resolves once the first stream is
 * open (not once the member owns partitions: see onAssignment). A dead-letter policy 'publish' with the
 * after-handler policy publishes with a kafkajs producer of its own (the producer role is chosen separately).
 * Errors: RangeError for bad options; Kafka errors when the broker cannot be reached at start. Later failures
 * restart the consumer; `failed` rejects after MAX_OTHER_FAILURES consecutive failures that are not an outage.
 */
export async function startPlatformaticConsumeLoop<T>(config: Config, opts: ConsumeLoopOptions<T>): Promise<ConsumeLoop> {
  checkOptions(opts);
  const { producer, publisher } = deadLetterSetup(opts, () => createProducer(createKafka(config, `${config.kafka.clientId}-${opts.name}-dlq`)));
  await producer?.connect();

  const counts: LoopCounts = { received: 0, accepted: 0, rejected: 0, skipped: 0, deadLettered: 0, batches: 0 };
  const state = { counts, publisher };
  const settings = opts.consumer ?? {};
  const concurrency = opts.partitionsConsumedConcurrently ?? 1;
  let crashed: Error | undefined;
  let onFailed: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (onFailed = reject));
  failed.catch(() => undefined);
  let stopping = false;
  let otherFailures = 0;
  let restarts = 0;
  let current: { consumer: PlatformaticConsumer<Buffer, Buffer, Buffer, Buffer>; stream: Stream | undefined; owned: Set<number> } | undefined;
  // The next offset per partition this member has finished (resolved); records below it are not handed over again.
  const finished = new Map<number, bigint>();

  const open = async (): Promise<void> => {
    const consumer = new PlatformaticConsumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: `${config.kafka.clientId}-${opts.name}`,
      bootstrapBrokers: config.kafka.brokers,
      groupId: opts.groupId,
      sessionTimeout: settings.sessionTimeout ?? 30_000,
      heartbeatInterval: settings.heartbeatInterval ?? 3_000,
      rebalanceTimeout: 60_000,
      autocreateTopics: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxBytes: settings.maxBytes ?? 32 * 1_048_576,
      maxWaitTime: settings.maxWaitTimeInMs ?? 5_000,
      minBytes: 1,
      retries: 10,
      retryDelay: 250,
      timeout: 30_000,
      connectTimeout: 5_000,
    });
    const me = { consumer, stream: undefined as Stream | undefined, owned: new Set<number>() };
    current = me;
    consumer.on('consumer:group:join', (payload) => {
      const mine = (payload.assignments ?? []).filter((a) => a.topic === opts.topic).flatMap((a) => a.partitions);
      me.owned = new Set(mine);
      for (const p of [...finished.keys()]) if (!me.owned.has(p)) finished.delete(p);
      opts.onAssignment?.(mine, (partition, offset) => {
        finished.set(partition, BigInt(offset));
        me.stream?.offsetsToFetch.set(`${opts.topic}:${partition}`, BigInt(offset));
      });
    });
    me.stream = await consumer.consume({
      topics: [opts.topic],
      mode: 'committed',
      fallbackMode: (opts.fromBeginning ?? true) ? 'earliest' : 'latest',
      autocommit: false,
      highWaterMark: HIGH_WATER_MARK,
      maxBytesPerPartition: settings.maxBytesPerPartition ?? 4 * 1_048_576,
    });
    void pump(me).catch(fail(me));
  };

  const closeConsumer = async (me: NonNullable<typeof current>) => {
    await me.stream?.close().catch(() => undefined);
    await me.consumer.close(true).catch(() => undefined);
  };

  // A failed batch or stream: report, close this consumer and open a new one after the backoff (or give up).
  const fail = (me: NonNullable<typeof current>) => async (err: unknown) => {
    if (current !== me || stopping) return;
    current = undefined;
    finished.clear();
    const reason = faultReason(err);
    otherFailures = reason === 'other' ? otherFailures + 1 : 0;
    restarts++;
    const message = (err as Error)?.message ?? String(err);
    const giveUp = otherFailures >= MAX_OTHER_FAILURES;
    reportFault({ group: opts.groupId, reason, message, kind: giveUp ? 'crash' : 'batch', restart: !giveUp });
    await closeConsumer(me);
    if (giveUp) {
      crashed = err instanceof Error ? err : new Error(message);
      onFailed(new Error(`${opts.name} stopped after ${otherFailures} failed batches in a row: ${message}`, { cause: err }));
      return;
    }
    await new Promise((r) => setTimeout(r, restartBackoffMs(restarts)));
    if (stopping) return;
    // A reopen that fails is one more failure of this loop: `fail` needs the member it belongs to, which is the new one
    // when consume() threw, or none when the constructor did (then the closed one stands in).
    await open().catch((reopenErr: unknown) => {
      current ??= { consumer: me.consumer, stream: undefined, owned: new Set() };
      return fail(current)(reopenErr);
    });
  };

  const pump = async (me: NonNullable<typeof current>): Promise<void> => {
    const stream = me.stream!;
    let streamError: unknown;
    // One 'readable' listener for the stream's life: with none (and no 'data' listener) Node sets readableFlowing back
    // to null, and the library's fetch loop stops for good ("nobody is consuming"), with a _read already pending.
    let wake: (() => void) | undefined;
    const poke = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    stream.on('readable', poke);
    stream.on('close', poke);
    stream.on('error', (err) => {
      streamError = err;
      poke();
    });
    while (current === me && !stopping) {
      if (streamError) throw streamError;
      const drained: Msg[] = [];
      for (let m = stream.read() as Msg | null; m !== null; m = stream.read() as Msg | null) {
        drained.push(m);
        if (drained.length >= HIGH_WATER_MARK) break;
      }
      if (drained.length === 0) {
        if (stream.destroyed || stream.closed) return;
        // Set in the same tick as the read() that found nothing: the next 'readable' is emitted on a later tick.
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const runs = [...groupByPartition(drained, (p) => finished.get(p)).entries()];
      for (let i = 0; i < runs.length; i += concurrency) {
        await Promise.all(
          runs.slice(i, i + concurrency).map(([partition, messages]) =>
            processBatch(
              opts,
              state,
              { topic: opts.topic, partition, records: messages.map(fromPlatformatic) },
              {
                heartbeat: async () => undefined,
                isRunning: () => current === me && !stopping && (me.owned.size === 0 || me.owned.has(partition)),
                resolveOffset: (offset) => void finished.set(partition, BigInt(offset) + 1n),
                commitOffset: async (offset) => {
                  const next = BigInt(offset);
                  let last: Msg | undefined;
                  for (let j = messages.length - 1; j >= 0 && !last; j--) if (messages[j]!.offset + 1n === next) last = messages[j];
                  if (!last) throw new Error(`${opts.name}: no fetched record before offset ${offset} of partition ${partition} to commit`);
                  await last.commit();
                },
              },
            ),
          ),
        );
      }
      if (!(current === me && !stopping)) return;
      otherFailures = 0;
    }
  };

  await open();
  return {
    counts,
    failed,
    crashed: () => crashed,
    async stop() {
      stopping = true;
      const me = current;
      current = undefined;
      if (me) await closeConsumer(me);
      await producer?.disconnect();
    },
  };
}
