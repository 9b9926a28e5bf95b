import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Page } from '../common/pagination';
import { AgentEvents } from './agent-events';
import { canTransition } from './agent-lifecycle';
import { AgentStatus } from './agent-status.enum';
import { AgentEntity } from './agent.entity';
import { AgentNotFoundError, AgentStatusTransitionError } from './agent.errors';
import { AgentsRepository } from './agents.repository';
import { AgentResponseDto } from './dto/agent-response.dto';
import type { CreateAgentDto } from './dto/create-agent.dto';
import type { ListAgentsQueryDto } from './dto/list-agents-query.dto';
import type { UpdateAgentDto } from './dto/update-agent.dto';

@Injectable()
export class AgentsService {
  private readonly logger = new Logger(AgentsService.name);

  constructor(
    private readonly agents: AgentsRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: AgentEvents,
  ) {}

  async create(dto: CreateAgentDto): Promise<AgentResponseDto> {
    return AgentResponseDto.from(await this.agents.insert(dto.name, dto.max_concurrent_runs));
  }

  async list(query: ListAgentsQueryDto): Promise<Page<AgentResponseDto>> {
    const { rows, nextCursor } = await this.agents.page(query);
    return { items: rows.map((a) => AgentResponseDto.from(a)), next_cursor: nextCursor };
  }

  async get(id: string): Promise<AgentResponseDto> {
    const agent = await this.agents.findById(id);
    if (!agent) throw new AgentNotFoundError(id);
    return AgentResponseDto.from(agent);
  }

  /** The agent entity, for other modules' services; throws AgentNotFoundError. */
  /** `lock`: `update` to change the agent, `share` to keep it from changing (e.g. while accepting a goal). */
  async findOrFail(manager: EntityManager, id: string, lock?: 'update' | 'share'): Promise<AgentEntity> {
    const agent = await this.agents.findById(id, manager, lock);
    if (!agent) throw new AgentNotFoundError(id);
    return agent;
  }

  async update(id: string, dto: UpdateAgentDto): Promise<AgentResponseDto> {
    return this.dataSource.transaction(async (manager) => {
      const agent = await this.findOrFail(manager, id, 'update');
      const previousStatus = agent.status;
      if (dto.status !== undefined && !canTransition(agent.status, dto.status)) {
        throw new AgentStatusTransitionError(agent.status, dto.status);
      }
      const changed =
        (dto.name !== undefined && dto.name !== agent.name) ||
        (dto.status !== undefined && dto.status !== agent.status) ||
        (dto.max_concurrent_runs !== undefined && dto.max_concurrent_runs !== agent.maxConcurrentRuns);
      // Asking for what already is changes nothing, updated_at included.
      if (!changed) return AgentResponseDto.from(agent);
      if (dto.name !== undefined) agent.name = dto.name;
      if (dto.max_concurrent_runs !== undefined) agent.maxConcurrentRuns = dto.max_concurrent_runs;
      if (dto.status !== undefined) agent.status = dto.status;
      const updated = await this.agents.update(manager, agent);
      if (dto.status !== undefined && dto.status !== previousStatus) {
        await this.events.statusChanged({ agent: updated, previous: previousStatus, manager });
        this.logger.log({ agent_id: id, from: previousStatus, to: updated.status }, 'agent status changed');
      }
      return AgentResponseDto.from(updated);
    });
  }

  /** pause / resume / stop: the same rules as a PATCH of `status`. */
  async changeStatus(id: string, status: AgentStatus): Promise<AgentResponseDto> {
    return this.update(id, { status });
  }

  /**
   * Deletes the agent and, by cascade, everything of it. Its row is locked first and the other
   * modules end their work on it (runs cancels and locks its runs) before the cascade, so the
   * cascade takes locks in the same order as the run queue and cannot deadlock with a worker.
   */
  async remove(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const agent = await this.findOrFail(manager, id, 'update');
      await this.events.deleting({ agent, manager });
      await this.agents.delete(manager, id);
    });
    this.logger.log({ agent_id: id }, 'agent deleted');
  }
}
