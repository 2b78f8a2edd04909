// trace: D.kafka
// The level of kafkajs's log lines: a retriable coordinator error that kafkajs retries by itself (a fresh broker's
// coordinator loading its state, a coordinator not available or moved) is not logged as an error; every other error
// response, retriable or not, is. The messages are checked against kafkajs's own protocol error table, so a kafkajs
// upgrade that rewords one fails here instead of silently logging it at error level again.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { logLevel } from 'kafkajs';
import { REBALANCE_NOTICE, RETRIED_COORDINATOR_ERRORS, kafkaLogLevel } from '../../platform/kafka/client.js';

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
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', response('GROUP_LOAD_IN_PROGRESS')), 'debug');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', response('GROUP_COORDINATOR_NOT_AVAILABLE')), 'debug');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', response('NOT_COORDINATOR_FOR_GROUP')), 'debug');
  });

  it('non-retriable errors, and retriable ones that are not the coordinator\'s, stay at error level', () => {
    for (const type of ['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'INVALID_TOPIC_EXCEPTION', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_EPOCH', 'REBALANCE_IN_PROGRESS']) {
      assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', { ...response(type), message: 'Response SyncGroup(key: 14, version: 3)' }), 'error', type);
      assert.equal(byType(type).retriable, false, `${type} is non-retriable in kafkajs`);
      assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', response(type)), 'error', type);
    }
    for (const type of ['NOT_LEADER_FOR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION', 'REQUEST_TIMED_OUT']) {
      assert.equal(byType(type).retriable, true);
      assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', response(type)), 'error', type);
    }
    // An error line that carries no protocol error, or a coordinator message that is not the line's error (a crash
    // after kafkajs's retries ran out names it in its own message): error.
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', { message: 'Connection error: connect ECONNREFUSED 127.0.0.1:19092' }), 'error');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', { error: `KafkaJSNumberOfRetriesExceeded: ${byType('GROUP_LOAD_IN_PROGRESS').message}` }), 'error');
    assert.equal(kafkaLogLevel(logLevel.NOTHING, 'Connection', { error: 'anything' }), 'error');
  });

  it('the consumer\'s crash on a coordinator error (restarted by kafkajs) is debug, its restart line a warning; other crashes stay errors', () => {
    // As kafkajs's consumer logs a crash: `Crash: ${e.name}: ${e.message}`, then `Restarting the consumer in ${retryTime}ms`.
    const crash = (name: string, type: string) => ({ message: `Crash: ${name}: ${byType(type).message}`, groupId: 'g', retryCount: 0 });
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Consumer', crash('KafkaJSProtocolError', 'GROUP_LOAD_IN_PROGRESS')), 'debug');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Consumer', crash('KafkaJSProtocolError', 'NOT_COORDINATOR_FOR_GROUP')), 'debug');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Consumer', { message: 'Restarting the consumer in 200ms', retryTime: 200 }), 'warn');
    // kafkajs gave up retrying, a non-retriable protocol error, a broker that is down, another namespace: error.
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Consumer', crash('KafkaJSNumberOfRetriesExceeded', 'GROUP_LOAD_IN_PROGRESS')), 'error');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Consumer', crash('KafkaJSProtocolError', 'GROUP_AUTHORIZATION_FAILED')), 'error');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Consumer', { message: 'Crash: KafkaJSNonRetriableError: Connection error: connect ECONNREFUSED 127.0.0.1:19092' }), 'error');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Producer', crash('KafkaJSProtocolError', 'GROUP_LOAD_IN_PROGRESS')), 'error');
  });

  it('other levels are kafkajs\'s own, whatever the error', () => {
    assert.equal(kafkaLogLevel(logLevel.WARN, 'Connection', response('GROUP_LOAD_IN_PROGRESS')), 'warn');
    assert.equal(kafkaLogLevel(logLevel.WARN, 'Connection', response('TOPIC_AUTHORIZATION_FAILED')), 'warn');
    assert.equal(kafkaLogLevel(logLevel.INFO, 'Consumer', { message: 'Starting' }), 'info');
    assert.equal(kafkaLogLevel(logLevel.DEBUG, 'Connection', { message: 'Request Fetch(key: 1, version: 11)' }), 'debug');
  });

  it('a heartbeat answered "rebalancing" (a member joined or left) is info: kafkajs rejoins and logs that at warn', () => {
    assert.equal(byType('REBALANCE_IN_PROGRESS').message, REBALANCE_NOTICE);
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', { ...response('REBALANCE_IN_PROGRESS'), message: 'Response Heartbeat(key: 12, version: 3)' }), 'info');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Connection', { ...response('REBALANCE_IN_PROGRESS'), message: 'Response JoinGroup(key: 11, version: 5)' }), 'error');
    assert.equal(kafkaLogLevel(logLevel.ERROR, 'Runner', { ...response('REBALANCE_IN_PROGRESS'), message: 'Response Heartbeat(key: 12, version: 3)' }), 'error');
  });

  it('every retried coordinator error is one kafkajs marks retriable, under the message kafkajs gives it', () => {
    for (const [message, { type }] of RETRIED_COORDINATOR_ERRORS) {
      const e = byType(type);
      assert.equal(e.message, message, type);
      assert.equal(e.retriable, true, type);
    }
  });
});
