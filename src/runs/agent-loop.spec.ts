import { RunStatus } from '../provenance/run-status.enum';
import { answerOutcome } from './agent-loop';

describe('answerOutcome', () => {
  it('completes on an ordinary answer', () => {
    expect(answerOutcome('Done.', 'end_turn', undefined, 4096)).toEqual({
      status: RunStatus.Completed,
      errorMessage: null,
    });
  });

  it('fails on a refusal, with its text', () => {
    expect(answerOutcome('I cannot help with that.', 'refusal', undefined, 4096)).toEqual({
      status: RunStatus.Failed,
      errorMessage: 'the model refused: I cannot help with that.',
    });
    expect(answerOutcome('', 'content_filter', undefined, 4096).status).toBe(RunStatus.Failed);
  });

  it('is partial when cut short or when the last allowed call had to answer', () => {
    expect(answerOutcome('Half', 'max_tokens', undefined, 100).status).toBe(RunStatus.Partial);
    expect(answerOutcome('Half', 'length', undefined, 100).errorMessage).toMatch(/AOS_LLM_MAX_OUTPUT_TOKENS \(100\)/);
    expect(answerOutcome('Summary', 'end_turn', 'max_steps (3 model calls)', 100)).toEqual({
      status: RunStatus.Partial,
      errorMessage: 'reached max_steps (3 model calls): the last call had to answer without tools',
    });
  });
});
