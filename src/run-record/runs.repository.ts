import { currentActor } from '../common/db-scope';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { returnedRows } from '../database/returned-rows';
import type { ReplayMode } from './replay-mode.enum';
import type { RecalledMemory, RunSettings } from './run-settings';
import { RunStatus } from './run-status.enum';
import { RunEntity } from './run.entity';
import type { Taint } from './taint';

/**
 * The runs table as a record: accepting goals, reading runs, and what a run records of itself
 * (settings, context, plan, taint, usage). Its status changes are RunStatesRepository's.
 */
/** A tenant's runs created on one UTC day with one status now. */
export interface RunCountRow {
  day: string;
  status: string;
  runs: number;
}

@Injectable()
export class RunsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // --- accepting and reading ----------------------------------------------------------------

  async insert(
    m: EntityManager,
    run: {
      agentId: string;
      goal: string;
      priority: number;
      idempotencyKey: string | null;
      maxAttempts: number;
      /** A replay starts with the settings and context it replays, frozen in already. */
      replay?: { of: string; mode: ReplayMode; settings: RunSettings; context: RecalledMemory[] | null };
    },
  ): Promise<string> {
    const submitter = currentActor();
    const [row] = await m.query<{ id: string }[]>(
      `INSERT INTO runs (agent_id, goal, priority, idempotency_key, max_attempts, replay_of, replay_mode, settings, context,
                         submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        run.agentId,
        run.goal,
        run.priority,
        run.idempotencyKey,
        run.maxAttempts,
        run.replay?.of ?? null,
        run.replay?.mode ?? null,
        run.replay ? JSON.stringify(run.replay.settings) : null,
        run.replay?.context ? JSON.stringify(run.replay.context) : null,
        submitter === null ? null : JSON.stringify(submitter),
      ],
    );
    return row.id;
  }

  findById(id: string): Promise<RunEntity | null> {
    return this.dataSource.getRepository(RunEntity).findOneBy({ id });
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

  /** The status of the run that wrote a memory (its delete waits while the run works). */
  async statusOf(m: EntityManager, runId: string): Promise<RunStatus | undefined> {
    const [run] = await m.query<{ status: RunStatus }[]>('SELECT status FROM runs WHERE id = $1', [runId]);
    return run?.status;
  }

  // --- what a run records of itself -----------------------------------------------------------

  /** A planned run's plan (written in a fenced step write: RunWriter checks the lease). */
  async recordPlan(m: EntityManager, runId: string, plan: { planner: string; steps: unknown[] }): Promise<void> {
    await m.query('UPDATE runs SET planner = $2, plan = $3 WHERE id = $1', [
      runId,
      plan.planner,
      JSON.stringify(plan.steps),
    ]);
  }

  /** The memories recalled into a model-driven run's context, kept as they were. */
  async saveContext(m: EntityManager, runId: string, context: RecalledMemory[]): Promise<void> {
    await m.query('UPDATE runs SET context = $2 WHERE id = $1', [runId, JSON.stringify(context)]);
  }

  /** Marks the run tainted unless it already was (the first taint is the one kept); whether this did. */
  async taint(m: EntityManager, runId: string, taint: Taint): Promise<boolean> {
    const rows = returnedRows(
      await m.query<{ id: string }[] | [{ id: string }[], number]>(
        'UPDATE runs SET taint = $2 WHERE id = $1 AND taint IS NULL RETURNING id',
        [runId, JSON.stringify(taint)],
      ),
    );
    return rows.length > 0;
  }

  /** One answered model call: its tokens added to the run, any wait for a model ended. */
  async addUsage(m: EntityManager, runId: string, usage: { inputTokens: number; outputTokens: number }): Promise<void> {
    await m.query(
      `UPDATE runs SET model_calls = model_calls + 1, input_tokens = input_tokens + $2, output_tokens = output_tokens + $3,
              model_wait_since = NULL, model_waits = 0
        WHERE id = $1`,
      [runId, usage.inputTokens, usage.outputTokens],
    );
  }

  /** Taints of these runs, as their rows hold them. */
  async taints(runIds: string[]): Promise<Map<string, Taint | null>> {
    if (runIds.length === 0) return new Map();
    const { rows } = await pgPoolOf(this.dataSource).query<{ id: string; taint: Taint | null }>(
      'SELECT id, taint FROM runs WHERE id = ANY($1::uuid[])',
      [runIds],
    );
    return new Map(rows.map((r) => [r.id, r.taint]));
  }

  /** Runs by the UTC day they were created and their status now. */
  async countsByDay(tenantId: string, from: string, to: string): Promise<RunCountRow[]> {
    const { rows } = await pgPoolOf(this.dataSource).query<RunCountRow>(
      `SELECT to_char((created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, status::text AS status,
              count(*)::int AS runs
         FROM runs
        WHERE tenant_id = $1 AND created_at >= $2::date AT TIME ZONE 'UTC'
          AND created_at < ($3::date + 1) AT TIME ZONE 'UTC'
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [tenantId, from, to],
    );
    return rows;
  }
}
