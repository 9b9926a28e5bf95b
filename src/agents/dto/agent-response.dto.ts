import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common/pagination';
import { AgentStatus } from '../agent-status.enum';
import type { AgentEntity } from '../agent.entity';

export class AgentResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'research-assistant' })
  name!: string;

  @ApiProperty({ enum: AgentStatus, enumName: 'AgentStatus' })
  status!: AgentStatus;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 })
  max_concurrent_runs!: number;

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
      created_at: agent.createdAt.toISOString(),
      updated_at: agent.updatedAt.toISOString(),
    };
  }
}

export class AgentPageDto extends PageOf(AgentResponseDto, 'AgentPageDto') {}
