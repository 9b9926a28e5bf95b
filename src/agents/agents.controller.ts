import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { InvalidInputError } from '../common/domain-error';
import { UuidParam } from '../common/uuid-param';
import { AgentStatus } from './agent-status.enum';
import { AgentsService } from './agents.service';
import { AgentPageDto, AgentResponseDto } from './dto/agent-response.dto';
import { CreateAgentDto } from './dto/create-agent.dto';
import { ListAgentsQueryDto } from './dto/list-agents-query.dto';
import { UpdateAgentDto } from './dto/update-agent.dto';

@ApiTags('agents')
@ApiKeyAuth()
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post()
  @ApiOperation({ summary: 'Create an agent' })
  @ApiCreatedResponse({ type: AgentResponseDto })
  @ApiErrors(400, 413, 422)
  async createAgent(
    @Body() dto: CreateAgentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AgentResponseDto> {
    const agent = await this.agents.create(dto);
    void reply.header('Location', `/agents/${agent.id}`);
    return agent;
  }

  @Get()
  @ApiOperation({ summary: 'List agents, newest first' })
  @ApiOkResponse({ type: AgentPageDto })
  @ApiErrors(422)
  listAgents(@Query() query: ListAgentsQueryDto): Promise<AgentPageDto> {
    return this.agents.list(query);
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Get an agent' })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(404, 422)
  getAgent(@UuidParam('id') id: string): Promise<AgentResponseDto> {
    return this.agents.get(id);
  }

  @Patch(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary:
      'Change an agent: name, status (same rules as pause/resume/stop), concurrency, or the settings of its runs',
    description: 'Runs already started keep the settings they started with (their `settings` snapshot).',
  })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(400, 404, 409, 413, 422)
  updateAgent(@UuidParam('id') id: string, @Body() dto: UpdateAgentDto): Promise<AgentResponseDto> {
    if (Object.values(dto).every((value) => value === undefined)) {
      throw new InvalidInputError(
        'body',
        'body must set at least one of: name, status, max_concurrent_runs, planner, instructions, models, skills, max_steps',
      );
    }
    return this.agents.update(id, dto);
  }

  @Delete(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an agent with its runs, memories and provenance' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 422)
  deleteAgent(@UuidParam('id') id: string): Promise<void> {
    return this.agents.remove(id);
  }

  @Post(':id/pause')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Pause: goals are still accepted and wait as pending; a running run finishes' })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(404, 409, 422)
  pauseAgent(@UuidParam('id') id: string): Promise<AgentResponseDto> {
    return this.agents.changeStatus(id, AgentStatus.Paused);
  }

  @Post(':id/resume')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Resume a paused or stopped agent: it becomes active and its pending runs start' })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(404, 422)
  resumeAgent(@UuidParam('id') id: string): Promise<AgentResponseDto> {
    return this.agents.changeStatus(id, AgentStatus.Active);
  }

  @Post(':id/stop')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Stop: cancels the running run (its skill call is aborted) and every pending one; new goals get 409',
  })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(404, 422)
  stopAgent(@UuidParam('id') id: string): Promise<AgentResponseDto> {
    return this.agents.changeStatus(id, AgentStatus.Stopped);
  }
}
