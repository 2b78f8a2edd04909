// trace: D.gateway
// The gateway's request validation, OpenAPI document and forecast-error maths: pure, no server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PIPELINE_GROUPS, optionalNotRunning, partitionLag } from '../../gateway/consumer-lag.js';
import { projectRoot } from '../../platform/config.js';
import { DASHBOARD_ROUTES } from '../../gateway/dashboard-api.js';
import { DISPATCH_ROUTES } from '../../gateway/dispatch-api.js';
import { forecastError } from '../../gateway/forecast-error.js';
import { FORECAST_ROUTE, SERIES_PARAM } from '../../gateway/forecast-params.js';
import { CORE_ROUTES, buildOpenApi } from '../../gateway/openapi.js';
import { QUERY_ROUTES } from '../../gateway/query.js';
import { type ParamSpecs, ValidationError, validateParams } from '../../gateway/validate.js';

const history = DASHBOARD_ROUTES.history.query;

function rejects(input: Record<string, unknown>, param: string, detail: RegExp, where: 'query' | 'body' = 'query', specs: ParamSpecs = history) {
  assert.throws(() => validateParams(specs, input, where), (err: unknown) => {
    assert.ok(err instanceof ValidationError, String(err));
    assert.equal(err.param, param);
    assert.match(err.detail, detail);
    return true;
  });
}

describe('gateway request validation', () => {
  it('fills defaults and types integers', () => {
    assert.deepEqual(validateParams(history, { series: 'HB_NORTH' }, 'query'), { series: 'HB_NORTH', market: 'ERCOT', kind: 'RT_PRICE', hours: 48 });
    assert.deepEqual(validateParams(history, { series: 'TAYLOR_EW', market: 'GB', kind: 'LOAD', hours: '720' }, 'query'), { series: 'TAYLOR_EW', market: 'GB', kind: 'LOAD', hours: 720 });
  });

  it('names the parameter at fault: missing, unknown, out of bounds, malformed, repeated', () => {
    rejects({}, 'series', /series is required/);
    rejects({ series: 'HB_NORTH', hour: '2' }, 'hour', /unknown query parameter "hour"; allowed: series, market, kind, hours/);
    rejects({ series: 'HB_NORTH', hours: '0' }, 'hours', /from 1 to 720/);
    rejects({ series: 'HB_NORTH', hours: '721' }, 'hours', /from 1 to 720/);
    rejects({ series: 'HB_NORTH', hours: '1.5' }, 'hours', /integer/);
    rejects({ series: 'HB_NORTH', hours: '1e3' }, 'hours', /integer/);
    rejects({ series: 'HB_NORTH', hours: '99999999999999999999' }, 'hours', /integer/);
    rejects({ series: "HB_NORTH';DROP TABLE x" }, 'series', /is not valid: /);
    // Malformed values are explained in words, not as a regular expression (the tester saw ^\d{1,6}... for power=-5).
    rejects({ series: 'HB_NORTH', power: '-5', energy: '20' }, 'power', /power must be a finite number with 0 < power <= 10000, got "-5"/, 'query', DISPATCH_ROUTES.dispatch.query);
    rejects({ series: 'HB_NORTH', day: '2024-06-15' }, 'day', /day must be one of tomorrow, today/, 'query', DISPATCH_ROUTES.dispatch.query);
    rejects({ series: 'A'.repeat(65) }, 'series', /longer than 64/);
    rejects({ series: ['HB_NORTH', 'HB_WEST'] }, 'series', /given once/);
    rejects({ series: 'HB_NORTH', kind: 'PRICE' }, 'kind', /must be one of RT_PRICE, DAM_PRICE, LOAD, WIND, SOLAR/);
  });

  it('reads numbers as finite decimals within the bounds of their schema (/dispatch power, energy, efficiency)', () => {
    const dispatch = DISPATCH_ROUTES.dispatch.query;
    const v = validateParams(dispatch, { series: 'hb_north', power: '10', energy: '20.5', efficiency: '1' }, 'query');
    assert.deepEqual([v.series, v.power, v.energy, v.efficiency], ['HB_NORTH', 10, 20.5, 1]);
    assert.equal(validateParams(dispatch, { series: 'HB_NORTH', power: '10000', energy: '0.001', efficiency: '0.0001' }, 'query').power, 10_000, 'inclusive maximum');
    rejects({ series: 'HB_NORTH', power: '0', energy: '20' }, 'power', /0 < power <= 10000, got "0"/, 'query', dispatch);
    rejects({ series: 'HB_NORTH', power: '10000.01', energy: '20' }, 'power', /0 < power <= 10000/, 'query', dispatch);
    rejects({ series: 'HB_NORTH', power: '10', energy: '100001' }, 'energy', /0 < energy <= 100000/, 'query', dispatch);
    rejects({ series: 'HB_NORTH', power: '10', energy: '20', efficiency: '1.5' }, 'efficiency', /0 < efficiency <= 1\b/, 'query', dispatch);
    rejects({ series: 'HB_NORTH', power: '10', energy: '20', efficiency: '0' }, 'efficiency', /0 < efficiency <= 1\b/, 'query', dispatch);
    for (const trick of ['1e400', '1e2', '1E2', '0x10', 'Infinity', '-Infinity', 'NaN', '+5', ' 5', '5 ', '5.', '.5', '1_000', '١٠']) {
      rejects({ series: 'HB_NORTH', power: trick, energy: '20' }, 'power', /power must be a decimal number \(digits, an optional fraction, no exponent\)/, 'query', dispatch);
    }
    rejects({ series: 'HB_NORTH', power: '1'.repeat(17), energy: '20' }, 'power', /decimal number/, 'query', dispatch);
    rejects({ series: 'HB_NORTH', power: ['1', '2'], energy: '20' }, 'power', /given once/, 'query', dispatch);
    // In a JSON body a number is a JSON number: 1e400 parses to Infinity, which no bound admits.
    const body = { x: { type: 'number', description: 'x', exclusiveMinimum: 0, maxLength: 16 } } as const satisfies ParamSpecs;
    assert.deepEqual(validateParams(body, JSON.parse('{"x": 2.5}') as Record<string, unknown>, 'body'), { x: 2.5 });
    rejects(JSON.parse('{"x": 1e400}') as Record<string, unknown>, 'x', /finite number with 0 < x, got "Infinity"/, 'body', body);
    rejects({ x: true }, 'x', /given once/, 'body', body);
  });

  it('reads series, market and kind case-insensitively as the stored upper case, on every route that takes them', () => {
    assert.deepEqual(validateParams(history, { series: 'hb_north', market: 'ercot', kind: 'load' }, 'query'), { series: 'HB_NORTH', market: 'ERCOT', kind: 'LOAD', hours: 48 });
    assert.equal(validateParams(DISPATCH_ROUTES.dispatch.query, { series: 'Hb_West', market: 'ercot', power: '1', energy: '2' }, 'query').market, 'ERCOT');
    assert.equal(validateParams(QUERY_ROUTES.get.query, { q: 'why?', series: 'lz_houston' }, 'query').series, 'LZ_HOUSTON');
    // Only ASCII letters change: no Unicode case mapping turns a foreign letter into an id ("ß" would be "SS").
    rejects({ series: 'hb_north_ß' }, 'series', /is not valid/);
    // The message shows the value as sent.
    rejects({ series: "hb_north';drop" }, 'series', /series "hb_north';drop" is not valid/);
  });

  it('reads enums case-insensitively as their own members (basis=P50 is p50, day=Today is today)', () => {
    const q = validateParams(DISPATCH_ROUTES.dispatch.query, { asset: 'bess-north', basis: 'P50', day: 'Today' }, 'query');
    assert.equal(q.basis, 'p50');
    assert.equal(q.day, 'today');
    assert.equal(validateParams(DISPATCH_ROUTES.dispatch.query, { asset: 'bess-north', basis: 'MEAN' }, 'query').basis, 'mean');
    rejects({ asset: 'bess-north', basis: 'p90' }, 'basis', /basis "p90" must be one of p50, mean/, 'query', DISPATCH_ROUTES.dispatch.query);
  });

  it('has one series rule on every route, and its words match it (dot and hyphen allowed everywhere)', () => {
    const specs = [FORECAST_ROUTE.query.series, DISPATCH_ROUTES.dispatch.query.series, QUERY_ROUTES.get.query.series, history.series];
    for (const spec of specs) assert.ok(spec.type === 'string' && spec.pattern?.source === SERIES_PARAM.pattern.source, spec.description);
    assert.equal(validateParams(FORECAST_ROUTE.query, { series: 'hb_bus-1.a' }, 'query').series, 'HB_BUS-1.A');
    assert.equal(validateParams(DISPATCH_ROUTES.dispatch.query, { series: 'hb_bus-1.a', power: '1', energy: '2' }, 'query').series, 'HB_BUS-1.A');
    rejects({ series: 'HB/NORTH' }, 'series', /series "HB\/NORTH" is not valid: Series id: 1-64 of A-Z, 0-9, underscore, dot and hyphen/, 'query', FORECAST_ROUTE.query);
  });

  it('checks JSON bodies: strings only where strings are expected, no extra properties, bounded length', () => {
    const body = QUERY_ROUTES.post.body;
    assert.deepEqual(validateParams(body, { q: 'why?' }, 'body'), { q: 'why?', series: undefined });
    rejects({ q: 42 }, 'q', /must be a string/, 'body', body);
    rejects({ q: 'x'.repeat(2_001) }, 'q', /longer than 2000/, 'body', body);
    rejects({ q: 'ok', admin: true }, 'admin', /unknown body parameter "admin"/, 'body', body);
    rejects({ q: '' }, 'q', /q is required/, 'body', body);
    rejects({ q: '' }, 'q', /^q is given empty; q is required, e\.g\. "q": "Why did HB_WEST go negative last night\?"$/, 'body', body);
    rejects({ q: 'why?', series: '' }, 'series', /^series is given empty; give one \(e\.g\. "series": "HB_NORTH"\), or leave series out$/, 'body', body);
  });

  it('refuses every parameter given empty, on every route, naming it (not read as missing or as the default)', () => {
    // /forecast's at= was read as "latest" and /dispatch's energy= as missing; now each is a 400 naming the parameter.
    const routes: Array<[string, ParamSpecs, Record<string, string>]> = [
      ['/forecast', FORECAST_ROUTE.query, { series: 'HB_NORTH' }],
      ['/dispatch', DISPATCH_ROUTES.dispatch.query, { series: 'HB_NORTH', power: '10', energy: '20' }],
      ['/api/history', history, { series: 'HB_NORTH' }],
      ['/query', QUERY_ROUTES.get.query, { q: 'why?' }],
    ];
    let checked = 0;
    for (const [route, specs, valid] of routes) {
      assert.doesNotThrow(() => validateParams(specs, valid, 'query'), route);
      for (const [name, spec] of Object.entries(specs)) {
        const input = { ...valid, [name]: '' };
        assert.throws(() => validateParams(specs, input, 'query'), (err: unknown) => {
          assert.ok(err instanceof ValidationError, `${route} ${name}=: ${String(err)}`);
          assert.equal(err.param, name, `${route} ${name}=`);
          assert.match(err.detail, new RegExp(`^${name} is given empty; `), `${route} ${name}=`);
          if (spec.required) assert.match(err.detail, new RegExp(`${name} is required`), `${route} ${name}=`);
          else assert.match(err.detail, new RegExp(`leave ${name} out`), `${route} ${name}=`);
          return true;
        });
        checked += 1;
      }
    }
    assert.ok(checked >= 16, `every parameter of the four routes (${checked})`);
    rejects({ series: 'HB_NORTH', hours: '' }, 'hours', /^hours is given empty; give one, or leave hours out for 48$/);
  });
});

describe('gateway OpenAPI document', () => {
  const doc = buildOpenApi([...CORE_ROUTES, ...Object.values(DASHBOARD_ROUTES), ...Object.values(QUERY_ROUTES)], { version: '1.2.3', rateLimitPerMinute: 60, bodyLimitBytes: 1_024 }) as {
    openapi: string;
    paths: Record<string, Record<string, { parameters: Array<{ name: string; required: boolean; schema: Record<string, unknown> }>; requestBody?: { content: Record<string, { schema: { required: string[]; additionalProperties: boolean } }> }; responses: Record<string, unknown> }>>;
  };

  it('documents every route with the bounds the validator enforces', () => {
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/', '/forecast', '/healthz', '/livez', '/metrics', '/events', '/openapi.json', '/api/overview', '/api/series', '/api/history', '/query']) assert.ok(doc.paths[p]?.get, `GET ${p}`);
    assert.ok(doc.paths['/query']?.post?.requestBody);
    const hours = doc.paths['/api/history']!.get!.parameters.find((x) => x.name === 'hours')!;
    assert.deepEqual(hours.schema, { type: 'integer', minimum: 1, maximum: 720, default: 48 });
    assert.equal(doc.paths['/api/history']!.get!.parameters.find((x) => x.name === 'series')!.required, true);
    const body = doc.paths['/query']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(body.required, ['q']);
    assert.equal(body.additionalProperties, false);
    assert.ok(doc.paths['/api/history']!.get!.responses['429'], 'the rate limit is documented');
  });
});

describe('forecast error', () => {
  it('pairs forecasts with actuals at the same time and gives RMSE, MAE, bias and a trailing RMSE', () => {
    const e = forecastError({ t: [1, 2, 3, 4], v: [10, 20, null, 40] }, { t: [2, 3, 4, 5], v: [23, 30, 36, 50] }, 1);
    assert.deepEqual(e.t, [2, 4]);
    assert.deepEqual(e.error, [3, -4]);
    assert.equal(e.n, 2);
    assert.equal(e.rmse, Math.sqrt((9 + 16) / 2));
    assert.equal(e.mae, 3.5);
    assert.equal(e.bias, -0.5);
    assert.deepEqual(e.rollingRmse, [3, 4]);
    assert.equal(forecastError({ t: [], v: [] }, { t: [1], v: [1] }).rmse, null);
  });

  it('computes partition lag from the end, start and committed offsets', () => {
    assert.equal(partitionLag(100, 0, 40), 60);
    assert.equal(partitionLag(100, 30, -1), 70, 'nothing committed: the whole retained partition');
    assert.equal(partitionLag(100, 50, 20), 50, 'a commit before the retained start counts from the start');
    assert.equal(partitionLag(100, 0, 100), 0);
    // A transactional topic's idle log ends with a commit marker no consumer commits past.
    assert.equal(partitionLag(100, 0, 99), 1, 'a plain topic: one record unread');
    assert.equal(partitionLag(100, 0, 99, true), 0, 'a transactional topic: only the commit marker is left');
    assert.equal(partitionLag(100, 0, 90, true), 10);
    assert.equal(partitionLag(1, 0, -1, true), 1, 'nothing committed: still the whole partition');
  });

  it('reads the lag of every consumer group the pipeline runs (a fresh tester found 3 of 7 missing; a reviewer the mean-basis dispatcher)', () => {
    // The default group of each pipeline consumer, as its source declares it (`groupId ?? 'sda-...'`).
    const root = projectRoot();
    const sources = ['sinks/postgres/ticks-sink.ts', 'processors/windower/processor.ts', 'sinks/postgres/features-sink.ts', 'processors/forecaster/processor.ts', 'sinks/postgres/forecasts-sink.ts', 'processors/dispatcher/processor.ts', 'sinks/postgres/dispatch-sink.ts', 'sinks/vector/documents-sink.ts'];
    const defaults = sources.map((f) => {
      const m = /groupId \?\? '(sda-[a-z-]+)'/.exec(fs.readFileSync(path.join(root, f), 'utf8'));
      assert.ok(m, `${f} declares a default group`);
      return m[1];
    });
    // The dispatcher on the mean price basis runs in a group of its own, named by `sda process dispatcher` (reviewer,
    // 2026-12-02: it was missing from the list), after the P50 dispatcher's.
    const mean = /'(sda-dispatcher-mean)'/.exec(fs.readFileSync(path.join(root, 'cli/process-dispatch.ts'), 'utf8'));
    assert.ok(mean, 'cli/process-dispatch.ts names the mean-basis group');
    defaults.splice(defaults.indexOf('sda-dispatcher') + 1, 0, mean[1]);
    assert.deepEqual(PIPELINE_GROUPS.map((g) => g.group), defaults);
    assert.deepEqual(PIPELINE_GROUPS.map((g) => g.topic), ['market.ticks', 'market.ticks', 'market.features', 'market.features', 'market.forecasts', 'market.forecasts', 'market.forecasts', 'market.dispatch', 'market.documents']);
    // A topic written only in transactions ends with a commit marker (partitionLag's `transactional`).
    assert.deepEqual(PIPELINE_GROUPS.filter((g) => g.transactional).map((g) => g.group), ['sda-features-sink', 'sda-forecaster', 'sda-forecasts-sink', 'sda-dispatcher', 'sda-dispatcher-mean', 'sda-dispatch-sink']);
  });

  it('marks the mean-basis dispatcher optional, as nothing starts it by default, and leaves its lag out only while it never joined and committed nothing', () => {
    // Reviewer (2026-12-02): counted as never joined, sda-dispatcher-mean's lag was the whole market.forecasts log,
    // growing in Grafana's lag panel. Optional: what no default deployment starts. The demo, docker-compose.yml and
    // deploy/k8s start the documents sink (vector-sink) and never the mean basis.
    const root = projectRoot();
    const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
    assert.deepEqual(PIPELINE_GROUPS.filter((g) => g.optional !== undefined).map((g) => [g.group, g.optional]), [['sda-dispatcher-mean', 'sda process dispatcher --price-basis mean']]);
    const defaults = [read('cli/demo.ts'), read('docker-compose.yml'), read('deploy/k8s/base/processors.yaml')];
    for (const d of defaults) assert.doesNotMatch(d, /price-basis|sda-dispatcher-mean/, 'a default deployment starts the mean basis: it is not optional');
    assert.match(defaults[0]!, /startDocumentsSink\(/, 'the demo starts the documents sink');
    for (const d of defaults.slice(1)) assert.match(d, /process, vector-sink|"process", "vector-sink"/, 'compose and k8s start the documents sink');
    assert.match(read('cli/process-dispatch.ts'), /\.option\('--price-basis <basis>'/, 'the command named exists');
    // The rule: optional, never joined (Dead) and no committed offset on any partition.
    assert.equal(optionalNotRunning('sda process dispatcher --price-basis mean', 'Dead', [-1, -1, -1]), true);
    assert.equal(optionalNotRunning('sda process dispatcher --price-basis mean', 'Dead', []), true, 'a topic with no partition read yet');
    assert.equal(optionalNotRunning(undefined, 'Dead', [-1, -1, -1]), false, 'a default group that never joined is counted (and shown as never joined)');
    assert.equal(optionalNotRunning('x', 'Dead', [-1, 5, -1]), false, 'offsets committed (they outlive the members until retention): it ran, its lag counts');
    assert.equal(optionalNotRunning('x', 'Empty', [-1, -1, -1]), false, 'joined once: counted');
    assert.equal(optionalNotRunning('x', 'Stable', [-1, -1, -1]), false, 'running now');
    assert.equal(optionalNotRunning('x', null, [-1, -1, -1]), false, 'Kafka did not describe it: counted as before');
  });
});
