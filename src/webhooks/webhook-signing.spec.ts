import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signedHeaders, signingSecrets } from './webhook-signing';

describe('webhook signing', () => {
  const body = JSON.stringify({ id: 42, type: 'run.completed' });
  const at = new Date('2026-11-27T10:00:00.500Z');

  it('makes whsec_ secrets of 32 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it('signs base64 HMAC-SHA256 of "id.timestamp.body" with each live secret', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signedHeaders([current, previous], '42', at, body);
    expect(headers['webhook-id']).toBe('42');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    const expected = [current, previous].map(
      (s) =>
        'v1,' +
        createHmac('sha256', Buffer.from(s.slice(6), 'base64'))
          .update(`42.${headers['webhook-timestamp']}.${body}`)
          .digest('base64'),
    );
    expect(headers['webhook-signature']).toBe(expected.join(' '));
  });

  it('verifies with the reference library under either secret during a rotation', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signedHeaders([current, previous], '7', new Date(), body);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow('No matching signature');
  });

  it('keeps signing with the previous secret only until it expires', () => {
    const w = { secret: 'whsec_new', previousSecret: 'whsec_old', previousSecretExpiresAt: new Date(at.getTime() + 1) };
    expect(signingSecrets(w, at)).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(w, new Date(at.getTime() + 1))).toEqual(['whsec_new']);
    expect(signingSecrets({ ...w, previousSecret: null, previousSecretExpiresAt: null }, at)).toEqual(['whsec_new']);
  });
});
