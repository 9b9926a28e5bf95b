import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { DEFAULT_PAGE_SIZE, Page } from '../common/pagination';
import { OutboundPolicy } from '../common/ssrf';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  DeliveryDto,
  ListDeliveriesQueryDto,
  UpdatedWebhookDto,
  UpdateWebhookDto,
  WebhookDto,
} from './dto/webhook.dto';
import { randomUUID } from 'node:crypto';
import { SecretKeyMissingError } from '../secrets/secrets.errors';
import { WebhookSecrets } from './webhook-secrets';
import { TooManyWebhooksError, WebhookNotFoundError, WebhookUrlRefusedError } from './webhooks.errors';
import { WebhooksRepository } from './webhooks.repository';
import type { PageQueryDto } from '../common/pagination';

/** Webhooks an agent may have: each is a fan-out target for every event, and a sender's lease. */
export const MAX_WEBHOOKS_PER_AGENT = 20;

/** Outbound rules of webhooks: public addresses, plus AOS_WEBHOOK_ALLOW_HOSTS (not http_call's list). */
export function webhookPolicy(config: AppConfig): OutboundPolicy {
  return new OutboundPolicy(config.webhooks.allowHosts, 'AOS_WEBHOOK_ALLOW_HOSTS');
}

@Injectable()
export class WebhooksService {
  private readonly policy: OutboundPolicy;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly webhooks: WebhooksRepository,
    private readonly agents: AgentsService,
    private readonly secrets: WebhookSecrets,
  ) {
    this.policy = webhookPolicy(config);
  }

  async create(agentId: string, dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    await this.agents.get(agentId);
    if (!this.secrets.available) throw new SecretKeyMissingError();
    await this.checkUrl(dto.url);
    return this.dataSource.transaction(async (m) => {
      // The agent's row, locked: its deletion waits (no webhook for a gone agent), and two
      // creations count one after the other.
      await this.agents.findOrFail(m, agentId, 'update');
      if ((await this.webhooks.countForAgent(m, agentId)) >= MAX_WEBHOOKS_PER_AGENT) {
        throw new TooManyWebhooksError(MAX_WEBHOOKS_PER_AGENT);
      }
      const id = randomUUID();
      const { secret, sealed } = this.secrets.create(id);
      const saved = await this.webhooks.insert(m, {
        id,
        agentId,
        url: dto.url,
        events: dto.events ?? null,
        description: dto.description ?? null,
        sealed,
      });
      return { ...WebhookDto.from(saved), secret };
    });
  }

  async list(agentId: string, query: PageQueryDto): Promise<Page<WebhookDto>> {
    await this.agents.get(agentId);
    const { rows, nextCursor } = await this.webhooks.page(agentId, query);
    return { items: rows.map((w) => WebhookDto.from(w)), next_cursor: nextCursor };
  }

  async get(agentId: string, id: string): Promise<WebhookDto> {
    // The agent first: a deleted agent's webhooks (still sending its last events) are not its to manage.
    await this.agents.get(agentId);
    const found = await this.webhooks.find(agentId, id);
    if (!found) throw new WebhookNotFoundError(id);
    return WebhookDto.from(found);
  }

  async update(agentId: string, id: string, dto: UpdateWebhookDto): Promise<UpdatedWebhookDto> {
    return this.dataSource.transaction(async (m) => {
      await this.agents.findOrFail(m, agentId, 'share');
      const found = await this.webhooks.lock(m, agentId, id);
      if (!found) throw new WebhookNotFoundError(id);
      if (dto.rotate_secret && !this.secrets.available) throw new SecretKeyMissingError();
      const rotated = dto.rotate_secret ? this.secrets.rotate(found) : undefined;
      const saved = await this.webhooks.update(m, found, {
        enabled: dto.enabled,
        events: dto.events,
        description: dto.description,
        rotation: rotated
          ? { sealed: rotated.sealed, previousExpiresAt: new Date(Date.now() + this.config.webhooks.secretGraceMs) }
          : undefined,
      });
      return { ...WebhookDto.from(saved), ...(rotated ? { secret: rotated.secret } : {}) };
    });
  }

  async remove(agentId: string, id: string): Promise<void> {
    await this.agents.get(agentId);
    if (!(await this.webhooks.delete(this.dataSource.manager, agentId, id))) throw new WebhookNotFoundError(id);
  }

  async deliveries(agentId: string, id: string, query: ListDeliveriesQueryDto): Promise<Page<DeliveryDto>> {
    await this.get(agentId, id);
    const { rows, nextCursor } = await this.webhooks.deliveries(
      id,
      { status: query.status, before: query.cursor ? Number(query.cursor) : undefined },
      query.limit ?? DEFAULT_PAGE_SIZE,
    );
    return { items: rows.map((d) => DeliveryDto.from(d)), next_cursor: nextCursor };
  }

  /** The SSRF policy, at registration: a URL reaching a private address is refused unless listed. */
  private async checkUrl(raw: string): Promise<void> {
    const refusal = await this.policy.destinationRefusal(new URL(raw), 'receiver');
    if (refusal) throw new WebhookUrlRefusedError(refusal.unresolved ? `url: ${refusal.message}` : refusal.message);
  }
}
