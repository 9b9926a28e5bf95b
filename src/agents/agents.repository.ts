import { currentActor, currentTenantId } from '../common/db-scope';
import type { Actor } from '../common/actor';

const jsonOrNull = (v: unknown) => (v === null ? null : JSON.stringify(v));
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { returnedRows } from '../database/returned-rows';
import type { ModelChoice } from '../models/model.types';
import type { AgentPlanner } from './agent-planner.enum';
import { AgentStatus } from './agent-status.enum';
import type { AgentApproval } from './agent-approval.enum';
import { AgentEntity } from './agent.entity';

export interface AgentRow {
  id: string;
  name: string;
  status: AgentStatus;
  max_concurrent_runs: number;
  planner: AgentPlanner;
  instructions: string | null;
  models: ModelChoice | null;
  skills: string[] | null;
  max_steps: number;
  approval: AgentApproval;
  egress: string[] | null;
  egress_trusted: string[];
  remember_tool_results: boolean;
  model_calls: string;
  input_tokens: string;
  output_tokens: string;
  created_by: Actor | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, name, status, max_concurrent_runs, planner, instructions, models, skills, max_steps, approval, ' +
  'egress, egress_trusted, remember_tool_results, model_calls, input_tokens, output_tokens, created_by, created_at, updated_at';

function toEntity(row: AgentRow): AgentEntity {
  return Object.assign(new AgentEntity(), {
    id: row.id,
    name: row.name,
    status: row.status,
    maxConcurrentRuns: row.max_concurrent_runs,
    planner: row.planner,
    instructions: row.instructions,
    models: row.models,
    skills: row.skills,
    maxSteps: row.max_steps,
    approval: row.approval,
    egress: row.egress,
    egressTrusted: row.egress_trusted,
    rememberToolResults: row.remember_tool_results,
    // bigint columns arrive as strings; totals stay far below 2^53.
    modelCalls: Number(row.model_calls),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

export interface NewAgent {
  name: string;
  maxConcurrentRuns: number;
  planner: AgentPlanner;
  instructions: string | null;
  models: ModelChoice | null;
  skills: string[] | null;
  maxSteps: number;
  approval: AgentApproval;
  egress: string[] | null;
  egressTrusted: string[];
  rememberToolResults: boolean;
}

/** The fields of an agent that decide what its runs' tool calls may do, as stored. */
export interface AgentPolicyRow {
  approval: AgentApproval;
  skills: string[] | null;
  egress: string[] | null;
  egress_trusted: string[];
  remember_tool_results: boolean;
}

/**
 * Persistence of agents. The hot paths (create, get) are single hand-written statements: one
 * round trip each, no ORM query building, which the benchmark showed to be a large share of a
 * request's cost. Lists use the query builder and the shared keyset paging.
 */
@Injectable()
export class AgentsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts the agent by running its INSERT through `run` (the events module's appendAlong, which
   * adds the agent's event to the same statement).
   */
  async insert(
    agent: NewAgent & { id: string },
    run: (statement: { sql: string; params: unknown[] }) => Promise<AgentRow[]>,
  ): Promise<AgentEntity> {
    const rows = await run({
      sql: `INSERT INTO agents (id, name, max_concurrent_runs, planner, instructions, models, skills, max_steps, approval,
                                egress, egress_trusted, remember_tool_results, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
      params: [
        agent.id,
        agent.name,
        agent.maxConcurrentRuns,
        agent.planner,
        agent.instructions,
        agent.models === null ? null : JSON.stringify(agent.models),
        agent.skills,
        agent.maxSteps,
        agent.approval,
        agent.egress,
        agent.egressTrusted,
        agent.rememberToolResults,
        jsonOrNull(currentActor()),
      ],
    });
    return toEntity(rows[0]);
  }

  /** `lock` takes the row for the rest of the caller's transaction (status changes). */
  async findById(id: string, manager?: EntityManager, lock?: 'update' | 'share'): Promise<AgentEntity | null> {
    if (!manager) {
      const { rows } = await pgPoolOf(this.dataSource).query<AgentRow>(
        `SELECT ${COLUMNS} FROM agents WHERE tenant_id = $2 AND id = $1`,
        [id, currentTenantId()],
      );
      return rows[0] ? toEntity(rows[0]) : null;
    }
    const rows = await manager.query<AgentRow[]>(
      `SELECT ${COLUMNS} FROM agents WHERE tenant_id = $2 AND id = $1${lock === 'update' ? ' FOR UPDATE' : lock === 'share' ? ' FOR SHARE' : ''}`,
      [id, currentTenantId()],
    );
    return rows[0] ? toEntity(rows[0]) : null;
  }

  /** Every agent id of the current tenant (a tenant's deletion goes through them). */
  async ids(): Promise<string[]> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ id: string }>(
      'SELECT id FROM agents WHERE tenant_id = $1',
      [currentTenantId()],
    );
    return rows.map((r) => r.id);
  }

  async page(query: { limit?: number; cursor?: string; status?: AgentStatus }) {
    const qb = this.dataSource
      .getRepository(AgentEntity)
      .createQueryBuilder('agent')
      .where('agent.tenant_id = :tenantId', { tenantId: currentTenantId() });
    if (query.status) qb.andWhere('agent.status = :status', { status: query.status });
    const page = await findPage(qb, query);
    // TypeORM reads bigint as string too.
    for (const agent of page.rows) {
      agent.modelCalls = Number(agent.modelCalls);
      agent.inputTokens = Number(agent.inputTokens);
      agent.outputTokens = Number(agent.outputTokens);
    }
    return page;
  }

  async update(manager: EntityManager, agent: AgentEntity): Promise<AgentEntity> {
    const rows = returnedRows(
      await manager.query<AgentRow[] | [AgentRow[], number]>(
        `UPDATE agents SET name = $2, status = $3, max_concurrent_runs = $4, planner = $5, instructions = $6,
                models = $7, skills = $8, max_steps = $9, approval = $10, egress = $11, egress_trusted = $12,
                remember_tool_results = $13, updated_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [
          agent.id,
          agent.name,
          agent.status,
          agent.maxConcurrentRuns,
          agent.planner,
          agent.instructions,
          agent.models === null ? null : JSON.stringify(agent.models),
          agent.skills,
          agent.maxSteps,
          agent.approval,
          agent.egress,
          agent.egressTrusted,
          agent.rememberToolResults,
        ],
      ),
    );
    return toEntity(rows[0]);
  }

  /** The agent's policy fields as they are now (one indexed read on the pool), or undefined when it is gone. */
  async policy(id: string): Promise<AgentPolicyRow | undefined> {
    const { rows } = await pgPoolOf(this.dataSource).query<AgentPolicyRow>(
      'SELECT approval, skills, egress, egress_trusted, remember_tool_results FROM agents WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  /** Keeps the agent from being deleted (or its key changed) until the caller's transaction ends. */
  async holdKey(manager: EntityManager, id: string): Promise<void> {
    await manager.query('SELECT 1 FROM agents WHERE id = $1 FOR KEY SHARE', [id]);
  }

  /** Adds one model call's usage to the agent's totals, in the caller's transaction. */
  async addUsage(
    manager: EntityManager,
    id: string,
    usage: { inputTokens: number; outputTokens: number },
  ): Promise<void> {
    await manager.query(
      `UPDATE agents SET model_calls = model_calls + 1, input_tokens = input_tokens + $2,
              output_tokens = output_tokens + $3 WHERE id = $1`,
      [id, usage.inputTokens, usage.outputTokens],
    );
  }

  /** Deletes the agent; its memories, runs and provenance go with it (ON DELETE CASCADE). */
  async delete(manager: EntityManager, id: string): Promise<boolean> {
    const rows = returnedRows(
      await manager.query<{ id: string }[] | [{ id: string }[], number]>(
        'DELETE FROM agents WHERE id = $1 RETURNING id',
        [id],
      ),
    );
    return rows.length > 0;
  }

  /**
   * In a creating transaction: the tenant's agents, counted after taking the tenant's lock (so
   * two creations at once cannot both take the last place its limit leaves). The lock ends with
   * the transaction.
   */
  async lockAndCount(m: EntityManager, tenantId: string): Promise<number> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('aos:agents:' || $1::text, 0))`, [tenantId]);
    const [row] = await m.query<{ n: number }[]>('SELECT count(*)::int AS n FROM agents WHERE tenant_id = $1', [
      tenantId,
    ]);
    return row.n;
  }
}
