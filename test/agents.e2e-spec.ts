import { startTestApp, TestApp } from './support/test-app';

describe('agents', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates an agent with 201, a Location header and snake_case fields', async () => {
    const res = await t.request({ method: 'POST', url: '/agents', payload: { name: '  research  ' } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'research',
      status: 'active',
      max_concurrent_runs: 1,
      // No model provider is configured in this app: the planner resolves to rule-based.
      planner: 'rule-based',
      instructions: null,
      models: null,
      skills: null,
      max_steps: 20,
      approval: 'side_effects',
      egress: null,
      egress_trusted: [],
      remember_tool_results: true,
      usage: { model_calls: 0, input_tokens: 0, output_tokens: 0 },
      created_by: { tenant_id: expect.stringMatching(/^[0-9a-f-]{36}$/), kind: 'operator', id: 'operator' },
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    expect(res.headers.location).toBe(`/agents/${body.id}`);
    const fetched = await t.request({ method: 'GET', url: `/agents/${body.id}` });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(body);
  });
});

describe('agents: listing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  type AgentBody = { id: string; name: string; status: string; created_at: string };
  type PageBody = { items: AgentBody[]; next_cursor: string | null };

  async function page(query: string): Promise<PageBody> {
    const res = await t.request({ method: 'GET', url: `/agents${query}` });
    expect(res.statusCode).toBe(200);
    return res.json<PageBody>();
  }

  it('pages newest first without overlap, and stays stable while agents are added', async () => {
    const bodies: AgentBody[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await t.request({ method: 'POST', url: '/agents', payload: { name: `a${i}` } });
      bodies.push(res.json<AgentBody>());
    }
    // Oldest first by the API's own order, (created_at, id): agents created within one
    // millisecond are ordered by id.
    const created = bodies
      .sort((x, y) => x.created_at.localeCompare(y.created_at) || x.id.localeCompare(y.id))
      .map((a) => a.id);
    const first = await page('?limit=10');
    expect(first.items.map((a) => a.id)).toEqual(created.slice(-10).reverse());
    expect(first.next_cursor).toEqual(expect.any(String));

    // New agents arrive between pages: they belong before page one, not in page two.
    await t.request({ method: 'POST', url: '/agents', payload: { name: 'late-1' } });
    await t.request({ method: 'POST', url: '/agents', payload: { name: 'late-2' } });

    const second = await page(`?limit=10&cursor=${first.next_cursor}`);
    expect(second.items.map((a) => a.id)).toEqual(created.slice(5, 15).reverse());
    const third = await page(`?limit=10&cursor=${second.next_cursor}`);
    expect(third.items.map((a) => a.id)).toEqual(created.slice(0, 5).reverse());
    expect(third.next_cursor).toBeNull();

    const seen = [...first.items, ...second.items, ...third.items].map((a) => a.id);
    expect(new Set(seen).size).toBe(25);
  });

  it('defaults to 20 items and filters by status', async () => {
    const all = await page('');
    expect(all.items).toHaveLength(20);
    const target = all.items[3];
    await t.request({ method: 'PATCH', url: `/agents/${target.id}`, payload: { status: 'paused' } });
    const paused = await page('?status=paused');
    expect(paused.items.map((a) => a.id)).toEqual([target.id]);
    expect(paused.next_cursor).toBeNull();
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=abc', 'limit'],
    ['?cursor=not-a-cursor', 'cursor'],
    ['?status=sleeping', 'status'],
    ['?unknown=1', 'unknown'],
  ])('refuses %s with 422 naming %s', async (query, field) => {
    const res = await t.request({ method: 'GET', url: `/agents${query}` });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });
});

describe('agents: update and delete', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function create(name = 'agent') {
    return (await t.request({ method: 'POST', url: '/agents', payload: { name } })).json<{
      id: string;
      updated_at: string;
    }>();
  }

  it('renames an agent and moves updated_at forward', async () => {
    const agent = await create('old');
    await new Promise((r) => setTimeout(r, 5));
    const res = await t.request({ method: 'PATCH', url: `/agents/${agent.id}`, payload: { name: 'new' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: agent.id, name: 'new', status: 'active' });
    expect(Date.parse(res.json().updated_at)).toBeGreaterThan(Date.parse(agent.updated_at));
  });

  it('treats setting what already is as a no-op: updated_at does not move', async () => {
    const agent = await create('same');
    await new Promise((r) => setTimeout(r, 5));
    for (const request of [
      { method: 'PATCH' as const, url: `/agents/${agent.id}`, payload: { status: 'active' } },
      { method: 'PATCH' as const, url: `/agents/${agent.id}`, payload: { name: 'same', max_concurrent_runs: 1 } },
      { method: 'POST' as const, url: `/agents/${agent.id}/resume` },
    ]) {
      const res = await t.request(request);
      expect(res.statusCode).toBe(200);
      expect(res.json().updated_at).toBe(agent.updated_at);
    }
  });

  it('follows the lifecycle rules for status', async () => {
    const agent = await create();
    const patch = (status: string) => t.request({ method: 'PATCH', url: `/agents/${agent.id}`, payload: { status } });
    expect((await patch('paused')).statusCode).toBe(200);
    expect((await patch('active')).statusCode).toBe(200);
    expect((await patch('stopped')).statusCode).toBe(200);
    const refused = await patch('paused');
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({ detail: 'Agent is stopped; it cannot become paused' });
    expect((await patch('stopped')).statusCode).toBe(200);
    expect((await patch('active')).json().status).toBe('active');
  });

  it('refuses an empty PATCH, a bad status and unknown fields with 422', async () => {
    const agent = await create();
    for (const payload of [{}, { status: 'sleeping' }, { name: '' }, { id: agent.id }]) {
      const res = await t.request({ method: 'PATCH', url: `/agents/${agent.id}`, payload });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toMatch(/^Validation failed/);
    }
  });

  it('answers PATCH and DELETE of an unknown agent with 404', async () => {
    const id = '0b7e2f7c-5a1d-4c4e-8f3a-9d2b6c1e0a11';
    expect((await t.request({ method: 'PATCH', url: `/agents/${id}`, payload: { name: 'x' } })).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url: `/agents/${id}` })).statusCode).toBe(404);
  });

  it('deletes an agent with 204 and takes its runs, their records and its memories with it', async () => {
    const agent = await create();
    const other = await create();
    const db = t.dataSource;
    for (const owner of [agent.id, other.id]) {
      await db.query(
        `INSERT INTO memories (tenant_id, agent_id, memory_type, text) SELECT tenant_id, id, 'user_input', 'remember me' FROM agents WHERE id = $1`,
        [owner],
      );
      const [run] = await db.query(
        `INSERT INTO runs (tenant_id, agent_id, goal) SELECT tenant_id, id, 'a goal' FROM agents WHERE id = $1 RETURNING id`,
        [owner],
      );
      await db.query(
        `INSERT INTO tool_calls (tenant_id, run_id, step_index, skill_id, input, status, attempts, started_at)
         SELECT tenant_id, id, 0, 'memory_write', '{}', 'succeeded', 1, now() FROM runs WHERE id = $1`,
        [run.id],
      );
    }
    const res = await t.request({ method: 'DELETE', url: `/agents/${agent.id}` });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await t.request({ method: 'GET', url: `/agents/${agent.id}` })).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url: `/agents/${agent.id}` })).statusCode).toBe(404);
    const count = async (table: string, id: string) =>
      Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE agent_id = $1`, [id]))[0].n);
    const calls = async (id: string) =>
      Number(
        (
          await db.query(
            'SELECT count(*) AS n FROM tool_calls t JOIN runs r ON r.id = t.run_id WHERE r.agent_id = $1',
            [id],
          )
        )[0].n,
      );
    expect(await count('memories', agent.id)).toBe(0);
    expect(await count('runs', agent.id)).toBe(0);
    expect(await calls(agent.id)).toBe(0);
    expect(await count('memories', other.id)).toBe(1);
    expect(await count('runs', other.id)).toBe(1);
    expect(await calls(other.id)).toBe(1);
  });
});
