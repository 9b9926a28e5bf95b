import { AgentApproval } from '../../agents/agent-approval.enum';
import type { Taint } from '../../run-record/taint';
import type { CallEffects, RunPolicy } from '../tools/run-policy';

/** The approval reason a taint gives. */
export function taintReason(taint: Taint): string {
  return `tainted at step ${taint.step} by ${taint.skill}`;
}

/**
 * Whether a call waits for a person, and why. `always`: every call. `none`: none. `side_effects`
 * (the default): a call that changes something outside AOS; and, once the run is tainted, every
 * call that can carry data out, except to an origin the agent trusts with the run's data.
 * `taint` is null where outside content cannot have chosen the call (a plan fixed before any step).
 */
export function approvalGate(policy: RunPolicy, call: CallEffects, taint: Taint | null): string | undefined {
  if (policy.approval === AgentApproval.Always) return 'the approval policy is always';
  if (policy.approval === AgentApproval.None) return undefined;
  const trustedOnly = call.origins.length > 0 && call.origins.every((o) => policy.egressTrusted.includes(o));
  if (taint && call.egress && !trustedOnly) return taintReason(taint);
  if (call.external && call.sideEffects !== 'none') return 'it changes something outside AOS (approval: side_effects)';
  return undefined;
}
