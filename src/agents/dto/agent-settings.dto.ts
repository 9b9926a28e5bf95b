import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEnum,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { OptionalField } from '../../common/optional-field.decorator';
import { IsOriginList, toCanonicalOrigins } from '../../common/origin';
import { AgentApproval } from '../agent-approval.enum';
import { AgentPlanner } from '../agent-planner.enum';

export const MAX_INSTRUCTIONS_LENGTH = 20_000;
export const MAX_STEPS_LIMIT = 100;
export const MAX_EGRESS_ORIGINS = 100;
const MODEL_NAME = /^[\w.:/@-]{1,200}$/;

/** Per-provider model overrides. A name means nothing to the other provider, so each has its own. */
export class AgentModelsDto {
  @ApiPropertyOptional({ example: 'claude-sonnet-5-5', description: 'Anthropic model for this agent' })
  @OptionalField()
  @IsString()
  @Matches(MODEL_NAME, { message: 'models.anthropic must be a model name' })
  anthropic?: string;

  @ApiPropertyOptional({ example: 'gpt-5.5', description: 'OpenAI (or OpenAI-compatible) model for this agent' })
  @OptionalField()
  @IsString()
  @Matches(MODEL_NAME, { message: 'models.openai must be a model name' })
  openai?: string;
}

/** The settings of an agent's runs, shared by create and update. */
export class AgentSettingsDto {
  @ApiPropertyOptional({
    enum: AgentPlanner,
    enumName: 'AgentPlanner',
    description:
      'How goals are planned: `llm` (the model-driven agent loop) or `rule-based`. When omitted at creation: ' +
      '`llm` if a model provider is configured, else `rule-based`; the choice is stored.',
  })
  @OptionalField()
  @IsEnum(AgentPlanner, { message: `planner must be one of: ${Object.values(AgentPlanner).join(', ')}` })
  planner?: AgentPlanner;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: MAX_INSTRUCTIONS_LENGTH,
    description: 'System prompt of its model-driven runs; null clears it',
    example: 'You research topics on the web and answer in three sentences.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_INSTRUCTIONS_LENGTH)
  instructions?: string | null;

  @ApiPropertyOptional({
    type: AgentModelsDto,
    nullable: true,
    description: 'Per-provider model overrides; omitted providers use the configured default; null clears them',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AgentModelsDto)
  models?: AgentModelsDto | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: 50,
    uniqueItems: true,
    description:
      'Allow-list of skill ids the agent may use (see GET /skills); an unknown id is refused. ' +
      'null (the default) allows every skill, including skills added later.',
    example: ['http_call', 'memory_write', 'memory_recall'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  skills?: string[] | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_STEPS_LIMIT,
    description: 'Model calls a run may make (20 for an agent created without it); a run that needs more ends partial',
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(MAX_STEPS_LIMIT)
  max_steps?: number;

  @ApiPropertyOptional({
    enum: AgentApproval,
    enumName: 'AgentApproval',
    description:
      'Which tool calls wait for a person (POST …/runs/{run_id}/approve or reject): none; side_effects — every call ' +
      'that changes something outside AOS (email_send, calendar_create_event, http_call other than GET) and, once ' +
      'outside content has entered the run (it is tainted), every call that can carry data out (any http_call, ' +
      'email_send, calendar_create_event); always. side_effects for a new agent',
  })
  @OptionalField()
  @IsEnum(AgentApproval, { message: `approval must be one of: ${Object.values(AgentApproval).join(', ')}` })
  approval?: AgentApproval;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', format: 'uri' },
    nullable: true,
    maxItems: MAX_EGRESS_ORIGINS,
    uniqueItems: true,
    description:
      'Origins http_call may reach (`https://host[:port]`, redirects included); a call elsewhere is refused with ' +
      'an error the model reads. null (the default): any public origin',
    example: ['https://api.example.com'],
  })
  @IsOptional()
  @Transform(toCanonicalOrigins)
  @IsArray()
  @ArrayMaxSize(MAX_EGRESS_ORIGINS)
  @ArrayUnique()
  @IsOriginList()
  egress?: string[] | null;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', format: 'uri' },
    maxItems: MAX_EGRESS_ORIGINS,
    uniqueItems: true,
    description:
      "Origins trusted with the run's data (the company's own API): an http_call there does not count as egress " +
      'for the taint rule (no approval for a GET after taint). Default: none',
    example: ['https://intranet.example.com'],
  })
  @OptionalField()
  @Transform(toCanonicalOrigins)
  @IsArray()
  @ArrayMaxSize(MAX_EGRESS_ORIGINS)
  @ArrayUnique()
  @IsOriginList()
  egress_trusted?: string[];

  @ApiPropertyOptional({
    description:
      'Whether what a tool call brings back (a page, a mail) is kept as a skill_result memory (true for a new agent)',
  })
  @OptionalField()
  @IsBoolean()
  remember_tool_results?: boolean;
}
