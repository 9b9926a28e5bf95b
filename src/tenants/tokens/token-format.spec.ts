import { looksLikeJwt, mintRefreshToken, parseRefreshToken } from './token-format';

describe('refresh token format', () => {
  it('parses what it mints back into the id and the digest', () => {
    const minted = mintRefreshToken();
    expect(minted.token).toMatch(/^aosr_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseRefreshToken(minted.token)!;
    expect(parsed.id).toBe(minted.id);
    expect(parsed.digest.equals(minted.digest)).toBe(true);
  });

  it('refuses anything else', () => {
    const { token } = mintRefreshToken();
    for (const bad of ['', token.slice(0, -1), `${token}x`, token.replace('aosr_', 'aos_'), `x${token}`]) {
      expect(parseRefreshToken(bad)).toBeUndefined();
    }
  });

  it('tells a JWT from an API key', () => {
    expect(looksLikeJwt('eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln')).toBe(true);
    expect(looksLikeJwt('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toBe(true);
    expect(looksLikeJwt('aos_abcdefghijkl_' + 'a'.repeat(43))).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
  });
});
