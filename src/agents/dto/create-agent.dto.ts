import { NoNulCharacters } from '../../common/no-nul.decorator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateAgentDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'research-assistant' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  @NoNulCharacters()
  name!: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 100,
    default: 1,
    description: 'How many of its runs may execute at once; 1 runs its goals one by one',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  max_concurrent_runs?: number;
}
