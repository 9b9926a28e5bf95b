import { randomBytes, randomUUID } from 'node:crypto';
import { secretDigest } from '../keys/key-format';

/** `aosr_` + the token's id (32 hex) + `_` + a 256-bit secret (43 base64url characters). */
const REFRESH = /^aosr_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface MintedRefreshToken {
  token: string;
  id: string;
  digest: Buffer;
}

export function mintRefreshToken(): MintedRefreshToken {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { token: `aosr_${id.replaceAll('-', '')}_${secret}`, id, digest: secretDigest(secret) };
}

/** The id and the secret's digest of something shaped like a refresh token, or undefined. */
export function parseRefreshToken(presented: string): { id: string; digest: Buffer } | undefined {
  const match = REFRESH.exec(presented);
  if (!match) return undefined;
  const hex = match[1];
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, digest: secretDigest(match[2]) };
}

/** A compact JWS (three base64url parts), as opposed to an API key presented as a bearer token. */
export function looksLikeJwt(presented: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(presented);
}
