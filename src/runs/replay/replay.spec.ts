import { AgentApproval } from '../../agents/agent-approval.enum';
import { AgentPlanner } from '../../agents/agent-planner.enum';
import { RunStatus } from '../../run-record/run-status.enum';
import { ToolCallStatus } from '../../run-record/tool-call-status.enum';
import {
  canonicalJson,
  divergenceMessage,
  modelCallDivergence,
  RecordedToolCall,
  replayRefusal,
  replaySettings,
  servedResult,
  servedStatus,
  toolCallDivergence,
} from './replay';
import { ReplayMode } from '../../run-record/replay-mode.enum';
import type { RunSettings } from '../../run-record/run-settings';

const settings: RunSettings = {
  planner: AgentPlanner.Llm,
  instructions: 'Be brief.',
  models: { anthropic: 'claude-a' },
  skills: null,
  max_steps: 8,
  approval: AgentApproval.SideEffects,
};

describe('replayRefusal', () => {
  const finished = { id: 'r1', status: RunStatus.Completed, settings };

  it('refuses runs that are not finished, or never started, as conflicts', () => {
    expect(replayRefusal({ ...finished, status: RunStatus.Running }, ReplayMode.Recorded, undefined)).toMatchObject({
      conflict: true,
      message: 'run r1 is running; only a finished run can be replayed',
    });
    expect(
      replayRefusal({ ...finished, status: RunStatus.WaitingApproval }, ReplayMode.Live, undefined)?.conflict,
    ).toBe(true);
    expect(replayRefusal({ ...finished, settings: null }, ReplayMode.Live, undefined)?.message).toMatch(
      /never started/,
    );
  });

  it('refuses overrides on a recorded replay and on a rule-based run, as bad input', () => {
    expect(replayRefusal(finished, ReplayMode.Recorded, { instructions: 'x' })).toMatchObject({
      conflict: false,
      field: 'overrides',
    });
    const ruleBased = { ...finished, settings: { ...settings, planner: AgentPlanner.RuleBased } };
    expect(replayRefusal(ruleBased, ReplayMode.ModelLive, { instructions: 'x' })?.message).toMatch(/rule-based/);
  });

  it('accepts every mode without overrides, and overrides for model_live and live', () => {
    for (const mode of Object.values(ReplayMode)) expect(replayRefusal(finished, mode, undefined)).toBeUndefined();
    expect(replayRefusal(finished, ReplayMode.Recorded, {})).toBeUndefined();
    // As the validated DTO has it: both keys present, undefined.
    expect(
      replayRefusal(finished, ReplayMode.Recorded, { instructions: undefined, models: undefined }),
    ).toBeUndefined();
    expect(
      replayRefusal({ ...finished, status: RunStatus.Failed }, ReplayMode.ModelLive, { models: null }),
    ).toBeUndefined();
    expect(replayRefusal(finished, ReplayMode.Live, { instructions: null })).toBeUndefined();
  });
});

describe('replaySettings', () => {
  it('applies only the overrides given (null clears)', () => {
    expect(replaySettings(settings, undefined)).toEqual(settings);
    expect(replaySettings(settings, { instructions: 'Other.' })).toEqual({ ...settings, instructions: 'Other.' });
    expect(replaySettings(settings, { models: null, instructions: null })).toEqual({
      ...settings,
      models: null,
      instructions: null,
    });
  });
});

describe('toolCallDivergence', () => {
  const recorded = { skillId: 'http_call', input: { method: 'GET', url: 'http://a/', headers: { x: '1', y: '2' } } };

  it('matches the same skill and input whatever the key order', () => {
    expect(
      toolCallDivergence(1, recorded, {
        skill: 'http_call',
        input: { headers: { y: '2', x: '1' }, url: 'http://a/', method: 'GET' },
      }),
    ).toBeUndefined();
  });

  it('names the step, what was recorded and what was asked', () => {
    const other = toolCallDivergence(3, recorded, { skill: 'email_send', input: { to: ['a@b.c'] } });
    expect(other).toEqual({
      step: 3,
      expected: { type: 'tool_call', skill: 'http_call', input: recorded.input },
      got: { type: 'tool_call', skill: 'email_send', input: { to: ['a@b.c'] } },
      reason: 'the original called http_call at step 3, the replay asked for email_send',
    });
    expect(divergenceMessage(other!)).toBe(
      'replay diverged at step 3: the original called http_call at step 3, the replay asked for email_send',
    );
    expect(toolCallDivergence(1, recorded, { skill: 'http_call', input: { method: 'POST' } })?.reason).toMatch(
      /another input/,
    );
    expect(toolCallDivergence(5, undefined, { skill: 'http_call', input: {} })).toMatchObject({
      step: 5,
      expected: null,
      reason: 'the original made no call at step 5',
    });
  });

  it('a model call past the record is a divergence too', () => {
    expect(modelCallDivergence(4, 2, 'cancelled')).toEqual({
      step: 4,
      expected: null,
      got: { type: 'model_call', index: 2 },
      reason: 'the original (cancelled) has no answered model call #2',
    });
  });
});

describe('servedResult', () => {
  const call = (status: ToolCallStatus, extra: Partial<RecordedToolCall> = {}): RecordedToolCall => ({
    id: 't',
    skillId: 'email_send',
    input: {},
    status,
    output: null,
    error: null,
    answeredByNote: null,
    approvalReason: null,
    ...extra,
  });

  it('serves the output, the error, or why a person declined', () => {
    expect(servedResult(call(ToolCallStatus.Succeeded, { output: { n: 1 } }))).toEqual({ ok: true, output: { n: 1 } });
    expect(servedResult(call(ToolCallStatus.Failed, { error: 'HTTP 500' }))).toEqual({ ok: false, error: 'HTTP 500' });
    expect(servedResult(call(ToolCallStatus.Rejected, { answeredByNote: 'ana', approvalReason: 'no' })).error).toBe(
      'a person (ana) rejected this call; it was not made: no',
    );
    expect(servedResult(call(ToolCallStatus.Cancelled)).error).toBe('the original call ended cancelled');
    expect(servedResult(call(ToolCallStatus.Running)).error).toBe(
      'the original call never finished (it was left running)',
    );
    expect(servedStatus(ToolCallStatus.Running)).toBe(ToolCallStatus.Failed);
    expect(servedStatus(ToolCallStatus.Rejected)).toBe(ToolCallStatus.Rejected);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps arrays in order', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 0 }], a: null })).toBe('{"a":null,"b":[2,{"c":0,"d":1}]}');
  });
});
