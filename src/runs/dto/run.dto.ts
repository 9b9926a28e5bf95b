import { ActorDto } from '../../common/actor.dto';
import { OptionalField } from '../../common/optional-field.decorator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { NoNulCharacters } from '../../common/no-nul.decorator';
import { AgentApproval } from '../../agents/agent-approval.enum';
import { PageOf, PageQueryDto } from '../../common/pagination';
import { AgentPlanner } from '../../agents/agent-planner.enum';
import { UsageDto } from '../../agents/dto/agent-response.dto';
import { AgentModelsDto } from '../../agents/dto/agent-settings.dto';
import { ModelCallDto, PlanStepDto, TaintDto, TaintProperty, ToolCallDto } from '../../run-record/dto/provenance.dto';
import { RunStatus } from '../../run-record/run-status.enum';
import { ReplayMode } from '../../run-record/replay-mode.enum';

export const MAX_GOAL_LENGTH = 10_000;

export class SubmitGoalDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_GOAL_LENGTH, example: 'Summarise https://example.com' })
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @Length(1, MAX_GOAL_LENGTH)
  goal!: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 9, default: 5, description: 'Higher runs first' })
  @OptionalField()
  @IsInt()
  @Min(0)
  @Max(9)
  priority?: number;
}

export class RunAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  run_id!: string;

  @ApiProperty({ enum: RunStatus, enumName: 'RunStatus', description: 'pending for a new goal' })
  status!: RunStatus;
}

export class DivergenceDto {
  @ApiProperty({ type: 'integer', description: 'The step where the replay left the record' })
  step!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The recorded call there: {type: tool_call, skill, input} (null: the original made none)',
  })
  expected!: Record<string, unknown> | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'What the replay asked for: {type: tool_call, skill, input} or {type: model_call, index}',
  })
  got!: Record<string, unknown> | null;

  @ApiProperty({ example: 'the original called http_call at step 1, the replay asked for email_send' })
  reason!: string;
}

export class RunSummaryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  agent_id!: string;

  @ApiProperty()
  goal!: string;

  @ApiProperty({ type: ActorDto, nullable: true, description: 'Who submitted the goal' })
  submitted_by!: ActorDto | null;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 9 })
  priority!: number;

  @ApiProperty({ enum: RunStatus, enumName: 'RunStatus' })
  status!: RunStatus;

  @ApiProperty({ type: String, nullable: true })
  error_message!: string | null;

  @ApiProperty({ type: 'integer', description: 'Times a worker started it (crash recovery and retries add one)' })
  attempts!: number;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  started_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completed_at!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "A model-driven run's final answer" })
  result!: string | null;

  @ApiProperty({ type: UsageDto, description: 'Model calls and tokens of this run' })
  usage!: UsageDto;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The run this one replays' })
  replay_of!: string | null;

  @ApiProperty({
    enum: ReplayMode,
    enumName: 'ReplayMode',
    nullable: true,
    description: 'How it replays (null: a goal)',
  })
  replay_mode!: ReplayMode | null;

  @ApiProperty({
    type: DivergenceDto,
    nullable: true,
    description: 'Where a replay asked for another call than its original recorded (it stopped failed there)',
  })
  divergence!: DivergenceDto | null;

  @TaintProperty()
  taint!: TaintDto | null;
}

export class RunSettingsDto {
  @ApiProperty({ enum: AgentPlanner, enumName: 'AgentPlanner' })
  planner!: AgentPlanner;

  @ApiProperty({ type: String, nullable: true })
  instructions!: string | null;

  @ApiProperty({ type: AgentModelsDto, nullable: true })
  models!: AgentModelsDto | null;

  @ApiProperty({ type: [String], nullable: true, description: 'Skill allow-list; null: every skill' })
  skills!: string[] | null;

  @ApiProperty({ type: 'integer' })
  max_steps!: number;

  @ApiPropertyOptional({
    enum: AgentApproval,
    enumName: 'AgentApproval',
    description: 'Which tool calls wait for a person (absent: the run started before approvals existed)',
  })
  approval?: AgentApproval;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    description: 'Origins http_call may reach; null: any public origin (absent: from before egress lists)',
  })
  egress?: string[] | null;

  @ApiPropertyOptional({ type: [String], description: "Origins trusted with the run's data" })
  egress_trusted?: string[];

  @ApiPropertyOptional({ description: 'Whether tool results are kept as memories' })
  remember_tool_results?: boolean;
}

export class PendingApprovalDto {
  @ApiProperty({ format: 'uuid', description: 'Answer it with POST …/approve or …/reject {tool_call_id}' })
  tool_call_id!: string;

  @ApiProperty({ type: 'integer' })
  step!: number;

  @ApiProperty({ example: 'email_send' })
  skill!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What the call would do' })
  input!: Record<string, unknown>;

  @ApiProperty({
    example: 'tainted at step 3 by email_read',
    description: 'Why it needs a person: the approval policy, or the taint that made the call egress',
  })
  reason!: string;

  @ApiProperty({ format: 'date-time' })
  requested_at!: string;

  @ApiProperty({ format: 'date-time', description: 'Unanswered by then, the run is cancelled (AOS_APPROVAL_TTL_MS)' })
  expires_at!: string;
}

export class ApprovalAnswerDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The call to answer; omitted: every call the run waits on' })
  @OptionalField()
  @IsUUID('all', { message: 'tool_call_id must be a UUID' })
  tool_call_id?: string;

  @ApiPropertyOptional({ maxLength: 2000, description: 'Why (a rejection’s reason reaches the model)' })
  @OptionalField()
  @IsString()
  @Length(1, 2000)
  @NoNulCharacters()
  reason?: string;

  @ApiPropertyOptional({
    maxLength: 200,
    description:
      'A free note of who answers, recorded as answered_by_note beside the actor (approved_by / rejected_by)',
  })
  @OptionalField()
  @IsString()
  @Length(1, 200)
  @NoNulCharacters()
  by?: string;
}

export class RunDto extends RunSummaryDto {
  @ApiProperty({
    type: RunSettingsDto,
    nullable: true,
    description: "The agent's settings as they were when the run first started (null until then)",
  })
  settings!: RunSettingsDto | null;

  @ApiProperty({ type: String, nullable: true, example: 'rule-based@1', description: 'Which planner made the plan' })
  planner!: string | null;

  @ApiProperty({
    type: [PlanStepDto],
    nullable: true,
    description: 'A rule-based run’s plan; null until planned, and for model-driven runs',
  })
  plan!: PlanStepDto[] | null;

  @ApiProperty({ type: [ModelCallDto], description: 'Model calls in order (model-driven runs)' })
  model_calls!: ModelCallDto[];

  @ApiProperty({ type: [ToolCallDto], description: 'Tool calls in step order' })
  tool_calls!: ToolCallDto[];

  @ApiProperty({
    type: [PendingApprovalDto],
    description: 'The calls this run waits on a person for (empty unless waiting_approval)',
  })
  pending_approvals!: PendingApprovalDto[];
}

export class RunPageDto extends PageOf(RunSummaryDto, 'RunPageDto') {}

export class ListRunsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: RunStatus, enumName: 'RunStatus' })
  @IsOptional()
  @IsIn(Object.values(RunStatus), { message: `status must be one of: ${Object.values(RunStatus).join(', ')}` })
  status?: RunStatus;
}

export const MAX_WAIT_S = 60;

export class GetRunQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_WAIT_S,
    description:
      'Long-poll: answer as soon as the run is finished (or waiting for approval), or after this many seconds ' +
      'with the run as it is then',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @IsInt({ message: 'wait must be a whole number of seconds' })
  @Min(0)
  @Max(MAX_WAIT_S)
  wait?: number;
}
