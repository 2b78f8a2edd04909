// `sda trace`: the traceability matrix (PRD step 8.2) from the last test results into TRACEABILITY.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { SdaError } from '../platform/errors.js';
import { OptionError } from './options.js';
import { type ResultRecord, buildMatrix, mergeResults, parseJunit, readTags, renderMatrix } from '../trace/matrix.js';
import { TRACE_ITEMS } from '../trace/requirements.js';

/** The test sources whose first line may carry a trace tag: test/unit and test/integration *.test.ts. */
export function scanTestTags(root: string): Map<string, string[] | undefined> {
  const tags = new Map<string, string[] | undefined>();
  for (const dir of ['test/unit', 'test/integration']) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs.readdirSync(abs).filter((f) => f.endsWith('.test.ts')).sort()) tags.set(`${dir}/${f}`, readTags(fs.readFileSync(path.join(abs, f), 'utf8')));
  }
  return tags;
}

function gitCommit(root: string): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description('write the traceability matrix (TRACEABILITY.md): each PRD step and design item -> the test files tagged with its id (a first line `// trace: 2.1, D.windower`) -> their last results (pass/fail/skip, date, commit) from the JUnit report `npm test` writes; a step without a passing test is NOT COVERED')
    .option('--results <files...>', 'JUnit reports from `node --test --test-reporter=junit` (default .cache/artifacts/test-results.xml)')
    .option('--out <file>', 'where to write the matrix', 'TRACEABILITY.md')
    .option('--commit <sha>', 'the commit the results were obtained at (default: the checkout\'s HEAD now)')
    .option('--fresh', 'forget earlier results (.cache/artifacts/trace-results.json) and use only these reports')
    .option('--strict', 'exit 1 when any PRD step or design item is not covered')
    .action((opts: { results?: string[]; out: string; commit?: string; fresh?: boolean; strict?: boolean }) => {
      const config = loadConfig();
      const root = config.root;
      const artifacts = path.join(config.cacheDir, 'artifacts');
      const statePath = path.join(artifacts, 'trace-results.json');
      const reports = opts.results ?? [path.join(artifacts, 'test-results.xml')];
      const commit = opts.commit ?? gitCommit(root);
      const tags = scanTestTags(root);
      let results: ResultRecord[] = [];
      if (!opts.fresh && fs.existsSync(statePath)) results = (JSON.parse(fs.readFileSync(statePath, 'utf8')) as { results: ResultRecord[] }).results;
      const used: string[] = [];
      for (const file of reports) {
        if (!fs.existsSync(file)) {
          if (opts.results) throw new OptionError('--results', `no test report at ${file}: run the tests with --test-reporter=junit --test-reporter-destination=${file}`);
          if (results.length === 0) throw new SdaError('TRACE_NO_RESULTS', `no test results yet: run \`npm test\` (it writes ${file}), or run test files with \`node --test --test-reporter=junit --test-reporter-destination=${file} dist/test/unit/X.test.js\`, then \`sda trace\``);
          process.stderr.write(`sda trace: no report at ${file}; using the earlier results in ${statePath}\n`);
          continue;
        }
        const fresh = parseJunit(fs.readFileSync(file, 'utf8'), root);
        const date = fs.statSync(file).mtime.toISOString();
        results = mergeResults(results, fresh, { date, commit }, new Set(tags.keys()));
        used.push(path.relative(root, file) || file);
        process.stderr.write(`sda trace: ${fresh.length} results from ${file} (${date})\n`);
      }
      fs.mkdirSync(artifacts, { recursive: true });
      fs.writeFileSync(statePath, `${JSON.stringify({ version: 1, results }, null, 1)}\n`);
      const matrix = buildMatrix(TRACE_ITEMS, tags, results);
      const text = renderMatrix(matrix, { generatedAt: new Date().toISOString(), commit, sources: used.length ? used : [path.relative(root, statePath)], isDesign: (id) => id.startsWith('D.') });
      const out = path.resolve(root, opts.out);
      fs.writeFileSync(out, text);
      const count = (c: string) => matrix.rows.filter((r) => r.coverage === c).length;
      const notCovered = matrix.rows.filter((r) => r.coverage !== 'covered');
      process.stdout.write(
        `${out}: ${count('covered')} of ${matrix.rows.length} covered, ${count('failing')} failing, ${notCovered.length - count('failing')} not covered` +
          `${notCovered.length ? ` (${notCovered.map((r) => `${r.item.id} ${r.coverage}`).join(', ')})` : ''}; ${results.length} test results, ${matrix.untagged.length} test files without a trace line` +
          `${matrix.unknown.length ? `; unknown ids: ${matrix.unknown.map((u) => `${u.id} in ${u.file}`).join(', ')}` : ''}\n`,
      );
      if (opts.strict && notCovered.length > 0) process.exitCode = 1;
    });
}
