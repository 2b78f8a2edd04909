// trace: D.kafka, D.dead-letters
// How a consumer's failure is classified (logs, sda_consumer_errors_total) and which crashes createConsumer starts
// again by itself: the errors are the real classes kafkajs, node-postgres and our serde throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { consumerErrorCount } from '../../platform/metrics.js';
import { consumerFaults, faultReason, restartsAfterCrash } from '../../platform/kafka/client.js';
import { SdaError } from '../../platform/errors.js';
import { PoisonRecordError } from '../../platform/kafka/errors.js';

// kafkajs is CommonJS: its error classes come off the default export. Constructed as kafkajs does (its typings omit
// the metadata arguments).
const K = kafkajs as unknown as Record<string, new (e: Error | string, meta?: object) => Error>;
const { KafkaJSConnectionError, KafkaJSError, KafkaJSGroupCoordinatorNotFound, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = K as Record<string, new (e: Error | string, meta?: object) => Error>;

function pgError(code: string, message: string): pg.DatabaseError {
  const e = new pg.DatabaseError(message, message.length, 'error');
  e.code = code;
  e.severity = 'FATAL';
  return e;
}

describe('consumer faults', () => {
  it('names the service that failed', () => {
    assert.equal(faultReason(pgError('57P01', 'terminating connection due to administrator command')), 'postgres-unavailable');
    assert.equal(faultReason(pgError('08006', 'connection failure')), 'postgres-unavailable');
    assert.equal(faultReason(new Error('Connection terminated unexpectedly')), 'postgres-unavailable');
    assert.equal(faultReason(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:55432'), { code: 'ECONNREFUSED' })), 'postgres-unavailable');
    assert.equal(faultReason(new SdaError('REGISTRY_UNAVAILABLE', 'could not fetch schema 8', true)), 'registry-unavailable');
    const rebalance = new KafkaJSProtocolError!('The group is rebalancing');
    (rebalance as unknown as { type: string }).type = 'REBALANCE_IN_PROGRESS';
    assert.equal(faultReason(rebalance), 'rebalance');
    assert.equal(faultReason(new KafkaJSConnectionError!('Connection error: connect ECONNREFUSED 127.0.0.1:19092')), 'kafka-unavailable');
    assert.equal(faultReason(new KafkaJSGroupCoordinatorNotFound!('Failed to find group coordinator')), 'kafka-unavailable');
    // A wrapped cause is looked through: retries exhausted on a database error is still the database.
    assert.equal(faultReason(new KafkaJSNumberOfRetriesExceeded!(pgError('57P01', 'terminating connection'), { retryCount: 8, retryTime: 5_000 })), 'postgres-unavailable');
    // Retries exhausted on a refused database connection (the sink's pool) is the database, not Kafka.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:55432'), { code: 'ECONNREFUSED' });
    assert.equal(faultReason(new KafkaJSNumberOfRetriesExceeded!(refused, { retryCount: 5, retryTime: 5_000 })), 'postgres-unavailable');
    // A value the database rejects is not an outage.
    assert.equal(faultReason(Object.assign(new pg.DatabaseError('ON CONFLICT DO UPDATE command cannot affect row a second time', 10, 'error'), { code: '21000', severity: 'ERROR' })), 'other');
    assert.equal(faultReason(new PoisonRecordError('AVRO_DECODE', 'bad body')), 'other');
  });

  it('restarts after Kafka-side crashes, never after the handler\'s own programming errors', () => {
    assert.equal(restartsAfterCrash(new KafkaJSGroupCoordinatorNotFound!('Failed to find group coordinator')), true);
    assert.equal(restartsAfterCrash(new KafkaJSError!('No broker available')), true);
    // What kafkajs's retrier throws for an unrecoverable handler error: the cause is the TypeError.
    const typeError = new TypeError("Cannot read properties of undefined (reading 'x')");
    assert.equal(restartsAfterCrash(new KafkaJSNonRetriableError!(typeError, { cause: typeError })), false);
    assert.equal(restartsAfterCrash(typeError), false);
  });

  it('counts each reported fault under its consumer group', () => {
    const group = `unit-${process.pid}-${Date.now()}`;
    assert.equal(consumerErrorCount(group), 0);
    consumerFaults.emit('fault', { group, reason: 'postgres-unavailable', message: 'x', kind: 'batch' });
    consumerFaults.emit('fault', { group, reason: 'kafka-unavailable', message: 'y', kind: 'crash', restart: true });
    assert.equal(consumerErrorCount(group), 2);
  });
});
