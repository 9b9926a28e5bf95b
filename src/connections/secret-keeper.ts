import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigError, type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { ConnectionEntity } from './connection.entity';
import { SecretKeyMissingError } from './connections.errors';
import { ConnectionsRepository } from './connections.repository';
import { keyIdOf, open, seal, SealedSecret } from './secret-box';

const RESEAL_BATCH = 200;

/**
 * Seals and opens connection secrets with AOS_SECRET_KEY (and AOS_SECRET_KEY_PREVIOUS during a
 * rotation). At start it refuses to run when a stored secret was sealed with a key it does not
 * have — a wrong key must stop the start with a clear line, never open into garbage — and seals
 * again, with the current key, every secret still under the previous one.
 */
@Injectable()
export class SecretKeeper implements OnApplicationBootstrap {
  private readonly logger = new Logger(SecretKeeper.name);
  private readonly key: Buffer | undefined;
  private readonly keys: Buffer[];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly connections: ConnectionsRepository,
  ) {
    this.key = config.secrets.key;
    this.keys = [config.secrets.key, config.secrets.previousKey].filter((k): k is Buffer => k !== undefined);
  }

  async onApplicationBootstrap(): Promise<void> {
    const stored = await this.connections.keyIds();
    if (stored.length === 0) return;
    if (!this.key) {
      throw new ConfigError(
        'connections hold sealed secrets, but AOS_SECRET_KEY is not set: set it to the key they were sealed with',
      );
    }
    const known = new Set(this.keys.map(keyIdOf));
    const unknown = stored.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new ConfigError(
        `AOS_SECRET_KEY does not open the stored connection secrets (sealed with key ${unknown.join(', ')}, ` +
          `this instance has ${[...known].join(', ')}); to rotate, set the old key as AOS_SECRET_KEY_PREVIOUS`,
      );
    }
    await this.resealPrevious();
  }

  get available(): boolean {
    return this.key !== undefined;
  }

  seal(plaintext: string, connectionId: string): SealedSecret {
    if (!this.key) throw new SecretKeyMissingError();
    return seal(plaintext, this.key, connectionId);
  }

  /** The connection's secret in the clear, or undefined when it has none. */
  open(connection: Pick<ConnectionEntity, 'id' | 'secretCiphertext' | 'secretKeyId'>): string | undefined {
    if (connection.secretCiphertext === null || connection.secretKeyId === null) return undefined;
    return open({ ciphertext: connection.secretCiphertext, keyId: connection.secretKeyId }, this.keys, connection.id);
  }

  /** Seals again under the current key what the previous key sealed (the rotation's second half). */
  private async resealPrevious(): Promise<void> {
    if (!this.key || this.keys.length < 2) return;
    const previousId = keyIdOf(this.keys[1]);
    if (previousId === keyIdOf(this.key)) return;
    let resealed = 0;
    for (;;) {
      const batch = await this.connections.sealedWith(previousId, RESEAL_BATCH);
      for (const c of batch) {
        await this.connections.reseal(c.id, c.secretCiphertext!, seal(this.open(c)!, this.key, c.id));
      }
      resealed += batch.length;
      if (batch.length < RESEAL_BATCH) break;
    }
    if (resealed > 0)
      this.logger.log({ connections: resealed }, 'sealed connection secrets again with the new AOS_SECRET_KEY');
  }
}
