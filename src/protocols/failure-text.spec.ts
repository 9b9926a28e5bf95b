import { storable } from '../common/storable';
import { failureText } from './failure-text';

describe('what a protocol failure says', () => {
  it('prefers the IMAP server’s text over imapflow’s parsed response object', () => {
    const error = Object.assign(new Error('Command failed'), {
      response: { tag: '3', command: 'NO', attributes: [] },
      responseText: "Mailbox doesn't exist: Nope",
      serverResponseCode: 'NONEXISTENT',
    });
    expect(failureText(error)).toBe("[NONEXISTENT] Mailbox doesn't exist: Nope");
  });

  it('takes a response that is text (imapflow after login, nodemailer), else the message', () => {
    expect(
      failureText(Object.assign(new Error('Invalid login'), { response: '535 5.7.8 Authentication failed' })),
    ).toBe('535 5.7.8 Authentication failed');
    expect(failureText(Object.assign(new Error('Command failed'), { response: false }))).toBe('Command failed');
    expect(failureText(Object.assign(new Error('Connection closed'), { response: { a: 1 } }))).toBe(
      'Connection closed',
    );
    expect(failureText('plain')).toBe('plain');
    expect(failureText({})).toBe('unknown error');
  });

  it('is storable: no NUL, and a cut never leaves half a surrogate pair', () => {
    expect(failureText(new Error('bad\u0000 thing'))).toBe('bad thing');
    expect(storable('ab😀', 3)).toBe('ab\uFFFD');
    expect(storable('ab😀', 4)).toBe('ab😀');
  });

  it("reads undici's cause behind a bare 'fetch failed'", () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(failureText(new TypeError('fetch failed', { cause: refused }))).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(failureText(new TypeError('fetch failed'))).toBe('fetch failed');
  });
});
