import { RunStatus } from '../provenance/run-status.enum';
import { ToolCallStatus } from '../provenance/tool-call-status.enum';
import { loopStepResumption, modelWait, retryDelayMs, runOutcome, stepResumption } from './run-outcome';

describe('stepResumption', () => {
  it.each([
    [undefined, false, 'execute'],
    [ToolCallStatus.Succeeded, false, 'reuse'],
    [ToolCallStatus.Succeeded, true, 'reuse'],
    [ToolCallStatus.Failed, false, 'execute'],
    [ToolCallStatus.Running, true, 'execute'],
    [ToolCallStatus.Running, false, 'refuse'],
    [ToolCallStatus.Cancelled, true, 'execute'],
    [ToolCallStatus.Cancelled, false, 'refuse'],
    [ToolCallStatus.Approved, false, 'execute'],
    [ToolCallStatus.Rejected, true, 'declined'],
    [ToolCallStatus.Expired, true, 'declined'],
    [ToolCallStatus.AwaitingApproval, false, 'await'],
  ])('a step last %s (idempotent: %s) → %s', (previous, idempotent, expected) => {
    expect(stepResumption(previous, idempotent)).toBe(expected);
  });
});

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

describe('loopStepResumption', () => {
  it.each([
    [undefined, false, 'execute'],
    [ToolCallStatus.Succeeded, false, 'reuse'],
    [ToolCallStatus.Failed, false, 'reuse'],
    [ToolCallStatus.Failed, true, 'reuse'],
    [ToolCallStatus.Running, true, 'execute'],
    [ToolCallStatus.Running, false, 'refuse'],
    [ToolCallStatus.Cancelled, false, 'refuse'],
    [ToolCallStatus.Approved, false, 'execute'],
    [ToolCallStatus.Rejected, false, 'declined'],
    [ToolCallStatus.AwaitingApproval, true, 'await'],
  ])('a tool call last %s (idempotent: %s) → %s', (previous, idempotent, expected) => {
    expect(loopStepResumption(previous, idempotent)).toBe(expected);
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
