import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { ActorDto } from '../../../common/actor.dto';
import { DateTimeField } from '../../../common/date-time';
import { NoNulCharacters } from '../../../common/no-nul.decorator';
import { PageOf } from '../../../common/pagination';
import { KEY_SCOPES, Scope } from '../../../common/scopes';
import type { ApiKeyEntity } from '../api-key.entity';

export class CreateKeyDto {
  @ApiProperty({ maxLength: 200, example: 'dashboard' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoNulCharacters()
  name!: string;

  @ApiProperty({
    type: [String],
    enum: KEY_SCOPES,
    enumName: 'KeyScope',
    example: ['read'],
    description:
      '`read`; `write` (agents, goals, memory, approvals, replays); `admin` (keys, connections, webhooks, policy fields)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @IsIn(KEY_SCOPES, { each: true, message: `each scope must be one of: ${KEY_SCOPES.join(', ')}` })
  scopes!: Scope[];

  @DateTimeField('When it stops working (in the future); none: never', '2030-01-01T00:00:00Z')
  expires_at?: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ description: 'The visible part of the key: `aos_<prefix>_…`' })
  prefix!: string;

  @ApiProperty({ type: [String], enum: KEY_SCOPES, enumName: 'KeyScope' })
  scopes!: Scope[];

  @ApiProperty({ type: ActorDto, description: 'Who minted it' })
  created_by!: ActorDto;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Written in batches: up to a few seconds behind',
  })
  last_used_at!: string | null;

  static from(k: ApiKeyEntity): ApiKeyDto {
    return {
      id: k.id,
      tenant_id: k.tenantId,
      name: k.name,
      prefix: k.prefix,
      scopes: k.scopes,
      created_by: k.createdBy,
      created_at: new Date(k.createdAt).toISOString(),
      expires_at: k.expiresAt ? new Date(k.expiresAt).toISOString() : null,
      last_used_at: k.lastUsedAt ? new Date(k.lastUsedAt).toISOString() : null,
    };
  }
}

export class CreatedKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The whole key: shown this once, never again', example: 'aos_k3x9q2m4p7ra_…' })
  key!: string;
}

export class ApiKeyPageDto extends PageOf(ApiKeyDto, 'ApiKeyPageDto') {}
