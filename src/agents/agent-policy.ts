import { AgentApproval } from './agent-approval.enum';

/** An agent's policy fields: what only an `admin` credential may set to anything but the defaults. */
export interface AgentPolicy {
  approval: AgentApproval;
  skills: string[] | null;
  egress: string[] | null;
  egressTrusted: string[];
  rememberToolResults: boolean;
}

/** A new agent's policy when its creator names none (the tenant's defaults). */
export const DEFAULT_POLICY: AgentPolicy = {
  approval: AgentApproval.SideEffects,
  skills: null,
  egress: null,
  egressTrusted: [],
  rememberToolResults: true,
};

const WIRE: Record<keyof AgentPolicy, string> = {
  approval: 'approval',
  skills: 'skills',
  egress: 'egress',
  egressTrusted: 'egress_trusted',
  rememberToolResults: 'remember_tool_results',
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The policy fields (as the body names them) whose value differs between `from` and `to`. */
export function policyChanges(from: AgentPolicy, to: AgentPolicy): string[] {
  return (Object.keys(WIRE) as (keyof AgentPolicy)[]).filter((k) => !same(from[k], to[k])).map((k) => WIRE[k]);
}
