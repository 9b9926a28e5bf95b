import { AgentApproval } from '../../agents/agent-approval.enum';
import type { SideEffects } from '../../skills/skill';

/** The part of an agent's settings that decides what a run's tool calls may do. */
export interface RunPolicy {
  approval: AgentApproval;
  /** Allow-list of skill ids; null: every skill. */
  skills: string[] | null;
  /** Origins http_call may reach; null: any public origin. */
  egress: string[] | null;
  /** Origins trusted with the run's data: calls there are no egress for the taint rule. */
  egressTrusted: string[];
  rememberToolResults: boolean;
}

/** A policy as the settings snapshot or the agent holds it; fields a snapshot predates take today's defaults. */
export function policyOf(settings: {
  approval?: AgentApproval;
  skills: string[] | null;
  egress?: string[] | null;
  egress_trusted?: string[];
  remember_tool_results?: boolean;
}): RunPolicy {
  return {
    // A run from before approvals existed counts as side_effects, the default of a new agent.
    approval: settings.approval ?? AgentApproval.SideEffects,
    skills: settings.skills,
    egress: settings.egress ?? null,
    egressTrusted: settings.egress_trusted ?? [],
    rememberToolResults: settings.remember_tool_results ?? true,
  };
}

const APPROVAL_ORDER: readonly AgentApproval[] = [AgentApproval.None, AgentApproval.SideEffects, AgentApproval.Always];

/** Both lists must allow it; null allows everything. */
function bothAllow(a: string[] | null, b: string[] | null): string[] | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.filter((x) => b.includes(x));
}

/**
 * The stricter of two policies (the run's frozen one and the agent's current one): the stricter
 * approval, what both allow, what both trust. A policy tightened while a run works holds at its
 * next call; a loosened one waits for the next run.
 */
export function stricterPolicy(a: RunPolicy, b: RunPolicy): RunPolicy {
  return {
    approval: APPROVAL_ORDER[Math.max(APPROVAL_ORDER.indexOf(a.approval), APPROVAL_ORDER.indexOf(b.approval))],
    skills: bothAllow(a.skills, b.skills),
    egress: bothAllow(a.egress, b.egress),
    egressTrusted: a.egressTrusted.filter((o) => b.egressTrusted.includes(o)),
    rememberToolResults: a.rememberToolResults && b.rememberToolResults,
  };
}

/** What a call can do outside AOS, as the gate reads it. */
export interface CallEffects {
  sideEffects: SideEffects;
  /** Its side effects (if any) change something outside AOS. */
  external: boolean;
  /** It can carry data out of AOS (any http_call, a mail sent, an event booked). */
  egress: boolean;
  /** The origins it reaches, when the skill says (http_call: its URL's). */
  origins: string[];
}

/** Why the call may not be made under the policy, or undefined: a skill not allowed, an origin off the egress list. */
export function policyRefusal(
  policy: RunPolicy,
  skill: string,
  call: Pick<CallEffects, 'origins'>,
): string | undefined {
  if (policy.skills !== null && !policy.skills.includes(skill)) return `skill ${skill} is not available to this agent`;
  if (policy.egress !== null) {
    const outside = call.origins.filter((o) => !policy.egress!.includes(o));
    if (outside.length > 0) {
      return `${outside.join(', ')} is not on this agent's egress allow-list (${policy.egress.join(', ') || 'empty'}); the call was not made`;
    }
  }
  return undefined;
}

/** An http(s) URL's origin as egress lists hold it (`https://host[:port]`, default ports left out). */
export function originOf(url: string | URL): string {
  return (typeof url === 'string' ? new URL(url) : url).origin;
}
