import { currentActor } from '../common/db-scope';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { DeliveryStatus } from './delivery-status.enum';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { returnedRows } from '../database/returned-rows';
import { SealedWebhookSecrets, WebhookEntity } from './webhook.entity';

export interface NewWebhook {
  id: string;
  agentId: string;
  url: string;
  events: string[] | null;
  description: string | null;
  sealed: SealedWebhookSecrets;
}

export interface WebhookChanges {
  enabled?: boolean;
  events?: string[] | null;
  description?: string | null;
  /** A rotation: the secrets sealed anew (the current one as the previous), and until when the previous signs. */
  rotation?: { sealed: SealedWebhookSecrets; previousExpiresAt: Date };
}

/** One queued delivery: which webhook receives which event. */
export interface DeliveryRow {
  tenantId: string;
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
    const { sealed, ...rest } = webhook;
    return repo.save(repo.create({ ...rest, ...sealed, enabled: true, createdBy: currentActor() }));
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
      // Enabled again by a person: its run of failures starts over.
      if (changes.enabled) Object.assign(webhook, { disabledReason: null, consecutiveFailures: 0 });
    }
    if (changes.events !== undefined) webhook.events = changes.events;
    if (changes.description !== undefined) webhook.description = changes.description;
    if (changes.rotation) {
      Object.assign(webhook, changes.rotation.sealed, {
        secret: null,
        previousSecret: null,
        previousSecretExpiresAt: changes.rotation.previousExpiresAt,
      });
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
  ): Promise<{ tenantId: string; id: string; agentId: string; events: string[] | null }[]> {
    const rows = await m.query<{ tenant_id: string; id: string; agent_id: string; events: string[] | null }[]>(
      'SELECT tenant_id, id, agent_id, events FROM webhooks WHERE enabled AND agent_id = ANY($1::uuid[])',
      [agentIds],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, id: r.id, agentId: r.agent_id, events: r.events }));
  }

  /** Queues deliveries (a fan-out done again after a crash finds them there and adds nothing). */
  async enqueue(m: EntityManager, rows: DeliveryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[])
       ON CONFLICT (tenant_id, webhook_id, event_id) DO NOTHING`,
      [
        rows.map((r) => r.tenantId),
        rows.map((r) => r.webhookId),
        rows.map((r) => r.eventId),
        rows.map((r) => r.eventType),
      ],
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
  async claimDue(
    owner: string,
    leaseMs: number,
    limit: number,
    busy: string[],
    failingRoom: number,
  ): Promise<WebhookEntity[]> {
    // Fair across endpoints: healthy ones (no failure in a row) before failing ones, each group
    // longest-waiting first, and failing ones given at most `failingRoom` of the slots, so a few
    // dead receivers cannot hold every sender while the others wait.
    const { rows: ids } = await pgPoolOf(this.dataSource).query<{ id: string }>(
      `WITH due AS (
         SELECT w.id, w.consecutive_failures > 0 AS failing, w.last_served_at FROM webhooks w
          WHERE w.enabled
            AND (w.lease_expires_at IS NULL OR w.lease_expires_at < now())
            AND NOT (w.id = ANY($4::uuid[]))
            AND (SELECT d.next_attempt_at FROM webhook_deliveries d
                  WHERE d.webhook_id = w.id AND d.status = 'pending'
                  ORDER BY d.event_id LIMIT 1) <= now()
          FOR UPDATE SKIP LOCKED
       ), ranked AS (
         SELECT id, failing, last_served_at,
                row_number() OVER (PARTITION BY failing ORDER BY last_served_at NULLS FIRST, id) AS n
           FROM due
       ), picked AS (
         SELECT id FROM ranked WHERE NOT failing OR n <= $5
          ORDER BY failing, last_served_at NULLS FIRST, id LIMIT $3
       )
       UPDATE webhooks w SET lease_owner = $1, lease_expires_at = now() + $2 * interval '1 millisecond',
              last_served_at = now()
         FROM picked WHERE w.id = picked.id
       RETURNING w.id`,
      [owner, leaseMs, limit, busy, Math.max(0, failingRoom)],
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

  /** Disables an enabled webhook, in the caller's transaction; false when it was not enabled (nothing changed). */
  async disable(m: EntityManager, id: string, reason: string): Promise<boolean> {
    const rows = returnedRows(
      await m.query<{ id: string }[] | [{ id: string }[], number]>(
        `UPDATE webhooks SET enabled = false, disabled_reason = $2, updated_at = now(),
                lease_owner = NULL, lease_expires_at = NULL
          WHERE id = $1 AND enabled RETURNING id`,
        [id, reason],
      ),
    );
    return rows.length > 0;
  }

  /** One more failed attempt in a row; returns how many there are now. */
  async countFailure(id: string): Promise<number> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ n: number }>(
      'UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 RETURNING consecutive_failures AS n',
      [id],
    );
    return rows[0]?.n ?? 0;
  }

  /** A delivered attempt ends the run of failures. */
  async countSuccess(id: string): Promise<void> {
    await pgPoolOf(this.dataSource).query(
      'UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures <> 0',
      [id],
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
         FROM webhook_deliveries d JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
        WHERE d.status = 'pending' AND w.enabled`,
    );
    return rows[0].pending;
  }

  /**
   * The oldest event a pending delivery of an enabled webhook still needs, among those queued
   * after `since` (the backlog cap): a disabled webhook holds nothing, and an enabled one holds no
   * more than the cap.
   */
  async oldestPendingEvent(since: Date): Promise<number | undefined> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ oldest: string | null }>(
      `SELECT min(d.event_id) AS oldest FROM webhook_deliveries d JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
        WHERE d.status = 'pending' AND w.enabled AND d.created_at >= $1`,
      [since],
    );
    return rows[0].oldest === null ? undefined : Number(rows[0].oldest);
  }

  /**
   * An enabled webhook's deliveries queued before `before` (past AOS_WEBHOOK_MAX_BACKLOG_HOURS)
   * are dropped for it: marked failed, saying so. Returns how many.
   */
  async dropOverCap(before: Date, limit: number): Promise<number> {
    const { rowCount } = await pgPoolOf(this.dataSource).query(
      `UPDATE webhook_deliveries SET status = 'failed',
              last_error = 'dropped: still undelivered past AOS_WEBHOOK_MAX_BACKLOG_HOURS'
        WHERE id IN (
          SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id
           WHERE d.status = 'pending' AND w.enabled AND d.created_at < $1 LIMIT $2)`,
      [before, limit],
    );
    return rowCount ?? 0;
  }

  // --- sealed secrets (the SecretSealer's store) ------------------------------------------

  async secretKeyIds(): Promise<string[]> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ key_id: string }>(
      'SELECT DISTINCT secret_key_id AS key_id FROM webhooks WHERE secret_key_id IS NOT NULL',
    );
    return rows.map((r) => r.key_id);
  }

  async anyPlaintextSecret(): Promise<boolean> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ any: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM webhooks WHERE secret IS NOT NULL) AS any',
    );
    return rows[0].any;
  }

  /** Seals up to `limit` secrets stored in the clear with `seal`, clearing the plaintext; returns how many. */
  async sealPlaintextSecrets(limit: number, seal: (w: WebhookEntity) => SealedWebhookSecrets): Promise<number> {
    const batch = await this.dataSource
      .getRepository(WebhookEntity)
      .createQueryBuilder('w')
      .where('w.secret IS NOT NULL')
      .limit(limit)
      .getMany();
    for (const w of batch) {
      const sealed = seal(w);
      // Only if still in the clear as read (another instance may be sealing it too).
      await this.dataSource.query(
        `UPDATE webhooks SET secret_ciphertext = $3, previous_secret_ciphertext = $4, secret_key_id = $5,
                secret = NULL, previous_secret = NULL
          WHERE id = $1 AND secret = $2`,
        [w.id, w.secret, sealed.secretCiphertext, sealed.previousSecretCiphertext, sealed.secretKeyId],
      );
    }
    return batch.length;
  }

  /** Seals again, with `reseal`, up to `limit` webhooks' secrets sealed with `keyId`; returns how many. */
  async resealSecrets(
    keyId: string,
    limit: number,
    reseal: (w: WebhookEntity) => SealedWebhookSecrets,
  ): Promise<number> {
    const batch = await this.dataSource
      .getRepository(WebhookEntity)
      .find({ where: { secretKeyId: keyId }, take: limit });
    for (const w of batch) {
      const sealed = reseal(w);
      // Only if unchanged since it was read (a rotation meanwhile wins).
      await this.dataSource.query(
        `UPDATE webhooks SET secret_ciphertext = $3, previous_secret_ciphertext = $4, secret_key_id = $5
          WHERE id = $1 AND secret_ciphertext = $2`,
        [w.id, w.secretCiphertext, sealed.secretCiphertext, sealed.previousSecretCiphertext, sealed.secretKeyId],
      );
    }
    return batch.length;
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
