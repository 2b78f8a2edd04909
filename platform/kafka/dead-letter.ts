// Poison records go to the dead-letter topic with their reason and raw payload; never silently dropped.
import type { DeadLetter } from '../../schemas/types.js';
import type { AvroSerde, Writer } from './avro-serde.js';
import { type OutgoingRecord, type Producer, sendRecords } from './client.js';
import { TOPICS } from './topics.js';

export interface DeadLetterInput {
  topic: string;
  partition?: number;
  offset?: string | number;
  reasonCode: string;
  message: string;
  key?: Buffer | string | null;
  raw: Buffer | string | null | undefined;
}

export function toDeadLetter(input: DeadLetterInput, processor: string, now = Date.now()): DeadLetter {
  const asBuffer = (b: Buffer | string | null | undefined) => (b === null || b === undefined ? null : Buffer.isBuffer(b) ? b : Buffer.from(b, 'utf8'));
  return {
    topic: input.topic,
    partition: input.partition ?? -1,
    offset: input.offset === undefined ? -1 : Number(input.offset),
    reasonCode: input.reasonCode,
    message: input.message.slice(0, 4_000),
    key: asBuffer(input.key),
    raw: asBuffer(input.raw) ?? Buffer.alloc(0),
    processor,
    failedAt: now,
  };
}

/** A dead letter as a record for market.dlq: Avro value, the original key, the reason in a header. */
export function encodeDeadLetter(serde: AvroSerde, writer: Writer<DeadLetter>, input: DeadLetterInput, processor: string): OutgoingRecord {
  const letter = toDeadLetter(input, processor);
  return {
    key: letter.key ?? null,
    value: serde.encode(writer, letter),
    headers: { 'sda.reason': input.reasonCode, 'sda.source-topic': input.topic, 'sda.processor': processor },
  };
}

/** Dead letters of one processor to one dead-letter topic: encoded (for a transaction's send) or published. */
export class DeadLetterPublisher {
  constructor(
    private readonly serde: AvroSerde,
    private readonly writer: Writer<DeadLetter>,
    /** Needed by publish(); a transactional consumer sends encode()'s records in its own transaction instead. */
    private readonly producer: Producer | undefined,
    private readonly processor: string,
    /** Default market.dlq; a run's jobs use run.NAME.dlq. */
    readonly topic: string = TOPICS.deadLetters.name,
  ) {}

  /** The letters as records for the dead-letter topic (Avro value, original key, reason headers). */
  encode(inputs: readonly DeadLetterInput[]): OutgoingRecord[] {
    return inputs.map((i) => encodeDeadLetter(this.serde, this.writer, i, this.processor));
  }

  /** Sends the letters (acks=all) with the producer given at construction. Errors: Kafka errors; an Error when there is no producer. */
  async publish(inputs: readonly DeadLetterInput[]): Promise<void> {
    if (inputs.length === 0) return;
    if (!this.producer) throw new Error(`dead letters of ${this.processor}: no producer to publish with (send encode()'s records in the transaction)`);
    await sendRecords(this.producer, this.topic, this.encode(inputs));
  }
}
