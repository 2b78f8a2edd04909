// The forecaster's state on (re)assignment of an input partition: its trailing FeatureWindows, read back from the
// partition itself (read_committed, up to the group's committed offset), so the state is a function of the model and
// those windows and a restarted forecaster serves exactly what one that never stopped serves.
//
// How far back: the state answers only for a series' windows that end within `keepMs` of its newest window end
// (SeriesHistory), so the read needs every window of the partition with windowEnd >= (newest of its series) − keepMs.
// Kafka timestamps cannot bound that (the windower's records carry the record timestamp of the tick record that
// completed each window: when that tick was published, not its event time; and event time as a record timestamp
// would let the 30-day time retention delete a replay of history at once), so the read
// scans back from the committed offset in chunks: the tail first, then what the tail's event-time rate says the
// rest of the span needs, until the earliest `guard` records read are all older than their series' cutoff. The
// windower emits a partition's windows in event-time order up to its allowed lateness (a correction re-emits a window
// within hours), so a run of `guard` stale windows has every needed window after it.
import type { Provisioned } from '../../platform/kafka/provision.js';
import { type ReadPartitionOptions, readPartitionRange } from '../../platform/kafka/read-partition.js';
import { seriesRecordKey } from '../../market/series.js';
import type { Writer } from '../../platform/kafka/avro-serde.js';
import type { FeatureWindow, Forecast } from '../../schemas/types.js';

export interface TrailingRead {
  /** The windows read, in offset order (the caller replays all of them: the stale ones change no answer). */
  windows: FeatureWindow[];
  /** First offset read (inclusive) and the end (exclusive: the committed offset). */
  from: bigint;
  to: bigint;
  /** Records read from Kafka (decoded windows plus skipped poison records), and how many range reads it took. */
  records: number;
  reads: number;
}

export interface TrailingReadOptions {
  /** Records of the first (tail) read (default 512). */
  firstChunk?: number;
  /** Stale records in a row at the start of the read that end the scan (default 256). */
  guard?: number;
}

/** The scan's options and the connected admin client its range reads share (readPartitionRange's `admin`). */
export type TrailingReadScan = TrailingReadOptions & Pick<ReadPartitionOptions, 'admin'>;

/**
 * Reads partition `partition` of `topic` back from offset `end` (exclusive; the group's committed offset) far enough
 * to hold every window with windowEnd >= (newest windowEnd of its series in the read) − keepMs, by the scan described
 * above. keepMs in ms (> 0). Returns [] windows when `end` is 0 (nothing consumed yet). `opts.admin`: a connected
 * admin client (the caller's, left open) for every chunk's offsets; without it each chunk opens one of its own.
 * Errors: RangeError for a bad argument; Kafka and schema-registry errors (the caller's set-up fails and is retried).
 */
export async function readTrailingWindows(p: Provisioned, topic: string, partition: number, end: bigint, keepMs: number, opts: TrailingReadScan = {}): Promise<TrailingRead> {
  const r = await scanTrailing(p, topic, partition, end, keepMs, p.writers.features, (w) => w, (w) => w.windowEnd, (w) => seriesRecordKey(w, w.stepMs), opts);
  return { ...r, windows: r.values };
}

/**
 * The forecaster's own Forecast records of output partition `partition` up to `end` (exclusive; its end offset), back
 * to (newest targetStart of each series) − keepMs, by the same scan: the bands it served, which an ACI online band
 * counts its misses against (state.ts). Errors: as readTrailingWindows.
 */
export async function readTrailingForecasts(p: Provisioned, topic: string, partition: number, end: bigint, keepMs: number, opts: TrailingReadScan = {}): Promise<Forecast[]> {
  return (await scanTrailing(p, topic, partition, end, keepMs, p.writers.forecasts, (f) => f, (f) => f.targetStart, (f) => seriesRecordKey(f, f.stepMs), opts)).values;
}

/**
 * The scan above over any topic whose records carry an event time: back from `end` (exclusive) in chunks (the tail
 * `opts.firstChunk`, default 512 records; then what the event-time rate read so far says the rest of the span needs,
 * plus the guard; twice the last chunk when the rate says nothing), until the earliest `opts.guard` (default 256)
 * records read are all older than their key's newest event time − keepMs, or the log start. Each record (decoded by
 * `reader`; poison records skipped and counted) is kept as `pick(value, offset)` (the whole value, or only what the
 * caller needs); `at` gives its event time (UTC ms) and `key` the series whose newest it is measured against (one
 * key for all: the partition's newest, as rewind.ts uses it). Returns the picks in offset order, the offsets read
 * [from, to), the records read and the range reads taken. Shared by the state rebuild (readTrailingWindows,
 * readTrailingForecasts) and the forecaster's rewind (rewind.ts).
 * Errors: RangeError for a bad keepMs, firstChunk or guard; Kafka and schema-registry errors from the reads.
 */
export async function scanTrailing<T, R>(
  p: Provisioned, topic: string, partition: number, end: bigint, keepMs: number, reader: Writer<T>, pick: (value: T, offset: bigint) => R,
  at: (r: R) => number, key: (r: R) => string, opts: TrailingReadScan,
): Promise<Omit<TrailingRead, 'windows'> & { values: R[] }> {
  if (!(Number.isFinite(keepMs) && keepMs > 0)) throw new RangeError(`readTrailingWindows: keepMs must be a positive number of ms, got ${keepMs}`);
  const firstChunk = BigInt(opts.firstChunk ?? 512);
  const guard = opts.guard ?? 256;
  if (firstChunk < 1n || !(Number.isInteger(guard) && guard >= 1)) throw new RangeError('readTrailingWindows: firstChunk and guard must be integers >= 1');
  let windows: R[] = [];
  let from = end;
  let records = 0;
  let reads = 0;
  let chunk = firstChunk;
  const newest = new Map<string, number>();
  while (from > 0n) {
    const want = from > chunk ? from - chunk : 0n;
    const range = await readPartitionRange(p, topic, partition, want, from, reader, { admin: opts.admin });
    reads++;
    records += range.records.length + range.skipped;
    const got = range.records.map((r) => pick(r.value, r.offset));
    windows = got.concat(windows);
    const reachedStart = want === 0n || range.from > want;
    from = range.from;
    for (const w of got) newest.set(key(w), Math.max(newest.get(key(w)) ?? -Infinity, at(w)));
    if (reachedStart) break; // the log start (retention) or the partition's beginning
    // Done when the earliest `guard` windows are all older than their series' cutoff.
    const head = windows.slice(0, guard);
    if (head.length >= guard && head.every((w) => at(w) < newest.get(key(w))! - keepMs)) break;
    // Next chunk: the records the span still missing needs at the rate read so far (event time per record), plus the guard.
    let lo = Infinity;
    let hi = -Infinity;
    for (const w of windows) {
      lo = Math.min(lo, at(w));
      hi = Math.max(hi, at(w));
    }
    const spanRead = hi - lo;
    const earliestNeeded = Math.min(...[...newest.values()].map((t) => t - keepMs));
    const missing = lo - earliestNeeded;
    const estimate = spanRead > 0 && missing > 0 ? Math.ceil((windows.length * missing) / spanRead * 1.1) + guard : 0;
    chunk = BigInt(estimate > 0 ? Math.max(estimate, guard) : Number(chunk) * 2);
  }
  return { values: windows, from, to: end, records, reads };
}
