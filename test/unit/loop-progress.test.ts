// trace: D.kafka
// The consume loop's progress reporter opens its admin connection at the first check and keeps it
// (platform/kafka/loop-progress.ts sharedConnection, used by platform/kafka/consume-loop.ts watchProgress). Reviewer's
// finding (2026-12-02): it kept the first connect's promise even when that rejected, so after one failed connect every
// later check failed too, silently (a failed listing is skipped). Pure: connects here are plain promises.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharedConnection } from '../../platform/kafka/loop-progress.js';

describe('sharedConnection: one connection, opened at first use; a failed connect is tried again', () => {
  it('a rejected connect is forgotten: the next open connects again, and the one after shares that connection', async () => {
    let calls = 0;
    const conn = sharedConnection(async () => {
      calls += 1;
      if (calls === 1) throw new Error('broker down');
      return { id: calls };
    });
    assert.equal(await conn.opened(), undefined, 'nothing opened before the first use');
    await assert.rejects(conn.open(), /broker down/);
    assert.equal(await conn.opened(), undefined, 'a failed connect leaves nothing to close');
    const second = await conn.open();
    assert.deepEqual(second, { id: 2 });
    assert.equal(await conn.open(), second, 'kept after it succeeded');
    assert.equal(await conn.opened(), second);
    assert.equal(calls, 2);
  });

  it('callers while a connect is pending share it (one connect), and so share its failure', async () => {
    let calls = 0;
    let fail!: (e: Error) => void;
    const conn = sharedConnection(() => {
      calls += 1;
      return calls === 1 ? new Promise<number>((_, reject) => (fail = reject)) : Promise.resolve(calls);
    });
    const a = conn.open();
    const b = conn.open();
    assert.equal(a, b);
    const closing = conn.opened();
    fail(new Error('refused'));
    await assert.rejects(a, /refused/);
    assert.equal(await closing, undefined, 'opened() waits for the connect in flight');
    assert.equal(await conn.open(), 2);
    assert.equal(calls, 2);
  });
});
