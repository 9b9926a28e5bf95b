import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ValidateBy, ValidateNested } from 'class-validator';
import {
  IsBoolean,
  IsEnum,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ON_TOKEN_LIMIT, type OnTokenLimit, type TenantLimits } from '../../limits/tenant-limits';
import { NoNulCharacters } from '../../common/no-nul.decorator';
import { PageOf } from '../../common/pagination';
import { TenantStatus } from '../tenant-status.enum';
import { TENANT_SLUG, type TenantEntity } from '../tenant.entity';

/** How the routes document `{tenant_id}`. */
export const TENANT_PARAM = { name: 'tenant_id', description: 'The tenant’s id or slug' };

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function NotMatches(pattern: RegExp, options: { message: string }): PropertyDecorator {
  return ValidateBy({
    name: 'notMatches',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !pattern.test(value),
      defaultMessage: () => options.message,
    },
  });
}

export class CreateTenantDto {
  @ApiProperty({
    pattern: TENANT_SLUG.source,
    example: 'acme',
    description: 'Unique; what X-AOS-Tenant may name it by',
  })
  @IsString()
  @Matches(TENANT_SLUG, { message: 'slug must be 1 to 40 characters of a-z, 0-9 and -' })
  // A slug shaped like a UUID could not be told from an id where either names a tenant.
  @NotMatches(UUID_SHAPE, { message: 'slug must not look like a UUID (ids and slugs share X-AOS-Tenant)' })
  slug!: string;

  @ApiProperty({ maxLength: 200, example: 'Acme Corp' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNulCharacters()
  name!: string;
}

const MAX_COUNT = 1_000_000;

/** A tenant's limits; in a change, a field set to null removes that limit. */
export class TenantLimitsDto implements TenantLimits {
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    maximum: MAX_COUNT,
    description: 'Agents at once; creating one more → 409',
  })
  @IsOptional()
  @IsInt({ message: 'limits.agents must be an integer' })
  @Min(0)
  @Max(MAX_COUNT)
  agents?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    maximum: MAX_COUNT,
    description: 'Runs running at once over every instance; more wait as pending',
  })
  @IsOptional()
  @IsInt({ message: 'limits.runs_in_flight must be an integer' })
  @Min(0)
  @Max(MAX_COUNT)
  runs_in_flight?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    description: 'Model tokens (input + output) per UTC day over all runs, checked before each model call',
  })
  @IsOptional()
  @IsInt({ message: 'limits.model_tokens_per_day must be an integer' })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  model_tokens_per_day?: number | null;

  @ApiPropertyOptional({
    // null among the values: a nullable enum must list it (strict clients check the values).
    enum: [...ON_TOKEN_LIMIT, null],
    nullable: true,
    default: 'wait',
    description: 'Over the daily tokens: `wait` (pending until the next UTC day or a raised limit) or `fail`',
  })
  @IsOptional()
  @IsIn(ON_TOKEN_LIMIT, { message: `limits.on_token_limit must be one of: ${ON_TOKEN_LIMIT.join(', ')}` })
  on_token_limit?: OnTokenLimit | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: MAX_COUNT,
    description: 'Requests per minute per credential (a key and its tokens count as one) → 429 with Retry-After',
  })
  @IsOptional()
  @IsInt({ message: 'limits.requests_per_minute must be an integer' })
  @Min(1)
  @Max(MAX_COUNT)
  requests_per_minute?: number | null;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNulCharacters()
  name?: string;

  @ApiPropertyOptional({
    enum: TenantStatus,
    enumName: 'TenantStatus',
    description: "`suspended`: the tenant's keys are refused; its data stays",
  })
  @IsOptional()
  @IsEnum(TenantStatus, { message: `status must be one of: ${Object.values(TenantStatus).join(', ')}` })
  status?: TenantStatus;

  @ApiPropertyOptional({ type: TenantLimitsDto, description: 'Fields given replace, null removes one, absent keep' })
  @IsOptional()
  @IsObject({ message: 'limits must be an object' })
  @ValidateNested()
  @Type(() => TenantLimitsDto)
  limits?: TenantLimitsDto;
}

export class DeleteTenantQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'Also delete its agents (their runs cancelled, data deleted) and keys',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'cascade must be true or false' })
  cascade?: boolean;
}

export class TenantDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ pattern: TENANT_SLUG.source })
  slug!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: TenantStatus, enumName: 'TenantStatus' })
  status!: TenantStatus;

  @ApiProperty({ type: TenantLimitsDto, description: 'Only the limits set; an absent one is no limit' })
  limits!: TenantLimitsDto;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  static from(t: TenantEntity): TenantDto {
    return {
      id: t.id,
      slug: t.slug,
      name: t.name,
      status: t.status,
      limits: t.limits ?? {},
      created_at: new Date(t.createdAt).toISOString(),
    };
  }
}

export class TenantPageDto extends PageOf(TenantDto, 'TenantPageDto') {}
