// The Avro schemas in schemas/*.avsc are the single source of truth for message types.
// This module loads them and says which topic carries which schema.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../platform/config.js';
import { KafkaError } from '../platform/kafka/errors.js';

export const SCHEMA_NAMES = ['MarketTick', 'FeatureWindow', 'Forecast', 'MarketDocument', 'DeadLetter', 'WindowerState', 'DispatchSchedule'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

export interface AvroSchemaJson {
  type: string;
  name: string;
  namespace?: string;
  fields?: unknown[];
  [k: string]: unknown;
}

export function schemaDir(): string {
  return path.join(projectRoot(), 'schemas');
}

const cache = new Map<SchemaName, AvroSchemaJson>();

export function loadSchema(name: SchemaName): AvroSchemaJson {
  const hit = cache.get(name);
  if (hit) return hit;
  const file = path.join(schemaDir(), `${name}.avsc`);
  let parsed: AvroSchemaJson;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as AvroSchemaJson;
  } catch (err) {
    throw new KafkaError('SCHEMA_INVALID', `cannot read Avro schema ${file}: ${(err as Error).message}`, false, { cause: err });
  }
  if (parsed.type !== 'record' || parsed.name !== name) {
    throw new KafkaError('SCHEMA_INVALID', `schema ${file} must be a record named ${name}`);
  }
  cache.set(name, parsed);
  return parsed;
}
