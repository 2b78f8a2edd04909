// trace: 1.1, 1.2, D.sources
// The ERCOT client against a local HTTP server that answers like api.ercot.com (_meta/fields/data pages, 401/429/5xx
// in APIM's shapes) and like ERCOT's B2C token endpoint. Sleeps are recorded, not waited.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { MarketTick } from '../../schemas/types.js';
import type { Parsed } from '../../market/parsed.js';
import { ErcotClient, ercotCredentials, type ErcotClientOptions } from '../../streams/ercot/client.js';
import { loadConfig } from '../../platform/config.js';
import { ErcotConfigError, ErcotError } from '../../streams/ercot/errors.js';
import { ERCOT_CLIENT_ID } from '../../streams/ercot/auth.js';
import type { ReportId } from '../../streams/ercot/reports.js';

import { FakeErcot, KEY, PASSWORD, RT_FIELDS, USER, rtDay } from '../fixtures/fake-ercot.js';

const ticks = (ps: Parsed[]): MarketTick[] => ps.flatMap((p) => (p.ok ? [p.tick] : []));
const iso = (ms: number) => new Date(ms).toISOString();

async function collect(client: ErcotClient, report: ReportId, from: string | Date, to: string | Date, pages?: Array<[number, number]>): Promise<Parsed[]> {
  const out: Parsed[] = [];
  for await (const page of client.fetchReport(report, { from, to }, (p, n) => pages?.push([p, n]))) out.push(...page);
  return out;
}

async function rejectsWith(promise: Promise<unknown>, check: (err: ErcotError) => void) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ErcotError, `expected ErcotError, got ${String(err)}`);
    check(err);
    return true;
  });
}

const DAM_FIELDS_FOR_EMPTY = ['deliveryDate', 'hourEnding', 'settlementPoint', 'settlementPointPrice', 'DSTFlag'].map((name) => ({ name, dataType: 'VARCHAR' }));

describe('ErcotClient against a local fake ERCOT', () => {
  const fake = new FakeErcot();
  let sleeps: number[];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  const client = (extra: Partial<ErcotClientOptions> = {}) => new ErcotClient(fake.options({ sleep, random: () => 0.5, pageSize: 40, ...extra }));

  before(() => fake.start());
  after(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    sleeps = [];
  });

  it('signs in once and pages through every page, sending the documented query and headers', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal') });
    const pages: Array<[number, number]> = [];
    const c = client();
    const out = await collect(c, 'rt-spp', '2024-07-15', new Date('2024-07-15'), pages);
    assert.deepEqual(pages, [[1, 3], [2, 3], [3, 3]]);
    assert.equal(out.length, 96);
    assert.ok(out.every((p) => p.ok));
    assert.equal(fake.tokenCalls, 1);
    assert.equal(c.tokensFetched, 1);
    assert.equal(c.requests, 3);
    const form = fake.tokenForms[0]!;
    assert.equal(form.get('grant_type'), 'password');
    assert.equal(form.get('scope'), `openid ${ERCOT_CLIENT_ID} offline_access`);
    assert.equal(form.get('client_id'), ERCOT_CLIENT_ID);
    assert.equal(form.get('response_type'), 'id_token');
    const first = fake.dataRequests[0]!;
    assert.equal(first.path, '/np6-905-cd/spp_node_zone_hub');
    assert.equal(first.key, KEY);
    assert.equal(first.auth, 'Bearer id-token-1');
    assert.equal(first.query.get('deliveryDateFrom'), '2024-07-15');
    assert.equal(first.query.get('deliveryDateTo'), '2024-07-15');
    assert.deepEqual(fake.dataRequests.map((r) => r.query.get('page')), ['1', '2', '3']);
    assert.equal(first.query.get('size'), '40');
    assert.deepEqual(sleeps, []);
    const t = ticks(out);
    assert.equal(iso(t[0]!.intervalStart), '2024-07-15T05:00:00.000Z');
    assert.ok(t.every((x) => x.source === 'ercot-api' && x.market === 'ERCOT' && x.kind === 'RT_PRICE'));
  });

  it('an empty page inside a non-empty result is retried, and fails clearly when it stays empty', async () => {
    fake.datasets.set('/np4-190-cd/dam_stlmnt_pnt_prices', { fields: DAM_FIELDS_FOR_EMPTY, rows: [['2024-07-15', '01:00', 'HB_NORTH', 20, false]] });
    const emptyPage = { status: 200, body: { _meta: { totalRecords: 1, pageSize: 40, totalPages: 1, currentPage: 1 }, fields: DAM_FIELDS_FOR_EMPTY, data: [] } };
    fake.faults.push(emptyPage);
    const retries: string[] = [];
    const out = await collect(client({ onRetry: (r) => retries.push(r.error.message) }), 'dam-spp', '2024-07-15', '2024-07-15');
    assert.equal(out.length, 1, 'the row arrives on the retry');
    assert.match(retries[0] ?? '', /page 1 has no rows although _meta.totalRecords is 1 in pages of 40/);
    fake.stickyFault = emptyPage;
    try {
      await assert.rejects(collect(client(), 'dam-spp', '2024-07-15', '2024-07-15'), /an empty page inside the result/);
    } finally {
      fake.stickyFault = undefined;
    }
  });

  it('an empty result is zero pages of rows, not an error', async () => {
    fake.datasets.set('/np4-190-cd/dam_stlmnt_pnt_prices', { fields: [], rows: [] });
    const pages: Array<[number, number]> = [];
    const out = await collect(client(), 'dam-spp', '2030-01-01', '2030-01-01', pages);
    assert.deepEqual(out, []);
    assert.deepEqual(pages, [[1, 0]]);
  });

  it('retries a 429 with backoff, and honours Retry-After when the server sends it', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal').slice(0, 8) });
    fake.faults = [{ status: 429, body: { error_key: 'throttled', error_message: 'Too Many Requests' } }];
    const retries: string[] = [];
    const out = await collect(client({ rateLimitDelayMs: 10_000, onRetry: (r) => retries.push(r.error.code) }), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.equal(out.length, 8);
    assert.deepEqual(retries, ['RATE_LIMITED']);
    assert.deepEqual(sleeps, [7_500]); // 10 s ceiling, equal jitter with random() = 0.5

    sleeps = [];
    fake.faults = [{ status: 429, body: { error_key: 'throttled' }, headers: { 'retry-after': '7' } }];
    await collect(client(), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.deepEqual(sleeps, [7_000]);
  });

  it('backoff grows exponentially up to the ceiling', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal').slice(0, 4) });
    fake.faults = Array.from({ length: 5 }, () => ({ status: 503 }));
    await collect(client({ baseDelayMs: 1_000, maxDelayMs: 8_000, maxAttempts: 6, random: () => 1 }), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.deepEqual(sleeps, [1_000, 2_000, 4_000, 8_000, 8_000]);
  });

  it('refreshes an expired token once on 401 and retries at once', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal') });
    const c = client();
    const pages: Parsed[][] = [];
    const gen = c.fetchReport('rt-spp', { from: '2024-07-15', to: '2024-07-15' });
    pages.push((await gen.next()).value as Parsed[]);
    fake.faults = [{ expireToken: true }]; // the token dies before page 2
    for await (const p of gen) pages.push(p);
    assert.equal(pages.flat().length, 96);
    assert.equal(fake.tokenCalls, 2);
    assert.deepEqual(fake.dataRequests.map((r) => r.auth), ['Bearer id-token-1', 'Bearer id-token-1', 'Bearer id-token-2', 'Bearer id-token-2']);
    assert.deepEqual(sleeps, []);
  });

  it('a 401 that survives the refresh (bad subscription key) fails clearly after exactly one refresh', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal') });
    fake.acceptedKey = 'another-key';
    await rejectsWith(collect(client(), 'rt-spp', '2024-07-15', '2024-07-15'), (err) => {
      assert.equal(err.code, 'UNAUTHORIZED');
      assert.equal(err.retriable, false);
      assert.match(err.message, /invalid subscription key/);
      assert.match(err.message, /ERCOT_API_SUBSCRIPTION_KEY/);
      assert.doesNotMatch(err.message, new RegExp(`${KEY}|${PASSWORD}|id-token`));
    });
    assert.equal(fake.tokenCalls, 2);
    assert.equal(fake.dataRequests.length, 2);
  });

  it('refreshes the token before it expires (5 minute margin)', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal').slice(0, 4) });
    let now = Date.UTC(2024, 6, 15, 12);
    const c = client({ now: () => now, requestsPerMinute: 0 });
    await collect(c, 'rt-spp', '2024-07-15', '2024-07-15');
    now += 54 * 60_000;
    await collect(c, 'rt-spp', '2024-07-15', '2024-07-15');
    assert.equal(fake.tokenCalls, 1);
    now += 2 * 60_000; // 56 minutes after sign-in: inside the 5-minute margin
    await collect(c, 'rt-spp', '2024-07-15', '2024-07-15');
    assert.equal(fake.tokenCalls, 2);
    assert.equal(fake.dataRequests.at(-1)!.auth, 'Bearer id-token-2');
  });

  it('wrong username/password: AUTH_FAILED at once, no retry, no secret in the message', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: [] });
    await rejectsWith(collect(client({ password: 'wrong-Secret-999' }), 'rt-spp', '2024-07-15', '2024-07-15'), (err) => {
      assert.equal(err.code, 'AUTH_FAILED');
      assert.equal(err.retriable, false);
      assert.match(err.message, /AADB2C90225/);
      assert.match(err.message, /ERCOT_API_PASSWORD/);
      assert.doesNotMatch(err.message + inspect(err), /wrong-Secret-999|sub-key/);
    });
    assert.equal(fake.tokenCalls, 1);
    assert.equal(fake.dataRequests.length, 0);
  });

  it('retries a 500 and then succeeds', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal') });
    fake.faults = [{ status: 500, body: { statusCode: 500, message: 'Internal server error' } }];
    const out = await collect(client(), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.equal(out.length, 96);
    assert.equal(sleeps.length, 1);
    assert.equal(fake.dataRequests.length, 4);
  });

  it('a persistent 500 surfaces SERVER_ERROR after maxAttempts', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal') });
    fake.stickyFault = { status: 500, body: { statusCode: 500, message: 'Internal server error' } };
    await rejectsWith(collect(client({ maxAttempts: 4 }), 'rt-spp', '2024-07-15', '2024-07-15'), (err) => {
      assert.equal(err.code, 'SERVER_ERROR');
      assert.equal(err.retriable, true);
      assert.equal(err.details.status, 500);
      assert.equal(err.details.attempts, 4);
      assert.match(err.message, /HTTP 500: \{"statusCode":500,"message":"Internal server error"\}/);
      assert.match(err.message, /gave up after 4 attempts/);
      assert.match(err.message, /\/np6-905-cd\/spp_node_zone_hub/);
    });
    assert.equal(fake.dataRequests.length, 4);
    assert.equal(sleeps.length, 3);
  });

  it('a 403 or 404 fails at once', async () => {
    fake.stickyFault = { status: 403, body: { timestamp: 'x', code: 403, status: 'FORBIDDEN', message: 'no access', data: {} } };
    await rejectsWith(collect(client(), 'load', '2024-07-15', '2024-07-15'), (err) => {
      assert.equal(err.code, 'FORBIDDEN');
      assert.equal(err.details.attempts, 1);
    });
    fake.stickyFault = undefined;
    await rejectsWith(collect(client(), 'wind', '2024-07-15', '2024-07-15'), (err) => assert.equal(err.code, 'NOT_FOUND'));
    assert.deepEqual(sleeps, []);
  });

  it('a truncated body is retried; a persistently truncated one fails with a clear message after a bounded number of tries', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal') });
    fake.faults = [{ truncate: true }];
    const out = await collect(client(), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.equal(out.length, 96);
    assert.equal(sleeps.length, 1);

    sleeps = [];
    fake.stickyFault = { truncate: true };
    const before = fake.dataRequests.length;
    await rejectsWith(collect(client({ maxAttempts: 6, maxInvalidBodyAttempts: 3 }), 'rt-spp', '2024-07-15', '2024-07-15'), (err) => {
      assert.equal(err.code, 'BAD_RESPONSE');
      assert.match(err.message, /not valid JSON, probably truncated/);
      assert.match(err.message, /gave up after 3 attempts/);
    });
    assert.equal(fake.dataRequests.length - before, 3);
  });

  it('a connection dropped mid-body is a retried NETWORK error', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal').slice(0, 4) });
    fake.faults = [{ destroyMidBody: true }];
    const codes: string[] = [];
    const out = await collect(client({ onRetry: (r) => codes.push(r.error.code) }), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.equal(out.length, 4);
    assert.deepEqual(codes, ['NETWORK']);
  });

  it('a request that never answers times out and is retried', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal').slice(0, 4) });
    fake.faults = [{ hang: true }];
    const codes: string[] = [];
    const out = await collect(client({ timeoutMs: 300, onRetry: (r) => codes.push(r.error.code) }), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.equal(out.length, 4);
    assert.deepEqual(codes, ['TIMEOUT']);
  });

  it('a row with a missing price becomes a rejection; the other rows still arrive', async () => {
    const rows = rtDay('2024-07-15', 'normal').slice(0, 8);
    rows[3] = ['2024-07-15', 1, 4, 'HB_NORTH', 'HU', null, false];
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows });
    const out = await collect(client({ pageSize: 5 }), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.equal(out.length, 8);
    const bad = out.filter((p) => !p.ok);
    assert.equal(bad.length, 1);
    const r = (bad[0] as Extract<Parsed, { ok: false }>).rejection;
    assert.equal(r.reasonCode, 'missing-field');
    assert.match(r.message, /settlementPointPrice is empty/);
    assert.equal(r.origin, 'ercot-api:rt-spp:page=1:row=4');
    assert.equal(r.raw, '["2024-07-15",1,4,"HB_NORTH","HU",null,false]');
  });

  it('spring-forward day through the API: 92 quarter hours, contiguous, no duplicates', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-03-10', 'spring') });
    const t = ticks(await collect(client(), 'rt-spp', '2024-03-10', '2024-03-10'));
    const starts = t.map((x) => x.intervalStart).sort((a, b) => a - b);
    assert.equal(starts.length, 92);
    assert.equal(new Set(starts).size, 92);
    assert.equal(iso(starts[0]!), '2024-03-10T06:00:00.000Z');
    starts.forEach((s, i) => assert.equal(s, starts[0]! + i * 900_000));
    assert.equal(iso(starts[91]! + 900_000), '2024-03-11T05:00:00.000Z');
  });

  it('fall-back day through the API: 100 quarter hours, contiguous, no duplicates', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-11-03', 'fall') });
    const t = ticks(await collect(client(), 'rt-spp', '2024-11-03', '2024-11-03'));
    const starts = t.map((x) => x.intervalStart).sort((a, b) => a - b);
    assert.equal(starts.length, 100);
    assert.equal(new Set(starts).size, 100);
    assert.equal(iso(starts[0]!), '2024-11-03T05:00:00.000Z');
    starts.forEach((s, i) => assert.equal(s, starts[0]! + i * 900_000));
    assert.equal(iso(starts[99]! + 900_000), '2024-11-04T06:00:00.000Z');
  });

  it('load and solar use their own date parameters and filters', async () => {
    fake.datasets.set('/np6-345-cd/act_sys_load_by_wzn', {
      fields: ['operatingDay', 'hourEnding', 'coast', 'east', 'farWest', 'north', 'northC', 'southern', 'southC', 'west', 'total', 'DSTFlag'].map((name) => ({ name, dataType: 'DOUBLE' })),
      rows: [['2024-07-15', '01:00', 1, 2, 3, 4, 5, 6, 7, 8, 36, false]],
    });
    fake.datasets.set('/np4-737-cd/spp_hrly_avrg_actl_fcast', {
      fields: ['postedDatetime', 'deliveryDate', 'hourEnding', 'genSystemWide', 'STPPFSystemWide', 'DSTFlag'].map((name) => ({ name, dataType: 'DOUBLE' })),
      rows: [['2024-07-15T13:55:00', '2024-07-15', 13, 20123.4, 21000, false]],
    });
    const load = ticks(await collect(client(), 'load', '2024-07-15', '2024-07-16'));
    assert.equal(load.length, 9);
    assert.equal(fake.dataRequests[0]!.query.get('operatingDayFrom'), '2024-07-15');
    assert.equal(fake.dataRequests[0]!.query.get('operatingDayTo'), '2024-07-16');
    const solar = ticks(await collect(client(), 'solar', '2024-07-15', '2024-07-15'));
    assert.deepEqual(solar.map((x) => [x.seriesId, x.kind, x.value]), [['SYSTEM', 'SOLAR', 20123.4]]);
    const q = fake.dataRequests[1]!.query;
    assert.equal(q.get('deliveryDateFrom'), '2024-07-15');
    assert.equal(q.get('genSystemWideFrom'), '-1000000');
    assert.equal(q.get('sort'), 'postedDatetime');
  });

  it('keeps under the per-minute request budget', async () => {
    fake.datasets.set('/np6-905-cd/spp_node_zone_hub', { fields: RT_FIELDS, rows: rtDay('2024-07-15', 'normal').slice(0, 3) });
    const now = Date.UTC(2024, 6, 15, 12);
    await collect(client({ pageSize: 1, requestsPerMinute: 2, now: () => now }), 'rt-spp', '2024-07-15', '2024-07-15');
    assert.deepEqual(sleeps, [60_000]);
  });

  it('rejects a bad range before any request', async () => {
    await rejectsWith(collect(client(), 'rt-spp', '2024-07-16', '2024-07-15'), (err) => assert.equal(err.code, 'BAD_REQUEST'));
    await rejectsWith(collect(client(), 'rt-spp', '2024-13-01', '2024-07-15'), (err) => assert.match(err.message, /range\.from/));
    assert.equal(fake.tokenCalls, 0);
  });
});

describe('ercotCredentials (from the typed config)', () => {
  const fromEnv = (env: Record<string, string>) => ercotCredentials(loadConfig(env).ercot);

  it('names every missing variable, and no value', () => {
    assert.throws(
      () => fromEnv({ ERCOT_API_USERNAME: 'me@example.com', ERCOT_API_PASSWORD: '  ', ERCOT_TOKEN_URL: 'ftp://x' }),
      (err: unknown) => {
        assert.ok(err instanceof ErcotConfigError);
        assert.equal(err.code, 'CONFIG');
        assert.deepEqual(err.missing, ['ERCOT_API_SUBSCRIPTION_KEY', 'ERCOT_API_PASSWORD']);
        assert.match(err.message, /missing ERCOT_API_SUBSCRIPTION_KEY, ERCOT_API_PASSWORD; invalid ERCOT_TOKEN_URL \(expected an http\(s\) URL\)/);
        assert.doesNotMatch(err.message, /me@example\.com|ftp:/);
        return true;
      },
    );
  });

  it('reads the variables with ERCOT defaults and overridable URLs, and never prints the secrets', () => {
    const c = fromEnv({ ERCOT_API_SUBSCRIPTION_KEY: KEY, ERCOT_API_USERNAME: USER, ERCOT_API_PASSWORD: PASSWORD });
    assert.equal(c.baseUrl, 'https://api.ercot.com/api/public-reports');
    assert.equal(c.tokenUrl, 'https://ercotb2c.b2clogin.com/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token');
    assert.equal(c.clientId, ERCOT_CLIENT_ID);
    assert.equal(c.password, PASSWORD);
    assert.doesNotMatch(JSON.stringify(c) + inspect(c) + String(inspect({ nested: c })), new RegExp(`${PASSWORD}|${KEY}`));
    const o = fromEnv({ ERCOT_API_SUBSCRIPTION_KEY: KEY, ERCOT_API_USERNAME: USER, ERCOT_API_PASSWORD: PASSWORD, ERCOT_API_BASE_URL: 'http://127.0.0.1:9/api/', ERCOT_TOKEN_URL: 'http://127.0.0.1:9/token' });
    assert.equal(o.baseUrl, 'http://127.0.0.1:9/api');
    assert.equal(o.tokenUrl, 'http://127.0.0.1:9/token');
    assert.ok(new ErcotClient({ ...o }));
  });

  it('the client itself does not show the secrets when inspected', () => {
    const c = new ErcotClient({ baseUrl: 'http://127.0.0.1:9', tokenUrl: 'http://127.0.0.1:9/t', subscriptionKey: KEY, username: USER, password: PASSWORD });
    assert.doesNotMatch(inspect(c, { depth: 5 }) + JSON.stringify(c), new RegExp(`${PASSWORD}|${KEY}`));
  });
});
