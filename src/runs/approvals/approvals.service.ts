import { crossTenant, currentActor, inTenant } from '../../common/db-scope';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AgentsService } from '../../agents/agents.service';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { RunStatus } from '../../run-record/run-status.enum';
import { isTerminal } from '../../run-record/run-transitions';
import { RunWrite, RunWriter } from '../../run-record/run-writer';
import type { Lease } from '../../run-record/run-states.repository';
import type { Taint } from '../../run-record/taint';
import { ToolCallStatus } from '../../run-record/tool-call-status.enum';
import { ToolCallRef, ToolCallsRepository } from '../../run-record/tool-calls.repository';
import { RunQueue } from '../queue/run-queue';
import { ApprovalNotPendingError, RunNotFoundError, RunNotWaitingError } from '../run.errors';
import type { CallEffects, RunPolicy } from '../tools/run-policy';
import { approvalGate } from './approval-gate';
import { declinedText } from './declined-text';

const EXPIRY_BATCH = 50;

/**
 * Approvals, whole: whether a call must wait for a person (the approval policy and the taint
 * rule), recording it waiting, the run's wait, a person's answer and the expiry of calls nobody
 * answered within AOS_APPROVAL_TTL_MS. A waiting call is a tool call in `awaiting_approval`; its
 * run leaves its worker until every such call is answered.
 */
@Injectable()
export class ApprovalsService {
  private readonly logger = new Logger(ApprovalsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly writer: RunWriter,
    private readonly toolCalls: ToolCallsRepository,
    private readonly queue: RunQueue,
    private readonly agents: AgentsService,
  ) {}

  /** Why the call must wait for a person, or undefined. `taint` only where outside content can have chosen the call. */
  reasonToAsk(policy: RunPolicy, effects: CallEffects, taint: Taint | null): string | undefined {
    return approvalGate(policy, effects, taint);
  }

  /** In the call's decision write: the call recorded waiting, with why and when it expires, and its event. */
  async request(w: RunWrite, agentId: string, call: ToolCallRef, reason: string): Promise<void> {
    const expiresAt = new Date(Date.now() + this.config.approvalTtlMs);
    const id = await this.toolCalls.requestApproval(w.m, { ...call, expiresAt, reason });
    w.emit({
      agentId,
      runId: call.runId,
      type: 'run.approval.requested',
      data: {
        tool_call_id: id,
        step: call.stepIndex,
        skill: call.skillId,
        input: call.input,
        reason,
        expires_at: expiresAt.toISOString(),
      },
    });
  }

  /** The run waits for its waiting calls (or goes back to the queue if each was answered meanwhile). */
  async wait(lease: Lease, reason: string): Promise<void> {
    await this.writer.step(lease, async (w) => {
      const awaiting = await this.toolCalls.awaiting(w.m, lease.runId);
      await this.queue.awaitApproval(w, lease, awaiting, reason);
    });
  }

  /**
   * A person answers the calls a run waits on: one (`toolCallId`) or all. Approved calls run when
   * the run is picked up again; a rejected one never runs and its reason reaches the model (a
   * planned step fails). Once no call waits, the run goes back to the queue.
   */
  async answer(
    ref: { agentId: string; runId: string },
    answer: { approve: boolean; toolCallId?: string; by: string | null; reason: string | null },
  ): Promise<void> {
    await this.writer.locked(ref, async (w) => {
      const { status } = w;
      if (!status) {
        await this.agents.findOrFail(w.m, ref.agentId);
        throw new RunNotFoundError(ref.runId);
      }
      // A call may be answered as soon as it is asked, while its run finishes the turn (running).
      if (isTerminal(status)) throw new RunNotWaitingError(ref.runId, status);
      const now = new Date();
      // An expired call is not answered any more, though the expirer may not have closed it yet.
      const awaiting = await this.toolCalls.awaiting(w.m, ref.runId);
      const pending = awaiting.filter((c) => !c.approvalExpiresAt || c.approvalExpiresAt > now);
      if (pending.length === 0 && status !== RunStatus.WaitingApproval) throw new RunNotWaitingError(ref.runId, status);
      const chosen = answer.toolCallId === undefined ? pending : pending.filter((c) => c.id === answer.toolCallId);
      if (chosen.length === 0) throw new ApprovalNotPendingError(ref.runId, answer.toolCallId);
      const { by, reason } = answer;
      await this.toolCalls.answer(
        w.m,
        chosen.map((c) => c.id),
        answer.approve
          ? { status: ToolCallStatus.Approved, actor: currentActor(), by, reason, error: null }
          : {
              status: ToolCallStatus.Rejected,
              actor: currentActor(),
              by,
              reason,
              error: declinedText({ status: 'rejected', answeredByNote: by, approvalReason: reason }),
            },
      );
      w.emit(
        ...chosen.map((c) => ({
          agentId: ref.agentId,
          runId: ref.runId,
          type: answer.approve ? ('run.approval.granted' as const) : ('run.approval.rejected' as const),
          data: { tool_call_id: c.id, step: c.stepIndex, skill: c.skillId, by, reason },
        })),
      );
      // A running run goes back to the queue itself once it finds nothing left to wait for.
      if (chosen.length === awaiting.length && status === RunStatus.WaitingApproval) {
        await this.queue.resumeAfterApproval(w, ref.runId);
      }
    });
  }

  /**
   * One expiry pass: runs whose waiting call nobody answered in time are cancelled, saying which
   * call and why, their waiting calls `expired`. Every instance looks; the run's row lock makes
   * one of them do it. Returns how many runs it cancelled.
   */
  async expire(): Promise<number> {
    let cancelled = 0;
    const expired = await crossTenant('expiry', () => this.toolCalls.runsWithExpiredApprovals(EXPIRY_BATCH));
    for (const { tenant_id: tenantId, run_id: runId, agent_id: agentId } of expired) {
      // Found across tenants; answered inside the run's own.
      const done = await inTenant(tenantId, () =>
        this.writer.locked({ agentId, runId }, async (w) => {
          if (w.status && isTerminal(w.status)) {
            // Left waiting on a run that ended before calls were closed with their runs: closed quietly.
            await this.toolCalls.closeOpen(w.m, [runId], {
              awaiting: 'cancelled while waiting for approval',
              running: 'cancelled with its run',
            });
            return false;
          }
          if (w.status !== RunStatus.WaitingApproval) return false;
          const waiting = await this.toolCalls.awaiting(w.m, runId);
          if (waiting.length === 0) return false;
          const error = declinedText({ status: 'expired', answeredByNote: null, approvalReason: null });
          await this.toolCalls.answer(
            w.m,
            waiting.map((c) => c.id),
            { status: ToolCallStatus.Expired, actor: null, by: null, reason: null, error },
          );
          w.emit(
            ...waiting.map((c) => ({
              agentId,
              runId,
              type: 'run.approval.expired' as const,
              data: {
                tool_call_id: c.id,
                step: c.stepIndex,
                skill: c.skillId,
                expired_at: c.approvalExpiresAt?.toISOString() ?? null,
              },
            })),
          );
          const first = waiting[0];
          return this.queue.expireWaiting(
            w,
            runId,
            `cancelled: nobody answered the approval of ${first.skillId} (step ${first.stepIndex}) within ${Math.round(this.config.approvalTtlMs / 1000)} s (AOS_APPROVAL_TTL_MS)`,
          );
        }),
      );
      if (done) cancelled++;
    }
    if (cancelled > 0) this.logger.log({ runs: cancelled }, 'cancelled runs whose approval expired');
    return cancelled;
  }
}
