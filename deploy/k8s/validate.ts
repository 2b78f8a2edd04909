// Offline validation of deploy/k8s: render each kustomization with `kubectl kustomize`, check every resource against
// the Kubernetes API's JSON schemas with PyPI's kubernetes-validate (bundled schemas, no cluster, no network once
// installed), then the project's own rules (checks.ts). No cluster can start on these machines; this is what can be
// checked without one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type K8sDoc, projectProblems, topicDifferences } from './checks.js';
import { SdaError } from '../../platform/errors.js';
import { processSettings } from '../../platform/config.js';

/** The pinned validator (its wheel carries the schemas of Kubernetes 1.x up to 1.37). */
export const KUBERNETES_VALIDATE = 'kubernetes-validate==1.37.0';
/** The API version checked against: the machine's kubectl is 1.32. */
export const KUBERNETES_VERSION = '1.32.0';
/** Kinds that are custom resources of operators (schemas not bundled): rendered, reported as skipped. */
export const CUSTOM_RESOURCE_KINDS = ['Kafka', 'KafkaNodePool', 'KafkaTopic', 'Cluster', 'ScaledObject'];

/** A manifest check that could not run or failed; not retriable. */
export class K8sCheckError extends SdaError<'KUBECTL_MISSING' | 'KUSTOMIZE_FAILED' | 'VALIDATOR_UNAVAILABLE' | 'SCHEMA_CHECK_FAILED'> {}

/** deploy/k8s in this checkout (works from sources and from dist/). */
export function k8sDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parts = here.split(path.sep);
  const distAt = parts.lastIndexOf('dist');
  return distAt >= 0 ? path.join(parts.slice(0, distAt).join(path.sep) || path.sep, 'deploy', 'k8s') : here;
}

/** kubectl's client version ("v1.32.4-..."), or undefined when no kubectl is on PATH. */
export function kubectlVersion(): string | undefined {
  const r = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout).clientVersion?.gitVersion as string | undefined;
  } catch {
    return undefined;
  }
}

/**
 * `kubectl kustomize DIR`: the rendered YAML stream. Throws K8sCheckError KUBECTL_MISSING when there is no kubectl,
 * KUSTOMIZE_FAILED with kubectl's message when the kustomization does not build.
 */
export function renderKustomization(dir: string): string {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new K8sCheckError('KUBECTL_MISSING', 'kubectl is not on PATH: install it (Debian/Ubuntu: the kubernetes apt repository, or a release binary) to render deploy/k8s');
  if (r.status !== 0) throw new K8sCheckError('KUSTOMIZE_FAILED', `kubectl kustomize ${dir} failed: ${(r.stderr || String(r.error)).trim().slice(0, 2_000)}`);
  return r.stdout;
}

export interface Validator {
  python: string;
  /** Seconds the install took in this call; undefined when the venv was already there. */
  installedSeconds?: number;
}

/**
 * The Python venv holding kubernetes-validate, under `<cacheDir>/k8s/venv`: created and installed with pip the first
 * time (about 20 s, 144 MB; needs PyPI), reused after (a marker file names the pinned requirement). Throws
 * K8sCheckError VALIDATOR_UNAVAILABLE, saying what failed, when python3 or pip cannot make it.
 */
export function ensureValidator(cacheDir: string, print: (line: string) => void = () => undefined): Validator {
  const venv = path.join(cacheDir, 'k8s', 'venv');
  const python = path.join(venv, 'bin', 'python');
  const marker = path.join(venv, '.sda-installed');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === KUBERNETES_VALIDATE && fs.existsSync(python)) return { python };
  const t0 = Date.now();
  const host = processSettings().python ?? 'python3';
  print(`creating ${venv} with ${KUBERNETES_VALIDATE} (first time only)`);
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  const mk = spawnSync(host, ['-m', 'venv', venv], { encoding: 'utf8', timeout: 120_000 });
  if (mk.status !== 0) throw new K8sCheckError('VALIDATOR_UNAVAILABLE', `cannot create a Python venv with ${host} -m venv: ${(mk.stderr || String(mk.error)).trim().slice(-500)} (Debian: apt-get install python3-venv)`);
  const pip = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', KUBERNETES_VALIDATE], { encoding: 'utf8', timeout: 300_000 });
  if (pip.status !== 0) {
    fs.rmSync(venv, { recursive: true, force: true });
    throw new K8sCheckError('VALIDATOR_UNAVAILABLE', `pip install ${KUBERNETES_VALIDATE} failed (PyPI unreachable?): ${(pip.stderr || String(pip.error)).trim().slice(-500)}`);
  }
  fs.writeFileSync(marker, `${KUBERNETES_VALIDATE}\n`);
  return { python, installedSeconds: (Date.now() - t0) / 1_000 };
}

export interface SchemaResult {
  kind: string;
  apiVersion: string;
  name: string;
  status: 'valid' | 'invalid' | 'skipped';
  detail: string;
}

/**
 * Every document of a rendered YAML stream checked against the Kubernetes `version` schemas in strict mode (unknown
 * fields are errors) by deploy/k8s/check.py. Returns the parsed documents and one result per document.
 */
export function schemaCheck(python: string, yaml: string, version = KUBERNETES_VERSION): { documents: K8sDoc[]; results: SchemaResult[] } {
  const script = path.join(k8sDir(), 'check.py');
  const r = spawnSync(python, [script, version], { input: yaml, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new K8sCheckError('SCHEMA_CHECK_FAILED', `${script} failed (exit ${r.status}): ${(r.stderr || String(r.error)).trim().slice(-1_000)}`);
  const out = JSON.parse(r.stdout) as { documents: K8sDoc[]; results: SchemaResult[] };
  return out;
}

export interface KustomizationReport {
  /** The kustomization directory, relative to deploy/k8s. */
  dir: string;
  documents: K8sDoc[];
  results: SchemaResult[];
  /** The project's rules (checks.ts); only for complete sets (overlays), empty for a base. */
  problems: string[];
}

export interface ValidationReport {
  kubectl: string;
  validator: Validator;
  reports: KustomizationReport[];
  /** True when no resource is invalid and no rule is broken. */
  ok: boolean;
}

/**
 * Renders and checks each kustomization under `root` (default deploy/k8s): `base` for its schemas, each
 * `overlays/*` for its schemas, the project's rules and its KafkaTopics against TOPICS. Throws K8sCheckError when a
 * tool is missing (KUBECTL_MISSING, VALIDATOR_UNAVAILABLE) or a kustomization does not build (KUSTOMIZE_FAILED).
 */
export function validateK8s(opts: { root?: string; cacheDir: string; print?: (line: string) => void }): ValidationReport {
  const root = opts.root ?? k8sDir();
  const print = opts.print ?? (() => undefined);
  const kubectl = kubectlVersion();
  if (!kubectl) throw new K8sCheckError('KUBECTL_MISSING', 'kubectl is not on PATH: install it to render deploy/k8s (`kubectl kustomize`)');
  const validator = ensureValidator(opts.cacheDir, print);
  const overlays = fs.existsSync(path.join(root, 'overlays')) ? fs.readdirSync(path.join(root, 'overlays')).sort().map((d) => path.join('overlays', d)) : [];
  const reports: KustomizationReport[] = [];
  for (const dir of ['base', ...overlays]) {
    const yaml = renderKustomization(path.join(root, dir));
    const { documents, results } = schemaCheck(validator.python, yaml);
    let problems: string[] = [];
    if (dir !== 'base') {
      const partitions = Number(Object.assign({}, ...documents.filter((d) => d.kind === 'ConfigMap').map((d) => d.data ?? {})).TOPIC_PARTITIONS ?? 3);
      problems = [...projectProblems(documents), ...topicDifferences(documents, partitions).map((t) => `KafkaTopic ${t}`)];
    }
    reports.push({ dir, documents, results, problems });
  }
  const ok = reports.every((r) => r.problems.length === 0 && r.results.every((x) => x.status !== 'invalid'));
  return { kubectl, validator, reports, ok };
}

/** The report as lines for people: per kustomization, counts, every invalid resource and broken rule, what was skipped. */
export function formatReport(report: ValidationReport): string {
  const lines = [`kubectl ${report.kubectl}; ${KUBERNETES_VALIDATE} against Kubernetes ${KUBERNETES_VERSION} (strict)`];
  for (const r of report.reports) {
    const count = (s: string) => r.results.filter((x) => x.status === s).length;
    lines.push(`${r.dir}: ${r.documents.length} resources: ${count('valid')} valid, ${count('invalid')} invalid, ${count('skipped')} skipped (no bundled schema)`);
    for (const x of r.results.filter((x) => x.status === 'invalid')) lines.push(`  INVALID ${x.kind}/${x.name}: ${x.detail}`);
    const skipped = [...new Set(r.results.filter((x) => x.status === 'skipped').map((x) => `${x.kind} (${x.apiVersion})`))];
    if (skipped.length) lines.push(`  skipped, custom resources whose operators' schemas are not bundled: ${skipped.join(', ')}`);
    for (const p of r.problems) lines.push(`  RULE ${p}`);
  }
  lines.push(report.ok ? 'ok' : 'FAILED: fix the resources above');
  return lines.join('\n');
}
