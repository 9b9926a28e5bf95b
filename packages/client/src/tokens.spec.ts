import { AosClient, type AosClientOptions } from './client.js';
import { AosApiError } from './errors.js';
import type { TokenRequest } from './types.js';

const KEY = 'aos_abcdefghijkl_0123456789012345678901234567890123456789abc';

/**
 * A fake AOS that hands out tokens as /auth/token does (single-use refresh tokens, a spent one
 * refused) and accepts only the access tokens it handed out and did not forget, as Bearer.
 */
function fakeServer(options: { expiresIn?: number; tokenDelayMs?: number } = {}) {
  let issued = 0;
  const live = new Set<string>();
  const refreshTokens = new Map<string, 'fresh' | 'spent'>();
  const grants: TokenRequest[] = [];
  const calls: { method: string; path: string; authorization: string | null; key: string | null; body: string }[] = [];
  /** Answers the next token requests with this instead (a 503, say). */
  const tokenFailures: Response[] = [];

  const oauthError = (status: number, error: string, detail: string) =>
    Response.json({ detail, error, error_description: detail }, { status });

  async function token(request: Request): Promise<Response> {
    const body = (await request.json()) as TokenRequest;
    grants.push(body);
    if (options.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, options.tokenDelayMs));
    const failure = tokenFailures.shift();
    if (failure) return failure;
    if (body.grant_type === 'api_key' && body.api_key !== KEY)
      return oauthError(400, 'invalid_grant', 'Invalid API key');
    if (body.grant_type === 'refresh_token') {
      const state = refreshTokens.get(body.refresh_token ?? '');
      if (state !== 'fresh') return oauthError(400, 'invalid_grant', 'refresh_token was already used');
      refreshTokens.set(body.refresh_token!, 'spent');
    }
    issued++;
    live.add(`at-${issued}`);
    refreshTokens.set(`rt-${issued}`, 'fresh');
    return Response.json({
      access_token: `at-${issued}`,
      token_type: 'Bearer',
      expires_in: options.expiresIn ?? 900,
      refresh_token: `rt-${issued}`,
      refresh_token_expires_in: 2_592_000,
      scope: 'admin',
    });
  }

  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    if (path === '/auth/token') return token(request);
    const authorization = request.headers.get('authorization');
    calls.push({
      method: request.method,
      path,
      authorization,
      key: request.headers.get('x-aos-key'),
      body: await request.text(),
    });
    const bearer = authorization?.replace(/^Bearer /, '');
    if (!bearer || !live.has(bearer))
      return Response.json({ detail: 'Bearer token refused: it expired' }, { status: 401 });
    if (path.endsWith('/events/stream')) return new Response('', { status: 404 });
    return Response.json({ items: [], next_cursor: null, id: 'x', bearer });
  };

  return {
    fetch,
    grants,
    calls,
    tokenFailures,
    /** The server stops accepting an access token (it expired there, its signing key is gone). */
    forget: (access: string) => live.delete(access),
    /** Someone else spent a refresh token. */
    spend: (refresh: string) => refreshTokens.set(refresh, 'spent'),
  };
}

type Server = ReturnType<typeof fakeServer>;

const tokenClient = (server: Server, tokens: AosClientOptions['tokens'] = true) =>
  new AosClient({ baseUrl: 'http://aos.test', apiKey: KEY, tenant: 'acme', tokens, fetch: server.fetch });

const grantTypes = (server: Server) => server.grants.map((g) => g.grant_type);

describe('a client with tokens', () => {
  let now: number;
  beforeEach(() => {
    now = Date.parse('2026-12-01T10:00:00Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('exchanges its key once and sends the access token instead of the key', async () => {
    const server = fakeServer();
    const aos = tokenClient(server);
    await aos.listAgents();
    await aos.listAgents();
    await aos.createAgent({ name: 'scout' });
    expect(server.grants).toEqual([{ grant_type: 'api_key', api_key: KEY }]);
    expect(server.calls.map((c) => [c.authorization, c.key])).toEqual([
      ['Bearer at-1', null],
      ['Bearer at-1', null],
      ['Bearer at-1', null],
    ]);
    expect(await aos.token()).toBe('at-1');
  });

  it('renews the token with its refresh token shortly before it expires, not sooner', async () => {
    const server = fakeServer({ expiresIn: 900 });
    const aos = tokenClient(server);
    await aos.listAgents();
    now += 839_000; // 61 s left: more than the default minute
    await aos.listAgents();
    expect(grantTypes(server)).toEqual(['api_key']);
    now += 2_000; // 59 s left
    await aos.listAgents();
    expect(server.grants[1]).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1' });
    expect(server.calls.map((c) => c.authorization)).toEqual(['Bearer at-1', 'Bearer at-1', 'Bearer at-2']);
    // The next renewal uses the refresh token the last one handed out.
    now += 900_000;
    await aos.listAgents();
    expect(server.grants[2]).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-2' });
  });

  it('renews refreshBeforeMs before expiry when given; a short-lived token a quarter of its life before', async () => {
    const early = fakeServer({ expiresIn: 900 });
    const aos = tokenClient(early, { refreshBeforeMs: 300_000 });
    await aos.listAgents();
    now += 599_000;
    await aos.listAgents();
    now += 2_000;
    await aos.listAgents();
    expect(grantTypes(early)).toEqual(['api_key', 'refresh_token']);

    const short = fakeServer({ expiresIn: 30 });
    const brief = tokenClient(short);
    await brief.listAgents();
    now += 22_000; // 8 s of 30 left
    await brief.listAgents();
    now += 1_000; // 7 s left: under a quarter
    await brief.listAgents();
    expect(grantTypes(short)).toEqual(['api_key', 'refresh_token']);
  });

  it('shares one exchange, and one renewal, among concurrent requests', async () => {
    const server = fakeServer({ tokenDelayMs: 20 });
    const aos = tokenClient(server);
    await Promise.all(Array.from({ length: 5 }, () => aos.listAgents()));
    expect(grantTypes(server)).toEqual(['api_key']);
    now += 870_000;
    const tokens = await Promise.all([aos.token(), aos.listAgents(), aos.listAgents(), aos.token(), aos.listAgents()]);
    expect(grantTypes(server)).toEqual(['api_key', 'refresh_token']);
    expect([tokens[0], tokens[3]]).toEqual(['at-2', 'at-2']);
    expect(server.calls.slice(5).map((c) => c.authorization)).toEqual(Array(3).fill('Bearer at-2'));
  });

  it('answered 401, renews the token and sends the request once more, body and all', async () => {
    const server = fakeServer();
    const aos = tokenClient(server);
    await aos.listAgents();
    server.forget('at-1');
    await expect(aos.createAgent({ name: 'again' })).resolves.toMatchObject({ bearer: 'at-2' });
    expect(grantTypes(server)).toEqual(['api_key', 'refresh_token']);
    const [refused, retried] = server.calls.slice(1);
    expect(refused).toMatchObject({ method: 'POST', authorization: 'Bearer at-1' });
    expect(retried).toMatchObject({ method: 'POST', authorization: 'Bearer at-2', body: refused.body });
    expect(JSON.parse(retried.body)).toEqual({ name: 'again' });
  });

  it('concurrent 401s share one renewal; a 401 to the retry is the answer (no loop)', async () => {
    const server = fakeServer({ tokenDelayMs: 10 });
    const aos = tokenClient(server);
    await aos.listAgents();
    server.forget('at-1');
    await Promise.all(Array.from({ length: 4 }, () => aos.listAgents()));
    expect(grantTypes(server)).toEqual(['api_key', 'refresh_token']);
    expect(server.calls.slice(5).map((c) => c.authorization)).toEqual(Array(4).fill('Bearer at-2'));

    // A server that refuses every token: one renewal, one retry, then the 401 is thrown.
    const refusing = fakeServer();
    let asked = 0;
    const never = new AosClient({
      baseUrl: 'http://aos.test',
      apiKey: KEY,
      tokens: true,
      fetch: (input, init) => {
        const request = new Request(input, init);
        if (request.url.endsWith('/auth/token')) return refusing.fetch(request);
        asked++;
        return Promise.resolve(Response.json({ detail: 'Bearer token refused: its key is gone' }, { status: 401 }));
      },
    });
    await expect(never.listAgents()).rejects.toMatchObject({ status: 401, detail: expect.stringMatching(/gone/) });
    expect(grantTypes(refusing)).toEqual(['api_key', 'refresh_token']);
    expect(asked).toBe(2);
  });

  it('exchanges the key again when the refresh token is refused (spent elsewhere)', async () => {
    const server = fakeServer();
    const aos = tokenClient(server);
    await aos.listAgents();
    server.spend('rt-1');
    now += 870_000;
    await expect(aos.listAgents()).resolves.toMatchObject({ bearer: 'at-2' });
    expect(server.grants).toEqual([
      { grant_type: 'api_key', api_key: KEY },
      { grant_type: 'refresh_token', refresh_token: 'rt-1' },
      { grant_type: 'api_key', api_key: KEY },
    ]);

    // The same after a 401: refresh refused, then the key.
    server.forget('at-2');
    server.spend('rt-2');
    await expect(aos.listAgents()).resolves.toMatchObject({ bearer: 'at-3' });
    expect(grantTypes(server).slice(3)).toEqual(['refresh_token', 'api_key']);
  });

  it('keeps a token that has not expired when its renewal gets no answer; throws once it has', async () => {
    const server = fakeServer();
    const aos = tokenClient(server);
    await aos.listAgents();
    now += 870_000;
    server.tokenFailures.push(Response.json({ detail: 'restarting' }, { status: 503 }));
    await expect(aos.listAgents()).resolves.toMatchObject({ bearer: 'at-1' });
    // Asked again later, it renews.
    await expect(aos.listAgents()).resolves.toMatchObject({ bearer: 'at-2' });

    now += 900_000;
    server.tokenFailures.push(Response.json({ detail: 'restarting' }, { status: 503 }));
    await expect(aos.listAgents()).rejects.toMatchObject({ status: 503, detail: 'restarting' });
  });

  it('throws the server’s refusal of the key: 400 invalid_grant, detail and OAuth error', async () => {
    const server = fakeServer();
    const aos = new AosClient({ baseUrl: 'http://aos.test', apiKey: 'not-the-key', tokens: true, fetch: server.fetch });
    const refused = await aos.listAgents().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AosApiError);
    expect(refused).toMatchObject({ status: 400, detail: 'Invalid API key', body: { error: 'invalid_grant' } });
    expect(server.calls).toHaveLength(0);
  });

  it('sends the token on event streams too, and X-AOS-Tenant as before', async () => {
    const server = fakeServer();
    const seen: Headers[] = [];
    const aos = new AosClient({
      baseUrl: 'http://aos.test',
      apiKey: KEY,
      tenant: 'acme',
      tokens: true,
      fetch: (input, init) => {
        const request = new Request(input, init);
        if (!request.url.endsWith('/auth/token')) seen.push(request.headers);
        return server.fetch(request);
      },
    });
    await expect(aos.agentEvents('a', { maxRetries: 0 }).next()).rejects.toMatchObject({ status: 404 });
    expect(seen[0].get('authorization')).toBe('Bearer at-1');
    expect(seen[0].get('accept')).toBe('text/event-stream');
    expect(seen[0].get('x-aos-tenant')).toBe('acme');
    expect(seen[0].has('x-aos-key')).toBe(false);
  });
});

describe('token() without tokens', () => {
  it('hands out an access token while requests keep sending the key', async () => {
    const server = fakeServer();
    const calls: Headers[] = [];
    const aos = new AosClient({
      baseUrl: 'http://aos.test',
      apiKey: KEY,
      fetch: (input, init) => {
        const request = new Request(input, init);
        if (!request.url.endsWith('/auth/token')) calls.push(request.headers);
        return request.url.endsWith('/auth/token') ? server.fetch(request) : Promise.resolve(Response.json({}));
      },
    });
    expect(await aos.token()).toBe('at-1');
    expect(await aos.token()).toBe('at-1');
    await aos.getOwnTenant();
    expect(calls[0].get('x-aos-key')).toBe(KEY);
    expect(calls[0].has('authorization')).toBe(false);
    expect(grantTypes(server)).toEqual(['api_key']);
  });

  it('needs a key: token() rejects; tokens without apiKey, or a bad refreshBeforeMs, is a TypeError', async () => {
    await expect(new AosClient({}).token()).rejects.toThrow(TypeError);
    expect(() => new AosClient({ tokens: true })).toThrow(/apiKey/);
    expect(() => new AosClient({ tokens: false })).not.toThrow();
    for (const refreshBeforeMs of [-1, Number.NaN, Infinity])
      expect(() => new AosClient({ apiKey: KEY, tokens: { refreshBeforeMs } })).toThrow(/refreshBeforeMs/);
  });
});
