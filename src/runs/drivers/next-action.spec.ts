import { ModelCallStatus } from '../../run-record/model-call-status.enum';
import { RunStatus } from '../../run-record/run-status.enum';
import { ToolCallStatus } from '../../run-record/tool-call-status.enum';
import { nextAction, ToolCallMoment } from './next-action';

const bounds = { index: 0, maxSteps: 5, usedTokens: 0, budget: 1000 };

describe('nextAction before a model call', () => {
  it('resumes after a crash from the answer the record holds', () => {
    expect(nextAction({ at: 'model_call', ...bounds, recorded: ModelCallStatus.Succeeded })).toEqual({
      do: 'reuse_answer',
    });
  });

  it('asks again for a call that was interrupted or failed', () => {
    for (const recorded of [ModelCallStatus.Running, ModelCallStatus.Failed, ModelCallStatus.Cancelled, undefined]) {
      expect(nextAction({ at: 'model_call', ...bounds, recorded })).toEqual({ do: 'ask_model', toolChoice: 'auto' });
    }
  });

  it('makes the last call max_steps allows answer without tools', () => {
    expect(nextAction({ at: 'model_call', ...bounds, index: 4, recorded: undefined })).toEqual({
      do: 'ask_model',
      toolChoice: 'none',
    });
  });

  it('stops partial past max_steps', () => {
    expect(nextAction({ at: 'model_call', ...bounds, index: 5, recorded: undefined })).toEqual({
      do: 'stop',
      status: RunStatus.Partial,
      reason: 'stopped after max_steps (5 model calls) before the model finished',
    });
  });

  it('stops partial once the token budget is reached', () => {
    expect(nextAction({ at: 'model_call', ...bounds, usedTokens: 1000, recorded: undefined })).toEqual({
      do: 'stop',
      status: RunStatus.Partial,
      reason: 'stopped at the token budget (1000 of 1000 tokens used) before the model finished',
    });
  });

  it('reads a recorded answer even past a bound (it was paid for already)', () => {
    expect(nextAction({ at: 'model_call', ...bounds, usedTokens: 5000, recorded: ModelCallStatus.Succeeded })).toEqual({
      do: 'reuse_answer',
    });
  });
});

describe('nextAction after an answer', () => {
  it('completes on an answer without tool calls', () => {
    expect(nextAction({ at: 'answer', ...bounds, toolCalls: 0 })).toEqual({ do: 'complete' });
  });

  it('completes with the bound named when the last allowed call answered', () => {
    expect(nextAction({ at: 'answer', ...bounds, index: 4, toolCalls: 0 })).toEqual({
      do: 'complete',
      bound: 'max_steps (5 model calls)',
    });
  });

  it('runs the tools asked for while another model call may follow', () => {
    expect(nextAction({ at: 'answer', ...bounds, toolCalls: 2 })).toEqual({ do: 'run_tools' });
  });

  it('does not run tools whose results no model call could read', () => {
    expect(nextAction({ at: 'answer', ...bounds, index: 4, toolCalls: 1 })).toMatchObject({
      do: 'stop',
      reason: expect.stringContaining('max_steps (5 model calls)') as string,
    });
    expect(nextAction({ at: 'answer', ...bounds, usedTokens: 2000, toolCalls: 1 })).toMatchObject({
      do: 'stop',
      reason: expect.stringContaining('its last tool calls were not run') as string,
    });
  });
});

describe('nextAction before a tool call', () => {
  const call = (over: Partial<ToolCallMoment> = {}): ToolCallMoment => ({
    at: 'tool_call',
    driver: 'model',
    step: 1,
    asked: { skill: 'http_call', input: { url: 'https://a.example' }, toolUseId: 'tu_1' },
    idempotent: false,
    ...over,
  });
  const previous = (status: ToolCallStatus) => ({ status, skill: 'http_call', toolUseId: 'tu_1' });

  it('makes a new call', () => {
    expect(nextAction(call())).toEqual({ do: 'make_call' });
  });

  it('resumes after a crash: a finished call is served from the record', () => {
    expect(nextAction(call({ previous: previous(ToolCallStatus.Succeeded) }))).toEqual({ do: 'reuse_result' });
    // The model read the failure: the same conversation hands it on again. A plan tries again.
    expect(nextAction(call({ previous: previous(ToolCallStatus.Failed) }))).toEqual({ do: 'reuse_result' });
    expect(nextAction(call({ driver: 'plan', previous: previous(ToolCallStatus.Failed) }))).toEqual({
      do: 'make_call',
    });
  });

  it('resumes after a crash: an interrupted call is made again only when idempotent', () => {
    for (const status of [ToolCallStatus.Running, ToolCallStatus.Cancelled]) {
      expect(nextAction(call({ previous: previous(status), idempotent: true }))).toEqual({ do: 'make_call' });
      expect(nextAction(call({ previous: previous(status) }))).toMatchObject({
        do: 'refuse',
        reason: expect.stringContaining('not idempotent') as string,
      });
    }
    expect(nextAction(call({ driver: 'plan', previous: previous(ToolCallStatus.Running) }))).toEqual({
      do: 'refuse',
      reason: 'step 1 (http_call) was interrupted and is not idempotent; it was not repeated',
    });
  });

  it('waits while an approval is pending, makes an approved call, declines a refused one', () => {
    expect(nextAction(call({ previous: previous(ToolCallStatus.AwaitingApproval) }))).toEqual({ do: 'await' });
    expect(nextAction(call({ previous: previous(ToolCallStatus.Approved) }))).toEqual({ do: 'make_call' });
    expect(nextAction(call({ previous: previous(ToolCallStatus.Rejected) }))).toEqual({ do: 'declined' });
    expect(nextAction(call({ previous: previous(ToolCallStatus.Expired) }))).toEqual({ do: 'declined' });
  });

  it('fails when the record holds another call at this step', () => {
    expect(
      nextAction(call({ previous: { status: ToolCallStatus.Succeeded, skill: 'email_send', toolUseId: 'tu_1' } })),
    ).toMatchObject({ do: 'fail', reason: expect.stringContaining('diverged at step 1') as string });
    expect(
      nextAction(call({ previous: { status: ToolCallStatus.Succeeded, skill: 'http_call', toolUseId: 'tu_9' } })),
    ).toMatchObject({ do: 'fail' });
  });

  it('serves a replay from the record where the original made the same call', () => {
    const original = { skill: 'http_call', input: { url: 'https://a.example' } };
    expect(nextAction(call({ replayed: { original, followsOriginalPlan: false } }))).toEqual({ do: 'make_call' });
    // Served in an earlier attempt of the replay: handed on, whatever its status.
    expect(
      nextAction(
        call({ replayed: { original, followsOriginalPlan: false }, previous: previous(ToolCallStatus.Failed) }),
      ),
    ).toEqual({ do: 'reuse_result' });
  });

  it('reports a divergence where the replay asks for another call', () => {
    const action = nextAction(
      call({
        replayed: { original: { skill: 'http_call', input: { url: 'https://b.example' } }, followsOriginalPlan: false },
      }),
    );
    expect(action).toMatchObject({
      do: 'diverged',
      divergence: { step: 1, reason: 'the original called http_call at step 1 with another input' },
    });
    expect(nextAction(call({ replayed: { original: null, followsOriginalPlan: false } }))).toMatchObject({
      do: 'diverged',
      divergence: { expected: null, reason: 'the original made no call at step 1' },
    });
  });

  it('ends a replayed plan where its original stopped', () => {
    expect(nextAction(call({ driver: 'plan', replayed: { original: null, followsOriginalPlan: true } }))).toEqual({
      do: 'end_as_original',
    });
  });
});

describe('nextAction at the end of a turn', () => {
  it('waits for a person when a call awaits approval', () => {
    expect(nextAction({ at: 'turn_end', awaiting: ['email_send (step 2)'] })).toEqual({
      do: 'wait_for_approval',
      reason: 'waiting for approval of email_send (step 2)',
    });
  });

  it('goes on to the next model call otherwise', () => {
    expect(nextAction({ at: 'turn_end', awaiting: [] })).toEqual({ do: 'next_turn' });
  });
});
