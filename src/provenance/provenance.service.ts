import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { NotFoundError } from '../common/domain-error';
import { isoOrNull } from '../common/iso-date';
import { findPage, Page, PageQueryDto } from '../common/pagination';
import type { Plan } from '../planner/planner';
import { ToolCallStatus } from './tool-call-status.enum';
import { ProvenanceDto, ProvenanceSummaryDto, ToolCallDto } from './dto/provenance.dto';
import { ProvenanceEntity } from './provenance.entity';
import { ToolCallEntity } from './tool-call.entity';

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

/** The audit trail of runs: what was planned, each tool call with its result, how it ended. */
@Injectable()
export class ProvenanceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly agents: AgentsService,
  ) {}

  async recordPlan(runId: string, plan: Plan, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.update(ProvenanceEntity, { id: runId }, { planner: plan.planner, plan: plan.steps });
  }

  async toolCalls(runId: string, manager: EntityManager = this.dataSource.manager): Promise<ToolCallEntity[]> {
    return manager.find(ToolCallEntity, { where: { runId }, order: { stepIndex: 'ASC' } });
  }

  /**
   * Write-ahead record of a step about to run: created, or its attempts counted up when the step
   * runs again. Returns the attempt number.
   */
  async startToolCall(runId: string, stepIndex: number, skillId: string, input: unknown): Promise<number> {
    const rows = await this.dataSource.query<{ attempts: number }[]>(
      `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at)
       VALUES ($1, $2, $3, $4, 'running', 1, now())
       ON CONFLICT (run_id, step_index) DO UPDATE
         SET status = 'running', attempts = tool_calls.attempts + 1, started_at = now(),
             output = NULL, error = NULL, completed_at = NULL, duration_ms = NULL
       RETURNING attempts`,
      [runId, stepIndex, skillId, JSON.stringify(input)],
    );
    return rows[0].attempts;
  }

  async completeToolCall(
    manager: EntityManager,
    runId: string,
    stepIndex: number,
    completion: ToolCallCompletion,
  ): Promise<void> {
    await manager.query(
      `UPDATE tool_calls SET status = $3, output = $4, error = $5, completed_at = now(), duration_ms = $6
        WHERE run_id = $1 AND step_index = $2`,
      [
        runId,
        stepIndex,
        completion.status,
        completion.output === undefined ? null : JSON.stringify(completion.output),
        completion.error ?? null,
        Math.round(completion.durationMs),
      ],
    );
  }

  async list(agentId: string, query: PageQueryDto): Promise<Page<ProvenanceSummaryDto>> {
    await this.agents.findOrFail(this.dataSource.manager, agentId);
    const qb = this.dataSource
      .getRepository(ProvenanceEntity)
      .createQueryBuilder('provenance')
      .where('provenance.agent_id = :agentId', { agentId });
    const { rows, nextCursor } = await findPage(qb, query);
    return { items: rows.map((p) => toSummary(p)), next_cursor: nextCursor };
  }

  async get(agentId: string, id: string): Promise<ProvenanceDto> {
    const record = await this.dataSource.getRepository(ProvenanceEntity).findOneBy({ id, agentId });
    if (!record) throw new ProvenanceNotFoundError(id);
    return { ...toSummary(record), tool_calls: (await this.toolCalls(id)).map(toToolCallDto) };
  }
}

function toSummary(p: ProvenanceEntity): ProvenanceSummaryDto {
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
  };
}

export function toToolCallDto(t: ToolCallEntity): ToolCallDto {
  return {
    step: t.stepIndex,
    skill_id: t.skillId,
    input: t.input as Record<string, unknown>,
    output: (t.output ?? null) as Record<string, unknown> | null,
    error: t.error,
    status: t.status,
    attempts: t.attempts,
    started_at: t.startedAt.toISOString(),
    completed_at: isoOrNull(t.completedAt),
    duration_ms: t.durationMs,
  };
}
