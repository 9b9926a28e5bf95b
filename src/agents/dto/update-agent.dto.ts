import { NoNulCharacters } from '../../common/no-nul.decorator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { AgentStatus } from '../agent-status.enum';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateAgentDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  @NoNulCharacters()
  name?: string;

  @ApiPropertyOptional({
    enum: AgentStatus,
    enumName: 'AgentStatus',
    description: 'Same rules as the pause/resume/stop operations',
  })
  @IsOptional()
  @IsEnum(AgentStatus, { message: `status must be one of: ${Object.values(AgentStatus).join(', ')}` })
  status?: AgentStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  max_concurrent_runs?: number;
}
