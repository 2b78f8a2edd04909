// One typed configuration, read from the environment once and validated at start-up.
// Every bad variable is reported together, each by name with what was expected.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SdaError } from './errors.js';

/** Every bad environment variable at once (code CONFIG_INVALID, not retriable); `problems` names each variable. */
export class ConfigError extends SdaError<'CONFIG_INVALID'> {
  constructor(readonly problems: string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}\nFix the variables above (see README "Configuration") and run again.`);
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    return raw;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 1, 65_535);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d+$/.test(raw.trim())) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: expected an integer between ${min} and ${max}`);
      return fallback;
    }
    const value = Number(raw);
    if (value < min || value > max) {
      this.problems.push(`${name}=${raw}: expected an integer between ${min} and ${max}`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
      return fallback;
    }
    return raw as T;
  }

  url(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    try {
      const parsed = new URL(value);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
    } catch {
      this.problems.push(`${name}=${JSON.stringify(value)}: expected an http(s) URL`);
    }
    return value.replace(/\/+$/, '');
  }

  /** The value, or undefined when the variable is unset or empty. */
  optionalString(name: string): string | undefined {
    const raw = this.env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  }

  /** An http(s) URL, or undefined when the variable is unset or empty. */
  optionalUrl(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    return this.url(name, raw);
  }

  brokers(name: string, fallback: string): string[] {
    const list = this.string(name, fallback).split(',').map((s) => s.trim()).filter(Boolean);
    const bad = list.filter((b) => !/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b));
    if (list.length === 0 || bad.length > 0) {
      this.problems.push(`${name}=${JSON.stringify(this.env[name] ?? fallback)}: expected a comma-separated list of host:port`);
    }
    return list;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RUN_ID_RE = /^[\w.-]{1,64}$/;

/**
 * The settings read where no Config is at hand: the logger (modules create theirs when they load), the model
 * registry's default root, the PyTorch trainer's Python and the CLI's error handler (which also runs when loadConfig
 * failed). Never throws: a bad LOG_LEVEL or SDA_RUN_ID falls back here (info; a fresh run id) and loadConfig, which
 * every command calls, reports it by name. Shape: { logLevel, runId (undefined: make one), modelRegistryDir (absolute;
 * relative values resolve against the working directory), python (undefined: search), debug (print stacks) }.
 */
export function processSettings(env: Env = process.env) {
  const logLevel = (LOG_LEVELS as readonly string[]).includes(env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL as LogLevel) : 'info';
  return {
    logLevel,
    runId: env.SDA_RUN_ID !== undefined && RUN_ID_RE.test(env.SDA_RUN_ID) ? env.SDA_RUN_ID : undefined,
    modelRegistryDir: path.resolve(env.MODEL_REGISTRY_DIR || 'model_registry'),
    python: env.SDA_PYTHON || undefined,
    debug: Boolean(env.SDA_DEBUG),
  };
}

/** The repository root, found from this file's place (works from sources and from dist/). */
export function projectRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parts = here.split(path.sep);
  const distAt = parts.lastIndexOf('dist');
  const root = distAt >= 0 ? parts.slice(0, distAt).join(path.sep) : path.resolve(here, '..');
  return root || path.sep;
}

export function loadConfig(env: Env = process.env) {
  const r = new Reader(env);
  const root = projectRoot();
  const cacheDir = path.resolve(root, r.string('SDA_CACHE_DIR', '.cache'));

  const kafkaPort = r.port('KAFKA_PORT', 19_092);
  const controllerPort = r.port('KAFKA_CONTROLLER_PORT', 19_093);
  const registryPort = r.port('REGISTRY_PORT', 18_081);
  const registryManagementPort = r.port('REGISTRY_MANAGEMENT_PORT', 19_001);
  const pgPort = r.port('PGPORT', 55_432);
  const prometheusPort = r.port('PROMETHEUS_PORT', 19_090);
  const gatewayPort = r.port('GATEWAY_PORT', 18_080);

  const early = processSettings(env);
  const config = {
    root,
    cacheDir,
    logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    /** The run id every log line carries (SDA_RUN_ID; unset: the logger makes one). */
    runId: early.runId,
    /** The model registry's root (MODEL_REGISTRY_DIR, default ./model_registry; model/registry.ts registryRoot). */
    modelRegistryDir: early.modelRegistryDir,
    /** The Python with torch for model/gpu (SDA_PYTHON; unset: python3 or /usr/bin/python3, see model/gpu/python.ts). */
    python: early.python,
    kafka: {
      brokers: r.brokers('KAFKA_BROKERS', `127.0.0.1:${kafkaPort}`),
      clientId: r.string('KAFKA_CLIENT_ID', 'sda'),
      port: kafkaPort,
      controllerPort,
      partitions: r.int('TOPIC_PARTITIONS', 3, 1, 1_000),
      heapMb: r.int('KAFKA_HEAP_MB', 1_024, 256, 16_384),
      /** The client library the consume loop runs on: kafkajs, or @platformatic/kafka (platform/kafka/platformatic-consumer.ts). */
      consumerClient: r.oneOf('KAFKA_CONSUMER_CLIENT', 'kafkajs', ['kafkajs', 'platformatic'] as const),
    },
    registry: {
      url: r.url('SCHEMA_REGISTRY_URL', `http://127.0.0.1:${registryPort}/apis/ccompat/v7`),
      port: registryPort,
      managementPort: registryManagementPort,
      heapMb: r.int('REGISTRY_HEAP_MB', 512, 256, 16_384),
    },
    postgres: {
      host: r.string('PGHOST', '127.0.0.1'),
      port: pgPort,
      user: r.string('PGUSER', 'sda'),
      // A secret: read from the environment, never logged. The local cluster is created with it.
      password: r.string('PGPASSWORD', 'sda-local-dev'),
      database: r.string('PGDATABASE', 'sda'),
      registryDatabase: r.string('REGISTRY_PGDATABASE', 'apicurio'),
    },
    prometheus: {
      port: prometheusPort,
    },
    gateway: {
      port: gatewayPort,
      /** Requests a minute per client address (0 = no limit). */
      rateLimitPerMinute: r.int('GATEWAY_RATE_LIMIT_PER_MIN', 1_200, 0, 1_000_000),
      bodyLimitBytes: r.int('GATEWAY_BODY_LIMIT_BYTES', 16_384, 256, 1_048_576),
      sseMaxClients: r.int('GATEWAY_SSE_MAX_CLIENTS', 100, 1, 10_000),
      sseHeartbeatMs: r.int('GATEWAY_SSE_HEARTBEAT_MS', 15_000, 1_000, 300_000),
      /** The topic the live feed (GET /events) reads; unset: the catalogue's forecasts topic (TOPICS.forecasts). */
      forecastsTopic: r.optionalString('GATEWAY_FORECASTS_TOPIC'),
      shutdownGraceMs: r.int('GATEWAY_SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    },
    /** The address processors' GET /metrics listens on: loopback here; 0.0.0.0 in a container or pod (deploy/k8s). */
    metricsHost: r.string('METRICS_HOST', '127.0.0.1'),
    /** Where each processor serves GET /metrics for Prometheus (deploy/prometheus.yml scrapes these). */
    metricsPorts: {
      postgresSink: r.port('POSTGRES_SINK_METRICS_PORT', 19_101),
      windower: r.port('WINDOWER_METRICS_PORT', 19_102),
      featuresSink: r.port('FEATURES_SINK_METRICS_PORT', 19_103),
      forecaster: r.port('FORECASTER_METRICS_PORT', 19_104),
      forecastsSink: r.port('FORECASTS_SINK_METRICS_PORT', 19_105),
    },
    /** Where `sda process dispatcher` and `dispatch-sink` serve GET /metrics (issue 13; scraped like metricsPorts). */
    dispatchMetricsPorts: {
      dispatcher: r.port('DISPATCHER_METRICS_PORT', 19_106),
      dispatchSink: r.port('DISPATCH_SINK_METRICS_PORT', 19_107),
    },
    // Retrieval (issue 7): model files, the vector store, the language model.
    models: {
      dir: path.resolve(cacheDir, r.string('MODELS_DIR', 'models')),
    },
    vector: {
      /** LanceDB's directory, used when QDRANT_URL is unset. */
      dir: path.resolve(root, r.string('VECTOR_DIR', path.join(cacheDir, 'lancedb'))),
      qdrantUrl: r.optionalUrl('QDRANT_URL'),
      // A secret: never logged.
      qdrantApiKey: r.string('QDRANT_API_KEY', ''),
      collection: r.string('VECTOR_COLLECTION', 'market_documents'),
    },
    llm: {
      /** An OpenAI-compatible endpoint (`.../v1`); unset: the local GGUF model through node-llama-cpp. */
      baseUrl: r.optionalUrl('LLM_BASE_URL'),
      // A secret: never logged.
      apiKey: r.string('LLM_API_KEY', ''),
      model: r.string('LLM_MODEL', 'gpt-4o-mini'),
      /** 1 by default: on the 2-core machine 2 llama.cpp threads were 1.5-8x slower than 1 (bench/RESULTS.md). */
      threads: r.int('LLM_THREADS', 1, 1, 256),
      contextSize: r.int('LLM_CONTEXT_SIZE', 2_048, 256, 131_072),
      /** The fine-tuned LoRA adapter for the local model (issue 15): off, latest, a version (v003) or a .gguf path; a missing one falls back to the base model with a warning. */
      adapter: r.string('LLM_ADAPTER', 'off'),
      /** Fine-tuning's working directory: the venv-made base model, the pairs, the adapter registry (adapters/). */
      lmDir: path.resolve(cacheDir, r.string('LM_DIR', 'lm')),
      /** Fine-tuning's Python venv (SDA_LM_VENV, default $SDA_CACHE_DIR/lm-venv; deploy/local/lm-venv.sh creates it). */
      venvDir: path.resolve(r.string('SDA_LM_VENV', path.join(cacheDir, 'lm-venv'))),
    },
    /** `sda docker`: the ingress port docker-compose.yml publishes (SDA_DOCKER_INGRESS_PORT). */
    docker: {
      ingressPort: r.port('SDA_DOCKER_INGRESS_PORT', 26_080),
    },
    /**
     * The ERCOT public API (streams/ercot/client.ts ercotCredentials checks them when ERCOT is used): the
     * subscription key and the password are secrets, never logged. Empty: unset (base/token URL and client id then
     * take ERCOT's public endpoints).
     */
    ercot: {
      subscriptionKey: r.string('ERCOT_API_SUBSCRIPTION_KEY', '').trim(),
      username: r.string('ERCOT_API_USERNAME', '').trim(),
      password: r.string('ERCOT_API_PASSWORD', '').trim(),
      baseUrl: r.string('ERCOT_API_BASE_URL', '').trim(),
      tokenUrl: r.string('ERCOT_TOKEN_URL', '').trim(),
      clientId: r.string('ERCOT_API_CLIENT_ID', '').trim(),
    },
  };
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(config.vector.collection)) r.problems.push(`VECTOR_COLLECTION=${JSON.stringify(config.vector.collection)}: expected 1-64 of A-Z a-z 0-9 _ -`);
  if (env.SDA_RUN_ID !== undefined && env.SDA_RUN_ID !== '' && early.runId === undefined) r.problems.push(`SDA_RUN_ID=${JSON.stringify(env.SDA_RUN_ID)}: expected 1-64 of A-Z a-z 0-9 _ . -`);
  if (env.MODEL_REGISTRY_DIR?.includes('\0')) r.problems.push('MODEL_REGISTRY_DIR: contains a NUL character');
  if (config.gateway.forecastsTopic !== undefined && !/^[A-Za-z0-9._-]{1,249}$/.test(config.gateway.forecastsTopic)) r.problems.push(`GATEWAY_FORECASTS_TOPIC=${JSON.stringify(config.gateway.forecastsTopic)}: expected a topic name (1-249 of A-Z a-z 0-9 . _ -)`);
  if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(config.metricsHost)) r.problems.push(`METRICS_HOST=${JSON.stringify(config.metricsHost)}: expected an address to listen on (127.0.0.1, 0.0.0.0, ::)`);
  if (controllerPort === kafkaPort) r.problems.push(`KAFKA_CONTROLLER_PORT=${controllerPort}: must differ from KAFKA_PORT`);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

export type Config = ReturnType<typeof loadConfig>;

/** The config with secrets replaced, safe to print or log. */
export function redactConfig(config: Config): unknown {
  return {
    ...config,
    postgres: { ...config.postgres, password: '***' },
    vector: { ...config.vector, qdrantApiKey: config.vector.qdrantApiKey ? '***' : '' },
    llm: { ...config.llm, apiKey: config.llm.apiKey ? '***' : '' },
    ercot: { ...config.ercot, subscriptionKey: config.ercot.subscriptionKey ? '***' : '', password: config.ercot.password ? '***' : '' },
  };
}
