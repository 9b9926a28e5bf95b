import { FakeModelServer } from './support/fake-models';
import { SmtpTestServer } from './support/smtp-test-server';
import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

type Run = {
  status: string;
  result: string | null;
  tool_calls: { id: string; skill_id: string; status: string; answered_by_note: string | null }[];
};

/** Approvals answered at odd moments: while the run is still working on the turn that asked. */
describe('approvals, answered early', () => {
  let t: TestApp;
  let model: FakeModelServer;
  let target: TargetServer;
  let smtp: SmtpTestServer;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    model = new FakeModelServer('anthropic');
    target = new TargetServer();
    smtp = new SmtpTestServer();
    await Promise.all([model.start(), target.start(), smtp.start()]);
    // A slow page: the turn's second call keeps the run working until the test lets it answer.
    target.route('/slow', (_req, res) => {
      release = () => {
        release = () => undefined;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('slow answer');
      };
    });
    t = await startTestApp({
      ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
      ANTHROPIC_BASE_URL: model.baseUrl,
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_CONNECTION_ALLOW_HOSTS: `127.0.0.1:${smtp.port}`,
      AOS_WORKER_POLL_MS: '100',
    });
  });
  afterAll(async () => {
    release();
    await t?.close();
    await Promise.all([model?.stop(), target?.stop(), smtp?.stop()]);
  });

  it('an approval given while the run still works goes through; the run never waits', async () => {
    const a = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'early', planner: 'llm' } })).json()
      .id as string;
    await t.request({
      method: 'POST',
      url: `/agents/${a}/connections`,
      payload: {
        name: 'outbox',
        kind: 'smtp',
        settings: { host: '127.0.0.1', port: smtp.port, tls: 'none', username: smtp.user, from: 'agent@example.com' },
        secret: smtp.password,
      },
    });
    model.script([
      {
        tools: [
          { name: 'email_send', input: { connection: 'outbox', to: ['a@example.com'], subject: 'Hi', text: 'Hello' } },
          { name: 'http_call', input: { method: 'GET', url: target.url('/slow') } },
        ],
      },
      { text: 'Sent and read.' },
    ]);
    const r = (
      await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: 'Mail and read' } })
    ).json().run_id as string;
    const get = async () => (await t.request({ method: 'GET', url: `/agents/${a}/runs/${r}` })).json<Run>();

    // The mail waits for a person while the slow call still runs: the run is running, not waiting.
    const asked = await eventually(get, (x) => x.tool_calls.some((c) => c.status === 'awaiting_approval'));
    expect(asked.status).toBe('running');
    const answered = await t.request({
      method: 'POST',
      url: `/agents/${a}/runs/${r}/approve`,
      payload: { by: 'quick' },
    });
    expect(answered.statusCode).toBe(200);
    release();

    const done = await eventually(get, (x) => x.status === 'completed', 20_000);
    expect(done.result).toBe('Sent and read.');
    expect(done.tool_calls.map((c) => [c.skill_id, c.status, c.answered_by_note])).toEqual([
      ['email_send', 'succeeded', 'quick'],
      ['http_call', 'succeeded', null],
    ]);
    expect(smtp.received).toHaveLength(1);
    const events = (await t.request({ method: 'GET', url: `/agents/${a}/events?limit=100` })).json().items as {
      type: string;
    }[];
    expect(events.map((e) => e.type)).not.toContain('run.waiting_approval');
    expect(model.answeredTurns()).toEqual([0, 1]);
  });
});
