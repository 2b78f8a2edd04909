// Errors are values with stable codes; `retriable` tells the caller whether trying again can help.

export type ErrorCode =
  | 'WIRE_FORMAT'
  | 'UNKNOWN_SCHEMA'
  | 'AVRO_DECODE'
  | 'AVRO_ENCODE'
  | 'SCHEMA_INCOMPATIBLE'
  | 'SCHEMA_INVALID'
  | 'REGISTRY_UNAVAILABLE'
  | 'KAFKA_UNAVAILABLE'
  | 'RUN_NAME_INVALID'
  // dispatch/ (issue 13): a battery that cannot exist, prices that cannot be optimised, no feasible schedule
  | 'ASSET_INVALID'
  | 'PRICES_INVALID'
  | 'DISPATCH_INFEASIBLE'
  | 'SOLVER_FAILED';

export class SdaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SdaError';
  }
}

/** The payload cannot be processed whatever we retry: it belongs on the dead-letter topic. */
export class PoisonRecordError extends SdaError {
  constructor(code: 'WIRE_FORMAT' | 'UNKNOWN_SCHEMA' | 'AVRO_DECODE', message: string, options?: { cause?: unknown }) {
    super(code, message, false, options);
    this.name = 'PoisonRecordError';
  }

  /** The dead-letter reason code: the error code in kebab case (wire-format, unknown-schema, avro-decode). */
  get reasonCode(): string {
    return this.code.toLowerCase().replace(/_/g, '-');
  }
}
