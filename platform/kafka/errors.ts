// Codes of the Kafka plumbing (wire format, serde, schema registry, broker, run-scoped topics). The base class with
// `code` and `retriable` is platform/errors.ts's SdaError.
import { SdaError, deadLetterReason } from '../errors.js';

export type KafkaErrorCode =
  | 'WIRE_FORMAT'
  | 'UNKNOWN_SCHEMA'
  | 'AVRO_DECODE'
  | 'AVRO_ENCODE'
  | 'SCHEMA_INCOMPATIBLE'
  | 'SCHEMA_INVALID'
  | 'REGISTRY_UNAVAILABLE'
  /** The registry answered an unexpected HTTP status; retriable when it is a 5xx. */
  | 'REGISTRY_HTTP'
  | 'KAFKA_UNAVAILABLE'
  /** The broker refused or failed a produce request; `retriable` is kafkajs's own flag for the underlying error. */
  | 'KAFKA_PRODUCE'
  /** A topic the job needs does not exist or has no partitions (`sda stack up` creates the standard ones). */
  | 'TOPIC_MISSING'
  /**
   * A read of a topic's history (read-topic.ts readPartitionsToEnd, readTopicToEnd) stopped at a record it could not
   * process (the registry unreachable while decoding, the caller's batch callback throwing): the message names the
   * topic, partition and offset, `cause` is the error, `retriable` is the cause's. The read returns nothing partial.
   */
  | 'TOPIC_READ_FAILED'
  /** A processor could not read its state back from its topic (a TOPIC_READ_FAILED read) and did not start. */
  | 'STATE_RESTORE_FAILED'
  | 'RUN_NAME_INVALID'
  | 'TOPIC_NAME_INVALID';

/** A failure of the Kafka plumbing; REGISTRY_UNAVAILABLE and KAFKA_UNAVAILABLE are retriable, bad input is not. */
export class KafkaError extends SdaError<KafkaErrorCode> {}

/** The payload cannot be processed whatever we retry: it belongs on the dead-letter topic. */
export class PoisonRecordError extends SdaError<'WIRE_FORMAT' | 'UNKNOWN_SCHEMA' | 'AVRO_DECODE'> {
  constructor(code: 'WIRE_FORMAT' | 'UNKNOWN_SCHEMA' | 'AVRO_DECODE', message: string, options?: { cause?: unknown }) {
    super(code, message, false, options);
  }

  /** The dead-letter reason code: the error code in kebab case (wire-format, unknown-schema, avro-decode). */
  get reasonCode(): string {
    return deadLetterReason(this.code);
  }
}
