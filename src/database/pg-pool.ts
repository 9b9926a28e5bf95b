import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * TypeORM's own pg Pool, for single-statement hot paths: `pool.query` skips the QueryRunner that
 * `dataSource.query` builds around every statement. Same connections, same limits; anything
 * that needs a transaction still goes through an EntityManager.
 */
export function pgPoolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}
