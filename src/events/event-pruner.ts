import { crossTenant } from '../common/db-scope';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EventsRepository } from './events.repository';
import { RetentionHolds } from './retention-holds';

const BATCH = 1_000;

/**
 * How far retention may delete: what is sequenced, but never past a reader's hold (the NATS
 * relay's position, the webhooks' oldest pending delivery).
 */
export function pruneFloor(sequenced: number, holds: readonly number[]): number {
  return Math.max(0, Math.min(sequenced, ...holds));
}

/**
 * Retention: deletes events older than AOS_EVENT_RETENTION_DAYS, in small batches (each its own
 * short transaction, so writers never wait on it), but never one that a reader holding it
 * back (RetentionHolds: the NATS relay, webhook deliveries) has not passed yet. Every instance runs it; the `pruned`
 * cursor row makes them take turns.
 */
@Injectable()
export class EventPruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventPruner.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventsRepository,
    private readonly holds: RetentionHolds,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void crossTenant('pruning', () => this.pruneNow()),
      this.config.events.pruneIntervalMs,
    );
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many events it deleted. */
  async pruneNow(): Promise<number> {
    if (this.running) return 0;
    let deleted = 0;
    // Across tenants: retention is the instance's, whoever calls it.
    this.running = crossTenant('pruning', async () => {
      try {
        const floor = pruneFloor(await this.events.position('sequence'), await this.holds.limits());
        const before = new Date(Date.now() - this.config.events.retentionDays * 86_400_000);
        for (;;) {
          const n = await this.events.prune(before, floor, BATCH);
          deleted += n;
          if (n < BATCH) break;
        }
        if (deleted > 0) this.logger.log({ deleted, up_to: floor }, 'pruned old events');
      } catch (error) {
        this.logger.warn({ err: error }, 'pruning events failed; the next pass retries');
      }
    }).finally(() => (this.running = undefined));
    await this.running;
    return deleted;
  }
}
