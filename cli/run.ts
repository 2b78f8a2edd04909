// `sda run list|delete`: the run-scoped topic sets (`run.NAME.*`, platform/kafka/topics.ts topicSet) that
// `sda replay --run NAME` and the processors' `--run NAME` create, found from the broker's topic names, with
// their record counts, consumer groups, registry subjects and table rows; and their removal.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../platform/config.js';
import { type Admin, type Kafka, createKafka } from '../platform/kafka/client.js';
import { type TopicRecordCount, countDataRecords } from '../platform/kafka/count-records.js';
import { SdaError } from '../platform/errors.js';
import { KafkaError } from '../platform/kafka/errors.js';
import { recordsAreOffsets, runOfTopic, topicSet, validateRunName } from '../platform/kafka/topics.js';
import { createPool } from '../platform/postgres/pool.js';
import { deleteRunRows } from '../sinks/postgres/run-rows.js';

export interface RunInfo {
  name: string;
  /**
   * Topic -> its data records (platform/kafka/count-records.ts countDataRecords), `countedBy` how: 'read' (read
   * read_committed: transaction markers and aborted records not counted; the transactional and compacted topics) or
   * 'offsets' (end − start offsets, no read: the topics written without transactions, topics.ts recordsAreOffsets,
   * i.e. run.NAME.ticks). `complete` false: records exist past the count (a transaction open when counted, or the read
   * stopped at its idle limit), `records` is the committed records up to there; `incomplete` says which
   * ('transaction-open', 'read-cut-short', or 'not-counted' with `count: false`).
   */
  topics: TopicRecordCount[];
  /** Consumer groups of the run (`<base>.run.NAME`, platform/kafka/topics.ts groupFor) with their state. */
  groups: Array<{ group: string; state: string }>;
  subjects: string[];
}

async function withAdmin<T>(config: Config, f: (admin: Admin, kafka: Kafka) => Promise<T>): Promise<T> {
  const kafka = createKafka(config, 'sda-run', { quiet: true });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw new KafkaError('KAFKA_UNAVAILABLE', `cannot reach Kafka at ${config.kafka.brokers.join(',')}: ${(err as Error).message}. Start the stack with \`sda stack up\`.`, true, { cause: err });
  }
  try {
    return await f(admin, kafka);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function registrySubjects(config: Config): Promise<string[]> {
  const res = await fetch(`${config.registry.url}/subjects`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new KafkaError('REGISTRY_HTTP', `schema registry ${config.registry.url} answered ${res.status} listing subjects`, res.status >= 500);
  return (await res.json()) as string[];
}

/**
 * Every run found on the broker (topics named run.NAME.*), or only `only`; with counts, groups and subjects. The
 * counts read only the topics whose offsets are not their records (transactional or compacted); the others are
 * counted by their offsets (RunInfo.topics). `opts.count` false leaves the record counts at 0 (complete false)
 * instead of counting.
 */
export async function listRuns(config: Config, only?: string, opts: { count?: boolean; contextCopies?: boolean } = {}): Promise<RunInfo[]> {
  if (only !== undefined) validateRunName(only);
  const subjects = await registrySubjects(config).catch(() => [] as string[]);
  return withAdmin(config, async (admin, kafka) => {
    const byRun = new Map<string, RunInfo>();
    const info = (name: string): RunInfo => {
      let r = byRun.get(name);
      if (!r) byRun.set(name, (r = { name, topics: [], groups: [], subjects: [] }));
      return r;
    };
    const topics = (await admin.listTopics()).sort().filter((topic) => {
      const run = runOfTopic(topic);
      return run !== undefined && (only === undefined || run === only);
    });
    // A topic deleted meanwhile (another run's clean-up) is left out by the count, not an error.
    if (opts.count === false) {
      for (const topic of topics) {
        const offsets = await admin.fetchTopicOffsets(topic).catch(() => undefined);
        if (offsets) info(runOfTopic(topic)!).topics.push({ topic, partitions: offsets.length, records: 0, complete: false, incomplete: 'not-counted' });
      }
    } else for (const t of await countDataRecords(config, kafka, admin, topics, { groupPrefix: 'sda-run-count', byOffsets: recordsAreOffsets, ...(opts.contextCopies ? { contextCopies: isRunTicksTopic } : {}) })) info(runOfTopic(t.topic)!).topics.push(t);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    const runGroups = groups.map((g) => [g, /\.run\.([A-Za-z0-9_-]{1,64})$/.exec(g)?.[1]] as const).filter(([, run]) => run !== undefined && (only === undefined || run === only));
    if (runGroups.length > 0) {
      const described = await admin.describeGroups(runGroups.map(([g]) => g)).catch(() => ({ groups: runGroups.map(([g]) => ({ groupId: g, state: 'Unknown' })) }));
      for (const d of described.groups) info(/\.run\.([A-Za-z0-9_-]{1,64})$/.exec(d.groupId)![1]!).groups.push({ group: d.groupId, state: d.state });
    }
    for (const subject of subjects) {
      const run = runOfTopic(subject);
      if (run !== undefined && (only === undefined || run === only)) info(run).subjects.push(subject);
    }
    return [...byRun.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  });
}

/** Whether `topic` is a run's ticks topic (run.NAME.ticks), the one a replay or simulator writes context copies to. */
export function isRunTicksTopic(topic: string): boolean {
  const run = runOfTopic(topic);
  return run !== undefined && topicSet(run).ticks.name === topic;
}

/**
 * What `sda run list` says after a run ticks topic's count about its SYSTEM series context copies ('' for any other
 * topic): their number when counted (--verbose: TopicRecordCount.contextCopies) with the ticks that leaves, else what
 * they are and how to count them. A replay's "replayed N ticks" is the ticks; the topic holds the copies too.
 */
export function contextCopiesNote(t: Pick<TopicRecordCount, 'topic' | 'records' | 'contextCopies'>): string {
  if (!isRunTicksTopic(t.topic)) return '';
  const what = 'SYSTEM load/wind/solar ticks are written once more to every other partition for the windower';
  if (t.contextCopies === undefined) return ` (incl. SYSTEM series context copies: ${what}; --verbose counts them)`;
  return ` (incl. ${t.contextCopies.toLocaleString('en-US')} SYSTEM series context copies, so ${(t.records - t.contextCopies).toLocaleString('en-US')} ticks: ${what})`;
}

/** A consumer group of a run that still has members: who they are (kafkajs DescribeGroups' clientId and host). */
export interface ActiveGroup {
  group: string;
  state: string;
  members: Array<{ clientId: string; host: string }>;
}

/** The groups among `described` (kafkajs DescribeGroups' answer) that have at least one member. */
export function activeGroups(described: Array<{ groupId: string; state: string; members: Array<{ clientId: string; clientHost: string }> }>): ActiveGroup[] {
  return described
    .filter((g) => g.members.length > 0)
    .map((g) => ({ group: g.groupId, state: g.state, members: g.members.map((m) => ({ clientId: m.clientId, host: m.clientHost.replace(/^\//, '') })) }));
}

/**
 * The RUN_IN_USE error `sda run delete` throws while the run's consumer groups have members: names each group with
 * its state and members (client id @ host) and says to stop those processors first. Nothing was deleted.
 */
export function runInUseError(name: string, busy: ActiveGroup[]): SdaError<'RUN_IN_USE'> {
  const lines = busy.map((g) => `  group ${g.group} (${g.state}): ${g.members.map((m) => `${m.clientId} @ ${m.host}`).join(', ')}`);
  return new SdaError(
    'RUN_IN_USE',
    `run ${name} is in use: ${busy.length} of its consumer groups ${busy.length === 1 ? 'has' : 'have'} members, so nothing was deleted.\n${lines.join('\n')}\nStop these processors (the \`sda process ... --run ${name}\` jobs on those hosts), then run \`sda run delete ${name}\` again.`,
    false,
  );
}

export interface DeletedRun {
  name: string;
  topics: string[];
  groups: string[];
  /** Groups that could not be deleted (still have members: stop the run's processors first). */
  groupsKept: Array<{ group: string; reason: string }>;
  subjects: string[];
  /** Table -> rows deleted (markets `run.NAME.*`; dispatch_schedules by its run column). */
  rows: Record<string, number>;
}

/**
 * Deletes a run: its topics, its consumer groups (those with no members), its registry subjects (soft then
 * permanent) and its table rows (market `run.NAME.<market>` in market_data, features, forecasts; run = NAME in
 * dispatch_schedules where that table exists). Throws RUN_NAME_INVALID for a bad name, and RUN_IN_USE (before
 * deleting anything) while any of the run's consumer groups has members (its processors are still running).
 */
export async function deleteRun(config: Config, name: string): Promise<DeletedRun> {
  validateRunName(name);
  const [run] = await listRuns(config, name, { count: false });
  const out: DeletedRun = { name, topics: [], groups: [], groupsKept: [], subjects: [], rows: {} };
  if (run) {
    await withAdmin(config, async (admin) => {
      const groups = run.groups.map((g) => g.group);
      // Refuse before deleting anything while a processor of the run is still consuming: its topics, subjects and
      // rows would go from under it (it then logs an error per fetch) and its group could not be deleted anyway.
      if (groups.length > 0) {
        const busy = activeGroups((await admin.describeGroups(groups)).groups);
        if (busy.length > 0) throw runInUseError(name, busy);
      }
      if (groups.length > 0) {
        try {
          await admin.deleteGroups(groups);
          out.groups.push(...groups);
        } catch (err) {
          // kafkajs reports per group; delete one by one to tell which are busy
          for (const g of groups) {
            try {
              await admin.deleteGroups([g]);
              out.groups.push(g);
            } catch (e) {
              out.groupsKept.push({ group: g, reason: (e as Error).message || (err as Error).message });
            }
          }
        }
      }
      const topics = run.topics.map((t) => t.topic);
      if (topics.length > 0) {
        await admin.deleteTopics({ topics, timeout: 30_000 });
        out.topics.push(...topics);
      }
    });
    for (const subject of run.subjects) {
      for (const q of ['', '?permanent=true']) {
        const res = await fetch(`${config.registry.url}/subjects/${encodeURIComponent(subject)}${q}`, { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
        if (!res.ok && res.status !== 404) throw new KafkaError('REGISTRY_HTTP', `schema registry answered ${res.status} deleting subject ${subject}`, res.status >= 500);
      }
      out.subjects.push(subject);
    }
  }
  const pool = createPool(config, 1);
  try {
    out.rows = await deleteRunRows(pool, name);
  } finally {
    await pool.end();
  }
  return out;
}

/** How `sda run list` says a count was made, after the record count: '(read)', '(offsets)', or '' when not counted. */
export function countedByTag(t: Pick<TopicRecordCount, 'countedBy'>): string {
  return t.countedBy === undefined ? '' : ` (${t.countedBy})`;
}

/** The legend `sda run list` prints above the runs for the tags of countedByTag. */
export const COUNTED_BY_LEGEND =
  "record counts: (read) = read read_committed from the log start, exact (transactional or compacted topics, where markers, aborted records and compaction gaps take offsets); (offsets) = end - start offsets, no read (topics written without transactions)";

/** The note `sda run list` prints after an incomplete count ('' when complete), by TopicRecordCount.incomplete. */
export function incompleteNote(t: Pick<TopicRecordCount, 'complete' | 'incomplete'>): string {
  if (t.complete) return '';
  if (t.incomplete === 'transaction-open') return ' (committed records only: a transaction is open)';
  if (t.incomplete === 'not-counted') return ' (not counted)';
  return ' (at least: the read stopped at its idle limit before the end)';
}

export function registerRun(program: Command): void {
  const run = program.command('run').description('run-scoped topic sets for backtests (run.NAME.ticks, .features, .forecasts, .dispatch, .dlq, .windower.changelog): list and delete');
  run
    .command('list')
    .description('list the runs found on the broker (topics named run.NAME.*): topics with record counts (transactional and compacted topics read, the others counted by their offsets; each count says which), consumer groups, registry subjects')
    .option('--json', 'print JSON')
    .option('--verbose', "also count the SYSTEM series context copies in each run's ticks topic (reads that topic; JSON: contextCopies)")
    .action(async (opts: { json?: boolean; verbose?: boolean }) => {
      const runs = await listRuns(loadConfig(), undefined, { contextCopies: opts.verbose === true });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stdout.write('no runs (start one with `sda replay FILE --run NAME` or `sda simulate --run NAME`)\n');
        return;
      }
      process.stdout.write(`${COUNTED_BY_LEGEND}\n`);
      for (const r of runs) {
        process.stdout.write(`run ${r.name}\n`);
        for (const t of r.topics) process.stdout.write(`  topic ${t.topic.padEnd(40)} ${String(t.records).padStart(10)} records${countedByTag(t)}, ${t.partitions} partitions${incompleteNote(t)}${contextCopiesNote(t)}\n`);
        for (const g of r.groups) process.stdout.write(`  group ${g.group} (${g.state})\n`);
        process.stdout.write(`  subjects ${r.subjects.length}${r.subjects.length > 0 ? `: ${[...r.subjects].sort().join(', ')}` : ''}\n`);
      }
    });
  run
    .command('delete')
    .description('delete a run: its topics, consumer groups, registry subjects and table rows (markets run.NAME.*); prints what it deleted. Refused, deleting nothing, while any of its consumer groups has members (stop its processors first)')
    .argument('<name>', 'the run name (1-64 of A-Z a-z 0-9 _ -)')
    .action(async (name: string) => {
      const config = loadConfig();
      const d = await deleteRun(config, name);
      // The run's backtest outputs and model registry (sda backtest --pipeline) go with it.
      const files = path.join(config.cacheDir, 'backtests', d.name);
      const hadFiles = fs.existsSync(files);
      fs.rmSync(files, { recursive: true, force: true });
      const rows = Object.entries(d.rows).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ');
      if (d.topics.length + d.groups.length + d.subjects.length + d.groupsKept.length === 0 && !rows && !hadFiles) {
        process.stderr.write(`sda: no run ${d.name}: no topics run.${d.name}.*, groups, subjects, rows or files (\`sda run list\` shows the runs)\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        [
          `deleted run ${d.name}: ${d.topics.length} topics, ${d.groups.length} consumer groups, ${d.subjects.length} registry subjects; rows: ${rows || 'none'}`,
          ...d.topics.map((t) => `  topic ${t}`),
          ...d.groups.map((g) => `  group ${g}`),
          ...d.subjects.map((s) => `  subject ${s}`),
          ...d.groupsKept.map((g) => `  KEPT group ${g.group}: ${g.reason} (stop the run's processors, then run this again)`),
          ...(hadFiles ? [`  files ${files}`] : []),
          '',
        ].join('\n'),
      );
      if (d.groupsKept.length > 0) process.exitCode = 1;
    });
}
