// Writes schemas/types.ts from the .avsc files: `npm run schemas:types`.
import fs from 'node:fs';
import path from 'node:path';
import { SCHEMA_NAMES, loadSchema, schemaDir } from './catalog.js';
import { generateTypes } from './typegen.js';

export function expectedTypesSource(): string {
  return generateTypes(SCHEMA_NAMES.map((n) => loadSchema(n)));
}

export function typesFile(): string {
  return path.join(schemaDir(), 'types.ts');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  fs.writeFileSync(typesFile(), expectedTypesSource());
  console.log(`wrote ${typesFile()}`);
}
