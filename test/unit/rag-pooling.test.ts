// trace: D.embeddings
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosine, meanPoolNormalize, padBatch } from '../../rag/embeddings.js';

describe('embedding pooling', () => {
  it('right-pads a batch with id 0 and mask 0', () => {
    const b = padBatch([[101, 7, 102], [101, 102]]);
    assert.equal(b.seqLen, 3);
    assert.deepEqual([...b.inputIds].map(Number), [101, 7, 102, 101, 102, 0]);
    assert.deepEqual([...b.attentionMask].map(Number), [1, 1, 1, 1, 1, 0]);
    assert.deepEqual([...b.tokenTypeIds].map(Number), [0, 0, 0, 0, 0, 0]);
  });

  it('averages only unmasked positions, then scales to unit length', () => {
    // batch 1, 3 positions, dim 2; the padded third position must not count.
    const hidden = Float32Array.from([3, 0, 1, 4, 100, 100]);
    const [v] = meanPoolNormalize(hidden, BigInt64Array.from([1n, 1n, 0n]), 1, 3, 2);
    // mean (2, 2) → (1/√2, 1/√2)
    assert.ok(Math.abs(v![0]! - Math.SQRT1_2) < 1e-7 && Math.abs(v![1]! - Math.SQRT1_2) < 1e-7);
  });

  it('keeps an all-zero state finite', () => {
    const [v] = meanPoolNormalize(new Float32Array(4), BigInt64Array.from([1n, 1n]), 1, 2, 2);
    assert.deepEqual([...v!], [0, 0]);
    assert.ok(Math.abs(cosine(Float32Array.from([1, 0]), Float32Array.from([2, 0])) - 1) < 1e-12);
  });
});
