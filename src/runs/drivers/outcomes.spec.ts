import { RunStatus } from '../../run-record/run-status.enum';
import { answerOutcome, modelWait, retryDelayMs, runOutcome } from './outcomes';

describe('runOutcome', () => {
  const ok = { ok: true };
  const transient = { ok: false, error: 'step 1: 503', retryable: true };
  const permanent = { ok: false, error: 'step 2: 404', retryable: false };

  it('completes when every step succeeded', () => {
    expect(runOutcome([ok, ok], 1, 3)).toEqual({ status: RunStatus.Completed, errorMessage: null, retry: false });
    expect(runOutcome([], 1, 3).status).toBe(RunStatus.Completed);
  });

  it('retries when every failure may pass and attempts are left', () => {
    expect(runOutcome([ok, transient], 1, 3)).toEqual({
      status: RunStatus.Pending,
      errorMessage: 'attempt 1 failed, retrying: step 1: 503',
      retry: true,
    });
  });

  it('is partial when some step succeeded, failed when none did, once retrying is over', () => {
    expect(runOutcome([ok, transient], 3, 3)).toMatchObject({ status: RunStatus.Partial, retry: false });
    expect(runOutcome([transient], 3, 3)).toMatchObject({ status: RunStatus.Failed });
    expect(runOutcome([ok, transient, permanent], 1, 3)).toEqual({
      status: RunStatus.Partial,
      errorMessage: 'step 1: 503; step 2: 404',
      retry: false,
    });
    expect(runOutcome([permanent], 1, 3).status).toBe(RunStatus.Failed);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base, caps, and adds at most 20 % jitter', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(1000);
    expect(retryDelayMs(3, 1000, 60_000, () => 0)).toBe(4000);
    expect(retryDelayMs(20, 1000, 60_000, () => 0)).toBe(60_000);
    expect(retryDelayMs(2, 1000, 60_000, () => 1)).toBe(2400);
  });
});

describe('modelWait', () => {
  const limits = { maxWaitMs: 60_000, baseMs: 1_000, maxMs: 20_000 };
  const now = new Date('2026-11-27T10:00:00Z');

  it('waits with exponential backoff from the first failure', () => {
    expect(modelWait(null, 0, now, limits, () => 0)).toEqual({
      giveUp: false,
      retryAt: new Date(now.getTime() + 1_000),
    });
    expect(modelWait(new Date(now.getTime() - 5_000), 3, now, limits, () => 0)).toEqual({
      giveUp: false,
      retryAt: new Date(now.getTime() + 8_000),
    });
  });

  it('never schedules past the deadline, and gives up once it is reached', () => {
    const since = new Date(now.getTime() - 55_000);
    expect(modelWait(since, 10, now, limits, () => 0)).toEqual({
      giveUp: false,
      retryAt: new Date(now.getTime() + 5_000),
    });
    expect(modelWait(new Date(now.getTime() - 60_000), 10, now, limits)).toEqual({ giveUp: true, waitedMs: 60_000 });
  });
});

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
