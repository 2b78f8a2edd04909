// trace: D.registry
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { SCHEMA_NAMES, loadSchema } from '../../schemas/catalog.js';
import { generateTypes } from '../../schemas/typegen.js';
import type { DeadLetter, MarketTick } from '../../schemas/types.js';
import { expectedTypesSource, typesFile } from '../../schemas/write-types.js';
import { ALL_TOPICS, subjectFor } from '../../platform/kafka/topics.js';

describe('Avro schemas', () => {
  it('every schema parses as Avro', () => {
    for (const name of SCHEMA_NAMES) assert.doesNotThrow(() => avro.Type.forSchema(loadSchema(name) as avro.Schema), name);
  });

  it('schemas/types.ts is generated from the current .avsc files (run `npm run schemas:types` if this fails)', () => {
    assert.equal(fs.readFileSync(typesFile(), 'utf8'), expectedTypesSource());
  });

  it('a MarketTick round-trips through Avro, negative prices and the offer cap included', () => {
    const type = avro.Type.forSchema(loadSchema('MarketTick') as avro.Schema);
    for (const value of [-251.3, 5_000, 0]) {
      const tick: MarketTick = { market: 'ERCOT', seriesId: 'HB_WEST', pointType: 'HUB', kind: 'RT_PRICE', intervalStart: 1_700_000_000_000, intervalEnd: 1_700_000_900_000, value, unit: 'USD/MWh', source: 'test', ingestedAt: 1_700_000_950_000, imputed: false };
      assert.deepEqual({ ...type.fromBuffer(type.toBuffer(tick)) }, tick);
    }
  });

  it('rejects a tick whose kind is not one of the enum symbols', () => {
    const type = avro.Type.forSchema(loadSchema('MarketTick') as avro.Schema);
    const paths: string[] = [];
    type.isValid({ market: 'ERCOT', seriesId: 'X', pointType: 'HUB', kind: 'PRICE', intervalStart: 0, intervalEnd: 1, value: 1, unit: 'u', source: 's', ingestedAt: 0 }, { errorHook: (p) => paths.push(p.join('.')) });
    assert.deepEqual(paths, ['kind']);
  });

  it('a DeadLetter keeps the raw bytes exactly', () => {
    const type = avro.Type.forSchema(loadSchema('DeadLetter') as avro.Schema);
    const raw = Buffer.from([0, 255, 1, 2, 3]);
    const letter: DeadLetter = { topic: 't', partition: 2, offset: 41, reasonCode: 'wire-format', message: 'm', key: null, raw, processor: 'p', failedAt: 1 };
    assert.deepEqual((type.fromBuffer(type.toBuffer(letter)) as DeadLetter).raw, raw);
  });

  it('every topic value subject follows TopicNameStrategy', () => {
    for (const t of ALL_TOPICS) assert.equal(subjectFor(t.name), `${t.name}-value`);
    assert.ok(ALL_TOPICS.some((t) => t.cleanupPolicy === 'compact' && t.name.endsWith('changelog')), 'a compacted changelog topic exists');
  });
});

describe('type generation', () => {
  it('maps unions, enums, arrays, maps, bytes and nested records', () => {
    const src = generateTypes([
      {
        type: 'record', name: 'Outer', namespace: 'x', doc: 'outer doc',
        fields: [
          { name: 'maybe', type: ['null', 'double'] },
          { name: 'withDefault', type: 'boolean', default: false },
          { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'BLUE'] } },
          { name: 'list', type: { type: 'array', items: 'long' } },
          { name: 'dict', type: { type: 'map', values: 'string' } },
          { name: 'blob', type: 'bytes' },
          { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'flag', type: 'boolean' }] } },
          { name: 'again', type: 'Inner' },
        ],
      },
    ]);
    assert.match(src, /export type Color = 'RED' \| 'BLUE';/);
    assert.match(src, /export interface Inner \{\n {2}flag: boolean;\n\}/);
    assert.match(src, /\/\*\* outer doc \*\/\nexport interface Outer \{/);
    for (const line of ['maybe: null | number;', 'withDefault?: boolean;', 'color: Color;', 'list: Array<number>;', 'dict: Record<string, string>;', 'blob: Buffer;', 'inner: Inner;', 'again: Inner;']) {
      assert.ok(src.includes(`  ${line}`), line);
    }
  });

  it('fails on a reference to an undefined type', () => {
    assert.throws(() => generateTypes([{ type: 'record', name: 'R', fields: [{ name: 'f', type: 'Nope' }] }]), /unknown Avro type reference Nope/);
  });
});
