import { ActorDto } from '../../common/actor.dto';
import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common/pagination';
import { AgentApproval } from '../agent-approval.enum';
import { AgentPlanner } from '../agent-planner.enum';
import { AgentStatus } from '../agent-status.enum';
import type { AgentEntity } from '../agent.entity';
import { AgentModelsDto } from './agent-settings.dto';

export class UsageDto {
  @ApiProperty({ type: 'integer', description: 'Model calls made' })
  model_calls!: number;

  @ApiProperty({ type: 'integer' })
  input_tokens!: number;

  @ApiProperty({ type: 'integer' })
  output_tokens!: number;
}

export class AgentResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'research-assistant' })
  name!: string;

  @ApiProperty({ enum: AgentStatus, enumName: 'AgentStatus' })
  status!: AgentStatus;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 })
  max_concurrent_runs!: number;

  @ApiProperty({ enum: AgentPlanner, enumName: 'AgentPlanner' })
  planner!: AgentPlanner;

  @ApiProperty({ type: String, nullable: true, description: 'System prompt of its model-driven runs' })
  instructions!: string | null;

  @ApiProperty({ type: AgentModelsDto, nullable: true, description: 'Per-provider model overrides' })
  models!: AgentModelsDto | null;

  @ApiProperty({
    type: [String],
    nullable: true,
    description: 'Skill allow-list; null allows every skill, including skills added later',
  })
  skills!: string[] | null;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100, description: 'Model calls per run' })
  max_steps!: number;

  @ApiProperty({ enum: AgentApproval, enumName: 'AgentApproval', description: 'Which tool calls wait for a person' })
  approval!: AgentApproval;

  @ApiProperty({
    type: [String],
    nullable: true,
    description: 'Origins http_call may reach; null: any public origin',
  })
  egress!: string[] | null;

  @ApiProperty({ type: [String], description: "Origins trusted with the run's data (no egress for the taint rule)" })
  egress_trusted!: string[];

  @ApiProperty({ description: 'Whether tool results are kept as skill_result memories' })
  remember_tool_results!: boolean;

  @ApiProperty({ type: UsageDto, description: 'Model usage of all its runs to date' })
  usage!: UsageDto;

  @ApiProperty({ type: ActorDto, nullable: true, description: 'Who created it' })
  created_by!: ActorDto | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  static from(agent: AgentEntity): AgentResponseDto {
    return {
      id: agent.id,
      name: agent.name,
      status: agent.status,
      max_concurrent_runs: agent.maxConcurrentRuns,
      planner: agent.planner,
      instructions: agent.instructions,
      models: agent.models,
      skills: agent.skills,
      max_steps: agent.maxSteps,
      approval: agent.approval,
      egress: agent.egress,
      egress_trusted: agent.egressTrusted,
      remember_tool_results: agent.rememberToolResults,
      usage: {
        model_calls: Number(agent.modelCalls),
        input_tokens: Number(agent.inputTokens),
        output_tokens: Number(agent.outputTokens),
      },
      created_by: agent.createdBy,
      created_at: agent.createdAt.toISOString(),
      updated_at: agent.updatedAt.toISOString(),
    };
  }
}

export class AgentPageDto extends PageOf(AgentResponseDto, 'AgentPageDto') {}
