import type { Actor } from '../common/actor';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import { returnedRows } from '../database/returned-rows';
import {
  assertToolCallTransition,
  InvalidToolCallTransitionError,
  NEW_CALL,
  toolCallFrom,
} from './tool-call-transitions';
import { ToolCallStatus } from './tool-call-status.enum';
import { ToolCallEntity } from './tool-call.entity';

/** Which model call asked for a tool call, and the provider's id of that request. */
export interface CallOrigin {
  modelCallIndex: number;
  toolUseId: string;
}

/** A tool call as the run asks for it: its place, skill and input. */
export interface ToolCallRef {
  runId: string;
  stepIndex: number;
  skillId: string;
  input: unknown;
  origin: CallOrigin | undefined;
}

export interface ToolCallCompletion {
  status: ToolCallStatus.Succeeded | ToolCallStatus.Failed | ToolCallStatus.Cancelled;
  output?: unknown;
  error?: string | null;
  durationMs: number;
}

export type ApprovalAnswer = ToolCallStatus.Approved | ToolCallStatus.Rejected | ToolCallStatus.Expired;

// Bulk closings pick the calls in one state; the table must allow each (checked when this loads).
assertToolCallTransition(ToolCallStatus.AwaitingApproval, ToolCallStatus.Cancelled);
assertToolCallTransition(ToolCallStatus.Running, ToolCallStatus.Cancelled);

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

/**
 * The SQL of the tool_calls table, which only the run record writes. Every status change is
 * guarded by the states the transition table lets it start from; a single call that cannot make
 * the change is an InvalidToolCallTransitionError (never a silent no-op).
 */
@Injectable()
export class ToolCallsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  forRun(runId: string, m: EntityManager = this.dataSource.manager): Promise<ToolCallEntity[]> {
    return m.find(ToolCallEntity, { where: { runId }, order: { stepIndex: 'ASC' } });
  }

  /** The write-ahead record of a call about to run: created, or its attempts counted up. Returns the attempt. */
  async writeAhead(m: EntityManager, call: ToolCallRef): Promise<number> {
    const [row] = await this.guarded<{ attempts: number }>(m, call, ToolCallStatus.Running, {
      sql: `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, model_call_index, tool_use_id)
            VALUES ($1, $2, $3, $4, 'running', 1, now(), $5, $6)
            ON CONFLICT (tenant_id, run_id, step_index) DO UPDATE
              SET status = 'running', attempts = tool_calls.attempts + 1, started_at = now(),
                  output = NULL, error = NULL, completed_at = NULL, duration_ms = NULL
              WHERE tool_calls.status = ANY($7::tool_call_status[])
            RETURNING attempts`,
      params: refParams(call),
    });
    return row.attempts;
  }

  /** A call that will not run, recorded failed at once (created, or its earlier record closed). */
  async refuse(m: EntityManager, call: ToolCallRef, error: string): Promise<void> {
    await this.guarded(m, call, ToolCallStatus.Failed, {
      sql: `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, completed_at,
                                    duration_ms, error, model_call_index, tool_use_id)
            VALUES ($1, $2, $3, $4, 'failed', 0, now(), now(), 0, $8, $5, $6)
            ON CONFLICT (tenant_id, run_id, step_index) DO UPDATE
              SET status = 'failed', error = $8, output = NULL, completed_at = now(),
                  duration_ms = (extract(epoch FROM now() - tool_calls.started_at) * 1000)::int
              WHERE tool_calls.status = ANY($7::tool_call_status[])
            RETURNING id`,
      params: [...refParams(call), error],
    });
  }

  /** The end of a call that ran. */
  async complete(m: EntityManager, call: Pick<ToolCallRef, 'runId' | 'stepIndex'>, done: ToolCallCompletion) {
    const rows = returnedRows(
      await m.query<{ id: string }[] | [{ id: string }[], number]>(
        `UPDATE tool_calls SET status = $3, output = $4, error = $5, completed_at = now(), duration_ms = $6
          WHERE run_id = $1 AND step_index = $2 AND status = ANY($7::tool_call_status[]) RETURNING id`,
        [
          call.runId,
          call.stepIndex,
          done.status,
          json(done.output),
          done.error ?? null,
          Math.round(done.durationMs),
          toolCallFrom(done.status),
        ],
      ),
    );
    if (rows.length === 0) await this.invalid(m, call, done.status);
  }

  /** A call that waits for a person: recorded (not started) with why, when it was asked and when it expires. */
  async requestApproval(m: EntityManager, call: ToolCallRef & { expiresAt: Date; reason: string }): Promise<string> {
    const [row] = await this.guarded<{ id: string }>(m, call, ToolCallStatus.AwaitingApproval, {
      sql: `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, model_call_index,
                                    tool_use_id, approval_requested_at, approval_expires_at, approval_requested_reason)
            VALUES ($1, $2, $3, $4, 'awaiting_approval', 0, now(), $5, $6, now(), $8, $9)
            ON CONFLICT (tenant_id, run_id, step_index) DO UPDATE
              SET status = 'awaiting_approval', skill_id = $3, input = $4, approval_requested_at = now(),
                  approval_expires_at = $8, approval_answered_at = NULL, approved_by = NULL, rejected_by = NULL, answered_by_note = NULL,
                  approval_reason = NULL, output = NULL, error = NULL, completed_at = NULL,
                  approval_requested_reason = $9
              WHERE tool_calls.status = ANY($7::tool_call_status[])
            RETURNING id`,
      params: [...refParams(call), call.expiresAt, call.reason],
    });
    return row.id;
  }

  /**
   * A replay's call served from its original's record: written finished, as the original ended,
   * pointing at it. A step is served once (an attempt after a crash reads what was served).
   */
  async serve(
    m: EntityManager,
    call: ToolCallRef & { status: ToolCallStatus; output: unknown; error: string | null; replayedFrom: string },
  ): Promise<void> {
    assertToolCallTransition(NEW_CALL, call.status);
    const rows = returnedRows(
      await m.query<{ id: string }[] | [{ id: string }[], number]>(
        `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, completed_at,
                                 duration_ms, output, error, model_call_index, tool_use_id, replayed_from)
         VALUES ($1, $2, $3, $4, $7, 0, now(), now(), 0, $8, $9, $5, $6, $10)
         ON CONFLICT (tenant_id, run_id, step_index) DO NOTHING
         RETURNING id`,
        [...refParams(call), call.status, json(call.output), call.error, call.replayedFrom],
      ),
    );
    if (rows.length === 0) await this.invalid(m, call, call.status);
  }

  /** A run's calls waiting for a person, locked for the caller's transaction, in step order. */
  awaiting(m: EntityManager, runId: string): Promise<ToolCallEntity[]> {
    return m
      .getRepository(ToolCallEntity)
      .createQueryBuilder('t')
      .where('t.run_id = :runId AND t.status = :status', { runId, status: ToolCallStatus.AwaitingApproval })
      .orderBy('t.step_index')
      .setLock('pessimistic_write')
      .getMany();
  }

  /**
   * Answers calls waiting for a person: approved (they run when the run is picked up) or
   * rejected / expired (they never run; `error` is what the model or the plan is told).
   */
  async answer(
    m: EntityManager,
    ids: string[],
    answer: {
      status: ApprovalAnswer;
      /** Who answered (null: nobody did, the approval expired). */
      actor: Actor | null;
      by: string | null;
      reason: string | null;
      error: string | null;
    },
  ): Promise<void> {
    if (ids.length === 0) return;
    const rows = returnedRows(
      await m.query<{ id: string }[] | [{ id: string }[], number]>(
        `UPDATE tool_calls
            SET status = $2::tool_call_status,
                approved_by = CASE WHEN $2::text = 'approved' THEN $7::jsonb END,
                rejected_by = CASE WHEN $2::text = 'rejected' THEN $7::jsonb END,
                answered_by_note = $3,
                approval_reason = $4, approval_answered_at = now(), error = $5,
                completed_at = CASE WHEN $2::text = 'approved' THEN NULL ELSE now() END
          WHERE id = ANY($1::uuid[]) AND status = ANY($6::tool_call_status[]) RETURNING id`,
        [
          ids,
          answer.status,
          answer.by,
          answer.reason,
          answer.error,
          toolCallFrom(answer.status),
          answer.actor === null ? null : JSON.stringify(answer.actor),
        ],
      ),
    );
    // The caller locked these calls waiting: an answer that cannot be given is a bug, not a race.
    if (rows.length !== ids.length) {
      throw new InvalidToolCallTransitionError(ToolCallStatus.AwaitingApproval, answer.status);
    }
  }

  /** Runs with a call whose approval expired (up to `limit`), once their turn is over (waiting or ended). */
  async runsWithExpiredApprovals(limit: number): Promise<{ tenant_id: string; run_id: string; agent_id: string }[]> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ tenant_id: string; run_id: string; agent_id: string }>(
      `SELECT DISTINCT r.tenant_id, t.run_id, r.agent_id FROM tool_calls t
         JOIN runs r ON r.tenant_id = t.tenant_id AND r.id = t.run_id
        WHERE t.status = 'awaiting_approval' AND t.approval_expires_at < now()
          -- a run still working on its turn is left alone: it expires once it waits
          AND r.status NOT IN ('running', 'pending')
        LIMIT $1`,
      [limit],
    );
    return rows;
  }

  /**
   * Closes what these runs left open as they ended: calls waiting for a person, and calls a worker
   * was making (it finds its lease gone and writes nothing more). One statement.
   */
  async closeOpen(m: EntityManager, runIds: string[], why: { awaiting: string; running: string }): Promise<void> {
    if (runIds.length === 0) return;
    await m.query(
      `UPDATE tool_calls
          SET status = 'cancelled', completed_at = now(),
              error = CASE WHEN status = 'awaiting_approval' THEN $2 ELSE $3 END,
              approval_answered_at = CASE WHEN status = 'awaiting_approval' THEN now() ELSE approval_answered_at END,
              duration_ms = CASE WHEN status = 'running'
                                 THEN (extract(epoch FROM now() - started_at) * 1000)::int END
        WHERE run_id = ANY($1::uuid[]) AND status IN ('awaiting_approval', 'running')`,
      [runIds, why.awaiting, why.running],
    );
  }

  /**
   * One call's change, whose statement ends `WHERE tool_calls.status = ANY($7)` (the from-states
   * of `to`) and returns a row when made. No row: the call was in a state that cannot go to `to`.
   */
  private async guarded<R>(
    m: EntityManager,
    call: Pick<ToolCallRef, 'runId' | 'stepIndex'>,
    to: ToolCallStatus,
    statement: { sql: string; params: unknown[] },
  ): Promise<R[]> {
    const params = [...statement.params];
    params.splice(6, 0, toolCallFrom(to));
    const rows = returnedRows(await m.query<R[] | [R[], number]>(statement.sql, params));
    if (rows.length === 0) await this.invalid(m, call, to);
    return rows;
  }

  private async invalid(m: EntityManager, call: Pick<ToolCallRef, 'runId' | 'stepIndex'>, to: ToolCallStatus) {
    const [row] = await m.query<{ status: ToolCallStatus }[]>(
      'SELECT status FROM tool_calls WHERE run_id = $1 AND step_index = $2',
      [call.runId, call.stepIndex],
    );
    throw new InvalidToolCallTransitionError(row?.status ?? NEW_CALL, to);
  }
}

function refParams(call: ToolCallRef): unknown[] {
  return [
    call.runId,
    call.stepIndex,
    call.skillId,
    JSON.stringify(call.input),
    call.origin?.modelCallIndex ?? null,
    call.origin?.toolUseId ?? null,
  ];
}
