import { Injectable } from '@nestjs/common';
import { crossTenant } from '../../common/db-scope';
import { TtlCache } from '../../common/ttl-cache';
import { ApiKeysRepository, KeyRecord } from '../keys/api-keys.repository';
import type { TenantEntity } from '../tenant.entity';
import { TenantsRepository } from '../tenants.repository';

/**
 * How long an instance trusts what it read of keys and tenants. A revoked or expired key, or a
 * suspended tenant, is refused on every instance within this (the contract says 5 s).
 */
export const CREDENTIAL_CACHE_MS = 2_000;

/**
 * What the credential checks read of keys and tenants, cached for a couple of seconds, found or
 * not, before any tenant is known (the `authentication` task).
 */
@Injectable()
export class CredentialLookups {
  private readonly byPrefix = new TtlCache<string, KeyRecord[]>(CREDENTIAL_CACHE_MS, 10_000);
  // Apart, so a flood of made-up prefixes cannot push the real keys out.
  private readonly unknownPrefixes = new TtlCache<string, true>(CREDENTIAL_CACHE_MS, 10_000);
  private readonly byId = new TtlCache<string, KeyRecord | null>(CREDENTIAL_CACHE_MS, 10_000);
  private readonly tenants = new TtlCache<string, TenantEntity | null>(CREDENTIAL_CACHE_MS, 10_000);

  constructor(
    private readonly keyRecords: ApiKeysRepository,
    private readonly tenantRecords: TenantsRepository,
  ) {}

  /** The keys with this visible prefix (almost always one), or none. */
  async keysWithPrefix(prefix: string): Promise<KeyRecord[]> {
    if (this.unknownPrefixes.get(prefix)) return [];
    let records = this.byPrefix.get(prefix);
    if (records === undefined) {
      records = await crossTenant('authentication', () => this.keyRecords.byPrefix(prefix));
      if (records.length === 0) {
        this.unknownPrefixes.set(prefix, true);
        return records;
      }
      this.byPrefix.set(prefix, records);
    }
    return records;
  }

  /** The key a token names. */
  async key(tenantId: string, id: string): Promise<KeyRecord | undefined> {
    const cacheKey = `${tenantId}/${id}`;
    let record = this.byId.get(cacheKey);
    if (record === undefined) {
      record = (await crossTenant('authentication', () => this.keyRecords.byId(tenantId, id))) ?? null;
      this.byId.set(cacheKey, record);
    }
    return record ?? undefined;
  }

  /** A tenant by id or slug, any case. */
  async tenant(ref: string): Promise<TenantEntity | undefined> {
    const key = ref.toLowerCase();
    let tenant = this.tenants.get(key);
    if (tenant === undefined) {
      tenant = (await crossTenant('authentication', () => this.tenantRecords.find(key))) ?? null;
      this.tenants.set(key, tenant);
    }
    return tenant ?? undefined;
  }

  forgetTenant(tenant: TenantEntity): void {
    this.tenants.delete(tenant.id);
    this.tenants.delete(tenant.slug);
    this.forgetKeys();
  }

  forgetKeys(): void {
    this.byPrefix.clear();
    this.unknownPrefixes.clear();
    this.byId.clear();
  }
}
