import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { EventsModule } from '../events/events.module';
import { SecretsModule } from '../secrets/secrets.module';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSender } from './webhook-sender';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks: their registration, the fan-out of events into a delivery queue, and the sender.
 * Reads events through EventsService; nothing depends on this module.
 */
@Module({
  // Its own axios instance: http_call's retry interceptors do not apply to deliveries.
  imports: [HttpModule.register({}), AgentsModule, EventsModule, SecretsModule],
  controllers: [WebhooksController],
  providers: [WebhooksRepository, WebhookSecrets, WebhooksService, WebhookDispatcher, WebhookSender],
})
export class WebhooksModule {}
