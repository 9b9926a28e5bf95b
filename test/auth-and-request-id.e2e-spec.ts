import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

describe('API key guard and request ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a request without X-AOS-Key with 401', async () => {
    const res = await t.request({ method: 'GET', url: '/agents', auth: false });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      detail: 'Missing credential: send an API key in the X-AOS-Key header, or a token as Authorization: Bearer',
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a wrong key, including a prefix of the right one, with 401', async () => {
    for (const key of ['wrong', TEST_API_KEY.slice(0, -1), `${TEST_API_KEY}x`]) {
      const res = await t.request({ method: 'GET', url: '/agents', auth: false, headers: { 'x-aos-key': key } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ detail: 'Invalid API key' });
    }
  });

  it('accepts the right key', async () => {
    const res = await t.request({ method: 'GET', url: '/agents' });
    expect(res.statusCode).toBe(200);
  });

  it.each(['/health', '/health/live', '/health/ready', '/version', '/openapi.json', '/docs'])(
    'serves %s without a key',
    async (url) => {
      const res = await t.request({ method: 'GET', url, auth: false });
      expect(res.statusCode).toBe(200);
    },
  );

  it('echoes a sane X-Request-ID, on errors too', async () => {
    const ok = await t.request({ method: 'GET', url: '/version', headers: { 'x-request-id': 'trace-abc.123' } });
    expect(ok.headers['x-request-id']).toBe('trace-abc.123');
    const unauthorized = await t.request({
      method: 'GET',
      url: '/agents',
      auth: false,
      headers: { 'x-request-id': 'trace-401' },
    });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['x-request-id']).toBe('trace-401');
  });

  it('replaces an insane X-Request-ID with a fresh UUID', async () => {
    for (const incoming of ['has spaces', 'x'.repeat(300), 'new\u00e9line']) {
      const res = await t.request({ method: 'GET', url: '/version', headers: { 'x-request-id': incoming } });
      expect(res.headers['x-request-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });

  it('generates a different id for every request', async () => {
    const a = await t.request({ method: 'GET', url: '/version' });
    const b = await t.request({ method: 'GET', url: '/version' });
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('sends security headers: a strict policy for JSON, one Swagger UI can run under for /docs', async () => {
    const api = await t.request({ method: 'GET', url: '/version' });
    expect(api.headers).toMatchObject({
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    const docs = await t.request({ method: 'GET', url: '/docs' });
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
  });
});
