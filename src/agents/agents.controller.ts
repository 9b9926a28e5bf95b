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
import { CurrentPrincipal, Principal } from '../common/principal';
import { allows, Scope } from '../common/scopes';
import { assertSomeField } from '../common/validation';
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
  @ApiOperation({
    summary: 'Create an agent',
    description:
      'An agent with its name and the settings of its runs (planner, instructions, models, skills, approval, egress lists). Answers 201 with the agent and a Location header. Its policy fields (approval, skills, egress, egress_trusted, remember_tool_results) other than the defaults need the `admin` scope.',
  })
  @ApiCreatedResponse({ type: AgentResponseDto })
  @ApiErrors(400, 413, 422)
  async createAgent(
    @Body() dto: CreateAgentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AgentResponseDto> {
    const agent = await this.agents.create(dto, allows(principal.scopes, Scope.Admin));
    void reply.header('Location', `/agents/${agent.id}`);
    return agent;
  }

  @Get()
  @ApiOperation({
    summary: 'List agents, newest first',
    description: 'Keyset-paginated: pass next_cursor back as cursor. Filter by status.',
  })
  @ApiOkResponse({ type: AgentPageDto })
  @ApiErrors(422)
  listAgents(@Query() query: ListAgentsQueryDto): Promise<AgentPageDto> {
    return this.agents.list(query);
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Get an agent',
    description: "The agent's settings, status and model usage to date.",
  })
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
    description:
      'Runs already started keep the settings they started with (their `settings` snapshot). Changing a policy field (approval, skills, egress, egress_trusted, remember_tool_results) needs the `admin` scope.',
  })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(400, 404, 409, 413, 422)
  updateAgent(
    @UuidParam('id') id: string,
    @Body() dto: UpdateAgentDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AgentResponseDto> {
    assertSomeField(dto);
    return this.agents.update(id, dto, allows(principal.scopes, Scope.Admin));
  }

  @Delete(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete an agent with its runs, memories and provenance',
    description:
      'Its runs are cancelled first (a running skill call is aborted); its events stay until retention removes them, so agent.deleted still reaches NATS and webhooks.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404, 422)
  deleteAgent(@UuidParam('id') id: string): Promise<void> {
    return this.agents.remove(id);
  }

  @Post(':id/pause')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Pause: goals are still accepted and wait as pending; a running run finishes',
    description: 'The same as PATCH status: paused. Emits agent.paused.',
  })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(404, 409, 422)
  pauseAgent(@UuidParam('id') id: string): Promise<AgentResponseDto> {
    return this.agents.changeStatus(id, AgentStatus.Paused);
  }

  @Post(':id/resume')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Resume a paused or stopped agent: it becomes active and its pending runs start',
    description: 'The same as PATCH status: active. Emits agent.resumed.',
  })
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
    description: 'The same as PATCH status: stopped. Emits agent.stopped; resume makes it active again.',
  })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(404, 422)
  stopAgent(@UuidParam('id') id: string): Promise<AgentResponseDto> {
    return this.agents.changeStatus(id, AgentStatus.Stopped);
  }
}
