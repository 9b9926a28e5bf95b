import { RequiresScope, Scope } from '../common/scopes';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { PageQueryDto } from '../common/pagination';
import { assertSomeField } from '../common/validation';
import { UuidParam } from '../common/uuid-param';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  DeliveryPageDto,
  ListDeliveriesQueryDto,
  UpdatedWebhookDto,
  UpdateWebhookDto,
  WebhookDto,
  WebhookPageDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiKeyAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'Agent id' })
@Controller('agents/:id/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @RequiresScope(Scope.Admin)
  @ApiOperation({
    summary: 'Register a webhook for the agent’s events',
    description:
      'Each matching event is POSTed as its JSON envelope, signed per Standard Webhooks (webhook-id = event id, ' +
      'webhook-timestamp, webhook-signature). The answer carries the whsec_ secret, shown only this once.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiErrors(400, 404, 409, 413, 422)
  createWebhook(@UuidParam('id') agentId: string, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.webhooks.create(agentId, dto);
  }

  @Get()
  @ApiOperation({
    summary: 'The agent’s webhooks, newest first',
    description: 'Keyset-paginated; never their secrets.',
  })
  @ApiOkResponse({ type: WebhookPageDto })
  @ApiErrors(404, 422)
  listWebhooks(@UuidParam('id') agentId: string, @Query() query: PageQueryDto): Promise<WebhookPageDto> {
    return this.webhooks.list(agentId, query);
  }

  @Get(':webhook_id')
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiOperation({
    summary: 'One webhook (its secret is never shown again)',
    description: 'Its URL, type filter, whether it is enabled (and why not), and its delivery counters.',
  })
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors(404, 422)
  getWebhook(@UuidParam('id') agentId: string, @UuidParam('webhook_id') id: string): Promise<WebhookDto> {
    return this.webhooks.get(agentId, id);
  }

  @Patch(':webhook_id')
  @RequiresScope(Scope.Admin)
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Enable, disable, refilter or rotate the secret of a webhook',
    description:
      'enabled: true resumes a webhook disabled by hand or by a 410 (its queued deliveries resume; events ' +
      'while it was disabled are not queued). rotate_secret: true answers the new secret once; the previous one ' +
      'adds a second signature for AOS_WEBHOOK_SECRET_GRACE_MS.',
  })
  @ApiOkResponse({ type: UpdatedWebhookDto })
  @ApiErrors(400, 404, 413, 422)
  updateWebhook(
    @UuidParam('id') agentId: string,
    @UuidParam('webhook_id') id: string,
    @Body() dto: UpdateWebhookDto,
  ): Promise<UpdatedWebhookDto> {
    assertSomeField(dto);
    return this.webhooks.update(agentId, id, dto);
  }

  @Delete(':webhook_id')
  @RequiresScope(Scope.Admin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Delete a webhook and its delivery queue',
    description: 'Pending deliveries are dropped with it.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 422)
  deleteWebhook(@UuidParam('id') agentId: string, @UuidParam('webhook_id') id: string): Promise<void> {
    return this.webhooks.remove(agentId, id);
  }

  @Get(':webhook_id/deliveries')
  @ApiParam({ name: 'webhook_id', format: 'uuid' })
  @ApiOperation({
    summary: 'The webhook’s deliveries, newest first: attempts, status codes, next retry',
    description:
      'Keyset-paginated; filter by status. Finished deliveries are kept as long as events (AOS_EVENT_RETENTION_DAYS).',
  })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiErrors(404, 422)
  listDeliveries(
    @UuidParam('id') agentId: string,
    @UuidParam('webhook_id') id: string,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<DeliveryPageDto> {
    return this.webhooks.deliveries(agentId, id, query);
  }
}
