import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import type { RunStatus } from '../provenance/run-status.enum';
import { RunEntity } from './run.entity';
import type { ReplayMode } from './replay-mode.enum';
import type { RecalledMemory, RunSettings } from './run-settings';
import type { Taint } from './run-policy';
import { returnedRows } from '../database/returned-rows';
import { READY_RUN } from './run-queue.sql';

/**
 * The SQL of the runs table outside the queue's transitions (those are in RunQueue): accepting
 * goals, and reading runs for the API.
 */
@Injectable()
export class RunsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    m: EntityManager,
    run: {
      id: string;
      agentId: string;
      goal: string;
      priority: number;
      idempotencyKey: string | null;
      maxAttempts: number;
      /** A replay starts with the settings and context it replays, frozen in already. */
      replay?: { of: string; mode: ReplayMode; settings: RunSettings; context: RecalledMemory[] | null };
    },
  ): Promise<void> {
    await m.query(
      `INSERT INTO runs (id, agent_id, goal, priority, idempotency_key, max_attempts, replay_of, replay_mode, settings, context)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        run.id,
        run.agentId,
        run.goal,
        run.priority,
        run.idempotencyKey,
        run.maxAttempts,
        run.replay?.of ?? null,
        run.replay?.mode ?? null,
        run.replay ? JSON.stringify(run.replay.settings) : null,
        run.replay?.context ? JSON.stringify(run.replay.context) : null,
      ],
    );
  }

  findByIdempotencyKey(agentId: string, idempotencyKey: string): Promise<RunEntity | null> {
    return this.dataSource.getRepository(RunEntity).findOneBy({ agentId, idempotencyKey });
  }

  findForAgent(agentId: string, runId: string, m: EntityManager = this.dataSource.manager): Promise<RunEntity | null> {
    return m.getRepository(RunEntity).findOneBy({ id: runId, agentId });
  }

  async page(agentId: string, query: PageQueryDto & { status?: RunStatus }) {
    const qb = this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('run')
      .where('run.agent_id = :agentId', { agentId });
    if (query.status) qb.andWhere('run.status = :status', { status: query.status });
    return findPage(qb, query);
  }

  /** The agent settings a run uses, frozen at its first start. */
  async saveSettings(runId: string, settings: RunSettings): Promise<void> {
    await pgPoolOf(this.dataSource).query('UPDATE runs SET settings = $2 WHERE id = $1', [
      runId,
      JSON.stringify(settings),
    ]);
  }

  /** The memories recalled into a model-driven run's context, kept as they were (in the caller's transaction). */
  async saveContext(m: EntityManager, runId: string, context: RecalledMemory[]): Promise<void> {
    await m.query('UPDATE runs SET context = $2 WHERE id = $1', [runId, JSON.stringify(context)]);
  }

  /**
   * Marks the run tainted, in the caller's transaction, unless it already was (the first taint is
   * the one recorded). Returns whether this call set it.
   */
  async taint(m: EntityManager, runId: string, taint: Taint): Promise<boolean> {
    const rows = returnedRows(
      await m.query<{ id: string }[] | [{ id: string }[], number]>(
        'UPDATE runs SET taint = $2 WHERE id = $1 AND taint IS NULL RETURNING id',
        [runId, JSON.stringify(taint)],
      ),
    );
    return rows.length > 0;
  }

  /**
   * One answered model call: adds its tokens to the run and ends any wait for a model, in the
   * caller's transaction.
   */
  async addUsage(m: EntityManager, runId: string, usage: { inputTokens: number; outputTokens: number }): Promise<void> {
    await m.query(
      `UPDATE runs SET model_calls = model_calls + 1, input_tokens = input_tokens + $2, output_tokens = output_tokens + $3,
              model_wait_since = NULL, model_waits = 0
        WHERE id = $1`,
      [runId, usage.inputTokens, usage.outputTokens],
    );
  }

  /** The run's status, its row locked for the caller's transaction; undefined when it is not the agent's. */
  async lockStatus(m: EntityManager, agentId: string, runId: string): Promise<RunStatus | undefined> {
    const [run] = await m.query<{ status: RunStatus }[]>(
      'SELECT status FROM runs WHERE id = $1 AND agent_id = $2 FOR UPDATE',
      [runId, agentId],
    );
    return run?.status;
  }

  /**
   * Queue figures for /metrics: pending and running counts, how many pending runs are ready to be
   * claimed, and how long the oldest ready one has waited. Read through the partial indexes on
   * pending and running runs, so the cost follows the queue, not the history.
   */
  async queueStats(): Promise<{
    pending: number;
    running: number;
    waiting: number;
    ready: number;
    oldestReadyAgeS: number;
  }> {
    const { rows } = await pgPoolOf(this.dataSource).query<{
      pending: number;
      running: number;
      waiting: number;
      ready: number;
      oldest: number | null;
    }>(
      `SELECT count(*) FILTER (WHERE r.status = 'pending')::int AS pending,
              count(*) FILTER (WHERE r.status = 'running')::int AS running,
              count(*) FILTER (WHERE r.status = 'waiting_approval')::int AS waiting,
              count(*) FILTER (WHERE ${READY_RUN})::int AS ready,
              extract(epoch FROM now() - min(r.created_at) FILTER (WHERE ${READY_RUN}))::float8 AS oldest
         FROM runs r JOIN agents a ON a.id = r.agent_id
        WHERE r.status IN ('pending', 'running', 'waiting_approval')`,
    );
    const [row] = rows;
    return {
      pending: row.pending,
      running: row.running,
      waiting: row.waiting,
      ready: row.ready,
      oldestReadyAgeS: row.oldest ?? 0,
    };
  }
}
