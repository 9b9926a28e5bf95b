import { cappedExponential } from '../common/backoff';
import { RunStatus } from '../provenance/run-status.enum';
import { ToolCallStatus } from '../provenance/tool-call-status.enum';

/** What a step came to in this attempt. */
export interface StepOutcome {
  ok: boolean;
  error?: string;
  /** The failure may pass (network, 5xx, 429) and repeating the call is harmless. */
  retryable?: boolean;
}

/**
 * What to do with a plan step, given its record from an earlier attempt of the run:
 * `reuse` its recorded output (it succeeded), `execute` it (new, failed, or safe to repeat), or
 * `refuse` it: the call was interrupted (`running` = the process died during it, `cancelled` =
 * aborted at shutdown), may have had its effect, and is not idempotent, so it is not repeated.
 */
export function stepResumption(
  previous: ToolCallStatus | undefined,
  idempotent: boolean,
): 'reuse' | 'execute' | 'refuse' | 'declined' | 'await' {
  if (previous === ToolCallStatus.Succeeded) return 'reuse';
  const answered = approvalResumption(previous);
  if (answered) return answered;
  const interrupted = previous === ToolCallStatus.Running || previous === ToolCallStatus.Cancelled;
  return interrupted && !idempotent ? 'refuse' : 'execute';
}

/**
 * A call that went to a person: `execute` once approved, `declined` (it fails with the reason) when
 * refused or expired, `await` while nobody answered.
 */
function approvalResumption(previous: ToolCallStatus | undefined): 'execute' | 'declined' | 'await' | undefined {
  if (previous === ToolCallStatus.Approved) return 'execute';
  if (previous === ToolCallStatus.Rejected || previous === ToolCallStatus.Expired) return 'declined';
  if (previous === ToolCallStatus.AwaitingApproval) return 'await';
  return undefined;
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
 * In the agent loop a finished tool call, succeeded or failed, is part of the conversation: a
 * replayed run hands the model the same result again (`reuse`). An interrupted call is executed
 * again when that is harmless, else `refuse`d (the model is told it was not repeated).
 */
export function loopStepResumption(
  previous: ToolCallStatus | undefined,
  idempotent: boolean,
): 'reuse' | 'execute' | 'refuse' | 'declined' | 'await' {
  if (previous === ToolCallStatus.Succeeded || previous === ToolCallStatus.Failed) return 'reuse';
  const answered = approvalResumption(previous);
  if (answered) return answered;
  const interrupted = previous === ToolCallStatus.Running || previous === ToolCallStatus.Cancelled;
  return interrupted && !idempotent ? 'refuse' : 'execute';
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
