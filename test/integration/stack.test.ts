// trace: D.kafka, D.postgres
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import { sda } from './harness.js';

describe('local stack commands', () => {
  it('`stack up` on a machine that already ran it reuses the cache and the running services', async () => {
    const { code, stderr, stdout } = await sda(['stack', 'up']);
    assert.equal(code, 0, stderr);
    for (const svc of ['postgres', 'kafka', 'schema-registry', 'prometheus']) {
      assert.match(stderr, new RegExp(`${svc}\\s+cached install reused`), `${svc} reused its install`);
      assert.match(stderr, new RegExp(`${svc}\\s+already up`), `${svc} was left running`);
    }
    assert.doesNotMatch(stderr, /fetching|installing|formatting|creating cluster/);
    assert.match(stdout, /kafka\s+\d+\s+up/);
  });

  it('`stack status` reports a stopped service as down (exit code 3), and up again after `stack up`', async () => {
    const down = await sda(['stack', 'down', 'prometheus']);
    assert.equal(down.code, 0, down.stderr);
    try {
      const status = await sda(['stack', 'status', '--json']);
      assert.equal(status.code, 3);
      const rows = JSON.parse(status.stdout) as Array<{ service: string; up: boolean; port: number }>;
      assert.equal(rows.find((r) => r.service === 'prometheus')?.up, false);
      assert.equal(rows.find((r) => r.service === 'kafka')?.up, true);
      const table = await sda(['stack', 'status']);
      assert.match(table.stdout, /prometheus\s+\d+\s+down/);
    } finally {
      const up = await sda(['stack', 'up', 'prometheus']);
      assert.equal(up.code, 0, up.stderr);
    }
    const after = await sda(['stack', 'status', '--json']);
    assert.equal(after.code, 0);
    assert.ok((JSON.parse(after.stdout) as Array<{ up: boolean }>).every((r) => r.up));
  });

  it('rejects an unknown service by name', async () => {
    const { code, stderr } = await sda(['stack', 'down', 'zookeeper']);
    assert.equal(code, 1);
    assert.match(stderr, /unknown service zookeeper; services are postgres, kafka, schema-registry, prometheus/);
  });

  it('stops with a message naming a bad variable', async () => {
    const { code, stderr } = await sda(['stack', 'status'], { KAFKA_PORT: 'ninety' });
    assert.equal(code, 2);
    assert.match(stderr, /KAFKA_PORT="ninety": expected an integer between 1 and 65535/);
  });

  it('docker-compose.yml is a valid compose file (docker-compose config -q)', async () => {
    const out = await new Promise<{ code: number; err: string }>((resolve) =>
      execFile('docker-compose', ['-f', path.join(projectRoot(), 'docker-compose.yml'), 'config', '-q'], (err, _o, stderr) => resolve({ code: err ? 1 : 0, err: stderr })),
    );
    assert.equal(out.code, 0, out.err);
  });
});
