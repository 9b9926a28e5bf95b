import type { EventType } from './event-types';

type Iso = string;

/** A run's end as its terminal event tells it. */
type RunEnded = { status: string; error_message: string | null; result: string | null; attempts: number };

/** A call waiting for a person, as run.waiting_approval lists it. */
type PendingApproval = {
  tool_call_id: string;
  step: number;
  skill: string;
  input: unknown;
  reason: string | null;
  requested_at: Iso | null;
  expires_at: Iso | null;
};

/**
 * The data of every event type: the one place its shape is written, so an emitter cannot send a
 * field a consumer does not expect (README "Events" documents the same shapes).
 */
export interface EventDataMap {
  'agent.created': {
    name: string;
    planner: string;
    max_concurrent_runs: number;
    max_steps: number;
    skills: string[] | null;
    approval: string;
    egress: string[] | null;
    [more: string]: unknown;
  };
  'agent.updated': { changes: Record<string, unknown> };
  'agent.paused': { from: string; to: string };
  'agent.resumed': { from: string; to: string };
  'agent.stopped': { from: string; to: string };
  'agent.deleted': { name: string };
  'run.created': { goal: string; priority: number; replay_of?: string; replay_mode?: string };
  'run.started': { attempt: number };
  'run.retrying': { reason: string | null; next_attempt_at: Iso };
  'run.waiting_approval': { reason: string | null; pending_approvals?: PendingApproval[] };
  'run.tainted': { step: number; skill: string; at: Iso; source: string | null };
  'run.completed': RunEnded;
  'run.failed': RunEnded;
  'run.partial': RunEnded;
  'run.cancelled': RunEnded;
  'run.step.started': { step: number; skill: string; model_call_index: number | null; replayed_from?: string };
  'run.step.completed': {
    step: number;
    skill: string;
    status: string;
    duration_ms: number;
    error: string | null;
    replayed_from?: string;
  };
  'run.model_call.completed': {
    index: number;
    step: number;
    provider: string | null;
    model: string | null;
    input_tokens: number;
    output_tokens: number;
    stop_reason: string | null;
    duration_ms: number;
    tool_calls: number;
    replayed_from?: string;
  };
  'run.approval.requested': {
    tool_call_id: string;
    step: number;
    skill: string;
    input: unknown;
    reason: string;
    expires_at: Iso;
  };
  'run.approval.granted': {
    tool_call_id: string;
    step: number;
    skill: string;
    by: string | null;
    reason: string | null;
  };
  'run.approval.rejected': {
    tool_call_id: string;
    step: number;
    skill: string;
    by: string | null;
    reason: string | null;
  };
  'run.approval.expired': { tool_call_id: string; step: number; skill: string; expired_at: Iso | null };
  'memory.created': { memory_id: string; memory_type: string; chars: number; trusted: boolean };
  'memory.deleted': { memory_id: string };
  'webhook.disabled': { webhook_id: string; url: string; reason: string; detail: string };
}

/** One event to append: its type decides the shape of its data. */
export type NewEvent = {
  [T in EventType]: {
    /** Needed only outside a tenant scope (cross-tenant work); inside one, the scope's tenant. */
    tenantId?: string;
    agentId: string;
    runId?: string | null;
    type: T;
    data: EventDataMap[T];
  };
}[EventType];

/** Every event type has its shape declared (a compile error names the one that has none). */
export type Undeclared = Exclude<EventType, keyof EventDataMap>;
const _everyTypeDeclared: Undeclared extends never ? true : never = true;
void _everyTypeDeclared;
