import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A secret as stored: AES-256-GCM ciphertext and the id of the key that sealed it. */
export interface SealedSecret {
  ciphertext: string;
  keyId: string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
/** GCM's full tag: a shorter one would be accepted by default, and is far easier to forge. */
const TAG_BYTES = 16;

/** A short public name of a key (not the key): which one sealed a row, without revealing it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('aos-secret-key-id:').update(key).digest('hex').slice(0, 16);
}

/**
 * Seals `plaintext` with AES-256-GCM under `key`: a fresh 96-bit IV, the 128-bit tag, and `aad`
 * (the connection's id) authenticated with it, so a ciphertext copied onto another row does not
 * open there. Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url).
 */
export function seal(plaintext: string, key: Buffer, aad: string): SealedSecret {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
  return { ciphertext: [VERSION, ...parts].join('.'), keyId: keyIdOf(key) };
}

/** The stored secret's key is none of the configured ones, or the ciphertext was tampered with. */
export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
}

/** Opens a sealed secret with whichever of `keys` sealed it. */
export function open(sealed: SealedSecret, keys: readonly Buffer[], aad: string): string {
  const key = keys.find((k) => keyIdOf(k) === sealed.keyId);
  if (!key) throw new SecretUnreadableError(`sealed with key ${sealed.keyId}, which is not configured`);
  const [version, iv, body, tag] = sealed.ciphertext.split('.');
  if (version !== VERSION || !iv || body === undefined || !tag) throw new SecretUnreadableError('not a sealed secret');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (tagBytes.length !== TAG_BYTES) throw new SecretUnreadableError('does not authenticate (a truncated tag)');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    // Never the library's message: nothing about the material reaches logs or errors.
    throw new SecretUnreadableError('does not authenticate (wrong key or altered ciphertext)');
  }
}
