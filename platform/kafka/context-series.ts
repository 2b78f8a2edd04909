// Context series: the system-wide series (SYSTEM load, wind, solar) that every price window needs aligned beside
// it. market.ticks is keyed by series id, so SYSTEM ticks land in one partition while hubs spread over all of
// them. A publisher therefore writes each SYSTEM tick once to its home partition (by key, like every tick) and a
// context copy, marked with CONTEXT_HEADER, to every other partition. Consumers that store ticks skip the copies
// (the home record is the one stored and counted); the windower reads them as related-series input, in the
// partition's own order, so its output stays a deterministic function of its partition.
import { compatibilityPartitioner } from '@platformatic/kafka';
import { SYSTEM_SERIES_ID } from '../../market/series.js';

export const CONTEXT_HEADER = 'sda.context';
const CONTEXT_KINDS: ReadonlySet<string> = new Set(['LOAD', 'WIND', 'SOLAR']);

/** Whether a tick is a context series that every partition needs. */
export function isContextTick(t: { seriesId: string; kind: string }): boolean {
  return t.seriesId === SYSTEM_SERIES_ID && CONTEXT_KINDS.has(t.kind);
}

/** Whether a consumed record is a context copy (not the stored original). */
export function isContextCopy(headers: Record<string, string> | undefined): boolean {
  return headers?.[CONTEXT_HEADER] === '1';
}

/** The partition a key lands on with the Java-compatible murmur2 partitioner, out of `partitions`. */
export function homePartition(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`homePartition: partitions must be a positive integer, got ${partitions}`);
  return compatibilityPartitioner(undefined as never, Buffer.from(key)) % partitions;
}

/** The partitions that get a context copy of a record with this key (all but its home partition). */
export function copyPartitions(key: string, partitions: number): number[] {
  const home = homePartition(key, partitions);
  return Array.from({ length: partitions }, (_, p) => p).filter((p) => p !== home);
}
