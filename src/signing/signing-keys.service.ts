import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { crossTenant } from '../common/db-scope';
import { ServiceUnavailableError } from '../common/domain-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { SecretSealer } from '../secrets/secret-sealer';
import { SigningKeyRow, SigningKeysRepository } from './signing-keys.repository';

/** Ed25519: small keys and signatures, fast to verify, one curve with no parameters to get wrong. */
export const SIGNING_ALG = 'EdDSA';
/** How often an instance reads the keys again (a rotation elsewhere: it signs with the new key after this). */
const RELOAD_MS = 30_000;
/** At most this often, a token naming a kid this instance does not know makes it read the keys again. */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** A retired key verifies this long after its retirement: longer than any token it can have signed lives. */
const KEEP_RETIRED_S = 3_600;

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  createdAt: Date;
  retiredAt: Date | null;
}

export interface SigningKeyInfo {
  kid: string;
  alg: string;
  created_at: string;
  retired_at: string | null;
}

/** What a token is for, in its `typ` header: an API access token, or an agent's proof of itself. */
export type TokenType = 'at+jwt' | 'agent+jwt';

/** Signing needs the sealed private keys: without AOS_SECRET_KEY there are none. */
export class SigningUnavailableError extends ServiceUnavailableError {
  constructor() {
    super(
      'TOKENS.UNAVAILABLE',
      'tokens need AOS_SECRET_KEY (the signing keys are sealed with it); ask the operator to set it',
    );
  }
}

/**
 * The keys AOS signs its tokens with. Every instance reads the same keys from the database (the
 * private halves sealed with AOS_SECRET_KEY), so a token signed by one verifies on all. The
 * newest live key signs; every key live or retired within the hour verifies, and is published at
 * /.well-known/jwks.json for the services an agent calls.
 */
@Injectable()
export class SigningKeys implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeys.name);
  private keys = new Map<string, LoadedKey>();
  private current: LoadedKey | undefined;
  private reloading: Promise<void> | undefined;
  private lastUnknownReload = -Infinity;
  private lastPublishReload = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: SigningKeysRepository,
    private readonly sealer: SecretSealer,
  ) {
    sealer.register(repository);
  }

  get available(): boolean {
    return this.sealer.available;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.sealer.available) {
      this.logger.warn('AOS_SECRET_KEY is not set: no tokens are signed (POST /auth/token answers 503)');
      return;
    }
    await this.reload();
    if (!this.current) {
      await this.store(false);
      await this.reload();
    }
    this.timer = setInterval(() => void this.reload().catch((e: Error) => this.logger.warn(e.message)), RELOAD_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Signs a token of `type` for `audience`, valid `ttlS` seconds, with the newest key. */
  async sign(
    type: TokenType,
    claims: JWTPayload & { sub: string },
    options: { audience: string; ttlS: number },
  ): Promise<{ token: string; expiresAt: Date; jti: string }> {
    const key = this.current;
    if (!key) throw new SigningUnavailableError();
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: type })
      .setIssuer(this.config.identity.issuer)
      .setAudience(options.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + options.ttlS)
      .setJti(jti)
      .sign(key.privateKey);
    return { token, expiresAt: new Date((now + options.ttlS) * 1000), jti };
  }

  /**
   * Verifies a token AOS signed: its signature by one of the keys, the algorithm pinned, `iss`,
   * `aud` and `typ` as given, `exp` and `nbf` with 30 s of skew. Throws jose's errors.
   */
  async verify(token: string, expected: { type: TokenType; audience: string }): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, (header) => this.publicKeyFor(header), {
      algorithms: [SIGNING_ALG],
      issuer: this.config.identity.issuer,
      audience: expected.audience,
      typ: expected.type,
      clockTolerance: 30,
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    return payload;
  }

  /**
   * The public keys, for /.well-known/jwks.json, read again first (at most once a second): a key
   * rotated in on another instance is published here at once, before a verifier that fetches the
   * set through a load balancer could miss it.
   */
  async publishedKeys(): Promise<{ keys: JWK[] }> {
    if (this.sealer.available && performance.now() - this.lastPublishReload >= 1_000) {
      this.lastPublishReload = performance.now();
      // A database that does not answer right now: the keys as last read, rather than no keys.
      await this.reload().catch((e: Error) => this.logger.warn({ error: e.message }, 'signing keys not re-read'));
    }
    return this.jwks();
  }

  /** The public keys as this instance last read them. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.keys.values()].map((k) => ({ ...k.publicJwk, kid: k.kid, alg: SIGNING_ALG, use: 'sig' })) };
  }

  list(): SigningKeyInfo[] {
    return [...this.keys.values()].map((k) => ({
      kid: k.kid,
      alg: SIGNING_ALG,
      created_at: k.createdAt.toISOString(),
      retired_at: k.retiredAt?.toISOString() ?? null,
    }));
  }

  /** A new key signs from now on (here at once, elsewhere within 30 s); the old ones still verify. */
  async rotate(): Promise<SigningKeyInfo> {
    if (!this.sealer.available) throw new SigningUnavailableError();
    const kid = await this.store(true);
    await this.reload();
    this.logger.log({ kid }, 'token signing key rotated');
    return this.list().find((k) => k.kid === kid)!;
  }

  private async store(rotate: boolean): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const sealed = this.sealer.seal(JSON.stringify(await exportJWK(privateKey)), kid);
    await crossTenant('signing-keys', () =>
      this.repository.add(
        {
          kid,
          alg: SIGNING_ALG,
          public_jwk: publicJwk,
          private_ciphertext: sealed.ciphertext,
          private_key_id: sealed.keyId,
        },
        rotate,
        KEEP_RETIRED_S,
      ),
    );
    return kid;
  }

  /** Reads the keys again; concurrent callers share one read. */
  private reload(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        const rows = await crossTenant('signing-keys', () => this.repository.usable(KEEP_RETIRED_S));
        const keys = new Map<string, LoadedKey>();
        for (const row of rows) {
          // A key already known keeps its parsed form; its retirement may be news.
          const key = this.keys.get(row.kid) ?? (await this.load(row));
          key.retiredAt = row.retired_at === null ? null : new Date(row.retired_at);
          keys.set(row.kid, key);
        }
        this.keys = keys;
        this.current = [...keys.values()].find((k) => k.retiredAt === null);
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  private async load(row: SigningKeyRow): Promise<LoadedKey> {
    const privateJwk = JSON.parse(
      this.sealer.open({ ciphertext: row.private_ciphertext, keyId: row.private_key_id }, row.kid),
    ) as JWK;
    return {
      kid: row.kid,
      publicJwk: row.public_jwk,
      publicKey: (await importJWK(row.public_jwk as JWK, SIGNING_ALG)) as CryptoKey,
      privateKey: (await importJWK(privateJwk, SIGNING_ALG)) as CryptoKey,
      createdAt: new Date(row.created_at),
      retiredAt: row.retired_at === null ? null : new Date(row.retired_at),
    };
  }

  private async publicKeyFor(header: JWTHeaderParameters): Promise<CryptoKey> {
    const kid = header.kid;
    if (typeof kid !== 'string') throw new TokenKeyError('the token names no kid');
    let key = this.keys.get(kid);
    // Rotated on another instance since this one last read the keys.
    if (!key && performance.now() - this.lastUnknownReload >= UNKNOWN_KID_RELOAD_MS) {
      this.lastUnknownReload = performance.now();
      await this.reload();
      key = this.keys.get(kid);
    }
    if (!key) throw new TokenKeyError('the token was signed by a key this AOS does not have');
    return key.publicKey;
  }
}

/** The token names no key, or one AOS does not have (never signed here, or retired over an hour ago). */
export class TokenKeyError extends Error {
  override readonly name = 'TokenKeyError';
}
