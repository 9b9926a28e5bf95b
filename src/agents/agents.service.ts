import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Page } from '../common/pagination';
import { AgentEvents } from './agent-events';
import { AgentStatus } from './agent-status.enum';
import { AgentEntity } from './agent.entity';
import { AgentNotFoundError, AgentStatusTransitionError } from './agent.errors';
import { AgentsRepository } from './agents.repository';
import { AgentResponseDto } from './dto/agent-response.dto';
import type { CreateAgentDto } from './dto/create-agent.dto';
import type { ListAgentsQueryDto } from './dto/list-agents-query.dto';
import type { UpdateAgentDto } from './dto/update-agent.dto';

// Which status may follow which. A stopped agent can be resumed; it cannot be paused.
const ALLOWED_TRANSITIONS: Record<AgentStatus, readonly AgentStatus[]> = {
  [AgentStatus.Active]: [AgentStatus.Paused, AgentStatus.Stopped],
  [AgentStatus.Paused]: [AgentStatus.Active, AgentStatus.Stopped],
  [AgentStatus.Stopped]: [AgentStatus.Active],
};

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
      if (dto.name !== undefined) agent.name = dto.name;
      if (dto.max_concurrent_runs !== undefined) agent.maxConcurrentRuns = dto.max_concurrent_runs;
      if (dto.status !== undefined) this.checkTransition(agent.status, dto.status);
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

  async remove(id: string): Promise<void> {
    if (!(await this.agents.delete(id))) throw new AgentNotFoundError(id);
    this.logger.log({ agent_id: id }, 'agent deleted');
  }

  private checkTransition(previous: AgentStatus, next: AgentStatus): void {
    if (previous !== next && !ALLOWED_TRANSITIONS[previous].includes(next)) {
      throw new AgentStatusTransitionError(previous, next);
    }
  }
}
