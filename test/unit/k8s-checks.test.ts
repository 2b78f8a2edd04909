// trace: 5.3, D.kubernetes
// The project's rules for rendered Kubernetes manifests (deploy/k8s/checks.ts), on hand-made documents: no tools.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type K8sDoc, NO_PROBE_ANNOTATION, projectProblems } from '../../deploy/k8s/checks.js';

const labels = { 'app.kubernetes.io/name': 'sda', 'app.kubernetes.io/component': 'windower' };
const probe = { httpGet: { path: '/metrics', port: 'metrics' } };
function windower(over: { replicas?: number; port?: number; probes?: boolean; annotations?: Record<string, string> } = {}): K8sDoc {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'windower', annotations: { 'sda.dev/input-topic': 'market.ticks', ...over.annotations } },
    spec: {
      replicas: over.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'windower',
              args: ['process', 'windower'],
              ports: [{ name: 'metrics', containerPort: over.port ?? 19_102 }],
              envFrom: [{ configMapRef: { name: 'sda-config' } }],
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
              ...(over.probes === false ? {} : { livenessProbe: probe, readinessProbe: probe }),
            },
          ],
        },
      },
    },
  };
}
const configMap: K8sDoc = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sda-config' }, data: { TOPIC_PARTITIONS: '3', METRICS_HOST: '0.0.0.0' } };

describe('deploy/k8s project rules', () => {
  it('accept a consumer within its partitions, with probes, requests and config.ts\'s metrics port', () => {
    assert.deepEqual(projectProblems([configMap, windower()]), []);
  });

  it('refuse more replicas than the input topic has partitions (TOPIC_PARTITIONS when no KafkaTopic says)', () => {
    assert.deepEqual(projectProblems([configMap, windower({ replicas: 4 })]), ['Deployment/windower: 4 replicas but market.ticks has 3 partitions (members beyond that idle)']);
    assert.deepEqual(projectProblems([{ ...configMap, data: { TOPIC_PARTITIONS: '6' } }, windower({ replicas: 4 })]), []);
    const topic: K8sDoc = { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaTopic', metadata: { name: 'market-ticks' }, spec: { topicName: 'market.ticks', partitions: 2 } };
    assert.deepEqual(projectProblems([configMap, topic, windower({ replicas: 3 })]), ['Deployment/windower: 3 replicas but market.ticks has 2 partitions (members beyond that idle)']);
  });

  it('refuse a metrics port other than platform/config.ts gives the role', () => {
    assert.deepEqual(projectProblems([configMap, windower({ port: 9_100 })]), ["Deployment/windower container windower: metrics containerPort 9100 but platform/config.ts serves windower's /metrics on 19102"]);
    assert.deepEqual(projectProblems([{ ...configMap, data: { WINDOWER_METRICS_PORT: '9100' } }, windower({ port: 9_100 })]), []);
  });

  it('refuse a Deployment without probes unless it says why', () => {
    assert.equal(projectProblems([configMap, windower({ probes: false })]).length, 2);
    assert.deepEqual(projectProblems([configMap, windower({ probes: false, annotations: { [NO_PROBE_ANNOTATION]: 'serves no HTTP' } })]), []);
  });

  it('refuse a ConfigMap the programs would refuse, a missing ConfigMap, and a selector matching nothing', () => {
    assert.match(projectProblems([{ ...configMap, data: { TOPIC_PARTITIONS: 'three' } }, windower()])[0] ?? '', /ConfigMap env is refused by platform\/config.ts: TOPIC_PARTITIONS="three"/);
    assert.deepEqual(projectProblems([windower()]), ['Deployment/windower container windower: envFrom ConfigMap sda-config is not in the set']);
    const pdb: K8sDoc = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'gateway' }, spec: { selector: { matchLabels: { 'app.kubernetes.io/component': 'gateway' } } } };
    assert.deepEqual(projectProblems([configMap, windower(), pdb]), ["PodDisruptionBudget/gateway: its selector matches no workload's pods"]);
  });
});
