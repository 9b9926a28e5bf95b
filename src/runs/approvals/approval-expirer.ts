import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CoalescedTask } from '../../common/coalesced-task';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { ApprovalsService } from './approvals.service';

/** Looks for expired approvals a quarter of the TTL apart (between 250 ms and 30 s), on every instance. */
@Injectable()
export class ApprovalExpirer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ApprovalExpirer.name);
  private readonly task = new CoalescedTask(
    async () => {
      await this.approvals.expire();
    },
    (error) => this.logger.warn({ err: error }, 'expiring approvals failed; the next tick retries'),
  );
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly approvals: ApprovalsService,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.min(Math.max(Math.floor(this.config.approvalTtlMs / 4), 250), 30_000);
    this.timer = setInterval(() => this.task.kick(), every);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.task.stop();
  }

  /** One pass now (tests drive it). */
  expire(): Promise<number> {
    return this.approvals.expire();
  }
}
