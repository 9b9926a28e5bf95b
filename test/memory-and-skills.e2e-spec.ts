import { startTestApp, TestApp } from './support/test-app';

describe('memory', () => {
  let t: TestApp;
  let agentId: string;
  beforeAll(async () => {
    t = await startTestApp();
    agentId = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'rememberer' } })).json().id;
  });
  afterAll(async () => {
    await t.close();
  });

  const add = (payload: Record<string, unknown>) =>
    t.request({ method: 'POST', url: `/agents/${agentId}/memory`, payload });
  const recall = async (query: string) =>
    (await t.request({ method: 'GET', url: `/agents/${agentId}/recall${query}` })).json();

  it('adds user_input and context memories and refuses the types runs write', async () => {
    const res = await add({
      memory_type: 'context',
      text: 'The office cat is called Marmalade.',
      meta: { source: 'chat' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      memory_type: 'context',
      meta: { source: 'chat' },
      run_id: null,
      agent_id: agentId,
    });
    expect((await add({ memory_type: 'user_input', text: 'Prefer tea over coffee.' })).statusCode).toBe(201);
    expect((await add({ memory_type: 'skill_result', text: 'forged' })).statusCode).toBe(422);
    expect((await add({ memory_type: 'context', text: '' })).statusCode).toBe(422);
    expect((await add({ memory_type: 'context', text: 'x', meta: 'not an object' })).statusCode).toBe(422);
  });

  it('recalls by full-text query, ranked, and returns nothing when nothing matches', async () => {
    await add({ memory_type: 'context', text: 'Marmalade the cat likes the cat tower; cat cat cat.' });
    const hits = await recall('?query=cat');
    expect(hits.items.map((m: { text: string }) => m.text)).toEqual([
      'Marmalade the cat likes the cat tower; cat cat cat.',
      'The office cat is called Marmalade.',
    ]);
    expect(hits.items[0].rank).toBeGreaterThan(hits.items[1].rank);
    expect((await recall('?query=cats')).items).toHaveLength(2); // English stemming
    expect((await recall('?query=giraffe')).items).toEqual([]);
    expect((await recall('?query=cat&memory_type=user_input')).items).toEqual([]);
  });

  it('past its candidate bound, recall still ranks an old memory that repeats the term first', async () => {
    const other = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'ledger' } })).json().id;
    // 300 recent single mentions (more than recall ranks), one older text repeating the term.
    await t.dataSource.query(
      `INSERT INTO memories (tenant_id, agent_id, memory_type, text, created_at)
       SELECT a.tenant_id, $1::uuid, 'context'::memory_type, 'invoice number ' || i, now() - i * interval '1 second'
         FROM generate_series(1, 300) i, agents a WHERE a.id = $1
       UNION ALL SELECT a.tenant_id, $1::uuid, 'context', 'the invoice, the overdue invoice', now() - interval '1 day'
         FROM agents a WHERE a.id = $1`,
      [other],
    );
    const hits = await t.request({ method: 'GET', url: `/agents/${other}/recall?query=invoice&limit=3` });
    expect(hits.json().items.map((m: { text: string }) => m.text)).toEqual([
      'the invoice, the overdue invoice',
      'invoice number 1',
      'invoice number 2',
    ]);
    // Exclusions and phrases hold for the memories found through their repeated terms too.
    const excluded = await t.request({
      method: 'GET',
      url: `/agents/${other}/recall?query=invoice%20-overdue&limit=3`,
    });
    expect(excluded.json().items.map((m: { text: string }) => m.text)).not.toContain(
      'the invoice, the overdue invoice',
    );
    const phrase = await t.request({ method: 'GET', url: `/agents/${other}/recall?query=%22invoice%20invoice%22` });
    expect(phrase.json().items).toEqual([]);
  });

  it('lists newest first without a query, filtered by type and time', async () => {
    const all = await recall('');
    expect(all.items.map((m: { memory_type: string }) => m.memory_type)).toEqual(['context', 'user_input', 'context']);
    expect((await recall('?memory_type=user_input')).items).toHaveLength(1);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await recall(`?since=${future}`)).items).toEqual([]);
    expect((await recall(`?until=${future}&limit=1`)).next_cursor).toEqual(expect.any(String));
    const bad = await t.request({ method: 'GET', url: `/agents/${agentId}/recall?since=yesterday` });
    expect(bad.statusCode).toBe(422);
    const mixed = await t.request({
      method: 'GET',
      url: `/agents/${agentId}/recall?query=cat&cursor=${all.next_cursor ?? 'x'}`,
    });
    expect(mixed.statusCode).toBe(422);
  });

  it('deletes a memory with 204, then 404', async () => {
    const id = (await add({ memory_type: 'context', text: 'short-lived' })).json().id;
    const res = await t.request({ method: 'DELETE', url: `/agents/${agentId}/memory/${id}` });
    expect(res.statusCode).toBe(204);
    expect((await t.request({ method: 'DELETE', url: `/agents/${agentId}/memory/${id}` })).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url: `/agents/${agentId}/memory/not-a-uuid` })).statusCode).toBe(422);
  });

  it('answers 404 for an unknown agent', async () => {
    const unknown = '0b7e2f7c-5a1d-4c4e-8f3a-9d2b6c1e0a11';
    expect((await t.request({ method: 'GET', url: `/agents/${unknown}/recall` })).statusCode).toBe(404);
    expect(
      (
        await t.request({
          method: 'POST',
          url: `/agents/${unknown}/memory`,
          payload: { memory_type: 'context', text: 'x' },
        })
      ).statusCode,
    ).toBe(404);
  });
});

describe('skills', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the built-in skills with their manifests', async () => {
    const res = await t.request({ method: 'GET', url: '/skills' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.next_cursor).toBeNull();
    expect(body.items.map((s: { skill_id: string }) => s.skill_id)).toEqual([
      'calendar_create_event',
      'calendar_list_events',
      'email_read',
      'email_search',
      'email_send',
      'http_call',
      'memory_recall',
      'memory_write',
    ]);
    const manifest = (id: string) => body.items.find((s: { skill_id: string }) => s.skill_id === id);
    expect(manifest('http_call')).toMatchObject({
      version: '1.0.0',
      capabilities: ['network_egress'],
      side_effects: 'non_idempotent',
      reversible: false,
      external_effects: true,
      connection_kind: 'http',
      input_schema: expect.objectContaining({ required: ['url'] }),
      output_schema: expect.objectContaining({ type: 'object' }),
    });
    // The connected skills: complete manifests, side effects declared per the call's nature.
    for (const [id, sideEffects, kind] of [
      ['email_send', 'non_idempotent', 'smtp'],
      ['email_search', 'none', 'imap'],
      ['email_read', 'none', 'imap'],
      ['calendar_list_events', 'none', 'caldav'],
      ['calendar_create_event', 'idempotent', 'caldav'],
    ]) {
      expect(manifest(id)).toMatchObject({
        side_effects: sideEffects,
        external_effects: true,
        connection_kind: kind,
        description: expect.stringMatching(/^.{60,}$/),
        input_schema: expect.objectContaining({ required: expect.arrayContaining(['connection']) }),
        output_schema: expect.objectContaining({ type: 'object', required: expect.any(Array) }),
      });
    }
    expect(manifest('memory_write')).toMatchObject({ side_effects: 'idempotent', external_effects: false });
  });

  it('gets one skill, 404 for an unknown one, 401 without the key', async () => {
    expect((await t.request({ method: 'GET', url: '/skills/memory_write' })).json().skill_id).toBe('memory_write');
    const missing = await t.request({ method: 'GET', url: '/skills/teleport' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'Skill teleport not found' });
    expect((await t.request({ method: 'GET', url: '/skills', auth: false })).statusCode).toBe(401);
  });
});
