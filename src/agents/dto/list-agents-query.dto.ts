import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { AgentStatus } from '../agent-status.enum';

export class ListAgentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: AgentStatus, enumName: 'AgentStatus' })
  @IsOptional()
  @IsEnum(AgentStatus, { message: `status must be one of: ${Object.values(AgentStatus).join(', ')}` })
  status?: AgentStatus;
}
