import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AgentEvents } from '../agents/agent-events';
import { AgentStatus } from '../agents/agent-status.enum';
import { AgentsService } from '../agents/agents.service';
import { InvalidInputError } from '../common/domain-error';
import { isoOrNull } from '../common/iso-date';
import { Page } from '../common/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { pgError } from '../database/pg-error';
import { Transactions } from '../database/transactions';
import { EventBus } from '../events/event-bus';
import { RUN_TERMINAL_EVENTS } from '../events/event-types';
import { RunRecordService } from '../run-record/run-record.service';
import { RunStatus } from '../run-record/run-status.enum';
import { isSettled, isTerminal } from '../run-record/run-transitions';
import { RunWriter } from '../run-record/run-writer';
import type { RunEntity } from '../run-record/run.entity';
import { RunsRepository } from '../run-record/runs.repository';
import { ToolCallStatus } from '../run-record/tool-call-status.enum';
import { ApprovalsService } from './approvals/approvals.service';
import {
  ApprovalAnswerDto,
  ListRunsQueryDto,
  RunAcceptedDto,
  RunDto,
  RunSummaryDto,
  SubmitGoalDto,
} from './dto/run.dto';
import { RunQueue } from './queue/run-queue';
import { AgentStoppedError, IdempotencyKeyReusedError, RunFinishedError, RunNotFoundError } from './run.errors';

const DEFAULT_PRIORITY = 5;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export interface SubmittedRun extends RunAcceptedDto {
  /** False when an Idempotency-Key replay returned the run created before. */
  created: boolean;
}

/** Goals accepted as runs, their reads, answers to their approvals and their cancellation: the runs API. */
@Injectable()
export class RunsService implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly transactions: Transactions,
    private readonly writer: RunWriter,
    private readonly agents: AgentsService,
    private readonly agentEvents: AgentEvents,
    private readonly record: RunRecordService,
    private readonly runs: RunsRepository,
    private readonly queue: RunQueue,
    private readonly approvals: ApprovalsService,
    private readonly bus: EventBus,
  ) {}

  /** The agent lifecycle reaches runs through its domain event, inside the same transaction. */
  onModuleInit(): void {
    this.agentEvents.onStatusChanged(async ({ agent, manager }) => {
      // A resume wakes the workers through its agent.resumed event, like every run transition.
      if (agent.status === AgentStatus.Stopped) {
        await this.writer.within(manager, (w) =>
          this.queue.cancel(w, { agentId: agent.id }, 'cancelled: agent stopped'),
        );
      }
    });
    // Workers executing the agent's runs stop at once instead of failing against deleted rows.
    this.agentEvents.onDeleting(async ({ agent, manager }) => {
      await this.writer.within(manager, (w) => this.queue.cancel(w, { agentId: agent.id }, 'cancelled: agent deleted'));
    });
  }

  /** Accepts a goal: the run (which is the queue job) and its event commit together, before the caller gets its 202. */
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
      await this.agents.findOrFail(this.transactions.manager, agentId);
      const found = await replay();
      if (found) return found;
    }
    try {
      return await this.writer.guarded(null, async (w) => {
        const agent = await this.agents.findOrFail(w.m, agentId, 'share');
        if (agent.status === AgentStatus.Stopped) throw new AgentStoppedError(agentId);
        const id = await this.runs.insert(w.m, {
          agentId,
          goal: dto.goal,
          priority,
          idempotencyKey: idempotencyKey ?? null,
          maxAttempts: this.config.runMaxAttempts,
        });
        w.emit({ agentId, runId: id, type: 'run.created', data: { goal: dto.goal, priority } });
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
    await this.agents.findOrFail(this.transactions.manager, agentId);
    const { rows, nextCursor } = await this.runs.page(agentId, query);
    return { items: rows.map(toSummary), next_cursor: nextCursor };
  }

  async get(agentId: string, runId: string): Promise<RunDto> {
    const run = await this.runs.findForAgent(agentId, runId);
    if (!run) {
      await this.agents.findOrFail(this.transactions.manager, agentId);
      throw new RunNotFoundError(runId);
    }
    const steps = await this.record.steps(runId);
    return {
      ...toSummary(run),
      settings: run.settings,
      planner: run.planner,
      plan: run.plan as RunDto['plan'],
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

  /** A person answers the calls a run waits on (see ApprovalsService.answer); the run as it is then. */
  async answer(agentId: string, runId: string, dto: ApprovalAnswerDto, approve: boolean): Promise<RunDto> {
    await this.approvals.answer(
      { agentId, runId },
      { approve, toolCallId: dto.tool_call_id, by: dto.by ?? null, reason: dto.reason ?? null },
    );
    return this.get(agentId, runId);
  }

  /** The run's summary (404 for an unknown agent or run). */
  async summary(agentId: string, runId: string): Promise<RunSummaryDto> {
    const run = await this.runs.findForAgent(agentId, runId);
    if (!run) {
      await this.agents.findOrFail(this.transactions.manager, agentId);
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
    const unsubscribe = this.bus.subscribe({ agentId }, (event) => {
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

  /** Cancels a pending, running or waiting run; a running one has its skill or model call aborted. */
  async cancel(agentId: string, runId: string): Promise<RunDto> {
    await this.writer.locked({ agentId, runId }, async (w) => {
      if (!w.status) {
        await this.agents.findOrFail(w.m, agentId);
        throw new RunNotFoundError(runId);
      }
      if (isTerminal(w.status)) throw new RunFinishedError(runId, w.status);
      await this.queue.cancel(w, { agentId, runId }, 'cancelled by request');
    });
    return this.get(agentId, runId);
  }
}

export function toSummary(run: RunEntity): RunSummaryDto {
  return {
    id: run.id,
    agent_id: run.agentId,
    goal: run.goal,
    submitted_by: run.submittedBy,
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
