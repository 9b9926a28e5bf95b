import { RunStatus } from './run-status.enum';

/**
 * Every status change a run may make, and the only source of the guards in the SQL that makes
 * them: a transition names its from-states, and they must be allowed here (checked at load).
 *
 *   pending ──claim──► running ──► completed | failed | partial
 *      │  ▲            │ │ │
 *      │  └─ retry, model wait, token wait, release, reclaim, answered early
 *      │               │ └──► waiting_approval ──answered──► pending
 *      │               │             └──expired, cancel──► cancelled
 *      └──cancel──► cancelled ◄──cancel, stop──┘
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  [RunStatus.Pending]: [RunStatus.Running, RunStatus.Cancelled],
  [RunStatus.Running]: [
    RunStatus.Pending,
    RunStatus.WaitingApproval,
    RunStatus.Completed,
    RunStatus.Failed,
    RunStatus.Partial,
    RunStatus.Cancelled,
  ],
  [RunStatus.WaitingApproval]: [RunStatus.Pending, RunStatus.Cancelled],
  [RunStatus.Completed]: [],
  [RunStatus.Failed]: [],
  [RunStatus.Partial]: [],
  [RunStatus.Cancelled]: [],
};

/** A transition the table does not allow: a bug in the caller, never a silent no-op. */
export class InvalidRunTransitionError extends Error {
  override readonly name = 'InvalidRunTransitionError';
  constructor(
    readonly from: RunStatus | readonly RunStatus[],
    readonly to: RunStatus,
  ) {
    super(`a run cannot go from ${[from].flat().join(' or ')} to ${to}`);
  }
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export function assertRunTransition(from: RunStatus, to: RunStatus): void {
  if (!canTransition(from, to)) throw new InvalidRunTransitionError(from, to);
}

/** A named change of status: the states it starts from and those it may end in. */
export interface NamedTransition {
  readonly from: readonly RunStatus[];
  readonly to: readonly RunStatus[];
}

function named(from: RunStatus[], to: RunStatus[]): NamedTransition {
  for (const f of from) for (const t of to) assertRunTransition(f, t);
  return { from, to };
}

const TERMINAL_OR_BACK = [RunStatus.Completed, RunStatus.Failed, RunStatus.Partial, RunStatus.Pending];

/** The transitions the engine makes, each checked against the table when this module loads. */
export const TRANSITIONS = {
  /** A worker takes a ready run. */
  claim: named([RunStatus.Pending], [RunStatus.Running]),
  /** The worker ends it, or gives it back for a later attempt. */
  finish: named([RunStatus.Running], TERMINAL_OR_BACK),
  /** No model answered: back to the queue with backoff. */
  waitForModel: named([RunStatus.Running], [RunStatus.Pending]),
  /** The tenant's daily model tokens are spent: back to the queue until the next day. */
  waitForTokens: named([RunStatus.Running], [RunStatus.Pending]),
  /** A call waits for a person (or every such call was answered meanwhile: back to the queue). */
  awaitApproval: named([RunStatus.Running], [RunStatus.WaitingApproval, RunStatus.Pending]),
  /** Every waiting call was answered. */
  resumeAfterApproval: named([RunStatus.WaitingApproval], [RunStatus.Pending]),
  /** A waiting call expired. */
  expireWaiting: named([RunStatus.WaitingApproval], [RunStatus.Cancelled]),
  /** Shutdown: given back to another instance. */
  release: named([RunStatus.Running], [RunStatus.Pending]),
  /** Its worker stopped renewing the lease. */
  reclaim: named([RunStatus.Running], [RunStatus.Pending, RunStatus.Failed]),
  /** By request, or its agent stopped or was deleted. */
  cancel: named([RunStatus.Pending, RunStatus.Running, RunStatus.WaitingApproval], [RunStatus.Cancelled]),
} as const;

export type TransitionName = keyof typeof TRANSITIONS;

/** A run in one of these changes no more. */
export function isTerminal(status: RunStatus): boolean {
  return RUN_TRANSITIONS[status].length === 0;
}

/** What a long-poll waits for: the run is finished, or needs a person (waiting for approval). */
export function isSettled(status: RunStatus): boolean {
  return isTerminal(status) || status === RunStatus.WaitingApproval;
}
