import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** What the token endpoint accepts (documentation: the service reads the body itself, JSON or form). */
export class TokenRequestDto {
  @ApiProperty({ enum: ['api_key', 'refresh_token'] })
  grant_type!: string;

  @ApiPropertyOptional({ description: 'With grant_type=api_key: a tenant API key (`aos_…`)' })
  api_key?: string;

  @ApiPropertyOptional({ description: 'With grant_type=refresh_token: the last refresh token handed out (`aosr_…`)' })
  refresh_token?: string;
}

export class TokenResponseDto {
  @ApiProperty({ description: 'A JWT (`typ: at+jwt`): send it as `Authorization: Bearer`' })
  access_token!: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  token_type!: 'Bearer';

  @ApiProperty({ description: 'Seconds the access token is valid (at most 900)', example: 900 })
  expires_in!: number;

  @ApiProperty({ description: 'Single use: exchange it (grant_type=refresh_token) for the next pair' })
  refresh_token!: string;

  @ApiProperty({ description: 'Seconds the refresh token is valid' })
  refresh_token_expires_in!: number;

  @ApiProperty({ description: "The key's scopes, space-separated", example: 'read write' })
  scope!: string;
}

export class OAuthErrorDto {
  @ApiProperty()
  detail!: string;

  @ApiProperty({
    enum: ['invalid_request', 'invalid_grant', 'invalid_scope', 'unsupported_grant_type', 'temporarily_unavailable'],
  })
  error!: string;

  @ApiProperty()
  error_description!: string;
}
