import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
  Res,
  UnprocessableEntityException,
} from '@nestjs/common';
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
import { UuidParam } from '../common/uuid-param';
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
  @ApiOperation({ summary: 'Rename an agent or change its status' })
  @ApiOkResponse({ type: AgentResponseDto })
  @ApiErrors(400, 404, 409, 413, 422)
  updateAgent(@UuidParam('id') id: string, @Body() dto: UpdateAgentDto): Promise<AgentResponseDto> {
    if (dto.name === undefined && dto.status === undefined) {
      const message = 'body must set at least one of: name, status';
      throw new UnprocessableEntityException({
        detail: `Validation failed: ${message}`,
        errors: [{ field: 'body', message }],
      });
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
}
