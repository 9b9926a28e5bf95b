import { ActorDto } from '../../common/actor.dto';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEnum,
  Matches,
  IsOptional,
  IsString,
  MaxLength,
  registerDecorator,
  Validate,
} from 'class-validator';
import { NoNulCharacters } from '../../common/no-nul.decorator';
import { OptionalField } from '../../common/optional-field.decorator';
import { PageLimit, PageOf } from '../../common/pagination';
import { EventTypePattern } from '../../events/dto/event.dto';
import { EVENT_TYPES, TYPE_PATTERN_SOURCE } from '../../events/event-types';
import { DeliveryStatus } from '../delivery-status.enum';
import type { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import type { WebhookEntity } from '../webhook.entity';

export const MAX_WEBHOOK_URL_LENGTH = 2_000;
export const MAX_WEBHOOK_PATTERNS = 30;

/** Why `value` is not a URL a webhook can be sent to, or undefined when it is one. */
export function webhookUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'url must be a string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'url must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'url must use http or https';
  if (url.username || url.password) return 'url must not carry credentials; the signature authenticates AOS';
  if (url.hash) return 'url must not have a #fragment';
  return undefined;
}

const IsWebhookUrl = (): PropertyDecorator => (target, propertyName) =>
  registerDecorator({
    name: 'isWebhookUrl',
    target: target.constructor,
    propertyName: propertyName as string,
    options: { message: ({ value }) => webhookUrlProblem(value) ?? 'url is invalid' },
    validator: { validate: (value: unknown) => webhookUrlProblem(value) === undefined },
  });

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const EVENTS_DESCRIPTION = `Event types or prefixes ending in .* (run.*); omitted or null: every event. Types: ${EVENT_TYPES.join(', ')}`;

/** `events`: type patterns, or omitted / null for every event. */
const EventPatterns = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      items: { type: 'string', pattern: TYPE_PATTERN_SOURCE },
      nullable: true,
      minItems: 1,
      maxItems: MAX_WEBHOOK_PATTERNS,
      uniqueItems: true,
      example: ['run.*', 'agent.deleted'],
      description: EVENTS_DESCRIPTION,
    }),
    IsOptional(),
    IsArray(),
    ArrayMinSize(1, { message: 'events must list at least one type pattern; omit it (or null) for every event' }),
    ArrayMaxSize(MAX_WEBHOOK_PATTERNS),
    ArrayUnique(),
    IsString({ each: true }),
    Validate(EventTypePattern, { each: true }),
  );

export class CreateWebhookDto {
  @ApiProperty({
    maxLength: MAX_WEBHOOK_URL_LENGTH,
    format: 'uri',
    example: 'https://example.com/hooks/aos',
    description:
      'http(s) URL receiving a POST per event. Must reach a public address unless its host[:port] is in AOS_WEBHOOK_ALLOW_HOSTS',
  })
  @Transform(trim)
  @IsString()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  @IsWebhookUrl()
  url!: string;

  @EventPatterns()
  events?: string[] | null;

  @ApiPropertyOptional({ maxLength: 500 })
  @OptionalField()
  @IsString()
  @MaxLength(500)
  @NoNulCharacters()
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ description: 'false pauses deliveries; true resumes them (also after a 410 disabled it)' })
  @OptionalField()
  @IsBoolean()
  enabled?: boolean;

  @EventPatterns()
  events?: string[] | null;

  @ApiPropertyOptional({ type: String, maxLength: 500, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @NoNulCharacters()
  description?: string | null;

  @ApiPropertyOptional({
    description:
      'true: a new secret, shown once in this answer; the previous one keeps signing too (a second ' +
      'signature) for AOS_WEBHOOK_SECRET_GRACE_MS',
  })
  @OptionalField()
  @IsBoolean()
  rotate_secret?: boolean;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  agent_id!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty({ type: [String], nullable: true, description: 'Type patterns; null: every event' })
  events!: string[] | null;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({
    description:
      'false: deliveries paused (by PATCH, after the receiver answered 410, or after ' +
      'AOS_WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row)',
  })
  enabled!: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Why it was disabled, when AOS disabled it' })
  disabled_reason!: string | null;

  @ApiProperty({ type: 'integer', description: 'Failed attempts in a row (a delivered one resets it)' })
  consecutive_failures!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until when the secret before the last rotation still signs',
  })
  previous_secret_expires_at!: string | null;

  @ApiProperty({ type: ActorDto, nullable: true, description: 'Who created it' })
  created_by!: ActorDto | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  static from(w: WebhookEntity): WebhookDto {
    const previousLive = w.previousSecretExpiresAt && w.previousSecretExpiresAt > new Date();
    return {
      id: w.id,
      agent_id: w.agentId,
      url: w.url,
      events: w.events,
      description: w.description,
      enabled: w.enabled,
      disabled_reason: w.disabledReason,
      consecutive_failures: w.consecutiveFailures,
      previous_secret_expires_at: previousLive ? w.previousSecretExpiresAt!.toISOString() : null,
      created_by: w.createdBy,
      created_at: w.createdAt.toISOString(),
      updated_at: w.updatedAt.toISOString(),
    };
  }
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret (Standard Webhooks). Shown only here: store it now',
  })
  secret!: string;
}

export class UpdatedWebhookDto extends WebhookDto {
  @ApiPropertyOptional({ description: 'The new signing secret, only when rotate_secret was true. Shown only here' })
  secret?: string;
}

export class WebhookPageDto extends PageOf(WebhookDto, 'WebhookPageDto') {}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: 'integer', description: 'The event delivered (also its webhook-id header)' })
  event_id!: number;

  @ApiProperty({ enum: EVENT_TYPES, enumName: 'EventType' })
  event_type!: string;

  @ApiProperty({ enum: DeliveryStatus, enumName: 'DeliveryStatus' })
  status!: DeliveryStatus;

  @ApiProperty({ type: 'integer' })
  attempts!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'HTTP status of the last attempt, if it got one' })
  last_status_code!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed' })
  last_error!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_attempt_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it is tried next (pending only; deliveries to one endpoint go in event order)',
  })
  next_attempt_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  delivered_at!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  static from(d: WebhookDeliveryEntity): DeliveryDto {
    return {
      id: d.id,
      event_id: Number(d.eventId),
      event_type: d.eventType,
      status: d.status,
      attempts: d.attempts,
      last_status_code: d.lastStatusCode,
      last_error: d.lastError,
      last_attempt_at: d.lastAttemptAt?.toISOString() ?? null,
      next_attempt_at: d.status === DeliveryStatus.Pending ? d.nextAttemptAt.toISOString() : null,
      delivered_at: d.deliveredAt?.toISOString() ?? null,
      created_at: d.createdAt.toISOString(),
    };
  }
}

export class DeliveryPageDto extends PageOf(DeliveryDto, 'DeliveryPageDto') {}

/** Deliveries page newest event first; their cursor is the last event id of a page. */
export class ListDeliveriesQueryDto {
  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page’s next_cursor' })
  @IsOptional()
  @Matches(/^[1-9]\d{0,15}$/, { message: 'cursor is not a valid page cursor' })
  cursor?: string;

  @ApiPropertyOptional({ enum: DeliveryStatus, enumName: 'DeliveryStatus' })
  @IsOptional()
  @IsEnum(DeliveryStatus, { message: `status must be one of: ${Object.values(DeliveryStatus).join(', ')}` })
  status?: DeliveryStatus;
}
