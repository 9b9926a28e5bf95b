import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class TenantUsageQueryDto {
  @ApiPropertyOptional({
    format: 'date',
    description: 'First UTC day (default: 29 days before `to`: 30 days in all)',
    example: '2026-12-01',
  })
  @IsOptional()
  @Matches(DAY, { message: 'from must be a day as YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({
    format: 'date',
    description: 'Last UTC day, included (default: today)',
    example: '2026-12-08',
  })
  @IsOptional()
  @Matches(DAY, { message: 'to must be a day as YYYY-MM-DD' })
  to?: string;
}

export class ModelUsageDto {
  @ApiProperty({ example: 'anthropic' })
  provider!: string;

  @ApiProperty()
  model!: string;

  @ApiProperty({ type: 'integer' })
  calls!: number;

  @ApiProperty({ type: 'integer' })
  input_tokens!: number;

  @ApiProperty({ type: 'integer' })
  output_tokens!: number;
}

export class TenantUsageDayDto {
  @ApiProperty({ format: 'date' })
  day!: string;

  @ApiProperty({ type: 'integer', description: 'Input and output tokens of every model call that day' })
  model_tokens!: number;

  @ApiProperty({ type: [ModelUsageDto], description: 'Model calls and tokens by provider and model' })
  models!: ModelUsageDto[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Runs created that day, by their status now',
    example: { completed: 12, failed: 1 },
  })
  runs!: Record<string, number>;
}

export class TenantUsageDto {
  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;

  @ApiProperty({ format: 'date' })
  from!: string;

  @ApiProperty({ format: 'date' })
  to!: string;

  @ApiProperty({ type: [TenantUsageDayDto], description: 'Only days with model calls or runs, oldest first' })
  days!: TenantUsageDayDto[];
}
