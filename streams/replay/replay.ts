// Replay of historical files for backtests: every row of every file is parsed (ERCOT MIS CSV layouts or the
// project's own CSV), the gap policy applied, and the ticks published in event-time order, as fast as possible
// or paced at N times real time.
import fs from 'node:fs';
import readline from 'node:readline';
import type { MarketTick } from '../../schemas/types.js';
import { placeDstDays } from '../../market/dst-day.js';
import { imputeGaps } from '../imputation.js';
import { type Parsed, reject } from '../../market/parsed.js';
import type { PublishCounts, TickPublisher } from '../tick-publisher.js';
import { isSdaCsvHeader, parseSdaCsvLine } from './sda-csv.js';
import { SourceFileError } from '../errors.js';

/** A CSV layout a replay can read: recognised by its header line. */
export interface CsvFormat {
  name: string;
  matches(headerLine: string): boolean;
  parse(line: string, headerLine: string, origin: string, ingestedAt: number): Parsed[];
}

export const SDA_FORMAT: CsvFormat = {
  name: 'sda-csv',
  matches: isSdaCsvHeader,
  parse: (line, _h, origin, ingestedAt) => [parseSdaCsvLine(line, origin, ingestedAt)],
};

export interface FileRead {
  file: string;
  format: string;
  rows: number;
  items: Parsed[];
}

/**
 * Every row of one replay file, parsed by the layout its header line names (`formats`, tried in order); bad rows are
 * rejections among `items`, not errors. Throws SourceFileError for the file as a whole: FILE_MISSING (no such path),
 * FILE_UNREADABLE (a directory, not a regular file, or no read permission), FILE_FORMAT (an unknown header line),
 * FILE_EMPTY (no header line).
 */
export async function readReplayFile(file: string, formats: CsvFormat[], ingestedAt: number): Promise<FileRead> {
  if (!fs.existsSync(file)) throw new SourceFileError('FILE_MISSING', file, `replay: no such file ${file}`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw new SourceFileError('FILE_UNREADABLE', file, `replay: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!stat.isFile()) throw new SourceFileError('FILE_UNREADABLE', file, `replay: ${file} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}; name a CSV file`);
  const stream = fs.createReadStream(file, { encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let header: string | undefined;
  let format: CsvFormat | undefined;
  let n = 0;
  let rows = 0;
  const items: Parsed[] = [];
  for await (const raw of lines) {
    n++;
    const line = raw.replace(/\r$/, '');
    if (header === undefined) {
      header = line.replace(/^\uFEFF/, '');
      format = formats.find((f) => f.matches(header!));
      if (!format) throw new SourceFileError('FILE_FORMAT', file, `replay: ${file} has an unknown header ${JSON.stringify(header.slice(0, 200))}; supported: ${formats.map((f) => f.name).join(', ')}`);
      continue;
    }
    if (line.trim() === '') continue;
    rows++;
    const origin = `file:${file}:${n}`;
    try {
      items.push(...format!.parse(line, header, origin, ingestedAt));
    } catch (err) {
      items.push(reject({ reasonCode: 'bad-row', message: (err as Error).message, raw: line, origin }));
    }
  }
  if (!format) throw new SourceFileError('FILE_EMPTY', file, `replay: ${file} is empty`);
  return { file, format: format.name, rows, items };
}

export interface ReplayOptions {
  /** 'max' publishes as fast as possible; a number paces event time at that many times real time. */
  speed: 'max' | number;
  maxGap?: number;
  onProgress?: (published: number, total: number, eventTime: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface ReplaySummary extends PublishCounts {
  files: Array<{ file: string; format: string; rows: number }>;
  eventFrom: number | null;
  eventTo: number | null;
  wallSeconds: number;
}

/** Orders by event time (then series) so a replay is deterministic. */
export function eventOrder(a: MarketTick, b: MarketTick): number {
  return a.intervalStart - b.intervalStart || a.seriesId.localeCompare(b.seriesId) || a.kind.localeCompare(b.kind);
}

/**
 * Reads and parses every file (readReplayFile) before anything is published, so a caller can check them before it
 * creates topics or registry subjects (`sda replay --run NAME` does). Throws the first file's SourceFileError.
 */
export async function readReplayFiles(files: string[], formats: CsvFormat[], ingestedAt = Date.now()): Promise<FileRead[]> {
  const reads: FileRead[] = [];
  for (const f of files) reads.push(await readReplayFile(f, formats, ingestedAt));
  return reads;
}

/** Reads `files` (readReplayFiles) and publishes them (replayReads). */
export async function replay(files: string[], formats: CsvFormat[], publisher: TickPublisher, opts: ReplayOptions): Promise<ReplaySummary> {
  return replayReads(await readReplayFiles(files, formats), publisher, opts);
}

/**
 * Publishes files already read (readReplayFiles): the DST-day check and gap policy over all their rows, rejections to
 * the dead-letter topic, then the ticks in event-time order (eventOrder), paced by `opts.speed`.
 */
export async function replayReads(reads: FileRead[], publisher: TickPublisher, opts: ReplayOptions): Promise<ReplaySummary> {
  const t0 = Date.now();
  // DST-change days are checked over every row of the day before anything is published (market/dst-day.ts).
  const { items } = imputeGaps(placeDstDays(reads.flatMap((r) => r.items)), opts.maxGap);
  const rejected = items.filter((i) => !i.ok);
  const ticks = items.flatMap((i) => (i.ok ? [i.tick] : [])).sort(eventOrder);
  await publisher.add(rejected);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const first = ticks[0]?.intervalStart;
  let i = 0;
  while (i < ticks.length) {
    // All ticks of one interval start go out together.
    let j = i + 1;
    while (j < ticks.length && ticks[j]!.intervalStart === ticks[i]!.intervalStart) j++;
    if (opts.speed !== 'max' && first !== undefined) {
      const due = t0 + (ticks[i]!.intervalStart - first) / opts.speed;
      const wait = due - Date.now();
      if (wait > 0) {
        await publisher.flush();
        await sleep(wait);
      }
    }
    await publisher.add(ticks.slice(i, j).map((tick) => ({ ok: true as const, tick })));
    i = j;
    opts.onProgress?.(i, ticks.length, ticks[i - 1]!.intervalStart);
  }
  const counts = await publisher.flush();
  return {
    ...counts,
    files: reads.map(({ file, format, rows }) => ({ file, format, rows })),
    eventFrom: ticks[0]?.intervalStart ?? null,
    eventTo: ticks[ticks.length - 1]?.intervalEnd ?? null,
    wallSeconds: (Date.now() - t0) / 1_000,
  };
}
