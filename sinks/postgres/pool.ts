// PostgreSQL connections for the project's database. Queries are always parameterised.
import pg from 'pg';
import type { Config } from '../../config/config.js';

export function createPool(config: Config, max = 4): pg.Pool {
  const { host, port, user, password, database } = config.postgres;
  return new pg.Pool({ host, port, user, password, database, max, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 10_000 });
}
