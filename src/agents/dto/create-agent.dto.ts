import { OptionalField } from '../../common/optional-field.decorator';
import { AgentSettingsDto } from './agent-settings.dto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateAgentDto extends AgentSettingsDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'research-assistant' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: 1,
    description: 'How many of its runs may execute at once; 1 runs its goals one by one',
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(100)
  max_concurrent_runs?: number;
}
