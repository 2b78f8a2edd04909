// Apicurio Registry 3 (Confluent-compatible API at /apis/ccompat/v7), from Maven Central's `all` assembly
// of io.apicurio:apicurio-registry-app (the Quarkus fast-jar layout), storing schemas in the stack's PostgreSQL
// so schema ids survive restarts (messages on topics keep referring to them).
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../platform/config.js';
import { findJava, mvn } from '../../platform/installers/java.js';
import { InstallError, httpOk, readPid, run, startDaemon, startFailure, stopPid, waitHealthy } from '../../platform/installers/process.js';
import { type Health, type LocalService, type StackPaths, logFile, pidFile } from './service.js';

export const APICURIO_VERSION = '3.3.3';

export class RegistryService implements LocalService {
  readonly name = 'schema-registry';
  private readonly home: string;
  private readonly log: string;
  private readonly pid: string;

  constructor(
    private readonly config: Config,
    private readonly paths: StackPaths,
  ) {
    this.home = path.join(paths.registry, APICURIO_VERSION);
    this.log = logFile(paths, 'schema-registry');
    this.pid = pidFile(paths, 'schema-registry');
  }

  get port(): number {
    return this.config.registry.port;
  }

  private runJar(): string {
    return path.join(this.home, 'quarkus-run.jar');
  }

  async install(progress: (msg: string) => void): Promise<boolean> {
    if (fs.existsSync(this.runJar())) return false;
    progress(`fetching io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all from Maven Central`);
    const dl = path.join(this.paths.registry, 'download');
    fs.mkdirSync(dl, { recursive: true });
    await mvn(this.paths, ['org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`, `-DoutputDirectory=${dl}`]);
    const archive = path.join(dl, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
    const staging = `${this.home}.partial`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    await run('tar', ['-xzf', archive, '-C', staging]);
    if (!fs.existsSync(path.join(staging, 'quarkus-run.jar'))) throw new InstallError('INSTALL_FAILED', `${archive} holds no quarkus-run.jar`);
    fs.renameSync(staging, this.home);
    fs.rmSync(archive, { force: true });
    return true;
  }

  private baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(progress: (msg: string) => void): Promise<void> {
    if ((await this.health()).up) return;
    // Apicurio 3 is compiled for Java 21.
    const java = await findJava(21, this.paths, progress);
    const { host, port, user, password, registryDatabase } = this.config.postgres;
    const env = {
      ...process.env,
      // Passed through the environment, not the command line, so the password does not show in `ps`.
      APICURIO_DATASOURCE_PASSWORD: password,
      APICURIO_DATASOURCE_USERNAME: user,
      APICURIO_DATASOURCE_URL: `jdbc:postgresql://${host}:${port}/${registryDatabase}`,
    };
    startDaemon(
      java,
      [`-Xmx${this.config.registry.heapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
        `-Dquarkus.http.host=127.0.0.1`, `-Dquarkus.http.port=${this.port}`,
        `-Dquarkus.management.host=127.0.0.1`, `-Dquarkus.management.port=${this.config.registry.managementPort}`,
        '-Dapicurio.storage.kind=sql', '-Dapicurio.storage.sql.kind=postgresql',
        '-Dquarkus.log.console.json=false', '-Dapicurio.rest.deletion.artifact.enabled=true',
        '-Dapicurio.rest.deletion.artifact-version.enabled=true',
        '-jar', this.runJar()],
      { logFile: this.log, pidFile: this.pid, env, cwd: this.home },
    );
    const outcome = await waitHealthy(this.pid, async () => (await this.health()).up, 120_000, 500);
    if (outcome !== 'up') throw startFailure(`Apicurio Registry on ${this.baseUrl()}`, outcome, 120_000, this.log);
  }

  async stop(): Promise<void> {
    const pid = readPid(this.pid);
    if (pid) await stopPid(pid, 20_000);
    fs.rmSync(this.pid, { force: true });
  }

  async health(): Promise<Health> {
    const url = `${this.baseUrl()}/apis/ccompat/v7/subjects`;
    return (await httpOk(url)) ? { up: true, detail: `Apicurio Registry ${APICURIO_VERSION}, ccompat API at ${this.baseUrl()}/apis/ccompat/v7` } : { up: false, detail: `no answer from ${url}` };
  }
}
