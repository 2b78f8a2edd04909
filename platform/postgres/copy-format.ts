// PostgreSQL COPY text format: one line per row, tab-separated, \N for NULL, with backslash escapes.

export function copyText(value: string): string {
  // Fast path: most values need no escaping.
  if (!/[\\\t\n\r]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}


export function copyLine(fields: Array<string | number | boolean | null>): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (i > 0) line += '\t';
    line += f === null || f === undefined ? '\\N' : typeof f === 'string' ? copyText(f) : String(f);
  }
  return `${line}\n`;
}
