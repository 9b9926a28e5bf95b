import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { DeliveryStatus } from './delivery-status.enum';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEntity } from './webhook.entity';

export interface NewWebhook {
  agentId: string;
  url: string;
  events: string[] | null;
  description: string | null;
  secret: string;
}

export interface WebhookChanges {
  enabled?: boolean;
  events?: string[] | null;
  description?: string | null;
  /** A rotation: the new secret, and until when the current one keeps signing. */
  rotation?: { secret: string; previousExpiresAt: Date };
}

/** One queued delivery: which webhook receives which event. */
export interface DeliveryRow {
  webhookId: string;
  eventId: number;
  eventType: string;
}

/** A retired webhook (its agent is gone) that will send nothing more. */
const RETIRED_AND_DONE = `w.retired_at IS NOT NULL AND (NOT w.enabled
  OR NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending'))`;

/** The SQL of the webhooks and webhook_deliveries tables, which only the webhooks module writes. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(m: EntityManager, webhook: NewWebhook): Promise<WebhookEntity> {
    const repo = m.getRepository(WebhookEntity);
    return repo.save(repo.create({ ...webhook, enabled: true }));
  }

  countForAgent(m: EntityManager, agentId: string): Promise<number> {
    return m.getRepository(WebhookEntity).countBy({ agentId });
  }

  find(agentId: string, id: string, m?: EntityManager): Promise<WebhookEntity | null> {
    return (m ?? this.dataSource.manager).getRepository(WebhookEntity).findOneBy({ agentId, id });
  }

  lock(m: EntityManager, agentId: string, id: string): Promise<WebhookEntity | null> {
    return m
      .getRepository(WebhookEntity)
      .createQueryBuilder('w')
      .where('w.agent_id = :agentId AND w.id = :id', { agentId, id })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** Newest first, keyset-paged. */
  page(agentId: string, query: PageQueryDto) {
    const qb = this.dataSource
      .getRepository(WebhookEntity)
      .createQueryBuilder('webhook')
      .where('webhook.agent_id = :agentId', { agentId });
    return findPage(qb, query);
  }

  async update(m: EntityManager, webhook: WebhookEntity, changes: WebhookChanges): Promise<WebhookEntity> {
    if (changes.enabled !== undefined) {
      webhook.enabled = changes.enabled;
      if (changes.enabled) webhook.disabledReason = null;
    }
    if (changes.events !== undefined) webhook.events = changes.events;
    if (changes.description !== undefined) webhook.description = changes.description;
    if (changes.rotation) {
      webhook.previousSecret = webhook.secret;
      webhook.previousSecretExpiresAt = changes.rotation.previousExpiresAt;
      webhook.secret = changes.rotation.secret;
    }
    return m.getRepository(WebhookEntity).save(webhook);
  }

  async delete(m: EntityManager, agentId: string, id: string): Promise<boolean> {
    const result = await m.getRepository(WebhookEntity).delete({ agentId, id });
    return (result.affected ?? 0) > 0;
  }

  /** A webhook's deliveries, newest event first, paged by event id. */
  async deliveries(
    webhookId: string,
    filter: { status?: DeliveryStatus; before?: number },
    limit: number,
  ): Promise<{ rows: WebhookDeliveryEntity[]; nextCursor: string | null }> {
    const qb = this.dataSource
      .getRepository(WebhookDeliveryEntity)
      .createQueryBuilder('delivery')
      .where('delivery.webhook_id = :webhookId', { webhookId });
    if (filter.status) qb.andWhere('delivery.status = :status', { status: filter.status });
    if (filter.before) qb.andWhere('delivery.event_id < :before', { before: filter.before });
    const rows = await qb
      .orderBy('delivery.event_id', 'DESC')
      .limit(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    return { rows: page, nextCursor: rows.length > limit ? String(page[page.length - 1].eventId) : null };
  }

  // --- fan-out -----------------------------------------------------------------------------

  /** Whether any webhook exists (enabled or not: a disabled one still has to be retired with its agent). */
  async any(): Promise<boolean> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ any: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM webhooks) AS any',
    );
    return rows[0].any;
  }

  /** The enabled webhooks of these agents, with their filters (fan-out matches types in code). */
  async enabledFor(
    m: EntityManager,
    agentIds: string[],
  ): Promise<{ id: string; agentId: string; events: string[] | null }[]> {
    const rows = await m.query<{ id: string; agent_id: string; events: string[] | null }[]>(
      'SELECT id, agent_id, events FROM webhooks WHERE enabled AND agent_id = ANY($1::uuid[])',
      [agentIds],
    );
    return rows.map((r) => ({ id: r.id, agentId: r.agent_id, events: r.events }));
  }

  /** Queues deliveries (a fan-out done again after a crash finds them there and adds nothing). */
  async enqueue(m: EntityManager, rows: DeliveryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[])
       ON CONFLICT (webhook_id, event_id) DO NOTHING`,
      [rows.map((r) => r.webhookId), rows.map((r) => r.eventId), rows.map((r) => r.eventType)],
    );
  }

  /**
   * The agent is gone (its agent.deleted is queued by now): its webhooks are retired, and those
   * with nothing left to send, or disabled (nobody can enable them again), are deleted at once.
   */
  async retireForGoneAgent(m: EntityManager, agentId: string): Promise<void> {
    await m.query('UPDATE webhooks SET retired_at = now(), updated_at = now() WHERE agent_id = $1', [agentId]);
    await m.query(`DELETE FROM webhooks w WHERE w.agent_id = $1 AND ${RETIRED_AND_DONE}`, [agentId]);
  }

  // --- sending -----------------------------------------------------------------------------

  /**
   * Leases up to `limit` enabled webhooks whose next delivery (their oldest pending one: each
   * endpoint receives in event order) is due, skipping those leased elsewhere or in `busy`.
   */
  async claimDue(owner: string, leaseMs: number, limit: number, busy: string[]): Promise<WebhookEntity[]> {
    const { rows: ids } = await pgPoolOf(this.dataSource).query<{ id: string }>(
      `UPDATE webhooks SET lease_owner = $1, lease_expires_at = now() + $2 * interval '1 millisecond'
        WHERE id IN (
          SELECT w.id FROM webhooks w
           WHERE w.enabled
             AND (w.lease_expires_at IS NULL OR w.lease_expires_at < now())
             AND NOT (w.id = ANY($4::uuid[]))
             AND (SELECT d.next_attempt_at FROM webhook_deliveries d
                   WHERE d.webhook_id = w.id AND d.status = 'pending'
                   ORDER BY d.event_id LIMIT 1) <= now()
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [owner, leaseMs, limit, busy],
    );
    if (ids.length === 0) return [];
    return this.dataSource.getRepository(WebhookEntity).findBy(ids.map((r) => ({ id: r.id })));
  }

  /** Extends the lease if it is still ours and the webhook still enabled; returns its fresh row. */
  async renewLease(id: string, owner: string, leaseMs: number): Promise<WebhookEntity | undefined> {
    const [rows] = await this.dataSource.query<[{ id: string }[], number]>(
      `UPDATE webhooks SET lease_expires_at = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND lease_owner = $2 AND enabled RETURNING id`,
      [id, owner, leaseMs],
    );
    if (rows.length === 0) return undefined;
    return (await this.dataSource.getRepository(WebhookEntity).findOneBy({ id })) ?? undefined;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE webhooks SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2',
      [id, owner],
    );
  }

  /** The webhook's next delivery (its oldest pending one), if it is due now. */
  dueHead(webhookId: string): Promise<WebhookDeliveryEntity | null> {
    return this.dataSource
      .getRepository(WebhookDeliveryEntity)
      .createQueryBuilder('d')
      .where(
        `d.id = (SELECT h.id FROM webhook_deliveries h WHERE h.webhook_id = :webhookId AND h.status = 'pending'
                  ORDER BY h.event_id LIMIT 1)`,
        { webhookId },
      )
      .andWhere('d.next_attempt_at <= now()')
      .getOne();
  }

  async recordAttempt(
    id: string,
    outcome:
      | { status: DeliveryStatus.Delivered; statusCode: number }
      | { status: DeliveryStatus.Pending; statusCode: number | null; error: string; nextAttemptAt: Date }
      | { status: DeliveryStatus.Failed; statusCode: number | null; error: string; counts: boolean },
  ): Promise<void> {
    const counts = outcome.status !== DeliveryStatus.Failed || outcome.counts;
    await this.dataSource.query(
      `UPDATE webhook_deliveries
          SET status = $2::delivery_status,
              attempts = attempts + $3::int,
              last_attempt_at = CASE WHEN $3::int > 0 THEN now() ELSE last_attempt_at END,
              last_status_code = coalesce($4, CASE WHEN $3::int > 0 THEN NULL ELSE last_status_code END),
              last_error = $5,
              next_attempt_at = coalesce($6, next_attempt_at),
              delivered_at = CASE WHEN $2::delivery_status = 'delivered' THEN now() END
        WHERE id = $1 AND status = 'pending'`,
      [
        id,
        outcome.status,
        counts ? 1 : 0,
        outcome.statusCode,
        'error' in outcome ? outcome.error : null,
        outcome.status === DeliveryStatus.Pending ? outcome.nextAttemptAt : null,
      ],
    );
  }

  async disable(id: string, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhooks SET enabled = false, disabled_reason = $2, updated_at = now(),
              lease_owner = NULL, lease_expires_at = NULL
        WHERE id = $1`,
      [id, reason],
    );
  }

  /** Deletes a retired webhook once it has nothing left to send (or is disabled). */
  async deleteIfRetired(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM webhooks w WHERE w.id = $1 AND ${RETIRED_AND_DONE}`, [id]);
  }

  // --- upkeep ------------------------------------------------------------------------------

  /** Deletes up to `limit` finished (delivered or failed) deliveries queued before `before`. */
  async pruneFinished(before: Date, limit: number): Promise<number> {
    const { rowCount } = await pgPoolOf(this.dataSource).query(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1 LIMIT $2)`,
      [before, limit],
    );
    return rowCount ?? 0;
  }

  /** Deliveries waiting to be sent to enabled webhooks (the backlog metric). */
  async backlog(): Promise<number> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ pending: number }>(
      `SELECT count(*)::int AS pending
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.status = 'pending' AND w.enabled`,
    );
    return rows[0].pending;
  }

  /** The oldest event a pending delivery still needs (disabled webhooks' too: they may be enabled again). */
  async oldestPendingEvent(): Promise<number | undefined> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ oldest: string | null }>(
      `SELECT min(event_id) AS oldest FROM webhook_deliveries WHERE status = 'pending'`,
    );
    return rows[0].oldest === null ? undefined : Number(rows[0].oldest);
  }

  /**
   * Pending deliveries of disabled webhooks queued before `before` will not be sent: marked failed,
   * so a forgotten endpoint does not keep events forever.
   */
  async expireDisabled(before: Date): Promise<number> {
    const { rowCount } = await pgPoolOf(this.dataSource).query(
      `UPDATE webhook_deliveries d
          SET status = 'failed', last_error = 'expired: its webhook stayed disabled past AOS_EVENT_RETENTION_DAYS'
         FROM webhooks w
        WHERE w.id = d.webhook_id AND NOT w.enabled AND d.status = 'pending' AND d.created_at < $1`,
      [before],
    );
    return rowCount ?? 0;
  }
}
