import { connectionSecretForms, redactText, redactValue, secretForms } from './redact';

describe('redacting secrets', () => {
  const forms = secretForms('hunter2-secret', ['alice']);

  it('knows the secret as given, in base64, and in SASL PLAIN and Basic form', () => {
    expect(forms).toEqual(
      expect.arrayContaining([
        'hunter2-secret',
        Buffer.from('hunter2-secret').toString('base64'),
        Buffer.from('\0alice\0hunter2-secret').toString('base64'),
        Buffer.from('alice:hunter2-secret').toString('base64'),
      ]),
    );
  });

  it('knows it percent-encoded and in URL-safe base64, as it travels in URLs and tokens', () => {
    const odd = secretForms('p@ss/w+rd?=&>~~', ['alice']);
    const echoed = [
      `GET /login?pw=${encodeURIComponent('p@ss/w+rd?=&>~~')}`,
      `form pw=${new URLSearchParams({ x: 'p@ss/w+rd?=&>~~' }).toString().slice(2)}`,
      `token ${Buffer.from('p@ss/w+rd?=&>~~').toString('base64url')}`,
      `basic ${Buffer.from('alice:p@ss/w+rd?=&>~~').toString('base64url')}`,
    ].join('\n');
    expect(redactText(echoed, odd)).toBe(
      ['GET /login?pw=[redacted]', 'form pw=[redacted]', 'token [redacted]', 'basic [redacted]'].join('\n'),
    );
  });

  it('replaces every form in text and in nested values, keys included', () => {
    const echoed = `535 bad credentials ${Buffer.from('\0alice\0hunter2-secret').toString('base64')} for hunter2-secret`;
    expect(redactText(echoed, forms)).toBe('535 bad credentials [redacted] for [redacted]');
    expect(redactValue({ list: ['x hunter2-secret y'], n: 1, 'hunter2-secret': true }, forms)).toEqual({
      list: ['x [redacted] y'],
      n: 1,
      '[redacted]': true,
    });
  });

  it('leaves values alone when there is nothing to redact', () => {
    const value = { a: 'text' };
    expect(redactValue(value, [])).toBe(value);
  });

  it('knows each header value of a header-auth connection on its own', () => {
    const forms = connectionSecretForms({
      secret: JSON.stringify({ 'X-Api-Key': 'abcd-1234-key', 'X-Other': 'zz-secret-2' }),
      settings: { auth: 'headers' },
    });
    expect(redactText('bad key abcd-1234-key (and zz-secret-2)', forms)).toBe('bad key [redacted] (and [redacted])');
  });
});
