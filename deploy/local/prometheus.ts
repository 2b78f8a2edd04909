// Prometheus from Debian, started with deploy/prometheus.yml and its data under .cache/prometheus.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../platform/config.js';
import { aptInstall } from '../../platform/installers/apt.js';
import { commandExists, httpOk, readPid, startDaemon, startFailure, stopPid, waitHealthy } from '../../platform/installers/process.js';
import { type Health, type LocalService, StackError, type StackPaths, logFile, pidFile } from './service.js';

export class PrometheusService implements LocalService {
  readonly name = 'prometheus';
  private readonly log: string;
  private readonly pid: string;

  constructor(
    private readonly config: Config,
    private readonly paths: StackPaths,
  ) {
    this.log = logFile(paths, 'prometheus');
    this.pid = pidFile(paths, 'prometheus');
  }

  get port(): number {
    return this.config.prometheus.port;
  }

  async install(progress: (msg: string) => void): Promise<boolean> {
    if (commandExists('prometheus')) return false;
    progress('installing prometheus from Debian');
    await aptInstall(['prometheus']);
    return true;
  }

  /** Where gateways on other ports register file_sd target files (job sda-gateway-instances). */
  get targetsDir(): string {
    return path.join(this.paths.prometheus, 'targets');
  }

  /** deploy/prometheus.yml with the scrape targets' ports taken from the environment; true when the file changed. */
  private writeConfig(): { file: string; changed: boolean } {
    const template = fs.readFileSync(path.join(this.paths.deployDir, 'prometheus.yml'), 'utf8');
    const m = this.config.metricsPorts;
    const rendered = template
      .replaceAll('127.0.0.1:19090', `127.0.0.1:${this.port}`)
      .replaceAll('127.0.0.1:18080', `127.0.0.1:${this.config.gateway.port}`)
      .replaceAll('127.0.0.1:19101', `127.0.0.1:${m.postgresSink}`)
      .replaceAll('127.0.0.1:19102', `127.0.0.1:${m.windower}`)
      .replaceAll('127.0.0.1:19103', `127.0.0.1:${m.featuresSink}`)
      .replaceAll('127.0.0.1:19104', `127.0.0.1:${m.forecaster}`)
      .replaceAll('127.0.0.1:19105', `127.0.0.1:${m.forecastsSink}`)
      .replaceAll('127.0.0.1:19106', `127.0.0.1:${this.config.dispatchMetricsPorts.dispatcher}`)
      .replaceAll('127.0.0.1:19107', `127.0.0.1:${this.config.dispatchMetricsPorts.dispatchSink}`);
    fs.mkdirSync(this.targetsDir, { recursive: true });
    const file = path.join(this.paths.prometheus, 'prometheus.yml');
    const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (before !== rendered) fs.writeFileSync(file, rendered);
    return { file, changed: before !== rendered };
  }

  async start(): Promise<void> {
    if ((await this.health()).up) {
      // A running Prometheus picks up a changed deploy/prometheus.yml (or changed ports) without a restart.
      if (this.writeConfig().changed) {
        const res = await fetch(`http://127.0.0.1:${this.port}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new StackError('SERVICE_START', `Prometheus on 127.0.0.1:${this.port} refused the new configuration (HTTP ${res.status}): ${(await res.text()).slice(0, 300)}; see ${this.log}`);
      }
      return;
    }
    const configFile = this.writeConfig().file;
    startDaemon(
      'prometheus',
      [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(this.paths.prometheus, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`, '--storage.tsdb.retention.time=7d', '--web.enable-lifecycle'],
      { logFile: this.log, pidFile: this.pid },
    );
    const outcome = await waitHealthy(this.pid, async () => (await this.health()).up, 30_000, 250);
    if (outcome !== 'up') throw startFailure(`Prometheus on 127.0.0.1:${this.port}`, outcome, 30_000, this.log);
  }

  async stop(): Promise<void> {
    const pid = readPid(this.pid);
    if (pid) await stopPid(pid, 10_000);
    fs.rmSync(this.pid, { force: true });
  }

  async health(): Promise<Health> {
    const url = `http://127.0.0.1:${this.port}/-/ready`;
    return (await httpOk(url)) ? { up: true, detail: `ready, UI at http://127.0.0.1:${this.port}` } : { up: false, detail: `no answer from ${url}` };
  }
}
