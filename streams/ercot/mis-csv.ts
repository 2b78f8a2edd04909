// ERCOT MIS CSV files (the documents behind the same reports, as downloaded from ercot.com or the API's archive
// endpoints) -> MarketTick, for file replay (source 'file-replay'). The layout is detected from the header line;
// columns are read by name through the same mapping as the API (reports.ts), so both paths agree on every tick.
//
// Header spellings accepted (matched ignoring case, spaces and underscores; real files quote every cell):
//   RT SPP, NP6-905-CD:   "DeliveryDate","DeliveryHour","DeliveryInterval","SettlementPointName",
//                         "SettlementPointType","SettlementPointPrice","DSTFlag"
//                         (yearly archives NP6-785-ER: "Delivery Date","Delivery Hour","Delivery Interval",
//                          "Repeated Hour Flag","Settlement Point Name","Settlement Point Type","Settlement Point Price")
//   DAM SPP, NP4-190-CD:  "DeliveryDate","HourEnding","SettlementPoint","SettlementPointPrice","DSTFlag"
//                         (archives: "Delivery Date","Hour Ending","Repeated Hour Flag","Settlement Point",
//                          "Settlement Point Price")
//   Load, NP6-345-CD:     "OperDay","HourEnding","COAST","EAST","FAR_WEST","NORTH","NORTH_C","SOUTHERN","SOUTH_C",
//                         "WEST","TOTAL","DSTFlag"
// Dates are MM/DD/YYYY, hours "01:00".."24:00" (or 1..24 for DeliveryHour), DSTFlag "Y"/"N" ("Y" = the repeated
// fall-back hour; see central-time.ts).
import { reject, type Parsed } from '../../market/parsed.js';
import { placeDstDays } from '../../market/dst-day.js';
import { normalizeColumnName, parseRow, resolveColumns, SOURCE_FILE } from './reports.js';
import { SdaError } from '../../platform/errors.js';
import { SourceFileError } from '../errors.js';

export type CsvLayout = 'rt-spp' | 'dam-spp' | 'load';

/** A CSV record that does not parse (code CSV_SYNTAX, not retriable); `column` is the 1-based character position. */
export class CsvSyntaxError extends SdaError<'CSV_SYNTAX'> {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super('CSV_SYNTAX', message);
  }
}

/**
 * Splits one CSV record (RFC 4180): comma-separated, a field may be double-quoted, "" inside quotes is a quote,
 * commas inside quotes are data. Spaces around a quoted field are ignored. A trailing CR is dropped. Line breaks
 * inside quotes are not supported (ERCOT files have none): an unterminated quote throws CsvSyntaxError, as does a
 * quote inside an unquoted field or text after a closing quote.
 */
export function splitCsvLine(line: string): string[] {
  const s = line.endsWith('\r\n') ? line.slice(0, -2) : line.endsWith('\n') || line.endsWith('\r') ? line.slice(0, -1) : line;
  const out: string[] = [];
  let i = 0;
  for (;;) {
    // One field starting at i.
    let j = i;
    while (j < s.length && s[j] === ' ') j++;
    if (s[j] === '"') {
      let value = '';
      let k = j + 1;
      for (;;) {
        const q = s.indexOf('"', k);
        if (q < 0) throw new CsvSyntaxError(`unterminated quoted field starting at column ${j + 1}`, j + 1);
        value += s.slice(k, q);
        if (s[q + 1] === '"') {
          value += '"';
          k = q + 2;
          continue;
        }
        k = q + 1;
        break;
      }
      while (k < s.length && s[k] === ' ') k++;
      if (k < s.length && s[k] !== ',') throw new CsvSyntaxError(`unexpected ${JSON.stringify(s[k])} after a closing quote at column ${k + 1}`, k + 1);
      out.push(value);
      if (k >= s.length) return out;
      i = k + 1;
    } else {
      const comma = s.indexOf(',', i);
      const end = comma < 0 ? s.length : comma;
      const value = s.slice(i, end);
      const quote = value.indexOf('"');
      if (quote >= 0) throw new CsvSyntaxError(`quote inside an unquoted field at column ${i + quote + 1}`, i + quote + 1);
      out.push(value);
      if (comma < 0) return out;
      i = comma + 1;
    }
  }
}

/** Header names of a CSV header line (BOM and surrounding spaces removed). */
export function parseCsvHeader(headerLine: string): string[] {
  return splitCsvLine(headerLine.replace(/^\uFEFF/, '')).map((h) => h.trim());
}

/** Which report a header line belongs to, or undefined when it is none of the three. */
export function detectCsvLayout(headerLine: string): CsvLayout | undefined {
  let names: Set<string>;
  try {
    names = new Set(parseCsvHeader(headerLine).map(normalizeColumnName));
  } catch {
    return undefined;
  }
  const has = (...alternatives: string[]) => alternatives.some((a) => names.has(a));
  const point = has('settlementpoint', 'settlementpointname') && has('settlementpointprice');
  if (point && has('deliverydate') && has('deliveryhour') && has('deliveryinterval')) return 'rt-spp';
  if (point && has('deliverydate') && has('hourending') && !has('deliveryinterval')) return 'dam-spp';
  const zones = ['coast', 'east', 'farwest', 'north', 'southern', 'west', 'total'].every((z) => names.has(z)) && has('northc', 'northcentral') && has('southc', 'southcentral');
  if (zones && has('operday', 'operatingday') && has('hourending')) return 'load';
  return undefined;
}

/**
 * One data line of an MIS CSV -> its ticks (one per price row, nine per load row) or a rejection. Blank lines carry
 * no row and give []. `headers` is the parsed header line (parseCsvHeader); `origin` is typically
 * `file:<path>:<line number>`.
 */
export function parseMisCsvLine(layout: CsvLayout, headers: string[], line: string, origin: string, ingestedAt: number): Parsed[] {
  const raw = line.replace(/\r?\n$|\r$/, '');
  if (raw.trim() === '') return [];
  let cells: string[];
  try {
    cells = splitCsvLine(raw).map((c) => c.trim());
  } catch (err) {
    if (err instanceof CsvSyntaxError) return [reject({ reasonCode: 'bad-csv', message: `not a valid CSV record: ${err.message}`, raw, origin })];
    throw err;
  }
  return parseRow(layout, resolveColumns(layout, headers), cells, { raw, origin, ingestedAt, source: SOURCE_FILE });
}

/**
 * A whole MIS CSV text: detects the layout from the first line and parses every following line, with origins
 * `file:<path>:<line>` (1-based, the header is line 1), and the hour numbering of DST-change days checked over the
 * whole file (dst-day.ts). Throws when the header is not a known layout.
 */
export function parseMisCsv(text: string, path: string, ingestedAt: number): { layout: CsvLayout; parsed: Parsed[] } {
  const lines = text.split('\n');
  const header = lines[0] ?? '';
  const layout = detectCsvLayout(header);
  if (!layout) throw new SourceFileError('FILE_FORMAT', path, `${path}: unrecognised ERCOT MIS CSV header ${JSON.stringify(header.slice(0, 200))}`);
  const headers = parseCsvHeader(header.replace(/\r$/, ''));
  const parsed: Parsed[] = [];
  for (let i = 1; i < lines.length; i++) {
    for (const p of parseMisCsvLine(layout, headers, lines[i] ?? '', `file:${path}:${i + 1}`, ingestedAt)) parsed.push(p);
  }
  return { layout, parsed: placeDstDays(parsed) };
}
