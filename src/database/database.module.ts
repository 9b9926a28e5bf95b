import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config';
import { EMBEDDED_POSTGRES } from './embedded-postgres.token';
import { buildDataSourceOptions, DatabaseConnectionSettings } from './data-source-options';
import { DATABASE_URL } from './database.tokens';
import { PgListener } from './pg-listener';
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
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions({
            url,
            entities,
            poolSize: config.dbPoolSize,
            migrationsRun: config.migrationsRun,
          }),
          // Fail fast at start instead of retrying for minutes; orchestration restarts us.
          retryAttempts: 0,
        }),
      ],
      providers: [
        { provide: EMBEDDED_POSTGRES, useValue: embedded },
        { provide: DATABASE_URL, useValue: url },
        PgListener,
        Transactions,
      ],
      exports: [EMBEDDED_POSTGRES, DATABASE_URL, PgListener, Transactions],
    };
  }
}
