import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { IsBoolean, IsEnum, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
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

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  static from(t: TenantEntity): TenantDto {
    return { id: t.id, slug: t.slug, name: t.name, status: t.status, created_at: new Date(t.createdAt).toISOString() };
  }
}

export class TenantPageDto extends PageOf(TenantDto, 'TenantPageDto') {}
