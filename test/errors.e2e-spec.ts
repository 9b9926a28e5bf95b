import { startTestApp, TestApp } from './support/test-app';

describe('error contract', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AOS_BODY_LIMIT: '2048' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers malformed JSON with 400 and a detail', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/agents',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ detail: expect.stringMatching(/JSON/) });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('answers a body over AOS_BODY_LIMIT with 413', async () => {
    const res = await t.request({ method: 'POST', url: '/agents', payload: { name: 'x'.repeat(5000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ detail: 'Request body is too large' });
  });

  it('answers validation failures with 422, detail and field errors', async () => {
    const res = await t.request({ method: 'POST', url: '/agents', payload: { name: '', extra: true } });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.detail).toMatch(/^Validation failed/);
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { field: 'extra', message: 'property extra should not exist' },
        { field: 'name', message: expect.stringMatching(/name must be longer/) },
      ]),
    );
  });

  it('refuses a non-object JSON body with 422 or 400, never 500', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/agents',
      payload: '[1,2]',
      headers: { 'content-type': 'application/json' },
    });
    expect([400, 422]).toContain(res.statusCode);
    expect(res.json().detail).toEqual(expect.any(String));
  });

  it('answers a non-UUID id with 422 and an unknown id with 404', async () => {
    const bad = await t.request({ method: 'GET', url: '/agents/not-a-uuid' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    const missing = await t.request({ method: 'GET', url: '/agents/8f8a1c2e-2b4f-4b8e-9d8a-1c2e2b4f4b8e' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ detail: 'Agent 8f8a1c2e-2b4f-4b8e-9d8a-1c2e2b4f4b8e not found' });
  });

  it('says a missing required field is required, and nothing else about it', async () => {
    const res = await t.request({ method: 'POST', url: '/agents', payload: {} });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      detail: 'Validation failed: name is required',
      errors: [{ field: 'name', message: 'name is required' }],
    });
  });

  it.each([
    ['name', { name: null }],
    ['max_concurrent_runs', { max_concurrent_runs: null }],
    ['status', { status: null }],
  ])('answers null for the non-nullable %s with 422 naming it', async (field, payload) => {
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'nulls' } })).json();
    const res = await t.request({ method: 'PATCH', url: `/agents/${agent.id}`, payload });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ field, message: `${field} must not be null` }]);
  });

  it('refuses a body nested deeper than 32 levels with 422 before transforming it', async () => {
    // 1,000 levels fit this app's 2 KB body limit; the fuzz test sends 20,000 at the default limit.
    const deep = '{"name":' + '['.repeat(1_000) + ']'.repeat(1_000) + '}';
    const res = await t.request({
      method: 'POST',
      url: '/agents',
      headers: { 'content-type': 'application/json' },
      payload: deep,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toMatch(/deeper than 32 levels/);
  });

  it.each([
    ['a NUL character', '{"goal":"a\\u0000b"}', 'goal must not contain NUL characters'],
    ['an unpaired surrogate', '{"goal":"a\\ud800"}', 'goal must not contain unpaired UTF-16 surrogates'],
  ])('refuses %s anywhere in a body with 422 naming the field', async (_label, payload, message) => {
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'odd' } })).json();
    const res = await t.request({
      method: 'POST',
      url: `/agents/${agent.id}/goals`,
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0]).toEqual({ field: 'goal', message: expect.stringContaining(message) });
  });

  it('answers an unknown route with 404 in the same shape', async () => {
    const res = await t.request({ method: 'GET', url: '/no-such-route' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ detail: expect.any(String) });
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/agents',
      headers: { 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ detail: expect.any(String) });
  });
});

describe('rate limit (AOS_RATE_LIMIT_PER_MINUTE)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AOS_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers the request over the limit with 429, Retry-After and a detail; probes are never limited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.request({ method: 'GET', url: '/agents' })).statusCode);
    expect(statuses).toEqual([200, 200, 200]);

    expect((await t.request({ method: 'GET', url: '/agents' })).statusCode).toBe(429);
    // Counted per credential: requests without a valid key count per address, before their 401.
    const refused: number[] = [];
    for (let i = 0; i < 3; i++)
      refused.push((await t.request({ method: 'GET', url: '/agents', auth: false })).statusCode);
    expect(refused).toEqual([401, 401, 401]);
    const limited = await t.request({ method: 'GET', url: '/agents', auth: false });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['x-request-id']).toBeTruthy();
    expect(limited.json()).toEqual({
      detail: expect.stringMatching(
        /^Too many requests: at most 3 per minute from one credential or address; retry in /,
      ),
    });

    for (const url of ['/health/live', '/health/ready', '/version']) {
      expect((await t.request({ method: 'GET', url })).statusCode).toBe(200);
    }
  });
});
