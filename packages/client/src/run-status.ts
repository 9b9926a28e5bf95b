import type { AosEvent, RunStatus } from './types.js';

/** Statuses a run leaves only by a person's hand (waiting_approval) or never. */
export const SETTLED_STATUSES: ReadonlySet<RunStatus> = new Set([
  'completed',
  'failed',
  'partial',
  'cancelled',
  'waiting_approval',
]);

/** Statuses a run never leaves. */
export const FINISHED_STATUSES: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'partial', 'cancelled']);

/** The events after which a run changes no more: the server ends a run's stream there. */
export const RUN_TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  'run.completed',
  'run.failed',
  'run.partial',
  'run.cancelled',
]);

export const isSettled = (status: RunStatus): boolean => SETTLED_STATUSES.has(status);
export const isFinished = (status: RunStatus): boolean => FINISHED_STATUSES.has(status);
export const isTerminalEvent = (event: Pick<AosEvent, 'type'>): boolean => RUN_TERMINAL_EVENTS.has(event.type);
