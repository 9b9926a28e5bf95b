import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { MemoryEntity } from './memory.entity';
import type { MemoryType } from '../skills/memory-type.enum';

export interface MemoryFilter {
  memoryType?: MemoryType;
  since?: Date;
  until?: Date;
}

export interface NewMemoryRow {
  agentId: string;
  memoryType: MemoryType;
  text: string;
  meta: Record<string, unknown> | null;
  trusted: boolean;
}

interface MemoryRow {
  id: string;
  agent_id: string;
  memory_type: MemoryType;
  text: string;
  meta: Record<string, unknown> | null;
  run_id: string | null;
  step_index: number | null;
  trusted: boolean;
  created_at: Date;
}

const COLUMNS = 'id, agent_id, memory_type, text, meta, run_id, step_index, trusted, created_at';

function toEntity(row: MemoryRow): MemoryEntity {
  return Object.assign(new MemoryEntity(), {
    id: row.id,
    agentId: row.agent_id,
    memoryType: row.memory_type,
    text: row.text,
    meta: row.meta,
    runId: row.run_id,
    stepIndex: row.step_index,
    trusted: row.trusted,
    createdAt: row.created_at,
  });
}

/** The SQL of the memories table. */
@Injectable()
export class MemoryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(m: EntityManager, memory: NewMemoryRow): Promise<MemoryEntity> {
    const rows = await m.query<MemoryRow[]>(
      `INSERT INTO memories (agent_id, memory_type, text, meta, trusted) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [memory.agentId, memory.memoryType, memory.text, memory.meta, memory.trusted],
    );
    return toEntity(rows[0]);
  }

  /**
   * Keyed by (run, step): a step executed again after a crash does not write it twice. Returns the
   * new memory's id, or undefined when it was already there.
   */
  async insertForStep(
    m: EntityManager,
    memory: NewMemoryRow & { runId: string; stepIndex: number },
  ): Promise<string | undefined> {
    const rows = await m.query<{ id: string }[]>(
      `INSERT INTO memories (agent_id, memory_type, text, meta, run_id, step_index, trusted)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id, step_index) DO NOTHING RETURNING id`,
      [memory.agentId, memory.memoryType, memory.text, memory.meta, memory.runId, memory.stepIndex, memory.trusted],
    );
    return rows[0]?.id;
  }

  /** Ranked full-text search over the generated tsvector (GIN index); best matches first. */
  async search(
    agentId: string,
    query: string,
    limit: number,
    filter: MemoryFilter,
  ): Promise<{ memory: MemoryEntity; rank: number }[]> {
    const params: unknown[] = [agentId, query, limit];
    const filters: string[] = [];
    if (filter.memoryType) filters.push(`AND m.memory_type = $${params.push(filter.memoryType)}`);
    if (filter.since) filters.push(`AND m.created_at >= $${params.push(filter.since)}`);
    if (filter.until) filters.push(`AND m.created_at < $${params.push(filter.until)}`);
    const { rows } = await pgPoolOf(this.dataSource).query<MemoryRow & { rank: number }>(
      `SELECT m.id, m.agent_id, m.memory_type, m.text, m.meta, m.run_id, m.step_index, m.trusted, m.created_at,
              ts_rank(m.search, q) AS rank
         FROM memories m, websearch_to_tsquery('english', $2) q
        WHERE m.agent_id = $1 AND m.search @@ q ${filters.join(' ')}
        ORDER BY rank DESC, m.created_at DESC, m.id DESC
        LIMIT $3`,
      params,
    );
    return rows.map((r) => ({ memory: toEntity(r), rank: Number(r.rank) }));
  }

  /** Newest first, keyset-paged. */
  async page(agentId: string, filter: MemoryFilter, query: PageQueryDto) {
    const qb = this.dataSource
      .getRepository(MemoryEntity)
      .createQueryBuilder('memory')
      .where('memory.agent_id = :agentId', { agentId });
    if (filter.memoryType) qb.andWhere('memory.memory_type = :type', { type: filter.memoryType });
    if (filter.since) qb.andWhere('memory.created_at >= :since', { since: filter.since });
    if (filter.until) qb.andWhere('memory.created_at < :until', { until: filter.until });
    return findPage(qb, query);
  }

  /** The memory, locked for the caller's transaction: the run that wrote it, if any. */
  async lockForDelete(
    m: EntityManager,
    agentId: string,
    memoryId: string,
  ): Promise<{ runId: string | null } | undefined> {
    const [row] = await m.query<{ run_id: string | null }[]>(
      'SELECT run_id FROM memories WHERE id = $1 AND agent_id = $2 FOR UPDATE',
      [memoryId, agentId],
    );
    return row ? { runId: row.run_id } : undefined;
  }

  async delete(m: EntityManager, memoryId: string): Promise<void> {
    await m.query('DELETE FROM memories WHERE id = $1', [memoryId]);
  }
}
