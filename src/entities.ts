import { AgentEntity } from './agents/agent.entity';
import { ConnectionEntity } from './connections/connection.entity';
import { EventCursorEntity } from './events/event-cursor.entity';
import { EventEntity } from './events/event.entity';
import { MemoryEntity } from './memory/memory.entity';
import { ModelCallEntity } from './run-record/model-call.entity';
import { RunEntity } from './run-record/run.entity';
import { ToolCallEntity } from './run-record/tool-call.entity';
import { WebhookDeliveryEntity } from './webhooks/webhook-delivery.entity';
import { WebhookEntity } from './webhooks/webhook.entity';
import { ApiKeyEntity } from './tenants/keys/api-key.entity';
import { TenantEntity } from './tenants/tenant.entity';
import { RefreshTokenEntity } from './tenants/tokens/refresh-token.entity';
import { SigningKeyEntity } from './signing/signing-key.entity';
import { ModelUsageEntity } from './limits/model-usage.entity';

/** Every table's entity, for the DataSource the app, the tests and the migration CLI build. */
export const ALL_ENTITIES = [
  AgentEntity,
  ApiKeyEntity,
  ConnectionEntity,
  EventCursorEntity,
  EventEntity,
  MemoryEntity,
  ModelCallEntity,
  ModelUsageEntity,
  RefreshTokenEntity,
  RunEntity,
  SigningKeyEntity,
  TenantEntity,
  ToolCallEntity,
  WebhookDeliveryEntity,
  WebhookEntity,
];
