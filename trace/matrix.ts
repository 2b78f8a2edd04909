// The traceability matrix (PRD step 8.2): each PRD step and design item -> the test files tagged with its id -> the
// last result of each of their tests. Pure functions over text (JUnit XML from Node's test runner, test sources);
// cli/trace.ts does the reading and writing. A step is covered only by a passing test with no failing one beside it;
// every other state is shown, never hidden.
import type { TraceItem } from './requirements.js';
import { SdaError } from '../platform/errors.js';

export type Outcome = 'pass' | 'fail' | 'skip';

/** One test's result as Node's JUnit reporter writes it. `file` is the source, relative to the repository root. */
export interface TestResult {
  file: string;
  suite: string;
  name: string;
  outcome: Outcome;
  /** The failure's message, or the skip's reason. */
  message?: string;
}

/** A result with when and at which commit it was obtained. `date` is an ISO-8601 instant. */
export interface ResultRecord extends TestResult {
  date: string;
  commit: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return ENTITIES[e.toLowerCase()] ?? _;
  });
}

const ATTRS = '(?:\\s+[\\w:-]+="[^"]*")*';

function attributes(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of raw.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]!] = unescapeXml(m[2]!);
  return out;
}

/**
 * The source file a compiled test ran from: `<root>/dist/test/unit/x.test.js` -> `test/unit/x.test.ts`; a path
 * outside `root` is kept as given (with forward slashes).
 */
export function sourceOf(file: string, root: string): string {
  const norm = file.replaceAll('\\', '/');
  const base = root.replaceAll('\\', '/').replace(/\/+$/, '');
  let rel = norm.startsWith(`${base}/`) ? norm.slice(base.length + 1) : norm;
  if (rel.startsWith('dist/')) rel = rel.slice(5).replace(/\.js$/, '.ts');
  return rel;
}

/**
 * Every <testcase> of a JUnit document from Node's test runner (`--test-reporter=junit`): pass, fail (a <failure>
 * child) or skip (a <skipped> child: skip and todo). A file that failed as a whole (a crash, a file-level timeout) is
 * one failing test named by the file. Throws when the text holds no <testsuites> element.
 */
export function parseJunit(xml: string, root: string): TestResult[] {
  if (!/<testsuites[\s>]/.test(xml)) throw new SdaError('JUNIT_INVALID', 'not a JUnit report: no <testsuites> element');
  const out: TestResult[] = [];
  // Attribute values may hold '>' (Node escapes only '<', '&' and '"'), so attributes are matched whole.
  for (const m of xml.matchAll(new RegExp(`<testcase(${ATTRS})\\s*(?:/>|>([\\s\\S]*?)</testcase>)`, 'g'))) {
    const a = attributes(m[1]!);
    const body = m[2] ?? '';
    const name = a.name ?? '(unnamed)';
    const file = a.file ?? (/\.(c|m)?js$/.test(name) ? name : '(unknown file)');
    let outcome: Outcome = 'pass';
    let message: string | undefined;
    const failure = new RegExp(`<failure(${ATTRS})`).exec(body);
    const skipped = new RegExp(`<skipped(${ATTRS})`).exec(body);
    if (failure || a.failure !== undefined) {
      outcome = 'fail';
      message = (failure ? attributes(failure[1]!).message : undefined) ?? a.failure;
    } else if (skipped) {
      outcome = 'skip';
      const s = attributes(skipped[1]!);
      message = s.type === 'todo' ? 'todo' : s.message;
    }
    out.push({ file: sourceOf(file, root), suite: a.classname ?? '', name, outcome, ...(message !== undefined ? { message: message.split('\n')[0]!.slice(0, 300) } : {}) });
  }
  return out;
}

/**
 * Merges a run's results into the last known ones: a file in the new run has all its earlier results replaced
 * (tests removed since then vanish), unless the earlier ones are newer; other files keep theirs. Records of files
 * not in `existing` (deleted tests) are dropped when `existing` is given.
 */
export function mergeResults(previous: readonly ResultRecord[], fresh: readonly TestResult[], meta: { date: string; commit: string }, existing?: ReadonlySet<string>): ResultRecord[] {
  const freshFiles = new Set(fresh.map((r) => r.file));
  const newestBefore = new Map<string, string>();
  for (const r of previous) if (freshFiles.has(r.file) && (newestBefore.get(r.file) ?? '') < r.date) newestBefore.set(r.file, r.date);
  const replaced = new Set([...freshFiles].filter((f) => (newestBefore.get(f) ?? '') <= meta.date));
  const kept = previous.filter((r) => !replaced.has(r.file));
  const added = fresh.filter((r) => replaced.has(r.file)).map((r) => ({ ...r, ...meta }));
  return [...kept, ...added].filter((r) => !existing || existing.has(r.file));
}

/**
 * The ids a test file traces, from a first line `// trace: 2.1, 3.4, D.windower` (commas or spaces between ids).
 * Returns undefined when the file has no such line.
 */
export function readTags(source: string): string[] | undefined {
  const first = source.split('\n', 1)[0] ?? '';
  const m = /^\s*\/\/\s*trace:\s*(.+)$/.exec(first);
  if (!m) return undefined;
  return m[1]!.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

export type Coverage = 'covered' | 'failing' | 'skipped' | 'not run' | 'no test';

export interface FileTally {
  file: string;
  pass: number;
  fail: number;
  skip: number;
}

export interface MatrixRow {
  item: TraceItem;
  coverage: Coverage;
  files: FileTally[];
  failing: ResultRecord[];
  /** The newest result among the row's tests. */
  last?: { date: string; commit: string };
}

export interface Matrix {
  rows: MatrixRow[];
  /** Test files with no trace line. */
  untagged: string[];
  /** Ids in trace lines that name no item (typos). */
  unknown: Array<{ file: string; id: string }>;
}

/**
 * Maps each item to the files tagged with its id and their tests' last results. Coverage: 'no test' (no file
 * traces it), 'failing' (a test of those files fails), 'covered' (at least one passes, none fails), 'skipped' (all
 * that ran were skipped), 'not run' (tagged files, no result yet).
 */
export function buildMatrix(items: readonly TraceItem[], tags: ReadonlyMap<string, string[] | undefined>, results: readonly ResultRecord[]): Matrix {
  const known = new Set(items.map((i) => i.id));
  const unknown: Matrix['unknown'] = [];
  const untagged: string[] = [];
  for (const [file, ids] of [...tags].sort(([a], [b]) => a.localeCompare(b))) {
    if (!ids || ids.length === 0) untagged.push(file);
    for (const id of ids ?? []) if (!known.has(id)) unknown.push({ file, id });
  }
  const rows = items.map((item): MatrixRow => {
    const files = [...tags].filter(([, ids]) => ids?.includes(item.id)).map(([f]) => f).sort();
    const mine = results.filter((r) => files.includes(r.file));
    const tally = files.map((file) => {
      const rs = mine.filter((r) => r.file === file);
      return { file, pass: rs.filter((r) => r.outcome === 'pass').length, fail: rs.filter((r) => r.outcome === 'fail').length, skip: rs.filter((r) => r.outcome === 'skip').length };
    });
    const failing = mine.filter((r) => r.outcome === 'fail');
    const coverage: Coverage = files.length === 0 ? 'no test' : failing.length > 0 ? 'failing' : mine.some((r) => r.outcome === 'pass') ? 'covered' : mine.length > 0 ? 'skipped' : 'not run';
    const newest = mine.reduce<ResultRecord | undefined>((a, r) => (!a || r.date > a.date ? r : a), undefined);
    return { item, coverage, files: tally, failing, ...(newest ? { last: { date: newest.date, commit: newest.commit } } : {}) };
  });
  return { rows, untagged, unknown };
}

const STATUS: Record<Coverage, string> = {
  covered: 'covered',
  failing: '**FAILING**',
  skipped: '**NOT COVERED** (skipped)',
  'not run': '**NOT COVERED** (not run)',
  'no test': '**NOT COVERED** (no test)',
};

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const day = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

function table(rows: MatrixRow[], head: string): string[] {
  const lines = [`| ${head} | Requirement | Test case | Status | Tests: file (passed/failed/skipped) | Last result |`, '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const tests = r.files.length ? r.files.map((f) => `\`${f.file}\` ${f.pass + f.fail + f.skip ? `(${f.pass}/${f.fail}/${f.skip})` : '(not run)'}`).join('<br>') : '-';
    const last = r.last ? `${day(r.last.date)}, ${r.last.commit}` : 'not run';
    const req = r.item.note ? `${r.item.title}<br>_${r.item.note}_` : r.item.title;
    lines.push(`| ${r.item.id} | ${cell(req)} | ${cell(r.item.check)} | ${STATUS[r.coverage]} | ${tests} | ${last} |`);
  }
  return lines;
}

/**
 * TRACEABILITY.md: a summary naming every item not covered, a table for the PRD steps and one for the design items,
 * then the failing tests, untagged test files and unknown ids. `meta.sources` says where the results came from.
 */
export function renderMatrix(m: Matrix, meta: { generatedAt: string; commit: string; sources: string[]; isDesign: (id: string) => boolean }): string {
  const prd = m.rows.filter((r) => !meta.isDesign(r.item.id));
  const design = m.rows.filter((r) => meta.isDesign(r.item.id));
  const summary = (rows: MatrixRow[], what: string) => {
    const covered = rows.filter((r) => r.coverage === 'covered').length;
    const not = rows.filter((r) => r.coverage !== 'covered');
    return `- ${what}: **${covered} of ${rows.length} covered** by passing tests${not.length ? `; not covered: ${not.map((r) => `${r.item.id} (${r.coverage})`).join(', ')}` : ''}.`;
  };
  const out = [
    '# Traceability matrix',
    '',
    `Generated by \`sda trace\` on ${day(meta.generatedAt)} at commit ${meta.commit}, from ${meta.sources.map((s) => `\`${s}\``).join(', ')}.`,
    'Each PRD step (../shared/PRD.md) and design-card item (../shared/DESIGN.md) is listed with the test files whose first line',
    'names its id (`// trace: 2.1, D.windower`) and the last result of their tests. A row is covered only when at least one',
    'of its tests passed and none failed; anything else says NOT COVERED or FAILING. The per-test results behind this page',
    'are in `.cache/artifacts/trace-results.json`; regenerate with `npm test` (or `node --test` with the JUnit reporter) then `sda trace`.',
    '',
    summary(prd, 'PRD steps'),
    summary(design, 'Design items'),
    '',
    '## PRD steps',
    '',
    ...table(prd, 'Step'),
    '',
    '## Design card',
    '',
    ...table(design, 'Item'),
  ];
  const failing = m.rows.flatMap((r) => r.failing);
  const seen = new Set<string>();
  const uniqueFailing = failing.filter((f) => {
    const k = `${f.file}\u0000${f.suite}\u0000${f.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (uniqueFailing.length) {
    out.push('', '## Failing tests', '');
    for (const f of uniqueFailing) out.push(`- \`${f.file}\` ${cell(f.suite ? `${f.suite} > ${f.name}` : f.name)} (${day(f.date)}, ${f.commit})${f.message ? `: ${cell(f.message)}` : ''}`);
  }
  if (m.untagged.length) out.push('', '## Test files without a trace line', '', ...m.untagged.map((f) => `- \`${f}\``));
  if (m.unknown.length) out.push('', '## Unknown ids in trace lines', '', ...m.unknown.map((u) => `- \`${u.file}\`: ${u.id}`));
  return `${out.join('\n')}\n`;
}
