import { crossTenant } from '../common/db-scope';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigError, type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { keyIdOf, open, seal, SealedSecret } from './secret-box';
import { SecretKeyMissingError } from './secrets.errors';

/** A table that keeps sealed secrets (connections, webhooks), as the sealer checks and reseals it at start. */
export interface SealedStore {
  /** What it holds, for the start's error lines ("connection secrets"). */
  readonly what: string;
  /** The ids of the keys its secrets are sealed with. */
  keyIds(): Promise<string[]>;
  /** Seals again, with `reseal`, up to `limit` secrets sealed with `keyId`; returns how many it did. */
  resealFrom(
    keyId: string,
    limit: number,
    reseal: (sealed: SealedSecret, aad: string) => SealedSecret,
  ): Promise<number>;
  /** Whether secrets from before sealing are still stored in the clear. */
  hasPlaintext?(): Promise<boolean>;
  /**
   * Seals up to `limit` secrets still stored in the clear (from before they were sealed); returns
   * how many. SQL cannot seal: the application does it at start.
   */
  sealPlaintext?(limit: number, seal: (plaintext: string, aad: string) => SealedSecret): Promise<number>;
}

const BATCH = 200;

/**
 * Seals and opens secrets with AOS_SECRET_KEY (and AOS_SECRET_KEY_PREVIOUS during a rotation), for
 * every module that stores some. At start it refuses to run when a stored secret was sealed with a
 * key it does not have — a wrong key must stop the start with a clear line, never open into
 * garbage — seals what is still in the clear, and seals again, with the current key, every secret
 * still under the previous one.
 */
@Injectable()
export class SecretSealer implements OnApplicationBootstrap {
  private readonly logger = new Logger(SecretSealer.name);
  private readonly key: Buffer | undefined;
  private readonly keys: Buffer[];
  private readonly stores: SealedStore[] = [];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.secrets.key;
    this.keys = [config.secrets.key, config.secrets.previousKey].filter((k): k is Buffer => k !== undefined);
  }

  /** Called by each owner of sealed secrets, in its constructor (before any start hook runs). */
  register(store: SealedStore): void {
    this.stores.push(store);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const store of this.stores) await crossTenant('maintenance', () => this.checkAndUpgrade(store));
  }

  get available(): boolean {
    return this.key !== undefined;
  }

  /** Seals `plaintext`; `aad` (the owning row's id) is authenticated with it. */
  seal(plaintext: string, aad: string): SealedSecret {
    if (!this.key) throw new SecretKeyMissingError();
    return seal(plaintext, this.key, aad);
  }

  open(sealed: SealedSecret, aad: string): string {
    return open(sealed, this.keys, aad);
  }

  private async checkAndUpgrade(store: SealedStore): Promise<void> {
    const stored = await store.keyIds();
    const plaintext = (await store.hasPlaintext?.()) ?? false;
    if (!this.key && stored.length > 0) {
      throw new ConfigError(
        `${store.what} are sealed, but AOS_SECRET_KEY is not set: set it to the key they were sealed with`,
      );
    }
    if (!this.key && plaintext) {
      throw new ConfigError(
        `${store.what} are stored in the clear and must be sealed: set AOS_SECRET_KEY (32 random bytes in base64)`,
      );
    }
    const known = new Set(this.keys.map(keyIdOf));
    const unknown = stored.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new ConfigError(
        `AOS_SECRET_KEY does not open the stored ${store.what} (sealed with key ${unknown.join(', ')}, ` +
          `this instance has ${[...known].join(', ')}); to rotate, set the old key as AOS_SECRET_KEY_PREVIOUS`,
      );
    }
    if (plaintext && store.sealPlaintext) await this.sealInTheClear(store, store.sealPlaintext.bind(store));
    await this.resealPrevious(store);
  }

  private async sealInTheClear(
    store: SealedStore,
    sealBatch: NonNullable<SealedStore['sealPlaintext']>,
  ): Promise<void> {
    let sealed = 0;
    for (;;) {
      const n = await sealBatch(BATCH, (plaintext, aad) => this.seal(plaintext, aad));
      sealed += n;
      if (n < BATCH) break;
    }
    if (sealed > 0) this.logger.log({ sealed }, `sealed ${store.what} stored in the clear`);
  }

  /** Seals again under the current key what the previous key sealed (the rotation's second half). */
  private async resealPrevious(store: SealedStore): Promise<void> {
    if (!this.key || this.keys.length < 2) return;
    const previousId = keyIdOf(this.keys[1]);
    if (previousId === keyIdOf(this.key)) return;
    let resealed = 0;
    for (;;) {
      const n = await store.resealFrom(previousId, BATCH, (sealed, aad) =>
        seal(open(sealed, this.keys, aad), this.key!, aad),
      );
      resealed += n;
      if (n < BATCH) break;
    }
    if (resealed > 0) this.logger.log({ resealed }, `sealed ${store.what} again with the new AOS_SECRET_KEY`);
  }
}
