import { FakeModelServer, RecordedRequest, Turn } from './support/fake-models';
import { SmtpTestServer } from './support/smtp-test-server';
import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

type Run = {
  id: string;
  status: string;
  result: string | null;
  error_message: string | null;
  replay_of: string | null;
  replay_mode: string | null;
  divergence: { step: number; expected: any; got: any; reason: string } | null;
  usage: { model_calls: number; input_tokens: number; output_tokens: number };
  settings: { instructions: string | null } | null;
  pending_approvals: { tool_call_id: string }[];
  model_calls: { id: string; index: number; replayed_from: string | null; input_tokens: number | null }[];
  tool_calls: {
    id: string;
    step: number;
    skill_id: string;
    status: string;
    output: any;
    replayed_from: string | null;
  }[];
};

const settled = (r: Run) => !['pending', 'running'].includes(r.status);

describe('replay', () => {
  let t: TestApp;
  let model: FakeModelServer;
  let target: TargetServer;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    model = new FakeModelServer('anthropic');
    target = new TargetServer();
    smtp = new SmtpTestServer();
    await Promise.all([model.start(), target.start(), smtp.start()]);
    target.text('/report', 'Quarterly revenue: 42');
    t = await startTestApp({
      ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
      ANTHROPIC_BASE_URL: model.baseUrl,
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_CONNECTION_ALLOW_HOSTS: `127.0.0.1:${smtp.port}`,
      AOS_WORKER_POLL_MS: '100',
    });
  });
  afterEach(() => model.reset());
  afterAll(async () => {
    await t?.close();
    await Promise.all([model?.stop(), target?.stop(), smtp?.stop()]);
  });

  const run = async (a: string, r: string) =>
    (await t.request({ method: 'GET', url: `/agents/${a}/runs/${r}` })).json<Run>();
  const until = (a: string, r: string, accept: (r: Run) => boolean = settled) =>
    eventually(() => run(a, r), accept, 20_000);
  const replay = (a: string, r: string, payload: Record<string, unknown>) =>
    t.request({ method: 'POST', url: `/agents/${a}/runs/${r}/replay`, payload });

  /** Fetch the report, mail it (waits for approval under side_effects), then say so. */
  const REPORT_TURNS = (): Turn[] => [
    { tools: [{ name: 'http_call', input: { method: 'GET', url: target.url('/report') } }] },
    {
      tools: [
        {
          name: 'email_send',
          input: { connection: 'outbox', to: ['cfo@example.com'], subject: 'Report', text: 'Revenue: 42' },
        },
      ],
    },
    { text: 'Mailed the report to the CFO.' },
  ];

  async function mailingAgent(): Promise<string> {
    const a = (
      await t.request({
        method: 'POST',
        url: '/agents',
        payload: { name: 'reporter', planner: 'llm', instructions: 'Mail reports when asked.' },
      })
    ).json().id as string;
    const created = await t.request({
      method: 'POST',
      url: `/agents/${a}/connections`,
      payload: {
        name: 'outbox',
        kind: 'smtp',
        settings: { host: '127.0.0.1', port: smtp.port, tls: 'none', username: smtp.user, from: 'agent@example.com' },
        secret: smtp.password,
      },
    });
    expect(created.statusCode).toBe(201);
    return a;
  }

  /** A finished original: the report fetched, the mail approved and sent, the answer given. */
  async function originalRun(a: string): Promise<Run> {
    model.script(REPORT_TURNS());
    const r = (
      await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: 'Mail the report' } })
    ).json().run_id as string;
    await until(a, r, (x) => x.status === 'waiting_approval');
    expect((await t.request({ method: 'POST', url: `/agents/${a}/runs/${r}/approve`, payload: {} })).statusCode).toBe(
      200,
    );
    const done = await until(a, r);
    expect(done.status).toBe('completed');
    return done;
  }

  it('a recorded replay completes with the same result, touching neither the network nor the model', async () => {
    const a = await mailingAgent();
    const original = await originalRun(a);
    const seen = { report: target.count('/report'), mails: smtp.received.length, model: model.requests.length };
    expect(seen).toEqual({ report: 1, mails: 1, model: 3 });
    // The agent changes afterwards; the replay starts from the original's snapshot anyway.
    await t.request({ method: 'PATCH', url: `/agents/${a}`, payload: { instructions: 'Never mail anything.' } });

    const accepted = await replay(a, original.id, { mode: 'recorded', overrides: {} });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers.location).toBe(`/agents/${a}/runs/${accepted.json().run_id}`);
    const copy = await until(a, accepted.json().run_id);

    expect(copy).toMatchObject({
      status: 'completed',
      result: original.result,
      replay_of: original.id,
      replay_mode: 'recorded',
      divergence: null,
      pending_approvals: [],
      usage: { model_calls: 0, input_tokens: 0, output_tokens: 0 },
    });
    expect(copy.settings?.instructions).toBe('Mail reports when asked.');
    expect({ report: target.count('/report'), mails: smtp.received.length, model: model.requests.length }).toEqual(
      seen,
    );
    expect(copy.model_calls.map((c) => c.replayed_from)).toEqual(original.model_calls.map((c) => c.id));
    expect(copy.tool_calls.map((c) => [c.step, c.skill_id, c.status, c.replayed_from])).toEqual(
      original.tool_calls.map((c) => [c.step, c.skill_id, 'succeeded', c.id]),
    );
    expect(copy.tool_calls[0].output).toEqual(original.tool_calls[0].output);

    // Listed like any run, with its events streamed as replayed.
    const listed = (await t.request({ method: 'GET', url: `/agents/${a}/runs` })).json().items as Run[];
    expect(listed.find((r) => r.id === copy.id)).toMatchObject({ replay_of: original.id, replay_mode: 'recorded' });
    const events = (
      (await t.request({ method: 'GET', url: `/agents/${a}/events?limit=100` })).json().items as {
        type: string;
        run_id: string;
        data: Record<string, unknown>;
      }[]
    ).filter((e) => e.run_id === copy.id);
    expect(events[0]).toMatchObject({ type: 'run.created', data: { replay_of: original.id, replay_mode: 'recorded' } });
    const steps = events.filter((e) => e.type === 'run.step.completed');
    expect(steps.map((e) => e.data.replayed_from)).toEqual(original.tool_calls.map((c) => c.id));
    expect(events.filter((e) => e.type === 'run.model_call.completed')).toHaveLength(3);
    expect(events.some((e) => e.type.startsWith('run.approval'))).toBe(false);

    // Side by side: the same calls and result, the usage the replay saved.
    const compared = (
      await t.request({ method: 'GET', url: `/agents/${a}/runs/${original.id}/compare/${copy.id}` })
    ).json();
    expect(compared).toMatchObject({ same_result: true, first_difference: null });
    expect(compared.steps.map((s: { step: number; same: boolean }) => [s.step, s.same])).toEqual([
      [0, true],
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
    expect(compared.usage_difference.model_calls).toBe(-3);

    // A recorded replay of a replay is the same again.
    const again = await until(a, (await replay(a, copy.id, { mode: 'recorded' })).json().run_id);
    expect(again).toMatchObject({ status: 'completed', result: original.result, replay_of: copy.id });
  });

  it('model_live: changed instructions make the model pick another tool → failed with a divergence at that step', async () => {
    const a = await mailingAgent();
    const original = await originalRun(a);
    const seen = { report: target.count('/report'), mails: smtp.received.length };
    model.reset();
    // The model follows the instructions it is given: told to skip the fetch, it mails at once.
    const turns = REPORT_TURNS();
    model.turnFor = (request: RecordedRequest) =>
      JSON.stringify(request.body.system).includes('Do not fetch') ? turns[request.turn + 1] : turns[request.turn];

    const same = await until(a, (await replay(a, original.id, { mode: 'model_live' })).json().run_id);
    expect(same).toMatchObject({ status: 'completed', result: original.result, divergence: null });
    expect(same.usage.model_calls).toBe(3);
    expect(same.tool_calls.every((c) => c.replayed_from !== null)).toBe(true);

    const accepted = await replay(a, original.id, {
      mode: 'model_live',
      overrides: { instructions: 'Do not fetch anything; mail from memory.' },
    });
    expect(accepted.statusCode).toBe(202);
    const changed = await until(a, accepted.json().run_id);
    expect(changed.status).toBe('failed');
    expect(changed.settings?.instructions).toBe('Do not fetch anything; mail from memory.');
    expect(changed.divergence).toMatchObject({
      step: 1,
      expected: { type: 'tool_call', skill: 'http_call' },
      got: { type: 'tool_call', skill: 'email_send' },
    });
    expect(changed.error_message).toBe(
      'replay diverged at step 1: the original called http_call at step 1, the replay asked for email_send',
    );
    expect(changed.tool_calls).toEqual([]);
    expect({ report: target.count('/report'), mails: smtp.received.length }).toEqual(seen);

    const compared = (
      await t.request({ method: 'GET', url: `/agents/${a}/runs/${original.id}/compare/${changed.id}` })
    ).json();
    expect(compared).toMatchObject({ same_result: false, first_difference: 0 });

    const metrics = (await t.request({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/aos_replays_total\{mode="model_live"\} [2-9]/);
    expect(metrics).toMatch(/aos_replay_divergences_total\{mode="model_live"\} [1-9]/);
  });

  it('live: fresh calls from the snapshot, linked to the original (approval asked again)', async () => {
    const a = await mailingAgent();
    const original = await originalRun(a);
    const seen = { report: target.count('/report'), mails: smtp.received.length, model: model.requests.length };
    model.script(REPORT_TURNS());
    const id = (await replay(a, original.id, { mode: 'live' })).json().run_id as string;
    const waiting = await until(a, id, (x) => x.status === 'waiting_approval');
    expect(waiting.pending_approvals).toHaveLength(1);
    await t.request({ method: 'POST', url: `/agents/${a}/runs/${id}/approve`, payload: { by: 'ops' } });
    const fresh = await until(a, id);
    expect(fresh).toMatchObject({ status: 'completed', replay_of: original.id, replay_mode: 'live' });
    expect(fresh.tool_calls.every((c) => c.replayed_from === null)).toBe(true);
    expect(fresh.usage.model_calls).toBe(3);
    expect({ report: target.count('/report'), mails: smtp.received.length, model: model.requests.length }).toEqual({
      report: seen.report + 1,
      mails: seen.mails + 1,
      model: seen.model + 3,
    });
  });

  it('a rule-based run replays too: recorded serves the fetch, live fetches again', async () => {
    const a = (
      await t.request({ method: 'POST', url: '/agents', payload: { name: 'fetcher', planner: 'rule-based' } })
    ).json().id as string;
    const r = (
      await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: `Read ${target.url('/report')}` } })
    ).json().run_id as string;
    const original = await until(a, r);
    expect(original.status).toBe('completed');
    const before = target.count('/report');
    const memories = async () =>
      (await t.request({ method: 'GET', url: `/agents/${a}/recall?limit=100` })).json().items.length as number;
    const remembered = await memories();
    expect(remembered).toBeGreaterThan(0);

    const recorded = await until(a, (await replay(a, r, { mode: 'recorded' })).json().run_id);
    expect(recorded).toMatchObject({ status: 'completed', replay_mode: 'recorded' });
    expect(recorded.tool_calls.map((c) => c.replayed_from)).toEqual(original.tool_calls.map((c) => c.id));
    expect(target.count('/report')).toBe(before);
    // Its memory_write and the fetched body were served, not written again.
    expect(await memories()).toBe(remembered);

    const live = await until(a, (await replay(a, r, { mode: 'live' })).json().run_id);
    expect(live.status).toBe('completed');
    expect(target.count('/report')).toBe(before + 1);

    const overridden = await replay(a, r, { mode: 'model_live', overrides: { instructions: 'x' } });
    expect(overridden.statusCode).toBe(422);
    expect(overridden.json().detail).toMatch(/rule-based/);
  });

  it('refuses what cannot be replayed with a clear detail', async () => {
    const a = await mailingAgent();
    model.script(REPORT_TURNS());
    const r = (
      await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: 'Mail the report' } })
    ).json().run_id as string;
    await until(a, r, (x) => x.status === 'waiting_approval');

    const waiting = await replay(a, r, { mode: 'recorded' });
    expect(waiting.statusCode).toBe(409);
    expect(waiting.json().detail).toBe(`run ${r} is waiting_approval; only a finished run can be replayed`);

    await t.request({ method: 'POST', url: `/agents/${a}/runs/${r}/cancel` });
    const overrides = await replay(a, r, { mode: 'recorded', overrides: { instructions: 'Be brief.' } });
    expect(overrides.statusCode).toBe(422);
    expect(overrides.json().detail).toMatch(/recorded replay .* cannot take overrides/);

    const badMode = await replay(a, r, { mode: 'rewind' });
    expect(badMode.statusCode).toBe(422);
    expect(badMode.json().detail).toMatch(/mode must be one of: recorded, model_live, live/);
    expect((await replay(a, r, {})).statusCode).toBe(422);
    expect((await replay(a, r, { mode: 'live', overrides: { models: { anthropic: 'bad name!' } } })).statusCode).toBe(
      422,
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await replay(a, unknown, { mode: 'live' })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: `/agents/${a}/runs/${r}/compare/${unknown}` })).statusCode).toBe(404);

    // The cancelled original, replayed as recorded, serves what it had and stops where its record ends.
    const cut = await until(a, (await replay(a, r, { mode: 'recorded' })).json().run_id);
    expect(cut.status).toBe('failed');
    // (the mail it never sent is served as cancelled; the answer after it was never given)
    expect(cut.divergence).toMatchObject({ step: 4, expected: null, got: { type: 'model_call', index: 2 } });
    expect(cut.tool_calls.map((c) => [c.skill_id, c.status])).toEqual([
      ['http_call', 'succeeded'],
      ['email_send', 'cancelled'],
    ]);
  });
});
