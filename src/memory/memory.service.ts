import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { DEFAULT_PAGE_SIZE, findPage, Page } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { MemoryResponseDto, RecallQueryDto } from './dto/memory.dto';
import { MemoryInUseError, MemoryNotFoundError, RecallCursorWithQueryError } from './memory.errors';
import { MemoryType } from './memory-type.enum';
import { MemoryEntity } from './memory.entity';

export interface NewMemory {
  memory_type: MemoryType;
  text: string;
  meta?: Record<string, unknown> | null;
}

interface RankedRow {
  id: string;
  agent_id: string;
  memory_type: MemoryType;
  text: string;
  meta: Record<string, unknown> | null;
  run_id: string | null;
  step_index: number | null;
  created_at: Date;
  rank: number;
}

@Injectable()
export class MemoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly agents: AgentsService,
  ) {}

  async add(agentId: string, memory: NewMemory): Promise<MemoryResponseDto> {
    await this.agents.findOrFail(this.dataSource.manager, agentId);
    const repo = this.dataSource.getRepository(MemoryEntity);
    const saved = await repo.save(
      repo.create({ agentId, memoryType: memory.memory_type, text: memory.text, meta: memory.meta ?? null }),
    );
    return MemoryResponseDto.from(saved);
  }

  /**
   * The memory a run step leaves, written in the step's own transaction. Keyed by (run, step):
   * a step executed again after a crash does not write it twice.
   */
  async recordForStep(
    manager: EntityManager,
    step: { agentId: string; runId: string; stepIndex: number },
    memory: NewMemory,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO memories (agent_id, memory_type, text, meta, run_id, step_index)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id, step_index) DO NOTHING`,
      [step.agentId, memory.memory_type, memory.text, memory.meta ?? null, step.runId, step.stepIndex],
    );
  }

  /**
   * With a query: PostgreSQL full-text search over the generated tsvector (GIN index), best
   * matches first, and nothing when nothing matches. Without: newest first, keyset-paged.
   */
  async recall(agentId: string, query: RecallQueryDto): Promise<Page<MemoryResponseDto>> {
    if (query.query) {
      if (query.cursor) throw new RecallCursorWithQueryError();
      const items = await this.search(agentId, query);
      // Only an empty answer needs to tell "no match" from "no such agent".
      if (items.length === 0) await this.agents.findOrFail(this.dataSource.manager, agentId);
      return { items, next_cursor: null };
    }
    await this.agents.findOrFail(this.dataSource.manager, agentId);
    const qb = this.dataSource
      .getRepository(MemoryEntity)
      .createQueryBuilder('memory')
      .where('memory.agent_id = :agentId', { agentId });
    if (query.memory_type) qb.andWhere('memory.memory_type = :type', { type: query.memory_type });
    if (query.since) qb.andWhere('memory.created_at >= :since', { since: new Date(query.since) });
    if (query.until) qb.andWhere('memory.created_at < :until', { until: new Date(query.until) });
    const { rows, nextCursor } = await findPage(qb, query);
    return { items: rows.map((m) => MemoryResponseDto.from(m)), next_cursor: nextCursor };
  }

  private async search(agentId: string, query: RecallQueryDto): Promise<MemoryResponseDto[]> {
    const params: unknown[] = [agentId, query.query, query.limit ?? DEFAULT_PAGE_SIZE];
    const filters: string[] = [];
    if (query.memory_type) filters.push(`AND m.memory_type = $${params.push(query.memory_type)}`);
    if (query.since) filters.push(`AND m.created_at >= $${params.push(new Date(query.since))}`);
    if (query.until) filters.push(`AND m.created_at < $${params.push(new Date(query.until))}`);
    const { rows } = await pgPoolOf(this.dataSource).query<RankedRow>(
      `SELECT m.id, m.agent_id, m.memory_type, m.text, m.meta, m.run_id, m.step_index, m.created_at,
              ts_rank(m.search, q) AS rank
         FROM memories m, websearch_to_tsquery('english', $2) q
        WHERE m.agent_id = $1 AND m.search @@ q ${filters.join(' ')}
        ORDER BY rank DESC, m.created_at DESC, m.id DESC
        LIMIT $3`,
      params,
    );
    return rows.map((r) =>
      MemoryResponseDto.from(
        Object.assign(new MemoryEntity(), {
          id: r.id,
          agentId: r.agent_id,
          memoryType: r.memory_type,
          text: r.text,
          meta: r.meta,
          runId: r.run_id,
          stepIndex: r.step_index,
          createdAt: r.created_at,
        }),
        Number(r.rank),
      ),
    );
  }

  async remove(agentId: string, memoryId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<{ run_id: string | null; run_status: string | null }[]>(
        `SELECT m.run_id, p.status AS run_status FROM memories m LEFT JOIN provenance p ON p.id = m.run_id
          WHERE m.id = $1 AND m.agent_id = $2 FOR UPDATE OF m`,
        [memoryId, agentId],
      );
      const found = rows[0];
      if (!found) {
        await this.agents.findOrFail(manager, agentId);
        throw new MemoryNotFoundError(memoryId);
      }
      if (found.run_id && found.run_status === 'running') throw new MemoryInUseError(memoryId, found.run_id);
      await manager.query('DELETE FROM memories WHERE id = $1', [memoryId]);
    });
  }
}
