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
import { signedHeaders, signingSecrets } from './webhook-signing';
import type { WebhookEntity } from './webhook.entity';
import { webhookPolicy } from './webhooks.service';
import { WebhooksRepository } from './webhooks.repository';

/** Endpoints one instance sends to at once (each one delivery at a time, in event order). */
const CONCURRENCY = 16;
/** Deliveries to one endpoint before its lease is given back, so busy endpoints take turns. */
const PER_LEASE = 50;
const MAX_ERROR_LENGTH = 500;

type Attempt = { statusCode: number; error?: undefined } | { statusCode?: undefined; error: string };

/**
 * Sends queued deliveries. An instance leases an endpoint (webhooks.lease_*), sends its oldest
 * pending delivery, and moves to the next only once that one is delivered or given up: each
 * endpoint receives in event order, at least once. A failure schedules a retry with backoff; a
 * 410 disables the endpoint; after AOS_WEBHOOK_GIVE_UP_MS the delivery fails and the next one
 * goes. Every connection is made under the webhooks' SSRF policy, so a name that resolves to a
 * private address later is refused then too.
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookSender.name);
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly policy: OutboundPolicy;
  private readonly active = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly outcomes: Counter<'outcome'>;
  private readonly task = new CoalescedTask(
    () => this.claim(),
    (error) => this.logger.warn({ err: error }, 'claiming webhook deliveries failed; the next tick retries'),
  );
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: HttpService,
    private readonly webhooks: WebhooksRepository,
    private readonly events: EventsService,
    metrics: MetricsService,
  ) {
    this.policy = webhookPolicy(config);
    this.outcomes = metrics.counter({
      name: 'aos_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry, failed (given up or event expired), disabled (410)',
      labelNames: ['outcome'],
    });
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
      const claimed = await this.webhooks.claimDue(this.owner, this.leaseMs, room, [...this.active.keys()]);
      for (const webhook of claimed) {
        const work = this.work(webhook.id)
          .catch((error: unknown) =>
            this.logger.warn({ err: error, webhook_id: webhook.id }, 'webhook delivery failed'),
          )
          .finally(() => {
            this.active.delete(webhook.id);
            this.kick();
          });
        this.active.set(webhook.id, work);
      }
      if (claimed.length < room) return;
    }
  }

  /** Sends one endpoint's due deliveries in order while it holds the lease. */
  private async work(webhookId: string): Promise<void> {
    try {
      for (let sent = 0; sent < PER_LEASE && !this.stopping.signal.aborted; sent++) {
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
    if (next.kind === 'retry') {
      await this.webhooks.recordAttempt(delivery.id, {
        status: DeliveryStatus.Pending,
        statusCode,
        error,
        nextAttemptAt: next.at,
      });
      return false;
    }
    if (next.kind === 'give_up') {
      await this.webhooks.recordAttempt(delivery.id, {
        status: DeliveryStatus.Failed,
        statusCode,
        error: `${error}; ${next.reason}`.slice(0, MAX_ERROR_LENGTH),
        counts: true,
      });
      this.logger.warn({ webhook_id: webhook.id, event_id: event.id }, 'gave up a webhook delivery');
      await finished();
      return true;
    }
    await this.webhooks.recordAttempt(delivery.id, { status: DeliveryStatus.Failed, statusCode, error, counts: true });
    await this.webhooks.disable(webhook.id, `the receiver answered 410 Gone at ${new Date().toISOString()}`);
    this.logger.warn(
      { webhook_id: webhook.id, url: shown(new URL(webhook.url)) },
      'webhook disabled: its receiver answered 410',
    );
    await this.webhooks.deleteIfRetired(webhook.id);
    return false;
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
          ...signedHeaders(signingSecrets(webhook, now), id, now, body),
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
