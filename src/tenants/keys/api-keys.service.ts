import { Injectable, Logger } from '@nestjs/common';
import type { Page, PageQueryDto } from '../../common/pagination';
import type { Principal } from '../../common/principal';
import { allows, scopeRefusal } from '../../common/scopes';
import { parseDateTime } from '../../common/date-time';
import { InvalidInputError } from '../../common/domain-error';
import { inTenant } from '../../common/db-scope';
import { Transactions } from '../../database/transactions';
import { CredentialResolver } from '../auth/credential-resolver';
import { TenantsService } from '../tenants.service';
import { KeyNotFoundError } from '../tenants.errors';
import { RefreshTokensRepository } from '../tokens/refresh-tokens.repository';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyDto, CreatedKeyDto, CreateKeyDto } from './dto/api-key.dto';
import { mintKey } from './key-format';

/** A tenant's API keys: minted (shown once), listed, revoked. */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly tenants: TenantsService,
    private readonly transactions: Transactions,
    private readonly credentials: CredentialResolver,
    private readonly refreshTokens: RefreshTokensRepository,
  ) {}

  async create(principal: Principal, tenantRef: string, dto: CreateKeyDto): Promise<CreatedKeyDto> {
    const tenant = await this.tenants.visibleTo(principal, tenantRef);
    const scopes = [...new Set(dto.scopes)];
    // A key mints no key stronger than itself (admin is a tenant's highest anyway).
    for (const s of scopes)
      if (!allows(principal.scopes, s)) throw scopeRefusal(s, principal.scopes, 'A key with these scopes');
    const minted = mintKey();
    const expiresAt = dto.expires_at === undefined ? null : parseDateTime(dto.expires_at);
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
      throw new InvalidInputError('expires_at', 'expires_at must be in the future');
    }
    const actor = { ...principal.actor, tenant_id: tenant.id };
    const saved = await inTenant(
      tenant.id,
      () =>
        this.transactions.run((m) =>
          this.keys.insert(m, {
            tenantId: tenant.id,
            name: dto.name,
            prefix: minted.prefix,
            digest: minted.digest,
            scopes,
            expiresAt,
            createdBy: actor,
          }),
        ),
      actor,
    );
    this.credentials.forgetKeys();
    this.logger.log({ tenant_id: tenant.id, key_id: saved.id, scopes }, 'key created');
    return { ...ApiKeyDto.from(saved), key: minted.key };
  }

  async list(principal: Principal, tenantRef: string, query: PageQueryDto): Promise<Page<ApiKeyDto>> {
    const tenant = await this.tenants.visibleTo(principal, tenantRef);
    const page = await inTenant(tenant.id, () => this.keys.page(tenant.id, query), principal.actor);
    return { items: page.rows.map((k) => ApiKeyDto.from(k)), next_cursor: page.nextCursor };
  }

  async revoke(principal: Principal, tenantRef: string, id: string): Promise<void> {
    const tenant = await this.tenants.visibleTo(principal, tenantRef);
    const revoked = await inTenant(tenant.id, () => this.keys.revoke(tenant.id, id), principal.actor);
    if (!revoked) throw new KeyNotFoundError(id);
    // Its refresh tokens end with it; its access tokens are refused as soon as the key is seen revoked.
    await inTenant(tenant.id, () => this.refreshTokens.revokeForKey(tenant.id, id), principal.actor);
    // This instance refuses it at once; the others within their cache time.
    this.credentials.forgetKeys();
    this.logger.log({ tenant_id: tenant.id, key_id: id }, 'key revoked');
  }
}
