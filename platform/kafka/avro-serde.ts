// Avro values in the Confluent wire format, with schemas held in the schema registry
// (used through @kafkajs/confluent-schema-registry). Encoding is synchronous once a subject's
// writer schema is registered; decoding fetches unknown writer schemas once and caches them.
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { KafkaError, PoisonRecordError } from './errors.js';
import { HEADER_LENGTH as WIRE_HEADER_BYTES, MAGIC_BYTE, decodeWire } from './wire-format.js';

export interface Writer<T> {
  subject: string;
  schemaId: number;
  type: avro.Type;
  /** Phantom marker for the value type. */
  readonly _value?: T;
}

interface RegistryHttpError {
  status?: number;
  message?: string;
}

function registryStatus(err: unknown): number | undefined {
  const e = err as RegistryHttpError & { response?: { status?: () => number } };
  if (typeof e?.status === 'number') return e.status;
  return undefined;
}

function registryMessage(err: unknown): string {
  const msg = (err as Error)?.message ?? String(err);
  return msg.replace(/\s+/g, ' ').slice(0, 1_000);
}

/** Attempts after a compatibility-level mismatch that may be another registrant's unfinished first registration. */
const CONFIG_RACE_RETRIES = 8;

/**
 * The registry client's refusal when the subject's level is not the one asked for (it checks before registering), or
 * Apicurio's when another client set the level first (the rule exists).
 */
function isConfigRace(err: unknown): boolean {
  return /Compatibility does not match the configuration|rule named 'COMPATIBILITY' already exists/i.test((err as Error)?.message ?? '');
}

export class AvroSerde {
  private readonly registry: SchemaRegistry;
  private readonly writers = new Map<string, Writer<unknown>>();
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private readonly typesById = new Map<number, avro.Type>();
  private readonly resolvers = new Map<string, avro.Resolver>();
  private readonly pending = new Map<number, Promise<avro.Type>>();

  constructor(readonly registryUrl: string) {
    this.registry = new SchemaRegistry({ host: registryUrl, retry: { retries: 3, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 } });
  }

  /**
   * Registers `schema` under `subject` with BACKWARD compatibility and returns a writer for it. The registry
   * rejects a change that readers of the new schema could not apply to old data; that surfaces as
   * KafkaError SCHEMA_INCOMPATIBLE carrying the registry's explanation.
   *
   * A new subject gets its compatibility level in a second request after the first registration, so processors
   * registering the same new subject at once (those of one run, or two instances of one group, starting together)
   * race: one reads the registry's default level in between and the client refuses with "Compatibility does not
   * match the configuration (BACKWARD != NONE)", or both saw no subject and the second level update is refused with
   * "A rule named 'COMPATIBILITY' already exists" (409). Both are retried for up to ~6 s (CONFIG_RACE_RETRIES); the
   * retry finds the level set and the schema registered, and returns its id.
   */
  async register<T = unknown>(subject: string, schema: object): Promise<Writer<T>> {
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(schema as avro.Schema);
    } catch (err) {
      throw new KafkaError('SCHEMA_INVALID', `schema for ${subject} is not valid Avro: ${(err as Error).message}`);
    }
    let id: number;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          ({ id } = await this.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.BACKWARD }));
          break;
        } catch (err) {
          if (attempt >= CONFIG_RACE_RETRIES || !isConfigRace(err)) throw err;
          await new Promise((r) => setTimeout(r, Math.min(1_000, 100 * 2 ** attempt)));
        }
      }
    } catch (err) {
      const status = registryStatus(err);
      const name = (err as Error)?.name ?? '';
      if (status === 409 || /Compatibility/i.test(name) || /incompatib/i.test(registryMessage(err))) {
        throw new KafkaError('SCHEMA_INCOMPATIBLE', `schema registry rejected the new schema for subject ${subject} as not BACKWARD compatible: ${registryMessage(err)}`, false, { cause: err });
      }
      if (status === 422) {
        throw new KafkaError('SCHEMA_INVALID', `schema registry rejected the schema for subject ${subject} as invalid: ${registryMessage(err)}`, false, { cause: err });
      }
      throw new KafkaError('REGISTRY_UNAVAILABLE', `could not register subject ${subject} at ${this.registryUrl}: ${registryMessage(err)}. Is the stack up (sda stack status)?`, true, { cause: err });
    }
    const writer: Writer<T> = { subject, schemaId: id, type };
    this.writers.set(subject, writer as Writer<unknown>);
    this.typesById.set(id, type);
    return writer;
  }

  /** Avro-encodes `value` with the writer's schema and frames it; a value that does not fit names the bad fields. */
  encode<T>(writer: Writer<T>, value: T): Buffer {
    // Encoded straight after the 5-byte wire header in a reused scratch buffer, then copied out once.
    try {
      for (;;) {
        const scratch = this.scratch;
        scratch.writeUInt8(MAGIC_BYTE, 0);
        scratch.writeUInt32BE(writer.schemaId, 1);
        const end = writer.type.encode(value, scratch, WIRE_HEADER_BYTES);
        if (end >= 0) return Buffer.from(scratch.subarray(0, end));
        this.scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, WIRE_HEADER_BYTES - end));
      }
    } catch (err) {
      const paths: string[] = [];
      writer.type.isValid(value, { errorHook: (p) => paths.push(p.join('.') || '(root)') });
      throw new KafkaError('AVRO_ENCODE', `value does not match the ${writer.subject} schema${paths.length ? ` at ${paths.join(', ')}` : ''}: ${(err as Error).message}`);
    }
  }

  /** The writer schema for an id, fetched from the registry once. An id the registry does not know is a poison record. */
  async typeForId(schemaId: number): Promise<avro.Type> {
    const known = this.typesById.get(schemaId);
    if (known) return known;
    let pending = this.pending.get(schemaId);
    if (!pending) {
      pending = (async () => {
        try {
          const schema = await this.registry.getSchema(schemaId);
          const type = schema as unknown as avro.Type;
          if (typeof (type as avro.Type).fromBuffer !== 'function') throw new Error(`schema ${schemaId} is not Avro`);
          this.typesById.set(schemaId, type);
          return type;
        } catch (err) {
          const status = registryStatus(err);
          if (status === 404 || /not found/i.test(registryMessage(err))) {
            throw new PoisonRecordError('UNKNOWN_SCHEMA', `schema id ${schemaId} is not known to the schema registry`);
          }
          if (/is not Avro/.test(registryMessage(err))) throw new PoisonRecordError('UNKNOWN_SCHEMA', registryMessage(err));
          throw new KafkaError('REGISTRY_UNAVAILABLE', `could not fetch schema ${schemaId} from ${this.registryUrl}: ${registryMessage(err)}`, true, { cause: err });
        } finally {
          this.pending.delete(schemaId);
        }
      })();
      this.pending.set(schemaId, pending);
    }
    return pending;
  }

  /**
   * Decodes a framed value. With `reader`, old or new writer schemas are resolved to the reader's shape
   * (schema evolution); without it the value has the writer's shape. Throws PoisonRecordError for payloads
   * that can never decode, KafkaError REGISTRY_UNAVAILABLE (retriable) when the registry cannot be reached.
   */
  async decode<T = unknown>(payload: Buffer | null | undefined, reader?: Writer<T>): Promise<{ schemaId: number; value: T }> {
    const { schemaId, body } = decodeWire(payload);
    const writerType = await this.typeForId(schemaId);
    return { schemaId, value: this.decodeBody<T>(schemaId, writerType, body, reader) };
  }

  /** Synchronous decode when the writer schema is already cached (the hot path); undefined if it is not. */
  decodeCached<T = unknown>(payload: Buffer | null | undefined, reader?: Writer<T>): { schemaId: number; value: T } | undefined {
    const { schemaId, body } = decodeWire(payload);
    const writerType = this.typesById.get(schemaId);
    if (!writerType) return undefined;
    return { schemaId, value: this.decodeBody<T>(schemaId, writerType, body, reader) };
  }

  private decodeBody<T>(schemaId: number, writerType: avro.Type, body: Buffer, reader?: Writer<T>): T {
    try {
      if (!reader || reader.schemaId === schemaId) return writerType.fromBuffer(body) as T;
      const key = `${schemaId}->${reader.schemaId}`;
      let resolver = this.resolvers.get(key);
      if (!resolver) {
        resolver = reader.type.createResolver(writerType);
        this.resolvers.set(key, resolver);
      }
      return reader.type.fromBuffer(body, resolver as never) as T;
    } catch (err) {
      throw new PoisonRecordError('AVRO_DECODE', `body does not decode with schema ${schemaId}: ${(err as Error).message}`);
    }
  }
}
