import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { AgentModelsDto, MAX_INSTRUCTIONS_LENGTH } from '../../agents/dto/agent-settings.dto';
import { UsageDto } from '../../agents/dto/agent-response.dto';
import { NoNulCharacters } from '../../common/no-nul.decorator';
import { OptionalField } from '../../common/optional-field.decorator';
import { ReplayMode } from '../../run-record/replay-mode.enum';
import { RunSummaryDto } from './run.dto';

export class ReplayOverridesDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: MAX_INSTRUCTIONS_LENGTH,
    description: 'Instructions to use instead of the original’s (null: none)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_INSTRUCTIONS_LENGTH)
  @NoNulCharacters()
  instructions?: string | null;

  @ApiPropertyOptional({ type: AgentModelsDto, nullable: true, description: 'Models to use instead of the original’s' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AgentModelsDto)
  models?: AgentModelsDto | null;
}

export class ReplayRequestDto {
  @ApiProperty({
    enum: ReplayMode,
    enumName: 'ReplayMode',
    example: ReplayMode.ModelLive,
    description:
      '`recorded`: model answers and tool results served from the original’s record (no network, no model cost, ' +
      'no side effect, no approval wait); `model_live`: the model called for real with `overrides`, tool calls ' +
      'that match the record served from it; `live`: the original’s settings and context, every call made afresh.',
  })
  @IsEnum(ReplayMode, { message: `mode must be one of: ${Object.values(ReplayMode).join(', ')}` })
  mode!: ReplayMode;

  @ApiPropertyOptional({
    type: ReplayOverridesDto,
    description:
      'Changes to the original’s settings for a model-driven run (model_live and live); refused (422) for a ' +
      'recorded replay and for a rule-based run',
  })
  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => ReplayOverridesDto)
  overrides?: ReplayOverridesDto;
}

/** The two kinds of call a run's journal holds. */
export const CALL_KINDS = ['model_call', 'tool_call'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

export class CompareCallDto {
  @ApiProperty({ enum: CALL_KINDS, enumName: 'CallKind' })
  kind!: CallKind;

  @ApiProperty({ description: 'The call’s status' })
  status!: string;

  @ApiPropertyOptional({ description: 'Tool call: the skill' })
  skill?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Tool call: its input' })
  input?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'Tool call' })
  output?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  error?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Model call: the provider that answered' })
  provider?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Model call: the model that answered' })
  model?: string | null;

  @ApiPropertyOptional({ description: 'Model call: the text of its answer' })
  text?: string;

  @ApiPropertyOptional({ type: [String], description: 'Model call: the skills it asked for' })
  tool_calls?: string[];

  @ApiPropertyOptional({ type: 'integer', nullable: true })
  input_tokens?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true })
  output_tokens?: number | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Served from this recorded call' })
  replayed_from!: string | null;
}

export class CompareStepDto {
  @ApiProperty({ type: 'integer' })
  step!: number;

  @ApiProperty({ description: 'Both runs made the same call there with the same result' })
  same!: boolean;

  @ApiProperty({ type: CompareCallDto, nullable: true, description: 'The first run’s call (null: none there)' })
  left!: CompareCallDto | null;

  @ApiProperty({ type: CompareCallDto, nullable: true, description: 'The other run’s call (null: none there)' })
  right!: CompareCallDto | null;
}

export class RunComparisonDto {
  @ApiProperty({ type: RunSummaryDto, description: 'The run in the path' })
  left!: RunSummaryDto;

  @ApiProperty({ type: RunSummaryDto, description: 'The other run' })
  right!: RunSummaryDto;

  @ApiProperty({ description: 'Same status, result and error message' })
  same_result!: boolean;

  @ApiProperty({ type: 'integer', nullable: true, description: 'The first step where they differ (null: none)' })
  first_difference!: number | null;

  @ApiProperty({ type: [CompareStepDto], description: 'Model and tool calls side by side, in step order' })
  steps!: CompareStepDto[];

  @ApiProperty({ type: UsageDto, description: 'right minus left' })
  usage_difference!: UsageDto;
}
