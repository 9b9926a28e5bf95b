import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { ModelCallEntity } from './model-call.entity';
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

/** A run's taint as its row holds it. */
export interface TaintRow {
  step: number;
  skill: string;
  at: string;
  source: string | null;
}

/** A model call's answer as recorded. */
export interface ModelCallAnswer {
  provider: string;
  model: string;
  content: unknown[];
  stopReason: string | null;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
  /** Providers that failed before this one answered (a fallback), else null. */
  fallbackFrom: string | null;
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

  /**
   * The taints of these runs, which their run rows hold: read here so a provenance record shows
   * what its run was exposed to (the runs table has no copy of provenance, nor this of it).
   */
  async taints(runIds: string[]): Promise<Map<string, TaintRow | null>> {
    if (runIds.length === 0) return new Map();
    const { rows } = await pgPoolOf(this.dataSource).query<{ id: string; taint: TaintRow | null }>(
      'SELECT id, taint FROM runs WHERE id = ANY($1::uuid[])',
      [runIds],
    );
    return new Map(rows.map((r) => [r.id, r.taint]));
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

  /**
   * The write-ahead record of a tool call. `run` executes its one statement: the events module's
   * appendAlong, which writes the call's event in the same statement.
   */
  async startToolCall(
    call: {
      runId: string;
      stepIndex: number;
      skillId: string;
      input: unknown;
      origin: { modelCallIndex: number; toolUseId: string } | undefined;
    },
    run: (statement: { sql: string; params: unknown[] }) => Promise<{ attempts: number }[]>,
  ): Promise<number> {
    const rows = await run({
      sql: `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, model_call_index, tool_use_id)
            VALUES ($1, $2, $3, $4, 'running', 1, now(), $5, $6)
            ON CONFLICT (run_id, step_index) DO UPDATE
              SET status = 'running', attempts = tool_calls.attempts + 1, started_at = now(),
                  output = NULL, error = NULL, completed_at = NULL, duration_ms = NULL
            RETURNING attempts`,
      params: [
        call.runId,
        call.stepIndex,
        call.skillId,
        JSON.stringify(call.input),
        call.origin?.modelCallIndex ?? null,
        call.origin?.toolUseId ?? null,
      ],
    });
    return rows[0].attempts;
  }

  async modelCalls(runId: string, m: EntityManager = this.dataSource.manager): Promise<ModelCallEntity[]> {
    return m.find(ModelCallEntity, { where: { runId }, order: { callIndex: 'ASC' } });
  }

  /** Write-ahead record of a model call about to be made (or made again after a failure or crash). */
  async startModelCall(runId: string, callIndex: number, step: number, memoryIds: string[]): Promise<number> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ attempts: number }>(
      `INSERT INTO model_calls (run_id, call_index, step, status, attempts, started_at, memory_ids)
       VALUES ($1, $2, $3, 'running', 1, now(), $4)
       ON CONFLICT (run_id, call_index) DO UPDATE
         SET status = 'running', attempts = model_calls.attempts + 1, started_at = now(), error = NULL,
             completed_at = NULL, duration_ms = NULL
       RETURNING attempts`,
      [runId, callIndex, step, memoryIds],
    );
    return rows[0].attempts;
  }

  async completeModelCall(m: EntityManager, runId: string, callIndex: number, answer: ModelCallAnswer): Promise<void> {
    await m.query(
      `UPDATE model_calls SET status = 'succeeded', provider = $3, model = $4, content = $5, stop_reason = $6,
              input_tokens = $7, output_tokens = $8, duration_ms = $9, completed_at = now(), error = $10
        WHERE run_id = $1 AND call_index = $2`,
      [
        runId,
        callIndex,
        answer.provider,
        answer.model,
        JSON.stringify(answer.content),
        answer.stopReason,
        answer.inputTokens,
        answer.outputTokens,
        Math.round(answer.durationMs),
        answer.fallbackFrom,
      ],
    );
  }

  async failModelCall(
    runId: string,
    callIndex: number,
    failure: { error: string; durationMs: number; cancelled: boolean },
  ): Promise<void> {
    await pgPoolOf(this.dataSource).query(
      `UPDATE model_calls SET status = $5, error = $3, duration_ms = $4, completed_at = now()
        WHERE run_id = $1 AND call_index = $2`,
      [runId, callIndex, failure.error, Math.round(failure.durationMs), failure.cancelled ? 'cancelled' : 'failed'],
    );
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

  /** A call that waits for a person: recorded (not started) with when it was asked and when it expires. */
  async requestApproval(
    m: EntityManager,
    call: {
      runId: string;
      stepIndex: number;
      skillId: string;
      input: unknown;
      origin: { modelCallIndex: number; toolUseId: string } | undefined;
      expiresAt: Date;
      reason: string;
    },
  ): Promise<string> {
    const rows = await m.query<{ id: string }[]>(
      `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, model_call_index,
                               tool_use_id, approval_requested_at, approval_expires_at, approval_requested_reason)
       VALUES ($1, $2, $3, $4, 'awaiting_approval', 0, now(), $5, $6, now(), $7, $8)
       ON CONFLICT (run_id, step_index) DO UPDATE
         SET status = 'awaiting_approval', skill_id = $3, input = $4, approval_requested_at = now(),
             approval_expires_at = $7, approval_answered_at = NULL, approved_by = NULL, rejected_by = NULL,
             approval_reason = NULL, output = NULL, error = NULL, completed_at = NULL,
             approval_requested_reason = $8
       RETURNING id`,
      [
        call.runId,
        call.stepIndex,
        call.skillId,
        JSON.stringify(call.input),
        call.origin?.modelCallIndex ?? null,
        call.origin?.toolUseId ?? null,
        call.expiresAt,
        call.reason,
      ],
    );
    return rows[0].id;
  }

  /** A run's calls waiting for a person, locked for the caller's transaction, in step order. */
  awaitingApproval(m: EntityManager, runId: string): Promise<ToolCallEntity[]> {
    return m
      .getRepository(ToolCallEntity)
      .createQueryBuilder('t')
      .where("t.run_id = :runId AND t.status = 'awaiting_approval'", { runId })
      .orderBy('t.step_index')
      .setLock('pessimistic_write')
      .getMany();
  }

  /**
   * Answers calls waiting for a person: `approved` (they run when the run is picked up) or
   * `rejected`/`expired` (they never run; `error` is what the model or the plan is told).
   */
  async answerApprovals(
    m: EntityManager,
    ids: string[],
    answer: {
      status: 'approved' | 'rejected' | 'expired';
      by: string | null;
      reason: string | null;
      error: string | null;
    },
  ): Promise<void> {
    if (ids.length === 0) return;
    await m.query(
      `UPDATE tool_calls
          SET status = $2::text::tool_call_status,
              approved_by = CASE WHEN $2::text = 'approved' THEN $3::text END,
              rejected_by = CASE WHEN $2::text = 'rejected' THEN $3::text END,
              approval_reason = $4, approval_answered_at = now(), error = $5,
              completed_at = CASE WHEN $2::text = 'approved' THEN NULL ELSE now() END
        WHERE id = ANY($1::uuid[]) AND status = 'awaiting_approval'`,
      [ids, answer.status, answer.by, answer.reason, answer.error],
    );
  }

  /** Runs with a call whose approval expired (up to `limit`). */
  async runsWithExpiredApprovals(limit: number): Promise<{ run_id: string; agent_id: string }[]> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ run_id: string; agent_id: string }>(
      `SELECT DISTINCT t.run_id, p.agent_id FROM tool_calls t JOIN provenance p ON p.id = t.run_id
        WHERE t.approval_requested_at IS NOT NULL AND t.approval_answered_at IS NULL
          AND t.approval_expires_at < now() AND t.status = 'awaiting_approval'
          -- a run still working on its turn is left alone: it expires once it waits
          AND p.status NOT IN ('running', 'pending')
        LIMIT $1`,
      [limit],
    );
    return rows;
  }

  /** Closes, in one statement, the calls of these runs still waiting for a person (they end with their runs). */
  async cancelAwaiting(m: EntityManager, runIds: string[], error: string): Promise<void> {
    if (runIds.length === 0) return;
    await m.query(
      `UPDATE tool_calls SET status = 'cancelled', approval_answered_at = now(), error = $2, completed_at = now()
        WHERE run_id = ANY($1::uuid[]) AND status = 'awaiting_approval'`,
      [runIds, error],
    );
  }

  /**
   * A replay's tool call served from its original's record: written finished, in one statement,
   * with the original's status, output and error, pointing at the original call.
   */
  async serveToolCall(
    m: EntityManager,
    call: {
      runId: string;
      stepIndex: number;
      skillId: string;
      input: unknown;
      origin: { modelCallIndex: number; toolUseId: string } | undefined;
      status: ToolCallStatus;
      output: unknown;
      error: string | null;
      replayedFrom: string;
    },
  ): Promise<void> {
    await m.query(
      `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, completed_at,
                               duration_ms, output, error, model_call_index, tool_use_id, replayed_from)
       VALUES ($1, $2, $3, $4, $5, 0, now(), now(), 0, $6, $7, $8, $9, $10)
       ON CONFLICT (run_id, step_index) DO UPDATE
         SET status = $5, output = $6, error = $7, completed_at = now(), duration_ms = 0, replayed_from = $10`,
      [
        call.runId,
        call.stepIndex,
        call.skillId,
        JSON.stringify(call.input),
        call.status,
        call.output === undefined || call.output === null ? null : JSON.stringify(call.output),
        call.error,
        call.origin?.modelCallIndex ?? null,
        call.origin?.toolUseId ?? null,
        call.replayedFrom,
      ],
    );
  }

  /** A replay's model call answered from its original's record (no request; no tokens, it cost none). */
  async serveModelCall(
    m: EntityManager,
    call: { runId: string; callIndex: number; step: number; memoryIds: string[]; original: ModelCallEntity },
  ): Promise<void> {
    const o = call.original;
    await m.query(
      `INSERT INTO model_calls (run_id, call_index, step, status, attempts, started_at, completed_at, duration_ms,
                                provider, model, content, stop_reason, input_tokens, output_tokens, memory_ids,
                                replayed_from)
       VALUES ($1, $2, $3, 'succeeded', 0, now(), now(), 0, $4, $5, $6, $7, 0, 0, $8, $9)
       ON CONFLICT (run_id, call_index) DO UPDATE
         SET status = 'succeeded', completed_at = now(), duration_ms = 0, provider = $4, model = $5, content = $6,
             stop_reason = $7, input_tokens = 0, output_tokens = 0, error = NULL, replayed_from = $9`,
      [
        call.runId,
        call.callIndex,
        call.step,
        o.provider,
        o.model,
        JSON.stringify(o.content ?? []),
        o.stopReason,
        call.memoryIds,
        o.id,
      ],
    );
  }
}
