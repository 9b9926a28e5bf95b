import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { UuidParam } from '../common/uuid-param';
import { ListRunsQueryDto, RunAcceptedDto, RunDto, RunPageDto, SubmitGoalDto } from './dto/run.dto';
import { RunsService } from './runs.service';

@ApiTags('runs')
@ApiKeyAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'Agent id' })
@Controller('agents/:id')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Post('goals')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Submit a goal: it is stored durably and answered 202 before it runs',
    description:
      'Paused agents accept goals (they wait as pending); stopped agents answer 409. ' +
      'The same Idempotency-Key for the same agent returns the same run instead of a new one.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1-200 printable ASCII characters' })
  @ApiAcceptedResponse({ type: RunAcceptedDto, headers: { Location: { schema: { type: 'string' } } } })
  @ApiErrors(400, 404, 409, 413, 422)
  async submitGoal(
    @UuidParam('id') agentId: string,
    @Body() dto: SubmitGoalDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunAcceptedDto> {
    const { run_id, status } = await this.runs.submit(agentId, dto, idempotencyKey);
    void reply.header('Location', `/agents/${agentId}/runs/${run_id}`);
    return { run_id, status };
  }

  @Get('runs')
  @ApiOperation({ summary: 'List runs, newest first' })
  @ApiOkResponse({ type: RunPageDto })
  @ApiErrors(404, 422)
  listRuns(@UuidParam('id') agentId: string, @Query() query: ListRunsQueryDto): Promise<RunPageDto> {
    return this.runs.list(agentId, query);
  }

  @Get('runs/:run_id')
  @ApiParam({ name: 'run_id', format: 'uuid' })
  @ApiOperation({ summary: 'Get a run: status, plan, tool calls with their outputs' })
  @ApiOkResponse({ type: RunDto })
  @ApiErrors(404, 422)
  getRun(@UuidParam('id') agentId: string, @UuidParam('run_id') runId: string): Promise<RunDto> {
    return this.runs.get(agentId, runId);
  }

  @Post('runs/:run_id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'run_id', format: 'uuid' })
  @ApiOperation({ summary: 'Cancel a pending or running run (a running skill call is aborted)' })
  @ApiOkResponse({ type: RunDto })
  @ApiErrors(404, 409, 422)
  cancelRun(@UuidParam('id') agentId: string, @UuidParam('run_id') runId: string): Promise<RunDto> {
    return this.runs.cancel(agentId, runId);
  }
}
