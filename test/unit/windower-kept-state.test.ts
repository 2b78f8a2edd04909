// trace: D.windower, D.exactly-once
// The windower's decision for a partition it keeps across a new assignment (keptStale): its in-memory state is kept
// only while the group's committed offset is where the state ends; otherwise another member moved the partition on
// and the state is restored from the changelog. test/integration/windower-regained.test.ts proves it on the broker.
// A restored state that ends before the committed offset is refused (restoredBehind): the changelog read ended short.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keptStale, restoredBehind } from '../../processors/windower/processor.js';

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

describe('windower: a restored state behind the group is refused', () => {
  it('accepts a state that ends at or after the committed offset, or any state while nothing is committed', () => {
    assert.equal(restoredBehind(1_234n, 1_234n), false);
    assert.equal(restoredBehind(2_000n, 1_234n), false, 'a killed owner committed after the offset fetch; resumeAt skips');
    assert.equal(restoredBehind(5n, undefined), false);
    assert.equal(restoredBehind(undefined, undefined), false, 'a fresh windower');
  });

  it('refuses a state that ends before the committed offset, or none while the group has committed progress', () => {
    assert.equal(restoredBehind(1_233n, 1_234n), true);
    assert.equal(restoredBehind(undefined, 17n), true);
    assert.equal(restoredBehind(0n, 1n), true);
  });
});
