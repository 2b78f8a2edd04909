// A consumer loop that decodes Avro values, hands good records to a handler batch by batch, sends poison
// records to the dead-letter topic, and commits offsets only after the handler and the dead letters are done.
// Counts reconcile: received = accepted + deadLettered.
import type { Writer } from './avro-serde.js';
import type { AvroSerde } from './avro-serde.js';
import { type Consumer, type EachBatchPayload, type KafkaMessage, headersToStrings } from './client.js';
import type { DeadLetterInput, DeadLetterPublisher } from './dead-letter.js';
import { PoisonRecordError } from './errors.js';

export interface DecodedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  timestamp: string;
  schemaId: number;
  value: T;
  /** The payload as received, for a dead letter raised after decoding. */
  raw: Buffer | null;
}

export interface ConsumeCounts {
  received: number;
  accepted: number;
  deadLettered: number;
}

export interface DecodingConsumerOptions<T> {
  consumer: Consumer;
  serde: AvroSerde;
  deadLetters: DeadLetterPublisher;
  topic: string;
  /** Decode into this schema's shape (resolving older or newer writer schemas). */
  reader?: Writer<T>;
  fromBeginning?: boolean;
  /** Process one decoded batch; offsets are committed after it resolves. */
  handle: (records: DecodedRecord<T>[]) => Promise<void>;
  /** Extra validation on the decoded value: return a reason to dead-letter it. */
  validate?: (value: T) => { reasonCode: string; message: string } | undefined;
}

/**
 * Decodes a batch's messages (the writer schemas fetched once) and sorts them into good records and dead letters:
 * a poison payload (bad framing, unknown schema, undecodable body) or a value `validate` rejects. A registry that
 * cannot be reached throws (retriable: the batch is redelivered).
 */
export async function decodeBatch<T>(
  serde: AvroSerde,
  batch: { topic: string; partition: number; messages: KafkaMessage[] },
  reader: Writer<T> | undefined,
  validate?: (value: T) => { reasonCode: string; message: string } | undefined,
): Promise<{ good: DecodedRecord<T>[]; poison: DeadLetterInput[] }> {
  const good: DecodedRecord<T>[] = [];
  const poison: DeadLetterInput[] = [];
  for (const m of batch.messages) {
    const letter = (reason: { reasonCode: string; message: string }) => poison.push({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, raw: m.value, ...reason });
    try {
      const decoded = serde.decodeCached<T>(m.value, reader) ?? (await serde.decode<T>(m.value, reader));
      const invalid = validate?.(decoded.value);
      if (invalid) {
        letter(invalid);
        continue;
      }
      good.push({
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        key: m.key ? m.key.toString('utf8') : null,
        headers: m.headers ? headersToStrings(m.headers) : {},
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
  return { good, poison };
}

export async function runDecodingConsumer<T>(opts: DecodingConsumerOptions<T>): Promise<{ counts: ConsumeCounts }> {
  const counts: ConsumeCounts = { received: 0, accepted: 0, deadLettered: 0 };
  await opts.consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning ?? true });
  await opts.consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async (payload: EachBatchPayload) => {
      const { batch } = payload;
      const { good, poison } = await decodeBatch(opts.serde, batch, opts.reader, opts.validate);
      if (good.length > 0) await opts.handle(good);
      await opts.deadLetters.publish(poison);
      counts.received += batch.messages.length;
      counts.accepted += good.length;
      counts.deadLettered += poison.length;
      const last = batch.messages[batch.messages.length - 1];
      if (last) {
        payload.resolveOffset(last.offset);
        await opts.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      }
      await payload.heartbeat();
    },
  });
  return { counts };
}
