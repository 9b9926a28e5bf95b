import { AgentApproval } from '../../agents/agent-approval.enum';
import type { Taint } from '../../run-record/taint';
import type { CallEffects } from '../tools/run-policy';
import { approvalGate } from './approval-gate';
import { get, policy } from '../tools/run-policy.fixtures';

const post: CallEffects = { sideEffects: 'non_idempotent', external: true, egress: true, origins: ['https://x.org'] };
const send: CallEffects = { sideEffects: 'non_idempotent', external: true, egress: true, origins: [] };
const readMail: CallEffects = { sideEffects: 'none', external: true, egress: false, origins: [] };
const remember: CallEffects = { sideEffects: 'idempotent', external: false, egress: false, origins: [] };
const taint: Taint = { step: 3, skill: 'email_read', at: '2026-12-06T10:00:00.000Z', source: 'mail 1' };

describe('approvalGate', () => {
  it('side_effects, untainted: only calls that change something outside AOS wait, as before', () => {
    expect(approvalGate(policy(), get(), null)).toBeUndefined();
    expect(approvalGate(policy(), readMail, null)).toBeUndefined();
    expect(approvalGate(policy(), remember, null)).toBeUndefined();
    expect(approvalGate(policy(), post, null)).toMatch(/outside AOS/);
    expect(approvalGate(policy(), send, null)).toMatch(/outside AOS/);
  });

  it('side_effects, tainted: every call that can carry data out waits, saying where the taint came from', () => {
    expect(approvalGate(policy(), get(), taint)).toBe('tainted at step 3 by email_read');
    expect(approvalGate(policy(), send, taint)).toBe('tainted at step 3 by email_read');
    // Reading mail or memory carries nothing out.
    expect(approvalGate(policy(), readMail, taint)).toBeUndefined();
    expect(approvalGate(policy(), remember, taint)).toBeUndefined();
  });

  it('an origin trusted with the run’s data is no egress for the taint rule (a write there still waits)', () => {
    const trusting = policy({ egressTrusted: ['https://intranet.example.com'] });
    expect(approvalGate(trusting, get('https://intranet.example.com'), taint)).toBeUndefined();
    expect(approvalGate(trusting, get('https://elsewhere.example.com'), taint)).toMatch(/tainted/);
    expect(approvalGate(trusting, { ...post, origins: ['https://intranet.example.com'] }, taint)).toMatch(
      /outside AOS/,
    );
  });

  it('always: every call; none: no call, tainted or not', () => {
    for (const call of [get(), post, send, readMail, remember]) {
      expect(approvalGate(policy({ approval: AgentApproval.Always }), call, null)).toBeDefined();
      expect(approvalGate(policy({ approval: AgentApproval.None }), call, taint)).toBeUndefined();
    }
  });
});
