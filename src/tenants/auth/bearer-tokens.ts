import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, errors as joseErrors, type JWTPayload } from 'jose';
import { Actor, ActorKind } from '../../common/actor';
import type { CredentialRefusal, CredentialResolution } from '../../common/principal';
import { KEY_SCOPES, type Scope } from '../../common/scopes';
import { TtlCache } from '../../common/ttl-cache';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { SigningKeys, TokenKeyError } from '../../signing/signing-keys.service';
import { TenantStatus } from '../tenant-status.enum';
import { CredentialLookups } from './credential-lookups';
import { AgentTokenError, IdTokenError, OidcIssuer } from './oidc-issuer';
import { Principals } from './principals';

/** How long a verified access token is remembered (its expiry is checked on every use). */
const VERIFIED_CACHE_MS = 60_000;
const CLOCK_SKEW_MS = 30_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Bearer JWTs: access tokens AOS signed (`typ: at+jwt`, `aud` this AOS, the key they were minted
 * from still live), and tokens of the configured identity provider. Which verifier applies is
 * chosen by the unverified `iss`; everything is then verified by that one. An agent token, or a
 * token for another audience, is refused like a forged one.
 */
@Injectable()
export class BearerTokens {
  // Verified access tokens, by their text: a client sends the same token for minutes, and a
  // signature verified once need not be verified again. The key it names is still checked on
  // every request.
  private readonly verified = new TtlCache<string, JWTPayload>(VERIFIED_CACHE_MS, 10_000);
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly signing: SigningKeys,
    private readonly oidc: OidcIssuer,
    private readonly lookups: CredentialLookups,
    private readonly principals: Principals,
  ) {}

  async resolve(token: string, named: string | undefined): Promise<CredentialResolution> {
    // A token verified before is one of ours: no need to decode it to find its issuer.
    const seen = this.remembered(token);
    if (seen) return this.own(seen, named);
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return refusal('it is not a JWT');
    }
    if (issuer === this.config.identity.issuer) {
      let claims: JWTPayload;
      try {
        claims = await this.signing.verify(token, { type: 'at+jwt', audience: this.config.identity.audience });
      } catch (error) {
        return refusal(why(error));
      }
      this.verified.set(token, claims);
      return this.own(claims, named);
    }
    if (this.oidc.configured && issuer === this.config.identity.oidc!.issuer) return this.external(token, named);
    return refusal('it comes from an issuer this AOS does not accept');
  }

  /** The claims of a token verified before, while it has not expired (these exact bytes were checked). */
  private remembered(token: string): JWTPayload | undefined {
    const claims = this.verified.get(token);
    if (claims === undefined || (claims.exp ?? 0) * 1000 + CLOCK_SKEW_MS > Date.now()) return claims;
    this.verified.delete(token);
    return undefined;
  }

  /** A verified access token's principal: the key it names, still live. */
  private async own(claims: JWTPayload, named: string | undefined): Promise<CredentialResolution> {
    const { tenant, key_id: keyId } = claims as { tenant?: unknown; key_id?: unknown };
    if (typeof tenant !== 'string' || !UUID.test(tenant) || typeof keyId !== 'string' || !UUID.test(keyId)) {
      return refusal('it names no tenant and key');
    }
    // Checked on every request (cached 2 s): revoking the key ends its tokens within 5 s everywhere.
    const key = await this.lookups.key(tenant, keyId);
    if (!key) return refusal('its key no longer exists');
    return this.principals.asKey(key, named, true);
  }

  private async external(token: string, named: string | undefined): Promise<CredentialResolution> {
    let claims: JWTPayload;
    try {
      claims = await this.oidc.verify(token);
    } catch (error) {
      return refusal(why(error));
    }
    const oidc = this.config.identity.oidc!;
    // OpenID Connect: at most 255 ASCII characters, never empty; it is stored as the actor's id.
    const sub = claims.sub;
    if (typeof sub !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(sub)) {
      return refusal('its sub claim is not 1 to 255 printable ASCII characters');
    }
    const tenantRef = claims[oidc.tenantClaim];
    if (typeof tenantRef !== 'string' || tenantRef === '') return refusal(`it has no ${oidc.tenantClaim} claim`);
    const tenant = await this.lookups.tenant(tenantRef);
    if (!tenant) return refusal(`its ${oidc.tenantClaim} claim names no tenant of this AOS`);
    if (tenant.status !== TenantStatus.Active) return refusal('its tenant is suspended');
    const refused = await this.principals.namedTenant(named, tenant.id);
    if (refused) return refused;
    const actor: Actor = { tenant_id: tenant.id, kind: ActorKind.User, id: sub };
    return {
      actor,
      tenantId: tenant.id,
      scopes: scopesOf(claims[oidc.scopeClaim]),
      credentialId: `user:${tenant.id}:${sub}`,
      requestsPerMinute: tenant.limits?.requests_per_minute ?? undefined,
    };
  }
}

/** The AOS scopes a claim grants: a space-separated string or a list; anything else is ignored. */
export function scopesOf(claim: unknown): Scope[] {
  const given = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim : [];
  return KEY_SCOPES.filter((s) => given.includes(s));
}

function refusal(reason: string): CredentialRefusal {
  return { status: 401, detail: `Bearer token refused: ${reason}` };
}

/** What the client may be told of a failed verification (never the token, never a key). */
function why(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'it is meant for another audience';
    if (error.claim === 'typ') return 'it is not an access token';
    if (error.claim === 'nbf') return 'it is not valid yet';
    return `its ${error.claim} claim is not acceptable`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'its algorithm is not accepted';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof TokenKeyError || error instanceof AgentTokenError || error instanceof IdTokenError) {
    return error.message;
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'it was signed by a key the issuer does not publish';
  if (error instanceof joseErrors.JOSEError) return 'it is not a valid token';
  return 'its issuer could not be reached to verify it';
}
