// The project's own rules for its Kubernetes manifests, checked on the rendered documents (pure: no tools, no I/O).
// kubernetes-validate checks each resource against the API's schema; these check what a schema cannot see: that the
// resources fit together (selectors, names, ports) and fit the pipeline (replicas <= partitions, the metrics ports
// of platform/config.ts, the topics of platform/kafka/topics.ts).
import { ConfigError, loadConfig } from '../../platform/config.js';
import { TOPICS } from '../../platform/kafka/topics.js';

interface Ref {
  name: string;
  key?: string;
  optional?: boolean;
}
interface Port {
  name?: string;
  containerPort?: number;
  port?: number;
  number?: number;
  targetPort?: number | string;
}
interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
interface Container {
  name?: string;
  args?: string[];
  ports?: Port[];
  resources?: { requests?: { cpu?: string; memory?: string } };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  envFrom?: Array<{ configMapRef?: Ref; secretRef?: Ref }>;
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: Ref; configMapKeyRef?: Ref } }>;
}
interface IngressPath {
  path?: string;
  backend?: { service?: { name?: string; port?: { name?: string; number?: number } } };
}
/** The fields of the kinds these rules read (Deployment, Job, Service, PDB, HPA, ScaledObject, Ingress, KafkaTopic). */
interface Spec {
  replicas?: number;
  /** A Service's label map, or a workload's or PDB's { matchLabels }. */
  selector?: { matchLabels?: Record<string, string>; [label: string]: string | Record<string, string> | undefined };
  template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Container[] } };
  ports?: Port[];
  scaleTargetRef?: { kind?: string; name?: string };
  maxReplicas?: number;
  maxReplicaCount?: number;
  rules?: Array<{ http?: { paths?: IngressPath[] } }>;
  topicName?: string;
  partitions?: number;
  config?: Record<string, string | number>;
}

/** One parsed Kubernetes document (the rendered output of `kubectl kustomize`). */
export type K8sDoc = { apiVersion?: string; kind?: string; metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Spec; data?: Record<string, string>; stringData?: Record<string, string> };

/** The annotation that names a consumer Deployment's input topic: its replicas may not exceed the topic's partitions. */
export const INPUT_TOPIC_ANNOTATION = 'sda.dev/input-topic';
/** The annotation that exempts a container from HTTP probes; its value says why (it must not be empty). */
export const NO_PROBE_ANNOTATION = 'sda.dev/no-http-probe';

/** `sda process NAME` roles and the platform/config.ts port each serves GET /metrics on. */
export function metricsPortOf(role: string, config: ReturnType<typeof loadConfig>): number | undefined {
  const ports: Record<string, number> = {
    'postgres-sink': config.metricsPorts.postgresSink,
    windower: config.metricsPorts.windower,
    'features-sink': config.metricsPorts.featuresSink,
    forecaster: config.metricsPorts.forecaster,
    'forecasts-sink': config.metricsPorts.forecastsSink,
    dispatcher: config.dispatchMetricsPorts.dispatcher,
    'dispatch-sink': config.dispatchMetricsPorts.dispatchSink,
  };
  return ports[role];
}

const id = (d: K8sDoc) => `${d.kind}/${d.metadata?.name}`;
const ofKind = (docs: K8sDoc[], kind: string) => docs.filter((d) => d.kind === kind);
const matches = (selector: Record<string, unknown> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** A pod-owning workload's pod template, whatever its kind. */
function podSpec(d: K8sDoc): { labels: Record<string, string>; spec: { containers?: Container[] } } | undefined {
  if (d.kind === 'Deployment' || d.kind === 'StatefulSet' || d.kind === 'Job') return { labels: d.spec?.template?.metadata?.labels ?? {}, spec: d.spec?.template?.spec ?? {} };
  return undefined;
}

/**
 * The environment the ConfigMaps of the rendered set give the programs (every ConfigMap's data, merged), with a
 * placeholder for each Secret-held variable, so loadConfig() can judge it. Returns {} when there is none.
 */
export function configMapEnv(docs: K8sDoc[]): Record<string, string> {
  return Object.assign({}, ...ofKind(docs, 'ConfigMap').map((c) => c.data ?? {}));
}

/**
 * Checks the rendered documents against the project's rules and returns the problems as sentences naming the
 * resource (empty: all hold). Rules:
 * - every container of a workload requests cpu and memory;
 * - every long-running container (Deployment) has liveness and readiness probes, unless its Deployment carries
 *   NO_PROBE_ANNOTATION with a reason; a probe's named port is one of the container's ports;
 * - a processor's metrics containerPort is the port platform/config.ts gives that role under the ConfigMap's env;
 * - the ConfigMap's env passes loadConfig() (the programs would stop at start-up otherwise);
 * - a consumer Deployment (INPUT_TOPIC_ANNOTATION) has replicas <= its topic's partitions (KafkaTopic spec, else
 *   TOPICS' own partitions, else TOPIC_PARTITIONS), and so does an HPA's or KEDA ScaledObject's maximum for it;
 * - Services, PodDisruptionBudgets select some workload's pods; a Service's named targetPort exists there;
 * - the Ingress routes /forecast and /query to a Service port that exists;
 * - referenced ConfigMaps and Secrets (not marked optional) are in the set; HPA and ScaledObject targets exist.
 */
export function projectProblems(docs: K8sDoc[]): string[] {
  const problems: string[] = [];
  const env = configMapEnv(docs);
  let config: ReturnType<typeof loadConfig> | undefined;
  if (Object.keys(env).length > 0) {
    try {
      config = loadConfig({ ...env, PGPASSWORD: 'placeholder' });
    } catch (err) {
      problems.push(`ConfigMap env is refused by platform/config.ts: ${err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message}`);
    }
  }
  const partitionsDefault = config?.kafka.partitions ?? 3;
  const partitionsOf = (topic: string): number => {
    const cr = ofKind(docs, 'KafkaTopic').find((t) => (t.spec?.topicName ?? t.metadata?.name) === topic);
    if (typeof cr?.spec?.partitions === 'number') return cr.spec.partitions;
    const spec = Object.values(TOPICS).find((t) => t.name === topic) as { partitions?: number } | undefined;
    return spec?.partitions ?? partitionsDefault;
  };
  const workloads = docs.filter((d) => podSpec(d));
  const names = new Set(docs.map(id));

  for (const w of workloads) {
    const pod = podSpec(w)!;
    const annotations = w.metadata?.annotations ?? {};
    for (const c of pod.spec.containers ?? []) {
      const where = `${id(w)} container ${c.name}`;
      const req = c.resources?.requests ?? {};
      if (!req.cpu || !req.memory) problems.push(`${where}: requests no ${!req.cpu ? 'cpu' : 'memory'}`);
      const portNames = new Set((c.ports ?? []).map((p) => p.name).filter(Boolean));
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const port = c[probe]?.httpGet?.port;
        if (typeof port === 'string' && !portNames.has(port)) problems.push(`${where}: ${probe} uses port "${port}", which the container does not name`);
      }
      if (w.kind === 'Deployment' && !(annotations[NO_PROBE_ANNOTATION] ?? '').trim()) {
        if (!c.livenessProbe) problems.push(`${where}: no livenessProbe (or annotate ${NO_PROBE_ANNOTATION} with the reason)`);
        if (!c.readinessProbe) problems.push(`${where}: no readinessProbe (or annotate ${NO_PROBE_ANNOTATION} with the reason)`);
      }
      const args = c.args ?? [];
      if (config && args[0] === 'process' && args[1]) {
        const want = metricsPortOf(args[1], config);
        const metrics = (c.ports ?? []).find((p) => p.name === 'metrics');
        if (want !== undefined && metrics?.containerPort !== want) problems.push(`${where}: metrics containerPort ${metrics?.containerPort ?? '(none)'} but platform/config.ts serves ${args[1]}'s /metrics on ${want}`);
      }
      for (const from of c.envFrom ?? []) {
        const ref = from.configMapRef ?? from.secretRef;
        const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
        if (ref && !ref.optional && !names.has(`${kind}/${ref.name}`)) problems.push(`${where}: envFrom ${kind} ${ref.name} is not in the set`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        const kind = e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
        if (!ref || ref.optional) continue;
        const target = docs.find((d) => d.kind === kind && d.metadata?.name === ref.name);
        if (!target) problems.push(`${where}: ${e.name} refers to ${kind} ${ref.name}, which is not in the set`);
        else if (ref.key !== undefined && !(ref.key in { ...(target.data ?? {}), ...(target.stringData ?? {}) })) problems.push(`${where}: ${e.name} refers to key ${ref.key} that ${kind} ${ref.name} lacks`);
      }
    }
    const topic = annotations[INPUT_TOPIC_ANNOTATION];
    if (topic && w.kind === 'Deployment') {
      const replicas = w.spec?.replicas ?? 1;
      const parts = partitionsOf(topic);
      if (replicas > parts) problems.push(`${id(w)}: ${replicas} replicas but ${topic} has ${parts} partitions (members beyond that idle)`);
    }
  }

  const scalerTarget = (d: K8sDoc): string | undefined => d.spec?.scaleTargetRef?.name;
  for (const s of [...ofKind(docs, 'HorizontalPodAutoscaler'), ...ofKind(docs, 'ScaledObject')]) {
    const target = workloads.find((w) => w.kind === (s.spec?.scaleTargetRef?.kind ?? 'Deployment') && w.metadata?.name === scalerTarget(s));
    if (!target) {
      problems.push(`${id(s)}: scales ${scalerTarget(s)}, which is not in the set`);
      continue;
    }
    const topic = target.metadata?.annotations?.[INPUT_TOPIC_ANNOTATION];
    const max = s.kind === 'ScaledObject' ? (s.spec?.maxReplicaCount ?? 100) : s.spec?.maxReplicas;
    if (topic && typeof max === 'number' && max > partitionsOf(topic)) problems.push(`${id(s)}: up to ${max} replicas of ${id(target)} but ${topic} has ${partitionsOf(topic)} partitions`);
  }

  for (const d of [...ofKind(docs, 'Service'), ...ofKind(docs, 'PodDisruptionBudget')]) {
    const selector = d.kind === 'Service' ? d.spec?.selector : d.spec?.selector?.matchLabels;
    const selected = workloads.filter((w) => matches(selector, podSpec(w)!.labels));
    if (selected.length === 0) {
      problems.push(`${id(d)}: its selector matches no workload's pods`);
      continue;
    }
    if (d.kind === 'Service') {
      for (const p of d.spec?.ports ?? []) {
        if (typeof p.targetPort !== 'string') continue;
        const has = selected.some((w) => (podSpec(w)!.spec.containers ?? []).some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort)));
        if (!has) problems.push(`${id(d)}: targetPort "${p.targetPort}" is named by no container it selects`);
      }
    }
  }

  const ingresses = ofKind(docs, 'Ingress');
  if (ingresses.length > 0) {
    const routes = ingresses.flatMap((i) => (i.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []));
    for (const want of ['/forecast', '/query']) {
      const route = routes.find((p) => p.path === want);
      if (!route) {
        problems.push(`Ingress: no route for ${want}`);
        continue;
      }
      const svc = ofKind(docs, 'Service').find((s) => s.metadata?.name === route.backend?.service?.name);
      const port = route.backend?.service?.port;
      if (!svc) problems.push(`Ingress ${want}: backend Service ${route.backend?.service?.name} is not in the set`);
      else if (!(svc.spec?.ports ?? []).some((p) => (port?.name !== undefined ? p.name === port.name : p.port === port?.number))) problems.push(`Ingress ${want}: Service ${svc.metadata?.name} has no port ${port?.name ?? port?.number}`);
    }
  }
  return problems;
}

/**
 * KafkaTopic resources compared with platform/kafka/topics.ts TOPICS: every topic the pipeline uses has one, with
 * the same cleanup policy and retention, and partitions equal to its own (or `partitions`, TOPIC_PARTITIONS).
 * Returns the differences as sentences (empty: they agree). An empty list of KafkaTopics is itself one problem.
 */
export function topicDifferences(docs: K8sDoc[], partitions: number): string[] {
  const crs = ofKind(docs, 'KafkaTopic');
  if (crs.length === 0) return ['no KafkaTopic resources in the set'];
  const out: string[] = [];
  for (const spec of Object.values(TOPICS) as Array<{ name: string; cleanupPolicy: string; retentionMs: number; partitions?: number }>) {
    const cr = crs.find((t) => (t.spec?.topicName ?? t.metadata?.name) === spec.name);
    if (!cr) {
      out.push(`${spec.name}: no KafkaTopic`);
      continue;
    }
    const want = spec.partitions ?? partitions;
    if (cr.spec?.partitions !== want) out.push(`${spec.name}: ${cr.spec?.partitions} partitions, the pipeline creates ${want}`);
    if (cr.spec?.config?.['cleanup.policy'] !== spec.cleanupPolicy) out.push(`${spec.name}: cleanup.policy ${cr.spec?.config?.['cleanup.policy']}, the pipeline uses ${spec.cleanupPolicy}`);
    if (Number(cr.spec?.config?.['retention.ms']) !== spec.retentionMs) out.push(`${spec.name}: retention.ms ${cr.spec?.config?.['retention.ms']}, the pipeline uses ${spec.retentionMs}`);
  }
  for (const cr of crs) {
    const name = cr.spec?.topicName ?? cr.metadata?.name;
    if (!Object.values(TOPICS).some((t) => t.name === name)) out.push(`${name}: a KafkaTopic for a topic the pipeline does not use`);
  }
  return out;
}
