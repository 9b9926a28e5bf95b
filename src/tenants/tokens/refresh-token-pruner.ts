import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { crossTenant } from '../../common/db-scope';
import { RefreshTokensRepository } from './refresh-tokens.repository';

const INTERVAL_MS = 3_600_000;
const BATCH = 1_000;

/**
 * Deletes refresh tokens past their expiry, every hour, in small batches: an expired token is
 * refused whatever its row says, so nothing is lost. Spent and revoked ones are kept until then,
 * so presenting a spent token still revokes its family.
 */
@Injectable()
export class RefreshTokenPruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RefreshTokenPruner.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly tokens: RefreshTokensRepository) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.pruneNow(), INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many it deleted. */
  pruneNow(): Promise<number> {
    this.running ??= crossTenant('pruning', async () => {
      let deleted = 0;
      try {
        for (;;) {
          const n = await this.tokens.deleteExpired(BATCH);
          deleted += n;
          if (n < BATCH) break;
        }
        if (deleted > 0) this.logger.log({ deleted }, 'pruned expired refresh tokens');
      } catch (error) {
        this.logger.warn({ err: error }, 'pruning refresh tokens failed; the next pass retries');
      }
      return deleted;
    }).finally(() => (this.running = undefined));
    return this.running;
  }
}
