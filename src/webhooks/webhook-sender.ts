import { crossTenant } from '../common/db-scope';
import { HttpService } from '@nestjs/axios';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import type { Counter } from 'prom-client';
import { CoalescedTask } from '../common/coalesced-task';
import { shown } from '../common/shown-url';
import { findSsrfBlock, OutboundPolicy } from '../common/ssrf';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { eventJson, EventsService } from '../events/events.service';
import { MetricsService } from '../metrics/metrics.service';
import { afterFailure, isDelivered } from './delivery-schedule';
import { DeliveryStatus } from './delivery-status.enum';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { signedHeaders } from './webhook-signing';
import { WebhookSecrets } from './webhook-secrets';
import type { WebhookEntity } from './webhook.entity';
import { webhookPolicy } from './webhooks.service';
import { WebhooksRepository } from './webhooks.repository';

/** Endpoints one instance sends to at once (each one delivery at a time, in event order). */
const CONCURRENCY = 16;
/** Of those, how many may be endpoints whose last attempt failed: the others stay for the healthy. */
const FAILING_SLOTS = CONCURRENCY / 2;
/** Deliveries to one endpoint, or time with it, before its lease is given back, so busy endpoints take turns. */
const PER_LEASE = 50;
const LEASE_BUDGET_MS = 10_000;
const MAX_ERROR_LENGTH = 500;

type Attempt = { statusCode: number; error?: undefined } | { statusCode?: undefined; error: string };

/**
 * Sends queued deliveries. An instance leases an endpoint (webhooks.lease_*), sends its oldest
 * pending delivery, and moves to the next only once that one is delivered or given up: each
 * endpoint receives in event order, at least once. A failure schedules a retry with backoff; a
 * 410 disables the endpoint; after AOS_WEBHOOK_GIVE_UP_MS the delivery fails and the next one
 * goes. After AOS_WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row the endpoint is disabled
 * (webhook.disabled), and endpoints that are failing get at most half of the sender's slots, the
 * healthy ones served first, longest-waiting first. Every connection is made under the webhooks'
 * SSRF policy, so a name that resolves to a private address later is refused then too.
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookSender.name);
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly policy: OutboundPolicy;
  private readonly active = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly outcomes: Counter<'outcome'>;
  private readonly disabled: Counter<'reason'>;
  /** Endpoints being served now whose last attempt failed. */
  private readonly failing = new Set<string>();
  private readonly task = new CoalescedTask(
    () => crossTenant('webhook-delivery', () => this.claim()),
    (error) => this.logger.warn({ err: error }, 'claiming webhook deliveries failed; the next tick retries'),
  );
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: HttpService,
    private readonly webhooks: WebhooksRepository,
    private readonly events: EventsService,
    private readonly secrets: WebhookSecrets,
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: MetricsService,
  ) {
    this.policy = webhookPolicy(config);
    this.outcomes = metrics.counter({
      name: 'aos_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry, failed (given up or event expired), disabled (410)',
      labelNames: ['outcome'],
    });
    this.disabled = metrics.counter({
      name: 'aos_webhooks_disabled_total',
      help: 'Webhooks this instance disabled, by reason: failures (a run of failed attempts), gone (a 410)',
      labelNames: ['reason'],
    });
    for (const reason of ['failures', 'gone']) this.disabled.inc({ reason }, 0);
    const repository = webhooks;
    metrics.gauge({
      name: 'aos_webhook_backlog',
      help: 'Deliveries waiting to be sent to enabled webhooks (all instances)',
      async collect() {
        this.set(await repository.backlog().catch(() => 0));
      },
    });
  }

  onApplicationBootstrap(): void {
    // Retries come due and other instances queue deliveries: look for due work every poll.
    this.timer = setInterval(() => this.kick(), this.config.events.pollMs);
    this.timer.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // In-flight requests are abandoned, not recorded: their leases are given back and the
    // deliveries go again (at least once), from this instance after a restart or from another.
    this.stopping.abort();
    await this.task.stop();
    await Promise.allSettled(this.active.values());
  }

  /** Looks for due deliveries now (after a fan-out, or a tick). */
  kick(): void {
    this.task.kick();
  }

  private get leaseMs(): number {
    return this.config.webhooks.timeoutMs + 30_000;
  }

  private async claim(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const room = CONCURRENCY - this.active.size;
      if (room <= 0) return;
      const claimed = await this.webhooks.claimDue(
        this.owner,
        this.leaseMs,
        room,
        [...this.active.keys()],
        FAILING_SLOTS - this.failing.size,
      );
      for (const webhook of claimed) {
        if (webhook.consecutiveFailures > 0) this.failing.add(webhook.id);
        const work = this.work(webhook.id)
          .catch((error: unknown) =>
            this.logger.warn({ err: error, webhook_id: webhook.id }, 'webhook delivery failed'),
          )
          .finally(() => {
            this.active.delete(webhook.id);
            this.failing.delete(webhook.id);
            this.kick();
          });
        this.active.set(webhook.id, work);
      }
      if (claimed.length < room) return;
    }
  }

  /** Sends one endpoint's due deliveries in order while it holds the lease. */
  private async work(webhookId: string): Promise<void> {
    const until = Date.now() + LEASE_BUDGET_MS;
    try {
      for (let sent = 0; sent < PER_LEASE && Date.now() < until && !this.stopping.signal.aborted; sent++) {
        // Renewed before each delivery: the row comes back fresh (a rotated secret, a disable).
        const webhook = await this.webhooks.renewLease(webhookId, this.owner, this.leaseMs);
        if (!webhook) return;
        const delivery = await this.webhooks.dueHead(webhookId);
        if (!delivery || !(await this.deliver(webhook, delivery))) return;
      }
    } finally {
      await this.webhooks.release(webhookId, this.owner).catch(() => undefined);
    }
  }

  /** One attempt; true when the endpoint may go on to its next delivery. */
  private async deliver(webhook: WebhookEntity, delivery: WebhookDeliveryEntity): Promise<boolean> {
    const event = await this.events.find(Number(delivery.eventId));
    if (!event) {
      this.outcomes.inc({ outcome: 'failed' });
      await this.webhooks.recordAttempt(delivery.id, {
        status: DeliveryStatus.Failed,
        statusCode: null,
        error: 'the event is no longer kept (AOS_EVENT_RETENTION_DAYS); it was not sent',
        counts: false,
      });
      await this.webhooks.deleteIfRetired(webhook.id);
      return true;
    }
    const attempt = await this.post(webhook, String(event.id), eventJson(event));
    if (this.stopping.signal.aborted) return false;
    // A retired webhook (its agent is gone) goes once its last delivery is done.
    const finished = () => this.webhooks.deleteIfRetired(webhook.id);
    if (attempt.statusCode !== undefined && isDelivered(attempt.statusCode)) {
      this.outcomes.inc({ outcome: 'delivered' });
      await this.webhooks.recordAttempt(delivery.id, {
        status: DeliveryStatus.Delivered,
        statusCode: attempt.statusCode,
      });
      if (webhook.consecutiveFailures > 0) await this.webhooks.countSuccess(webhook.id);
      webhook.consecutiveFailures = 0;
      this.failing.delete(webhook.id);
      await finished();
      return true;
    }
    const statusCode = attempt.statusCode ?? null;
    const error = (attempt.error ?? `answered ${attempt.statusCode}`).slice(0, MAX_ERROR_LENGTH);
    const next = afterFailure(
      { attempts: delivery.attempts + 1, createdAt: delivery.createdAt },
      statusCode,
      new Date(),
      {
        baseMs: this.config.webhooks.retryBaseMs,
        maxMs: this.config.webhooks.retryMaxMs,
        giveUpMs: this.config.webhooks.giveUpMs,
      },
      Math.random(),
    );
    this.outcomes.inc({ outcome: { retry: 'retry', give_up: 'failed', disable: 'disabled' }[next.kind] });
    if (next.kind === 'disable') {
      await this.webhooks.recordAttempt(delivery.id, {
        status: DeliveryStatus.Failed,
        statusCode,
        error,
        counts: true,
      });
      await this.disable(webhook, 'gone', `the receiver answered 410 Gone at ${new Date().toISOString()}`);
      await this.webhooks.deleteIfRetired(webhook.id);
      return false;
    }
    if (next.kind === 'retry') {
      await this.webhooks.recordAttempt(delivery.id, {
        status: DeliveryStatus.Pending,
        statusCode,
        error,
        nextAttemptAt: next.at,
      });
    } else {
      await this.webhooks.recordAttempt(delivery.id, {
        status: DeliveryStatus.Failed,
        statusCode,
        error: `${error}; ${next.reason}`.slice(0, MAX_ERROR_LENGTH),
        counts: true,
      });
      this.logger.warn({ webhook_id: webhook.id, event_id: event.id }, 'gave up a webhook delivery');
    }
    // A run of failed attempts, whatever the deliveries: past the bound the endpoint is disabled.
    const failures = await this.webhooks.countFailure(webhook.id);
    this.failing.add(webhook.id);
    if (failures >= this.config.webhooks.disableAfterFailures) {
      await this.disable(
        webhook,
        'failures',
        `disabled after ${failures} failed attempts in a row (AOS_WEBHOOK_DISABLE_AFTER_FAILURES); the last: ${error}`,
      );
      await this.webhooks.deleteIfRetired(webhook.id);
      return false;
    }
    if (next.kind === 'retry') return false;
    await finished();
    return true;
  }

  /**
   * Disables the endpoint with its webhook.disabled event, in one transaction; its pending
   * deliveries wait (and hold no retention) until a person enables it again.
   */
  private async disable(webhook: WebhookEntity, reason: 'failures' | 'gone', detail: string): Promise<void> {
    const disabled = await this.dataSource.transaction(async (m) => {
      if (!(await this.webhooks.disable(m, webhook.id, detail))) return false;
      await this.events.append(m, [
        {
          tenantId: webhook.tenantId,
          agentId: webhook.agentId,
          type: 'webhook.disabled',
          data: { webhook_id: webhook.id, url: shown(new URL(webhook.url)), reason, detail },
        },
      ]);
      return true;
    });
    if (!disabled) return;
    this.disabled.inc({ reason });
    this.logger.warn(
      { webhook_id: webhook.id, url: shown(new URL(webhook.url)), reason },
      `webhook disabled: ${detail}`,
    );
  }

  /** POSTs the signed envelope; the answer's status, or why there was none. */
  private async post(webhook: WebhookEntity, id: string, body: string): Promise<Attempt> {
    const url = new URL(webhook.url);
    const now = new Date();
    const timeoutMs = this.config.webhooks.timeoutMs;
    try {
      const response = await this.http.axiosRef.post<Readable>(url.toString(), body, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'aos-webhooks/1.0',
          ...signedHeaders(this.secrets.signing(webhook, now), id, now, body),
        },
        ...this.policy.agentsFor(url),
        proxy: false,
        maxRedirects: 0,
        timeout: timeoutMs,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopping.signal]),
        // Only the status matters: the body is not read, and the connection is closed.
        responseType: 'stream',
        validateStatus: () => true,
        transformRequest: [(data: string) => data],
      });
      response.data.destroy();
      return { statusCode: response.status };
    } catch (error) {
      const blocked = findSsrfBlock(error);
      if (blocked) return { error: blocked.message };
      const e = error as { code?: string; message?: string; name?: string };
      if (e.code === 'ECONNABORTED' || e.code === 'ERR_CANCELED' || e.name === 'TimeoutError') {
        return { error: `no answer within ${timeoutMs} ms` };
      }
      return { error: `${e.code ?? 'network error'}: ${e.message ?? String(error)}` };
    }
  }
}
