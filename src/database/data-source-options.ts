import { DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';
import { AgentEntity } from '../agents/agent.entity';
import { ConnectionEntity } from '../connections/connection.entity';
import { EventCursorEntity } from '../events/event-cursor.entity';
import { EventEntity } from '../events/event.entity';
import { MemoryEntity } from '../memory/memory.entity';
import { ModelCallEntity } from '../provenance/model-call.entity';
import { ProvenanceEntity } from '../provenance/provenance.entity';
import { ToolCallEntity } from '../provenance/tool-call.entity';
import { RunEntity } from '../runs/run.entity';
import { WebhookDeliveryEntity } from '../webhooks/webhook-delivery.entity';
import { WebhookEntity } from '../webhooks/webhook.entity';

export const ALL_ENTITIES = [
  AgentEntity,
  ConnectionEntity,
  EventCursorEntity,
  EventEntity,
  MemoryEntity,
  ModelCallEntity,
  ProvenanceEntity,
  RunEntity,
  ToolCallEntity,
  WebhookDeliveryEntity,
  WebhookEntity,
];

export interface DatabaseConnectionSettings {
  url: string;
  poolSize?: number;
  migrationsRun?: boolean;
  applicationName?: string;
}

/**
 * The one place DataSource options are built: the app, the tests and the migration CLI all call it,
 * so they cannot disagree about entities, migrations or naming.
 */
export function buildDataSourceOptions(settings: DatabaseConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities: ALL_ENTITIES,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // Each migration in its own transaction, so a failure leaves the earlier ones applied.
    migrationsTransactionMode: 'each',
    migrationsRun: settings.migrationsRun ?? false,
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+, so no extension (and no superuser) is needed.
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
