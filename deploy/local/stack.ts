// The local stack without Docker: PostgreSQL, Kafka (KRaft), Apicurio Registry and Prometheus, installed on
// first use into .cache/, started on loopback, health-checked; then migrations, topics and schemas.
import fs from 'node:fs';
import type { Config } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import { createPool } from '../../platform/postgres/pool.js';
import { MigrationError, migrate } from '../../platform/postgres/migrate.js';
import { provision } from '../../platform/kafka/provision.js';
import { KafkaService } from './kafka.js';
import { PostgresService } from './postgres.js';
import { PrometheusService } from './prometheus.js';
import { RegistryService } from './registry.js';
import { type Health, type LocalService, StackError, stackPaths } from './service.js';

export const SERVICE_NAMES = ['postgres', 'kafka', 'schema-registry', 'prometheus'] as const;

/** In start order: the registry stores its schemas in PostgreSQL. */
export function services(config: Config): LocalService[] {
  const paths = stackPaths(config);
  return [new PostgresService(config, paths), new KafkaService(config, paths), new RegistryService(config, paths), new PrometheusService(config, paths)];
}

function pick(config: Config, only?: string[]): LocalService[] {
  const all = services(config);
  if (!only || only.length === 0) return all;
  const unknown = only.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new StackError('SERVICE_UNKNOWN', `unknown service ${unknown.join(', ')}; services are ${SERVICE_NAMES.join(', ')}`);
  return all.filter((s) => only.includes(s.name));
}

export interface UpReport {
  service: string;
  installed: boolean;
  startedMs: number;
}

const log = logger('stack');

export async function stackUp(config: Config, opts: { only?: string[]; print?: (line: string) => void } = {}): Promise<{ reports: UpReport[]; migrations: string[]; createdTopics: string[] }> {
  const print = opts.print ?? ((l: string) => process.stderr.write(`${l}\n`));
  const paths = stackPaths(config);
  fs.mkdirSync(paths.logs, { recursive: true });
  const reports: UpReport[] = [];
  for (const svc of pick(config, opts.only)) {
    const progress = (msg: string) => print(`  ${svc.name.padEnd(16)} ${msg}`);
    const t0 = Date.now();
    const installed = await svc.install(progress);
    if (!installed) progress('cached install reused');
    const wasUp = (await svc.health()).up;
    if (!wasUp) progress(`starting on 127.0.0.1:${svc.port}`);
    await svc.start(progress);
    const startedMs = Date.now() - t0;
    progress(`${wasUp ? 'already up' : 'up'} (${(startedMs / 1_000).toFixed(1)} s)`);
    reports.push({ service: svc.name, installed, startedMs });
    log.debug({ service: svc.name, installed, startedMs, port: svc.port }, 'service ready');
  }
  let migrations: string[] = [];
  let createdTopics: string[] = [];
  const names = new Set(reports.map((r) => r.service));
  if (names.has('postgres')) {
    const pool = createPool(config);
    try {
      migrations = await migrate(pool);
    } finally {
      await pool.end();
    }
    print(`  ${'migrations'.padEnd(16)} ${migrations.length ? `applied ${migrations.join(', ')}` : 'up to date'}`);
  }
  if (names.has('kafka') && names.has('schema-registry')) {
    const p = await provision(config, 'sda-stack');
    createdTopics = p.createdTopics;
    print(`  ${'topics+schemas'.padEnd(16)} ${createdTopics.length ? `created ${createdTopics.join(', ')}` : 'topics exist'}; subjects registered (BACKWARD)`);
  }
  return { reports, migrations, createdTopics };
}

/**
 * Migrations, topics and schemas against the configured services, installing and starting nothing: the step a
 * container or Kubernetes deployment runs once before the pipeline (deploy/k8s: the `sda-provision` Job). Idempotent.
 * Throws when PostgreSQL, Kafka or the registry cannot be reached, naming which.
 */
export async function stackProvision(config: Config, print: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<{ migrations: string[]; createdTopics: string[] }> {
  const pool = createPool(config);
  let migrations: string[];
  try {
    migrations = await migrate(pool);
  } catch (err) {
    // An edited or failing migration names its file and keeps its code; only a connection problem needs the address.
    if (err instanceof MigrationError) throw err;
    throw new StackError('POSTGRES_UNAVAILABLE', `cannot apply migrations on PostgreSQL at ${config.postgres.host}:${config.postgres.port}: ${(err as Error).message}`, true, { cause: err });
  } finally {
    await pool.end();
  }
  print(`  ${'migrations'.padEnd(16)} ${migrations.length ? `applied ${migrations.join(', ')}` : 'up to date'}`);
  const p = await provision(config, 'sda-provision');
  print(`  ${'topics+schemas'.padEnd(16)} ${p.createdTopics.length ? `created ${p.createdTopics.join(', ')}` : 'topics exist'}; subjects registered (BACKWARD)`);
  return { migrations, createdTopics: p.createdTopics };
}

export async function stackDown(config: Config, opts: { only?: string[] } = {}): Promise<void> {
  // Stop in reverse order so nothing loses a dependency while still running.
  for (const svc of pick(config, opts.only).reverse()) {
    await svc.stop();
    log.info({ service: svc.name }, 'service stopped');
  }
}

export interface StatusRow extends Health {
  service: string;
  port: number;
}

export async function stackStatus(config: Config): Promise<StatusRow[]> {
  return Promise.all(services(config).map(async (s) => ({ service: s.name, port: s.port, ...(await s.health()) })));
}

export function formatStatus(rows: StatusRow[]): string {
  const lines = rows.map((r) => `${r.service.padEnd(16)} ${String(r.port).padEnd(6)} ${(r.up ? 'up' : 'down').padEnd(5)} ${r.detail}`);
  return [`${'SERVICE'.padEnd(16)} ${'PORT'.padEnd(6)} ${'STATE'.padEnd(5)} DETAIL`, ...lines].join('\n');
}
