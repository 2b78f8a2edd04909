import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, redactConfig } from '../../platform/config.js';

describe('configuration', () => {
  it('has loopback defaults derived from the port variables', () => {
    const c = loadConfig({ KAFKA_PORT: '29092', REGISTRY_PORT: '28081' });
    assert.deepEqual(c.kafka.brokers, ['127.0.0.1:29092']);
    assert.equal(c.registry.url, 'http://127.0.0.1:28081/apis/ccompat/v7');
    assert.equal(c.postgres.port, 55_432);
  });

  it('lets explicit URLs override the derived ones and trims trailing slashes', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', SCHEMA_REGISTRY_URL: 'https://reg.example:8443/apis/ccompat/v7/' });
    assert.deepEqual(c.kafka.brokers, ['a:1', 'b:2']);
    assert.equal(c.registry.url, 'https://reg.example:8443/apis/ccompat/v7');
  });

  it('names every bad variable and what was expected, all at once', () => {
    assert.throws(
      () => loadConfig({ PGPORT: 'abc', KAFKA_PORT: '70000', LOG_LEVEL: 'loud', SCHEMA_REGISTRY_URL: 'ftp://x', KAFKA_BROKERS: 'nohostport' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 5);
        assert.match(err.message, /PGPORT="abc": expected an integer between 1 and 65535/);
        assert.match(err.message, /KAFKA_PORT=70000: expected an integer/);
        assert.match(err.message, /LOG_LEVEL="loud": expected one of fatal, error/);
        assert.match(err.message, /SCHEMA_REGISTRY_URL="ftp:\/\/x": expected an http\(s\) URL/);
        assert.match(err.message, /KAFKA_BROKERS="nohostport": expected a comma-separated list of host:port/);
        return true;
      },
    );
  });

  it('rejects a controller port equal to the broker port', () => {
    assert.throws(() => loadConfig({ KAFKA_PORT: '9000', KAFKA_CONTROLLER_PORT: '9000' }), /KAFKA_CONTROLLER_PORT=9000: must differ/);
  });

  it('never shows the database password when printed', () => {
    const c = loadConfig({ PGPASSWORD: 's3cret-value' });
    assert.equal(c.postgres.password, 's3cret-value');
    assert.doesNotMatch(JSON.stringify(redactConfig(c)), /s3cret-value/);
  });
});
