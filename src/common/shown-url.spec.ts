import { shown } from './shown-url';

describe('URLs in errors', () => {
  it('leave out user info and the query string', () => {
    expect(shown(new URL('https://user:pass@api.example.com:8443/v1/items?token=secret#x'))).toBe(
      'https://api.example.com:8443/v1/items?…',
    );
    expect(shown(new URL('http://example.com/'))).toBe('http://example.com/');
  });
});
