import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HealthIndicatorDto {
  @ApiProperty({ enum: ['up', 'down', 'degraded'] })
  status!: 'up' | 'down' | 'degraded';

  [extra: string]: unknown;
}

/** The health of the whole service, as /health and /health/details say it. */
export const HEALTH_STATUSES = ['ok', 'error', 'degraded', 'shutting_down'] as const;

export class HealthResponseDto {
  @ApiProperty({ enum: HEALTH_STATUSES, enumName: 'HealthStatus' })
  status!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorDto' } })
  info?: Record<string, HealthIndicatorDto>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorDto' } })
  error?: Record<string, HealthIndicatorDto>;

  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorDto' } })
  details!: Record<string, HealthIndicatorDto>;
}

export class HealthErrorResponseDto extends HealthResponseDto {
  @ApiProperty({ example: 'Unhealthy: database' })
  detail!: string;
}

export class VersionResponseDto {
  @ApiProperty({ example: 'aos' })
  name!: string;

  @ApiProperty({ example: '0.3.0', description: 'Version of this build (package.json)' })
  version!: string;

  @ApiProperty({ example: '1', description: 'Version of the HTTP API contract' })
  api_version!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Git commit of this build, when known' })
  commit!: string | null;
}
