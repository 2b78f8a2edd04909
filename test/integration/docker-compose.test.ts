// trace: 5.1, 5.2, D.docker
// The pipeline in containers (docker-compose.yml, deploy/docker/): where a Docker engine can run, the images are
// built here (cached: unchanged inputs are not rebuilt), testcontainers' DockerComposeEnvironment brings up
// PostgreSQL, Kafka, the schema registry, provisioning, the sinks, windower, forecaster, gateway and the nginx
// ingress on test-only 127.0.0.1 ports; simulated ticks are published with `sda simulate` from the host; /forecast
// must return a price and /query an answer through the ingress; then everything is torn down with its volumes.
// Where no engine can run (not root, no apt, dockerd refused), docker compose v2 or the images are not built (see
// `prepare` below), or SDA_DOCKER_TEST=0, the test is skipped and the log says why. Ryuk (testcontainers' reaper) is an image from a registry: it is disabled and the test cleans up itself.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImages, ensureComposePlugin, ensureEngine, imageStates, imagesFor } from '../../deploy/docker/images.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';
import { ensureModels, modelPaths } from '../../rag/models.js';
import { config, sda, uniqueName } from './harness.js';

process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

/** Test-only host ports (127.0.0.1), apart from the local stack's, `sda docker up`'s defaults and other helpers'. */
const PORTS = { SDA_DOCKER_INGRESS_PORT: '25080', SDA_DOCKER_KAFKA_PORT: '25092', SDA_DOCKER_REGISTRY_PORT: '25081', SDA_DOCKER_PG_PORT: '25432', SDA_DOCKER_PROMETHEUS_PORT: '25090' };
const INGRESS = `http://127.0.0.1:${PORTS.SDA_DOCKER_INGRESS_PORT}`;
const SERVICES = ['postgres', 'kafka', 'schema-registry', 'provision', 'postgres-sink', 'windower', 'forecaster', 'forecasts-sink', 'gateway', 'ingress'];

const log = (msg: string) => process.stdout.write(`# docker-compose test: ${msg}\n`);

/** Polls `probe` every 2 s until it returns a value; fails naming `what` after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1_000} s waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

describe('docker compose: the pipeline in containers, /forecast and /query through the nginx ingress', () => {
  let skipReason: string | undefined;
  let registry: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: testcontainers is imported lazily, only where an engine runs.
  let environment: any;

  before(async () => {
    if (process.env.SDA_DOCKER_TEST === '0') {
      skipReason = 'SDA_DOCKER_TEST=0';
      return;
    }
    const engine = await ensureEngine(config, log);
    if (!engine.ok) {
      skipReason = `no Docker engine can run here: ${engine.reason}`;
      return;
    }
    // Building docker compose v2 and the images takes minutes: `sda docker install` and `sda docker build --for ...`
    // do it before the tests (.ci/run), so this file stays short. SDA_DOCKER_BUILD=1 lets the test do it itself.
    const mayBuild = process.env.SDA_DOCKER_BUILD === '1';
    const prepare = `sda docker install && sda docker build --for ${SERVICES.join(',')}`;
    try {
      log(`docker compose ${await ensureComposePlugin(config, log, { build: mayBuild })}`);
    } catch (err) {
      skipReason = `${(err as Error).message} (or run: ${prepare}; SDA_DOCKER_BUILD=1 builds in the test)`;
      return;
    }
    const images = imagesFor(SERVICES);
    const notFresh = (await imageStates(config, images)).filter((s) => s.state !== 'fresh');
    if (notFresh.length > 0 && !mayBuild) {
      skipReason = `images not built from the current sources (${notFresh.map((s) => `${s.tag}: ${s.state}`).join(', ')}): run ${prepare} first, or set SDA_DOCKER_BUILD=1`;
      return;
    }
    const t0 = Date.now();
    const reports = await buildImages(config, { only: images, progress: log });
    log(`images ready in ${((Date.now() - t0) / 1_000).toFixed(1)} s: ${reports.map((r) => `${r.tag} ${r.built ? 'built' : 'cached'} ${r.sizeMb.toFixed(0)} MB`).join('; ')}`);
    await ensureModels(config, undefined, log);
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-compose-registry-'));
    await writeRandomModel(registry, { version: 'compose-test', seriesIds: [], horizon: 4, units: 4, seed: 3 });
    // The containers run as an unprivileged user: mkdtemp's folder is 0700, so open it up for reading.
    const readable = async (p: string): Promise<void> => {
      const st = await stat(p);
      await chmod(p, st.isDirectory() ? 0o755 : 0o644);
      if (st.isDirectory()) for (const name of await readdir(p)) await readable(path.join(p, name));
    };
    await readable(registry);
    const { DockerComposeEnvironment } = await import('testcontainers');
    const t1 = Date.now();
    environment = await new DockerComposeEnvironment(config.root, 'docker-compose.yml')
      .withProjectName(uniqueName('sda-compose-test').replace(/[^a-z0-9-]/g, '-'))
      .withEnvironment({ ...PORTS, SDA_MODEL_REGISTRY: registry, SDA_MODELS_DIR: modelPaths(config).dir, PGPASSWORD: 'sda-compose-test' })
      .withStartupTimeout(300_000)
      .up(SERVICES);
    log(`compose up (${SERVICES.length} services) in ${((Date.now() - t1) / 1_000).toFixed(1)} s`);
  });

  after(async () => {
    if (environment) await environment.down({ removeVolumes: true, timeout: 10_000 }).catch((err: Error) => log(`compose down failed: ${err.message}`));
    if (registry) await rm(registry, { recursive: true, force: true });
  });

  it('publishes simulated ticks; the ingress serves a forecast price and a /query answer', async (t) => {
    if (skipReason) {
      log(`SKIPPED: ${skipReason}`);
      t.skip(skipReason);
      return;
    }
    const env = { KAFKA_BROKERS: `127.0.0.1:${PORTS.SDA_DOCKER_KAFKA_PORT}`, SCHEMA_REGISTRY_URL: `http://127.0.0.1:${PORTS.SDA_DOCKER_REGISTRY_PORT}/apis/ccompat/v7` };
    const sim = await sda(['simulate', '--days', '3', '--start', '2024-07-01', '--nodes', 'HB_NORTH,HB_WEST', '--seed', '5'], env);
    assert.equal(sim.code, 0, `sda simulate into the compose Kafka failed: ${sim.stderr.slice(-2_000)}`);

    // Ticks -> windower -> forecaster (the random model in the mounted registry) -> forecasts-sink -> gateway.
    const forecast = await waitFor('a forecast for HB_NORTH through the ingress', 240_000, async () => {
      const res = await fetch(`${INGRESS}/forecast?series=HB_NORTH`, { signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      return (await res.json()) as { seriesId?: string; steps?: Array<{ p50: number | null }> };
    });
    const p50 = forecast.steps?.[0]?.p50;
    assert.equal(typeof p50, 'number', `the first step has a P50 price: ${JSON.stringify(forecast).slice(0, 300)}`);
    assert.ok(Number.isFinite(p50), 'the price is a finite number');

    // The dashboard (/) comes through the same ingress.
    const page = await fetch(`${INGRESS}/`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);

    // /query: the responder in the gateway container answers from the stored ticks (the sink wrote them).
    const q = 'What was the average price at HB_NORTH on July 2, 2024?';
    const answer = await waitFor('a /query answer through the ingress', 240_000, async () => {
      const res = await fetch(`${INGRESS}/query?q=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(120_000) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
      return (await res.json()) as { answer?: string; sources?: unknown[] };
    });
    assert.equal(typeof answer.answer, 'string');
    assert.ok((answer.answer ?? '').length > 10, `a worded answer: ${JSON.stringify(answer).slice(0, 300)}`);
    assert.match(answer.answer ?? '', /HB_NORTH/, 'the answer names the series asked about');
    assert.match(answer.answer ?? '', /\d+(\.\d+)? \$\/MWh/, 'the answer states a price from the stored ticks');
  });
});
