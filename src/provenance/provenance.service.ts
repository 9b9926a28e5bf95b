import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { NotFoundError } from '../common/domain-error';
import { isoOrNull } from '../common/iso-date';
import { Page, PageQueryDto } from '../common/pagination';
import type { Plan } from '../planner/planner';
import { ModelCallDto, ProvenanceDto, ProvenanceSummaryDto, TaintDto, ToolCallDto } from './dto/provenance.dto';
import type { ModelCallEntity } from './model-call.entity';
import type { ProvenanceEntity } from './provenance.entity';
import { ModelCallAnswer, ProvenanceRepository, RunTransition } from './provenance.repository';
import type { ToolCallEntity } from './tool-call.entity';
import { ToolCallStatus } from './tool-call-status.enum';

export type { ModelCallAnswer, RunTransition } from './provenance.repository';

export class ProvenanceNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('PROVENANCE.NOT_FOUND', `Provenance ${id} not found`);
  }
}

export interface ToolCallCompletion {
  status: ToolCallStatus.Succeeded | ToolCallStatus.Failed | ToolCallStatus.Cancelled;
  output?: unknown;
  error?: string | null;
  durationMs: number;
}

/**
 * The audit trail of runs: what was planned, each tool call with its result, how it ended. The
 * provenance and tool_calls tables have this one owner; the run queue reports each run
 * transition here, in its own transaction, instead of writing the copy itself.
 */
@Injectable()
export class ProvenanceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly records: ProvenanceRepository,
    private readonly agents: AgentsService,
  ) {}

  /** The record of a new run (its id becomes the run id), in the caller's transaction. */
  create(m: EntityManager, agentId: string, goal: string): Promise<string> {
    return this.records.insert(m, { agentId, goal });
  }

  find(id: string): Promise<ProvenanceEntity | null> {
    return this.records.findById(id);
  }

  async recordPlan(runId: string, plan: Plan): Promise<void> {
    await this.records.recordPlan(runId, plan);
  }

  /** Every status change of runs, inside the transaction that made it. */
  recordRunTransitions(m: EntityManager, transitions: RunTransition[]): Promise<void> {
    return this.records.mirrorRunStatus(m, transitions);
  }

  toolCalls(runId: string, m?: EntityManager): Promise<ToolCallEntity[]> {
    return this.records.toolCalls(runId, m);
  }

  /**
   * Write-ahead record of a step about to run: created, or its attempts counted up when the step
   * runs again. Returns the attempt number.
   */
  startToolCall(
    call: Parameters<ProvenanceRepository['startToolCall']>[0],
    run: Parameters<ProvenanceRepository['startToolCall']>[1],
  ): Promise<number> {
    return this.records.startToolCall(call, run);
  }

  modelCalls(runId: string, m?: EntityManager): Promise<ModelCallEntity[]> {
    return this.records.modelCalls(runId, m);
  }

  /** Written ahead of the request, so a crash leaves a record of the call in flight. */
  startModelCall(runId: string, callIndex: number, step: number, memoryIds: string[]): Promise<number> {
    return this.records.startModelCall(runId, callIndex, step, memoryIds);
  }

  /** The answer, in the caller's transaction (which also counts the run's and agent's usage). */
  completeModelCall(m: EntityManager, runId: string, callIndex: number, answer: ModelCallAnswer): Promise<void> {
    return this.records.completeModelCall(m, runId, callIndex, answer);
  }

  failModelCall(
    runId: string,
    callIndex: number,
    failure: { error: string; durationMs: number; cancelled: boolean },
  ): Promise<void> {
    return this.records.failModelCall(runId, callIndex, failure);
  }

  async completeToolCall(
    runId: string,
    stepIndex: number,
    completion: ToolCallCompletion,
    m: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await this.records.completeToolCall(m, runId, stepIndex, {
      status: completion.status,
      output: completion.output,
      error: completion.error ?? null,
      durationMs: completion.durationMs,
    });
  }

  /** A replay's tool call served from the original's record, written finished. */
  serveToolCall(m: EntityManager, call: Parameters<ProvenanceRepository['serveToolCall']>[1]): Promise<void> {
    return this.records.serveToolCall(m, call);
  }

  /** A replay's model call answered from the original's record. */
  serveModelCall(m: EntityManager, call: Parameters<ProvenanceRepository['serveModelCall']>[1]): Promise<void> {
    return this.records.serveModelCall(m, call);
  }

  requestApproval(m: EntityManager, call: Parameters<ProvenanceRepository['requestApproval']>[1]): Promise<string> {
    return this.records.requestApproval(m, call);
  }

  /** A run's calls waiting for a person, locked for the caller's transaction. */
  awaitingApproval(m: EntityManager, runId: string): Promise<ToolCallEntity[]> {
    return this.records.awaitingApproval(m, runId);
  }

  answerApprovals(
    m: EntityManager,
    ids: string[],
    answer: Parameters<ProvenanceRepository['answerApprovals']>[2],
  ): Promise<void> {
    return this.records.answerApprovals(m, ids, answer);
  }

  runsWithExpiredApprovals(limit: number): Promise<{ run_id: string; agent_id: string }[]> {
    return this.records.runsWithExpiredApprovals(limit);
  }

  /** Closes the calls of cancelled runs that were still waiting for a person. */
  async cancelApprovals(m: EntityManager, runIds: string[]): Promise<void> {
    await this.records.cancelAwaiting(m, runIds, 'cancelled while waiting for approval');
  }

  async list(agentId: string, query: PageQueryDto): Promise<Page<ProvenanceSummaryDto>> {
    await this.agents.findOrFail(this.dataSource.manager, agentId);
    const { rows, nextCursor } = await this.records.page(agentId, query);
    const taints = await this.records.taints(rows.map((p) => p.id));
    return { items: rows.map((p) => toSummary(p, taints.get(p.id) ?? null)), next_cursor: nextCursor };
  }

  async get(agentId: string, id: string): Promise<ProvenanceDto> {
    const record = await this.records.findForAgent(agentId, id);
    if (!record) {
      await this.agents.findOrFail(this.dataSource.manager, agentId);
      throw new ProvenanceNotFoundError(id);
    }
    const taints = await this.records.taints([id]);
    return { ...toSummary(record, taints.get(id) ?? null), ...(await this.steps(id)) };
  }

  /** A run's model calls and tool calls, each in step order, for the API. */
  async steps(runId: string): Promise<{ model_calls: ModelCallDto[]; tool_calls: ToolCallDto[] }> {
    const [modelCalls, toolCalls] = await Promise.all([this.modelCalls(runId), this.toolCalls(runId)]);
    return { model_calls: modelCalls.map(toModelCallDto), tool_calls: toolCalls.map(toToolCallDto) };
  }
}

function toSummary(p: ProvenanceEntity, taint: TaintDto | null): ProvenanceSummaryDto {
  return {
    id: p.id,
    agent_id: p.agentId,
    goal: p.goal,
    planner: p.planner,
    plan: p.plan as ProvenanceSummaryDto['plan'],
    status: p.status,
    error_message: p.errorMessage,
    created_at: p.createdAt.toISOString(),
    completed_at: isoOrNull(p.completedAt),
    taint,
  };
}

export function toModelCallDto(c: ModelCallEntity): ModelCallDto {
  return {
    id: c.id,
    index: c.callIndex,
    step: c.step,
    status: c.status,
    provider: c.provider,
    model: c.model,
    attempts: c.attempts,
    started_at: c.startedAt.toISOString(),
    completed_at: isoOrNull(c.completedAt),
    duration_ms: c.durationMs,
    input_tokens: c.inputTokens,
    output_tokens: c.outputTokens,
    stop_reason: c.stopReason,
    error: c.error,
    content: (c.content ?? null) as Record<string, unknown>[] | null,
    memory_ids: c.memoryIds,
    replayed_from: c.replayedFrom,
  };
}

export function toToolCallDto(t: ToolCallEntity): ToolCallDto {
  return {
    id: t.id,
    step: t.stepIndex,
    model_call_index: t.modelCallIndex,
    tool_use_id: t.toolUseId,
    skill_id: t.skillId,
    input: t.input as Record<string, unknown>,
    output: (t.output ?? null) as Record<string, unknown> | null,
    error: t.error,
    status: t.status,
    attempts: t.attempts,
    started_at: t.startedAt.toISOString(),
    completed_at: isoOrNull(t.completedAt),
    duration_ms: t.durationMs,
    approval_requested_at: isoOrNull(t.approvalRequestedAt),
    approval_requested_reason: t.approvalRequestedReason,
    approval_expires_at: isoOrNull(t.approvalExpiresAt),
    approval_answered_at: isoOrNull(t.approvalAnsweredAt),
    approved_by: t.approvedBy,
    rejected_by: t.rejectedBy,
    approval_reason: t.approvalReason,
    replayed_from: t.replayedFrom,
  };
}
