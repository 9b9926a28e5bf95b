import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { crossTenant } from '../../common/db-scope';
import { ApiKeysRepository } from './api-keys.repository';

const FLUSH_MS = 5_000;
const MAX_PENDING = 10_000;

/** Keys' last-used times, written in one statement every few seconds instead of one per request. */
@Injectable()
export class KeyUsage implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeyUsage.name);
  private pending = new Map<string, { tenantId: string; id: string; at: Date }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly keys: ApiKeysRepository) {}

  record(tenantId: string, id: string): void {
    if (this.pending.size >= MAX_PENDING && !this.pending.has(id)) return;
    this.pending.set(id, { tenantId, id, at: new Date() });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await crossTenant('key-usage', () => this.keys.touch(batch));
    } catch (error) {
      this.logger.warn({ err: error }, 'could not record when keys were last used');
    }
  }
}
