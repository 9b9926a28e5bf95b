import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { CoalescedTask } from '../common/coalesced-task';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EventsService } from '../events/events.service';
import { ProvenanceService } from '../provenance/provenance.service';
import { RunStatus } from '../provenance/run-status.enum';
import { declinedText } from './approval-policy';
import { RunQueue } from './run-queue';
import { isTerminal } from './run-status';

const BATCH = 50;

/**
 * Cancels runs whose approval nobody answered within AOS_APPROVAL_TTL_MS: their waiting calls
 * become `expired` (run.approval.expired) and the run `cancelled`, saying which call and why.
 * Every instance looks (a quarter of the TTL apart, between 250 ms and 30 s); the run's row lock
 * makes one of them do it.
 */
@Injectable()
export class ApprovalExpirer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ApprovalExpirer.name);
  private readonly task = new CoalescedTask(
    async () => {
      await this.expire();
    },
    (error) => this.logger.warn({ err: error }, 'expiring approvals failed; the next tick retries'),
  );
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly provenance: ProvenanceService,
    private readonly agents: AgentsService,
    private readonly queue: RunQueue,
    private readonly events: EventsService,
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

  /** One pass; returns how many runs it cancelled. */
  async expire(): Promise<number> {
    let cancelled = 0;
    for (const { run_id: runId, agent_id: agentId } of await this.provenance.runsWithExpiredApprovals(BATCH)) {
      const done = await this.dataSource.transaction(async (m) => {
        await this.agents.holdForRunWrite(m, agentId);
        const status = await this.queue.lockForAnswer(m, agentId, runId);
        if (status && isTerminal(status)) {
          // Left waiting on a run that ended (cancelled as its call was recorded): closed quietly.
          await this.provenance.cancelApprovals(m, [runId]);
          return false;
        }
        if (status !== RunStatus.WaitingApproval) return false;
        const waiting = await this.provenance.awaitingApproval(m, runId);
        if (waiting.length === 0) return false;
        const error = declinedText({ status: 'expired', rejectedBy: null, approvalReason: null });
        await this.provenance.answerApprovals(
          m,
          waiting.map((c) => c.id),
          { status: 'expired', by: null, reason: null, error },
        );
        await this.events.append(
          m,
          waiting.map((c) => ({
            agentId,
            runId,
            type: 'run.approval.expired',
            data: {
              tool_call_id: c.id,
              step: c.stepIndex,
              skill: c.skillId,
              expired_at: c.approvalExpiresAt?.toISOString() ?? null,
            },
          })),
        );
        const first = waiting[0];
        return this.queue.cancelWaiting(
          m,
          runId,
          `cancelled: nobody answered the approval of ${first.skillId} (step ${first.stepIndex}) within ${Math.round(this.config.approvalTtlMs / 1000)} s (AOS_APPROVAL_TTL_MS)`,
        );
      });
      if (done) cancelled++;
    }
    if (cancelled > 0) this.logger.log({ runs: cancelled }, 'cancelled runs whose approval expired');
    return cancelled;
  }
}
