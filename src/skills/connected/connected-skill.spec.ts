import { SkillError } from '../skill';
import { protocolError } from './connected-skill';

describe('a protocol failure as a skill error', () => {
  it('says what the IMAP server said, never [object Object]', () => {
    const error = Object.assign(new Error('Command failed'), {
      response: { tag: '2', command: 'NO' },
      responseText: 'Authentication failed.',
      serverResponseCode: 'AUTHENTICATIONFAILED',
    });
    const e = protocolError('searching INBOX', error);
    expect(e.message).toBe('searching INBOX failed: [AUTHENTICATIONFAILED] Authentication failed.');
    expect(e.message).not.toContain('[object Object]');
  });

  it('keeps the code, and lets network failures and SMTP 4xx pass as retryable', () => {
    const refused = protocolError(
      'sending',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    expect(refused.message).toBe('sending failed: ECONNREFUSED: connect ECONNREFUSED');
    expect(refused).toBeInstanceOf(SkillError);
    expect(refused.retryable).toBe(true);
    const busy = protocolError(
      'sending',
      Object.assign(new Error('Message failed'), { response: '451 4.3.0 try later', responseCode: 451 }),
    );
    expect(busy.message).toBe('sending failed: 451 4.3.0 try later');
    expect(busy.retryable).toBe(true);
    const refusedLogin = Object.assign(new Error('Command failed'), { responseText: 'Authentication failed.' });
    expect(protocolError('searching', refusedLogin).retryable).toBe(false);
  });

  it('looks behind a bare fetch failure (CalDAV over undici) for the code', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const e = protocolError('listing events', new TypeError('fetch failed', { cause }));
    expect(e.message).toBe('listing events failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9');
    expect(e.retryable).toBe(true);
  });
});
