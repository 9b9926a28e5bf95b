import { Injectable } from '@nestjs/common';
import type { SealedSecret } from '../secrets/secret-box';
import { SecretSealer } from '../secrets/secret-sealer';
import { newWebhookSecret, signingSecrets } from './webhook-signing';
import type { SealedWebhookSecrets, WebhookEntity } from './webhook.entity';
import { WebhooksRepository } from './webhooks.repository';

// The previous secret is sealed under its own associated data, so neither can stand in for the other.
const previousAad = (id: string) => `${id}:previous`;

/**
 * A webhook's signing secrets, sealed at rest with AOS_SECRET_KEY like connection secrets: sealed
 * when made or rotated, opened for each signature. Secrets stored in the clear before sealing
 * existed are sealed at the next start (the SecretSealer's store below).
 */
@Injectable()
export class WebhookSecrets {
  constructor(
    private readonly sealer: SecretSealer,
    webhooks: WebhooksRepository,
  ) {
    sealer.register({
      what: 'webhook secrets',
      keyIds: () => webhooks.secretKeyIds(),
      resealFrom: (keyId, limit, reseal) =>
        webhooks.resealSecrets(keyId, limit, (w) => {
          const current = reseal({ ciphertext: w.secretCiphertext!, keyId }, w.id);
          return {
            secretCiphertext: current.ciphertext,
            previousSecretCiphertext: w.previousSecretCiphertext
              ? reseal({ ciphertext: w.previousSecretCiphertext, keyId }, previousAad(w.id)).ciphertext
              : null,
            secretKeyId: current.keyId,
          };
        }),
      hasPlaintext: () => webhooks.anyPlaintextSecret(),
      sealPlaintext: (limit, seal) =>
        webhooks.sealPlaintextSecrets(limit, (w) => {
          const current = seal(w.secret!, w.id);
          return {
            secretCiphertext: current.ciphertext,
            previousSecretCiphertext: w.previousSecret ? seal(w.previousSecret, previousAad(w.id)).ciphertext : null,
            secretKeyId: current.keyId,
          };
        }),
    });
  }

  get available(): boolean {
    return this.sealer.available;
  }

  /** A new secret for webhook `id`: in the clear (shown once) and sealed (stored). */
  create(id: string): { secret: string; sealed: SealedWebhookSecrets } {
    const secret = newWebhookSecret();
    const sealed = this.sealer.seal(secret, id);
    return {
      secret,
      sealed: { secretCiphertext: sealed.ciphertext, previousSecretCiphertext: null, secretKeyId: sealed.keyId },
    };
  }

  /** A rotation: a new secret, and the current one sealed again as the previous (it keeps signing for a while). */
  rotate(webhook: WebhookEntity): { secret: string; sealed: SealedWebhookSecrets } {
    const current = this.open(webhook).current;
    const secret = newWebhookSecret();
    const sealed = this.sealer.seal(secret, webhook.id);
    return {
      secret,
      sealed: {
        secretCiphertext: sealed.ciphertext,
        previousSecretCiphertext: this.sealer.seal(current, previousAad(webhook.id)).ciphertext,
        secretKeyId: sealed.keyId,
      },
    };
  }

  /** The secrets that sign an attempt now: the current one, and the previous during its grace period. */
  signing(webhook: WebhookEntity, now: Date): string[] {
    const { current, previous } = this.open(webhook);
    return signingSecrets(
      { secret: current, previousSecret: previous, previousSecretExpiresAt: webhook.previousSecretExpiresAt },
      now,
    );
  }

  private open(webhook: WebhookEntity): { current: string; previous: string | null } {
    // Not sealed yet (a row from before sealing that this start has not reached): as stored.
    if (webhook.secretCiphertext === null || webhook.secretKeyId === null) {
      return { current: webhook.secret ?? '', previous: webhook.previousSecret };
    }
    const sealed = (ciphertext: string): SealedSecret => ({ ciphertext, keyId: webhook.secretKeyId! });
    return {
      current: this.sealer.open(sealed(webhook.secretCiphertext), webhook.id),
      previous: webhook.previousSecretCiphertext
        ? this.sealer.open(sealed(webhook.previousSecretCiphertext), previousAad(webhook.id))
        : null,
    };
  }
}
