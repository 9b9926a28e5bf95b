import type * as Sdk from '../packages/client/src/index.js';
import { assertClientBuilt } from './support/cli';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a client sent and was answered, request by request. */
interface Exchange {
  method: string;
  path: string;
  authorization: string | null;
  key: string | null;
  grant?: Record<string, string>;
  status: number;
  /** The answer of a token request (the test uses its refresh token elsewhere). */
  answer?: Record<string, unknown>;
}

describe('the client SDK with tokens against a running server', () => {
  let t: TestApp;
  let url: string;
  let sdk: typeof Sdk;
  let operator: Sdk.AosClient;
  let tenantId: string;
  let adminKey: string;

  beforeAll(async () => {
    assertClientBuilt();
    // Short-lived access tokens, so a token near its expiry is an ordinary state.
    t = await startTestApp({ HOST: '127.0.0.1', PORT: '0', AOS_ACCESS_TOKEN_TTL_S: '30' });
    url = await t.server.listen();
    const published: string = '@aos/client';
    sdk = (await import(published)) as typeof Sdk;
    operator = new sdk.AosClient({ baseUrl: url, apiKey: TEST_API_KEY });
    tenantId = (await operator.createTenant({ slug: 'sdk-tokens', name: 'SDK tokens' })).id;
    adminKey = (await operator.createKey('sdk-tokens', { name: 'admin', scopes: ['admin'] })).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A client of the admin key with tokens, and the record of what it sent. */
  function tokenClient(options: Partial<Sdk.AosClientOptions> = {}, tamper?: (authorization: string) => string) {
    const sent: Exchange[] = [];
    const client = new sdk.AosClient({
      baseUrl: url,
      apiKey: adminKey,
      tokens: true,
      ...options,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        const path = new URL(request.url).pathname;
        const grant =
          path === '/auth/token' ? (JSON.parse(await request.clone().text()) as Record<string, string>) : undefined;
        const authorization = request.headers.get('authorization');
        if (authorization && tamper) request.headers.set('authorization', tamper(authorization));
        const response = await fetch(request);
        const exchange: Exchange = {
          method: request.method,
          path,
          authorization,
          key: request.headers.get('x-aos-key'),
          grant,
          status: response.status,
        };
        if (grant && response.ok) exchange.answer = (await response.clone().json()) as Record<string, unknown>;
        sent.push(exchange);
        return response;
      },
    });
    const grants = () => sent.filter((e) => e.grant).map((e) => [e.grant!.grant_type, e.status]);
    return { client, sent, grants };
  }

  it('works with tokens: routes, the long-poll and the event stream carry the Bearer token, never the key', async () => {
    const { client, sent, grants } = tokenClient();
    expect(await client.getOwnTenant()).toMatchObject({ id: tenantId, slug: 'sdk-tokens' });
    const agent = await client.createAgent({ name: 'bearer', planner: 'rule-based' });
    const { run_id } = await client.submitGoal(agent.id, { goal: 'remember the bearer' });
    const types: string[] = [];
    for await (const event of client.runEvents(agent.id, run_id)) types.push(event.type);
    expect(types.at(-1)).toBe('run.completed');
    expect((await client.waitForRun(agent.id, run_id, { timeoutMs: 20_000 })).status).toBe('completed');

    expect(grants()).toEqual([['api_key', 200]]);
    const api = sent.filter((e) => !e.grant);
    expect(api.length).toBeGreaterThanOrEqual(5);
    const access = sent[0].answer!.access_token as string;
    for (const e of api)
      expect({ path: e.path, authorization: e.authorization, key: e.key }).toEqual({
        path: e.path,
        authorization: `Bearer ${access}`,
        key: null,
      });
    expect(await client.token()).toBe(access);
  });

  it('renews a token near its expiry with the refresh token, and goes on working', async () => {
    // 29 of the token's 30 s are "near its expiry": after a second it is renewed before use.
    const { client, sent, grants } = tokenClient({ tokens: { refreshBeforeMs: 29_000 } });
    await client.listAgents();
    await sleep(1_100);
    expect((await client.getOwnTenant()).id).toBe(tenantId);
    expect(grants()).toEqual([
      ['api_key', 200],
      ['refresh_token', 200],
    ]);
    const [first, second] = sent.filter((e) => e.grant);
    expect(second.grant!.refresh_token).toBe(first.answer!.refresh_token);
    expect(sent.at(-1)).toMatchObject({
      path: '/tenant',
      authorization: `Bearer ${second.answer!.access_token as string}`,
    });
  });

  it('keeps working after its refresh token was used elsewhere: exchanges the key again', async () => {
    // A renewal before every request (the token is always within refreshBeforeMs of its expiry).
    const { client, sent, grants } = tokenClient({ tokens: { refreshBeforeMs: 30_000 } });
    await client.listAgents();
    const stolen = sent.find((e) => e.grant)!.answer!.refresh_token as string;
    const thief = await t.request({
      method: 'POST',
      url: '/auth/token',
      auth: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=refresh_token&refresh_token=${stolen}`,
    });
    expect(thief.statusCode).toBe(200);

    // The client's renewal presents the spent token: refused (its family revoked), so the key.
    expect((await client.getOwnTenant()).id).toBe(tenantId);
    expect(grants()).toEqual([
      ['api_key', 200],
      ['refresh_token', 400],
      ['api_key', 200],
    ]);
    // The thief's pair was of the revoked family.
    const again = await t.request({
      method: 'POST',
      url: '/auth/token',
      auth: false,
      payload: { grant_type: 'refresh_token', refresh_token: thief.json().refresh_token },
    });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ error: 'invalid_grant' });
    // The new family renews as usual.
    await client.listAgents();
    expect(grants().at(-1)).toEqual(['refresh_token', 200]);
  });

  it('answered 401, renews the token and sends the request once more', async () => {
    let tampered = 0;
    // The first request's token is spoiled on its way: the server refuses it.
    const spoil = (authorization: string) => {
      const tail = authorization.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA';
      return `${authorization.slice(0, -4)}${tail}`;
    };
    const { client, sent, grants } = tokenClient({}, (authorization) =>
      tampered++ === 0 ? spoil(authorization) : authorization,
    );
    const agent = await client.createAgent({ name: 'retried', planner: 'rule-based' });
    expect(agent.name).toBe('retried');
    expect(sent.filter((e) => !e.grant).map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/agents', 401],
      ['POST', '/agents', 201],
    ]);
    expect(grants()).toEqual([
      ['api_key', 200],
      ['refresh_token', 200],
    ]);
    expect((await client.listAgents()).items.map((a) => a.name)).toEqual(['retried', 'bearer']);
  });

  it('refuses to exchange the operator key (400 invalid_grant) and a revoked key', async () => {
    const op = new sdk.AosClient({ baseUrl: url, apiKey: TEST_API_KEY, tokens: true });
    const refused = await op.listAgents().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(sdk.AosApiError);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const doomed = await operator.createKey('sdk-tokens', { name: 'doomed', scopes: ['read'] });
    const reader = new sdk.AosClient({ baseUrl: url, apiKey: doomed.key, tokens: { refreshBeforeMs: 30_000 } });
    await reader.listAgents();
    await operator.revokeKey('sdk-tokens', doomed.id);
    await expect(reader.listAgents()).rejects.toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('reads limits, usage and signing keys; rotating changes the kid of the JWKS', async () => {
    const limited = await operator.updateTenant('sdk-tokens', { limits: { agents: 10, requests_per_minute: 1000 } });
    expect(limited.limits).toEqual({ agents: 10, requests_per_minute: 1000 });
    const unlimited = await operator.updateTenant('sdk-tokens', { limits: { requests_per_minute: null } });
    expect(unlimited.limits).toEqual({ agents: 10 });
    const { client } = tokenClient();
    expect((await client.getOwnTenant()).limits).toEqual({ agents: 10 });

    const today = new Date().toISOString().slice(0, 10);
    const usage = await client.usage({ from: today, to: today });
    expect(usage).toMatchObject({ tenant_id: tenantId, from: today, to: today });
    expect(usage.days[0].runs.completed).toBeGreaterThanOrEqual(1);
    expect(await operator.tenantUsage('sdk-tokens', { from: today, to: today })).toEqual(usage);

    const before = (await client.jwks()).keys.map((k) => k.kid);
    const [signing] = (await operator.signingKeys()).items.filter((k) => k.retired_at === null);
    expect(before).toEqual([signing.kid]);
    const rotated = await operator.rotateSigningKey();
    expect(rotated.kid).not.toBe(signing.kid);
    expect((await client.jwks()).keys.map((k) => k.kid).sort()).toEqual([signing.kid, rotated.kid].sort());
    await expect(client.rotateSigningKey()).rejects.toMatchObject({ status: 403 });
  });
});
