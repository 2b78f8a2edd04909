// trace: D.windower, D.exactly-once
// The windower's decision for a partition it keeps across a new assignment (keptStale): its in-memory state is kept
// only while the group's committed offset is where the state ends; otherwise another member moved the partition on
// and the state is restored from the changelog. test/integration/windower-regained.test.ts proves it on the broker.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keptStale } from '../../processors/windower/processor.js';

describe('windower: a kept partition state is still the latest?', () => {
  it('keeps the state when the committed offset is where the state ends', () => {
    assert.equal(keptStale(1_234n, 1_234n), false);
    assert.equal(keptStale(0n, 0n), false);
  });

  it('keeps a state that has processed nothing while nothing is committed', () => {
    assert.equal(keptStale(undefined, undefined), false);
  });

  it('restores when another member committed past the state', () => {
    assert.equal(keptStale(1_234n, 2_000n), true);
    assert.equal(keptStale(undefined, 17n), true, 'nothing processed here, but the group has committed progress');
  });

  it('restores when the committed offset is behind the state or missing (this member cannot vouch for it)', () => {
    assert.equal(keptStale(2_000n, 1_234n), true);
    assert.equal(keptStale(5n, undefined), true);
  });
});
