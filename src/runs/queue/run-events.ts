import type { NewEvent } from '../../events/events.service';
import { RunStatus } from '../../run-record/run-status.enum';
import type { TransitionRow } from '../../run-record/run-states.repository';
import type { ToolCallEntity } from '../../run-record/tool-call.entity';

/**
 * The event a transition produces: `run.started` when claimed, `run.retrying` when it goes back to
 * the queue (a retry, waiting for a model, reclaimed after a lost worker, released at shutdown),
 * `run.waiting_approval` (with the calls it waits on) and `run.<status>` when it ends.
 */
export function transitionEvent(row: TransitionRow, reason?: string, waitingOn?: ToolCallEntity[]): NewEvent {
  // Claims and reclaims run across tenants: the event names its tenant itself.
  const base = { tenantId: row.tenant_id, agentId: row.agent_id, runId: row.id };
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
        data: {
          reason: row.error_message ?? reason ?? null,
          // The calls themselves, so a webhook consumer can ask a person without reading the run.
          ...(waitingOn ? { pending_approvals: waitingOn.map(pendingApproval) } : {}),
        },
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

function pendingApproval(c: ToolCallEntity) {
  return {
    tool_call_id: c.id,
    step: c.stepIndex,
    skill: c.skillId,
    input: c.input,
    reason: c.approvalRequestedReason,
    requested_at: c.approvalRequestedAt?.toISOString() ?? null,
    expires_at: c.approvalExpiresAt?.toISOString() ?? null,
  };
}
