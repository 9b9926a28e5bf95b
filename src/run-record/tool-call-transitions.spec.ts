import { ToolCallStatus } from './tool-call-status.enum';
import {
  assertToolCallTransition,
  InvalidToolCallTransitionError,
  isFinishedCall,
  NEW_CALL,
  TOOL_CALL_TRANSITIONS,
  toolCallFrom,
} from './tool-call-transitions';

describe('tool call transitions', () => {
  it('has a row for each of the eight states and for a call not yet recorded', () => {
    expect(Object.keys(TOOL_CALL_TRANSITIONS).sort()).toEqual([NEW_CALL, ...Object.values(ToolCallStatus)].sort());
    expect(Object.values(ToolCallStatus)).toHaveLength(8);
  });

  it('starts a call from new, a retry, an interruption or an approval — never from a success', () => {
    expect(toolCallFrom(ToolCallStatus.Running).sort()).toEqual(
      [ToolCallStatus.Running, ToolCallStatus.Failed, ToolCallStatus.Cancelled, ToolCallStatus.Approved].sort(),
    );
  });

  it('answers only a call that waits for a person', () => {
    for (const answer of [ToolCallStatus.Approved, ToolCallStatus.Rejected, ToolCallStatus.Expired]) {
      expect(toolCallFrom(answer)).toEqual([ToolCallStatus.AwaitingApproval]);
    }
  });

  it('ends a running call once: succeeded only from running', () => {
    expect(toolCallFrom(ToolCallStatus.Succeeded)).toEqual([ToolCallStatus.Running]);
  });

  it('refuses an approved call that a tightened policy no longer allows, without running it', () => {
    expect(() => assertToolCallTransition(ToolCallStatus.Approved, ToolCallStatus.Failed)).not.toThrow();
  });

  it('changes a succeeded, rejected or expired call no more', () => {
    for (const status of [ToolCallStatus.Succeeded, ToolCallStatus.Rejected, ToolCallStatus.Expired]) {
      expect(TOOL_CALL_TRANSITIONS[status]).toEqual([]);
      expect(() => assertToolCallTransition(status, ToolCallStatus.Running)).toThrow(InvalidToolCallTransitionError);
    }
    expect(() => assertToolCallTransition(ToolCallStatus.Succeeded, ToolCallStatus.Running)).toThrow(
      'a tool call cannot go from succeeded to running',
    );
  });

  it('lets a replay write a call finished as its original ended', () => {
    for (const status of [ToolCallStatus.Succeeded, ToolCallStatus.Failed, ToolCallStatus.Rejected]) {
      expect(() => assertToolCallTransition(NEW_CALL, status)).not.toThrow();
    }
    expect(() => assertToolCallTransition(NEW_CALL, ToolCallStatus.Approved)).toThrow(InvalidToolCallTransitionError);
  });

  it('knows which calls reached an end', () => {
    expect(Object.values(ToolCallStatus).filter(isFinishedCall).sort()).toEqual(
      [
        ToolCallStatus.Succeeded,
        ToolCallStatus.Failed,
        ToolCallStatus.Cancelled,
        ToolCallStatus.Rejected,
        ToolCallStatus.Expired,
      ].sort(),
    );
  });
});
