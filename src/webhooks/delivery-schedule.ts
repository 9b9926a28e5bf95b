import { cappedExponential } from '../common/backoff';

/** What happens to a delivery after an attempt that did not get a 2xx. */
export type AfterFailure =
  | { kind: 'retry'; at: Date }
  | { kind: 'give_up'; reason: string }
  /** The receiver answered 410 Gone: it wants no more; the endpoint is disabled. */
  | { kind: 'disable' };

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** How long after the delivery was queued AOS keeps trying. */
  giveUpMs: number;
}

/**
 * The wait before attempt `attempts + 1`: exponential from `baseMs`, capped at `maxMs`, with up
 * to ±20% jitter (`random` in [0, 1)) so endpoints that failed together do not retry together.
 */
export function retryDelay(attempts: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: number): number {
  const exponential = cappedExponential(attempts, policy.baseMs, policy.maxMs);
  return Math.max(0, Math.round(exponential * (0.8 + 0.4 * random)));
}

/**
 * Decides after a failed attempt: a 410 disables the endpoint; otherwise retry, unless the next
 * attempt would fall after the delivery's give-up time.
 */
export function afterFailure(
  delivery: { attempts: number; createdAt: Date },
  statusCode: number | null,
  now: Date,
  policy: RetryPolicy,
  random: number,
): AfterFailure {
  if (statusCode === 410) return { kind: 'disable' };
  const at = new Date(now.getTime() + retryDelay(delivery.attempts, policy, random));
  if (at.getTime() > delivery.createdAt.getTime() + policy.giveUpMs) {
    return {
      kind: 'give_up',
      reason: `no 2xx after ${delivery.attempts} attempt(s) over ${Math.round(policy.giveUpMs / 60_000)} min`,
    };
  }
  return { kind: 'retry', at };
}

/** Whether an HTTP status counts as delivered (Standard Webhooks: any 2xx; a redirect is not followed). */
export function isDelivered(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 300;
}
