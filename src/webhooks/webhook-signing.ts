import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The secrets that sign now: the current one, and the previous one during its grace period. */
export function signingSecrets(
  w: { secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null },
  now: Date,
): string[] {
  const previousLive =
    w.previousSecret !== null && w.previousSecretExpiresAt !== null && w.previousSecretExpiresAt > now;
  return previousLive ? [w.secret, w.previousSecret!] : [w.secret];
}

/**
 * The three Standard Webhooks headers of one attempt: `webhook-signature` holds one
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per live secret, space-separated, so a
 * receiver that still has the previous secret keeps verifying during a rotation.
 */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: Date,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, timestamp, body)).join(' '),
  };
}
