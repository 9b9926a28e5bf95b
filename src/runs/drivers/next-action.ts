import type { Divergence } from '../../run-record/divergence';
import { ModelCallStatus } from '../../run-record/model-call-status.enum';
import { RunStatus } from '../../run-record/run-status.enum';
import { ToolCallStatus } from '../../run-record/tool-call-status.enum';
import { toolCallDivergence } from '../replay/replay';

/** The loop's bounds as a moment sees them. */
interface Bounds {
  /** The model call about to be made (or just answered), from 0. */
  index: number;
  maxSteps: number;
  usedTokens: number;
  budget: number;
}

/** Before a model call: what the run's own record holds of it from an earlier attempt. */
export interface ModelCallMoment extends Bounds {
  at: 'model_call';
  recorded: ModelCallStatus | undefined;
}

/** The model answered: with how many tool calls. */
export interface AnswerMoment extends Bounds {
  at: 'answer';
  toolCalls: number;
}

/**
 * Before a tool call (a plan's step, or one the model asked for): its record from an earlier
 * attempt of this run, and — for a replay served from a record — what the original did there.
 * Inputs are compared as the skill normalises them (schema defaults applied on both sides).
 */
export interface ToolCallMoment {
  at: 'tool_call';
  driver: 'plan' | 'model';
  step: number;
  asked: { skill: string; input: unknown; toolUseId?: string };
  idempotent: boolean;
  previous?: { status: ToolCallStatus; skill: string; toolUseId: string | null };
  /**
   * Served from an original's record: the original's call at this step, or null when it made
   * none. Absent when the calls are made live. `followsOriginalPlan`: a plan replayed as recorded,
   * which stops where its original stopped.
   */
  replayed?: { original: { skill: string; input: unknown } | null; followsOriginalPlan: boolean };
}

/** Every tool call of a model turn was made or recorded; some may wait for a person. */
export interface TurnEndMoment {
  at: 'turn_end';
  awaiting: string[];
}

export type Moment = ModelCallMoment | AnswerMoment | ToolCallMoment | TurnEndMoment;

export type NextAction =
  /** The model call was answered in an earlier attempt: its answer is read from the record. */
  | { do: 'reuse_answer' }
  /** Ask the run's model source (a provider, or a replayed record). */
  | { do: 'ask_model'; toolChoice: 'auto' | 'none' }
  /** A bound was reached before the model finished: the run ends partial. */
  | { do: 'stop'; status: RunStatus.Partial; reason: string }
  /** The answer has no tool call: it is the run's result (`bound`: it had to answer without tools). */
  | { do: 'complete'; bound?: string }
  | { do: 'run_tools' }
  /** The tool call finished in an earlier attempt: its result is handed on again. */
  | { do: 'reuse_result' }
  /** Make the call (or serve it from the replayed record). */
  | { do: 'make_call' }
  /** Interrupted mid-call and not safe to repeat: recorded failed, not made again. */
  | { do: 'refuse'; reason: string }
  /** A person refused it or nobody answered in time: it fails with that reason. */
  | { do: 'declined' }
  /** It still waits for a person. */
  | { do: 'await' }
  /** A replay asked for another call than its original recorded here. */
  | { do: 'diverged'; divergence: Divergence }
  /** The original stopped before this step: so does the replay. */
  | { do: 'end_as_original' }
  /** The run's own record does not belong to this conversation. */
  | { do: 'fail'; reason: string }
  | { do: 'wait_for_approval'; reason: string }
  | { do: 'next_turn' };

/** The actions each moment can lead to. */
export type ModelCallAction = Extract<NextAction, { do: 'reuse_answer' | 'ask_model' | 'stop' }>;
export type AnswerAction = Extract<NextAction, { do: 'complete' | 'run_tools' | 'stop' }>;
export type ToolCallAction = Extract<
  NextAction,
  { do: 'reuse_result' | 'make_call' | 'refuse' | 'declined' | 'await' | 'diverged' | 'end_as_original' | 'fail' }
>;
export type TurnEndAction = Extract<NextAction, { do: 'wait_for_approval' | 'next_turn' }>;

/**
 * What a run does next, from where it stands: the one decision table of both drivers. Pure, so
 * every case (resume after a crash, served from the record, a bound reached, an approval
 * pending, a divergence) has a unit test beside it.
 */
export function nextAction(moment: ModelCallMoment): ModelCallAction;
export function nextAction(moment: AnswerMoment): AnswerAction;
export function nextAction(moment: ToolCallMoment): ToolCallAction;
export function nextAction(moment: TurnEndMoment): TurnEndAction;
export function nextAction(moment: Moment): NextAction;
export function nextAction(moment: Moment): NextAction {
  switch (moment.at) {
    case 'model_call':
      return beforeModelCall(moment);
    case 'answer':
      return afterAnswer(moment);
    case 'tool_call':
      return beforeToolCall(moment);
    case 'turn_end':
      return moment.awaiting.length > 0
        ? { do: 'wait_for_approval', reason: `waiting for approval of ${moment.awaiting.join(', ')}` }
        : { do: 'next_turn' };
  }
}

function beforeModelCall(m: ModelCallMoment): ModelCallAction {
  if (m.recorded === ModelCallStatus.Succeeded) return { do: 'reuse_answer' };
  if (m.index >= m.maxSteps) {
    return stop(`stopped after max_steps (${m.maxSteps} model calls) before the model finished`);
  }
  if (m.usedTokens >= m.budget) {
    return stop(`stopped at the token budget (${m.usedTokens} of ${m.budget} tokens used) before the model finished`);
  }
  // The last call the run may make must answer: tool calls it asked for could not be read.
  return { do: 'ask_model', toolChoice: m.index === m.maxSteps - 1 ? 'none' : 'auto' };
}

function afterAnswer(m: AnswerMoment): AnswerAction {
  if (m.toolCalls === 0) {
    return m.index === m.maxSteps - 1
      ? { do: 'complete', bound: `max_steps (${m.maxSteps} model calls)` }
      : { do: 'complete' };
  }
  // Tools asked for when no model call may follow would run without the model reading their results.
  if (m.index + 1 >= m.maxSteps) {
    return stop(
      `stopped at max_steps (${m.maxSteps} model calls) before the model finished; its last tool calls were not run`,
    );
  }
  if (m.usedTokens >= m.budget) {
    return stop(
      `stopped at the token budget (${m.usedTokens} of ${m.budget} tokens used) before the model finished; its last tool calls were not run`,
    );
  }
  return { do: 'run_tools' };
}

function beforeToolCall(m: ToolCallMoment): ToolCallAction {
  const { previous, asked } = m;
  if (
    m.driver === 'model' &&
    previous &&
    (previous.skill !== asked.skill || (previous.toolUseId ?? asked.toolUseId) !== asked.toolUseId)
  ) {
    return {
      do: 'fail',
      reason: `the run's record diverged at step ${m.step}: it holds ${previous.skill} (${previous.toolUseId ?? 'no id'}), the model asked for ${asked.skill} (${asked.toolUseId})`,
    };
  }
  if (m.replayed) {
    if (!m.replayed.original && m.replayed.followsOriginalPlan) return { do: 'end_as_original' };
    const { original } = m.replayed;
    const divergence = toolCallDivergence(
      m.step,
      original ? { skillId: original.skill, input: original.input } : undefined,
      asked,
    );
    if (divergence) return { do: 'diverged', divergence };
    // Served once; an attempt after a crash hands on what was served.
    return previous ? { do: 'reuse_result' } : { do: 'make_call' };
  }
  switch (previous?.status) {
    case ToolCallStatus.Succeeded:
      return { do: 'reuse_result' };
    // In a conversation a failed call is part of what the model read; a plan tries it again.
    case ToolCallStatus.Failed:
      return m.driver === 'model' ? { do: 'reuse_result' } : { do: 'make_call' };
    case ToolCallStatus.Approved:
      return { do: 'make_call' };
    case ToolCallStatus.Rejected:
    case ToolCallStatus.Expired:
      return { do: 'declined' };
    case ToolCallStatus.AwaitingApproval:
      return { do: 'await' };
    case ToolCallStatus.Running:
    case ToolCallStatus.Cancelled:
      // Interrupted (a crash: running; a shutdown: cancelled): it may have had its effect.
      return m.idempotent ? { do: 'make_call' } : { do: 'refuse', reason: interrupted(m) };
    case undefined:
      return { do: 'make_call' };
  }
}

function interrupted(m: ToolCallMoment): string {
  return m.driver === 'plan'
    ? `step ${m.step} (${m.asked.skill}) was interrupted and is not idempotent; it was not repeated`
    : `the call to ${m.asked.skill} was interrupted and may or may not have taken effect; it was not repeated because it is not idempotent`;
}

function stop(reason: string): Extract<NextAction, { do: 'stop' }> {
  return { do: 'stop', status: RunStatus.Partial, reason };
}
