import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { ActorKind } from '../../common/actor';
import { crossTenant } from '../../common/db-scope';
import { isRefusal } from '../../common/principal';
import type { Scope } from '../../common/scopes';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Transactions } from '../../database/transactions';
import { SigningKeys, SigningUnavailableError } from '../../signing/signing-keys.service';
import { API_KEY_HEADER } from '../../common/credential-check';
import { CredentialResolver } from '../auth/credential-resolver';
import { ApiKeysRepository } from '../keys/api-keys.repository';
import { TenantStatus } from '../tenant-status.enum';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { mintRefreshToken, parseRefreshToken } from './token-format';
import { OAuthError } from './tokens.errors';
import type { TokenResponseDto } from './dto/token.dto';

const GRANT_TYPES = ['api_key', 'refresh_token'];
/** Live refresh families one key may hold (each exchange of the key starts one). */
const MAX_FAMILIES = 100;
/** Spent tokens kept per family, so presenting one of them still revokes the family. */
const KEEP_SPENT = 16;

/** The claims of an access token beyond the registered ones: what the credential check reads back. */
export interface AccessClaims extends Record<string, unknown> {
  sub: string;
  tenant: string;
  key_id: string;
  client_id: string;
  scope: string;
}

/**
 * The token endpoint's work: an API key, or a refresh token, exchanged for a short-lived access
 * JWT and a new single-use refresh token. A refresh token presented twice revokes its family.
 */
@Injectable()
export class TokensService {
  private readonly logger = new Logger(TokensService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly signing: SigningKeys,
    private readonly credentials: CredentialResolver,
    private readonly keys: ApiKeysRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly transactions: Transactions,
  ) {}

  async grant(body: unknown): Promise<TokenResponseDto> {
    const params = requestParams(body);
    if (!this.signing.available) {
      throw new OAuthError('temporarily_unavailable', 'tokens need AOS_SECRET_KEY; ask the operator to set it');
    }
    if (params.scope !== undefined) {
      // Narrowing would need the family to remember it; a key with fewer scopes does the same.
      throw new OAuthError(
        'invalid_scope',
        "scope is not taken: a token has its key's scopes (mint a key with fewer scopes to narrow them)",
      );
    }
    switch (params.grant_type) {
      case 'api_key':
        return this.fromKey(required(params, 'api_key'));
      case 'refresh_token':
        return this.fromRefresh(required(params, 'refresh_token'));
      default:
        throw new OAuthError(
          'unsupported_grant_type',
          `grant_type must be one of: ${GRANT_TYPES.join(', ')} (got ${JSON.stringify(params.grant_type.slice(0, 40))})`,
        );
    }
  }

  private async fromKey(apiKey: string): Promise<TokenResponseDto> {
    const resolved = await this.credentials.resolve({ [API_KEY_HEADER]: apiKey });
    if (isRefusal(resolved)) throw new OAuthError('invalid_grant', resolved.detail);
    if (resolved.actor.kind !== ActorKind.Key) {
      throw new OAuthError(
        'invalid_grant',
        'only tenant API keys are exchanged for tokens; send the operator key as it is',
      );
    }
    const refresh = mintRefreshToken();
    const tenantId = resolved.tenantId;
    const keyId = resolved.actor.id;
    return crossTenant('tokens', () =>
      this.transactions.run(async (m) => {
        // A key holds at most MAX_FAMILIES live families: the oldest ends as a new one begins.
        await this.refreshTokens.capFamilies(m, tenantId, keyId, MAX_FAMILIES - 1);
        const refreshExpires = await this.refreshTokens.insert(m, {
          tenantId,
          id: refresh.id,
          familyId: randomUUID(),
          keyId,
          digest: refresh.digest,
          ttlS: this.config.identity.refreshTtlS,
        });
        // Signed before the commit: a failure to sign leaves no refresh token behind.
        return this.response({ tenantId, keyId, scopes: resolved.scopes }, refresh.token, refreshExpires);
      }),
    );
  }

  private async fromRefresh(presented: string): Promise<TokenResponseDto> {
    const parsed = parseRefreshToken(presented);
    if (!parsed) throw new OAuthError('invalid_grant', 'refresh_token is not a refresh token of this AOS');
    const next = mintRefreshToken();
    type Outcome = { refused: string } | { response: TokenResponseDto };
    const outcome = await crossTenant('tokens', () =>
      this.transactions.run(async (m): Promise<Outcome> => {
        const row = await this.refreshTokens.lock(m, parsed.id);
        if (!row || row.digest.length !== parsed.digest.length || !timingSafeEqual(row.digest, parsed.digest)) {
          return { refused: 'refresh_token is not a refresh token of this AOS' };
        }
        if (row.revoked_at !== null) return { refused: 'refresh_token was revoked' };
        if (row.used_at !== null) {
          // Two holders of one token: the family ends, for the thief and the owner alike.
          await this.refreshTokens.revokeFamily(m, row);
          this.logger.warn(
            { tenant_id: row.tenant_id, key_id: row.key_id },
            'refresh token reused: its family is revoked',
          );
          return { refused: 'refresh_token was already used: every token of its family is revoked' };
        }
        if (new Date(row.expires_at).getTime() <= Date.now()) return { refused: 'refresh_token expired' };
        const key = await this.keys.byId(row.tenant_id, row.key_id);
        const keyProblem = !key
          ? 'its API key no longer exists'
          : key.revoked_at !== null
            ? 'its API key was revoked'
            : key.expires_at !== null && new Date(key.expires_at).getTime() <= Date.now()
              ? 'its API key expired'
              : key.tenant_status !== (TenantStatus.Active as string)
                ? "its key's tenant is suspended"
                : undefined;
        if (keyProblem) return { refused: `refresh_token is no longer valid: ${keyProblem}` };
        await this.refreshTokens.markUsed(m, row);
        // Spent tokens are kept to catch a reuse, the most recent ones only: a family refreshed
        // every 15 minutes for a month would otherwise hold thousands.
        await this.refreshTokens.trimFamily(m, row, KEEP_SPENT);
        const expires = await this.refreshTokens.insert(m, {
          tenantId: row.tenant_id,
          id: next.id,
          familyId: row.family_id,
          keyId: row.key_id,
          digest: next.digest,
          ttlS: this.config.identity.refreshTtlS,
        });
        // Signed before the commit: a failure to sign must not spend the presented token.
        const who = { tenantId: row.tenant_id, keyId: row.key_id, scopes: key!.scopes };
        return { response: await this.response(who, next.token, expires) };
      }),
    );
    if ('refused' in outcome) throw new OAuthError('invalid_grant', outcome.refused);
    return outcome.response;
  }

  private async response(
    who: { tenantId: string; keyId: string; scopes: readonly Scope[] },
    refreshToken: string,
    refreshExpires: Date,
  ): Promise<TokenResponseDto> {
    const ttlS = this.config.identity.accessTtlS;
    const scope = who.scopes.join(' ');
    const claims: AccessClaims = {
      sub: `key:${who.keyId}`,
      tenant: who.tenantId,
      key_id: who.keyId,
      client_id: who.keyId,
      scope,
    };
    let token: string;
    try {
      ({ token } = await this.signing.sign('at+jwt', claims, { audience: this.config.identity.audience, ttlS }));
    } catch (error) {
      if (error instanceof SigningUnavailableError) throw new OAuthError('temporarily_unavailable', error.message);
      throw error;
    }
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: ttlS,
      refresh_token: refreshToken,
      refresh_token_expires_in: Math.max(0, Math.round((new Date(refreshExpires).getTime() - Date.now()) / 1000)),
      scope,
    };
  }
}

/** The request's parameters, JSON or form: each a single string (RFC 6749: no parameter twice). */
function requestParams(body: unknown): Record<string, string> & { grant_type: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'the body must be a JSON object or a form with grant_type');
  }
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `${name.slice(0, 40)} is given more than once`);
    if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name.slice(0, 40)} must be a string`);
    params[name] = value;
  }
  if (params.grant_type === undefined || params.grant_type === '') {
    throw new OAuthError('invalid_request', `grant_type is required (${GRANT_TYPES.join(' or ')})`);
  }
  return params as Record<string, string> & { grant_type: string };
}

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') {
    throw new OAuthError('invalid_request', `${name} is required with grant_type=${params.grant_type}`);
  }
  return value;
}
