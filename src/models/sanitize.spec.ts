import { sanitizeAnswer } from './sanitize';

describe('sanitizeAnswer', () => {
  it('drops empty text, removes NUL, gives tool calls valid names and unique ids', () => {
    const answer = sanitizeAnswer(
      [
        { type: 'text', text: '   ' },
        { type: 'text', text: 'ok\u0000' },
        { type: 'tool_use', id: '', name: 'http_call', input: { url: 'x\u0000' } },
        { type: 'tool_use', id: 'dup', name: 'weird name!'.repeat(10), input: {} },
        { type: 'tool_use', id: 'dup', name: 'memory_write', input: {} },
      ],
      3,
    );
    expect(answer).toEqual([
      { type: 'text', text: 'ok' },
      { type: 'tool_use', id: 'call_3_2', name: 'http_call', input: { url: 'x' } },
      { type: 'tool_use', id: 'dup', name: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), input: {} },
      { type: 'tool_use', id: 'call_3_4', name: 'memory_write', input: {} },
    ]);
  });
});
