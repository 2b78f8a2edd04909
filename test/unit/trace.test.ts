// trace: 8.2
// The traceability matrix (trace/matrix.ts, `sda trace`): JUnit results from Node's test runner, trace lines of test
// files, coverage per requirement. A requirement with no test must show as not covered, a failing test as failing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import { type ResultRecord, buildMatrix, mergeResults, parseJunit, readTags, renderMatrix, sourceOf } from '../../trace/matrix.js';
import { PRD_STEPS, TRACE_ITEMS, type TraceItem } from '../../trace/requirements.js';

const ROOT = '/repo';
const junit = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
	<testcase name="top level ok" time="0.0004" classname="test" file="/repo/dist/test/unit/a.test.js"/>
	<testsuite name="suite &amp; &lt;x>" time="0.002" tests="4" failures="1" skipped="2">
		<testcase name="passes &quot;q&quot;" time="0.0001" classname="suite &amp; &lt;x>" file="/repo/dist/test/unit/a.test.js"/>
		<testcase name="fails" time="0.001" classname="suite &amp; &lt;x>" file="/repo/dist/test/unit/b.test.js" failure="1 == 2">
			<failure type="testCodeFailure" message="1 == 2">
Error [ERR_TEST_FAILURE]: 1 == 2
			</failure>
		</testcase>
		<testcase name="skips" time="0.0001" classname="suite &amp; &lt;x>" file="/repo/dist/test/integration/c.test.js">
			<skipped type="skipped" message="no kubectl"/>
		</testcase>
		<testcase name="later" time="0.0001" classname="suite &amp; &lt;x>" file="/repo/dist/test/unit/a.test.js">
			<skipped type="todo" message="true"/>
		</testcase>
	</testsuite>
	<testcase name="/repo/dist/test/integration/d.test.js" time="600" classname="test" failure="test timed out after 600000ms">
		<failure type="testTimeoutFailure" message="test timed out after 600000ms"/>
	</testcase>
</testsuites>`;

const items: TraceItem[] = [
  { id: '1.1', title: 'passing', check: 'c' },
  { id: '1.2', title: 'failing', check: 'c' },
  { id: '1.3', title: 'no test', check: 'c' },
  { id: '1.4', title: 'only skipped', check: 'c' },
  { id: '1.5', title: 'tagged, never run', check: 'c' },
  { id: 'D.x', title: 'design', check: 'c' },
];
const tags = new Map<string, string[] | undefined>([
  ['test/unit/a.test.ts', ['1.1', 'D.x']],
  ['test/unit/b.test.ts', ['1.1', '1.2']],
  ['test/integration/c.test.ts', ['1.4', '9.9']],
  ['test/integration/d.test.ts', undefined],
  ['test/unit/e.test.ts', ['1.5']],
]);
const meta = { date: '2026-12-01T03:00:00.000Z', commit: 'abc1234' };

describe('traceability matrix', () => {
  it('reads pass, fail, skip and todo from JUnit, the source file of each, and a file that failed as a whole', () => {
    const r = parseJunit(junit, ROOT);
    assert.deepEqual(
      r.map((x) => [x.file, x.suite, x.name, x.outcome, x.message]),
      [
        ['test/unit/a.test.ts', 'test', 'top level ok', 'pass', undefined],
        ['test/unit/a.test.ts', 'suite & <x>', 'passes "q"', 'pass', undefined],
        ['test/unit/b.test.ts', 'suite & <x>', 'fails', 'fail', '1 == 2'],
        ['test/integration/c.test.ts', 'suite & <x>', 'skips', 'skip', 'no kubectl'],
        ['test/unit/a.test.ts', 'suite & <x>', 'later', 'skip', 'todo'],
        ['test/integration/d.test.ts', 'test', '/repo/dist/test/integration/d.test.js', 'fail', 'test timed out after 600000ms'],
      ],
    );
    assert.throws(() => parseJunit('TAP version 13', ROOT), /not a JUnit report/);
    assert.equal(sourceOf('/elsewhere/x.test.js', ROOT), '/elsewhere/x.test.js');
  });

  it('reads a first-line trace tag, and nothing from a later line', () => {
    assert.deepEqual(readTags('// trace: 2.1, 3.4 D.windower\nimport x'), ['2.1', '3.4', 'D.windower']);
    assert.equal(readTags('import x\n// trace: 2.1'), undefined);
  });

  it('shows a requirement with no test as NOT COVERED, a failing test as FAILING, and covered only with a pass and no failure', () => {
    const m = buildMatrix(items, tags, mergeResults([], parseJunit(junit, ROOT), meta));
    const cov = Object.fromEntries(m.rows.map((r) => [r.item.id, r.coverage]));
    // 1.1: a.test passes but b.test (also tagged 1.1) fails: one failure is enough to fail the requirement.
    assert.deepEqual(cov, { '1.1': 'failing', '1.2': 'failing', '1.3': 'no test', '1.4': 'skipped', '1.5': 'not run', 'D.x': 'covered' });
    assert.deepEqual(m.untagged, ['test/integration/d.test.ts']);
    assert.deepEqual(m.unknown, [{ file: 'test/integration/c.test.ts', id: '9.9' }]);
    const row11 = m.rows.find((r) => r.item.id === '1.1')!;
    assert.deepEqual(row11.files, [
      { file: 'test/unit/a.test.ts', pass: 2, fail: 0, skip: 1 },
      { file: 'test/unit/b.test.ts', pass: 0, fail: 1, skip: 0 },
    ]);
    assert.deepEqual(row11.last, { date: meta.date, commit: meta.commit });

    const md = renderMatrix(m, { generatedAt: meta.date, commit: meta.commit, sources: ['r.xml'], isDesign: (id) => id.startsWith('D.') });
    const line = (id: string) => md.split('\n').find((l) => l.startsWith(`| ${id} |`)) ?? '';
    assert.match(line('1.3'), /\*\*NOT COVERED\*\* \(no test\) \| - \| not run \|$/);
    assert.match(line('1.2'), /\*\*FAILING\*\*/);
    assert.match(line('1.4'), /\*\*NOT COVERED\*\* \(skipped\)/);
    assert.match(line('1.5'), /\*\*NOT COVERED\*\* \(not run\)/);
    assert.match(line('D.x'), /\| covered \| `test\/unit\/a.test.ts` \(2\/0\/1\) \| 2026-12-01 03:00 UTC, abc1234 \|$/);
    assert.match(md, /PRD steps: \*\*0 of 5 covered\*\* by passing tests; not covered: 1\.1 \(failing\), 1\.2 \(failing\), 1\.3 \(no test\), 1\.4 \(skipped\), 1\.5 \(not run\)\./);
    assert.match(md, /## Failing tests\n\n- `test\/unit\/b.test.ts` suite & <x> > fails \(2026-12-01 03:00 UTC, abc1234\): 1 == 2/);
    assert.match(md, /## Unknown ids in trace lines\n\n- `test\/integration\/c.test.ts`: 9\.9/);
  });

  it('keeps the last result per file: a later run of one file replaces its results only; older reports do not overwrite newer', () => {
    const first = mergeResults([], parseJunit(junit, ROOT), meta);
    const rerun = parseJunit(junit.replace(/<testcase name="fails"[\s\S]*?<\/testcase>/, '<testcase name="fails" classname="s" file="/repo/dist/test/unit/b.test.js"/>'), ROOT).filter((r) => r.file === 'test/unit/b.test.ts');
    const later = { date: '2026-12-01T04:00:00.000Z', commit: 'def5678' };
    const merged = mergeResults(first, rerun, later);
    assert.deepEqual(merged.filter((r) => r.file === 'test/unit/b.test.ts').map((r) => [r.outcome, r.commit]), [['pass', 'def5678']]);
    assert.equal(merged.filter((r) => r.file === 'test/unit/a.test.ts' && r.commit === 'abc1234').length, 3);
    const stale = mergeResults(merged, parseJunit(junit, ROOT), meta);
    assert.deepEqual(stale.filter((r) => r.file === 'test/unit/b.test.ts').map((r) => r.outcome), ['pass'], 'an older report does not replace a newer result');
    const pruned = mergeResults(merged, [], later, new Set(['test/unit/a.test.ts']));
    assert.ok(pruned.every((r: ResultRecord) => r.file === 'test/unit/a.test.ts'), 'results of deleted test files are dropped');
  });

  it('lists every PRD step 1.1 ... 8.2 once, and the ids are unique', () => {
    assert.deepEqual(PRD_STEPS.map((s) => s.id), ['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '2.1', '2.2', '2.3', '2.4', '3.1', '3.2', '3.3', '3.4', '3.5', '4.1', '4.2', '4.3', '4.4', '5.1', '5.2', '5.3', '6.1', '6.2', '7.1', '7.2', '8.1', '8.2']);
    assert.equal(new Set(TRACE_ITEMS.map((i) => i.id)).size, TRACE_ITEMS.length);
  });

  it('`sda trace` writes TRACEABILITY.md from a report: the uncovered steps named, exit 1 with --strict', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-trace-'));
    try {
      const root = projectRoot();
      const report = path.join(dir, 'r.xml');
      fs.writeFileSync(report, junit.replaceAll('/repo/', `${root}/`).replaceAll('dist/test/unit/a.test.js', 'dist/test/unit/trace.test.js'));
      const out = path.join(dir, 'TRACEABILITY.md');
      const run = (extra: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile(process.execPath, [path.join(root, 'dist', 'cli', 'sda.js'), 'trace', '--results', report, '--out', out, '--commit', 'test123', ...extra], { env: { ...process.env, SDA_CACHE_DIR: dir } }, (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          );
        });
      const r = await run([]);
      assert.equal(r.code, 0, r.stderr);
      const md = fs.readFileSync(out, 'utf8');
      // trace.test.ts traces 8.2 and passed in the report; 1.1 is traced by files that have no results in it.
      assert.match(md, /\| 8\.2 \|[^\n]*\| covered \| `test\/unit\/trace.test.ts` \(2\/0\/1\) \| [^|]*, test123 \|/);
      assert.match(md, /\| 4\.4 \|[^\n]*\*\*NOT COVERED\*\*/);
      assert.match(r.stdout, /not covered \(.*1\.1 /);
      assert.ok(fs.existsSync(path.join(dir, 'artifacts', 'trace-results.json')));
      assert.equal((await run(['--strict'])).code, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
