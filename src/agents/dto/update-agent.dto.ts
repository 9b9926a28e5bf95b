import { OptionalField } from '../../common/optional-field.decorator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEnum, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { AgentStatus } from '../agent-status.enum';
import { AgentSettingsDto } from './agent-settings.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateAgentDto extends AgentSettingsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @OptionalField()
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({
    enum: AgentStatus,
    enumName: 'AgentStatus',
    description: 'Same rules as the pause/resume/stop operations',
  })
  @OptionalField()
  @IsEnum(AgentStatus, { message: `status must be one of: ${Object.values(AgentStatus).join(', ')}` })
  status?: AgentStatus;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100 })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(100)
  max_concurrent_runs?: number;
}
