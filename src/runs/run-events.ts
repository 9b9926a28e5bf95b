import type { NewEvent } from '../events/events.service';
import { RunStatus } from '../provenance/run-status.enum';

/** A run's row as a transition left it. */
export interface TransitionRow {
  id: string;
  agent_id: string;
  status: RunStatus;
  error_message: string | null;
  result: string | null;
  attempts: number;
  available_at: Date;
}

/**
 * The event a transition produces: `run.started` when claimed, `run.retrying` when it goes back to
 * the queue (a retry, waiting for a model, reclaimed after a lost worker, released at shutdown),
 * and `run.<status>` when it ends.
 */
export function transitionEvent(row: TransitionRow, reason?: string, extra?: Record<string, unknown>): NewEvent {
  const base = { agentId: row.agent_id, runId: row.id };
  switch (row.status) {
    case RunStatus.Running:
      return { ...base, type: 'run.started', data: { attempt: row.attempts } };
    case RunStatus.Pending:
      return {
        ...base,
        type: 'run.retrying',
        data: { reason: row.error_message ?? reason ?? null, next_attempt_at: row.available_at.toISOString() },
      };
    case RunStatus.WaitingApproval:
      return {
        ...base,
        type: 'run.waiting_approval',
        data: { reason: row.error_message ?? reason ?? null, ...extra },
      };
    case RunStatus.Completed:
    case RunStatus.Partial:
    case RunStatus.Failed:
    case RunStatus.Cancelled:
      return {
        ...base,
        type: `run.${row.status}`,
        data: { status: row.status, error_message: row.error_message, result: row.result, attempts: row.attempts },
      };
  }
}
