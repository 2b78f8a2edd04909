// trace: D.kafka, D.registry
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PoisonRecordError } from '../../platform/kafka/errors.js';
import { HEADER_LENGTH, decodeWire, encodeWire } from '../../platform/kafka/wire-format.js';

describe('Confluent wire format', () => {
  it('frames a body with magic byte 0 and a big-endian schema id', () => {
    const framed = encodeWire(0x01020304, Buffer.from([9, 8, 7]));
    assert.deepEqual([...framed], [0, 1, 2, 3, 4, 9, 8, 7]);
    const { schemaId, body } = decodeWire(framed);
    assert.equal(schemaId, 0x01020304);
    assert.deepEqual([...body], [9, 8, 7]);
  });

  it('round-trips the largest schema id and an empty body', () => {
    const { schemaId, body } = decodeWire(encodeWire(0xffff_ffff, Buffer.alloc(0)));
    assert.equal(schemaId, 0xffff_ffff);
    assert.equal(body.length, 0);
  });

  it('rejects schema ids that do not fit 4 unsigned bytes', () => {
    assert.throws(() => encodeWire(-1, Buffer.alloc(1)), RangeError);
    assert.throws(() => encodeWire(2 ** 32, Buffer.alloc(1)), RangeError);
    assert.throws(() => encodeWire(1.5, Buffer.alloc(1)), RangeError);
  });

  for (const [name, payload, pattern] of [
    ['an empty payload', Buffer.alloc(0), /empty payload/],
    ['a null payload (tombstone)', null, /empty payload/],
    ['a payload shorter than the header', Buffer.from([0, 0, 1]), /shorter than the 5-byte/],
    ['a wrong magic byte', Buffer.from('{"json":true}'), /unknown magic byte 123/],
  ] as const) {
    it(`classifies ${name} as a poison record with reason wire-format`, () => {
      assert.throws(
        () => decodeWire(payload as Buffer | null),
        (err: unknown) => err instanceof PoisonRecordError && err.reasonCode === 'wire-format' && pattern.test(err.message),
      );
    });
  }

  it('has a 5-byte header', () => assert.equal(HEADER_LENGTH, 5));
});
