// The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro body.
import { PoisonRecordError } from './errors.js';

export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

export function encodeWire(schemaId: number, body: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffff_ffff) {
    throw new RangeError(`schema id must be an unsigned 32-bit integer, got ${schemaId}`);
  }
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_LENGTH);
  return out;
}

export function decodeWire(payload: Buffer | null | undefined): { schemaId: number; body: Buffer } {
  if (!payload || payload.length === 0) {
    throw new PoisonRecordError('WIRE_FORMAT', 'empty payload (tombstone or missing value) where an Avro record was expected');
  }
  if (payload.length < HEADER_LENGTH) {
    throw new PoisonRecordError('WIRE_FORMAT', `payload of ${payload.length} bytes is shorter than the ${HEADER_LENGTH}-byte wire-format header`);
  }
  const magic = payload.readUInt8(0);
  if (magic !== MAGIC_BYTE) {
    throw new PoisonRecordError('WIRE_FORMAT', `unknown magic byte ${magic} (expected ${MAGIC_BYTE}): not Confluent wire format`);
  }
  return { schemaId: payload.readUInt32BE(1), body: payload.subarray(HEADER_LENGTH) };
}
