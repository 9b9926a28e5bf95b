import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common/pagination';
import { ToolCallStatus } from '../tool-call-status.enum';
import { RunStatus } from '../run-status.enum';

export class PlanStepDto {
  @ApiProperty({ example: 'http_call' })
  skill!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  input!: Record<string, unknown>;
}

export class ToolCallDto {
  @ApiProperty({ type: 'integer', description: 'Index of the plan step (0-based)' })
  step!: number;

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
}

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
}

export class ProvenanceDto extends ProvenanceSummaryDto {
  @ApiProperty({ type: [ToolCallDto] })
  tool_calls!: ToolCallDto[];
}

export class ProvenancePageDto extends PageOf(ProvenanceSummaryDto, 'ProvenancePageDto') {}
