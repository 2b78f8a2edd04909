// trace: D.gateway
// The gateway under malformed input (against the real PostgreSQL, Kafka and registry): many bad requests, each
// answered below 500 with a JSON body that carries an error code and a message; the limits say what they are; the
// 429 sends the header its message points to. The /query service here is a small stand-in that refuses blank
// questions the way the responder failed on them, so a blank question reaching it would show up as a 500.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../platform/config.js';
import type { QueryService } from '../../gateway/query.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { config } from './harness.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with node:http (sends the target byte for byte, as given). */
function send(base: string, method: string, target: string, opts: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path: target, headers: { connection: 'close', ...opts.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Raw bytes on a socket, for requests an HTTP client will not send; resolves with everything the server wrote. */
function raw(base: string, bytes: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () => socket.end(bytes));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (out += c));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

function assertJsonError(a: Answer, what: string): { error: string; detail: string } {
  assert.ok(a.status >= 400 && a.status < 500, `${what}: status ${a.status} (${a.text.slice(0, 200)})`);
  assert.match(String(a.headers['content-type'] ?? ''), /application\/json/, `${what}: JSON content type`);
  const body = JSON.parse(a.text) as { error?: unknown; detail?: unknown };
  assert.equal(typeof body.error, 'string', `${what}: an error code`);
  assert.ok(typeof body.detail === 'string' && body.detail.length > 0, `${what}: a message`);
  assert.doesNotMatch(a.text, /\bat [\w.<>]+ \(|node_modules|\.js:\d+/, `${what}: no stack trace`);
  return body as { error: string; detail: string };
}

describe('gateway under malformed input: no 5xx, JSON errors with messages', () => {
  let gw: RunningGateway;
  let limited: RunningGateway;
  let registry: string;
  const asked: string[] = [];
  const service: QueryService = {
    async answer(q) {
      if (q.question.trim() === '') throw new Error('empty question reached the responder');
      asked.push(q.question);
      return { answer: `echo: ${q.question.length} characters`, sources: [] };
    },
  };

  before(async () => {
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-abuse-'));
    const noLimit: Config = { ...config, gateway: { ...config.gateway, rateLimitPerMinute: 0 } };
    gw = await startGateway(noLimit, { port: 0, registryDir: registry, liveFeed: false, queryService: service, poolSize: 2 });
    limited = await startGateway({ ...config, gateway: { ...config.gateway, rateLimitPerMinute: 3 } }, { port: 0, registryDir: registry, liveFeed: false, queryService: service, poolSize: 1 });
  });

  after(async () => {
    await gw?.close();
    await limited?.close();
    await rm(registry, { recursive: true, force: true });
  });

  it('hundreds of malformed GETs: white-space questions, bad percent-encoding, control characters, bad params and paths', async () => {
    const blanks = ['%20', '%20%20%20', '+', '+++', '%09', '%0A', '%0D%0A', '%09%0A%20', '%C2%A0', '%C2%A0%C2%A0', '%E2%80%8B', '%EF%BB%BF', '%E3%80%80', '%20%C2%A0%09%0A'];
    const badEncoding = ['%', '%Z', '%ZZ', '%E0%A4%A', '%C3%28', '%ED%A0%80', '%FF', 'abc%', '%%', '%G0', '%C0%AF'];
    const controls = ['%00', 'a%00b', '%01', '%1B%5B2J', '%7F'];
    const targets: string[] = [];
    for (const v of [...blanks, ...badEncoding, ...controls]) {
      targets.push(`/query?q=${v}`, `/query?q=ok&series=${v}`, `/forecast?series=${v}`, `/api/history?series=${v}`, `/api/series?x=${v}`, `/${v}`, `/forecast${v}`, `/vendor/uplot/${v}`);
    }
    targets.push(
      '/query', '/query?q=', '/query?q=a&q=b', '/query?q=ok&unknown=1', '/query?series=HB_NORTH', `/query?q=${'x'.repeat(2_001)}`,
      '/forecast?series=../../etc/passwd', '/forecast?series=HB_NORTH&horizon=-1', '/forecast?series=HB_NORTH&horizon=1e99', '/forecast?series=HB_NORTH&at=yesterday',
      '/forecast?series[]=a', '/forecast?__proto__=1', '/forecast?constructor=1', '/api/overview?market=%27%3B%20DROP%20TABLE%20forecasts%3B--',
      '/..%2F..%2Fetc%2Fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/metrics?x=%ZZ', '/openapi.json?%FF=1', '/livez?%=1',
    );
    assert.ok(targets.length > 250, `${targets.length} requests`);
    let n = 0;
    // A few at a time, the way a scanner would.
    for (let i = 0; i < targets.length; i += 8) {
      const batch = targets.slice(i, i + 8);
      const answers = await Promise.all(batch.map((t) => send(gw.url, 'GET', t)));
      answers.forEach((a, j) => {
        const t = batch[j]!;
        if (t === '/livez?%=1' || t === '/metrics?x=%ZZ' || t === '/openapi.json?%FF=1') {
          assertJsonError(a, t); // even the exempt routes refuse bad encoding
          return;
        }
        assertJsonError(a, t);
        n++;
      });
    }
    assert.ok(n > 250);
    assert.deepEqual(asked, [], 'no malformed question reached the responder');

    // What the answers say.
    const blank = assertJsonError(await send(gw.url, 'GET', '/query?q=%20%C2%A0%09%0A'), 'blank');
    assert.equal(blank.error, 'bad_request');
    assert.match(blank.detail, /q is only white space/);
    const enc = assertJsonError(await send(gw.url, 'GET', '/query?q=%E0%A4%A'), 'encoding');
    assert.equal(enc.error, 'bad_encoding');
    assert.match(enc.detail, /not valid percent-encoding/);
    assert.match(assertJsonError(await send(gw.url, 'GET', `/query?q=${'x'.repeat(2_001)}`), 'long').detail, /q is longer than 2000 characters \(2001\)/);
    assert.match(assertJsonError(await send(gw.url, 'GET', '/query?q=a%00b'), 'nul').detail, /control character \(U\+0000\)/);

    // And a good question still gets through.
    const ok = await send(gw.url, 'GET', '/query?q=What%20was%20HB_NORTH%20yesterday%3F');
    assert.equal(ok.status, 200, ok.text);
  });

  it('malformed POST /query bodies: bad JSON, wrong shapes, blank questions, too large (says the limit), wrong types', async () => {
    const limit = config.gateway.bodyLimitBytes;
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string, { body?: string | Buffer; headers?: Record<string, string> }]> = [
      ['invalid JSON', { body: '{"q": ', headers: json }],
      ['not JSON at all', { body: 'hello', headers: json }],
      ['a JSON array', { body: '["q"]', headers: json }],
      ['a JSON string', { body: '"q"', headers: json }],
      ['null', { body: 'null', headers: json }],
      ['empty body', { body: '', headers: json }],
      ['q a number', { body: '{"q": 5}', headers: json }],
      ['q an object', { body: '{"q": {"a": 1}}', headers: json }],
      ['q white space', { body: JSON.stringify({ q: ' \t\n\u00a0\u2003' }), headers: json }],
      ['q zero-width', { body: JSON.stringify({ q: '\u200b\ufeff' }), headers: json }],
      ['q NUL', { body: JSON.stringify({ q: 'a\u0000b' }), headers: json }],
      ['unknown field', { body: '{"q": "hi", "x": 1}', headers: json }],
      ['text/plain', { body: '{"q": "hi"}', headers: { 'content-type': 'text/plain' } }],
      ['no content type', { body: '{"q": "hi"}' }],
      ['gzip garbage', { body: Buffer.from([1, 2, 3, 4]), headers: { ...json, 'content-encoding': 'gzip' } }],
      ['unknown encoding', { body: '{"q":"hi"}', headers: { ...json, 'content-encoding': 'br2' } }],
      ['latin1 charset', { body: '{"q":"hi"}', headers: { 'content-type': 'application/json; charset=latin1' } }],
      ['too large', { body: JSON.stringify({ q: 'x'.repeat(limit * 2) }), headers: json }],
      ['long question', { body: JSON.stringify({ q: 'y'.repeat(2_500) }), headers: json }],
      ['deep nesting', { body: `${'['.repeat(5_000)}${']'.repeat(5_000)}`, headers: json }],
    ];
    for (const [what, opts] of cases) assertJsonError(await send(gw.url, 'POST', '/query', opts).catch((err: Error) => { throw new Error(`${what}: ${err.message}`); }), what);
    const big = assertJsonError(await send(gw.url, 'POST', '/query', cases.find((c) => c[0] === 'too large')![1]), 'too large');
    assert.equal(big.error, 'payload_too_large');
    assert.match(big.detail, new RegExp(`larger than the limit of ${limit} bytes`));
    assert.match(assertJsonError(await send(gw.url, 'POST', '/query', cases[0]![1]), 'bad json').detail, /not valid JSON/);
    assert.match(assertJsonError(await send(gw.url, 'POST', '/query', cases[8]![1]), 'blank').detail, /q is only white space/);
    for (const m of ['PUT', 'DELETE', 'PATCH']) assertJsonError(await send(gw.url, m, '/query', { body: '{}', headers: json }), m);
    assert.deepEqual(asked.filter((q) => q.trim() === ''), []);
  });

  it('a 20,000-character URL and oversized headers get 431 with a JSON body; a 3,000-character URL 414; garbage HTTP 400', async () => {
    const long = await send(gw.url, 'GET', `/query?q=${'a'.repeat(20_000)}`);
    assert.equal(long.status, 431);
    const l = assertJsonError(long, '20k URL');
    assert.match(l.detail, /longer than \d+ bytes; URLs may be up to 2048 characters/);
    const header = await send(gw.url, 'GET', '/livez', { headers: { 'x-big': 'b'.repeat(20_000) } });
    assert.equal(header.status, 431);
    assertJsonError(header, 'big header');
    const mid = await send(gw.url, 'GET', `/query?q=${'a'.repeat(3_000)}`);
    assert.equal(mid.status, 414);
    assert.match(assertJsonError(mid, '3k URL').detail, /the limit is 2048 \(a question may have up to 2000 characters; one that does not fit in a URL goes in the body of POST \/query\)/);
    for (const bytes of ['GARBAGE\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 'GET /\x00 HTTP/1.1\r\n\r\n']) {
      const out = await raw(gw.url, bytes);
      const [head, body] = out.split('\r\n\r\n');
      assert.match(head ?? '', /^HTTP\/1\.1 4\d\d /, `${JSON.stringify(bytes)} -> ${head}`);
      assert.match(head ?? '', /content-type: application\/json/i);
      assert.ok(typeof (JSON.parse(body ?? '') as { detail?: unknown }).detail === 'string');
    }
  });

  it('429 sends the Retry-After header its message points to', async () => {
    let last: Answer | undefined;
    for (let i = 0; i < 5; i++) last = await send(limited.url, 'GET', '/api/series');
    assert.equal(last!.status, 429);
    const body = assertJsonError(last!, '429');
    const retry = Number(last!.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${last!.headers['retry-after']}`);
    assert.match(body.detail, new RegExp(`retry after ${retry} s \\(the Retry-After header\\)`));
    assert.ok(last!.headers.ratelimit, 'the standard RateLimit header too');
  });

  it("/query's latency histogram reaches 60 s and beyond", async () => {
    const text = (await send(gw.url, 'GET', '/metrics')).text;
    const buckets = [...text.matchAll(/sda_http_request_duration_seconds_bucket\{le="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(buckets.includes('60'), 'a 60 s bucket');
    assert.ok(buckets.includes('120'), 'a 120 s bucket');
  });
});
