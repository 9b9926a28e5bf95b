import { cappedExponential } from '../../common/backoff';
import { RunStatus } from '../../run-record/run-status.enum';

/** What a step came to in this attempt. */
export interface StepOutcome {
  ok: boolean;
  error?: string;
  /** The failure may pass (network, 5xx, 429) and repeating the call is harmless. */
  retryable?: boolean;
}

export interface RunOutcome {
  status: RunStatus.Completed | RunStatus.Partial | RunStatus.Failed | RunStatus.Pending;
  errorMessage: string | null;
  /** Pending again: try the run later (finished steps stay done). */
  retry: boolean;
}

/**
 * How a run ends after its steps: `completed` when every step succeeded; tried again later
 * (`pending`) when every failure may pass and attempts are left; otherwise `partial` when some
 * step succeeded, `failed` when none did. The error message lists the failed steps.
 */
export function runOutcome(outcomes: StepOutcome[], attempt: number, maxAttempts: number): RunOutcome {
  const failures = outcomes.filter((o) => !o.ok);
  if (failures.length === 0) return { status: RunStatus.Completed, errorMessage: null, retry: false };
  const errorMessage = failures.map((f) => f.error).join('; ');
  if (failures.every((f) => f.retryable) && attempt < maxAttempts) {
    return {
      status: RunStatus.Pending,
      errorMessage: `attempt ${attempt} failed, retrying: ${errorMessage}`,
      retry: true,
    };
  }
  return { status: outcomes.some((o) => o.ok) ? RunStatus.Partial : RunStatus.Failed, errorMessage, retry: false };
}

/**
 * Delay before the next attempt: exponential from `baseMs` (1 s, 2 s, 4 s …), capped at `maxMs`,
 * plus up to 20 % jitter so runs that failed together do not come back together.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return cappedExponential(attempt, baseMs, maxMs) * (1 + random() * 0.2);
}

/**
 * What a run does when no model provider answered: wait in the queue with exponential backoff and
 * jitter (`waits` = how many times it already did), or give up once it has waited `maxWaitMs`
 * since the first failure.
 */
export function modelWait(
  waitingSince: Date | null,
  waits: number,
  now: Date,
  limits: { maxWaitMs: number; baseMs: number; maxMs: number },
  random = Math.random,
): { giveUp: true; waitedMs: number } | { giveUp: false; retryAt: Date } {
  const since = waitingSince ?? now;
  const waitedMs = now.getTime() - since.getTime();
  if (waitedMs >= limits.maxWaitMs) return { giveUp: true, waitedMs };
  const delay = retryDelayMs(waits + 1, limits.baseMs, limits.maxMs, random);
  // Never past the deadline by more than one last try.
  const retryAt = Math.min(now.getTime() + delay, since.getTime() + limits.maxWaitMs);
  return { giveUp: false, retryAt: new Date(retryAt) };
}

/** How a run ends on an answer without tool calls, from the provider's stop reason. */
export function answerOutcome(
  text: string,
  stopReason: string | null,
  bound: string | undefined,
  maxOutputTokens: number,
): { status: RunStatus; errorMessage: string | null } {
  if (stopReason === 'refusal' || stopReason === 'content_filter') {
    return { status: RunStatus.Failed, errorMessage: `the model refused: ${text || stopReason}`.slice(0, 2_000) };
  }
  if (isCutShort(stopReason)) {
    return {
      status: RunStatus.Partial,
      errorMessage: `the model's answer was cut short at AOS_LLM_MAX_OUTPUT_TOKENS (${maxOutputTokens})`,
    };
  }
  if (bound) {
    return { status: RunStatus.Partial, errorMessage: `reached ${bound}: the last call had to answer without tools` };
  }
  return { status: RunStatus.Completed, errorMessage: null };
}

/** Stop reasons (as each provider says them) of an answer cut off by the output token limit. */
function isCutShort(stopReason: string | null): boolean {
  return stopReason === 'max_tokens' || stopReason === 'length' || stopReason === 'model_context_window_exceeded';
}

/** How a replay ends where its original's record ends without an answer: as the original ended. */
export function endedAs(status: string): RunStatus {
  const ended = [RunStatus.Partial, RunStatus.Cancelled].find((s) => s === (status as RunStatus));
  return ended ?? RunStatus.Failed;
}
