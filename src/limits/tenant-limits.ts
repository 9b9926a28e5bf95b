/** What a tenant may do with its model tokens once the day's limit is reached. */
export const ON_TOKEN_LIMIT = ['wait', 'fail'] as const;
export type OnTokenLimit = (typeof ON_TOKEN_LIMIT)[number];

/**
 * A tenant's limits, as stored in `tenants.limits`. An absent (or null) field is no limit beyond
 * the service's own (AOS_RATE_LIMIT_PER_MINUTE, an agent's max_concurrent_runs).
 */
export interface TenantLimits {
  /** Agents the tenant may have at once. */
  agents?: number | null;
  /** Runs of the tenant running at once, over every instance. */
  runs_in_flight?: number | null;
  /** Model tokens (input and output) per UTC day, over all its runs. */
  model_tokens_per_day?: number | null;
  /** Over the daily tokens: the run waits for the next day or a raised limit (default), or fails. */
  on_token_limit?: OnTokenLimit | null;
  /** Requests per minute per credential (a key, and every token minted from it, count as one). */
  requests_per_minute?: number | null;
}

export const LIMIT_FIELDS = [
  'agents',
  'runs_in_flight',
  'model_tokens_per_day',
  'on_token_limit',
  'requests_per_minute',
] as const;

/** A change applied to stored limits: a field given replaces, `null` removes, absent keeps. */
export function mergeLimits(stored: TenantLimits, change: TenantLimits): TenantLimits {
  const merged: Record<string, unknown> = { ...stored };
  for (const field of LIMIT_FIELDS) {
    if (!(field in change) || change[field] === undefined) continue;
    if (change[field] === null) delete merged[field];
    else merged[field] = change[field];
  }
  return merged;
}

/** The UTC day `at` falls on, as PostgreSQL's `date` prints it. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Whether `day` (YYYY-MM-DD) is a real day of the calendar (not 2026-02-30, not 2026-13-01). */
export function isRealDay(day: string): boolean {
  const at = Date.parse(`${day}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(day) && Number.isFinite(at) && utcDay(new Date(at)) === day;
}

/** When the UTC day after `at` starts. */
export function nextUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1));
}

export type TokenBudget =
  | { over: false }
  /** `limit`: the model_tokens_per_day the decision read (a wait compares it with the limit as it commits). */
  | { over: true; action: OnTokenLimit; reason: string; until: Date; limit: number };

/** Starts every reason a run waits on the daily token limit: how a raised limit finds them again. */
export const TOKEN_LIMIT_REASON = 'tenant daily model token limit reached';

/**
 * Whether a model call may start: the day's tokens so far against the tenant's limit. Calls that
 * started before the limit was reached may finish, so the overshoot is at most one call per run
 * in flight.
 */
export function tokenBudget(limits: TenantLimits, usedToday: number, now: Date): TokenBudget {
  const limit = limits.model_tokens_per_day;
  if (limit === undefined || limit === null || usedToday < limit) return { over: false };
  const until = nextUtcDay(now);
  const action = limits.on_token_limit ?? 'wait';
  return {
    over: true,
    action,
    until,
    limit,
    reason:
      `${TOKEN_LIMIT_REASON} (${usedToday} of ${limit} model_tokens_per_day used on ${utcDay(now)} UTC)` +
      (action === 'wait' ? `; waiting until ${until.toISOString()} or a raised limit` : ''),
  };
}
