// trace: D.registry
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSchema } from '../../schemas/catalog.js';
import type { MarketTick } from '../../schemas/types.js';
import { AvroSerde } from '../../platform/kafka/avro-serde.js';
import { SdaError } from '../../platform/errors.js';
import { config, uniqueName } from './harness.js';

const base = loadSchema('MarketTick');
type Field = { name: string; type: unknown; default?: unknown };
const withFields = (fields: Field[]) => ({ ...base, fields });
const baseFields = base.fields as Field[];

const tick: MarketTick = { market: 'ERCOT', seriesId: 'LZ_HOUSTON', pointType: 'LOAD_ZONE', kind: 'RT_PRICE', intervalStart: 1_720_000_000_000, intervalEnd: 1_720_000_900_000, value: 42.5, unit: 'USD/MWh', source: 'test', ingestedAt: 1_720_000_901_000 };

describe('schema evolution under BACKWARD compatibility (real registry)', () => {
  it('accepts an added optional field, and new readers decode old records with its default', async () => {
    const subject = `${uniqueName('test.evolution')}-value`;
    const serde = new AvroSerde(config.registry.url);
    const v1 = await serde.register<MarketTick>(subject, base);
    const v2 = await serde.register<MarketTick & { congestion: number | null }>(subject, withFields([...baseFields, { name: 'congestion', type: ['null', 'double'], default: null }]));
    assert.notEqual(v2.schemaId, v1.schemaId, 'v2 is a new schema');
    const versions = (await (await fetch(`${config.registry.url}/subjects/${subject}/versions`)).json()) as number[];
    assert.equal(versions.length, 2);
    const cfg = (await (await fetch(`${config.registry.url}/config/${subject}`)).json()) as { compatibilityLevel: string };
    assert.equal(cfg.compatibilityLevel, 'BACKWARD');

    const old = serde.encode(v1, tick);
    const { value } = await new AvroSerde(config.registry.url).decode(old, v2);
    assert.equal(value.congestion, null);
    assert.equal(value.value, 42.5);
  });

  it('registers a new subject from several clients at once (processors of one run starting together), all with the same id', async () => {
    // The registry client sets a new subject's level after its first registration; a client in between used to
    // read the default level and fail with SCHEMA_INCOMPATIBLE (a run's windower died this way on CI).
    const subject = `${uniqueName('test.evolution')}-value`;
    const writers = await Promise.all(Array.from({ length: 6 }, () => new AvroSerde(config.registry.url).register<MarketTick>(subject, base)));
    assert.equal(new Set(writers.map((w) => w.schemaId)).size, 1, 'one schema id for the one schema');
    const cfg = (await (await fetch(`${config.registry.url}/config/${subject}`)).json()) as { compatibilityLevel: string };
    assert.equal(cfg.compatibilityLevel, 'BACKWARD');
  });

  it('rejects an incompatible change with a clear SCHEMA_INCOMPATIBLE error from our code', async () => {
    const subject = `${uniqueName('test.evolution')}-value`;
    const serde = new AvroSerde(config.registry.url);
    await serde.register(subject, base);
    // A new required field without a default: readers of the new schema cannot read old records.
    const incompatible = withFields([...baseFields, { name: 'zone', type: 'string' }]);
    await assert.rejects(serde.register(subject, incompatible), (err: unknown) => {
      assert.ok(err instanceof SdaError, `expected SdaError, got ${String(err)}`);
      assert.equal(err.code, 'SCHEMA_INCOMPATIBLE');
      assert.equal(err.retriable, false);
      assert.match(err.message, new RegExp(`subject ${subject.replace(/\./g, '\\.')} as not BACKWARD compatible`));
      return true;
    });
    // Changing a field's type is refused too, and the subject still has one version.
    await assert.rejects(serde.register(subject, withFields(baseFields.map((f) => (f.name === 'value' ? { ...f, type: 'string' } : f)))), { code: 'SCHEMA_INCOMPATIBLE' });
    const versions = (await (await fetch(`${config.registry.url}/subjects/${subject}/versions`)).json()) as number[];
    assert.equal(versions.length, 1);
  });

  it('rejects a schema that is not valid Avro before it reaches the registry', async () => {
    const serde = new AvroSerde(config.registry.url);
    await assert.rejects(serde.register(`${uniqueName('test.invalid')}-value`, { type: 'record', name: 'Bad', fields: [{ name: 'x', type: 'decimal-ish' }] }), { code: 'SCHEMA_INVALID' });
  });
});
