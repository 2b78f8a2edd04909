// PostgreSQL connections for the project's database. Queries are always parameterised.
import pg from 'pg';
import type { Config } from '../config.js';
import { logger } from '../logger.js';

const log = logger('postgres');

/**
 * A pool of at most `max` connections. A connection the server drops (a restart, an administrator's
 * pg_terminate_backend, a network cut) is logged with its reason and discarded, never an uncaught 'error' that ends
 * the process: node-postgres emits 'error' on a client that loses its connection while idle in the pool or between
 * queries (https://node-postgres.com/apis/pool#error). The query in flight, if any, rejects as usual and the caller
 * (a sink's batch) is retried; the next connect opens a fresh connection.
 */
export function createPool(config: Config, max = 4): pg.Pool {
  const { host, port, user, password, database } = config.postgres;
  const pool = new pg.Pool({ host, port, user, password, database, max, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 10_000 });
  const lost = (err: Error & { code?: string }) => log.warn({ err: err.message, code: err.code, host, port, database }, 'PostgreSQL connection lost; a fresh one is opened on next use');
  pool.on('error', lost);
  // While a client is checked out the pool's idle listener is off: this one stays on for the client's whole life.
  pool.on('connect', (client) => client.on('error', lost));
  return pool;
}
