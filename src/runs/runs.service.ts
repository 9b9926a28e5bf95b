import { pgError } from '../database/pg-error';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentEvents } from '../agents/agent-events';
import { AgentStatus } from '../agents/agent-status.enum';
import { AgentsService } from '../agents/agents.service';
import { InvalidInputError } from '../common/domain-error';
import { isoOrNull } from '../common/iso-date';
import { Page } from '../common/pagination';
import { EventBus } from '../events/event-bus';
import { RUN_TERMINAL_EVENTS } from '../events/event-types';
import { EventsService } from '../events/events.service';
import { ProvenanceService } from '../provenance/provenance.service';
import { RunStatus } from '../provenance/run-status.enum';
import { isTerminal } from './run-status';
import { declinedText } from './approval-policy';
import { ToolCallStatus } from '../provenance/tool-call-status.enum';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import {
  ApprovalAnswerDto,
  ListRunsQueryDto,
  RunAcceptedDto,
  RunDto,
  RunSummaryDto,
  SubmitGoalDto,
} from './dto/run.dto';
import {
  AgentStoppedError,
  ApprovalNotPendingError,
  IdempotencyKeyReusedError,
  RunFinishedError,
  RunNotFoundError,
  RunNotWaitingError,
} from './run.errors';
import type { RunEntity } from './run.entity';
import { RunQueue } from './run-queue';
import { RunsRepository } from './runs.repository';
import { isSettled } from './run-status';

const DEFAULT_PRIORITY = 5;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export interface SubmittedRun extends RunAcceptedDto {
  /** False when an Idempotency-Key replay returned the run created before. */
  created: boolean;
}

@Injectable()
export class RunsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly agents: AgentsService,
    private readonly agentEvents: AgentEvents,
    private readonly provenance: ProvenanceService,
    private readonly runs: RunsRepository,
    private readonly queue: RunQueue,
    private readonly events: EventsService,
    private readonly bus: EventBus,
  ) {}

  /** The agent lifecycle reaches runs through its domain event, inside the same transaction. */
  onModuleInit(): void {
    this.agentEvents.onStatusChanged(async ({ agent, manager }) => {
      // A resume wakes the workers through its agent.resumed event, like every run transition.
      if (agent.status === AgentStatus.Stopped) {
        await this.queue.cancel(manager, { agentId: agent.id }, 'cancelled: agent stopped');
      }
    });
    // Workers executing the agent's runs stop at once instead of failing against deleted rows.
    this.agentEvents.onDeleting(async ({ agent, manager }) => {
      await this.queue.cancel(manager, { agentId: agent.id }, 'cancelled: agent deleted');
    });
  }

  /**
   * Accepts a goal: the provenance record, the run (which is the queue job) and the wake-up
   * notification commit together, before the caller gets its 202.
   */
  async submit(agentId: string, dto: SubmitGoalDto, idempotencyKey?: string): Promise<SubmittedRun> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new InvalidInputError('Idempotency-Key', 'Idempotency-Key must be 1 to 200 printable ASCII characters');
    }
    const priority = dto.priority ?? DEFAULT_PRIORITY;
    const replay = async () => {
      const existing = await this.runs.findByIdempotencyKey(agentId, idempotencyKey!);
      if (!existing) return undefined;
      if (existing.goal !== dto.goal || existing.priority !== priority) throw new IdempotencyKeyReusedError();
      return { run_id: existing.id, status: existing.status, created: false };
    };
    if (idempotencyKey !== undefined) {
      await this.agents.findOrFail(this.dataSource.manager, agentId);
      const found = await replay();
      if (found) return found;
    }
    try {
      return await this.dataSource.transaction(async (m) => {
        const agent = await this.agents.findOrFail(m, agentId, 'share');
        if (agent.status === AgentStatus.Stopped) throw new AgentStoppedError(agentId);
        const id = await this.provenance.create(m, agentId, dto.goal);
        await this.runs.insert(m, {
          id,
          agentId,
          goal: dto.goal,
          priority,
          idempotencyKey: idempotencyKey ?? null,
          maxAttempts: this.config.runMaxAttempts,
        });
        await this.events.append(m, [{ agentId, runId: id, type: 'run.created', data: { goal: dto.goal, priority } }]);
        return { run_id: id, status: RunStatus.Pending, created: true };
      });
    } catch (error) {
      // Two requests with the same new key raced: the loser answers with the winner's run.
      if (idempotencyKey !== undefined && pgError(error).code === '23505') {
        const found = await replay();
        if (found) return found;
      }
      throw error;
    }
  }

  async list(agentId: string, query: ListRunsQueryDto): Promise<Page<RunSummaryDto>> {
    await this.agents.findOrFail(this.dataSource.manager, agentId);
    const { rows, nextCursor } = await this.runs.page(agentId, query);
    return { items: rows.map(toSummary), next_cursor: nextCursor };
  }

  async get(agentId: string, runId: string): Promise<RunDto> {
    const run = await this.runs.findForAgent(agentId, runId);
    if (!run) {
      await this.agents.findOrFail(this.dataSource.manager, agentId);
      throw new RunNotFoundError(runId);
    }
    // Both rows go together; a concurrent delete of the agent can take them between the reads.
    const record = await this.provenance.find(runId);
    if (!record) throw new RunNotFoundError(runId);
    const steps = await this.provenance.steps(runId);
    return {
      ...toSummary(run),
      settings: run.settings,
      planner: record.planner,
      plan: record.plan as RunDto['plan'],
      ...steps,
      pending_approvals:
        run.status === RunStatus.WaitingApproval
          ? steps.tool_calls
              .filter((t) => t.status === ToolCallStatus.AwaitingApproval)
              .map((t) => ({
                tool_call_id: t.id,
                step: t.step,
                skill: t.skill_id,
                input: t.input,
                reason: t.approval_requested_reason ?? 'the approval policy',
                requested_at: t.approval_requested_at!,
                expires_at: t.approval_expires_at!,
              }))
          : [],
    };
  }

  /**
   * A person answers the calls a run waits on: one (`tool_call_id`) or all. Approved calls run when
   * the run is picked up again; a rejected one never runs and its reason reaches the model (a
   * planned step fails). Once no call waits, the run goes back to the queue.
   */
  async answer(agentId: string, runId: string, dto: ApprovalAnswerDto, approve: boolean): Promise<RunDto> {
    await this.dataSource.transaction(async (m) => {
      // The agent's row first: the lock order of a delete or stop of the agent.
      await this.agents.holdForRunWrite(m, agentId);
      const status = await this.queue.lockForAnswer(m, agentId, runId);
      if (!status) {
        await this.agents.findOrFail(m, agentId);
        throw new RunNotFoundError(runId);
      }
      // A call may be answered as soon as it is asked, while its run finishes the turn (running).
      if (isTerminal(status)) throw new RunNotWaitingError(runId, status);
      const now = new Date();
      // An expired call is not answered any more, though the expirer may not have closed it yet.
      const awaiting = await this.provenance.awaitingApproval(m, runId);
      const pending = awaiting.filter((c) => !c.approvalExpiresAt || c.approvalExpiresAt > now);
      if (pending.length === 0 && status !== RunStatus.WaitingApproval) throw new RunNotWaitingError(runId, status);
      const chosen = dto.tool_call_id === undefined ? pending : pending.filter((c) => c.id === dto.tool_call_id);
      if (chosen.length === 0) throw new ApprovalNotPendingError(runId, dto.tool_call_id);
      const by = dto.by ?? null;
      const reason = dto.reason ?? null;
      await this.provenance.answerApprovals(
        m,
        chosen.map((c) => c.id),
        approve
          ? { status: 'approved', by, reason, error: null }
          : {
              status: 'rejected',
              by,
              reason,
              error: declinedText({ status: 'rejected', rejectedBy: by, approvalReason: reason }),
            },
      );
      await this.events.append(
        m,
        chosen.map((c) => ({
          agentId,
          runId,
          type: approve ? 'run.approval.granted' : 'run.approval.rejected',
          data: { tool_call_id: c.id, step: c.stepIndex, skill: c.skillId, by, reason },
        })),
      );
      // A running run goes back to the queue itself once it finds nothing left to wait for.
      if (chosen.length === awaiting.length && status === RunStatus.WaitingApproval) {
        await this.queue.resumeAfterApproval(m, runId);
      }
    });
    return this.get(agentId, runId);
  }

  /** The run's summary (404 for an unknown agent or run). */
  async summary(agentId: string, runId: string): Promise<RunSummaryDto> {
    const run = await this.runs.findForAgent(agentId, runId);
    if (!run) {
      await this.agents.findOrFail(this.dataSource.manager, agentId);
      throw new RunNotFoundError(runId);
    }
    return toSummary(run);
  }

  /**
   * Long-poll: the run once it is finished or waiting for approval, or as it is after `timeoutMs`.
   * Waits on the instance's event bus (one LISTEN connection for all), holding no database
   * connection; it subscribes before it looks, so an event in between is not missed.
   */
  async waitFor(agentId: string, runId: string, timeoutMs: number): Promise<RunDto> {
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const unsubscribe = this.bus.subscribe(agentId, (event) => {
      if (event.run_id === runId && (RUN_TERMINAL_EVENTS.has(event.type) || event.type === 'run.waiting_approval')) {
        settle();
      }
    });
    const timer = setTimeout(settle, timeoutMs);
    const unclose = this.bus.onClosing(settle);
    try {
      const current = await this.summary(agentId, runId);
      if (!isSettled(current.status)) await settled;
      return await this.get(agentId, runId);
    } finally {
      clearTimeout(timer);
      unsubscribe();
      unclose();
    }
  }

  /** Cancels a pending or running run; a running one has its skill call aborted. */
  async cancel(agentId: string, runId: string): Promise<RunDto> {
    await this.dataSource.transaction(async (m) => {
      const status = await this.runs.lockStatus(m, agentId, runId);
      if (!status) {
        await this.agents.findOrFail(m, agentId);
        throw new RunNotFoundError(runId);
      }
      if (isTerminal(status)) throw new RunFinishedError(runId, status);
      await this.queue.cancel(m, { agentId, runId }, 'cancelled by request');
    });
    return this.get(agentId, runId);
  }
}

export function toSummary(run: RunEntity): RunSummaryDto {
  return {
    id: run.id,
    agent_id: run.agentId,
    goal: run.goal,
    priority: run.priority,
    status: run.status,
    error_message: run.errorMessage,
    attempts: run.attempts,
    created_at: run.createdAt.toISOString(),
    started_at: isoOrNull(run.startedAt),
    completed_at: isoOrNull(run.completedAt),
    result: run.result,
    usage: { model_calls: run.modelCalls, input_tokens: run.inputTokens, output_tokens: run.outputTokens },
    replay_of: run.replayOf,
    replay_mode: run.replayMode,
    divergence: run.divergence,
    taint: run.taint,
  };
}
