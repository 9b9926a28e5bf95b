import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateBy,
} from 'class-validator';
import { isIP } from 'node:net';
import { NoNulCharacters } from '../common/no-nul.decorator';
import { OptionalField } from '../common/optional-field.decorator';

export const TLS_MODES = ['tls', 'starttls', 'none'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** A DNS name, or an IPv4 address (which has a DNS name's shape). */
const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;

/** A host name or an IP address, IPv6 bare or in brackets (no scheme, no port, no path). */
export function isHostName(value: string): boolean {
  if (value.length > 253) return false;
  if (DNS_NAME.test(value)) return true;
  const inner = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  return isIP(inner) === 6;
}
/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

const IsHostName = (): PropertyDecorator =>
  ValidateBy({
    name: 'isHostName',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isHostName(value),
      defaultMessage: (args) => `${args?.property ?? 'host'} must be a host name or IP address (no scheme or port)`,
    },
  });

function IsHttpUrl(shape: 'origin' | 'url'): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isHttpUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: ({ property }) =>
          shape === 'origin'
            ? `${property} must be an http(s) origin like https://api.example.com (no path, query or credentials)`
            : `${property} must be an absolute http(s) URL without credentials`,
      },
      validator: {
        validate(value: unknown) {
          if (typeof value !== 'string') return false;
          try {
            const url = new URL(value);
            if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
            if (url.username || url.password || url.hash) return false;
            return shape === 'url' || (url.pathname === '/' && !url.search && !value.replace(/\/$/, '').endsWith('/'));
          } catch {
            return false;
          }
        },
      },
    });
}

const PORT_DESCRIPTION = (defaults: string) => `1–65535; default ${defaults}`;

export class SmtpSettingsDto {
  @ApiProperty({ example: 'smtp.example.com' })
  @IsString()
  @MaxLength(253)
  @IsHostName()
  host!: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    example: 587,
    description: PORT_DESCRIPTION('465 with tls, else 587'),
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional({
    enum: TLS_MODES,
    enumName: 'TlsMode',
    example: 'starttls',
    description: 'tls: TLS from the start; starttls (default): upgrade, required; none: plain',
  })
  @OptionalField()
  @IsIn(TLS_MODES, { message: `tls must be one of: ${TLS_MODES.join(', ')}` })
  tls?: TlsMode;

  @ApiPropertyOptional({
    description: 'Login name; omitted: the from address (with a secret), or no login (without one)',
  })
  @OptionalField()
  @IsString()
  @Length(1, 320)
  @NoNulCharacters()
  username?: string;

  @ApiProperty({ example: 'agent@example.com', description: 'Sender address of every mail' })
  @IsEmail({}, { message: 'from must be an email address' })
  @MaxLength(320)
  from!: string;

  @ApiPropertyOptional({ example: 'Research agent' })
  @OptionalField()
  @IsString()
  @Length(1, 200)
  @NoNulCharacters()
  from_name?: string;
}

export class ImapSettingsDto {
  @ApiProperty({ example: 'imap.example.com' })
  @IsString()
  @MaxLength(253)
  @IsHostName()
  host!: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    example: 993,
    description: PORT_DESCRIPTION('993 with tls, else 143'),
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional({
    enum: TLS_MODES,
    enumName: 'TlsMode',
    description: 'tls (default): TLS from the start; starttls: upgrade, required; none: plain',
  })
  @OptionalField()
  @IsIn(TLS_MODES, { message: `tls must be one of: ${TLS_MODES.join(', ')}` })
  tls?: TlsMode;

  @ApiProperty()
  @IsString()
  @Length(1, 320)
  @NoNulCharacters()
  username!: string;

  @ApiPropertyOptional({ default: 'INBOX', description: 'The mailbox skills read when they name none' })
  @OptionalField()
  @IsString()
  @Length(1, 200)
  @NoNulCharacters()
  mailbox?: string;
}

export class CaldavSettingsDto {
  @ApiProperty({
    example: 'https://cal.example.com/dav/',
    format: 'uri',
    description: 'The CalDAV server (its calendars are discovered from here)',
  })
  @IsString()
  @MaxLength(2000)
  @IsHttpUrl('url')
  url!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 320)
  @NoNulCharacters()
  username!: string;

  @ApiPropertyOptional({
    description: 'The calendar skills use when they name none: its display name or URL; omitted: the first one',
  })
  @OptionalField()
  @IsString()
  @Length(1, 2000)
  @NoNulCharacters()
  calendar?: string;
}

export const HTTP_AUTH = ['bearer', 'headers', 'agent_token'] as const;

export class HttpSettingsDto {
  @ApiProperty({
    example: 'https://api.example.com',
    format: 'uri',
    description: 'The one origin http_call adds the credentials to (scheme, host, port)',
  })
  @IsString()
  @MaxLength(2000)
  @IsHttpUrl('origin')
  origin!: string;

  @ApiPropertyOptional({
    enum: HTTP_AUTH,
    description:
      'bearer (default): the secret is a token sent as Authorization: Bearer; headers: the secret is an object of header values; agent_token: no secret, each call carries a JWT AOS signs for the agent (`typ: agent+jwt`, `aud` the origin, 5 min), verifiable at /.well-known/jwks.json',
  })
  @OptionalField()
  @IsIn(HTTP_AUTH, { message: `auth must be one of: ${HTTP_AUTH.join(', ')}` })
  auth?: (typeof HTTP_AUTH)[number];

  @ApiPropertyOptional({
    type: [String],
    readOnly: true,
    description: 'The header names the secret sets (auth headers); taken from the secret, shown without values',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @Matches(HEADER_NAME, { each: true, message: 'headers must be HTTP header names' })
  headers?: string[];
}
