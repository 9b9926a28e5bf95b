/** Every event type AOS emits. A type filter is one of these, or a prefix ending in `.*`. */
export const EVENT_TYPES = [
  'agent.created',
  'agent.updated',
  'agent.paused',
  'agent.resumed',
  'agent.stopped',
  'agent.deleted',
  'run.created',
  'run.started',
  'run.retrying',
  'run.waiting_approval',
  'run.tainted',
  'run.completed',
  'run.failed',
  'run.partial',
  'run.cancelled',
  'run.step.started',
  'run.step.completed',
  'run.model_call.completed',
  'run.approval.requested',
  'run.approval.granted',
  'run.approval.rejected',
  'run.approval.expired',
  'memory.created',
  'memory.deleted',
  'webhook.disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The events after which a run changes no more: its stream ends there. */
export const RUN_TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  'run.completed',
  'run.failed',
  'run.partial',
  'run.cancelled',
]);

const PATTERN = /^[a-z_]+(\.[a-z_]+)*(\.\*)?$|^\*$/;

/** The shape of a type filter, as the OpenAPI document states it (the known types are checked besides). */
export const TYPE_PATTERN_SOURCE = '^([a-z_]+(\\.[a-z_]+)*(\\.\\*)?|\\*)$';

/** Why a type filter is not one, or undefined when it is (an exact type or a `prefix.*`). */
export function typePatternProblem(pattern: string): string | undefined {
  if (!PATTERN.test(pattern)) return `"${pattern}" is not an event type or a prefix ending in .* (e.g. run.*)`;
  if (pattern === '*' || pattern.endsWith('.*')) {
    const prefix = pattern === '*' ? '' : pattern.slice(0, -1);
    if (!EVENT_TYPES.some((t) => t.startsWith(prefix))) return `no event type starts with ${prefix}`;
    return undefined;
  }
  return (EVENT_TYPES as readonly string[]).includes(pattern) ? undefined : `unknown event type ${pattern}`;
}

/** Whether `type` matches any of the patterns (none given: everything matches). */
export function matchesType(type: string, patterns: readonly string[] | null | undefined): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}
