// The CSV layouts `sda replay` recognises, tried in order against each file's header line: ERCOT's MIS
// downloads (real-time and day-ahead settlement point prices, actual load by weather zone) and our own.
import { type CsvLayout, detectCsvLayout, parseCsvHeader, parseMisCsvLine } from '../ercot/mis-csv.js';
import { type CsvFormat, SDA_FORMAT } from './replay.js';

function misFormat(layout: CsvLayout, name: string): CsvFormat {
  let cachedHeader = '';
  let headers: string[] = [];
  return {
    name,
    matches: (header) => detectCsvLayout(header) === layout,
    parse: (line, header, origin, ingestedAt) => {
      if (header !== cachedHeader) {
        cachedHeader = header;
        headers = parseCsvHeader(header);
      }
      // The row's label (DST-change days) stays: replay() checks those days as a whole (market/dst-day.ts).
      return parseMisCsvLine(layout, headers, line, origin, ingestedAt).map((p) => (p.ok ? { ...p, tick: { ...p.tick, source: 'file-replay' } } : p));
    },
  };
}

export const REPLAY_FORMATS: CsvFormat[] = [
  SDA_FORMAT,
  misFormat('rt-spp', 'ercot-mis-rt-spp'),
  misFormat('dam-spp', 'ercot-mis-dam-spp'),
  misFormat('load', 'ercot-mis-load'),
];
