// trace: D.kafka
// readTopicToEnd's throw-away consumer group: two reads started in the same millisecond (the windower's restore once
// started one per partition, and such twins were seen rebalancing one group between them) get groups of their own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { throwAwayGroupId } from '../../platform/kafka/read-topic.js';

describe('readTopicToEnd throw-away groups', () => {
  it('differ for reads started in the same millisecond, and name the prefix, the process and the time', (t) => {
    t.mock.method(Date, 'now', () => 1_796_169_395_308);
    const a = throwAwayGroupId('sda-windower-restore');
    const b = throwAwayGroupId('sda-windower-restore');
    assert.notEqual(a, b);
    for (const id of [a, b]) assert.match(id, new RegExp(`^sda-windower-restore-${process.pid}-1796169395308-\\d+$`));
  });
});
