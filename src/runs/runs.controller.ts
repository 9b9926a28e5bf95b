import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { keepOpen } from '../common/keep-open';
import { UuidParam } from '../common/uuid-param';
import { AfterQueryDto } from '../events/dto/event.dto';
import { RUN_TERMINAL_EVENTS } from '../events/event-types';
import { resumePoint, SSE_DESCRIPTION } from '../events/stream-resume';
import { EventsService } from '../events/events.service';
import {
  GetRunQueryDto,
  ListRunsQueryDto,
  RunAcceptedDto,
  RunDto,
  RunPageDto,
  SubmitGoalDto,
  ApprovalAnswerDto,
} from './dto/run.dto';
import { isTerminal } from '../run-record/run-transitions';
import { RunsService } from './runs.service';
import { ReplaysService } from './replay/replays.service';
import { ReplayRequestDto, RunComparisonDto } from './dto/replay.dto';

@ApiTags('runs')
@ApiKeyAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'Agent id' })
@Controller('agents/:id')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly replays: ReplaysService,
    private readonly events: EventsService,
  ) {}

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
  @ApiOperation({
    summary: 'List runs, newest first',
    description: 'Run summaries, keyset-paginated; filter by status.',
  })
  @ApiOkResponse({ type: RunPageDto })
  @ApiErrors(404, 422)
  listRuns(@UuidParam('id') agentId: string, @Query() query: ListRunsQueryDto): Promise<RunPageDto> {
    return this.runs.list(agentId, query);
  }

  @Get('runs/:run_id')
  @ApiParam({ name: 'run_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Get a run: status, result, usage, settings, plan, model calls and tool calls',
    description:
      'With `?wait=N` (at most 60 s) it answers when the run is finished or waiting for approval, or after N s.',
  })
  @ApiOkResponse({ type: RunDto })
  @ApiErrors(404, 422)
  getRun(
    @UuidParam('id') agentId: string,
    @UuidParam('run_id') runId: string,
    @Query() query: GetRunQueryDto,
    @Req() request: FastifyRequest,
  ): Promise<RunDto> {
    if (!query.wait) return this.runs.get(agentId, runId);
    // A long-poll is bounded by its own wait (at most 60 s), not by AOS_IDLE_TIMEOUT_MS.
    keepOpen(request.raw);
    return this.runs.waitFor(agentId, runId, query.wait * 1000);
  }

  @Get('runs/:run_id/events/stream')
  @ApiParam({ name: 'run_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Stream one run’s events (Server-Sent Events); it ends after the run’s last event',
    description: `${SSE_DESCRIPTION} The stream ends after the run's terminal event (at once for a finished run).`,
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({
    description: 'A text/event-stream of the run’s events, ending after its terminal event',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(404, 410, 422)
  async streamRunEvents(
    @UuidParam('id') agentId: string,
    @UuidParam('run_id') runId: string,
    @Query() query: AfterQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const after = resumePoint(query.after, lastEventId);
    const run = await this.runs.summary(agentId, runId);
    await this.events.stream(reply, {
      agentId,
      runId,
      after,
      type: query.type,
      endAfter: (event) => event.run_id === runId && RUN_TERMINAL_EVENTS.has(event.type),
      finished: isTerminal(run.status),
    });
  }

  @Post('runs/:run_id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'run_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Cancel a pending, running or waiting run (a running skill call is aborted)',
    description: '409 when the run already finished. Calls waiting for approval are closed with it.',
  })
  @ApiOkResponse({ type: RunDto })
  @ApiErrors(404, 409, 422)
  cancelRun(@UuidParam('id') agentId: string, @UuidParam('run_id') runId: string): Promise<RunDto> {
    return this.runs.cancel(agentId, runId);
  }

  @Post('runs/:run_id/approve')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'run_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Approve a call the run waits on (or all of them)',
    description:
      'The approved calls run when the run is picked up again; once no call waits, it goes back to the queue. ' +
      '`by` is recorded as approved_by. 409 when the run (or the call) is not waiting for approval.',
  })
  @ApiOkResponse({ type: RunDto })
  @ApiErrors(400, 404, 409, 413, 422)
  approveRun(
    @UuidParam('id') agentId: string,
    @UuidParam('run_id') runId: string,
    @Body() dto: ApprovalAnswerDto,
  ): Promise<RunDto> {
    return this.runs.answer(agentId, runId, dto, true);
  }

  @Post('runs/:run_id/reject')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'run_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Reject a call the run waits on (or all of them)',
    description:
      'A rejected call never runs: a model-driven run reads the refusal and the reason and goes on; a planned step ' +
      'fails. `by` is recorded as rejected_by. 409 when the run (or the call) is not waiting for approval.',
  })
  @ApiOkResponse({ type: RunDto })
  @ApiErrors(400, 404, 409, 413, 422)
  rejectRun(
    @UuidParam('id') agentId: string,
    @UuidParam('run_id') runId: string,
    @Body() dto: ApprovalAnswerDto,
  ): Promise<RunDto> {
    return this.runs.answer(agentId, runId, dto, false);
  }

  @Post('runs/:run_id/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiParam({ name: 'run_id', format: 'uuid', description: 'The finished run to replay' })
  @ApiOperation({
    summary: 'Replay a finished run: a new run (replay_of) from its settings snapshot and recalled memories',
    description:
      'The new run is listed, streamed and recorded like any run. Where it asks for another call than the ' +
      'original recorded (another skill, other input, more steps), it stops `failed` with a `divergence`. ' +
      '409 when the run is not finished or never started, or the agent is stopped; 422 for overrides on a ' +
      'recorded replay or a rule-based run.',
  })
  @ApiAcceptedResponse({ type: RunAcceptedDto, headers: { Location: { schema: { type: 'string' } } } })
  @ApiErrors(400, 404, 409, 413, 422)
  async replayRun(
    @UuidParam('id') agentId: string,
    @UuidParam('run_id') runId: string,
    @Body() dto: ReplayRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunAcceptedDto> {
    const accepted = await this.replays.replay(agentId, runId, dto);
    void reply.header('Location', `/agents/${agentId}/runs/${accepted.run_id}`);
    return accepted;
  }

  @Get('runs/:run_id/compare/:other_run_id')
  @ApiParam({ name: 'run_id', format: 'uuid' })
  @ApiParam({ name: 'other_run_id', format: 'uuid' })
  @ApiOperation({
    summary: 'Two runs of the agent side by side: steps, calls, results, usage, and where they first differ',
    description: 'Typically a replay and its original. Calls are paired by step; `same` says whether a pair matches.',
  })
  @ApiOkResponse({ type: RunComparisonDto })
  @ApiErrors(404, 422)
  compareRuns(
    @UuidParam('id') agentId: string,
    @UuidParam('run_id') runId: string,
    @UuidParam('other_run_id') otherRunId: string,
  ): Promise<RunComparisonDto> {
    return this.replays.compare(agentId, runId, otherRunId);
  }
}
