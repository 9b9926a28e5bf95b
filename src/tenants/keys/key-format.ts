import { hash, randomBytes } from 'node:crypto';

/** `aos_` + a visible prefix (12 of [a-z0-9]) + `_` + a 256-bit secret (43 base64url characters). */
const KEY = /^aos_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface MintedKey {
  /** The whole key, shown once. */
  key: string;
  /** Visible, stored, listed: finds the key. */
  prefix: string;
  /** SHA-256 of the secret: what is stored to prove it. */
  digest: Buffer;
}

export function mintKey(): MintedKey {
  const bytes = randomBytes(12);
  const prefix = Array.from(bytes, (b) => PREFIX_ALPHABET[b % PREFIX_ALPHABET.length]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { key: `aos_${prefix}_${secret}`, prefix, digest: secretDigest(secret) };
}

/** SHA-256, one-shot (no Hash object per request): of a key's secret, or of the operator key. */
export function secretDigest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** The prefix and secret of something shaped like a tenant key, or undefined. */
export function parseKey(presented: string): { prefix: string; secret: string } | undefined {
  const match = KEY.exec(presented);
  return match ? { prefix: match[1], secret: match[2] } : undefined;
}
