import { NoNulCharacters } from '../../common/no-nul.decorator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { DateTimeField } from '../../common/date-time';
import { OptionalField } from '../../common/optional-field.decorator';
import { PageOf, PageQueryDto } from '../../common/pagination';
import { MemoryType } from '../../skills/memory-type.enum';
import type { MemoryEntity } from '../memory.entity';

/** Memories a client may add directly; the others are written by runs and the system. */
export const CLIENT_MEMORY_TYPES = [MemoryType.UserInput, MemoryType.Context] as const;

export class CreateMemoryDto {
  @ApiProperty({ enum: CLIENT_MEMORY_TYPES, enumName: 'ClientMemoryType' })
  @IsIn(CLIENT_MEMORY_TYPES, { message: `memory_type must be one of: ${CLIENT_MEMORY_TYPES.join(', ')}` })
  memory_type!: MemoryType.UserInput | MemoryType.Context;

  @ApiProperty({ minLength: 1, maxLength: 100_000 })
  @IsString()
  @Length(1, 100_000)
  text!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsObject()
  meta?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    default: true,
    description:
      'false for text that came from outside (a pasted mail, a web page): a run that recalls it is tainted ' +
      '(see Security model)',
  })
  @OptionalField()
  @IsBoolean()
  trusted?: boolean;
}

export class MemoryResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  agent_id!: string;

  @ApiProperty({ enum: MemoryType, enumName: 'MemoryType' })
  memory_type!: MemoryType;

  @ApiProperty()
  text!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  meta!: Record<string, unknown> | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The run that wrote it, if any' })
  run_id!: string | null;

  @ApiProperty({
    description:
      'false when it came from outside AOS (a skill read it from the world) or a tainted run wrote it: a run that ' +
      'recalls it is tainted',
  })
  trusted!: boolean;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiPropertyOptional({ description: 'Full-text rank (only when recalled with a query); higher is better' })
  rank?: number;

  static from(memory: MemoryEntity, rank?: number): MemoryResponseDto {
    return {
      id: memory.id,
      agent_id: memory.agentId,
      memory_type: memory.memoryType,
      text: memory.text,
      meta: memory.meta,
      run_id: memory.runId,
      trusted: memory.trusted,
      created_at: memory.createdAt.toISOString(),
      ...(rank === undefined ? {} : { rank }),
    };
  }
}

export class MemoryPageDto extends PageOf(MemoryResponseDto, 'MemoryPageDto') {}

export class RecallQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Full-text query (web-search syntax: words, "phrases", -exclusions, or). Ranked; no match, no items.',
    maxLength: 1000,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(1000)
  @NoNulCharacters()
  query?: string;

  @ApiPropertyOptional({ enum: MemoryType, enumName: 'MemoryType' })
  @IsOptional()
  @IsIn(Object.values(MemoryType), { message: `memory_type must be one of: ${Object.values(MemoryType).join(', ')}` })
  memory_type?: MemoryType;

  @DateTimeField('Only memories created at or after this time')
  since?: string;

  @DateTimeField('Only memories created before this time')
  until?: string;
}
