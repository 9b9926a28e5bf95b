import { AgentApproval } from '../agents/agent-approval.enum';
import { approvalNeeded, declinedText } from './approval-policy';

describe('approvalNeeded', () => {
  const send = { sideEffects: 'non_idempotent' as const, external: true };
  const book = { sideEffects: 'idempotent' as const, external: true };
  const read = { sideEffects: 'none' as const, external: true };
  const remember = { sideEffects: 'idempotent' as const, external: false };

  it('side_effects: only calls that change something outside AOS', () => {
    expect(approvalNeeded(AgentApproval.SideEffects, send)).toBe(true);
    expect(approvalNeeded(AgentApproval.SideEffects, book)).toBe(true);
    expect(approvalNeeded(AgentApproval.SideEffects, read)).toBe(false);
    expect(approvalNeeded(AgentApproval.SideEffects, remember)).toBe(false);
  });

  it('always: every call; none (and runs from before approvals): no call', () => {
    for (const call of [send, book, read, remember]) {
      expect(approvalNeeded(AgentApproval.Always, call)).toBe(true);
      expect(approvalNeeded(AgentApproval.None, call)).toBe(false);
      expect(approvalNeeded(undefined, call)).toBe(false);
    }
  });
});

describe('declinedText', () => {
  it('says who refused and why, or that the approval expired', () => {
    expect(declinedText({ status: 'rejected', rejectedBy: 'dana', approvalReason: 'wrong recipient' })).toBe(
      'a person (dana) rejected this call; it was not made: wrong recipient',
    );
    expect(declinedText({ status: 'rejected', rejectedBy: null, approvalReason: null })).toBe(
      'a person rejected this call; it was not made',
    );
    expect(declinedText({ status: 'expired', rejectedBy: null, approvalReason: null })).toMatch(/in time/);
  });
});
