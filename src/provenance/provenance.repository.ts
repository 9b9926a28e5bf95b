import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { ProvenanceEntity } from './provenance.entity';
import type { RunStatus } from './run-status.enum';
import { ToolCallEntity } from './tool-call.entity';
import type { ToolCallStatus } from './tool-call-status.enum';

/** A run's status as its owner (the run queue) just wrote it; provenance keeps the same values. */
export interface RunTransition {
  id: string;
  status: RunStatus;
  error_message: string | null;
  completed_at: Date | null;
}

/** The SQL of the provenance and tool_calls tables, which only the provenance module writes. */
@Injectable()
export class ProvenanceRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(m: EntityManager, record: { agentId: string; goal: string }): Promise<string> {
    const [row] = await m.query<{ id: string }[]>(
      'INSERT INTO provenance (agent_id, goal) VALUES ($1, $2) RETURNING id',
      [record.agentId, record.goal],
    );
    return row.id;
  }

  async findById(id: string, m: EntityManager = this.dataSource.manager): Promise<ProvenanceEntity | null> {
    return m.findOneBy(ProvenanceEntity, { id });
  }

  async findForAgent(agentId: string, id: string): Promise<ProvenanceEntity | null> {
    return this.dataSource.getRepository(ProvenanceEntity).findOneBy({ id, agentId });
  }

  async page(agentId: string, query: PageQueryDto) {
    const qb = this.dataSource
      .getRepository(ProvenanceEntity)
      .createQueryBuilder('provenance')
      .where('provenance.agent_id = :agentId', { agentId });
    return findPage(qb, query);
  }

  async recordPlan(id: string, plan: { planner: string; steps: unknown[] }): Promise<void> {
    await this.dataSource.query('UPDATE provenance SET planner = $2, plan = $3 WHERE id = $1', [
      id,
      plan.planner,
      JSON.stringify(plan.steps),
    ]);
  }

  /** Copies the runs' new status, error and completion time, in the caller's transaction. */
  async mirrorRunStatus(m: EntityManager, transitions: RunTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    await m.query(
      `UPDATE provenance p SET status = t.status, error_message = t.error_message, completed_at = t.completed_at
         FROM unnest($1::uuid[], $2::run_status[], $3::text[], $4::timestamptz[]) AS t(id, status, error_message, completed_at)
        WHERE p.id = t.id`,
      [
        transitions.map((t) => t.id),
        transitions.map((t) => t.status),
        transitions.map((t) => t.error_message),
        transitions.map((t) => t.completed_at),
      ],
    );
  }

  async toolCalls(runId: string, m: EntityManager = this.dataSource.manager): Promise<ToolCallEntity[]> {
    return m.find(ToolCallEntity, { where: { runId }, order: { stepIndex: 'ASC' } });
  }

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
    m: EntityManager,
    runId: string,
    stepIndex: number,
    completion: { status: ToolCallStatus; output: unknown; error: string | null; durationMs: number },
  ): Promise<void> {
    await m.query(
      `UPDATE tool_calls SET status = $3, output = $4, error = $5, completed_at = now(), duration_ms = $6
        WHERE run_id = $1 AND step_index = $2`,
      [
        runId,
        stepIndex,
        completion.status,
        completion.output === undefined ? null : JSON.stringify(completion.output),
        completion.error,
        Math.round(completion.durationMs),
      ],
    );
  }
}
