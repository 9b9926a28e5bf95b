import { DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';
import { scopedPg } from './scoped-pg';
export interface DatabaseConnectionSettings {
  url: string;
  /** Every entity class: the wiring's list (src/entities.ts), for this folder imports no domain. */
  entities: DataSourceOptions['entities'];
  poolSize?: number;
  migrationsRun?: boolean;
  applicationName?: string;
  /**
   * The app's pool: every statement runs in the scope (tenant or named cross-tenant task) it was
   * made in, and fails closed outside one (src/database/scoped-pg.ts). Off for the migration CLI
   * and tools, which are the service's own work.
   */
  scoped?: boolean;
}

/**
 * The one place DataSource options are built: the app, the tests and the migration CLI all call it,
 * so they cannot disagree about entities, migrations or naming.
 */
export function buildDataSourceOptions(settings: DatabaseConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: settings.entities,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // Each migration in its own transaction, so a failure leaves the earlier ones applied.
    migrationsTransactionMode: 'each',
    migrationsRun: settings.migrationsRun ?? false,
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+, so no extension (and no superuser) is needed.
    ...(settings.scoped ? { driver: scopedPg } : {}),
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: false,
    applicationName: settings.applicationName ?? 'aos',
    extra: {
      max: settings.poolSize ?? 10,
      // A dead server must fail health checks quickly instead of hanging them.
      connectionTimeoutMillis: 5_000,
    },
  };
}
