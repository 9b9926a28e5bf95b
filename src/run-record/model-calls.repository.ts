import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../database/returned-rows';
import { ModelCallStatus } from './model-call-status.enum';
import { ModelCallEntity } from './model-call.entity';

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

export interface ModelCallRef {
  runId: string;
  callIndex: number;
}

/** A model call that cannot make the change asked (it is not running, or already answered). */
export class InvalidModelCallTransitionError extends Error {
  override readonly name = 'InvalidModelCallTransitionError';
  constructor(call: ModelCallRef, to: ModelCallStatus) {
    super(`model call #${call.callIndex} of run ${call.runId} cannot become ${to}`);
  }
}

/**
 * The SQL of the model_calls table, which only the run record writes. A call is written ahead
 * (running) before its request, then answered, failed or cancelled; an answered call is final.
 */
@Injectable()
export class ModelCallsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  forRun(runId: string, m: EntityManager = this.dataSource.manager): Promise<ModelCallEntity[]> {
    return m.find(ModelCallEntity, { where: { runId }, order: { callIndex: 'ASC' } });
  }

  /** Written ahead of the request (or again after a failure or crash); returns the attempt. */
  async writeAhead(m: EntityManager, call: ModelCallRef & { step: number; memoryIds: string[] }): Promise<number> {
    const rows = await this.changed<{ attempts: number }>(m, call, ModelCallStatus.Running, {
      sql: `INSERT INTO model_calls (run_id, call_index, step, status, attempts, started_at, memory_ids)
            VALUES ($1, $2, $3, 'running', 1, now(), $4)
            ON CONFLICT (tenant_id, run_id, call_index) DO UPDATE
              SET status = 'running', attempts = model_calls.attempts + 1, started_at = now(), error = NULL,
                  completed_at = NULL, duration_ms = NULL
              WHERE model_calls.status <> 'succeeded'
            RETURNING attempts`,
      params: [call.runId, call.callIndex, call.step, call.memoryIds],
    });
    return rows[0].attempts;
  }

  async complete(m: EntityManager, call: ModelCallRef, answer: ModelCallAnswer): Promise<void> {
    await this.changed(m, call, ModelCallStatus.Succeeded, {
      sql: `UPDATE model_calls SET status = 'succeeded', provider = $3, model = $4, content = $5, stop_reason = $6,
                   input_tokens = $7, output_tokens = $8, duration_ms = $9, completed_at = now(), error = $10
             WHERE run_id = $1 AND call_index = $2 AND status = 'running' RETURNING id`,
      params: [
        call.runId,
        call.callIndex,
        answer.provider,
        answer.model,
        JSON.stringify(answer.content),
        answer.stopReason,
        answer.inputTokens,
        answer.outputTokens,
        Math.round(answer.durationMs),
        answer.fallbackFrom,
      ],
    });
  }

  async fail(m: EntityManager, call: ModelCallRef, failure: { error: string; durationMs: number; cancelled: boolean }) {
    const status = failure.cancelled ? ModelCallStatus.Cancelled : ModelCallStatus.Failed;
    await this.changed(m, call, status, {
      sql: `UPDATE model_calls SET status = $5, error = $3, duration_ms = $4, completed_at = now()
             WHERE run_id = $1 AND call_index = $2 AND status = 'running' RETURNING id`,
      params: [call.runId, call.callIndex, failure.error, Math.round(failure.durationMs), status],
    });
  }

  /** A replay's model call answered from its original's record (no request; no tokens, it cost none). */
  async serve(
    m: EntityManager,
    call: ModelCallRef & { step: number; memoryIds: string[]; original: ModelCallEntity },
  ): Promise<void> {
    const o = call.original;
    await this.changed(m, call, ModelCallStatus.Succeeded, {
      sql: `INSERT INTO model_calls (run_id, call_index, step, status, attempts, started_at, completed_at, duration_ms,
                                     provider, model, content, stop_reason, input_tokens, output_tokens, memory_ids,
                                     replayed_from)
            VALUES ($1, $2, $3, 'succeeded', 0, now(), now(), 0, $4, $5, $6, $7, 0, 0, $8, $9)
            ON CONFLICT (tenant_id, run_id, call_index) DO UPDATE
              SET status = 'succeeded', completed_at = now(), duration_ms = 0, provider = $4, model = $5, content = $6,
                  stop_reason = $7, input_tokens = 0, output_tokens = 0, error = NULL, replayed_from = $9
              WHERE model_calls.status <> 'succeeded'
            RETURNING id`,
      params: [
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
    });
  }

  /** Model calls of these runs still in flight as the runs ended: cancelled with them. */
  async closeOpen(m: EntityManager, runIds: string[], error: string): Promise<void> {
    if (runIds.length === 0) return;
    await m.query(
      `UPDATE model_calls SET status = 'cancelled', error = $2, completed_at = now(),
              duration_ms = (extract(epoch FROM now() - started_at) * 1000)::int
        WHERE run_id = ANY($1::uuid[]) AND status = 'running'`,
      [runIds, error],
    );
  }

  private async changed<R>(
    m: EntityManager,
    call: ModelCallRef,
    to: ModelCallStatus,
    statement: { sql: string; params: unknown[] },
  ): Promise<R[]> {
    const rows = returnedRows(await m.query<R[] | [R[], number]>(statement.sql, statement.params));
    if (rows.length === 0) throw new InvalidModelCallTransitionError(call, to);
    return rows;
  }
}
