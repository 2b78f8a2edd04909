// The demo's deployment and traceability step: the Kubernetes manifests rendered and checked offline (no cluster can
// start here), and where the requirements stand in the last test results (`sda trace`). Prints; never fails the demo.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../platform/config.js';
import { type ResultRecord, buildMatrix } from '../trace/matrix.js';
import { TRACE_ITEMS } from '../trace/requirements.js';
import { scanTestTags } from './trace.js';

/** Runs `sda k8s validate` in a child process (its tools run synchronously; the demo's consumers must keep beating). */
function validateInChild(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [fileURLToPath(new URL('./sda.js', import.meta.url)), 'k8s', 'validate'], { timeout: 600_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: `${stderr}${stdout}`.trim() });
    });
  });
}

/**
 * Prints `sda k8s validate`'s report (or why it cannot run: no kubectl, no PyPI for the validator's first install),
 * then the coverage of the PRD steps and design items from `.cache/artifacts/trace-results.json` when `sda trace`
 * has run. Resolves with whether the manifests validated (undefined when they could not be checked).
 */
export async function demoDeployStep(config: Config, print: (line: string) => void): Promise<boolean | undefined> {
  const v = await validateInChild();
  for (const line of v.output.split('\n')) print(`  ${line.replace(/^sda: /, 'Kubernetes manifests not checked: ')}`);
  print('  (no cluster starts on this machine; deploy/k8s/README.md has the minikube steps)');
  const ok = v.code === 0 ? true : /\nFAILED: /.test(`\n${v.output}`) ? false : undefined;
  const state = path.join(config.cacheDir, 'artifacts', 'trace-results.json');
  if (!fs.existsSync(state)) {
    print('  traceability: no test results yet (run `npm test`, then `sda trace`)');
    return ok;
  }
  const results = (JSON.parse(fs.readFileSync(state, 'utf8')) as { results: ResultRecord[] }).results;
  const m = buildMatrix(TRACE_ITEMS, scanTestTags(config.root), results);
  const not = m.rows.filter((r) => r.coverage !== 'covered');
  print(`  traceability (TRACEABILITY.md, from ${results.length} test results): ${m.rows.length - not.length} of ${m.rows.length} requirements covered by passing tests`);
  if (not.length) print(`  not covered: ${not.map((r) => `${r.item.id} (${r.coverage})`).join(', ')}`);
  return ok;
}
