import { Body, Controller, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiExtraModels,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { Public } from '../../common/public.decorator';
import { OAuthErrorDto, TokenRequestDto, TokenResponseDto } from './dto/token.dto';
import { TokensService } from './tokens.service';

export { TOKEN_PATH } from '../../common/oauth';

@ApiTags('tokens')
@ApiExtraModels(TokenRequestDto)
@Controller('auth')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post('token')
  @Public()
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary: 'Exchange an API key or a refresh token for an access token',
    description:
      'OAuth 2.0 style, JSON or form-encoded. `grant_type=api_key` with `api_key`, or `grant_type=refresh_token` with `refresh_token`: answers an access JWT (at most 15 min) and a new refresh token. A refresh token is single use: presenting one twice revokes its whole family. Errors carry `error` and `error_description` (OAuth codes) beside `detail`.',
  })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  // Open: OAuth's token endpoint ignores parameters it does not know (RFC 6749 §3.2).
  @ApiBody({ schema: { allOf: [{ $ref: getSchemaPath(TokenRequestDto) }], additionalProperties: true } })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({
    type: OAuthErrorDto,
    description: 'invalid_request, invalid_grant, unsupported_grant_type',
    example: {
      detail: 'refresh_token was already used: every token of its family is revoked',
      error: 'invalid_grant',
      error_description: 'refresh_token was already used: every token of its family is revoked',
    },
  })
  @ApiServiceUnavailableResponse({
    type: OAuthErrorDto,
    description: 'temporarily_unavailable: no AOS_SECRET_KEY',
    example: {
      detail: 'tokens need AOS_SECRET_KEY; ask the operator to set it',
      error: 'temporarily_unavailable',
      error_description: 'tokens need AOS_SECRET_KEY; ask the operator to set it',
    },
  })
  @ApiErrors(413, 415, 429)
  issueToken(@Body() body: unknown): Promise<TokenResponseDto> {
    return this.tokens.grant(body);
  }
}
