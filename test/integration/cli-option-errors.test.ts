// trace: 8.1
// The CLI's option errors, as a user meets them: one line naming the option and the rule, exit non-zero, no stack
// trace; a gateway that cannot listen starts nothing (no live-feed line). Runs the built CLI against the shared stack.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { sda } from './harness.js';

function assertOneLineError(r: { code: number; stderr: string }, expected: string): void {
  assert.notEqual(r.code, 0);
  assert.ok(r.stderr.includes(`sda: ${expected}\n`), r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

describe('sda option errors', () => {
  it('simulate --out into a missing directory is a coded error naming the path', async () => {
    assertOneLineError(await sda(['simulate', '--days', '1', '--out', '/nonexistent/dir/x.csv']), '--out: cannot write /nonexistent/dir/x.csv: no such directory');
  });

  it('simulate --start off the 15-minute grid names --start and the rule', async () => {
    assertOneLineError(await sda(['simulate', '--days', '1', '--start', '2024-07-01T00:07:00Z', '--out', '/tmp/never.csv']), '--start: must be on a 15-minute boundary (UTC), got "2024-07-01T00:07:00Z"');
  });

  it('serve --host that does not resolve names --host, and starts no live feed', async () => {
    const r = await sda(['serve', '--no-rag', '--port', '0', '--host', '999.1.1.1']);
    assertOneLineError(r, '--host: cannot listen on 999.1.1.1 (no such host or address)');
    assert.doesNotMatch(r.stderr, /live forecast feed started/);
  });

  it('serve on a port in use names --port, and starts no live feed', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const r = await sda(['serve', '--no-rag', '--port', String(port)]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`sda: --port: 127\\.0\\.0\\.1:${port} is already in use`));
      assert.doesNotMatch(r.stderr, /live forecast feed started/);
    } finally {
      busy.close();
    }
  });

  it('sda process validates every option before its metrics server starts (the port held by another process here)', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((busy.address() as net.AddressInfo).port);
      assertOneLineError(await sda(['process', 'forecaster', '--poll-ms', '-5'], { FORECASTER_METRICS_PORT: port }), '--poll-ms: expected an integer from 100 to 3600000, got -5');
      assertOneLineError(await sda(['process', 'windower', '--max-batch-bytes', '1'], { WINDOWER_METRICS_PORT: port }), '--max-batch-bytes: expected an integer from 1024 to 268435456, got 1');
    } finally {
      busy.close();
    }
  });

  it('train --step names the allowed values whatever the bad value; train evaluate --model PATH says the directory is missing', async () => {
    assertOneLineError(await sda(['train', '--step', 'abc']), '--step: expected 60 or 15, got "abc"');
    assertOneLineError(await sda(['train', '--step', '30']), '--step: expected 60 or 15, got "30"');
    assertOneLineError(await sda(['train', 'evaluate', '--model', '/nonexistent/dir']), '--model: no such directory: /nonexistent/dir');
  });

  it('lm evaluate checks its option values first and refuses --adapter off with the reason', async () => {
    const empty = { SDA_CACHE_DIR: '/nonexistent/cache' }; // no adapters there
    assertOneLineError(await sda(['lm', 'evaluate', '--limit', 'abc'], empty), '--limit: expected an integer from 1 to 10000, got "abc"');
    assertOneLineError(await sda(['lm', 'evaluate', '--adapter', 'off']), '--adapter: off is the base model, which evaluate always measures; name the adapter to compare it with (latest or a version)');
  });
});
