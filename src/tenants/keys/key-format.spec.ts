import { mintKey, parseKey, secretDigest } from './key-format';

describe('tenant key format', () => {
  it('mints aos_ + a 12-character prefix + a 256-bit secret whose digest is stored', () => {
    const minted = mintKey();
    expect(minted.key).toMatch(/^aos_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseKey(minted.key)!;
    expect(parsed.prefix).toBe(minted.prefix);
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32);
    expect(secretDigest(parsed.secret).equals(minted.digest)).toBe(true);
    expect(mintKey().prefix).not.toBe(minted.prefix);
  });

  it('refuses anything else', () => {
    for (const bad of [
      '',
      'aos_',
      'aos_ABCDEFGHIJKL_' + 'a'.repeat(43),
      'aos_abcdefghijkl_short',
      'key_abcdefghijkl_' + 'a'.repeat(43),
    ]) {
      expect(parseKey(bad)).toBeUndefined();
    }
  });
});
