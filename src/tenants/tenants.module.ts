import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { LimitsModule } from '../limits/limits.module';
import { RunRecordModule } from '../run-record/run-record.module';
import { SigningModule } from '../signing/signing.module';
import { BearerTokens } from './auth/bearer-tokens';
import { CredentialLookups } from './auth/credential-lookups';
import { CredentialResolver } from './auth/credential-resolver';
import { OidcIssuer } from './auth/oidc-issuer';
import { Principals } from './auth/principals';
import { RefreshTokenPruner } from './tokens/refresh-token-pruner';
import { RefreshTokensRepository } from './tokens/refresh-tokens.repository';
import { TokensController } from './tokens/tokens.controller';
import { TokensService } from './tokens/tokens.service';
import { ScopeGuard } from './auth/scope.guard';
import { TenantScopeInterceptor } from './auth/tenant-scope.interceptor';
import { ApiKeysRepository } from './keys/api-keys.repository';
import { ApiKeysService } from './keys/api-keys.service';
import { KeyUsage } from './keys/key-usage';
import { KeysController } from './keys/keys.controller';
import { OwnTenantController, TenantsController } from './tenants.controller';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

/** Tenants, their keys and limits, the tokens minted from keys, and the credential check that turns a request into a principal. */
@Module({
  imports: [AgentsModule, SigningModule, LimitsModule, RunRecordModule],
  controllers: [TenantsController, OwnTenantController, KeysController, TokensController],
  providers: [
    TenantsRepository,
    TenantsService,
    ApiKeysRepository,
    ApiKeysService,
    KeyUsage,
    CredentialLookups,
    Principals,
    OidcIssuer,
    BearerTokens,
    CredentialResolver,
    RefreshTokensRepository,
    RefreshTokenPruner,
    TokensService,
    ScopeGuard,
    TenantScopeInterceptor,
  ],
  exports: [CredentialResolver, ScopeGuard, TenantScopeInterceptor],
})
export class TenantsModule {}
