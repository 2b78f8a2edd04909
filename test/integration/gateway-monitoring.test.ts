// trace: 7.1, D.prometheus, D.gateway
// The gateway's monitoring and HTTP policy against the real stack: the stack's Prometheus scrapes a gateway on an
// ephemeral port (registered through the file_sd directory of deploy/prometheus.yml) and its series are queryable;
// security headers, the rate limit, validation errors naming the parameter, bounded bodies, /query's 503 and the
// OpenAPI document are checked over HTTP.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../platform/config.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { config, uniqueName } from './harness.js';
import { QUERY_UNAVAILABLE } from '../../gateway/query.js';

interface PromVector {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

async function promQuery(query: string): Promise<PromVector['data']['result']> {
  const res = await fetch(`http://127.0.0.1:${config.prometheus.port}/api/v1/query?query=${encodeURIComponent(query)}`);
  assert.equal(res.status, 200, `Prometheus answered ${res.status} to ${query}`);
  const body = (await res.json()) as PromVector;
  assert.equal(body.status, 'success');
  return body.data.result;
}

describe('gateway monitoring and HTTP policy', () => {
  const tag = uniqueName('gw').replace('.', '-');
  const targetFile = path.join(config.cacheDir, 'prometheus', 'targets', `${tag}.json`);
  let registry: string;
  let gw: RunningGateway;

  before(async () => {
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-mon-registry-'));
    gw = await startGateway(loadConfig({ ...process.env, GATEWAY_RATE_LIMIT_PER_MIN: '40' }), { port: 0, registryDir: registry, liveFeed: false });
  });

  after(async () => {
    await rm(targetFile, { force: true });
    await gw?.close();
    if (registry) await rm(registry, { recursive: true, force: true });
  });

  it('is scraped by the stack\'s Prometheus: its request histogram and consumer lag are queryable with a recent sample', async () => {
    const startedAt = Date.now() / 1_000;
    for (const p of ['/livez', '/api/series', '/openapi.json']) assert.equal((await fetch(`${gw.url}${p}`)).status, 200, p);
    await mkdir(path.dirname(targetFile), { recursive: true });
    await writeFile(targetFile, JSON.stringify([{ targets: [`127.0.0.1:${gw.port}`], labels: { sda_test: tag } }]));
    const query = `sda_http_request_duration_seconds_count{sda_test="${tag}",route="/api/series",status="200"}`;
    const deadline = Date.now() + 90_000;
    let result: PromVector['data']['result'] = [];
    while (Date.now() < deadline) {
      result = await promQuery(query);
      if (result.length > 0) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    assert.equal(result.length, 1, `Prometheus has ${query} (is deploy/prometheus.yml's file_sd job loaded? run sda stack up)`);
    const [ts, value] = result[0]!.value;
    assert.ok(ts >= startedAt, 'the sample is from this run');
    assert.ok(Number(value) >= 1);
    assert.equal(result[0]!.metric.job, 'sda-gateway-instances');
    const up = await promQuery(`up{sda_test="${tag}"}`);
    assert.equal(up[0]?.value[1], '1');
    const lag = await promQuery(`sda_consumer_lag_up{sda_test="${tag}"}`);
    const groups = ['sda-dispatch-sink', 'sda-dispatcher', 'sda-dispatcher-mean', 'sda-documents-sink', 'sda-features-sink', 'sda-forecaster', 'sda-forecasts-sink', 'sda-postgres-sink', 'sda-windower'];
    assert.deepEqual(lag.map((r) => r.metric.group).sort(), groups);
    const members = await promQuery(`sda_consumer_group_members{sda_test="${tag}"}`);
    assert.deepEqual(members.map((r) => r.metric.group).sort(), groups, 'every group says how many consumers it has');
    assert.ok(lag.every((r) => r.value[1] === '1'), 'Kafka answered the lag reads');
    const partitions = await promQuery(`sda_consumer_lag{sda_test="${tag}",group="sda-windower",topic="market.ticks"}`);
    assert.equal(partitions.length, config.kafka.partitions, 'one lag series per partition');
  });

  it('sends security headers with a self-only CSP and no x-powered-by', async () => {
    const res = await fetch(`${gw.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https:/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal((await fetch(`${gw.url}/vendor/uplot/uPlot.esm.js`)).status, 200, 'uPlot is served from node_modules');
    assert.equal((await fetch(`${gw.url}/vendor/uplot/../../package.json`)).status, 404, 'no way out of the static folders');
  });

  it('refuses bad parameters with 400 naming the parameter, bounds bodies, and answers /query with 503 without a RAG responder (sda serve --no-rag)', async () => {
    const bad = await fetch(`${gw.url}/api/history?series=HB_NORTH&hours=721`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'bad_request', param: 'hours', detail: 'hours must be an integer from 1 to 720, got "721"' });
    for (const p of ['/api/overview', '/metrics', '/openapi.json', '/events']) {
      const unknown = await fetch(`${gw.url}${p}?verbose=1`);
      assert.equal(unknown.status, 400, p);
      assert.equal(((await unknown.json()) as { param: string }).param, 'verbose', p);
    }
    const q = await fetch(`${gw.url}/query?q=${encodeURIComponent('what is the price at HB_NORTH?')}`);
    assert.equal(q.status, 503);
    assert.deepEqual(await q.json(), QUERY_UNAVAILABLE);
    const post = await fetch(`${gw.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ q: 'why?' }) });
    assert.equal(post.status, 503);
    const extra = await fetch(`${gw.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ q: 'why?', role: 'admin' }) });
    assert.equal(extra.status, 400);
    assert.equal(((await extra.json()) as { param: string }).param, 'role');
    const big = await fetch(`${gw.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ q: 'x'.repeat(config.gateway.bodyLimitBytes) }) });
    assert.equal(big.status, 413);
    const put = await fetch(`${gw.url}/query`, { method: 'PUT', body: '{}' });
    assert.equal(put.status, 405);
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/history'] && doc.paths['/forecast'] && doc.paths['/query']);
  });

  it('rate-limits each address with a 429 JSON answer, leaving /metrics to Prometheus', async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const r = await fetch(`${gw.url}/api/series`);
      if (r.status === 429) limited = r;
      else await r.arrayBuffer();
    }
    assert.ok(limited, 'the 41st request a minute is refused');
    assert.deepEqual(Object.keys((await limited.json()) as object), ['error', 'detail']);
    assert.ok(limited.headers.get('ratelimit-policy'), 'the policy is announced');
    assert.equal((await fetch(`${gw.url}/metrics`)).status, 200, '/metrics is exempt');
  });
});
