import { ActorDto } from '../../common/actor.dto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { PageLimit, toInteger } from '../../common/pagination';
import { EVENT_TYPES, TYPE_PATTERN_SOURCE, typePatternProblem } from '../event-types';

@ValidatorConstraint({ name: 'eventTypePattern' })
export class EventTypePattern implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && typePatternProblem(value) === undefined;
  }
  defaultMessage(args?: ValidationArguments): string {
    return `${args?.property ?? 'type'}: ${typePatternProblem(String(args?.value)) ?? 'invalid'}`;
  }
}

/** The position to resume from: the last event id seen. */
export class AfterQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Only events after this id (the last one you saw); omitted: from the oldest kept',
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'after must be an integer event id' })
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({
    description: `An event type or a prefix ending in .* (e.g. run.*). Types: ${EVENT_TYPES.join(', ')}`,
    example: 'run.*',
    pattern: TYPE_PATTERN_SOURCE,
  })
  @IsOptional()
  @IsString()
  @Validate(EventTypePattern)
  type?: string;
}

export class ListEventsQueryDto extends AfterQueryDto {
  @PageLimit()
  limit?: number;
}

/** The envelope of every event, the same in JSON pages, SSE `data:`, NATS messages and webhooks. */
export class EventDto {
  @ApiProperty({ type: 'integer', description: 'Increasing; pass the last one seen back as `after`' })
  id!: number;

  @ApiProperty({ enum: EVENT_TYPES, enumName: 'EventType', example: 'run.completed' })
  type!: string;

  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;

  @ApiProperty({ format: 'uuid' })
  agent_id!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  run_id!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({
    type: ActorDto,
    nullable: true,
    description: 'Who caused it: the request’s actor; null when the engine acted on its own',
  })
  actor!: ActorDto | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data!: Record<string, unknown>;
}

export class EventPageDto {
  @ApiProperty({ type: [EventDto], description: 'Oldest first' })
  items!: EventDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The last id of this page, to pass back as `after`; null when the page is empty',
  })
  next_cursor!: string | null;
}
