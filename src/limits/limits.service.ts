import { Injectable } from '@nestjs/common';
import { TtlCache } from '../common/ttl-cache';
import { LimitsRepository } from './limits.repository';
import { tokenBudget, type TenantLimits, type TokenBudget } from './tenant-limits';
import { UsageRepository } from './usage.repository';

/** How long an instance trusts what it read of a tenant's limits (a change is seen within it). */
export const LIMITS_CACHE_MS = 2_000;

/** A tenant's limits, cached briefly, and the checks that read them. */
@Injectable()
export class LimitsService {
  private readonly cache = new TtlCache<string, TenantLimits>(LIMITS_CACHE_MS, 10_000);

  constructor(
    private readonly limits: LimitsRepository,
    private readonly usage: UsageRepository,
  ) {}

  async of(tenantId: string): Promise<TenantLimits> {
    let limits = this.cache.get(tenantId);
    if (limits === undefined) {
      limits = await this.limits.limitsOf(tenantId);
      this.cache.set(tenantId, limits);
    }
    return limits;
  }

  /** Forgets what this instance cached of the tenant's limits (they changed here). */
  forget(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  /**
   * Before a model call: whether the tenant's daily tokens allow it. Without a daily limit this
   * reads nothing but the cached limits; with one, one indexed read of today's usage.
   */
  async tokenBudget(tenantId: string, now = new Date()): Promise<TokenBudget> {
    const limits = await this.of(tenantId);
    if (limits.model_tokens_per_day === undefined || limits.model_tokens_per_day === null) return { over: false };
    const used = await this.usage.tokensToday(tenantId);
    const budget = tokenBudget(limits, used, now);
    if (!budget.over) return budget;
    // Refusing is the rare path: decide it on the limits as they are now, not as this instance
    // cached them (a limit raised elsewhere a moment ago must not send the run to wait a day).
    this.forget(tenantId);
    return tokenBudget(await this.of(tenantId), used, now);
  }
}
