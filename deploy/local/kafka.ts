// Apache Kafka 4 in KRaft mode (one combined broker + controller), run from Maven Central's jars.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../platform/config.js';
import { createKafka, createProducer } from '../../platform/kafka/client.js';
import { findJava, mvn } from '../../platform/installers/java.js';
import { readPid, run, startDaemon, startFailure, stopPid, tcpOpen, waitHealthy } from '../../platform/installers/process.js';
import { type Health, type LocalService, StackError, type StackPaths, logFile, pidFile } from './service.js';

/** Partitions of __consumer_offsets and of __transaction_state (server.properties); the start-up wait covers each. */
export const COORDINATOR_PARTITIONS = 10;

/**
 * The partition of Kafka's internal topic whose leader coordinates group or transactional id `id`: abs(Java
 * String.hashCode(id)) % partitions, as the broker's group coordinator and transaction state manager compute it
 * (Kafka Utils.abs maps Integer.MIN_VALUE to 0). Java's hashCode runs over UTF-16 code units with 32-bit wrap-around.
 */
export function coordinatorPartition(id: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(31, h) + id.charCodeAt(i)) | 0;
  return (h === -2_147_483_648 ? 0 : Math.abs(h)) % partitions;
}

/** Ids `<prefix>-<n>`, one per coordinator partition 0..partitions-1 (the first n that lands on it), in partition order. */
export function coordinatorProbeIds(prefix: string, partitions: number): string[] {
  const ids: Array<string | undefined> = new Array(partitions).fill(undefined);
  let found = 0;
  for (let n = 0; found < partitions; n++) {
    const id = `${prefix}-${n}`;
    const p = coordinatorPartition(id, partitions);
    if (ids[p] === undefined) {
      ids[p] = id;
      found++;
    }
  }
  return ids as string[];
}

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
      `offsets.topic.num.partitions=${COORDINATOR_PARTITIONS}`,
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      `transaction.state.log.num.partitions=${COORDINATOR_PARTITIONS}`,
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
    const t0 = Date.now();
    await this.waitCoordinators(60_000);
    progress(`group and transaction coordinators ready (${((Date.now() - t0) / 1_000).toFixed(1)} s)`);
  }

  /**
   * Waits until every group and transaction coordinator partition has loaded: a broker that answers metadata may still
   * be creating or loading __consumer_offsets and __transaction_state, and the first consumer group join or transactional
   * producer of a job would meet 'The coordinator is loading' / 'not available' (retried by kafkajs, but slower and
   * noisy). One DescribeGroups over a group id per __consumer_offsets partition and one transactional InitProducerId
   * per __transaction_state partition (coordinatorProbeIds; createProducer's connect fences, connectFenced, so it
   * reaches the transaction coordinator), each retried by kafkajs; the whole tried again until `timeoutMs`. Leaves
   * behind only the transactional ids sda-stack-ready-* (the one transaction begun is aborted locally, nothing sent).
   * Throws StackError SERVICE_START naming the last error after `timeoutMs`.
   */
  private async waitCoordinators(timeoutMs: number): Promise<void> {
    const kafka = createKafka(this.config, 'sda-stack-ready', { quiet: true, brokers: [`127.0.0.1:${this.port}`] });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.describeGroups(coordinatorProbeIds('sda-stack-ready', COORDINATOR_PARTITIONS));
        await Promise.all(coordinatorProbeIds('sda-stack-ready-tx', COORDINATOR_PARTITIONS).map(async (transactionalId) => {
          const producer = createProducer(kafka, { transactionalId, retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 } });
          try {
            await producer.connect();
          } finally {
            await producer.disconnect().catch(() => undefined);
          }
        }));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new StackError('SERVICE_START', `Kafka on 127.0.0.1:${this.port} is up but its group and transaction coordinators did not load within ${Math.round(timeoutMs / 1_000)} s: ${(err as Error).message}; its log: ${this.log}`, true, { cause: err });
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
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
