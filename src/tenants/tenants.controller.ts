import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator';
import { ApiKeyAuth } from '../common/api-key-auth.decorator';
import { PageQueryDto } from '../common/pagination';
import { CurrentPrincipal, Principal } from '../common/principal';
import { RequiresScope, Scope } from '../common/scopes';
import { assertSomeField } from '../common/validation';
import {
  CreateTenantDto,
  DeleteTenantQueryDto,
  TENANT_PARAM,
  TenantDto,
  TenantPageDto,
  UpdateTenantDto,
} from './dto/tenant.dto';
import { TenantsService } from './tenants.service';
import { TenantUsageDto, TenantUsageQueryDto } from './dto/usage.dto';

@ApiTags('tenants')
@ApiKeyAuth()
@RequiresScope(Scope.Operator)
@Controller('tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant (operator)', description: 'Answers 201 with a Location header.' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiErrors(400, 403, 409, 413, 422)
  async createTenant(
    @Body() dto: CreateTenantDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantDto> {
    const tenant = await this.tenants.create(dto);
    void reply.header('Location', `/tenants/${tenant.id}`);
    return tenant;
  }

  @Get()
  @ApiOperation({ summary: 'List tenants, newest first (operator)' })
  @ApiOkResponse({ type: TenantPageDto })
  @ApiErrors(403, 422)
  listTenants(@Query() query: PageQueryDto): Promise<TenantPageDto> {
    return this.tenants.list(query);
  }

  @Get(':tenant_id')
  @ApiParam(TENANT_PARAM)
  @ApiOperation({ summary: 'Get a tenant (operator)' })
  @ApiOkResponse({ type: TenantDto })
  @ApiErrors(403, 404)
  getTenant(@Param('tenant_id') ref: string): Promise<TenantDto> {
    return this.tenants.get(ref);
  }

  @Patch(':tenant_id')
  @ApiParam(TENANT_PARAM)
  @ApiOperation({
    summary: 'Rename, suspend or limit a tenant (operator)',
    description:
      "A suspended tenant's keys are refused within seconds on every instance; `default` cannot be suspended. `limits` fields given replace, null removes one; a raised token limit lets waiting runs go on at once.",
  })
  @ApiOkResponse({ type: TenantDto })
  @ApiErrors(400, 403, 404, 409, 413, 422)
  updateTenant(@Param('tenant_id') ref: string, @Body() dto: UpdateTenantDto): Promise<TenantDto> {
    assertSomeField(dto);
    return this.tenants.update(ref, dto);
  }

  @Get(':tenant_id/usage')
  @ApiParam(TENANT_PARAM)
  @ApiOperation({
    summary: "A tenant's usage per UTC day (operator)",
    description:
      'Model calls and tokens by provider and model, and runs by status (runs counted on the day they were created, by their status now). `from`..`to` inclusive, at most 366 days; default the last 30 days.',
  })
  @ApiOkResponse({ type: TenantUsageDto })
  @ApiErrors(403, 404, 422)
  async tenantUsage(@Param('tenant_id') ref: string, @Query() query: TenantUsageQueryDto): Promise<TenantUsageDto> {
    return this.tenants.usage(await this.tenants.entity(ref), query);
  }

  @Delete(':tenant_id')
  @ApiParam(TENANT_PARAM)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a tenant (operator)',
    description:
      '409 while it has agents, unless `?cascade=true`: then its agents are deleted as DELETE /agents/{id} does (runs cancelled, data deleted), and its keys. Its events stay until the relay and webhooks have passed them. `default` cannot be deleted.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(403, 404, 409, 422)
  deleteTenant(
    @Param('tenant_id') ref: string,
    @Query() query: DeleteTenantQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    return this.tenants.remove(ref, query.cascade === true, principal);
  }
}

@ApiTags('tenants')
@ApiKeyAuth()
@Controller('tenant')
export class OwnTenantController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @RequiresScope(Scope.Admin)
  @ApiOperation({ summary: 'The tenant the credential acts in' })
  @ApiOkResponse({ type: TenantDto })
  @ApiErrors(403)
  async getOwnTenant(@CurrentPrincipal() principal: Principal): Promise<TenantDto> {
    return TenantDto.from(await this.tenants.visibleTo(principal, principal.tenantId));
  }

  @Get('usage')
  @RequiresScope(Scope.Admin)
  @ApiOperation({
    summary: "The credential's tenant's usage per UTC day",
    description: 'As GET /tenants/{tenant_id}/usage, for a tenant admin.',
  })
  @ApiOkResponse({ type: TenantUsageDto })
  @ApiErrors(403, 422)
  async getOwnUsage(
    @CurrentPrincipal() principal: Principal,
    @Query() query: TenantUsageQueryDto,
  ): Promise<TenantUsageDto> {
    return this.tenants.usage(await this.tenants.visibleTo(principal, principal.tenantId), query);
  }
}
