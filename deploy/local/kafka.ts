// Apache Kafka 4 in KRaft mode (one combined broker + controller), run from Maven Central's jars.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { findJava, mvn } from '../../platform/installers/java.js';
import { readPid, run, startDaemon, startFailure, stopPid, tcpOpen, waitHealthy } from '../../platform/installers/process.js';
import { type Health, type LocalService, type StackPaths, logFile, pidFile } from './service.js';

export class KafkaService implements LocalService {
  readonly name = 'kafka';
  private readonly libs: string;
  private readonly dataDir: string;
  private readonly log: string;
  private readonly pid: string;

  constructor(
    private readonly config: Config,
    private readonly paths: StackPaths,
  ) {
    this.libs = path.join(paths.kafka, 'libs');
    this.dataDir = path.join(paths.kafka, 'data');
    this.log = logFile(paths, 'kafka');
    this.pid = pidFile(paths, 'kafka');
  }

  get port(): number {
    return this.config.kafka.port;
  }

  private pom(): string {
    return path.join(this.paths.deployDir, 'local', 'pom.xml');
  }

  /** The installed libs are tagged with the pom they came from, so a version bump reinstalls. */
  private stamp(): string {
    return fs.readFileSync(this.pom(), 'utf8');
  }

  async install(progress: (msg: string) => void): Promise<boolean> {
    const stampFile = path.join(this.libs, '.pom');
    if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === this.stamp()) return false;
    progress('fetching Kafka jars from Maven Central (mvn dependency:copy-dependencies)');
    fs.rmSync(this.libs, { recursive: true, force: true });
    fs.mkdirSync(this.libs, { recursive: true });
    await mvn(this.paths, ['-f', this.pom(), 'dependency:copy-dependencies', `-DoutputDirectory=${this.libs}`, '-DincludeScope=runtime']);
    fs.writeFileSync(stampFile, this.stamp());
    return true;
  }

  private properties(): string {
    const { port, controllerPort } = this.config.kafka;
    return [
      '# Written by sda stack up from the environment; edits are overwritten.',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${this.dataDir}`,
      `num.partitions=${this.config.kafka.partitions}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=10',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'log.retention.hours=168',
      'log.segment.bytes=268435456',
      'message.max.bytes=8388608',
      '',
    ].join('\n');
  }

  async start(progress: (msg: string) => void): Promise<void> {
    if ((await this.health()).up) return;
    const java = await findJava(17, this.paths, progress);
    fs.mkdirSync(this.paths.kafka, { recursive: true });
    const props = path.join(this.paths.kafka, 'server.properties');
    fs.writeFileSync(props, this.properties());
    const cp = `${this.libs}/*`;
    if (!fs.existsSync(path.join(this.dataDir, 'meta.properties'))) {
      progress('formatting KRaft storage');
      const clusterId = (await run(java, ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'])).trim().split('\n').pop() ?? '';
      await run(java, ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props]);
    }
    const log4j = path.join(this.paths.deployDir, 'local', 'kafka-log4j2.properties');
    startDaemon(
      java,
      [`-Xms${Math.min(512, this.config.kafka.heapMb)}m`, `-Xmx${this.config.kafka.heapMb}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4j}`, '-cp', cp, 'kafka.Kafka', props],
      { logFile: this.log, pidFile: this.pid },
    );
    const outcome = await waitHealthy(this.pid, async () => (await this.health()).up, 90_000, 300);
    if (outcome !== 'up') throw startFailure(`Kafka on 127.0.0.1:${this.port}`, outcome, 90_000, this.log);
  }

  async stop(): Promise<void> {
    const pid = readPid(this.pid);
    if (pid) await stopPid(pid, 30_000);
    fs.rmSync(this.pid, { force: true });
  }

  async health(): Promise<Health> {
    if (!(await tcpOpen(this.port))) return { up: false, detail: `nothing listening on 127.0.0.1:${this.port}` };
    // A broker that accepts connections may still be electing its controller: ask it for cluster metadata.
    const admin = createKafka(this.config, 'sda-stack-health', { quiet: true, retries: 0, brokers: [`127.0.0.1:${this.port}`] }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return { up: cluster.brokers.length > 0 && cluster.controller !== null, detail: `KRaft cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)` };
    } catch (err) {
      return { up: false, detail: (err as Error).message };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
