// The real `taylor` series: half-hourly electricity demand (MW) for England and Wales, Monday 5 June to
// Sunday 27 August 2000 (4,032 values), shipped in Debian's r-cran-forecast. The forecasting work is judged
// on it as one real series. Exported once with Rscript into .cache/data/taylor.csv.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { aptInstall } from '../platform/installers/apt.js';
import { commandExists, run } from '../platform/installers/process.js';
import type { MarketTick } from '../schemas/types.js';
import { type Parsed, accept, reject } from '../market/parsed.js';
import { SourceFileError } from './errors.js';

export const TAYLOR_SERIES = 'TAYLOR_EW';
export const TAYLOR_LENGTH = 4_032;
/** 00:00 BST on Monday 5 June 2000 (British Summer Time, UTC+1, covers the whole series). */
export const TAYLOR_START = Date.UTC(2000, 5, 4, 23, 0, 0);
export const TAYLOR_STEP_MS = 30 * 60_000;

async function rHasForecast(): Promise<boolean> {
  if (!commandExists('Rscript')) return false;
  try {
    await run('Rscript', ['-e', 'suppressMessages(library(forecast))']);
    return true;
  } catch {
    return false;
  }
}

/** Path to the exported CSV (one value per line), installing R and r-cran-forecast on first use. */
export async function ensureTaylorCsv(config: Config, progress: (msg: string) => void = () => undefined): Promise<string> {
  const file = path.join(config.cacheDir, 'data', 'taylor.csv');
  if (fs.existsSync(file)) return file;
  if (!(await rHasForecast())) {
    progress('installing r-base-core and r-cran-forecast from Debian (once)');
    await aptInstall(['r-base-core', 'r-cran-forecast']);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.partial`;
  progress('exporting forecast::taylor with Rscript');
  await run('Rscript', ['-e', `suppressMessages(library(forecast)); write.table(data.frame(demand = as.numeric(forecast::taylor)), ${JSON.stringify(tmp)}, row.names = FALSE, col.names = FALSE)`]);
  fs.renameSync(tmp, file);
  return file;
}

/** The file's values as ticks; a line that is not a positive number becomes a rejection. */
export function taylorParsed(text: string, ingestedAt: number, origin = 'taylor'): Parsed[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== TAYLOR_LENGTH) throw new SourceFileError('FILE_FORMAT', origin, `taylor export has ${lines.length} values, expected ${TAYLOR_LENGTH}; delete .cache/data/taylor.csv and retry`);
  return lines.map((line, i) => {
    const start = TAYLOR_START + i * TAYLOR_STEP_MS;
    const slot: Omit<MarketTick, 'value'> = { market: 'GB', seriesId: TAYLOR_SERIES, pointType: 'SYSTEM', kind: 'LOAD', intervalStart: start, intervalEnd: start + TAYLOR_STEP_MS, unit: 'MW', source: 'taylor', ingestedAt, imputed: false };
    const v = Number(line.trim());
    if (!Number.isFinite(v) || v <= 0) return reject({ reasonCode: 'not-a-number', message: `value ${JSON.stringify(line)} at index ${i} is not a positive number`, raw: line, origin: `${origin}:${i + 1}`, slot });
    return accept({ ...slot, value: v });
  });
}
