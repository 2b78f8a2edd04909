// The demo's deployment and traceability step: the Kubernetes manifests rendered and checked offline (no cluster can
// start here), and where the requirements stand in the last test results (`sda trace`). Prints; never fails the demo.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { formatReport, validateK8s } from '../deploy/k8s/validate.js';
import { type ResultRecord, buildMatrix } from '../trace/matrix.js';
import { TRACE_ITEMS } from '../trace/requirements.js';
import { scanTestTags } from './trace.js';

/**
 * Prints `sda k8s validate`'s report (or why it cannot run: no kubectl, no PyPI for the validator's first install),
 * then the coverage of the PRD steps and design items from `.cache/artifacts/trace-results.json` when `sda trace`
 * has run. Returns whether the manifests validated (undefined when they could not be checked).
 */
export function demoDeployStep(config: Config, print: (line: string) => void): boolean | undefined {
  let ok: boolean | undefined;
  try {
    const report = validateK8s({ cacheDir: config.cacheDir, print: (l) => print(`  ${l}`) });
    for (const line of formatReport(report).split('\n')) print(`  ${line}`);
    print('  (no cluster starts on this machine; deploy/k8s/README.md has the minikube steps)');
    ok = report.ok;
  } catch (err) {
    print(`  Kubernetes manifests not checked: ${(err as Error).message}`);
  }
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
