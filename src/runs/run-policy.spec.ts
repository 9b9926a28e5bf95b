import { AgentApproval } from '../agents/agent-approval.enum';
import { approvalGate, CallEffects, policyOf, policyRefusal, RunPolicy, stricterPolicy, Taint } from './run-policy';

const policy = (over: Partial<RunPolicy> = {}): RunPolicy => ({
  approval: AgentApproval.SideEffects,
  skills: null,
  egress: null,
  egressTrusted: [],
  rememberToolResults: true,
  ...over,
});

const get = (origin = 'https://example.com'): CallEffects => ({
  sideEffects: 'none',
  external: true,
  egress: true,
  origins: [origin],
});
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
