import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Actor, ActorKind } from '../../common/actor';
import { API_KEY_HEADER, TENANT_HEADER } from '../../common/credential-check';
import type { CredentialResolution, CredentialRefusal } from '../../common/principal';
import { Scope } from '../../common/scopes';
import { TtlCache } from '../../common/ttl-cache';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/app-config';
import { crossTenant } from '../../common/db-scope';
import { ApiKeysRepository, KeyRecord } from '../keys/api-keys.repository';
import { parseKey, secretDigest } from '../keys/key-format';
import { KeyUsage } from '../keys/key-usage';
import { TenantStatus } from '../tenant-status.enum';
import type { TenantEntity } from '../tenant.entity';
import { TenantsRepository } from '../tenants.repository';

/**
 * How long an instance trusts what it read of keys and tenants. A revoked or expired key, or a
 * suspended tenant, is refused on every instance within this (the contract says 5 s).
 */
export const CREDENTIAL_CACHE_MS = 2_000;
export const DEFAULT_TENANT_SLUG = 'default';

const MISSING: CredentialRefusal = { status: 401, detail: 'Missing API key: send it in the X-AOS-Key header' };
const INVALID: CredentialRefusal = { status: 401, detail: 'Invalid API key' };
const OPERATOR_SCOPES = [Scope.Operator] as const;

/**
 * Resolves a request's credential: the operator key (AOS_API_KEY, acting in X-AOS-Tenant or in
 * `default`) or a tenant key (`aos_…`, found by its prefix, its secret's digest compared in
 * constant time). Keys and tenants are cached for a couple of seconds, found or not.
 */
@Injectable()
export class CredentialResolver {
  private readonly operatorDigest: Buffer;
  private readonly keys = new TtlCache<string, KeyRecord[]>(CREDENTIAL_CACHE_MS, 10_000);
  // Apart, so a flood of made-up prefixes cannot push the real keys out.
  private readonly unknownPrefixes = new TtlCache<string, true>(CREDENTIAL_CACHE_MS, 10_000);
  private readonly tenants = new TtlCache<string, TenantEntity | null>(CREDENTIAL_CACHE_MS, 10_000);

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keyRecords: ApiKeysRepository,
    private readonly tenantRecords: TenantsRepository,
    private readonly usage: KeyUsage,
  ) {
    this.operatorDigest = secretDigest(config.apiKey);
  }

  async resolve(headers: FastifyRequest['headers']): Promise<CredentialResolution> {
    const presented = headers[API_KEY_HEADER];
    if (presented === undefined || presented === '') return MISSING;
    if (typeof presented !== 'string') return INVALID;
    const named = headers[TENANT_HEADER];
    if (named !== undefined && typeof named !== 'string') return { status: 404, detail: 'Tenant not found' };
    if (timingSafeEqual(secretDigest(presented), this.operatorDigest)) return this.operator(named);
    const parsed = parseKey(presented);
    if (!parsed) return INVALID;
    return this.tenantKey(parsed, named);
  }

  private async operator(named: string | undefined): Promise<CredentialResolution> {
    const tenant = await this.tenant(named ?? DEFAULT_TENANT_SLUG);
    if (!tenant) return { status: 404, detail: `Tenant ${named} not found` };
    const actor: Actor = { tenant_id: tenant.id, kind: ActorKind.Operator, id: 'operator' };
    return { actor, tenantId: tenant.id, scopes: OPERATOR_SCOPES, credentialId: 'operator' };
  }

  private async tenantKey(
    key: { prefix: string; secret: string },
    named: string | undefined,
  ): Promise<CredentialResolution> {
    if (this.unknownPrefixes.get(key.prefix)) return INVALID;
    let records = this.keys.get(key.prefix);
    if (records === undefined) {
      records = await crossTenant('authentication', () => this.keyRecords.byPrefix(key.prefix));
      if (records.length === 0) {
        this.unknownPrefixes.set(key.prefix, true);
        return INVALID;
      }
      this.keys.set(key.prefix, records);
    }
    const presented = secretDigest(key.secret);
    // Every candidate is compared (prefixes are random, so almost always one), in constant time each.
    const record = records.find((r) => r.digest.length === presented.length && timingSafeEqual(r.digest, presented));
    if (!record || record.revoked_at !== null) return INVALID;
    if (record.expires_at !== null && new Date(record.expires_at).getTime() <= Date.now()) {
      return { status: 401, detail: 'API key expired' };
    }
    if (record.tenant_status !== (TenantStatus.Active as string))
      return { status: 401, detail: "This key's tenant is suspended" };
    if (named !== undefined) {
      const tenant = await this.tenant(named);
      // A key acts in its own tenant only; naming another is answered as if it did not exist.
      if (tenant?.id !== record.tenant_id) return { status: 404, detail: `Tenant ${named} not found` };
    }
    this.usage.record(record.tenant_id, record.id);
    const actor: Actor = { tenant_id: record.tenant_id, kind: ActorKind.Key, id: record.id };
    return { actor, tenantId: record.tenant_id, scopes: record.scopes, credentialId: `key:${record.id}` };
  }

  private async tenant(ref: string): Promise<TenantEntity | undefined> {
    const key = ref.toLowerCase();
    let tenant = this.tenants.get(key);
    if (tenant === undefined) {
      tenant = (await crossTenant('authentication', () => this.tenantRecords.find(key))) ?? null;
      this.tenants.set(key, tenant);
    }
    return tenant ?? undefined;
  }

  /** Forgets what this instance cached of a tenant (it changed here). */
  forget(ref: { tenant: TenantEntity }): void {
    this.tenants.delete(ref.tenant.id);
    this.tenants.delete(ref.tenant.slug);
    this.keys.clear();
  }

  /** Forgets every cached key (one was minted or revoked here): this instance sees it at once. */
  forgetKeys(): void {
    this.keys.clear();
    this.unknownPrefixes.clear();
  }
}
