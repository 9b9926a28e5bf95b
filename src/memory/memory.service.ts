import { Injectable } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import { Transactions } from '../database/transactions';
import { EventsService, NewEvent } from '../events/events.service';
import { RunRecordService } from '../run-record/run-record.service';
import { RunStatus } from '../run-record/run-status.enum';
import type { RunWrite } from '../run-record/run-writer';
import { DEFAULT_PAGE_SIZE, Page } from '../common/pagination';
import { parseDateTime } from '../common/date-time';
import { MemoryResponseDto, RecallQueryDto } from './dto/memory.dto';
import { MemoryInUseError, MemoryNotFoundError, RecallCursorWithQueryError } from './memory.errors';
import { MemoryFilter, MemoryRepository } from './memory.repository';
import { MemoryType } from '../skills/memory-type.enum';

export interface NewMemory {
  memory_type: MemoryType;
  text: string;
  meta?: Record<string, unknown> | null;
  /** False when it came from outside AOS or a tainted run wrote it (default: true). */
  trusted?: boolean;
}

function createdEvent(id: string, agentId: string, runId: string | null, memory: NewMemory): NewEvent {
  return {
    agentId,
    runId,
    type: 'memory.created',
    data: {
      memory_id: id,
      memory_type: memory.memory_type,
      chars: memory.text.length,
      trusted: memory.trusted ?? true,
    },
  };
}

@Injectable()
export class MemoryService {
  constructor(
    private readonly transactions: Transactions,
    private readonly memories: MemoryRepository,
    private readonly agents: AgentsService,
    private readonly events: EventsService,
    private readonly record: RunRecordService,
  ) {}

  async add(agentId: string, memory: NewMemory): Promise<MemoryResponseDto> {
    return this.transactions.run(async (m) => {
      await this.agents.findOrFail(m, agentId, 'share');
      const saved = await this.memories.insert(m, {
        agentId,
        memoryType: memory.memory_type,
        text: memory.text,
        meta: memory.meta ?? null,
        trusted: memory.trusted ?? true,
      });
      await this.events.append(m, [createdEvent(saved.id, agentId, null, memory)]);
      return MemoryResponseDto.from(saved);
    });
  }

  /**
   * The memory a run step leaves, written in the step's own write (its event with the step's).
   * Keyed by (run, step): a step executed again after a crash does not write it twice.
   */
  async recordForStep(
    w: RunWrite,
    step: { agentId: string; runId: string; stepIndex: number },
    memory: NewMemory,
  ): Promise<void> {
    const id = await this.memories.insertForStep(w.m, {
      agentId: step.agentId,
      runId: step.runId,
      stepIndex: step.stepIndex,
      memoryType: memory.memory_type,
      text: memory.text,
      meta: memory.meta ?? null,
      trusted: memory.trusted ?? true,
    });
    // A step executed again after a crash finds its memory already there: no second event.
    if (id) w.emit(createdEvent(id, step.agentId, step.runId, memory));
  }

  /**
   * With a query: PostgreSQL full-text search over the generated tsvector (GIN index), best
   * matches first, and nothing when nothing matches. Without: newest first, keyset-paged.
   */
  async recall(agentId: string, query: RecallQueryDto): Promise<Page<MemoryResponseDto>> {
    const filter: MemoryFilter = {
      memoryType: query.memory_type,
      since: query.since ? parseDateTime(query.since) : undefined,
      until: query.until ? parseDateTime(query.until) : undefined,
    };
    if (query.query) {
      if (query.cursor) throw new RecallCursorWithQueryError();
      const found = await this.memories.search(agentId, query.query, query.limit ?? DEFAULT_PAGE_SIZE, filter);
      // Only an empty answer needs to tell "no match" from "no such agent".
      if (found.length === 0) await this.agents.findOrFail(this.transactions.manager, agentId);
      return { items: found.map((f) => MemoryResponseDto.from(f.memory, f.rank)), next_cursor: null };
    }
    await this.agents.findOrFail(this.transactions.manager, agentId);
    const { rows, nextCursor } = await this.memories.page(agentId, filter, query);
    return { items: rows.map((m) => MemoryResponseDto.from(m)), next_cursor: nextCursor };
  }

  /** Ranked search for a run (its context, or the memory_recall skill): no agent check, no paging. */
  async search(
    agentId: string,
    query: string,
    options: { memoryType?: MemoryType; limit: number },
  ): Promise<
    { id: string; memory_type: MemoryType; text: string; created_at: string; rank: number; trusted: boolean }[]
  > {
    const found = await this.memories.search(agentId, query, options.limit, { memoryType: options.memoryType });
    return found.map(({ memory, rank }) => ({
      id: memory.id,
      memory_type: memory.memoryType,
      text: memory.text,
      created_at: memory.createdAt.toISOString(),
      rank,
      trusted: memory.trusted,
    }));
  }

  async remove(agentId: string, memoryId: string): Promise<void> {
    await this.transactions.run(async (manager) => {
      const found = await this.memories.lockForDelete(manager, agentId, memoryId);
      if (!found) {
        await this.agents.findOrFail(manager, agentId);
        throw new MemoryNotFoundError(memoryId);
      }
      // The run that wrote it may still read it back: its record says whether it works.
      if (found.runId && (await this.record.statusOf(manager, found.runId)) === RunStatus.Running) {
        throw new MemoryInUseError(memoryId, found.runId);
      }
      await this.memories.delete(manager, memoryId);
      await this.events.append(manager, [
        { agentId, runId: found.runId, type: 'memory.deleted', data: { memory_id: memoryId } },
      ]);
    });
  }
}
