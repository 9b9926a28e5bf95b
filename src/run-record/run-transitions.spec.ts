import { RunStatus } from './run-status.enum';
import {
  assertRunTransition,
  canTransition,
  InvalidRunTransitionError,
  isSettled,
  isTerminal,
  RUN_TRANSITIONS,
  TRANSITIONS,
} from './run-transitions';

describe('run transitions', () => {
  it('lets a run be claimed only from pending', () => {
    for (const status of Object.values(RunStatus)) {
      expect(canTransition(status, RunStatus.Running)).toBe(status === RunStatus.Pending);
    }
  });

  it('ends only a running run (a waiting or pending one can only be cancelled, or resumed)', () => {
    for (const end of [RunStatus.Completed, RunStatus.Failed, RunStatus.Partial]) {
      expect(Object.values(RunStatus).filter((s) => canTransition(s, end))).toEqual([RunStatus.Running]);
    }
    expect(RUN_TRANSITIONS[RunStatus.WaitingApproval]).toEqual([RunStatus.Pending, RunStatus.Cancelled]);
  });

  it('changes nothing once a run is finished', () => {
    for (const end of [RunStatus.Completed, RunStatus.Failed, RunStatus.Partial, RunStatus.Cancelled]) {
      expect(isTerminal(end)).toBe(true);
      expect(RUN_TRANSITIONS[end]).toEqual([]);
      expect(() => assertRunTransition(end, RunStatus.Pending)).toThrow(InvalidRunTransitionError);
    }
    expect(isTerminal(RunStatus.WaitingApproval)).toBe(false);
  });

  it('says which transition it refused', () => {
    expect(() => assertRunTransition(RunStatus.Completed, RunStatus.Running)).toThrow(
      'a run cannot go from completed to running',
    );
  });

  it('builds every named transition from allowed pairs only', () => {
    for (const { from, to } of Object.values(TRANSITIONS)) {
      for (const f of from) for (const t of to) expect(canTransition(f, t)).toBe(true);
    }
    expect(TRANSITIONS.cancel.from).toEqual([RunStatus.Pending, RunStatus.Running, RunStatus.WaitingApproval]);
    expect(TRANSITIONS.claim).toEqual({ from: [RunStatus.Pending], to: [RunStatus.Running] });
  });

  it('settles a long-poll on a finished run or one that needs a person', () => {
    expect(isSettled(RunStatus.WaitingApproval)).toBe(true);
    expect(isSettled(RunStatus.Cancelled)).toBe(true);
    expect(isSettled(RunStatus.Running)).toBe(false);
    expect(isSettled(RunStatus.Pending)).toBe(false);
  });
});
