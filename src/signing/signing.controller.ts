import { Controller, Get, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { Public } from '../common/public.decorator';
import { RequiresScope, Scope } from '../common/scopes';
import { JwksDto, SigningKeyDto, SigningKeyListDto } from './signing.dto';
import { SigningKeys } from './signing-keys.service';

@ApiTags('tokens')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeys) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({
    summary: 'The public keys of the tokens AOS signs (JWKS)',
    description:
      'Verifiers of access tokens and of agent tokens (`typ: agent+jwt`) fetch these. Keys are Ed25519 (`EdDSA`); every instance lists a rotated key as soon as the rotation commits, and a retired key stays listed for an hour, longer than any token it signed lives.',
  })
  @ApiOkResponse({ type: JwksDto })
  @ApiErrors(429)
  async getJwks(): Promise<JwksDto> {
    return (await this.keys.publishedKeys()) as JwksDto;
  }
}

@ApiTags('tokens')
@ApiKeyAuth()
@RequiresScope(Scope.Operator)
@Controller('signing-keys')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeys) {}

  @Get()
  @ApiOperation({ summary: 'The token signing keys (operator): which signs, which only verify' })
  @ApiOkResponse({ type: SigningKeyListDto })
  @ApiErrors(403)
  listSigningKeys(): SigningKeyListDto {
    return { items: this.keys.list() };
  }

  @Post('rotate')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Rotate the signing key (operator)',
    description:
      'A new key signs every new token (on this instance at once, on the others within 30 s); tokens signed by the old one verify until they expire.',
  })
  @ApiCreatedResponse({ type: SigningKeyDto })
  @ApiErrors(403, 503)
  rotateSigningKey(): Promise<SigningKeyDto> {
    return this.keys.rotate();
  }
}
