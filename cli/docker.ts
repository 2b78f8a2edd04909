// `sda docker install|build|up|down|status`: the pipeline in containers (deploy/docker/, docker-compose.yml), every
// image built on this machine from a debootstrap Debian base (no image registry needed).
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../platform/config.js';
import { DockerImageError, IMAGES, buildImages, dockerSummary, engineAnswers, ensureComposePlugin, ensureEngine, imagesFor } from '../deploy/docker/images.js';

const progress = (msg: string) => process.stderr.write(`sda docker: ${msg}\n`);

/** Runs `docker compose` (v2) with the project's compose file, output passed through; rejects on a non-zero exit. */
export function compose(config: Config, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['compose', '-f', path.join(config.root, 'docker-compose.yml'), '--project-directory', config.root, ...args], { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker compose ${args.join(' ')} exited ${code}`))));
  });
}

async function engineOrExplain(config: Config): Promise<void> {
  const engine = await ensureEngine(config, progress);
  if (!engine.ok) throw new DockerImageError('DOCKER_ENGINE', `no Docker engine can run here: ${engine.reason}`);
}

export function registerDocker(program: Command): void {
  const docker = program
    .command('docker')
    .description('the pipeline in containers: install and start Docker (Debian docker.io), build the images here from a debootstrap Debian base, run docker-compose.yml');

  docker
    .command('install')
    .description('apt-get install docker.io and debootstrap when missing, start dockerd when no engine answers (root), and the docker compose v2 plugin (built from the Go module proxy when missing)')
    .action(async () => {
      const config = loadConfig();
      await engineOrExplain(config);
      const version = await ensureComposePlugin(config, progress);
      process.stdout.write(`Docker engine answers; docker compose ${version}\n`);
    });

  docker
    .command('build')
    .description(`build the images (default all: ${IMAGES.map((i) => i.name).join(', ')}); unchanged inputs are not rebuilt`)
    .argument('[images...]', 'only these images')
    .option('--for <services>', 'the images these compose services need (comma-separated), instead of naming images')
    .option('--force', 'rebuild even when the inputs did not change')
    .action(async (names: string[], opts: { for?: string; force?: boolean }) => {
      const config = loadConfig();
      await engineOrExplain(config);
      const only = opts.for ? imagesFor(opts.for.split(',').map((s) => s.trim()).filter(Boolean)) : names;
      const t0 = Date.now();
      const reports = await buildImages(config, { only, force: opts.force, progress });
      const rows = reports.map((r) => `${r.tag.padEnd(28)} ${(r.built ? 'built' : 'cached').padEnd(7)} ${r.seconds.toFixed(1).padStart(7)} s ${r.sizeMb.toFixed(0).padStart(6)} MB`);
      process.stdout.write(`${'IMAGE'.padEnd(28)} ${'STATE'.padEnd(7)} ${'TIME'.padStart(9)} ${'SIZE'.padStart(9)}\n${rows.join('\n')}\nimages ready in ${((Date.now() - t0) / 1_000).toFixed(1)} s\n`);
    });

  docker
    .command('up')
    .description('build what is missing, then docker compose up -d --wait (all services, or the named ones and what they depend on); ingress at 127.0.0.1:26080')
    .argument('[services...]', 'only these compose services')
    .action(async (services: string[]) => {
      const config = loadConfig();
      await engineOrExplain(config);
      await ensureComposePlugin(config, progress);
      await buildImages(config, { only: services.length ? imagesFor([...services, 'postgres', 'kafka', 'schema-registry']) : [], progress });
      await compose(config, ['up', '-d', '--wait', ...services]);
      process.stdout.write(`up: dashboard, /forecast and /query at http://127.0.0.1:${config.docker.ingressPort}/\n`);
    });

  docker
    .command('down')
    .description('docker compose down (containers and network; volumes kept unless --volumes)')
    .option('--volumes', 'also remove the named volumes (PostgreSQL, Kafka, Prometheus data)')
    .action(async (opts: { volumes?: boolean }) => {
      const config = loadConfig();
      await compose(config, ['down', ...(opts.volumes ? ['-v'] : [])]);
    });

  docker
    .command('status')
    .description('each image and whether it is built from the current sources, then docker compose ps (containers, state, health)')
    .action(async () => {
      const config = loadConfig();
      process.stdout.write(`${(await dockerSummary(config)).join('\n')}\n`);
      if (await engineAnswers()) await compose(config, ['ps']);
    });
}
