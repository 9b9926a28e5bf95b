import pc from 'picocolors';
import { AosApiError } from '../errors.js';
import type { AosEvent, Run, RunComparison, Tenant, TenantUsage } from '../types.js';
import {
  clip,
  commandLine,
  describeError,
  describeEvent,
  describeLimits,
  formatComparison,
  formatEvent,
  formatPendingApprovals,
  formatTable,
  formatTenant,
  formatUsage,
} from './format.js';

const plain = pc.createColors(false);
const coloured = pc.createColors(true);

const event = (type: AosEvent['type'], data: Record<string, unknown>): AosEvent => ({
  id: 7,
  type,
  tenant_id: '7e4a4700-0000-4000-8000-000000000000',
  agent_id: 'a1b2c3d4-0000-4000-8000-000000000000',
  run_id: 'f00dcafe-0000-4000-8000-000000000000',
  actor: null,
  created_at: '2026-01-02T03:04:05.000Z',
  data,
});

describe('event lines', () => {
  it.each([
    ['run.created', { goal: 'remember the milk', priority: 5 }, 'run created: "remember the milk" (priority 5)'],
    ['run.started', { attempt: 1 }, 'run started (attempt 1)'],
    ['run.step.started', { step: 0, skill: 'memory_write' }, 'step 0 memory_write started'],
    [
      'run.step.completed',
      { step: 1, skill: 'http_call', status: 'failed', duration_ms: 12, error: 'blocked by SSRF protection' },
      'step 1 http_call failed (12 ms): blocked by SSRF protection',
    ],
    [
      'run.model_call.completed',
      {
        index: 0,
        provider: 'anthropic',
        model: 'claude-x',
        input_tokens: 120,
        output_tokens: 30,
        stop_reason: 'tool_use',
        tool_calls: 2,
        duration_ms: 350,
      },
      'model call #0 anthropic/claude-x: 120→30 tokens, stop tool_use, 2 tool calls (350 ms)',
    ],
    [
      'run.approval.requested',
      { tool_call_id: 'c1', step: 0, skill: 'email_send', input: { to: 'x@example.com' } },
      'approval requested: step 0 email_send {"to":"x@example.com"} (call c1)',
    ],
    [
      'run.approval.requested',
      {
        tool_call_id: 'c2',
        step: 3,
        skill: 'http_call',
        input: { url: 'u' },
        reason: 'tainted at step 1 by email_read',
      },
      'approval requested: step 3 http_call {"url":"u"} because tainted at step 1 by email_read (call c2)',
    ],
    [
      'run.tainted',
      { step: 1, skill: 'email_read', source: 'mail 4 in INBOX', at: '2026-01-01T00:00:00Z' },
      'run tainted at step 1 by email_read (mail 4 in INBOX): outside content is in its context',
    ],
    [
      'run.approval.rejected',
      { step: 0, skill: 'email_send', by: 'sam', reason: 'no' },
      'approval rejected: step 0 email_send by sam: no',
    ],
    ['run.waiting_approval', { reason: null }, 'run waiting for approval'],
    ['run.failed', { status: 'failed', error_message: 'the model refused: no' }, 'run failed: the model refused: no'],
    ['run.completed', { status: 'completed', error_message: null }, 'run completed'],
    [
      'memory.created',
      { memory_id: 'abcdef0123', memory_type: 'user_input', chars: 17 },
      'memory created: user_input, 17 chars abcdef01',
    ],
    ['agent.updated', { changes: { name: 'x' } }, 'agent updated: {"name":"x"}'],
  ] as const)('%s reads as a sentence', (type, data, text) => {
    expect(describeEvent(event(type, data), plain)).toBe(text);
  });

  it('starts with the local time, and names the run only when asked', () => {
    const e = event('run.started', { attempt: 2 });
    expect(formatEvent(e, plain)).toMatch(/^\d\d:\d\d:\d\d {2}run started/);
    expect(formatEvent(e, plain, { showRun: true })).toMatch(/^\d\d:\d\d:\d\d {2}run f00dcafe {2}run started/);
  });

  it('colours outcomes only with colours on', () => {
    const line = describeEvent(event('run.failed', { error_message: 'x' }), coloured);
    expect(line).toContain('\u001b[31mfailed');
    expect(describeEvent(event('run.failed', { error_message: 'x' }), plain)).not.toContain('\u001b');
  });
});

describe('tables and text', () => {
  it('pads columns to the widest visible cell, ignoring colour codes', () => {
    expect(
      formatTable(
        ['id', 'status'],
        [
          ['1', coloured.green('ok')],
          ['22', 'failed'],
        ],
        plain,
      ),
    ).toEqual(['id  status', `1   ${coloured.green('ok')}`, '22  failed']);
  });

  it('clips long and multi-line text to one line', () => {
    expect(clip('a\n  b', 10)).toBe('a b');
    expect(clip('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('quotes arguments a shell would split', () => {
    expect(commandLine({ program: './aos cli', flags: ['--url', 'http://h:1'] }, ['runs', 'reject', "it's"])).toBe(
      `./aos cli --url http://h:1 runs reject 'it'\\''s'`,
    );
  });
});

describe('pending approvals', () => {
  it('show each waiting call with the exact commands that answer it', () => {
    const run = {
      id: 'r1',
      agent_id: 'a1',
      pending_approvals: [
        {
          tool_call_id: 'c1',
          step: 0,
          skill: 'memory_write',
          input: { text: 'eggs' },
          reason: 'the approval policy is always',
          requested_at: '2026-01-01T00:00:00Z',
          expires_at: '2026-01-02T00:00:00Z',
        },
      ],
    } as unknown as Run;
    const text = formatPendingApprovals(run, { program: 'aos', flags: [] }, plain).join('\n');
    expect(text).toContain('run r1 is waiting for approval');
    expect(text).toMatch(/skill: +memory_write/);
    expect(text).toMatch(/tool_call_id: +c1/);
    expect(text).toContain('input:        {"text":"eggs"}');
    expect(text).toMatch(/why: +the approval policy is always/);
    expect(text).toContain('approve: aos runs approve a1 r1 --call c1');
    expect(text).toContain("reject:  aos runs reject a1 r1 --call c1 --reason 'why not'");
  });
});

describe('run comparison', () => {
  it('puts both runs side by side and marks the steps that differ', () => {
    const summary = (id: string, status: string, result: string) => ({
      id,
      status,
      result,
      error_message: null,
      usage: { model_calls: 1, input_tokens: 10, output_tokens: 5 },
    });
    const comparison = {
      left: summary('11111111-aaaa', 'completed', 'four'),
      right: summary('22222222-bbbb', 'completed', 'five'),
      same_result: false,
      first_difference: 1,
      steps: [
        {
          step: 0,
          same: true,
          left: {
            kind: 'model_call',
            status: 'succeeded',
            provider: 'anthropic',
            model: 'm',
            tool_calls: ['http_call'],
            replayed_from: null,
          },
          right: {
            kind: 'model_call',
            status: 'succeeded',
            provider: 'anthropic',
            model: 'm',
            tool_calls: ['http_call'],
            replayed_from: 'x',
          },
        },
        {
          step: 1,
          same: false,
          left: {
            kind: 'tool_call',
            status: 'succeeded',
            skill: 'http_call',
            input: { url: 'u' },
            replayed_from: null,
          },
          right: null,
        },
      ],
      usage_difference: { model_calls: 0, input_tokens: 0, output_tokens: 0 },
    } as unknown as RunComparison;
    const lines = formatComparison(comparison, plain);
    expect(lines[0]).toMatch(/^ +run 11111111 +run 22222222$/);
    expect(lines).toContain('different results');
    expect(lines).toContain('first difference at step 1');
    const step1 = lines.find((l) => l.startsWith('1 '));
    expect(step1).toMatch(/http_call succeeded \{"url":"u"\} +— +≠$/);
    const step0 = lines.find((l) => l.startsWith('0 '));
    expect(step0).toContain('model anthropic/m succeeded → http_call');
    expect(step0).not.toContain('≠');
  });
});

describe('limits and usage', () => {
  it('names each limit set, in the order tenants limits takes them; none when there is none', () => {
    expect(describeLimits({})).toBe('none');
    expect(
      describeLimits({ requests_per_minute: 600, agents: 0, on_token_limit: 'fail', model_tokens_per_day: 5 }),
    ).toBe('agents 0, model tokens per day 5, on token limit fail, requests per minute 600');
    const tenant: Tenant = {
      id: 't1',
      slug: 'acme',
      name: 'Acme',
      status: 'active',
      limits: { runs_in_flight: 2 },
      created_at: '2026-12-01T00:00:00.000Z',
    };
    expect(formatTenant(tenant, plain)).toEqual([
      'id:      t1',
      'slug:    acme',
      'name:    Acme',
      'status:  active',
      'limits:  runs in flight 2',
      'created: 2026-12-01T00:00:00.000Z',
    ]);
  });

  it('shows usage a day a line, then the model calls by model', () => {
    const usage: TenantUsage = {
      tenant_id: 't1',
      from: '2026-11-02',
      to: '2026-12-01',
      days: [
        {
          day: '2026-11-30',
          model_tokens: 1220,
          models: [
            { provider: 'anthropic', model: 'claude-x', calls: 2, input_tokens: 1000, output_tokens: 200 },
            { provider: 'openai', model: 'gpt-y', calls: 1, input_tokens: 15, output_tokens: 5 },
          ],
          runs: { failed: 1, completed: 3 },
        },
        { day: '2026-12-01', model_tokens: 0, models: [], runs: { pending: 1 } },
      ],
    };
    expect(formatUsage(usage, plain)).toEqual([
      'tenant: t1',
      'days:   2026-11-02 to 2026-12-01 (UTC)',
      '',
      'day         model tokens  model calls  runs',
      '2026-11-30  1220          3            completed 3, failed 1',
      '2026-12-01  0             0            pending 1',
      '',
      'model calls',
      '  day         model               calls  tokens',
      '  2026-11-30  anthropic/claude-x  2      1000→200',
      '  2026-11-30  openai/gpt-y        1      15→5',
    ]);
    expect(formatUsage({ ...usage, days: [] }, plain).at(-1)).toBe('no model calls and no runs on these days');
  });
});

describe('error lines', () => {
  it('keeps every error on one line, whatever line breaks the server or a library put in it', () => {
    const refused = new AosApiError(422, 'goal is too long:\r\n  at most 10000 characters\n\nsee the docs', null);
    expect(describeError(refused)).toBe('422 goal is too long: at most 10000 characters see the docs');
    expect(describeError(new Error('first\nsecond\u2028third\n'))).toBe('first second third');
    expect(describeError('plain')).toBe('plain');
  });
});
