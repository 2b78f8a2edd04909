// PostgreSQL 15 from Debian as a project-owned cluster under .cache/pg, on its own port.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../platform/config.js';
import { aptInstall } from '../../platform/installers/apt.js';
import { InstallError, readPid, run, stopPid, tail } from '../../platform/installers/process.js';
import { type Health, type LocalService, StackError, type StackPaths, logFile } from './service.js';

function pgBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const versions = fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = path.join(base, v, 'bin');
    if (fs.existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

/**
 * Where the cluster lives: `.cache/pg`, unless we are root and the postgres system user cannot reach it (a clone
 * under /root, mode 700); then a directory of its own under /var/lib/postgresql, named after the clone's path.
 */
function serverHome(preferred: string): string {
  if (os.userInfo().uid !== 0) return preferred;
  let probe = preferred;
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  const reachable = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', probe]).status === 0;
  if (reachable) return preferred;
  const tag = createHash('sha256').update(preferred).digest('hex').slice(0, 12);
  return path.join('/var/lib/postgresql', `sda-${tag}`);
}

/** The data directory of the cluster for a given `.cache/pg`. */
export function postgresDataDir(preferred: string): string {
  return path.join(serverHome(preferred), 'data');
}

/** PostgreSQL refuses to run as root; as root we run its tools as the `postgres` system user. */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  if (os.userInfo().uid !== 0) return [cmd, args];
  return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
}

export class PostgresService implements LocalService {
  readonly name = 'postgres';
  private readonly home: string;
  private readonly dataDir: string;
  private readonly socketDir: string;
  private readonly log: string;

  constructor(
    private readonly config: Config,
    private readonly paths: StackPaths,
  ) {
    const home = serverHome(paths.postgres);
    this.home = home;
    this.dataDir = path.join(home, 'data');
    this.socketDir = path.join(home, 'socket');
    // The server writes its own log, so it must sit where the postgres user can write.
    this.log = home === paths.postgres ? logFile(paths, 'postgres') : path.join(home, 'postgres.log');
  }

  get port(): number {
    return this.config.postgres.port;
  }

  async install(progress: (msg: string) => void): Promise<boolean> {
    if (pgBinDir()) return false;
    progress('installing postgresql from Debian');
    await aptInstall(['postgresql']);
    return true;
  }

  /** Creates `target` as a directory unless it is a file, and hands it to the postgres user when we are root. */
  private chownForServer(target: string): void {
    if (!fs.existsSync(target)) fs.mkdirSync(target, { recursive: true });
    if (os.userInfo().uid !== 0) return;
    const uid = Number(fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))?.split(':')[2]);
    if (!Number.isInteger(uid)) throw new InstallError('TOOL_MISSING', 'the postgres system user is missing; reinstall the postgresql package');
    fs.chownSync(target, uid, uid);
  }

  private async initCluster(bin: string, progress: (msg: string) => void): Promise<void> {
    if (fs.existsSync(path.join(this.dataDir, 'PG_VERSION'))) return;
    progress('creating cluster (initdb)');
    if (this.home !== this.paths.postgres) progress(`the postgres user cannot reach ${this.paths.postgres}; the cluster lives in ${this.home}`);
    fs.mkdirSync(this.home, { recursive: true });
    this.chownForServer(this.home);
    this.chownForServer(this.dataDir);
    this.chownForServer(this.socketDir);
    const pwFile = path.join(this.home, '.pw');
    fs.writeFileSync(pwFile, `${this.config.postgres.password}\n`, { mode: 0o600 });
    this.chownForServer(pwFile);
    try {
      const [cmd, args] = asServerUser(path.join(bin, 'initdb'), [
        '-D', this.dataDir, '-U', this.config.postgres.user, `--pwfile=${pwFile}`,
        '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--locale=C.UTF-8',
      ]);
      await run(cmd, args);
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
  }

  async start(progress: (msg: string) => void): Promise<void> {
    const bin = pgBinDir();
    if (!bin) throw new InstallError('TOOL_MISSING', 'PostgreSQL server binaries not found under /usr/lib/postgresql; run `sda stack up` as root so it can apt-get install postgresql');
    await this.initCluster(bin, progress);
    if (!(await this.health()).up) {
      fs.mkdirSync(this.paths.logs, { recursive: true });
      fs.closeSync(fs.openSync(this.log, 'a'));
      this.chownForServer(this.socketDir);
      if (os.userInfo().uid === 0) fs.chownSync(this.log, ...this.serverIds());
      // Ingest-heavy settings that keep every guarantee (fsync and synchronous commit stay on): fewer checkpoints
      // mean fewer full-page images in the WAL, which bench/ingest.ts measured as a large share of the sink's cost.
      const opts = [
        `-p ${this.port}`, '-c listen_addresses=127.0.0.1', `-k ${this.socketDir}`, '-c max_connections=200',
        '-c shared_buffers=256MB', '-c fsync=on', '-c synchronous_commit=on', '-c max_wal_size=4GB',
        '-c checkpoint_timeout=15min', '-c wal_buffers=32MB', '-c wal_compression=lz4',
      ].join(' ');
      const [cmd, args] = asServerUser(path.join(bin, 'pg_ctl'), ['start', '-D', this.dataDir, '-l', this.log, '-o', opts, '-w', '-t', '60']);
      try {
        await run(cmd, args);
      } catch (err) {
        throw new StackError('SERVICE_START', `PostgreSQL did not start on port ${this.port}; its log (${this.log}) ends:\n${tail(this.log)}\n${(err as Error).message}`);
      }
    }
    await this.ensureDatabases();
  }

  private serverIds(): [number, number] {
    const st = fs.statSync(this.dataDir);
    return [st.uid, st.gid];
  }

  private client(database: string): pg.Client {
    const { host, user, password } = this.config.postgres;
    return new pg.Client({ host, port: this.port, user, password, database, connectionTimeoutMillis: 2_000 });
  }

  private async ensureDatabases(): Promise<void> {
    const client = this.client('postgres');
    await client.connect();
    try {
      for (const db of [this.config.postgres.database, this.config.postgres.registryDatabase]) {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
        if (exists.rowCount === 0) {
          // Identifiers cannot be bound as parameters; the name is validated before it is quoted.
          if (!/^[a-z_][a-z0-9_]{0,62}$/.test(db)) throw new Error(`database name ${JSON.stringify(db)} must match [a-z_][a-z0-9_]*`);
          await client.query(`CREATE DATABASE "${db}"`);
        }
      }
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    const bin = pgBinDir();
    if (bin && fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) {
      const [cmd, args] = asServerUser(path.join(bin, 'pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '30']);
      try {
        await run(cmd, args);
        return;
      } catch {
        // fall through to signalling the postmaster directly
      }
    }
    const pid = readPid(path.join(this.dataDir, 'postmaster.pid'));
    if (pid) await stopPid(pid);
  }

  async health(): Promise<Health> {
    const client = this.client('postgres');
    try {
      await client.connect();
      const res = await client.query<{ v: string }>('SELECT current_setting($$server_version$$) AS v');
      return { up: true, detail: `PostgreSQL ${res.rows[0]?.v ?? '?'}` };
    } catch (err) {
      return { up: false, detail: (err as Error).message };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
