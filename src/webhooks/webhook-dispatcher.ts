import { crossTenant } from '../common/db-scope';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CoalescedTask } from '../common/coalesced-task';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EventBus } from '../events/event-bus';
import { EventsService, StoredEvent } from '../events/events.service';
import { RetentionHolds } from '../events/retention-holds';
import { MetricsService } from '../metrics/metrics.service';
import type { Counter } from 'prom-client';
import { planDeliveries } from './delivery-plan';
import { WebhookSender } from './webhook-sender';
import { WebhooksRepository } from './webhooks.repository';

const BATCH = 1_000;
const PRUNE_BATCH = 1_000;

/**
 * Fans sequenced events out into webhook deliveries. It reads the event log as a durable reader
 * (the `webhooks` cursor): each batch's deliveries are queued in the transaction that moves the
 * cursor, so a crash neither loses nor doubles one. Every instance runs it when events are
 * sequenced; the cursor's row lock makes them take turns. An agent's webhooks outlive it just
 * long enough to receive its `agent.deleted`.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly task = new CoalescedTask(
    () => crossTenant('relay', () => this.drain()),
    (error) => this.logger.warn({ err: error }, 'queueing webhook deliveries failed; the next event or tick retries'),
    // Fan-out gathers the sequencer's batches: at most one pass per 20 ms.
    20,
  );
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly dropped: Counter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventsService,
    private readonly bus: EventBus,
    private readonly webhooks: WebhooksRepository,
    private readonly sender: WebhookSender,
    holds: RetentionHolds,
    metrics: MetricsService,
  ) {
    // Retention keeps what is not fanned out yet, and what an enabled webhook still has to send
    // within its backlog cap: a disabled one holds nothing, a dead one no more than the cap.
    holds.register('webhooks', async () => {
      const [fannedOut, oldestEventId] = await Promise.all([
        this.events.position('webhooks'),
        this.webhooks.oldestPendingEvent(new Date(Date.now() - this.config.webhooks.maxBacklogMs)),
      ]);
      return oldestEventId === undefined ? fannedOut : Math.min(fannedOut, oldestEventId - 1);
    });
    this.dropped = metrics.counter({
      name: 'aos_webhook_deliveries_dropped_total',
      help: 'Deliveries an enabled webhook had not taken within AOS_WEBHOOK_MAX_BACKLOG_HOURS, dropped for it',
    });
  }

  onApplicationBootstrap(): void {
    this.bus.onSequenced(() => this.task.kick());
    this.timer = setInterval(() => this.task.kick(), this.config.events.pollMs);
    this.timer.unref();
    this.pruneTimer = setInterval(
      () =>
        void this.pruneDeliveries().catch((error: unknown) =>
          this.logger.warn({ err: error }, 'pruning webhook deliveries failed; the next pass retries'),
        ),
      this.config.events.pruneIntervalMs,
    );
    this.pruneTimer.unref();
    this.task.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
    await this.task.stop();
  }

  /**
   * The delivery log follows the events' retention: finished deliveries older than
   * AOS_EVENT_RETENTION_DAYS go, in small batches. Pending ones stay until they finish, except
   * those of a webhook that stayed disabled that long: they expire (failed), so a forgotten
   * endpoint cannot keep events forever.
   */
  pruneDeliveries(): Promise<number> {
    return crossTenant('pruning', async () => {
      const before = new Date(Date.now() - this.config.events.retentionDays * 86_400_000);
      await this.webhooks.expireDisabled(before);
      await this.dropOverCap();
      let deleted = 0;
      for (let n = PRUNE_BATCH; n === PRUNE_BATCH && !this.stopped; deleted += n) {
        n = await this.webhooks.pruneFinished(before, PRUNE_BATCH);
      }
      return deleted;
    });
  }

  /** What an enabled webhook has not taken within its backlog cap is dropped for it, and counted. */
  async dropOverCap(): Promise<number> {
    const before = new Date(Date.now() - this.config.webhooks.maxBacklogMs);
    let dropped = 0;
    for (let n = PRUNE_BATCH; n === PRUNE_BATCH && !this.stopped; dropped += n) {
      n = await crossTenant('pruning', () => this.webhooks.dropOverCap(before, PRUNE_BATCH));
    }
    if (dropped > 0) {
      this.dropped.inc(dropped);
      this.logger.warn({ dropped }, 'dropped webhook deliveries past AOS_WEBHOOK_MAX_BACKLOG_HOURS');
    }
    return dropped;
  }

  private async drain(): Promise<void> {
    // Without any webhook there is nothing to queue or retire: move past what is sequenced without
    // reading it. The position is read before the check, so a webhook created after the check
    // only misses events sequenced before it existed.
    const sequenced = await this.events.sequenced();
    if (!(await this.webhooks.any())) return this.events.skip('webhooks', sequenced);
    for (;;) {
      const handled = await this.events.consume('webhooks', BATCH, (m, batch) => this.fanOut(m, batch));
      if (handled > 0) this.sender.kick();
      if (handled < BATCH || this.stopped) return;
    }
  }

  private async fanOut(m: EntityManager, batch: StoredEvent[]): Promise<void> {
    const agentIds = [...new Set(batch.map((e) => e.agent_id))];
    const webhooks = await this.webhooks.enabledFor(m, agentIds);
    const rows = planDeliveries(batch, webhooks);
    await this.webhooks.enqueue(m, rows);
    for (const gone of batch.filter((e) => e.type === 'agent.deleted')) {
      await this.webhooks.retireForGoneAgent(m, gone.agent_id);
    }
  }
}
