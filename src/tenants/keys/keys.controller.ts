import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { ApiKeyAuth } from '../../common/api-key-auth.decorator';
import { PageQueryDto } from '../../common/pagination';
import { CurrentPrincipal, Principal } from '../../common/principal';
import { RequiresScope, Scope } from '../../common/scopes';
import { UuidParam } from '../../common/uuid-param';
import { TENANT_PARAM } from '../dto/tenant.dto';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyPageDto, CreatedKeyDto, CreateKeyDto } from './dto/api-key.dto';

@ApiTags('tenants')
@ApiKeyAuth()
@RequiresScope(Scope.Admin)
@Controller('tenants/:tenant_id/keys')
export class KeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiParam(TENANT_PARAM)
  @ApiOperation({
    summary: 'Mint an API key (operator, or an admin key of the tenant)',
    description:
      'Answers 201 with the key, shown this once: `aos_` + its visible prefix + a 256-bit secret. Only the secret’s SHA-256 digest is stored.',
  })
  @ApiCreatedResponse({ type: CreatedKeyDto })
  @ApiErrors(400, 403, 404, 413, 422)
  createKey(
    @Param('tenant_id') tenant: string,
    @Body() dto: CreateKeyDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedKeyDto> {
    return this.keys.create(principal, tenant, dto);
  }

  @Get()
  @ApiParam(TENANT_PARAM)
  @ApiOperation({ summary: 'List live keys, newest first (never the key itself)' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiErrors(403, 404, 422)
  listKeys(
    @Param('tenant_id') tenant: string,
    @Query() query: PageQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiKeyPageDto> {
    return this.keys.list(principal, tenant, query);
  }

  @Delete(':key_id')
  @ApiParam(TENANT_PARAM)
  @ApiParam({ name: 'key_id', format: 'uuid' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Revoke a key',
    description: 'Refused at once by this instance and within 5 s by every other.',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(403, 404, 422)
  revokeKey(
    @Param('tenant_id') tenant: string,
    @UuidParam('key_id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    return this.keys.revoke(principal, tenant, id);
  }
}
