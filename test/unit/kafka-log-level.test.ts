// trace: D.kafka
// The level of kafkajs's log lines: a retriable coordinator error that kafkajs retries by itself (a fresh broker's
// coordinator loading its state, a coordinator not available or moved) is not logged as an error; every other error
// response, retriable or not, is. The messages are checked against kafkajs's own protocol error table, so a kafkajs
// upgrade that rewords one fails here instead of silently logging it at error level again.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { logLevel } from 'kafkajs';
import { RETRIED_COORDINATOR_ERRORS, kafkaLogLevel } from '../../platform/kafka/client.js';

interface ProtocolError {
  type: string;
  code: number;
  retriable: boolean;
  message: string;
}
// kafkajs's table of protocol errors (CommonJS, no typings): the messages its connection logs.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: ProtocolError[] };
const byType = (type: string): ProtocolError => {
  const e = errorCodes.find((x) => x.type === type);
  assert.ok(e, `kafkajs has no protocol error ${type}`);
  return e;
};
// As kafkajs's connection logs an error response: 'Response JoinGroup(key: 11, version: 5)' with the error's message.
const response = (type: string) => ({ error: byType(type).message, correlationId: 2, size: 20 });

describe('kafkajs log levels', () => {
  it('a coordinator loading, not available or moved is logged at debug, not as an error', () => {
    assert.equal(kafkaLogLevel(logLevel.ERROR, response('GROUP_LOAD_IN_PROGRESS')), 'debug');
    assert.equal(kafkaLogLevel(logLevel.ERROR, response('GROUP_COORDINATOR_NOT_AVAILABLE')), 'debug');
    assert.equal(kafkaLogLevel(logLevel.ERROR, response('NOT_COORDINATOR_FOR_GROUP')), 'debug');
  });

  it('non-retriable errors, and retriable ones that are not the coordinator\'s, stay at error level', () => {
    for (const type of ['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'INVALID_TOPIC_EXCEPTION', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_EPOCH', 'REBALANCE_IN_PROGRESS']) {
      assert.equal(byType(type).retriable, false, `${type} is non-retriable in kafkajs`);
      assert.equal(kafkaLogLevel(logLevel.ERROR, response(type)), 'error', type);
    }
    for (const type of ['NOT_LEADER_FOR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION', 'REQUEST_TIMED_OUT']) {
      assert.equal(byType(type).retriable, true);
      assert.equal(kafkaLogLevel(logLevel.ERROR, response(type)), 'error', type);
    }
    // An error line that carries no protocol error, or a coordinator message that is not the line's error (a crash
    // after kafkajs's retries ran out names it in its own message): error.
    assert.equal(kafkaLogLevel(logLevel.ERROR, {}), 'error');
    assert.equal(kafkaLogLevel(logLevel.ERROR, { error: `KafkaJSNumberOfRetriesExceeded: ${byType('GROUP_LOAD_IN_PROGRESS').message}` }), 'error');
    assert.equal(kafkaLogLevel(logLevel.NOTHING, { error: 'anything' }), 'error');
  });

  it('other levels are kafkajs\'s own, whatever the error', () => {
    assert.equal(kafkaLogLevel(logLevel.WARN, response('GROUP_LOAD_IN_PROGRESS')), 'warn');
    assert.equal(kafkaLogLevel(logLevel.WARN, response('TOPIC_AUTHORIZATION_FAILED')), 'warn');
    assert.equal(kafkaLogLevel(logLevel.INFO), 'info');
    assert.equal(kafkaLogLevel(logLevel.DEBUG), 'debug');
  });

  it('every retried coordinator error is one kafkajs marks retriable, under the message kafkajs gives it', () => {
    for (const [message, { type }] of RETRIED_COORDINATOR_ERRORS) {
      const e = byType(type);
      assert.equal(e.message, message, type);
      assert.equal(e.retriable, true, type);
    }
  });
});
