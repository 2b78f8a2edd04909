// What every service of the local stack can do. The stack starts them in order and reports on them.
import path from 'node:path';
import type { Config } from '../../platform/config.js';
import { SdaError } from '../../platform/errors.js';
import { javaPaths } from '../../platform/installers/java.js';

/**
 * A local stack service that cannot be used: SERVICE_UNKNOWN (a name `sda stack` does not know), SERVICE_START (it did
 * not start or refused its configuration; the message ends with its log), POSTGRES_UNAVAILABLE (retriable: the
 * database did not answer). Missing software is platform/installers' InstallError.
 */
export class StackError extends SdaError<'SERVICE_UNKNOWN' | 'SERVICE_START' | 'POSTGRES_UNAVAILABLE'> {}

export interface Health {
  up: boolean;
  detail: string;
}

export interface LocalService {
  readonly name: string;
  readonly port: number;
  /** Download or install what the service needs, once; later calls reuse the cache and return false. */
  install(progress: (msg: string) => void): Promise<boolean>;
  /** Start the service unless it already answers. Resolves once it is healthy, or throws naming its log. */
  start(progress: (msg: string) => void): Promise<void>;
  stop(): Promise<void>;
  health(): Promise<Health>;
}

/** Where the stack keeps its files, all under the git-ignored cache directory. */
export function stackPaths(config: Config) {
  const c = config.cacheDir;
  return {
    cache: c,
    logs: path.join(c, 'logs'),
    run: path.join(c, 'run'),
    ...javaPaths(config),
    kafka: path.join(c, 'kafka'),
    registry: path.join(c, 'apicurio'),
    postgres: path.join(c, 'pg'),
    prometheus: path.join(c, 'prometheus'),
    deployDir: path.join(config.root, 'deploy'),
  };
}

export type StackPaths = ReturnType<typeof stackPaths>;

export function pidFile(paths: StackPaths, name: string): string {
  return path.join(paths.run, `${name}.pid`);
}

export function logFile(paths: StackPaths, name: string): string {
  return path.join(paths.logs, `${name}.log`);
}
