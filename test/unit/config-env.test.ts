// trace: D.layout
// Configuration only from the config module (platform/config.ts): a guard over the product sources that fails when
// a file outside the allowed ones reads process.env. Handing the environment on to a child process (`...process.env`,
// `env: process.env`) reads nothing and is allowed anywhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, processSettings, projectRoot, redactConfig } from '../../platform/config.js';
import { sourceFiles } from './source-files.js';

/** Where reading process.env is allowed, and why. A prefix ending in / covers a folder. */
const ALLOWED: Record<string, string> = {
  'platform/config.ts': 'the config module: loadConfig and processSettings',
  'platform/installers/': 'run by bootstrap before dependencies and config exist (PATH, JAVA_HOME, SDA_CACHE_DIR, SDA_NODE_DOWNLOAD, SDA_JDK_FROM_PYPI)',
  'deploy/': 'the local stack and image builds set variables for the processes and containers they start (SDA_JDK_FROM_PYPI, DOCKER_BUILDKIT, GOPATH)',
};

/** Reads of the environment in `text`: process.env.NAME, process.env[...], destructuring `{ ... } = process.env`. */
function envReads(text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*(\*|\/\*)/.test(line)) return; // a doc comment
    const code = line.replace(/\s\/\/.*$|^\s*\/\/.*$/, '');
    if (/process\.env\s*(\.\s*\w|\[)|\}\s*=\s*process\.env\b/.test(code)) found.push(`${i + 1}: ${line.trim().slice(0, 120)}`);
  });
  return found;
}

/** Product sources (test/ and bench/ left out). */
const productSources = () => sourceFiles(['test', 'bench']);

describe('configuration only from platform/config.ts', () => {
  it('the scanner finds reads and lets the environment pass to a child', () => {
    const text = [
      'const a = process.env.LOG_LEVEL;',
      "const b = process.env['MODEL_REGISTRY_DIR'];",
      'const { ERCOT_API_PASSWORD } = process.env;',
      'spawn(cmd, args, { env: { ...process.env, LOG_LEVEL: "warn" } });',
      'spawn(cmd, args, { env: process.env });',
      '// process.env.X in a comment',
      ' * reads process.env.Y (a doc comment)',
      'const c = f(); // not process.env.Z',
    ].join('\n');
    assert.deepEqual(
      envReads(text).map((h) => h.split(':')[0]),
      ['1', '2', '3'],
    );
  });

  it('no product source outside the allowed ones reads process.env', () => {
    const root = projectRoot();
    const files = productSources();
    assert.ok(files.includes('platform/config.ts') && files.length > 100, `scanned ${files.length} files: is the scan looking at the sources?`);
    const allowed = (f: string) => Object.keys(ALLOWED).some((a) => (a.endsWith('/') ? f.startsWith(a) : f === a));
    const offenders = files.filter((f) => !allowed(f)).flatMap((f) => envReads(fs.readFileSync(path.join(root, f), 'utf8')).map((hit) => `${f}:${hit}`));
    assert.deepEqual(offenders, [], 'read the variable in platform/config.ts (loadConfig, or processSettings where no Config is at hand) and pass the value');
  });

  it('each allowed entry still exists (a stale exception is removed, not kept)', () => {
    for (const entry of Object.keys(ALLOWED)) assert.ok(fs.existsSync(path.join(projectRoot(), entry)), `${entry} (${ALLOWED[entry]}) does not exist`);
  });

  it('the variables moved into the config are typed, defaulted and validated by name', () => {
    const c = loadConfig({ MODEL_REGISTRY_DIR: '/srv/models', SDA_LM_VENV: '/opt/venv', SDA_DOCKER_INGRESS_PORT: '25080', SDA_PYTHON: '/usr/bin/python3.11', SDA_RUN_ID: 'nightly-1', ERCOT_API_USERNAME: ' me@example.com ' });
    assert.equal(c.modelRegistryDir, '/srv/models');
    assert.equal(c.llm.venvDir, '/opt/venv');
    assert.equal(c.docker.ingressPort, 25_080);
    assert.equal(c.python, '/usr/bin/python3.11');
    assert.equal(c.runId, 'nightly-1');
    assert.equal(c.ercot.username, 'me@example.com');
    assert.equal(c.gateway.forecastsTopic, undefined, 'unset: the feed uses the catalogue topic');
    const d = loadConfig({});
    assert.equal(d.modelRegistryDir, path.resolve('model_registry'));
    assert.equal(d.llm.venvDir, path.join(d.cacheDir, 'lm-venv'));
    assert.equal(d.docker.ingressPort, 26_080);
    assert.throws(
      () => loadConfig({ LOG_LEVEL: 'loud', SDA_RUN_ID: 'has space', SDA_DOCKER_INGRESS_PORT: 'x' }),
      (err: unknown) => {
        const m = (err as Error).message;
        return /LOG_LEVEL="loud"/.test(m) && /SDA_RUN_ID="has space"/.test(m) && /SDA_DOCKER_INGRESS_PORT="x"/.test(m);
      },
    );
  });

  it('processSettings never throws: a bad LOG_LEVEL or SDA_RUN_ID falls back (loadConfig reports it)', () => {
    assert.deepEqual(processSettings({ LOG_LEVEL: 'loud', SDA_RUN_ID: 'has space' }), { logLevel: 'info', runId: undefined, modelRegistryDir: path.resolve('model_registry'), python: undefined, debug: false });
    assert.equal(processSettings({ LOG_LEVEL: 'warn' }).logLevel, 'warn');
    assert.equal(processSettings({ SDA_DEBUG: '1' }).debug, true);
  });

  it('redactConfig hides the ERCOT secrets', () => {
    const text = JSON.stringify(redactConfig(loadConfig({ ERCOT_API_PASSWORD: 'pw-secret-1', ERCOT_API_SUBSCRIPTION_KEY: 'key-secret-2' })));
    assert.doesNotMatch(text, /pw-secret-1|key-secret-2/);
  });
});
