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

/** How many of the newest matches, and of the newest matches repeating a term, recall ranks. */
const RECALL_CANDIDATES = 200;

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
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, run_id, step_index) DO NOTHING RETURNING id`,
      [memory.agentId, memory.memoryType, memory.text, memory.meta, memory.runId, memory.stepIndex, memory.trusted],
    );
    return rows[0]?.id;
  }

  /**
   * Ranked full-text search; best matches first. ts_rank runs over a bounded candidate set, not
   * every match: the newest RECALL_CANDIDATES matches, and the newest RECALL_CANDIDATES whose
   * query terms the text repeats (ts_rank scores a repeated term above a single mention, so these
   * are where older high-ranked matches are). A query matching fewer memories is ranked exactly.
   * The query stays inline in each branch (no CTE) so the planner folds it to a constant and picks,
   * per branch, the GIN index (rare terms) or the newest-first index scan (common ones).
   */
  async search(
    agentId: string,
    query: string,
    limit: number,
    filter: MemoryFilter,
  ): Promise<{ memory: MemoryEntity; rank: number }[]> {
    const params: unknown[] = [agentId, query, limit, RECALL_CANDIDATES];
    const filters: string[] = [];
    if (filter.memoryType) filters.push(`AND m.memory_type = $${params.push(filter.memoryType)}`);
    if (filter.since) filters.push(`AND m.created_at >= $${params.push(filter.since)}`);
    if (filter.until) filters.push(`AND m.created_at < $${params.push(filter.until)}`);
    const matches = `m.search @@ websearch_to_tsquery('english', $2)`;
    // The repeated lexemes alone would let `-word` and "phrases" through (they hold neither the
    // other words nor positions): a candidate of that branch must match the whole query too.
    const candidates = (where: string) =>
      `(SELECT m.id FROM memories m
         WHERE m.agent_id = $1 AND ${where} ${filters.join(' ')}
         ORDER BY m.created_at DESC, m.id DESC LIMIT $4)`;
    const { rows } = await pgPoolOf(this.dataSource).query<MemoryRow & { rank: number }>(
      `SELECT ${COLUMNS}, ts_rank(search, websearch_to_tsquery('english', $2)) AS rank
         FROM memories
        WHERE id IN (${candidates(matches)} UNION ${candidates(`m.search_repeats @@ websearch_to_tsquery('english', $2) AND ${matches}`)})
        ORDER BY rank DESC, created_at DESC, id DESC
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
