import { randomBytes } from 'node:crypto';
import { keyIdOf, open, seal, SecretUnreadableError } from './secret-box';

describe('secret box (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const other = randomBytes(32);

  it('seals to ciphertext that holds no trace of the plaintext, and opens it again', () => {
    const sealed = seal('hunter2-correct-horse', key, 'connection-1');
    expect(sealed.keyId).toBe(keyIdOf(key));
    expect(sealed.ciphertext).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(sealed.ciphertext).not.toContain('hunter2');
    expect(Buffer.from(sealed.ciphertext.split('.')[2], 'base64url').toString('latin1')).not.toContain('hunter2');
    expect(open(sealed, [key], 'connection-1')).toBe('hunter2-correct-horse');
  });

  it('uses a fresh IV each time: the same secret seals differently', () => {
    expect(seal('same', key, 'c').ciphertext).not.toBe(seal('same', key, 'c').ciphertext);
  });

  it('opens with the key that sealed it among several (rotation), and refuses the others', () => {
    const sealed = seal('s3cret', other, 'c');
    expect(open(sealed, [key, other], 'c')).toBe('s3cret');
    expect(() => open(sealed, [key], 'c')).toThrow(SecretUnreadableError);
  });

  it('refuses a ciphertext moved to another row, altered, or sealed under a key with a forged id', () => {
    const sealed = seal('s3cret', key, 'c1');
    expect(() => open(sealed, [key], 'c2')).toThrow('does not authenticate');
    const [v, iv, body, tag] = sealed.ciphertext.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(() =>
      open({ ...sealed, ciphertext: [v, iv, flipped.toString('base64url'), tag].join('.') }, [key], 'c1'),
    ).toThrow(SecretUnreadableError);
    expect(() => open({ ciphertext: seal('x', other, 'c1').ciphertext, keyId: keyIdOf(key) }, [key], 'c1')).toThrow(
      'does not authenticate',
    );
    expect(() => open({ ciphertext: 'plain text', keyId: keyIdOf(key) }, [key], 'c1')).toThrow('not a sealed secret');
  });

  it('refuses a truncated tag (GCM would check only the bytes given)', () => {
    const sealed = seal('s3cret', key, 'c1');
    const [v, iv, body, tag] = sealed.ciphertext.split('.');
    for (const bytes of [4, 8, 12, 15]) {
      const short = Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url');
      expect(() => open({ ...sealed, ciphertext: [v, iv, body, short].join('.') }, [key], 'c1')).toThrow(
        SecretUnreadableError,
      );
    }
    expect(open(sealed, [key], 'c1')).toBe('s3cret');
  });

  it('names a key by an id that does not reveal it', () => {
    expect(keyIdOf(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(key)).not.toBe(keyIdOf(other));
    expect(key.toString('hex')).not.toContain(keyIdOf(key));
  });
});
