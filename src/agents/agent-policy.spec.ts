import { AgentApproval } from './agent-approval.enum';
import { DEFAULT_POLICY, policyChanges } from './agent-policy';

describe('policyChanges', () => {
  it('names the policy fields that differ, as the body names them', () => {
    expect(policyChanges(DEFAULT_POLICY, { ...DEFAULT_POLICY })).toEqual([]);
    expect(
      policyChanges(DEFAULT_POLICY, {
        ...DEFAULT_POLICY,
        approval: AgentApproval.None,
        egressTrusted: ['https://api.example.com'],
      }),
    ).toEqual(['approval', 'egress_trusted']);
    expect(policyChanges(DEFAULT_POLICY, { ...DEFAULT_POLICY, skills: [] })).toEqual(['skills']);
  });
});
