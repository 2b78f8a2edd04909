// What a consumer group is doing, in one line, for the timeout messages of the long integration tests: the group's
// state and members (with the partitions each holds) from DescribeGroups, and per partition the committed offset
// against the end offset. A CI log then says whether a consumer was outside the group, rebalancing, or in the group
// but not committing, instead of a bare "timed out".
import type { Admin } from '../../platform/kafka/client.js';
import { withAdmin } from './harness.js';

/** Decodes a kafkajs MemberAssignment buffer (ConsumerProtocol v0/v1: version, [topic, [partition]]). */
function assignedPartitions(buf: Buffer): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  if (!buf || buf.length < 6) return out;
  let o = 2; // version
  const topics = buf.readInt32BE(o);
  o += 4;
  for (let t = 0; t < topics && o < buf.length; t++) {
    const len = buf.readInt16BE(o);
    o += 2;
    const topic = buf.toString('utf8', o, o + len);
    o += len;
    const n = buf.readInt32BE(o);
    o += 4;
    const parts: number[] = [];
    for (let i = 0; i < n; i++, o += 4) parts.push(buf.readInt32BE(o));
    out[topic] = parts;
  }
  return out;
}

/**
 * `group on topic: state S, members [client@host: p0,p1 ...]; partition p committed C of end E (lag L), ...`.
 * Never throws: a failure to describe becomes part of the text.
 */
export async function groupProgress(group: string, topic: string, admin?: Admin): Promise<string> {
  const describe = async (a: Admin) => {
    const g = (await a.describeGroups([group])).groups[0];
    const members = (g?.members ?? []).map((m) => {
      const parts = assignedPartitions(m.memberAssignment)[topic];
      return `${m.clientId}@${m.clientHost.replace(/^\//, '')}: ${parts?.length ? parts.join(',') : 'none'}`;
    });
    const ends = await a.fetchTopicOffsets(topic);
    const committed = (await a.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
    const parts = ends
      .sort((x, y) => x.partition - y.partition)
      .map((e) => {
        const c = Number(committed.find((x) => x.partition === e.partition)?.offset ?? -1);
        return `p${e.partition} committed ${c} of end ${e.offset}${c >= 0 ? ` (lag ${Number(e.offset) - c})` : ''}`;
      });
    return `${group} on ${topic}: state ${g?.state ?? 'unknown'}, members [${members.join('; ')}]; ${parts.join(', ')}`;
  };
  try {
    return await (admin ? describe(admin) : withAdmin(describe));
  } catch (err) {
    return `${group} on ${topic}: could not describe (${(err as Error).message})`;
  }
}

/**
 * Polls `check` every `everyMs` until it is true; after `timeoutMs` throws an error naming `what` with the text
 * `explain` returns (the group progress, say). A rejected check counts as false (a service may be restarting).
 */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, explain: () => Promise<string> = async () => '', everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${await explain().catch((e: Error) => e.message)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `p`, or an error naming `what` after `ms` (the promise itself keeps running). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A time budget shared by a file's waits: `take(ms)` is the smaller of `ms` and what is left (at least 1 s). */
export function budget(totalMs: number): { take: (ms: number) => number; left: () => number } {
  const end = Date.now() + totalMs;
  return { take: (ms) => Math.max(1_000, Math.min(ms, end - Date.now())), left: () => end - Date.now() };
}

/** The group's committed offset per partition (-1: none) against the topic's end offset per partition, both by partition. */
export async function committedVsEnd(groupId: string, topic: string): Promise<{ committed: number[]; end: number[] }> {
  return withAdmin(async (admin) => {
    const [mine] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const by = <T extends { partition: number }>(xs: T[]) => [...xs].sort((a, b) => a.partition - b.partition);
    return { committed: by(mine!.partitions).map((p) => Number(p.offset)), end: by(ends).map((p) => Number(p.offset)) };
  });
}
