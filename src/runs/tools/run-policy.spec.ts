import { AgentApproval } from '../../agents/agent-approval.enum';
import { CallEffects, policyOf, policyRefusal, stricterPolicy } from './run-policy';
import { get, policy } from './run-policy.fixtures';

const send: CallEffects = { sideEffects: 'non_idempotent', external: true, egress: true, origins: [] };

describe('policyOf', () => {
  it('takes a run from before approvals as side_effects, and today’s defaults for fields a snapshot lacks', () => {
    expect(policyOf({ skills: null })).toEqual(policy());
  });
});

describe('stricterPolicy', () => {
  it('keeps the stricter approval, what both allow and what both trust', () => {
    const frozen = policy({
      approval: AgentApproval.None,
      skills: null,
      egress: ['https://a.com', 'https://b.com'],
      egressTrusted: ['https://a.com', 'https://b.com'],
    });
    const current = policy({
      approval: AgentApproval.Always,
      skills: ['http_call'],
      egress: ['https://b.com', 'https://c.com'],
      egressTrusted: ['https://b.com'],
      rememberToolResults: false,
    });
    expect(stricterPolicy(frozen, current)).toEqual({
      approval: AgentApproval.Always,
      skills: ['http_call'],
      egress: ['https://b.com'],
      egressTrusted: ['https://b.com'],
      rememberToolResults: false,
    });
    expect(stricterPolicy(current, frozen)).toEqual(stricterPolicy(frozen, current));
  });

  it('null lists allow everything, so the other list decides', () => {
    expect(stricterPolicy(policy(), policy({ egress: ['https://a.com'] })).egress).toEqual(['https://a.com']);
    expect(stricterPolicy(policy(), policy()).egress).toBeNull();
  });
});

describe('policyRefusal', () => {
  it('refuses a skill off the allow-list and an origin off the egress list, naming them', () => {
    expect(policyRefusal(policy({ skills: ['memory_write'] }), 'http_call', get())).toMatch(
      /http_call is not available/,
    );
    expect(policyRefusal(policy({ egress: ['https://api.example.com'] }), 'http_call', get())).toMatch(
      /https:\/\/example.com is not on this agent's egress allow-list \(https:\/\/api.example.com\)/,
    );
    expect(policyRefusal(policy({ egress: ['https://example.com'] }), 'http_call', get())).toBeUndefined();
    expect(policyRefusal(policy({ egress: [] }), 'email_send', send)).toBeUndefined();
  });
});
