// trace: D.gateway
// One schema per route: /openapi.json's parameters are the ones the validator enforces, for every route, and every
// constrained parameter refuses a bad value with a 400 naming it. Pure, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MARKET_PARAM } from '../../gateway/forecast-params.js';
import { buildOpenApi, gatewayRoutes } from '../../gateway/openapi.js';
import { ISO_INSTANT_RE, type ParamSpec, type ParamSpecs, ValidationError, validateParams } from '../../gateway/validate.js';

interface DocParam {
  name: string;
  in: string;
  required: boolean;
  description: string;
  schema: Record<string, unknown>;
  example?: unknown;
}
type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters: DocParam[];
        requestBody?: { content: { 'application/json': { schema: { properties: Record<string, Record<string, unknown>>; required: string[] } } } };
      }
    >
  >;
};

const routes = gatewayRoutes();
const doc = buildOpenApi(routes, { version: '0.0.0', rateLimitPerMinute: 60, bodyLimitBytes: 1_024 }) as Doc;

/** What the document must say of a spec, written out here rather than by the function under test. */
function expectedSchema(p: ParamSpec): Record<string, unknown> {
  if (p.type === 'number') {
    const want: Record<string, unknown> = { type: 'number' };
    for (const k of ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'default'] as const) if (p[k] !== undefined) want[k] = p[k];
    return want;
  }
  const want: Record<string, unknown> = { type: p.type === 'integer' ? 'integer' : 'string' };
  if (p.type === 'integer') Object.assign(want, { minimum: p.minimum, maximum: p.maximum });
  else want.maxLength = p.maxLength;
  if (p.type === 'string' && p.minLength !== undefined) want.minLength = p.minLength;
  if (p.type === 'string' && p.pattern) want.pattern = p.pattern.source;
  if (p.type === 'instant') want.pattern = ISO_INSTANT_RE.source;
  if (p.type === 'string' && p.enum) want.enum = [...p.enum];
  if (p.type !== 'instant' && p.default !== undefined) want.default = p.default;
  if (p.type === 'string' && (p.upperCase || p.enum)) want['x-case-insensitive'] = true;
  return want;
}

/** Values the spec must refuse (each should fail for that parameter alone). */
function badValues(p: ParamSpec): unknown[] {
  if (p.type === 'integer') return [String(p.minimum - 1), String(p.maximum + 1), '1.5', 'x', ['1', '2']];
  if (p.type === 'instant') return ['yesterday', '2024-07-01T12:00:00', new Date(p.maximum).toISOString(), '9'.repeat(p.maxLength + 1)];
  if (p.type === 'number') {
    // Exponents (1e400 is Infinity), hex, words and signs are not decimal numbers; each bound refuses its edge.
    const out: unknown[] = ['x', '1e400', '1e1', '0x1', 'Infinity', 'NaN', '+1', '1.', '.5', '9'.repeat(p.maxLength + 1), ['1', '2']];
    if (p.minimum !== undefined) out.push(String(p.minimum - 1));
    if (p.exclusiveMinimum !== undefined) out.push(String(p.exclusiveMinimum), String(p.exclusiveMinimum - 1));
    if (p.maximum !== undefined) out.push(String(p.maximum + 0.5));
    if (p.exclusiveMaximum !== undefined) out.push(String(p.exclusiveMaximum));
    return out;
  }
  const out: unknown[] = ['x'.repeat(p.maxLength + 1), 'a\u0000b', ['a', 'b']];
  if (p.enum) out.push('NOT_AN_ENUM_VALUE'.slice(0, p.maxLength));
  if (p.pattern) out.push(' ;');
  return out;
}

/** A valid value of every required parameter (its example), so one bad parameter is the only problem. */
function baseline(specs: ParamSpecs): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(specs)
      .filter(([, p]) => p.required)
      .map(([n, p]) => [n, p.example !== undefined ? String(p.example) : assert.fail(`${n} is required but has no example`)]),
  );
}

function refusedNaming(specs: ParamSpecs, input: Record<string, unknown>, where: 'query' | 'body', param: string, what: string): void {
  assert.throws(
    () => validateParams(specs, input, where),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError, `${what}: ${String(err)}`);
      assert.equal(err.param, param, what);
      assert.match(err.detail, new RegExp(`\\b${param}\\b`), `${what}: the message names the parameter`);
      return true;
    },
    what,
  );
}

describe('gateway: one schema per route for validation and /openapi.json', () => {
  it('documents exactly the query parameters each route schema declares, with its bounds', () => {
    assert.ok(routes.length >= 12, `${routes.length} routes`);
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method];
      assert.ok(op, `${r.method.toUpperCase()} ${r.path} is documented`);
      const specs = r.query ?? {};
      assert.deepEqual(op.parameters.map((x) => x.name).sort(), Object.keys(specs).sort(), `${r.path}: the same parameter names`);
      for (const param of op.parameters) {
        const spec = specs[param.name]!;
        const where = `${r.path}?${param.name}`;
        assert.equal(param.in, 'query', where);
        assert.equal(param.required, spec.required === true, `${where}: required`);
        if (spec.type === 'string' && (spec.upperCase || spec.enum)) {
          assert.ok(param.description.startsWith(spec.description), `${where}: description`);
          assert.match(param.description, /case-insensitive/i, `${where}: the description says lower case is read too`);
        } else assert.equal(param.description, spec.description, `${where}: description`);
        assert.deepEqual(param.schema, expectedSchema(spec), `${where}: schema`);
        assert.equal(param.example, spec.example, `${where}: example`);
      }
      if (r.body) {
        const body = op.requestBody?.content['application/json'].schema;
        assert.ok(body, `${r.path}: the body is documented`);
        assert.deepEqual(Object.keys(body.properties).sort(), Object.keys(r.body).sort(), `${r.path}: the same body properties`);
        assert.deepEqual(
          body.required,
          Object.entries(r.body)
            .filter(([, p]) => p.required)
            .map(([n]) => n),
          `${r.path}: required properties`,
        );
      }
    }
  });

  it('documents one market parameter, the same on every route that takes one', () => {
    const taking = routes.filter((r) => r.query?.market !== undefined);
    assert.deepEqual(taking.map((r) => r.path).sort(), ['/api/history', '/dispatch', '/forecast']);
    for (const r of taking) {
      assert.equal(r.query!.market, MARKET_PARAM, `${r.path}: the shared spec`);
      const param = doc.paths[r.path]![r.method]!.parameters.find((x) => x.name === 'market')!;
      assert.deepEqual(param, doc.paths['/forecast']!.get!.parameters.find((x) => x.name === 'market'), `${r.path}?market documented as /forecast's`);
    }
  });

  it('accepts every documented example and default', () => {
    for (const r of routes) {
      for (const [where, specs] of [
        ['query', r.query],
        ['body', r.body],
      ] as const) {
        if (!specs) continue;
        for (const [name, p] of Object.entries(specs)) {
          const values = [p.example, p.type === 'instant' ? undefined : p.default].filter((v) => v !== undefined).map(String);
          for (const v of values) assert.doesNotThrow(() => validateParams(specs, { ...baseline(specs), [name]: v }, where), `${r.path} ${name}=${v}`);
          // A case-insensitive parameter reads the example in lower case as the example itself.
          if (p.type === 'string' && p.upperCase && p.example !== undefined) {
            assert.equal(validateParams(specs, { ...baseline(specs), [name]: p.example.toLowerCase() }, where)[name], p.example, `${r.path} ${name}=${p.example.toLowerCase()}`);
          }
        }
      }
    }
  });

  it('refuses an unknown parameter and each bad value with a 400 naming the parameter', () => {
    for (const r of routes) {
      const specs = r.query ?? {};
      refusedNaming(specs, { ...baseline(specs), no_such_param: '1' }, 'query', 'no_such_param', `${r.path}?no_such_param`);
      for (const [name, p] of Object.entries(specs)) {
        if (p.required) refusedNaming(specs, { ...baseline(specs), [name]: undefined }, 'query', name, `${r.path} without ${name}`);
        for (const v of badValues(p)) refusedNaming(specs, { ...baseline(specs), [name]: v }, 'query', name, `${r.path}?${name}=${JSON.stringify(v)}`);
      }
      if (r.body) {
        for (const [name, p] of Object.entries(r.body)) {
          for (const v of badValues(p))
            refusedNaming(r.body, { ...baseline(r.body), [name]: v }, 'body', name, `${r.method.toUpperCase()} ${r.path} body ${name}=${JSON.stringify(v)}`);
        }
      }
    }
  });
});
