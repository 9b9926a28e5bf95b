import { ActorDto } from '../../common/actor.dto';
import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common/pagination';
import { ModelCallStatus } from '../model-call-status.enum';
import { ToolCallStatus } from '../tool-call-status.enum';
import { RunStatus } from '../run-status.enum';

export class PlanStepDto {
  @ApiProperty({ example: 'http_call' })
  skill!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  input!: Record<string, unknown>;
}

export class ModelCallDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: 'integer', description: "0 for the run's first model call, 1 for the next …" })
  index!: number;

  @ApiProperty({ type: 'integer', description: 'Position in the run, one numbering shared with tool calls' })
  step!: number;

  @ApiProperty({ enum: ModelCallStatus, enumName: 'ModelCallStatus' })
  status!: ModelCallStatus;

  @ApiProperty({ type: String, nullable: true, example: 'anthropic', description: 'The provider that answered' })
  provider!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'claude-sonnet-5-5' })
  model!: string | null;

  @ApiProperty({ type: 'integer', description: 'Times it was requested (waiting for a model or a crash adds one)' })
  attempts!: number;

  @ApiProperty({ format: 'date-time' })
  started_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completed_at!: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  duration_ms!: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  input_tokens!: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  output_tokens!: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'tool_use', description: "The provider's stop reason" })
  stop_reason!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the call failed (every provider tried), or which providers failed before the one that answered',
  })
  error!: string | null;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    nullable: true,
    description:
      'The response: `{type: "text", text}` and `{type: "tool_use", id, name, input}` blocks, the same for every provider',
  })
  content!: Record<string, unknown>[] | null;

  @ApiProperty({ type: [String], description: 'Ids of the memories recalled into its context' })
  memory_ids!: string[];

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: "A replay's call answered from the original's record: the original model call",
  })
  replayed_from!: string | null;
}

export class ToolCallDto {
  @ApiProperty({ format: 'uuid', description: 'The tool call id (approve or reject it by this id)' })
  id!: string;

  @ApiProperty({
    type: 'integer',
    description: 'Position in the run: the plan step, or after the model call that asked for it',
  })
  step!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Index of the model call that asked for it' })
  model_call_index!: number | null;

  @ApiProperty({ type: String, nullable: true, description: "The provider's tool_use id it answers" })
  tool_use_id!: string | null;

  @ApiProperty({ example: 'http_call' })
  skill_id!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  input!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  output!: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({ enum: ToolCallStatus, enumName: 'ToolCallStatus' })
  status!: ToolCallStatus;

  @ApiProperty({ type: 'integer', description: 'How many times the step was started (a crash or retry adds one)' })
  attempts!: number;

  @ApiProperty({ format: 'date-time' })
  started_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completed_at!: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  duration_ms!: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When it was put to a person' })
  approval_requested_at!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'tainted at step 3 by email_read',
    description: 'Why it was put to a person: the approval policy, or the taint that made it egress',
  })
  approval_requested_reason!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When its approval expires' })
  approval_expires_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it was approved, rejected or expired',
  })
  approval_answered_at!: string | null;

  @ApiProperty({ type: ActorDto, nullable: true, description: 'Who approved it: the actor of the approve call' })
  approved_by!: ActorDto | null;

  @ApiProperty({ type: ActorDto, nullable: true, description: 'Who rejected it: the actor of the reject call' })
  rejected_by!: ActorDto | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The `by` the answer carried: a free note beside the actor',
  })
  answered_by_note!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The reason given with the answer' })
  approval_reason!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: "A replay's call served from the original's record (nothing ran): the original tool call",
  })
  replayed_from!: string | null;
}

/** When outside content first entered a run's context (the run is tainted from then on). */
export class TaintDto {
  @ApiProperty({
    type: 'integer',
    description: 'The step whose result brought it in (0: memories recalled into the context)',
  })
  step!: number;

  @ApiProperty({
    example: 'email_read',
    description: 'The skill that read it, or recalled_memory for an untrusted memory recalled into the context',
  })
  skill!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://example.com',
    description: 'Where it came from: an origin, a mailbox, a memory',
  })
  source!: string | null;
}

/** The `taint` field of a run and of its provenance view, documented once. */
export const TaintProperty = (): PropertyDecorator =>
  ApiProperty({
    type: TaintDto,
    nullable: true,
    description:
      'When outside content (a page, a mail, an untrusted memory) first entered the run; null while it never did. ' +
      'From then on every call that can carry data out waits for a person (approval side_effects)',
  });

export class ProvenanceSummaryDto {
  @ApiProperty({ format: 'uuid', description: 'Equals the run id' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  agent_id!: string;

  @ApiProperty()
  goal!: string;

  @ApiProperty({ type: String, nullable: true, example: 'rule-based@1' })
  planner!: string | null;

  @ApiProperty({ type: [PlanStepDto], nullable: true })
  plan!: PlanStepDto[] | null;

  @ApiProperty({ enum: RunStatus, enumName: 'RunStatus' })
  status!: RunStatus;

  @ApiProperty({ type: String, nullable: true })
  error_message!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completed_at!: string | null;

  @TaintProperty()
  taint!: TaintDto | null;
}

export class ProvenanceDto extends ProvenanceSummaryDto {
  @ApiProperty({ type: [ModelCallDto], description: 'Model calls in order (empty for a rule-based run)' })
  model_calls!: ModelCallDto[];

  @ApiProperty({ type: [ToolCallDto], description: 'Tool calls in step order' })
  tool_calls!: ToolCallDto[];
}

export class ProvenancePageDto extends PageOf(ProvenanceSummaryDto, 'ProvenancePageDto') {}
