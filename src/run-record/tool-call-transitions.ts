import { ToolCallStatus } from './tool-call-status.enum';

/** Where a tool call starts: no record yet. */
export const NEW_CALL = 'new' as const;
export type ToolCallState = ToolCallStatus | typeof NEW_CALL;

/**
 * Every status change of a tool call, and the only source of the guards in the SQL that makes
 * them. A call is written ahead (running) before its skill starts, recorded waiting for a person,
 * or refused (failed without running); a replay writes it finished at once (served from the record).
 *
 *   new ──► running ──► succeeded | failed | cancelled ──► (failed, cancelled: a retry runs it again)
 *    │        ▲  └──(a crash: running again when safe, or waiting for a person)
 *    ├──► awaiting_approval ──► approved ──► running
 *    │            └──► rejected | expired | cancelled
 *    └──► failed (refused: not allowed, or interrupted and not repeated)
 */
export const TOOL_CALL_TRANSITIONS: Readonly<Record<ToolCallState, readonly ToolCallStatus[]>> = {
  [NEW_CALL]: [
    ToolCallStatus.Running,
    ToolCallStatus.AwaitingApproval,
    ToolCallStatus.Failed,
    // Served from a replayed run's record: written as the original ended.
    ToolCallStatus.Succeeded,
    ToolCallStatus.Cancelled,
    ToolCallStatus.Rejected,
    ToolCallStatus.Expired,
  ],
  [ToolCallStatus.Running]: [
    ToolCallStatus.Succeeded,
    ToolCallStatus.Failed,
    ToolCallStatus.Cancelled,
    // Interrupted by a crash and safe to repeat: started again, or first asked of a person now.
    ToolCallStatus.Running,
    ToolCallStatus.AwaitingApproval,
  ],
  // A retry of the run: the call runs again, waits for a person, or is refused again.
  [ToolCallStatus.Failed]: [ToolCallStatus.Running, ToolCallStatus.AwaitingApproval, ToolCallStatus.Failed],
  // Aborted at shutdown: run again, asked of a person, or (not idempotent) refused.
  [ToolCallStatus.Cancelled]: [ToolCallStatus.Running, ToolCallStatus.AwaitingApproval, ToolCallStatus.Failed],
  [ToolCallStatus.AwaitingApproval]: [
    ToolCallStatus.Approved,
    ToolCallStatus.Rejected,
    ToolCallStatus.Expired,
    ToolCallStatus.Cancelled,
  ],
  // Approved, then refused by a policy tightened meanwhile: failed without running.
  [ToolCallStatus.Approved]: [ToolCallStatus.Running, ToolCallStatus.Failed],
  [ToolCallStatus.Succeeded]: [],
  [ToolCallStatus.Rejected]: [],
  [ToolCallStatus.Expired]: [],
};

export class InvalidToolCallTransitionError extends Error {
  override readonly name = 'InvalidToolCallTransitionError';
  constructor(
    readonly from: ToolCallState,
    readonly to: ToolCallStatus,
  ) {
    super(`a tool call cannot go from ${from} to ${to}`);
  }
}

/** The recorded states a call may go to `to` from (the guard of the SQL that writes it). */
export function toolCallFrom(to: ToolCallStatus): ToolCallStatus[] {
  return (Object.entries(TOOL_CALL_TRANSITIONS) as [ToolCallState, readonly ToolCallStatus[]][])
    .filter(([from, tos]) => from !== NEW_CALL && tos.includes(to))
    .map(([from]) => from as ToolCallStatus);
}

export function assertToolCallTransition(from: ToolCallState, to: ToolCallStatus): void {
  if (!TOOL_CALL_TRANSITIONS[from].includes(to)) throw new InvalidToolCallTransitionError(from, to);
}

/** A call that reached an end of its own (a retry of the run may still start some of them again). */
export function isFinishedCall(status: ToolCallStatus): boolean {
  return FINISHED.has(status);
}

const FINISHED: ReadonlySet<ToolCallStatus> = new Set([
  ToolCallStatus.Succeeded,
  ToolCallStatus.Failed,
  ToolCallStatus.Cancelled,
  ToolCallStatus.Rejected,
  ToolCallStatus.Expired,
]);
