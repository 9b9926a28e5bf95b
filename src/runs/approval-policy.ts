import { AgentApproval } from '../agents/agent-approval.enum';
import type { SideEffects } from '../skills/skill';

/**
 * Whether a tool call waits for a person: under `always` every call; under `side_effects` a call
 * that has side effects outside AOS (mail sent, an event booked, a remote write); never under
 * `none`. Runs started before approvals existed carry no policy and do not wait.
 */
export function approvalNeeded(
  policy: AgentApproval | undefined,
  call: { sideEffects: SideEffects; external: boolean },
): boolean {
  if (policy === AgentApproval.Always) return true;
  if (policy === AgentApproval.SideEffects) return call.external && call.sideEffects !== 'none';
  return false;
}

/** What the model (or the plan's outcome) is told about a call a person refused or nobody answered. */
export function declinedText(call: {
  status: string;
  rejectedBy: string | null;
  approvalReason: string | null;
}): string {
  if (call.status === 'expired') return 'nobody approved this call in time; it was not made';
  const who = call.rejectedBy ? ` (${call.rejectedBy})` : '';
  const why = call.approvalReason ? `: ${call.approvalReason}` : '';
  return `a person${who} rejected this call; it was not made${why}`;
}
