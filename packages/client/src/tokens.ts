import { AosApiError } from './errors.js';
import type { TokenGrant, TokenRequest } from './types.js';

export interface TokenOptions {
  /**
   * Refresh the access token this long before it expires. Default: a minute, or a quarter of the
   * token's lifetime when that is shorter (7.5 s of a 30 s token).
   */
  refreshBeforeMs?: number;
}

const DEFAULT_REFRESH_BEFORE_MS = 60_000;

/** A held pair: the access token, the refresh token that renews it, and when each runs out. */
interface Held {
  access: string;
  /** When the access token expires, by this machine's clock (asked at + `expires_in`). */
  expiresAt: number;
  /** When it is renewed: `refreshBeforeMs` before it expires. */
  renewAt: number;
  refresh: string;
  refreshExpiresAt: number;
}

/**
 * The server refused the grant itself: a spent, revoked or expired refresh token, or a key that
 * is wrong, revoked or not a tenant's. Anything else (no answer, a 503) says nothing about it.
 */
export const isInvalidGrant = (error: unknown): boolean =>
  error instanceof AosApiError &&
  error.status === 400 &&
  (error.body as { error?: unknown } | null)?.error === 'invalid_grant';

/**
 * The access token of one API key: exchanged at POST /auth/token when first needed, renewed with
 * the refresh token shortly before it expires, and from the key again when the refresh token is
 * refused (spent elsewhere, revoked, expired). One exchange at a time: concurrent callers share it.
 * Renewal happens when a token is asked for, never on a timer (nothing keeps a process alive).
 */
export class TokenSession {
  private held: Held | undefined;
  private pending: Promise<Held> | undefined;

  constructor(
    private readonly exchange: (request: TokenRequest) => Promise<TokenGrant>,
    private readonly apiKey: string,
    private readonly options: TokenOptions = {},
  ) {}

  /**
   * A current access token. One that is due for renewal but not expired is still handed out when
   * the renewal fails for want of an answer (a restart, a 503): it works until it expires.
   */
  async current(): Promise<string> {
    const held = this.held;
    if (held && Date.now() < held.renewAt) return held.access;
    try {
      return (await this.renew()).access;
    } catch (error) {
      if (held && this.held === held && Date.now() < held.expiresAt && !isInvalidGrant(error)) return held.access;
      throw error;
    }
  }

  /**
   * Another token after the server refused `refused` (401): the one a concurrent renewal got, or
   * a renewal of its own.
   */
  async replace(refused: string): Promise<string> {
    if (this.pending) return (await this.pending).access;
    if (this.held && this.held.access !== refused) return this.current();
    return (await this.renew()).access;
  }

  private renew(): Promise<Held> {
    this.pending ??= this.obtain().then(
      (held) => {
        this.held = held;
        this.pending = undefined;
        return held;
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }

  private async obtain(): Promise<Held> {
    const held = this.held;
    if (held && Date.now() < held.refreshExpiresAt) {
      const asked = Date.now();
      try {
        return this.hold(await this.exchange({ grant_type: 'refresh_token', refresh_token: held.refresh }), asked);
      } catch (error) {
        // Spent (by whoever else holds it: its family is now revoked), revoked or expired: the key
        // starts a new family. Any other failure is the caller's to see.
        if (!isInvalidGrant(error)) throw error;
      }
    }
    const asked = Date.now();
    return this.hold(await this.exchange({ grant_type: 'api_key', api_key: this.apiKey }), asked);
  }

  private hold(grant: TokenGrant, asked: number): Held {
    const lifetimeMs = grant.expires_in * 1000;
    const before = this.options.refreshBeforeMs ?? Math.min(DEFAULT_REFRESH_BEFORE_MS, lifetimeMs / 4);
    return {
      access: grant.access_token,
      expiresAt: asked + lifetimeMs,
      renewAt: asked + lifetimeMs - before,
      refresh: grant.refresh_token,
      refreshExpiresAt: asked + grant.refresh_token_expires_in * 1000,
    };
  }
}
