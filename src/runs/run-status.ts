import { RunStatus } from '../provenance/run-status.enum';

/** A run in one of these changes no more. */
export function isTerminal(status: RunStatus): boolean {
  return (
    status === RunStatus.Completed ||
    status === RunStatus.Failed ||
    status === RunStatus.Partial ||
    status === RunStatus.Cancelled
  );
}

/** What a long-poll waits for: the run is finished, or needs a person (waiting for approval). */
export function isSettled(status: RunStatus): boolean {
  return isTerminal(status) || (status as string) === 'waiting_approval';
}
