import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

type Run = {
  id: string;
  status: string;
  error_message: string | null;
  attempts: number;
  started_at: string | null;
  plan: { skill: string; input: Record<string, unknown> }[] | null;
  tool_calls: { step: number; skill_id: string; status: string; error: string | null; output: any; attempts: number }[];
};

describe('runs', () => {
  let t: TestApp;
  let target: TargetServer;
  let other: TargetServer;

  beforeAll(async () => {
    target = await new TargetServer().start();
    other = await new TargetServer().start(); // private, not allow-listed: must never be reached
    t = await startTestApp({
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_WORKER_CONCURRENCY: '4',
      AOS_WORKER_POLL_MS: '100',
      AOS_HTTP_RETRY_BASE_MS: '20',
      AOS_RUN_RETRY_BASE_MS: '100',
    });
  });
  afterAll(async () => {
    await t.close();
    await target.stop();
    await other.stop();
  });

  async function agent(body: Record<string, unknown> = {}): Promise<string> {
    const res = await t.request({ method: 'POST', url: '/agents', payload: { name: 'runner', ...body } });
    return res.json<{ id: string }>().id;
  }

  async function submit(agentId: string, goal: string, extra: Record<string, unknown> = {}, headers = {}) {
    return t.request({ method: 'POST', url: `/agents/${agentId}/goals`, payload: { goal, ...extra }, headers });
  }

  async function getRun(agentId: string, runId: string): Promise<Run> {
    return (await t.request({ method: 'GET', url: `/agents/${agentId}/runs/${runId}` })).json<Run>();
  }

  const finished = (r: Run) => !['pending', 'running'].includes(r.status);

  it('accepts a goal with 202 and Location, runs it, and makes the body recallable by a word in it', async () => {
    target.text('/zebra', 'An unusual quokkazebra grazes near the river.');
    const a = await agent();
    const res = await submit(a, `Read ${target.url('/zebra')} please`);
    expect(res.statusCode).toBe(202);
    const { run_id, status } = res.json();
    expect(status).toBe('pending');
    expect(res.headers.location).toBe(`/agents/${a}/runs/${run_id}`);

    const run = await eventually(() => getRun(a, run_id), finished);
    expect(run.status).toBe('completed');
    expect(run.plan).toEqual([
      { skill: 'memory_write', input: { memory_type: 'user_input', text: `Read ${target.url('/zebra')} please` } },
      { skill: 'http_call', input: { method: 'GET', url: target.url('/zebra') } },
    ]);
    expect(run.tool_calls.map((c) => [c.skill_id, c.status])).toEqual([
      ['memory_write', 'succeeded'],
      ['http_call', 'succeeded'],
    ]);
    expect(run.tool_calls[1].output).toMatchObject({ status: 200, body: expect.stringContaining('quokkazebra') });

    const recall = await t.request({ method: 'GET', url: `/agents/${a}/recall?query=quokkazebra` });
    const items = recall.json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      memory_type: 'skill_result',
      run_id,
      meta: { url: target.url('/zebra'), status: 200, content_type: 'text/plain' },
    });
    expect(items[0].rank).toBeGreaterThan(0);
  });

  it('retries a target answering 503, 503, then 200, and completes', async () => {
    target.route('/flaky', (_req, res, hit) =>
      hit <= 2 ? res.writeHead(503).end('busy') : res.writeHead(200, { 'content-type': 'text/plain' }).end('ok now'),
    );
    const a = await agent();
    const { run_id } = (await submit(a, `get ${target.url('/flaky')}`)).json();
    const run = await eventually(() => getRun(a, run_id), finished);
    expect(run.status).toBe('completed');
    expect(run.tool_calls[1].output).toMatchObject({ status: 200, attempts: 3 });
    expect(target.count('/flaky')).toBe(3);
  });

  it.each([
    ['a private address outside the allow-list', () => other.url('/secret'), /127\.0\.0\.1 is not a public address/],
    [
      'the cloud metadata address',
      () => 'http://169.254.169.254/latest/meta-data/',
      /169\.254\.169\.254 is not a public address/,
    ],
    [
      'a hostname resolving to 127.0.0.1',
      () => target.url('/zebra', 'localhost'),
      /localhost resolves to 127\.0\.0\.1/,
    ],
  ])('refuses %s and never reaches it', async (_label, url, message) => {
    const before = target.count('/zebra');
    const a = await agent();
    const { run_id } = (await submit(a, `fetch ${url()}`)).json();
    const run = await eventually(() => getRun(a, run_id), finished);
    expect(run.status).toBe('partial');
    expect(run.tool_calls[1]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(run.tool_calls[1].error).toMatch(/^blocked by SSRF protection: /);
    expect(run.tool_calls[1].error).toMatch(message);
    expect(other.count('/secret')).toBe(0);
    expect(target.count('/zebra')).toBe(before);
  });

  it('stores a body with NUL bytes (binary content) without failing the step', async () => {
    target.route('/binary', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 65, 66, 0, 67])),
    );
    const a = await agent();
    const { run_id } = (await submit(a, `get ${target.url('/binary')}`)).json();
    const run = await eventually(() => getRun(a, run_id), finished);
    expect(run.status).toBe('completed');
    expect(run.tool_calls[1].output).toMatchObject({ body: 'ABC' });
  });

  it('refuses a redirect to loopback and never follows it', async () => {
    target.route('/bounce', (_req, res) => res.writeHead(302, { location: other.url('/secret') }).end());
    const a = await agent();
    const { run_id } = (await submit(a, `fetch ${target.url('/bounce')}`)).json();
    const run = await eventually(() => getRun(a, run_id), finished);
    expect(run.tool_calls[1].error).toMatch(/blocked by SSRF protection: 127\.0\.0\.1 is not a public address/);
    expect(target.count('/bounce')).toBe(1);
    expect(other.count('/secret')).toBe(0);
  });

  it('holds goals of a paused agent as pending and releases them on resume', async () => {
    const a = await agent();
    expect((await t.request({ method: 'POST', url: `/agents/${a}/pause` })).json().status).toBe('paused');
    const { run_id } = (await submit(a, 'just remember this')).json();
    // Several poll intervals (100 ms here): a paused agent's run is never claimed.
    await new Promise((r) => setTimeout(r, 500));
    expect((await getRun(a, run_id)).status).toBe('pending');
    expect((await t.request({ method: 'POST', url: `/agents/${a}/resume` })).json().status).toBe('active');
    expect((await eventually(() => getRun(a, run_id), finished)).status).toBe('completed');
  });

  it('stop cancels the running run within a second or two (the target sees the connection closed) and refuses later goals', async () => {
    target.route('/hang', () => undefined); // never answers
    const a = await agent();
    const { run_id } = (await submit(a, `wait for ${target.url('/hang')}`)).json();
    const pendingToo = (await submit(a, 'queued behind it')).json().run_id;
    await eventually(
      async () => target.count('/hang'),
      (n) => n === 1,
    );
    const stoppedAt = Date.now();
    const stop = await t.request({ method: 'POST', url: `/agents/${a}/stop` });
    expect(stop.json().status).toBe('stopped');
    await eventually(async () => target.closedEarly.includes('/hang'), Boolean, 3_000);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    const run = await getRun(a, run_id);
    expect(run).toMatchObject({ status: 'cancelled', error_message: 'cancelled: agent stopped' });
    await eventually(
      () => getRun(a, run_id),
      (r) => r.tool_calls[1]?.status === 'cancelled',
      3_000,
    );
    expect((await getRun(a, pendingToo)).status).toBe('cancelled');
    const refused = await submit(a, 'anything');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toMatch(/is stopped/);
    expect(target.count('/hang')).toBe(1);
  });

  it('a PATCH of status to stopped follows the same rules', async () => {
    const a = await agent();
    await t.request({ method: 'POST', url: `/agents/${a}/pause` });
    const { run_id } = (await submit(a, 'waiting')).json();
    await t.request({ method: 'PATCH', url: `/agents/${a}`, payload: { status: 'stopped' } });
    expect((await getRun(a, run_id)).status).toBe('cancelled');
    expect((await submit(a, 'more')).statusCode).toBe(409);
  });

  it('cancels one pending run, and refuses to cancel it twice', async () => {
    const a = await agent();
    await t.request({ method: 'POST', url: `/agents/${a}/pause` });
    const { run_id } = (await submit(a, 'never mind')).json();
    const other = (await submit(a, 'keep this')).json().run_id;
    const cancel = await t.request({ method: 'POST', url: `/agents/${a}/runs/${run_id}/cancel` });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toMatchObject({ id: run_id, status: 'cancelled', error_message: 'cancelled by request' });
    const again = await t.request({ method: 'POST', url: `/agents/${a}/runs/${run_id}/cancel` });
    expect(again.statusCode).toBe(409);
    await t.request({ method: 'POST', url: `/agents/${a}/resume` });
    expect((await eventually(() => getRun(a, other), finished)).status).toBe('completed');
    expect((await getRun(a, run_id)).status).toBe('cancelled');
  });

  it('returns the same run for the same Idempotency-Key and refuses the key for another goal', async () => {
    const a = await agent();
    const first = await submit(a, 'once only', {}, { 'idempotency-key': 'order-42' });
    const second = await submit(a, 'once only', {}, { 'idempotency-key': 'order-42' });
    expect(second.statusCode).toBe(202);
    expect(second.json().run_id).toBe(first.json().run_id);
    const runs = (await t.request({ method: 'GET', url: `/agents/${a}/runs` })).json().items;
    expect(runs).toHaveLength(1);
    const other = await submit(a, 'something else', {}, { 'idempotency-key': 'order-42' });
    expect(other.statusCode).toBe(409);
    // Keys are per agent.
    const b = await agent();
    const elsewhere = await submit(b, 'once only', {}, { 'idempotency-key': 'order-42' });
    expect(elsewhere.json().run_id).not.toBe(first.json().run_id);
  });

  it('runs an agent’s goals one at a time, higher priority first', async () => {
    const a = await agent();
    await t.request({ method: 'POST', url: `/agents/${a}/pause` });
    const low = (await submit(a, 'low', { priority: 1 })).json().run_id;
    const high = (await submit(a, 'high', { priority: 9 })).json().run_id;
    const mid = (await submit(a, 'mid')).json().run_id;
    await t.request({ method: 'POST', url: `/agents/${a}/resume` });
    const runs = await Promise.all([high, mid, low].map((id) => eventually(() => getRun(a, id), finished)));
    const starts = runs.map((r) => Date.parse(r.started_at!));
    expect(starts[0]).toBeLessThanOrEqual(starts[1]);
    expect(starts[1]).toBeLessThanOrEqual(starts[2]);
    const completions = await Promise.all(
      [high, mid].map(async (id) =>
        Date.parse((await t.request({ method: 'GET', url: `/agents/${a}/runs/${id}` })).json().completed_at),
      ),
    );
    // One at a time: the next run starts only after the previous one completed.
    expect(starts[1]).toBeGreaterThanOrEqual(completions[0]);
    expect(starts[2]).toBeGreaterThanOrEqual(completions[1]);
  });

  it('lists runs newest first with a status filter', async () => {
    const a = await agent();
    await t.request({ method: 'POST', url: `/agents/${a}/pause` });
    const ids = [];
    for (const goal of ['one', 'two', 'three']) ids.push((await submit(a, goal)).json().run_id);
    await t.request({ method: 'POST', url: `/agents/${a}/runs/${ids[0]}/cancel` });
    const page = (await t.request({ method: 'GET', url: `/agents/${a}/runs?limit=2` })).json();
    expect(page.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    const rest = (
      await t.request({ method: 'GET', url: `/agents/${a}/runs?limit=2&cursor=${page.next_cursor}` })
    ).json();
    expect(rest.items.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    const cancelled = (await t.request({ method: 'GET', url: `/agents/${a}/runs?status=cancelled` })).json();
    expect(cancelled.items.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
  });

  it('keeps a provenance record per run with the plan and every tool call', async () => {
    target.text('/prov', 'provenance body');
    const a = await agent();
    const { run_id } = (await submit(a, `audit ${target.url('/prov')}`)).json();
    await eventually(() => getRun(a, run_id), finished);
    const record = (await t.request({ method: 'GET', url: `/agents/${a}/provenance/${run_id}` })).json();
    expect(record).toMatchObject({
      id: run_id,
      agent_id: a,
      goal: `audit ${target.url('/prov')}`,
      planner: 'rule-based@1',
      status: 'completed',
      error_message: null,
      completed_at: expect.any(String),
    });
    expect(record.plan).toHaveLength(2);
    expect(record.tool_calls[1]).toMatchObject({
      step: 1,
      skill_id: 'http_call',
      input: { method: 'GET', url: target.url('/prov') },
      status: 'succeeded',
      attempts: 1,
      duration_ms: expect.any(Number),
      started_at: expect.any(String),
    });
    const list = (await t.request({ method: 'GET', url: `/agents/${a}/provenance` })).json();
    expect(list.items.map((p: { id: string }) => p.id)).toEqual([run_id]);
    const missing = await t.request({
      method: 'GET',
      url: `/agents/${a}/provenance/0b7e2f7c-5a1d-4c4e-8f3a-9d2b6c1e0a11`,
    });
    expect(missing.statusCode).toBe(404);
  });

  describe('bad input', () => {
    let a: string;
    beforeAll(async () => {
      a = await agent();
    });

    it.each([
      ['an empty goal', { goal: '' }, 'goal'],
      ['a blank goal', { goal: '   ' }, 'goal'],
      ['a goal of 10,001 characters', { goal: 'x'.repeat(10_001) }, 'goal'],
      ['a missing goal', {}, 'goal'],
      ['a numeric goal', { goal: 42 }, 'goal'],
      ['priority 10', { goal: 'ok', priority: 10 }, 'priority'],
      ['priority -1', { goal: 'ok', priority: -1 }, 'priority'],
      ['priority "5"', { goal: 'ok', priority: '5' }, 'priority'],
      ['priority 1.5', { goal: 'ok', priority: 1.5 }, 'priority'],
      ['an unknown field', { goal: 'ok', extra: true }, 'extra'],
      ['a NUL character', { goal: 'a\u0000b' }, 'goal'],
    ])('refuses %s with 422 naming the field', async (_label, payload, field) => {
      const res = await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('accepts a goal of exactly 10,000 characters', async () => {
      expect((await submit(a, 'y'.repeat(10_000))).statusCode).toBe(202);
    });

    it('refuses a bad Idempotency-Key, non-UUID ids and unknown agents and runs', async () => {
      const badKey = await submit(a, 'ok', {}, { 'idempotency-key': 'has space' });
      expect(badKey.statusCode).toBe(422);
      expect(badKey.json().errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
      expect((await t.request({ method: 'POST', url: '/agents/nope/goals', payload: { goal: 'x' } })).statusCode).toBe(
        422,
      );
      expect((await t.request({ method: 'GET', url: `/agents/${a}/runs/nope` })).statusCode).toBe(422);
      const unknown = '0b7e2f7c-5a1d-4c4e-8f3a-9d2b6c1e0a11';
      expect((await submit(unknown, 'x')).statusCode).toBe(404);
      expect((await t.request({ method: 'GET', url: `/agents/${unknown}/runs` })).statusCode).toBe(404);
      expect((await t.request({ method: 'GET', url: `/agents/${a}/runs/${unknown}` })).statusCode).toBe(404);
      expect((await t.request({ method: 'POST', url: `/agents/${a}/runs/${unknown}/cancel` })).statusCode).toBe(404);
      expect((await t.request({ method: 'POST', url: `/agents/${unknown}/stop` })).statusCode).toBe(404);
    });
  });
});
