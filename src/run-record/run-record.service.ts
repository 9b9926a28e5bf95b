import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { NotFoundError } from '../common/domain-error';
import { isoOrNull } from '../common/iso-date';
import { Page, PageQueryDto } from '../common/pagination';
import { Transactions } from '../database/transactions';
import { ModelCallDto, ProvenanceDto, ProvenanceSummaryDto, ToolCallDto } from './dto/provenance.dto';
import type { ModelCallEntity } from './model-call.entity';
import { ModelCallsRepository } from './model-calls.repository';
import type { RunStatus } from './run-status.enum';
import type { RunEntity } from './run.entity';
import { RunsRepository } from './runs.repository';
import type { ToolCallEntity } from './tool-call.entity';
import { ToolCallsRepository } from './tool-calls.repository';

export class ProvenanceNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('PROVENANCE.NOT_FOUND', `Provenance ${id} not found`);
  }
}

/** A run's call journal: its model calls and tool calls, each in order. */
export interface CallJournal {
  modelCalls: ModelCallEntity[];
  toolCalls: ToolCallEntity[];
}

/**
 * Reads of the run record: a run, its call journal, and the provenance view of both (what was
 * planned, each call with its result, how it ended) that `GET .../provenance` serves. The record's
 * writes go through RunWriter and the repositories; nothing here writes.
 */
@Injectable()
export class RunRecordService {
  constructor(
    private readonly transactions: Transactions,
    private readonly runs: RunsRepository,
    private readonly toolCallRows: ToolCallsRepository,
    private readonly modelCallRows: ModelCallsRepository,
    private readonly agents: AgentsService,
  ) {}

  find(runId: string): Promise<RunEntity | null> {
    return this.runs.findById(runId);
  }

  /** The status of a run (memory's delete waits while the run that wrote it works). */
  statusOf(m: EntityManager, runId: string): Promise<RunStatus | undefined> {
    return this.runs.statusOf(m, runId);
  }

  toolCalls(runId: string): Promise<ToolCallEntity[]> {
    return this.toolCallRows.forRun(runId);
  }

  modelCalls(runId: string): Promise<ModelCallEntity[]> {
    return this.modelCallRows.forRun(runId);
  }

  async journal(runId: string): Promise<CallJournal> {
    const [modelCalls, toolCalls] = await Promise.all([this.modelCalls(runId), this.toolCalls(runId)]);
    return { modelCalls, toolCalls };
  }

  async list(agentId: string, query: PageQueryDto): Promise<Page<ProvenanceSummaryDto>> {
    await this.agents.findOrFail(this.transactions.manager, agentId);
    const { rows, nextCursor } = await this.runs.page(agentId, query);
    return { items: rows.map(toSummary), next_cursor: nextCursor };
  }

  async get(agentId: string, id: string): Promise<ProvenanceDto> {
    const run = await this.runs.findForAgent(agentId, id);
    if (!run) {
      await this.agents.findOrFail(this.transactions.manager, agentId);
      throw new ProvenanceNotFoundError(id);
    }
    return { ...toSummary(run), ...(await this.steps(id)) };
  }

  /** A run's model calls and tool calls, each in step order, for the API. */
  async steps(runId: string): Promise<{ model_calls: ModelCallDto[]; tool_calls: ToolCallDto[] }> {
    const { modelCalls, toolCalls } = await this.journal(runId);
    return { model_calls: modelCalls.map(toModelCallDto), tool_calls: toolCalls.map(toToolCallDto) };
  }
}

function toSummary(run: RunEntity): ProvenanceSummaryDto {
  return {
    id: run.id,
    agent_id: run.agentId,
    goal: run.goal,
    planner: run.planner,
    plan: run.plan as ProvenanceSummaryDto['plan'],
    status: run.status,
    error_message: run.errorMessage,
    created_at: run.createdAt.toISOString(),
    completed_at: isoOrNull(run.completedAt),
    taint: run.taint,
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
    answered_by_note: t.answeredByNote,
    approval_reason: t.approvalReason,
    replayed_from: t.replayedFrom,
  };
}
