import { ActorDto } from '../../common/actor.dto';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEnum, IsObject, IsString, Matches, ValidateIf } from 'class-validator';
import { OptionalField } from '../../common/optional-field.decorator';
import { PageOf } from '../../common/pagination';
import { ConnectionKind } from '../../protocols/connection-kind.enum';
import type { ConnectionEntity } from '../connection.entity';
import { CaldavSettingsDto, HttpSettingsDto, ImapSettingsDto, SmtpSettingsDto } from '../../protocols/settings.dto';

/** Names the model writes in tool inputs: short, plain, unambiguous. */
export const CONNECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const SETTINGS_SCHEMA = {
  description:
    'Per kind — smtp: {host, port?, tls?, username?, from, from_name?}; imap: {host, port?, tls?, username, mailbox?}; ' +
    'caldav: {url, username, calendar?}; http: {origin, auth?} (auth headers: the header names come from the secret)',
  // Which one is decided by the connection's kind (the create body is a oneOf on `kind`).
  anyOf: [SmtpSettingsDto, ImapSettingsDto, CaldavSettingsDto, HttpSettingsDto].map((m) => ({
    $ref: getSchemaPath(m),
  })),
};

const PASSWORD = { type: 'string', minLength: 1, maxLength: 8000, writeOnly: true } as const;

/**
 * The create body as the document states it: one shape per `kind` (a discriminator), each with
 * its own settings and secret rules. The server validates the same rules (connection-settings.ts).
 */
abstract class ConnectionBody {
  @ApiProperty({
    example: 'work-mail',
    pattern: CONNECTION_NAME.source,
    description: 'Unique per agent; skills name it',
  })
  name!: string;
}

export class CreateSmtpConnectionDto extends ConnectionBody {
  @ApiProperty({ enum: [ConnectionKind.Smtp], example: ConnectionKind.Smtp })
  kind!: ConnectionKind.Smtp;

  @ApiProperty({ type: SmtpSettingsDto })
  settings!: SmtpSettingsDto;

  @ApiPropertyOptional({ ...PASSWORD, description: 'The SMTP password; omitted: no login', example: 'app-password' })
  secret?: string;
}

export class CreateImapConnectionDto extends ConnectionBody {
  @ApiProperty({ enum: [ConnectionKind.Imap], example: ConnectionKind.Imap })
  kind!: ConnectionKind.Imap;

  @ApiProperty({ type: ImapSettingsDto })
  settings!: ImapSettingsDto;

  @ApiProperty({ ...PASSWORD, description: 'The IMAP password', example: 'app-password' })
  secret!: string;
}

export class CreateCaldavConnectionDto extends ConnectionBody {
  @ApiProperty({ enum: [ConnectionKind.Caldav], example: ConnectionKind.Caldav })
  kind!: ConnectionKind.Caldav;

  @ApiProperty({ type: CaldavSettingsDto })
  settings!: CaldavSettingsDto;

  @ApiProperty({ ...PASSWORD, description: 'The CalDAV password', example: 'app-password' })
  secret!: string;
}

export class CreateHttpConnectionDto extends ConnectionBody {
  @ApiProperty({ enum: [ConnectionKind.Http], example: ConnectionKind.Http })
  kind!: ConnectionKind.Http;

  @ApiProperty({ type: HttpSettingsDto })
  settings!: HttpSettingsDto;

  @ApiProperty({
    description:
      'With auth bearer (the default): the token. With auth headers: an object of header names and values ' +
      '({"X-Api-Key": "…"}, 1 to 10 headers). Write-only',
    writeOnly: true,
    oneOf: [
      { ...PASSWORD, description: 'bearer: the token' },
      {
        type: 'object',
        minProperties: 1,
        maxProperties: 10,
        additionalProperties: { type: 'string', minLength: 1 },
        description: 'headers: header name → value',
      },
    ],
    example: 'api-token-0123',
  })
  secret!: string | Record<string, string>;
}

const CONNECTION_BODIES = {
  [ConnectionKind.Smtp]: CreateSmtpConnectionDto,
  [ConnectionKind.Imap]: CreateImapConnectionDto,
  [ConnectionKind.Caldav]: CreateCaldavConnectionDto,
  [ConnectionKind.Http]: CreateHttpConnectionDto,
};

/** The documented create body: oneOf the per-kind shapes, told apart by `kind`. */
export const CREATE_CONNECTION_BODY = {
  oneOf: Object.values(CONNECTION_BODIES).map((m) => ({ $ref: getSchemaPath(m) })),
  discriminator: {
    propertyName: 'kind',
    mapping: Object.fromEntries(Object.entries(CONNECTION_BODIES).map(([kind, m]) => [kind, getSchemaPath(m)])),
  },
};

export const CONNECTION_BODY_MODELS = Object.values(CONNECTION_BODIES);

const SECRET_SCHEMA = {
  description:
    'Password (smtp, imap, caldav), bearer token (http), or for http with auth headers an object of header values. ' +
    'Write-only: sealed with AES-256-GCM and never returned',
  writeOnly: true,
  oneOf: [
    { type: 'string', minLength: 1, maxLength: 8000 },
    { type: 'object', additionalProperties: { type: 'string' } },
  ],
};

/** The secret is string or object: its shape is checked with the settings, per kind. */
const IsSecretShape = () =>
  ValidateIf(
    (_o, value) =>
      value !== undefined &&
      typeof value !== 'string' &&
      (value === null || typeof value !== 'object' || Array.isArray(value)),
  );

@ApiExtraModels(SmtpSettingsDto, ImapSettingsDto, CaldavSettingsDto, HttpSettingsDto)
export class CreateConnectionDto {
  @ApiProperty({
    example: 'work-mail',
    pattern: CONNECTION_NAME.source,
    description: 'Unique per agent; skills name it',
  })
  @Transform(trim)
  @IsString()
  @Matches(CONNECTION_NAME, {
    message: 'name must be 1–100 of letters, digits, _ . - (starting with a letter or digit)',
  })
  name!: string;

  @ApiProperty({ enum: ConnectionKind, enumName: 'ConnectionKind' })
  @IsEnum(ConnectionKind, { message: `kind must be one of: ${Object.values(ConnectionKind).join(', ')}` })
  kind!: ConnectionKind;

  @ApiProperty(SETTINGS_SCHEMA)
  @IsObject()
  settings!: Record<string, unknown>;

  @ApiPropertyOptional(SECRET_SCHEMA)
  @IsSecretShape()
  @IsString({ message: 'secret must be a string or an object of header values' })
  secret?: string | Record<string, string>;
}

@ApiExtraModels(SmtpSettingsDto, ImapSettingsDto, CaldavSettingsDto, HttpSettingsDto)
export class UpdateConnectionDto {
  @ApiPropertyOptional({ pattern: CONNECTION_NAME.source })
  @OptionalField()
  @Transform(trim)
  @IsString()
  @Matches(CONNECTION_NAME, {
    message: 'name must be 1–100 of letters, digits, _ . - (starting with a letter or digit)',
  })
  name?: string;

  @ApiPropertyOptional({
    ...SETTINGS_SCHEMA,
    description: `All settings of the kind, replacing the old ones. ${SETTINGS_SCHEMA.description}`,
  })
  @OptionalField()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({ ...SECRET_SCHEMA, description: `A new secret (rotation). ${SECRET_SCHEMA.description}` })
  @IsSecretShape()
  @IsString({ message: 'secret must be a string or an object of header values' })
  secret?: string | Record<string, string>;
}

export class ConnectionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  agent_id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ConnectionKind, enumName: 'ConnectionKind' })
  kind!: ConnectionKind;

  @ApiProperty({ ...SETTINGS_SCHEMA, description: 'As stored, defaults filled in' })
  settings!: Record<string, unknown>;

  @ApiProperty({ description: 'Whether a secret is stored (it is never returned)' })
  has_secret!: boolean;

  @ApiProperty({ type: ActorDto, nullable: true, description: 'Who created it' })
  created_by!: ActorDto | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  static from(c: ConnectionEntity): ConnectionDto {
    return {
      id: c.id,
      agent_id: c.agentId,
      name: c.name,
      kind: c.kind,
      settings: c.settings,
      has_secret: c.secretCiphertext !== null,
      created_by: c.createdBy,
      created_at: c.createdAt.toISOString(),
      updated_at: c.updatedAt.toISOString(),
    };
  }
}

export class ConnectionPageDto extends PageOf(ConnectionDto, 'ConnectionPageDto') {}

export class ConnectionTestDto {
  @ApiProperty({ description: 'Whether AOS logged in (and, for http, got an answer below 400)' })
  ok!: boolean;

  @ApiProperty({ description: 'What the server answered, or why it could not be reached (never the secret)' })
  message!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Per kind: mailboxes, calendars, status',
  })
  details?: Record<string, unknown>;
}
