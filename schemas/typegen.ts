// Derives TypeScript types from the Avro schemas, so message types are written once.
// `sda schemas types` (or `npm run schemas:types`) rewrites schemas/types.ts; a test fails when it is stale.

type Avro = string | Avro[] | { [k: string]: unknown };

interface Ctx {
  namespace: string | undefined;
  named: Map<string, string>;
  out: string[];
}

function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

function shortName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

function doc(text: unknown, indent: string): string {
  return typeof text === 'string' && text ? `${indent}/** ${text.replace(/\*\//g, '* /')} */\n` : '';
}

function tsType(schema: Avro, ctx: Ctx): string {
  if (typeof schema === 'string') {
    const prim = PRIMITIVES[schema];
    if (prim) return prim;
    const known = ctx.named.get(fullName(schema, ctx.namespace)) ?? ctx.named.get(schema);
    if (!known) throw new Error(`unknown Avro type reference ${schema}`);
    return known;
  }
  if (Array.isArray(schema)) return schema.map((s) => tsType(s, ctx)).join(' | ');
  const type = schema.type as Avro;
  if (typeof type !== 'string') return tsType(type, ctx);
  switch (type) {
    case 'record': {
      emitRecord(schema, ctx);
      return shortName(String(schema.name));
    }
    case 'enum': {
      const name = shortName(String(schema.name));
      const full = fullName(String(schema.name), (schema.namespace as string | undefined) ?? ctx.namespace);
      if (!ctx.named.has(full)) {
        ctx.named.set(full, name);
        const symbols = (schema.symbols as string[]).map((s) => `'${s}'`).join(' | ');
        ctx.out.push(`${doc(schema.doc, '')}export type ${name} = ${symbols};\nexport const ${name}Values = [${(schema.symbols as string[]).map((s) => `'${s}'`).join(', ')}] as const;\n`);
      }
      return name;
    }
    case 'array':
      return `Array<${tsType(schema.items as Avro, ctx)}>`;
    case 'map':
      return `Record<string, ${tsType(schema.values as Avro, ctx)}>`;
    case 'fixed':
      return 'Buffer';
    default:
      return tsType(type, ctx);
  }
}

function emitRecord(schema: { [k: string]: unknown }, ctx: Ctx): void {
  const name = shortName(String(schema.name));
  const namespace = (schema.namespace as string | undefined) ?? ctx.namespace;
  const full = fullName(String(schema.name), namespace);
  if (ctx.named.has(full)) return;
  ctx.named.set(full, name);
  const inner: Ctx = { ...ctx, namespace };
  const lines: string[] = [];
  for (const field of schema.fields as Array<{ [k: string]: unknown }>) {
    const t = tsType(field.type as Avro, inner);
    // A field with a default may be left out when writing (Avro fills in the default); decoded values have it.
    const optional = Object.hasOwn(field, 'default') ? '?' : '';
    lines.push(`${doc(field.doc, '  ')}  ${String(field.name)}${optional}: ${t};`);
  }
  ctx.out.push(`${doc(schema.doc, '')}export interface ${name} {\n${lines.join('\n')}\n}\n`);
}

/** TypeScript source for the given schemas (in order). Deterministic, so staleness is a plain string compare. */
export function generateTypes(schemas: Array<{ [k: string]: unknown }>): string {
  const out: string[] = [];
  for (const schema of schemas) {
    // Each .avsc file is self-contained, so named types are tracked per file.
    const ctx: Ctx = { namespace: schema.namespace as string | undefined, named: new Map(), out: [] };
    emitRecord(schema, ctx);
    for (const chunk of ctx.out) if (!out.includes(chunk)) out.push(chunk);
  }
  return `// Generated from schemas/*.avsc by schemas/typegen.ts. Do not edit: change the .avsc and run \`npm run schemas:types\`.\n/* eslint-disable */\n\n${out.join('\n')}`;
}
