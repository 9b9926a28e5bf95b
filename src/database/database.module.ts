import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { crossTenant } from '../common/db-scope';
import type { AppConfig } from '../config/app-config';
import { EMBEDDED_POSTGRES } from './embedded-postgres.token';
import { buildDataSourceOptions, DatabaseConnectionSettings } from './data-source-options';
import { DATABASE_URL } from './database.tokens';
import { PgListener } from './pg-listener';
import { RequestRoleCheck } from './request-role';
import { Transactions } from './transactions';
import type { EmbeddedPostgresServer } from './embedded/server';

export interface DatabaseModuleOptions {
  config: AppConfig;
  /** The server the bootstrap connected to: DATABASE_URL, or the embedded one it started. */
  url: string;
  embedded: EmbeddedPostgresServer | null;
  entities: DatabaseConnectionSettings['entities'];
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot({ config, url, embedded, entities }: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...buildDataSourceOptions({
              url,
              entities,
              poolSize: config.dbPoolSize,
              migrationsRun: config.migrationsRun,
              scoped: true,
            }),
            // Fail fast at start instead of retrying for minutes; orchestration restarts us.
            retryAttempts: 0,
          }),
          // Connecting and migrating is the service's own work, across every tenant.
          dataSourceFactory: (options) =>
            crossTenant('maintenance', () => new DataSource(options as DataSourceOptions).initialize()),
        }),
      ],
      providers: [
        { provide: EMBEDDED_POSTGRES, useValue: embedded },
        { provide: DATABASE_URL, useValue: url },
        PgListener,
        Transactions,
        RequestRoleCheck,
      ],
      exports: [EMBEDDED_POSTGRES, DATABASE_URL, PgListener, Transactions],
    };
  }
}
