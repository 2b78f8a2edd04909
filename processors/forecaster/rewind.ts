// Forecasting the latest windows again with a newly promoted model. The forecaster serves each window once, with the
// model current when it reads the window, so a model promoted while market.features is quiet (the demo's second run:
// the windower made no new windows) issues nothing until the next window comes, and every stored forecast stays the
// earlier model's. rewindForecaster moves the forecaster group's committed offsets on its input back, per partition,
// to the first window within `spanMs` of the topic's newest window (one cutoff for all series: a series that stopped
// long ago, such as the taylor demand of 2000 beside the simulated ERCOT of 2024, or a decommissioned settlement point,
// is not forecast again, and does not drag its partition back to its own last week): the forecaster, started on the
// group next, reads those windows again in its usual transactions (forecasts, dead letters and offsets in one,
// exactly once per read) with the model current then. Its state is rebuilt on assignment from the windows before the rewound offset
// (restore.ts), so the new records are what a forecaster that switched to that model at the rewound offset would have
// served; the forecasts table keys rows by model version, so they are added beside the earlier version's, and the
// readers that pick the newest issued break a tie on issue time by the current (promoted) model, then by stored_at,
// then a stored_at tie (rows of one sink transaction share it) by the newer model_version (reports/forecasts.ts
// forecastTieBreak).
import type { Admin } from '../../platform/kafka/client.js';
import type { Provisioned } from '../../platform/kafka/provision.js';
import { groupCommittedOffsets } from '../../platform/kafka/topics.js';
import { scanTrailing } from './restore.js';

export interface PartitionRewind {
  partition: number;
  /** The group's committed offset before the rewind, and the offset it was moved back to (inclusive start). */
  from: bigint;
  to: bigint;
  /** Windows in [to, from) that the forecaster reads again (poison records left out). */
  windows: number;
  /** The earliest and latest window end among them within the span, i.e. >= Rewind.cutoff (UTC ms). */
  firstWindowEnd: number;
  lastWindowEnd: number;
  /** Windows among them older than the cutoff (other series' windows written between those of the span). */
  older: number;
}

export interface Rewind {
  /** The partitions moved back (those with nothing committed, or nothing to read again, are left out). */
  partitions: PartitionRewind[];
  /** Windows read again in all. */
  windows: number;
  /** The window end from which windows are read again: the newest window end before the group's committed offsets, over
   * all partitions and series, minus spanMs (UTC ms); null when the group committed nothing. */
  cutoff: number | null;
}

export interface RewindOptions {
  groupId: string;
  inputTopic: string;
  /** How far behind the topic's newest window end the windows are read again (ms, > 0): 7 days = 604,800,000. */
  spanMs: number;
  /** Records of the first (tail) read per partition (default 1,024; then as restore.ts scanTrailing sizes the next chunks). */
  chunk?: number;
  /** Stale records in a row at the start of the read that end the scan (default 256), as restore.ts. */
  guard?: number;
}

/**
 * Moves consumer group `groupId`'s committed offsets on `inputTopic` back so that it reads again, per partition, every
 * window whose windowEnd >= cutoff = (newest windowEnd before the committed offsets, over all partitions and series) −
 * spanMs (each call moves back from where the group is: a second call before the forecaster has caught up moves it
 * further). A series whose newest window is older than the cutoff (stopped long ago) is not read again; its older
 * windows at offsets after the first window of the span are (counted in `older`). The scan (restore.ts scanTrailing,
 * the state rebuild's) reads back from the committed offset (read_committed) in chunks until the earliest `guard` windows read are all
 * older than the partition's newest window end − spanMs (<= the cutoff; the windower writes a partition in
 * event-time order up to its lateness); the new offset is the smallest offset of a window within the span. A
 * partition with no window within the span, or that the group committed nothing on, is left alone; only moves back,
 * never forward. The group must have no running member (a running forecaster would keep its position): stop it first.
 * @returns per partition moved, the offsets and windows read again
 * @throws RangeError for a bad spanMs, chunk or guard; Error "group G has running members" when the group is active;
 *   Kafka and schema-registry errors from the reads and the commit
 */
export async function rewindForecaster(p: Provisioned, opts: RewindOptions): Promise<Rewind> {
  const { groupId, inputTopic, spanMs } = opts;
  if (!(Number.isFinite(spanMs) && spanMs > 0)) throw new RangeError(`rewindForecaster: spanMs must be a positive number of ms, got ${spanMs}`);
  const chunk0 = opts.chunk ?? 1_024;
  const guard = opts.guard ?? 256;
  if (!(Number.isInteger(chunk0) && chunk0 >= 1 && Number.isInteger(guard) && guard >= 1)) throw new RangeError('rewindForecaster: chunk and guard must be integers >= 1');
  const admin = p.kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeGroups([groupId]);
    const members = described.groups[0]?.members.length ?? 0;
    if (members > 0) throw new Error(`rewindForecaster: group ${groupId} has running members (${members}); stop its forecaster first, or it keeps its position`);
    const committed = await groupCommittedOffsets(admin, groupId, inputTopic);
    const scans: Scan[] = [];
    for (const [partition, end] of [...committed].sort((a, b) => a[0] - b[0])) {
      if (end === undefined || end === 0n) continue;
      scans.push(await scanBack(p, admin, inputTopic, partition, end, spanMs, chunk0, guard));
    }
    const newest = scans.reduce((a, s) => Math.max(a, s.newest), -Infinity);
    const cutoff = Number.isFinite(newest) ? newest - spanMs : null;
    const moved: PartitionRewind[] = [];
    for (const s of scans) {
      const r = cutoff === null ? null : rewindTo(s, cutoff);
      if (r) moved.push(r);
    }
    if (moved.length > 0) await admin.setOffsets({ groupId, topic: inputTopic, partitions: moved.map((m) => ({ partition: m.partition, offset: String(m.to) })) });
    return { partitions: moved, windows: moved.reduce((a, m) => a + m.windows, 0), cutoff };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** One partition's windows read back from `end` (offset order) and its newest window end (-Infinity: none). */
interface Scan {
  partition: number;
  end: bigint;
  records: Array<{ offset: bigint; windowEnd: number }>;
  newest: number;
}

/**
 * One partition's scan back from `end`, far enough to hold every window >= its newest window end − spanMs: restore.ts
 * scanTrailing with one key for the whole partition (its newest, not each series'), keeping each window's offset and end.
 */
async function scanBack(p: Provisioned, admin: Admin, topic: string, partition: number, end: bigint, spanMs: number, chunk0: number, guard: number): Promise<Scan> {
  const r = await scanTrailing(p, topic, partition, end, spanMs, p.writers.features, (w, offset) => ({ offset, windowEnd: w.windowEnd }), (w) => w.windowEnd, () => 'partition', { firstChunk: chunk0, guard, admin });
  const newest = r.values.reduce((a, w) => Math.max(a, w.windowEnd), -Infinity);
  return { partition, end, records: r.values, newest };
}

/** The rewind of one scanned partition to its first window >= cutoff (UTC ms), or null when it has none. */
function rewindTo(s: Scan, cutoff: number): PartitionRewind | null {
  const first = s.records.find((w) => w.windowEnd >= cutoff);
  if (!first) return null;
  const again = s.records.filter((w) => w.offset >= first.offset);
  const within = again.filter((w) => w.windowEnd >= cutoff);
  const firstWindowEnd = within.reduce((a, w) => Math.min(a, w.windowEnd), Infinity);
  const lastWindowEnd = within.reduce((a, w) => Math.max(a, w.windowEnd), -Infinity);
  return { partition: s.partition, from: s.end, to: first.offset, windows: again.length, firstWindowEnd, lastWindowEnd, older: again.length - within.length };
}
