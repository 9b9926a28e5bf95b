import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { returnedRows } from '../database/returned-rows';
import { AgentStatus } from './agent-status.enum';
import { AgentEntity } from './agent.entity';

interface AgentRow {
  id: string;
  name: string;
  status: AgentStatus;
  max_concurrent_runs: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, status, max_concurrent_runs, created_at, updated_at';

function toEntity(row: AgentRow): AgentEntity {
  return Object.assign(new AgentEntity(), {
    id: row.id,
    name: row.name,
    status: row.status,
    maxConcurrentRuns: row.max_concurrent_runs,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

/**
 * Persistence of agents. The hot paths (create, get) are single hand-written statements: one
 * round trip each, no ORM query building, which the benchmark showed to be a large share of a
 * request's cost. Lists use the query builder and the shared keyset paging.
 */
@Injectable()
export class AgentsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(name: string, maxConcurrentRuns = 1): Promise<AgentEntity> {
    const { rows } = await pgPoolOf(this.dataSource).query<AgentRow>(
      `INSERT INTO agents (name, max_concurrent_runs) VALUES ($1, $2) RETURNING ${COLUMNS}`,
      [name, maxConcurrentRuns],
    );
    return toEntity(rows[0]);
  }

  /** `lock` takes the row for the rest of the caller's transaction (status changes). */
  async findById(id: string, manager?: EntityManager, lock?: 'update' | 'share'): Promise<AgentEntity | null> {
    if (!manager) {
      const { rows } = await pgPoolOf(this.dataSource).query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE id = $1`, [
        id,
      ]);
      return rows[0] ? toEntity(rows[0]) : null;
    }
    const rows = await manager.query<AgentRow[]>(
      `SELECT ${COLUMNS} FROM agents WHERE id = $1${lock === 'update' ? ' FOR UPDATE' : lock === 'share' ? ' FOR SHARE' : ''}`,
      [id],
    );
    return rows[0] ? toEntity(rows[0]) : null;
  }

  async page(query: { limit?: number; cursor?: string; status?: AgentStatus }) {
    const qb = this.dataSource.getRepository(AgentEntity).createQueryBuilder('agent');
    if (query.status) qb.where('agent.status = :status', { status: query.status });
    return findPage(qb, query);
  }

  async update(manager: EntityManager, agent: AgentEntity): Promise<AgentEntity> {
    const rows = returnedRows(
      await manager.query<AgentRow[] | [AgentRow[], number]>(
        `UPDATE agents SET name = $2, status = $3, max_concurrent_runs = $4, updated_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [agent.id, agent.name, agent.status, agent.maxConcurrentRuns],
      ),
    );
    return toEntity(rows[0]);
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
}
