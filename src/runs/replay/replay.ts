import { AgentPlanner } from '../../agents/agent-planner.enum';
import type { ModelChoice } from '../../models/model.types';
import { RunStatus } from '../../run-record/run-status.enum';
import { ToolCallStatus } from '../../run-record/tool-call-status.enum';
import { declinedText } from '../approvals/declined-text';
import { ReplayMode } from '../../run-record/replay-mode.enum';
import type { RunSettings } from '../../run-record/run-settings';
import type { Divergence, ReplayCall } from '../../run-record/divergence';

export type { Divergence, ReplayCall } from '../../run-record/divergence';

export interface ReplayOverrides {
  instructions?: string | null;
  models?: ModelChoice | null;
}

/** A recorded tool call, as much of it as a replay needs. */
export interface RecordedToolCall {
  id: string;
  skillId: string;
  input: unknown;
  status: ToolCallStatus;
  output: unknown;
  error: string | null;
  answeredByNote: string | null;
  approvalReason: string | null;
}

const FINISHED: ReadonlySet<RunStatus> = new Set([
  RunStatus.Completed,
  RunStatus.Failed,
  RunStatus.Partial,
  RunStatus.Cancelled,
]);

/**
 * Why a run cannot be replayed as asked, or undefined: the original must have finished (its record
 * is complete) and have started (a run cancelled before it started recorded nothing); a recorded
 * replay changes nothing, and overrides only mean something to a model-driven run.
 */
export function replayRefusal(
  original: { id: string; status: RunStatus; settings: RunSettings | null },
  mode: ReplayMode,
  overrides: ReplayOverrides | undefined,
): { conflict: boolean; field?: string; message: string } | undefined {
  if (!FINISHED.has(original.status)) {
    return { conflict: true, message: `run ${original.id} is ${original.status}; only a finished run can be replayed` };
  }
  if (!original.settings) {
    return { conflict: true, message: `run ${original.id} never started, so there is no record to replay` };
  }
  // Not Object.keys: the validated DTO instance has both keys, set to undefined when absent.
  const overriding = overrides?.instructions !== undefined || overrides?.models !== undefined;
  if (overriding && mode === ReplayMode.Recorded) {
    return {
      conflict: false,
      field: 'overrides',
      message: 'a recorded replay serves the original answers and cannot take overrides; use mode model_live or live',
    };
  }
  if (overriding && original.settings.planner !== AgentPlanner.Llm) {
    return {
      conflict: false,
      field: 'overrides',
      message: `run ${original.id} is rule-based; overrides (instructions, models) apply to model-driven runs`,
    };
  }
  return undefined;
}

/** The original's frozen settings with the overrides applied: what the replay runs with. */
export function replaySettings(original: RunSettings, overrides: ReplayOverrides | undefined): RunSettings {
  return {
    ...original,
    ...(overrides?.instructions !== undefined ? { instructions: overrides.instructions } : {}),
    ...(overrides?.models !== undefined ? { models: overrides.models } : {}),
  };
}

/** JSON with object keys sorted, so two inputs compare by content rather than key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/**
 * The divergence, if the call the replay asks for at `step` is not the one recorded there: another
 * skill, another input, or a step the original never reached.
 */
export function toolCallDivergence(
  step: number,
  recorded: Pick<RecordedToolCall, 'skillId' | 'input'> | undefined,
  got: { skill: string; input: unknown },
): Divergence | undefined {
  const asked: ReplayCall = { type: 'tool_call', skill: got.skill, input: got.input };
  if (!recorded) {
    return { step, expected: null, got: asked, reason: `the original made no call at step ${step}` };
  }
  if (recorded.skillId === got.skill && canonicalJson(recorded.input) === canonicalJson(got.input)) return undefined;
  return {
    step,
    expected: { type: 'tool_call', skill: recorded.skillId, input: recorded.input },
    got: asked,
    reason:
      recorded.skillId === got.skill
        ? `the original called ${got.skill} at step ${step} with another input`
        : `the original called ${recorded.skillId} at step ${step}, the replay asked for ${got.skill}`,
  };
}

/** A recorded model call the replay needs but the original never made (it ended, or stopped, before). */
export function modelCallDivergence(step: number, index: number, originalStatus: string): Divergence {
  return {
    step,
    expected: null,
    got: { type: 'model_call', index },
    reason: `the original (${originalStatus}) has no answered model call #${index}`,
  };
}

/** The run's error message for a divergence. */
export function divergenceMessage(divergence: Divergence): string {
  return `replay diverged at step ${divergence.step}: ${divergence.reason}`;
}

/** How a served call is recorded: as the original ended, or failed where the original never finished. */
export function servedStatus(status: ToolCallStatus): ToolCallStatus {
  return FINISHED_CALL.has(status) ? status : ToolCallStatus.Failed;
}

const FINISHED_CALL: ReadonlySet<ToolCallStatus> = new Set([
  ToolCallStatus.Succeeded,
  ToolCallStatus.Failed,
  ToolCallStatus.Cancelled,
  ToolCallStatus.Rejected,
  ToolCallStatus.Expired,
]);

/** What a recorded tool call returned, as the loop or plan reads it: its output, or why it did not succeed. */
export function servedResult(call: RecordedToolCall): { ok: boolean; output?: unknown; error?: string } {
  if (call.status === ToolCallStatus.Succeeded) return { ok: true, output: call.output };
  if (call.status === ToolCallStatus.Rejected || call.status === ToolCallStatus.Expired) {
    return { ok: false, error: call.error ?? declinedText(call) };
  }
  if (FINISHED_CALL.has(call.status))
    return { ok: false, error: call.error ?? `the original call ended ${call.status}` };
  return { ok: false, error: `the original call never finished (it was left ${call.status})` };
}
