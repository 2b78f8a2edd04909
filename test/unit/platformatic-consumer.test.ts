// trace: D.kafka
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromPlatformatic, groupByPartition, restartBackoffMs } from '../../platform/kafka/platformatic-consumer.js';

describe('platformatic consume-loop binding: pure parts', () => {
  it('maps a message to the client-neutral record: decimal offset and timestamp, first of a repeated header, nulls for absent key and value', () => {
    const r = fromPlatformatic({
      offset: 9_007_199_254_740_993n,
      timestamp: 1_700_000_000_123n,
      key: undefined as unknown as Buffer,
      value: undefined as unknown as Buffer,
      headerEntries: [
        [Buffer.from('sda-context'), Buffer.from('HB_NORTH')],
        [Buffer.from('sda-context'), Buffer.from('second')],
        [Buffer.from('empty'), undefined as unknown as Buffer],
      ],
    });
    assert.deepEqual(r, { offset: '9007199254740993', timestamp: '1700000000123', key: null, value: null, headers: { 'sda-context': 'HB_NORTH', empty: '' } });
    const withBody = fromPlatformatic({ offset: 0n, timestamp: 0n, key: Buffer.from('k'), value: Buffer.from([0, 1]), headerEntries: [] });
    assert.deepEqual([withBody.key, withBody.value], [Buffer.from('k'), Buffer.from([0, 1])]);
  });

  it('groups drained messages per partition in arrival order and drops offsets below what the member finished', () => {
    const m = (partition: number, offset: bigint) => ({ partition, offset });
    const drained = [m(1, 5n), m(0, 7n), m(1, 6n), m(0, 8n), m(2, 1n), m(0, 9n)];
    const finished = new Map<number, bigint>([[0, 9n], [2, 0n]]);
    const runs = groupByPartition(drained, (p) => finished.get(p));
    assert.deepEqual([...runs.keys()], [1, 2, 0], 'in the order of their first record kept');
    assert.deepEqual(runs.get(0)!.map((x) => x.offset), [9n], 'offsets 7 and 8 were finished already');
    assert.deepEqual(runs.get(1)!.map((x) => x.offset), [5n, 6n], 'no floor: all');
    assert.deepEqual(runs.get(2)!.map((x) => x.offset), [1n]);
    assert.equal(groupByPartition([m(0, 1n)], () => 5n).size, 0, 'a partition with nothing new is left out');
  });

  it('backs off restarts by doubling from 500 ms, capped at 15 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 40].map(restartBackoffMs), [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
  });
});
