// trace: 5.3, D.kubernetes
// deploy/k8s validated offline: `kubectl kustomize` renders base and overlays/local, kubernetes-validate (a venv under
// .cache/k8s, made on first use) checks every resource it has a schema for, and the project's rules hold. A copy
// with a wrongly typed field or too many consumer replicas must fail. No cluster starts here (see deploy/k8s/README.md).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoDeployStep } from '../../cli/demo-deploy.js';
import { loadConfig } from '../../platform/config.js';
import { topicDifferences } from '../../deploy/k8s/checks.js';
import { CUSTOM_RESOURCE_KINDS, type ValidationReport, ensureValidator, formatReport, k8sDir, kubectlVersion, validateK8s } from '../../deploy/k8s/validate.js';

const config = loadConfig();
let skip: string | false = false;
let tmp: string;

/** A copy of deploy/k8s in a temporary folder with one text edit in `file` (which must take). */
function mutatedCopy(file: string, from: string | RegExp, to: string): string {
  const root = fs.mkdtempSync(path.join(tmp, 'k8s-'));
  fs.cpSync(k8sDir(), root, { recursive: true, filter: (src) => !src.endsWith('.ts') && !src.endsWith('.js') && !src.endsWith('.map') });
  const target = path.join(root, file);
  const before = fs.readFileSync(target, 'utf8');
  const after = before.replace(from, to);
  assert.notEqual(after, before, `the edit of ${file} did not apply`);
  fs.writeFileSync(target, after);
  return root;
}

const overlay = (r: ValidationReport) => {
  const o = r.reports.find((x) => x.dir === path.join('overlays', 'local'));
  assert.ok(o, 'overlays/local was rendered');
  return o;
};

describe('Kubernetes manifests (deploy/k8s), offline', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-k8s-'));
    if (!kubectlVersion()) {
      skip = 'kubectl is not on PATH, so deploy/k8s cannot be rendered here';
      return;
    }
    try {
      const v = ensureValidator(config.cacheDir, (l) => console.log(l));
      if (v.installedSeconds !== undefined) console.log(`kubernetes-validate venv installed in ${v.installedSeconds.toFixed(1)} s (cold)`);
    } catch (err) {
      skip = `the kubernetes-validate venv cannot be made: ${(err as Error).message}`;
    }
    if (skip) console.log(`SKIPPED: ${skip}`);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('renders base and overlays/local; every resource with a bundled schema is valid, the custom resources are named as skipped, the project rules hold', (t) => {
    if (skip) return t.skip(skip);
    const report = validateK8s({ cacheDir: config.cacheDir });
    console.log(formatReport(report));
    assert.equal(report.ok, true, formatReport(report));
    const local = overlay(report);
    const kinds = (s: string) => new Set(local.results.filter((x) => x.status === s).map((x) => x.kind));
    assert.deepEqual([...kinds('skipped')].sort(), [...CUSTOM_RESOURCE_KINDS].sort(), 'exactly the operators\' kinds are skipped');
    for (const k of kinds('skipped')) assert.ok(!kinds('valid').has(k));
    const has = (kind: string, name: string) => local.documents.some((d) => d.kind === kind && (d.metadata?.name === name || d.metadata?.name?.startsWith(`${name}-`)));
    for (const name of ['gateway', 'forecaster', 'windower', 'postgres-sink', 'features-sink', 'forecasts-sink', 'dispatcher', 'dispatch-sink', 'vector-sink', 'summarizer', 'schema-registry']) assert.ok(has('Deployment', name), `Deployment ${name}`);
    for (const [kind, name] of [['Service', 'gateway'], ['Service', 'forecaster'], ['Ingress', 'sda'], ['ConfigMap', 'sda-config'], ['Secret', 'sda-postgres-credentials'], ['PodDisruptionBudget', 'gateway'], ['HorizontalPodAutoscaler', 'gateway'], ['ScaledObject', 'windower'], ['Kafka', 'sda-kafka'], ['Cluster', 'sda-postgres'], ['Job', 'sda-provision']] as const) assert.ok(has(kind, name), `${kind} ${name}`);
    assert.ok(local.documents.every((d) => d.kind === 'Namespace' || (d.metadata as { namespace?: string } | undefined)?.namespace === 'sda'), 'everything in namespace sda');
  });

  it('fails a copy whose gateway containerPort is a string instead of an integer, naming the resource and the field', (t) => {
    if (skip) return t.skip(skip);
    const root = mutatedCopy('base/gateway.yaml', 'containerPort: 18080', 'containerPort: "18080"');
    const report = validateK8s({ root, cacheDir: config.cacheDir });
    assert.equal(report.ok, false);
    const bad = overlay(report).results.filter((x) => x.status === 'invalid');
    assert.deepEqual(bad.map((x) => `${x.kind}/${x.name}`), ['Deployment/gateway']);
    assert.match(bad[0]!.detail, /containers\.0\.ports\.0\.containerPort: '18080' is not of type 'integer'/);
    assert.match(formatReport(report), /INVALID Deployment\/gateway/);
  });

  it('fails a copy with a field Kubernetes does not know (strict schemas)', (t) => {
    if (skip) return t.skip(skip);
    const root = mutatedCopy('base/ingress.yaml', 'ingressClassName: nginx', 'ingressClassName: nginx\n  ingressClass: nginx');
    const report = validateK8s({ root, cacheDir: config.cacheDir });
    assert.equal(report.ok, false);
    assert.deepEqual(overlay(report).results.filter((x) => x.status === 'invalid').map((x) => `${x.kind}/${x.name}`), ['Ingress/sda']);
  });

  it('fails a copy whose windower has more replicas than market.ticks has partitions, and a KEDA maximum above them', (t) => {
    if (skip) return t.skip(skip);
    const root = mutatedCopy('base/processors.yaml', /(name: windower\n[\s\S]*?replicas: )1/, '$14');
    fs.writeFileSync(path.join(root, 'components/keda-lag/windower-scaledobject.yaml'), fs.readFileSync(path.join(root, 'components/keda-lag/windower-scaledobject.yaml'), 'utf8').replace('maxReplicaCount: 3', 'maxReplicaCount: 6'));
    const report = validateK8s({ root, cacheDir: config.cacheDir });
    assert.equal(report.ok, false);
    const problems = overlay(report).problems;
    assert.ok(problems.includes('Deployment/windower: 4 replicas but market.ticks has 3 partitions (members beyond that idle)'), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('ScaledObject/windower: up to 6 replicas')), problems.join('\n'));
    assert.ok(overlay(report).results.every((x) => x.status !== 'invalid'), 'the schemas alone cannot see it');
  });

  it('the demo step prints the validation report and where the requirements stand', async (t) => {
    if (skip) return t.skip(skip);
    const lines: string[] = [];
    assert.equal(await demoDeployStep(config, (l) => lines.push(l)), true);
    const text = lines.join('\n');
    assert.match(text, /overlays\/local: \d+ resources: \d+ valid, 0 invalid, 11 skipped/);
    assert.match(text, /no cluster starts on this machine/);
    assert.match(text, /traceability: no test results yet|traceability \(TRACEABILITY.md, from \d+ test results\): \d+ of \d+ requirements covered/);
  });

  it('has a KafkaTopic for each topic of platform/kafka/topics.ts, with its partitions, cleanup policy and retention', (t) => {
    if (skip) return t.skip(skip);
    const local = overlay(validateK8s({ cacheDir: config.cacheDir }));
    assert.deepEqual(topicDifferences(local.documents, 3), []);
    const withoutTicks = local.documents.filter((d) => !(d.kind === 'KafkaTopic' && d.spec?.topicName === 'market.ticks'));
    assert.deepEqual(topicDifferences(withoutTicks, 3), ['market.ticks: no KafkaTopic']);
  });
});
