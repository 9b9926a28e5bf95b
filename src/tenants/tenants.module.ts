import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { CredentialResolver } from './auth/credential-resolver';
import { ScopeGuard } from './auth/scope.guard';
import { TenantScopeInterceptor } from './auth/tenant-scope.interceptor';
import { ApiKeysRepository } from './keys/api-keys.repository';
import { ApiKeysService } from './keys/api-keys.service';
import { KeyUsage } from './keys/key-usage';
import { KeysController } from './keys/keys.controller';
import { OwnTenantController, TenantsController } from './tenants.controller';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

/** Tenants, their keys, and the credential check that turns a request into a principal. */
@Module({
  imports: [AgentsModule],
  controllers: [TenantsController, OwnTenantController, KeysController],
  providers: [
    TenantsRepository,
    TenantsService,
    ApiKeysRepository,
    ApiKeysService,
    KeyUsage,
    CredentialResolver,
    ScopeGuard,
    TenantScopeInterceptor,
  ],
  exports: [CredentialResolver, ScopeGuard, TenantScopeInterceptor],
})
export class TenantsModule {}
