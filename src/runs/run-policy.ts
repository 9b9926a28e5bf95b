import { AgentApproval } from '../agents/agent-approval.enum';
import type { SideEffects } from '../skills/skill';

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

/** When outside content first entered a run's context, and what brought it. */
export interface Taint {
  /** The step whose result (or, at 0, whose recalled memories) brought it in. */
  step: number;
  /** The skill that read it, or `recalled_memory` for an untrusted memory recalled into the context. */
  skill: string;
  at: string;
  /** Where it came from, as the model was told (an origin, a mailbox, a memory id). */
  source: string | null;
}

/** The skill name a taint carries when an untrusted memory was recalled into the run's context. */
export const RECALLED_MEMORY = 'recalled_memory';

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

/** An http(s) URL's origin as egress lists hold it (`https://host[:port]`, default ports left out). */
export function originOf(url: string | URL): string {
  return (typeof url === 'string' ? new URL(url) : url).origin;
}
