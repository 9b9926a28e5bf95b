import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Actor, ActorKind } from '../../common/actor';
import { API_KEY_HEADER, TENANT_HEADER } from '../../common/credential-check';
import type { CredentialResolution, CredentialRefusal } from '../../common/principal';
import { Scope } from '../../common/scopes';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/app-config';
import { parseKey, secretDigest } from '../keys/key-format';
import type { TenantEntity } from '../tenant.entity';
import { looksLikeJwt } from '../tokens/token-format';
import { BearerTokens } from './bearer-tokens';
import { CredentialLookups } from './credential-lookups';
import { INVALID, Principals } from './principals';

export { CREDENTIAL_CACHE_MS } from './credential-lookups';
export const DEFAULT_TENANT_SLUG = 'default';

const MISSING: CredentialRefusal = {
  status: 401,
  detail: 'Missing credential: send an API key in the X-AOS-Key header, or a token as Authorization: Bearer',
};
const OPERATOR_SCOPES = [Scope.Operator] as const;

/**
 * Resolves a request's credential: the operator key (AOS_API_KEY, acting in X-AOS-Tenant or in
 * `default`), a tenant key (`aos_…`, found by its prefix, its secret's digest compared in
 * constant time), either of them as `Authorization: Bearer`, or a bearer JWT (an access token
 * AOS signed, or one of the configured identity provider).
 */
@Injectable()
export class CredentialResolver {
  private readonly operatorDigest: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly lookups: CredentialLookups,
    private readonly bearer: BearerTokens,
    private readonly principals: Principals,
  ) {
    this.operatorDigest = secretDigest(config.apiKey);
  }

  async resolve(headers: FastifyRequest['headers']): Promise<CredentialResolution> {
    const named = headers[TENANT_HEADER];
    if (named !== undefined && typeof named !== 'string') return { status: 404, detail: 'Tenant not found' };
    let presented = headers[API_KEY_HEADER];
    if (presented === undefined || presented === '') {
      const authorization = headers.authorization;
      if (typeof authorization !== 'string' || authorization === '') return MISSING;
      const match = /^Bearer +(\S+) *$/i.exec(authorization);
      if (!match) return { status: 401, detail: 'Authorization must be "Bearer <token or API key>"' };
      presented = match[1];
      if (looksLikeJwt(presented)) return this.bearer.resolve(presented, named);
    }
    if (typeof presented !== 'string') return INVALID;
    if (timingSafeEqual(secretDigest(presented), this.operatorDigest)) return this.operator(named);
    const parsed = parseKey(presented);
    if (!parsed) return INVALID;
    return this.tenantKey(parsed, named);
  }

  private async operator(named: string | undefined): Promise<CredentialResolution> {
    const tenant = await this.lookups.tenant(named ?? DEFAULT_TENANT_SLUG);
    if (!tenant) return { status: 404, detail: `Tenant ${named} not found` };
    const actor: Actor = { tenant_id: tenant.id, kind: ActorKind.Operator, id: 'operator' };
    // The operator is not held to a tenant's limits: the service's own rate limit applies.
    return { actor, tenantId: tenant.id, scopes: OPERATOR_SCOPES, credentialId: 'operator' };
  }

  private async tenantKey(
    key: { prefix: string; secret: string },
    named: string | undefined,
  ): Promise<CredentialResolution> {
    const records = await this.lookups.keysWithPrefix(key.prefix);
    const presented = secretDigest(key.secret);
    // Every candidate is compared (prefixes are random, so almost always one), in constant time each.
    const record = records.find((r) => r.digest.length === presented.length && timingSafeEqual(r.digest, presented));
    if (!record) return INVALID;
    return this.principals.asKey(record, named);
  }

  /** Forgets what this instance cached of a tenant (it changed here). */
  forget(ref: { tenant: TenantEntity }): void {
    this.lookups.forgetTenant(ref.tenant);
  }

  /** Forgets every cached key (one was minted or revoked here): this instance sees it at once. */
  forgetKeys(): void {
    this.lookups.forgetKeys();
  }
}
