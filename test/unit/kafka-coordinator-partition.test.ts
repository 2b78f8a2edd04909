// trace: D.kafka
// The start-up wait of `sda stack up` (deploy/local/kafka.ts) probes one group id and one transactional id per partition
// of __consumer_offsets and __transaction_state; which partition an id lands on is the broker's rule, abs(Java
// String.hashCode(id)) % partitions. The expected hash codes below were printed by Java 17's jshell.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COORDINATOR_PARTITIONS, coordinatorPartition, coordinatorProbeIds } from '../../deploy/local/kafka.js';

describe('coordinator partitions', () => {
  it('follow Java String.hashCode and Kafka Utils.abs', () => {
    assert.equal(coordinatorPartition('hello', 10), 99_162_322 % 10); // hashCode 99162322
    assert.equal(coordinatorPartition('sda-windower', 10), 75_290_214 % 10); // hashCode -75290214
    assert.equal(coordinatorPartition('Ünïcödé-grüppe', 10), 1_838_758_580 % 10); // hashCode -1838758580 (non-ASCII code units)
    assert.equal(coordinatorPartition('sda-stack-ready-0', 10), 426_228_068 % 10); // hashCode 426228068
    assert.equal(coordinatorPartition('polygenelubricants', 10), 0); // hashCode Integer.MIN_VALUE: Utils.abs gives 0
    assert.equal(coordinatorPartition('polygenelubricants', 7), 0);
    assert.equal(coordinatorPartition('hello', 7), 99_162_322 % 7);
  });

  it('the probe ids cover every partition once, in partition order', () => {
    for (const partitions of [1, 3, COORDINATOR_PARTITIONS, 50]) {
      const ids = coordinatorProbeIds('sda-stack-ready', partitions);
      assert.equal(ids.length, partitions);
      assert.equal(new Set(ids).size, partitions);
      assert.deepEqual(ids.map((id) => coordinatorPartition(id, partitions)), [...Array(partitions).keys()]);
      for (const id of ids) assert.match(id, /^sda-stack-ready-\d+$/);
    }
  });
});
