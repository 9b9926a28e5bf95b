import { Inject, Injectable, Logger } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';

/** A key the issuer rotated in is looked for again at most this often (jose's cooldown). */
const JWKS_COOLDOWN_MS = 5_000;
const FETCH_TIMEOUT_MS = 5_000;
/** After a failed discovery, the next request tries again no sooner than this. */
const DISCOVERY_RETRY_MS = 5_000;
/** A discovery document is a few kilobytes; anything far larger is not one. */
const MAX_DISCOVERY_CHARS = 1_000_000;

/**
 * The external OpenID Connect issuer (AOS_OIDC_ISSUER): its keys found through its discovery
 * document, then fetched and cached by jose (fetched again when a token names a key it does not
 * have). Operator-configured, so its addresses are not subject to the SSRF policy.
 */
@Injectable()
export class OidcIssuer {
  private readonly logger = new Logger(OidcIssuer.name);
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  private failedAt = -Infinity;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get configured(): boolean {
    return this.config.identity.oidc !== undefined;
  }

  /** Verifies an issuer's token: signature, pinned algorithms, iss, aud, exp and nbf with 30 s of skew, sub. */
  async verify(token: string): Promise<JWTPayload> {
    const oidc = this.config.identity.oidc!;
    const { payload, protectedHeader } = await jwtVerify(token, await this.keys(), {
      issuer: oidc.issuer,
      audience: oidc.audience,
      algorithms: oidc.algorithms,
      clockTolerance: 30,
      requiredClaims: ['exp', 'sub'],
    });
    // An agent's token is never a user's, whoever signed it.
    if (typeof protectedHeader.typ === 'string' && /agent\+jwt$/i.test(protectedHeader.typ)) {
      throw new AgentTokenError();
    }
    // An ID token says who signed in to a client, not what may be done: never a credential.
    if (
      payload.nonce !== undefined ||
      (typeof protectedHeader.typ === 'string' && /^id\+jwt$/i.test(protectedHeader.typ))
    ) {
      throw new IdTokenError();
    }
    return payload;
  }

  private async keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return this.jwks;
    if (performance.now() - this.failedAt < DISCOVERY_RETRY_MS) throw new Error('issuer discovery failed recently');
    this.discovering ??= this.discover().finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const issuer = this.config.identity.oidc!.issuer;
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      const text = await response.text();
      if (text.length > MAX_DISCOVERY_CHARS) throw new Error(`${url} is larger than ${MAX_DISCOVERY_CHARS} characters`);
      const document = JSON.parse(text) as { issuer?: unknown; jwks_uri?: unknown };
      if (document.issuer !== issuer) throw new Error(`${url} names issuer ${String(document.issuer)}, not ${issuer}`);
      if (typeof document.jwks_uri !== 'string' || !/^https?:\/\//.test(document.jwks_uri)) {
        throw new Error(`${url} names no http(s) jwks_uri`);
      }
      this.jwks = createRemoteJWKSet(new URL(document.jwks_uri), {
        timeoutDuration: FETCH_TIMEOUT_MS,
        cooldownDuration: JWKS_COOLDOWN_MS,
      });
      this.logger.log({ issuer, jwks_uri: document.jwks_uri }, 'identity provider discovered');
      return this.jwks;
    } catch (error) {
      this.failedAt = performance.now();
      this.logger.warn({ issuer, error: (error as Error).message }, 'identity provider discovery failed');
      throw error;
    }
  }
}

/** A token typed as an agent's (`agent+jwt`): never a user's credential. */
export class AgentTokenError extends Error {
  override readonly name = 'AgentTokenError';
  constructor() {
    super('it is an agent token, not an access token');
  }
}

/** An OpenID Connect ID token (it carries a `nonce`, or says `id+jwt`): proof of a sign-in, not an access token. */
export class IdTokenError extends Error {
  override readonly name = 'IdTokenError';
  constructor() {
    super('it is an ID token, not an access token');
  }
}
