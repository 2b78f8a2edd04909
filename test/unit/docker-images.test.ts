// trace: 5.1, 5.2, D.docker
// What the Docker images rely on, checked without an engine: the production image's CLI loads with production
// dependencies alone (no dev dependency reached by a static import from dist/cli/sda.js), every file a Dockerfile
// COPYs from its context is among the inputs `sda docker build` stages, and every published compose port is on
// 127.0.0.1 outside Linux's ephemeral range.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import { IMAGES, imagesFor } from '../../deploy/docker/images.js';

const root = projectRoot();

/** Static import specifiers of a compiled ES module (`import x from`, `import 'x'`, `export ... from`; not `import(`). */
function staticImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|[\n;])\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/g)) out.push(m[1]!);
  return out;
}

/** The package name of a bare specifier ('@scope/pkg/sub' -> '@scope/pkg'), or undefined for relative/node: ones. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

describe('docker images: what the image build relies on', () => {
  it('the CLI reaches no dev dependency through static imports (the app image prunes them)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    const dev = new Set(Object.keys(pkg.devDependencies ?? {}));
    const seen = new Map<string, string>();
    const offenders: string[] = [];
    const visit = (file: string, from: string) => {
      if (seen.has(file)) return;
      seen.set(file, from);
      for (const spec of staticImports(fs.readFileSync(file, 'utf8'))) {
        const name = packageOf(spec);
        if (name === undefined) {
          if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec), file);
        } else if (dev.has(name)) {
          offenders.push(`${path.relative(root, file)} imports ${name} (via ${path.relative(root, from)})`);
        }
      }
    };
    visit(path.join(root, 'dist', 'cli', 'sda.js'), 'dist/cli/sda.js');
    assert.ok(seen.size > 50, `walked the CLI's module graph (${seen.size} files)`);
    assert.deepEqual(offenders, [], 'import these lazily (await import) inside the command that needs them');
  });

  it('the parser sees static imports and not dynamic ones', () => {
    const src = "import a from 'pkg-a';\nimport {\n  b,\n  c,\n} from '@s/pkg-b/sub';\nimport './side.js';\nexport { d } from './d.js';\nconst e = await import('pkg-e');";
    assert.deepEqual(staticImports(src), ['pkg-a', '@s/pkg-b/sub', './side.js', './d.js']);
    assert.equal(packageOf('@s/pkg-b/sub'), '@s/pkg-b');
    assert.equal(packageOf('node:fs'), undefined);
  });

  it("every COPY from a Dockerfile's context is among the image's staged inputs", () => {
    for (const spec of IMAGES) {
      const inputs = typeof spec.inputs === 'function' ? spec.inputs(root) : spec.inputs;
      const text = fs.readFileSync(path.join(root, spec.dockerfile), 'utf8').replace(/\\\n/g, ' ');
      const sources = [...text.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
      assert.ok(sources.length > 0 || spec.name === 'prometheus', `${spec.dockerfile} copies from its context`);
      for (const src of sources) {
        const rel = src.replace(/\/$/, '');
        const covered = rel === '.' || rel === spec.dockerfile || inputs.some((i) => rel === i || rel.startsWith(`${i}/`) || i.startsWith(`${rel}/`));
        assert.ok(covered, `${spec.dockerfile} copies ${src}, which is not among the inputs in deploy/docker/images.ts`);
      }
    }
  });

  it("the app image compiles every source folder the project's build compiles (tsconfig.json), and COPYs each", () => {
    const strip = (t: string) => t.replace(/^\s*\/\/.*$/gm, '');
    const project = (JSON.parse(strip(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'))) as { include: string[] }).include;
    const image = (JSON.parse(strip(fs.readFileSync(path.join(root, 'deploy/docker/tsconfig.image.json'), 'utf8'))) as { include: string[] }).include.map((i) => i.replace(/^\.\.\/\.\.\//, ''));
    const dockerfile = fs.readFileSync(path.join(root, 'deploy/docker/app.Dockerfile'), 'utf8');
    // Tests and the traceability matrix are not part of the product image (bench/rag-eval's test/rag-eval is COPYd apart).
    for (const folder of project.filter((f) => f !== 'test')) {
      if (folder === 'trace') continue;
      assert.ok(image.includes(folder), `deploy/docker/tsconfig.image.json does not compile ${folder}/, which tsconfig.json does`);
      assert.match(dockerfile, new RegExp(`^COPY ${folder}/ ${folder}/$`, 'm'), `deploy/docker/app.Dockerfile does not COPY ${folder}/`);
    }
  });

  it('compose publishes every port on 127.0.0.1 below the ephemeral range, and each built image is one sda docker build makes', () => {
    const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const ports = [...compose.matchAll(/^\s*ports:\s*\[(.+)\]/gm)].map((m) => m[1]!);
    assert.ok(ports.length >= 6, 'the services publish ports');
    for (const p of ports) {
      const m = /^"127\.0\.0\.1:\$\{[A-Z_]+:-(\d+)\}:\d+"$/.exec(p.trim());
      assert.ok(m, `published on 127.0.0.1 with an overridable port: ${p}`);
      assert.ok(Number(m[1]) < 32_768, `default port ${m[1]} is below Linux's ephemeral range`);
    }
    const built = [...compose.matchAll(/^\s*image:\s*(local\/\S+)\s*$/gm)].map((m) => m[1]!);
    assert.ok(built.length >= 6);
    for (const tag of built) assert.ok(IMAGES.some((i) => i.tag === tag), `${tag} is built by sda docker build`);
    assert.deepEqual(imagesFor(['gateway', 'windower', 'schema-registry', 'ingress']).sort(), ['app', 'ingress', 'registry']);
  });
});
