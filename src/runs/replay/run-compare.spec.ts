import type { ModelCallDto, ToolCallDto } from '../../run-record/dto/provenance.dto';
import { compareCalls } from './run-compare';

const modelCall = (step: number, content: Record<string, unknown>[], extra: Partial<ModelCallDto> = {}) =>
  ({
    index: step,
    step,
    status: 'succeeded',
    provider: 'anthropic',
    model: 'claude',
    content,
    input_tokens: 10,
    output_tokens: 5,
    error: null,
    replayed_from: null,
    ...extra,
  }) as ModelCallDto;

const toolCall = (step: number, skill: string, input: Record<string, unknown>, output: Record<string, unknown>) =>
  ({ step, skill_id: skill, input, output, error: null, status: 'succeeded', replayed_from: null }) as ToolCallDto;

describe('compareCalls', () => {
  const ask = (id: string, name: string) => ({ type: 'tool_use', id, name, input: {} });

  it('pairs calls by step and finds none different in a faithful replay (provider ids aside)', () => {
    const left = {
      model_calls: [modelCall(0, [ask('toolu_1', 'http_call')]), modelCall(2, [{ type: 'text', text: 'Done' }])],
      tool_calls: [toolCall(1, 'http_call', { url: 'http://a', method: 'GET' }, { status: 200 })],
    };
    const right = {
      model_calls: [
        modelCall(0, [ask('call_9', 'http_call')], { replayed_from: 'x' }),
        modelCall(2, [{ type: 'text', text: 'Done' }]),
      ],
      tool_calls: [toolCall(1, 'http_call', { method: 'GET', url: 'http://a' }, { status: 200 })],
    };
    const { steps, firstDifference } = compareCalls(left, right);
    expect(steps.map((s) => [s.step, s.same, s.left?.kind])).toEqual([
      [0, true, 'model_call'],
      [1, true, 'tool_call'],
      [2, true, 'model_call'],
    ]);
    expect(firstDifference).toBeNull();
    expect(steps[0].right?.tool_calls).toEqual(['http_call']);
  });

  it('names the first step that differs, and a step only one run reached', () => {
    const left = {
      model_calls: [modelCall(0, [ask('a', 'http_call')])],
      tool_calls: [toolCall(1, 'http_call', { url: 'http://a' }, { status: 200 })],
    };
    const right = {
      model_calls: [modelCall(0, [ask('b', 'email_send')])],
      tool_calls: [toolCall(1, 'email_send', { to: ['x@y.z'] }, { accepted: 1 }), toolCall(2, 'memory_write', {}, {})],
    };
    const { steps, firstDifference } = compareCalls(left, right);
    expect(firstDifference).toBe(0);
    expect(steps.find((s) => s.step === 2)).toMatchObject({
      same: false,
      left: null,
      right: { skill: 'memory_write' },
    });
  });
});
