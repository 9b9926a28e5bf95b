import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AgentsService } from '../agents/agents.service';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { CurrentPrincipal, Principal } from '../common/principal';
import { UuidParam } from '../common/uuid-param';
import { AfterQueryDto, EventPageDto, ListEventsQueryDto } from '../events/dto/event.dto';
import { EventsService } from '../events/events.service';
import { resumePoint, SSE_DESCRIPTION } from '../events/stream-resume';

@ApiTags('events')
@ApiKeyAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'Agent id' })
@Controller('agents/:id/events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly agents: AgentsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The agent’s events, oldest first, after a position',
    description:
      'Pass the page’s next_cursor back as `after` to read on. Events outlive their agent only in the bus ' +
      'and webhooks; here they are read through the agent.',
  })
  @ApiOkResponse({ type: EventPageDto })
  @ApiErrors(404, 410, 422)
  async listEvents(@UuidParam('id') agentId: string, @Query() query: ListEventsQueryDto): Promise<EventPageDto> {
    await this.agents.get(agentId);
    return this.events.page({ agentId }, query);
  }

  @Get('stream')
  @ApiOperation({ summary: 'Stream the agent’s events (Server-Sent Events)', description: SSE_DESCRIPTION })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({
    description: 'An endless text/event-stream of the agent’s events',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(404, 410, 422)
  async streamEvents(
    @UuidParam('id') agentId: string,
    @Query() query: AfterQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const after = resumePoint(query.after, lastEventId);
    await this.agents.get(agentId);
    await this.events.stream(reply, { agentId, after, type: query.type });
  }
}

@ApiTags('events')
@ApiKeyAuth()
@Controller('events')
export class TenantEventsController {
  constructor(private readonly events: EventsService) {}

  @Get('stream')
  @ApiOperation({
    summary: 'Stream every event of the tenant, every agent (Server-Sent Events)',
    description: `The events of every agent of the caller's tenant, deleted agents included, in id order. ${SSE_DESCRIPTION}`,
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({
    description: 'An endless text/event-stream of the tenant’s events',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(410, 422)
  async streamTenantEvents(
    @Query() query: AfterQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const after = resumePoint(query.after, lastEventId);
    await this.events.stream(reply, { tenantId: principal.tenantId, after, type: query.type });
  }
}
