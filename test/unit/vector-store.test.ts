// trace: 4.1, D.vector-store
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lanceWhere, sqlString } from '../../rag/store/lancedb-store.js';
import { qdrantFilter } from '../../rag/store/qdrant-store.js';
import { VectorStoreError, lastPerId, pointId, uuidV5, validateDocs } from '../../rag/store/store.js';

const payload = (docId: string) => ({ docId, kind: 'event', series: 'HB_WEST', timeStart: 0, timeEnd: 3_600_000, text: docId });

describe('vector store ids and filters', () => {
  it('derives RFC 4122 v5 UUIDs (the RFC\'s DNS example) and stable point ids', () => {
    assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
    assert.equal(pointId('daily-summary:HB_NORTH:2024-07-01'), pointId('daily-summary:HB_NORTH:2024-07-01'));
    assert.notEqual(pointId('a'), pointId('b'));
    assert.match(pointId('a'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps the last document of each id in a batch', () => {
    const v = new Float32Array(2);
    const kept = lastPerId([{ payload: { ...payload('x'), text: 'first' }, vector: v }, { payload: payload('y'), vector: v }, { payload: { ...payload('x'), text: 'second' }, vector: v }]);
    assert.deepEqual(kept.map((k) => k.doc.payload.text), ['second', 'y']);
  });

  it('rejects vectors of the wrong length or with NaN', () => {
    assert.throws(() => validateDocs([{ payload: payload('a'), vector: new Float32Array(3) }], 4), (e: unknown) => e instanceof VectorStoreError && e.code === 'VECTOR_BAD_INPUT');
    assert.throws(() => validateDocs([{ payload: payload('a'), vector: Float32Array.from([1, Number.NaN]) }], 2), /non-finite/);
  });

  it('quotes LanceDB filter values so a quote cannot end the literal', () => {
    assert.equal(sqlString("HB_NORTH' OR 1=1 --"), "'HB_NORTH'' OR 1=1 --'");
    assert.equal(lanceWhere({}), undefined);
    assert.equal(
      lanceWhere({ series: "it's", kind: 'event', from: 10, to: 20 }),
      "(series = 'it''s') AND (kind = 'event') AND (time_end IS NOT NULL AND time_end > 10) AND (time_start IS NOT NULL AND time_start < 20)",
    );
  });

  it('builds the same overlap filter for Qdrant', () => {
    assert.equal(qdrantFilter({}), undefined);
    assert.deepEqual(qdrantFilter({ series: 'HB_WEST', from: 10, to: 20 }), {
      must: [{ key: 'series', match: { value: 'HB_WEST' } }, { key: 'timeEnd', range: { gt: 10 } }, { key: 'timeStart', range: { lt: 20 } }],
    });
  });
});
