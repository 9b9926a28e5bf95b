import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AgentsModule } from './agents/agents.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { loggerParams } from './common/logging';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConnectionsModule } from './connections/connections.module';
import { DatabaseModule } from './database/database.module';
import { ALL_ENTITIES } from './entities';
import type { EmbeddedPostgresServer } from './database/embedded/server';
import { HealthModule } from './health/health.module';
import { EventsApiModule } from './events-api/events-api.module';
import { EventsModule } from './events/events.module';
import { MemoryModule } from './memory/memory.module';
import { MetricsModule } from './metrics/metrics.module';
import { RunRecordModule } from './run-record/run-record.module';
import { RunsModule } from './runs/runs.module';
import { SkillsModule } from './skills/skills.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ScopeGuard } from './tenants/auth/scope.guard';
import { TenantScopeInterceptor } from './tenants/auth/tenant-scope.interceptor';
import { TenantsModule } from './tenants/tenants.module';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  embedded: EmbeddedPostgresServer | null;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, embedded }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        DatabaseModule.forRoot({ config, url: databaseUrl, embedded, entities: ALL_ENTITIES }),
        MetricsModule,
        AgentsModule,
        EventsModule,
        EventsApiModule,
        MemoryModule,
        ConnectionsModule,
        RunRecordModule,
        SkillsModule,
        RunsModule,
        WebhooksModule,
        HealthModule,
        TenantsModule,
      ],
      providers: [
        { provide: APP_GUARD, useExisting: ScopeGuard },
        { provide: APP_INTERCEPTOR, useExisting: TenantScopeInterceptor },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
