import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTHeaderParameters,
} from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeModelServer } from './support/fake-models';
import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

/**
 * Tokens end to end: the token endpoint (api_key and refresh_token grants, JSON and forms, OAuth
 * errors), bearer access tokens verified with real `jose`, revocation and signing-key rotation
 * across two instances on one database, an external OpenID Connect issuer, and agent tokens
 * verified by the service an agent calls.
 */

const OWN_ISSUER = 'urn:aos';
const OIDC_AUDIENCE = 'aos-oidc-test';
const ACCESS_TTL_S = 900;
const REFRESH_FORMAT = /^aosr_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

type Request = (options: InjectOptions) => Promise<LightMyRequestResponse>;

interface Tenant {
  id: string;
  slug: string;
}

interface Pair {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  refresh_token_expires_in: number;
  scope: string;
}

/** A local OpenID Connect issuer: its discovery document and JWKS, keys it may rotate. */
class Issuer {
  url = '';
  jwksHits = 0;
  private server!: Server;
  private readonly published: JWK[] = [];
  private readonly signers = new Map<string, { privateKey: CryptoKey; alg: string }>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const json = (body: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/.well-known/openid-configuration') {
        json({ issuer: this.url, jwks_uri: `${this.url}/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
      } else if (req.url === '/jwks') {
        this.jwksHits++;
        json({ keys: this.published });
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A new key pair; published unless `publish` is false (a key the issuer never announced). */
  async addKey(kid: string, alg: 'RS256' | 'ES256', publish = true): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    if (publish) this.published.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
    this.signers.set(kid, { privateKey, alg });
  }

  /** A user's token: `aos_tenant` and `scope` claims, for AOS unless told otherwise. */
  async token(
    claims: Record<string, unknown>,
    options: { kid: string; audience?: string; typ?: string; expiresAt?: number; sub?: string },
  ): Promise<string> {
    const signer = this.signers.get(options.kid)!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: signer.alg, kid: options.kid, ...(options.typ ? { typ: options.typ } : {}) })
      .setIssuer(this.url)
      .setAudience(options.audience ?? OIDC_AUDIENCE)
      .setSubject(options.sub ?? 'user-123')
      .setIssuedAt(now)
      .setExpirationTime(options.expiresAt ?? now + 300)
      .sign(signer.privateKey);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Runs `work` with the clock of this process (the app's included) `aheadMs` in the future. */
async function later<T>(aheadMs: number, work: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({
    now: Date.now() + aheadMs,
    advanceTimers: true,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  try {
    return await work();
  } finally {
    jest.useRealTimers();
  }
}

describe('tokens', () => {
  let t: TestApp;
  /** A second instance of the same deployment (same database, same AOS_SECRET_KEY). */
  let second: TestApp;
  let aosBase: string;
  let issuer: Issuer;
  let target: TargetServer;
  let anthropic: FakeModelServer;
  let tenantA: Tenant;
  let tenantB: Tenant;
  let adminKeyA: { id: string; key: string };

  const bearer =
    (token: string, app?: TestApp): Request =>
    (options) =>
      (app ?? t).request({
        ...options,
        auth: false,
        headers: { authorization: `Bearer ${token}`, ...options.headers },
      });

  /** A token request: JSON, or a form when given as a string. */
  const grant = (payload: Record<string, unknown> | string, app?: TestApp) =>
    (app ?? t).request({
      method: 'POST',
      url: '/auth/token',
      auth: false,
      payload,
      headers: typeof payload === 'string' ? FORM : undefined,
    });

  async function exchange(apiKey: string, app?: TestApp): Promise<Pair> {
    const res = await grant({ grant_type: 'api_key', api_key: apiKey }, app);
    expect(res.statusCode).toBe(200);
    return res.json<Pair>();
  }

  async function createTenant(slug: string): Promise<Tenant> {
    const res = await t.request({ method: 'POST', url: '/tenants', payload: { slug, name: slug } });
    expect(res.statusCode).toBe(201);
    return { id: res.json().id, slug };
  }

  async function mintKey(tenant: string, scopes: string[]): Promise<{ id: string; key: string }> {
    const res = await t.request({ method: 'POST', url: `/tenants/${tenant}/keys`, payload: { name: 'k', scopes } });
    expect(res.statusCode).toBe(201);
    return { id: res.json().id, key: res.json().key };
  }

  const jwks = async (app?: TestApp) =>
    (await (app ?? t).request({ method: 'GET', url: '/.well-known/jwks.json', auth: false })).json<JSONWebKeySet>();

  /** A refusal at the API: 401, the reason in detail, and never the token itself. */
  function expectRefused(res: LightMyRequestResponse, token: string, reason: RegExp): void {
    expect([res.statusCode, res.json().detail]).toEqual([401, expect.stringMatching(reason)]);
    expect(res.body).not.toContain(token);
    // Nor its signature alone (the part that proves it).
    expect(res.body).not.toContain(token.split('.')[2] || token);
  }

  beforeAll(async () => {
    issuer = await new Issuer().start();
    await issuer.addKey('issuer-1', 'RS256');
    target = await new TargetServer().start();
    anthropic = await new FakeModelServer('anthropic').start();
    const env = {
      AOS_OIDC_ISSUER: issuer.url,
      AOS_OIDC_AUDIENCE: OIDC_AUDIENCE,
      ANTHROPIC_API_KEY: 'sk-ant-test-secret-0123456789',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      AOS_ANTHROPIC_MODEL: 'claude-test',
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_CONNECTION_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_WORKER_POLL_MS: '100',
    };
    t = await startTestApp({ ...env, HOST: '127.0.0.1', PORT: '0' });
    aosBase = await t.server.listen();
    // No worker there: every run of this file runs on the first instance.
    second = await startTestApp({ ...env, AOS_WORKER_CONCURRENCY: '0' }, t);
    tenantA = await createTenant('tok-a');
    tenantB = await createTenant('tok-b');
    adminKeyA = await mintKey(tenantA.slug, ['admin']);
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await t?.close();
    await Promise.all([issuer?.stop(), target?.stop(), anthropic?.stop()]);
  });

  describe('the token endpoint', () => {
    it('exchanges an admin key (JSON) for a bearer token that works on /tenant and /agents, claims as documented', async () => {
      const res = await grant({ grant_type: 'api_key', api_key: adminKeyA.key });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const pair = res.json<Pair>();
      expect(pair).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: ACCESS_TTL_S,
        refresh_token: expect.stringMatching(REFRESH_FORMAT),
        refresh_token_expires_in: expect.any(Number),
        scope: 'admin',
      });
      expect(pair.refresh_token_expires_in).toBeGreaterThan(ACCESS_TTL_S);

      const asToken = bearer(pair.access_token);
      const own = await asToken({ method: 'GET', url: '/tenant' });
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject(tenantA);
      const agents = await asToken({ method: 'GET', url: '/agents' });
      expect(agents.statusCode).toBe(200);
      expect(agents.json().items).toEqual(expect.any(Array));
      // Admin: it mints keys of its tenant like the key does.
      const keys = await asToken({ method: 'GET', url: `/tenants/${tenantA.id}/keys` });
      expect(keys.statusCode).toBe(200);

      const header = decodeProtectedHeader(pair.access_token);
      expect(header).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
      const set = await jwks();
      expect(set.keys.map((k) => k.kid)).toContain(header.kid);
      // Verified with the published keys alone, as any resource server would.
      const { payload } = await jwtVerify(pair.access_token, createLocalJWKSet(set), {
        issuer: OWN_ISSUER,
        audience: OWN_ISSUER,
        typ: 'at+jwt',
        algorithms: ['EdDSA'],
      });
      expect(payload).toMatchObject({
        iss: OWN_ISSUER,
        aud: OWN_ISSUER,
        sub: `key:${adminKeyA.id}`,
        tenant: tenantA.id,
        key_id: adminKeyA.id,
        scope: 'admin',
      });
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(ACCESS_TTL_S);
      expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
      expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(60);
    });

    it('takes a form too; the scopes of a read/write key; write works, admin is 403', async () => {
      const key = await mintKey(tenantA.slug, ['read', 'write']);
      const res = await grant(`grant_type=api_key&api_key=${encodeURIComponent(key.key)}`);
      expect(res.statusCode).toBe(200);
      const pair = res.json<Pair>();
      expect(pair.scope).toBe('read write');
      expect(decodeJwt(pair.access_token)).toMatchObject({ scope: 'read write', key_id: key.id });
      const created = await bearer(pair.access_token)({
        method: 'POST',
        url: '/agents',
        payload: { name: 'by-token' },
      });
      expect(created.statusCode).toBe(201);
      // The token acts as its key.
      expect(created.json().created_by).toEqual({ tenant_id: tenantA.id, kind: 'key', id: key.id });
      const denied = await bearer(pair.access_token)({ method: 'GET', url: `/tenants/${tenantA.id}/keys` });
      expect(denied.statusCode).toBe(403);
      expect(denied.json().detail).toMatch(/admin/);
    });

    it('refreshes into a new pair; a reused refresh token is invalid_grant and ends its family', async () => {
      const first = await exchange(adminKeyA.key);
      const res = await grant({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(res.statusCode).toBe(200);
      const next = res.json<Pair>();
      expect(next).toMatchObject({ token_type: 'Bearer', scope: 'admin', expires_in: ACCESS_TTL_S });
      expect(next.refresh_token).toMatch(REFRESH_FORMAT);
      expect(next.refresh_token).not.toBe(first.refresh_token);
      expect(next.access_token).not.toBe(first.access_token);
      expect(decodeJwt(next.access_token).jti).not.toBe(decodeJwt(first.access_token).jti);
      expect((await bearer(next.access_token)({ method: 'GET', url: '/tenant' })).statusCode).toBe(200);

      const reused = await grant({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(reused.statusCode).toBe(400);
      expect(reused.json()).toEqual({
        detail: expect.stringMatching(/already used/),
        error: 'invalid_grant',
        error_description: expect.stringMatching(/already used/),
      });
      // The holder of the newest token of that family is refused too.
      const orphan = await grant({ grant_type: 'refresh_token', refresh_token: next.refresh_token });
      expect(orphan.statusCode).toBe(400);
      expect(orphan.json()).toMatchObject({
        error: 'invalid_grant',
        error_description: expect.stringMatching(/revoked/),
      });
      // Another family of the same key is untouched.
      const other = await exchange(adminKeyA.key);
      expect((await grant({ grant_type: 'refresh_token', refresh_token: other.refresh_token })).statusCode).toBe(200);
    });

    it.each<[string, Record<string, unknown> | (() => string), string, RegExp]>([
      ['no grant_type', { api_key: 'x' }, 'invalid_request', /grant_type is required/],
      ['an unsupported grant_type', { grant_type: 'password', username: 'a' }, 'unsupported_grant_type', /password/],
      ['api_key without the key', { grant_type: 'api_key' }, 'invalid_request', /api_key is required/],
      [
        'a tenant key that does not exist',
        { grant_type: 'api_key', api_key: `aos_abcdefghijkl_${'a'.repeat(43)}` },
        'invalid_grant',
        /Invalid API key/,
      ],
      ['not a key at all', { grant_type: 'api_key', api_key: 'letmein' }, 'invalid_grant', /Invalid API key/],
      ['the operator key', { grant_type: 'api_key', api_key: TEST_API_KEY }, 'invalid_grant', /only tenant API keys/],
      [
        'a refresh token that was never issued',
        { grant_type: 'refresh_token', refresh_token: `aosr_${'0'.repeat(32)}_${'b'.repeat(43)}` },
        'invalid_grant',
        /not a refresh token of this AOS/,
      ],
      [
        'a parameter twice in a form',
        () => `grant_type=api_key&api_key=${adminKeyA.key}&api_key=${adminKeyA.key}`,
        'invalid_request',
        /api_key is given more than once/,
      ],
      ['a number in JSON', { grant_type: 'api_key', api_key: 5 }, 'invalid_request', /must be a string/],
      [
        'a scope to narrow the token to',
        () => `grant_type=api_key&api_key=${adminKeyA.key}&scope=read`,
        'invalid_scope',
        /scope is not taken/,
      ],
      ['__proto__ in a form', () => 'grant_type=api_key&__proto__=x', 'invalid_request', /__proto__/],
    ])('refuses %s with an OAuth error', async (_what, payload, error, description) => {
      const body = typeof payload === 'function' ? payload() : payload;
      const res = await grant(body);
      expect(res.statusCode).toBe(400);
      const answer = res.json();
      expect(answer).toEqual({
        detail: expect.stringMatching(description),
        error,
        error_description: expect.stringMatching(description),
      });
      expect(answer.detail).toBe(answer.error_description);
      expect(res.body).not.toContain(adminKeyA.key);
      expect(res.body).not.toContain(TEST_API_KEY);
    });

    it('answers in OAuth’s shape what refuses a token request before the endpoint reads it', async () => {
      for (const [payload, headers, status] of [
        ['{"grant_type": ', { 'content-type': 'application/json' }, 400],
        ['grant_type=api_key', { 'content-type': 'text/plain' }, 415],
      ] as const) {
        const res = await t.request({ method: 'POST', url: '/auth/token', auth: false, payload, headers });
        expect(res.statusCode).toBe(status);
        expect(res.json()).toEqual({
          detail: expect.any(String),
          error: 'invalid_request',
          error_description: res.json().detail,
        });
      }
    });

    it('keeps at most 100 live refresh families per key, and 16 spent tokens per family', async () => {
      const key = await mintKey(tenantA.slug, ['read']);
      const first = await exchange(key.key);
      let latest = first;
      for (let i = 0; i < 20; i++) {
        const res = await grant({ grant_type: 'refresh_token', refresh_token: latest.refresh_token });
        expect(res.statusCode).toBe(200);
        latest = res.json<Pair>();
      }
      const family = await t.dataSource.query<{ spent: number; live: number }[]>(
        `SELECT count(*) FILTER (WHERE used_at IS NOT NULL)::int AS spent, count(*) FILTER (WHERE used_at IS NULL)::int AS live
           FROM refresh_tokens WHERE key_id = $1`,
        [key.id],
      );
      expect(family).toEqual([{ spent: 16, live: 1 }]);
      for (let i = 0; i < 100; i++) await exchange(key.key);
      const [{ live }] = await t.dataSource.query<{ live: number }[]>(
        `SELECT count(*)::int AS live FROM refresh_tokens WHERE key_id = $1 AND used_at IS NULL AND revoked_at IS NULL`,
        [key.id],
      );
      expect(live).toBe(100);
      // The oldest family was the one ended.
      const oldest = await grant({ grant_type: 'refresh_token', refresh_token: latest.refresh_token });
      expect([oldest.statusCode, oldest.json().error_description]).toEqual([400, 'refresh_token was revoked']);
    });

    it('takes an API key sent as Authorization: Bearer, and refuses a wrong one as a key', async () => {
      const own = await bearer(adminKeyA.key)({ method: 'GET', url: '/tenant' });
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject(tenantA);
      const wrong = await bearer(`aos_abcdefghijkl_${'a'.repeat(43)}`)({ method: 'GET', url: '/tenant' });
      expect([wrong.statusCode, wrong.json().detail]).toEqual([401, 'Invalid API key']);
    });
  });

  describe('revocation across instances', () => {
    it('revoking the key on one instance ends its access token on the other within 5 s, and its refresh token', async () => {
      const key = await mintKey(tenantA.slug, ['read']);
      const pair = await exchange(key.key);
      const onSecond = bearer(pair.access_token, second);
      // Seen (and cached) by the second instance before the revocation.
      expect((await onSecond({ method: 'GET', url: '/agents' })).statusCode).toBe(200);

      const revoked = await t.request({ method: 'DELETE', url: `/tenants/${tenantA.slug}/keys/${key.id}` });
      expect(revoked.statusCode).toBe(204);
      // Here at once.
      expectRefused(
        await bearer(pair.access_token)({ method: 'GET', url: '/agents' }),
        pair.access_token,
        /^Access token refused: its key was revoked$/,
      );
      const refused = await eventually(
        () => onSecond({ method: 'GET', url: '/agents' }),
        (res) => res.statusCode !== 200,
        5_000,
      );
      expectRefused(refused, pair.access_token, /^Access token refused: its key was revoked$/);

      const refresh = await grant({ grant_type: 'refresh_token', refresh_token: pair.refresh_token }, second);
      expect(refresh.statusCode).toBe(400);
      expect(refresh.json()).toMatchObject({
        error: 'invalid_grant',
        error_description: expect.stringMatching(/revoked/),
      });
      // And the key itself can no longer be exchanged.
      const again = await grant({ grant_type: 'api_key', api_key: key.key }, second);
      expect(again.json()).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('bearer tokens refused at the API', () => {
    let pair: Pair;
    let otherAudience: string;
    let otherIssuer: string;

    beforeAll(async () => {
      pair = await exchange(adminKeyA.key);
      // Instances of other deployments on the same database and AOS_SECRET_KEY (so the same keys):
      // only what they put in aud and iss differs. Closed at once: no worker of theirs stays.
      for (const [env, set] of [
        [{ AOS_TOKEN_AUDIENCE: 'urn:aos:elsewhere' }, (x: string) => (otherAudience = x)],
        [{ AOS_PUBLIC_URL: 'https://aos.elsewhere.example' }, (x: string) => (otherIssuer = x)],
      ] as const) {
        const other = await startTestApp({ ...env, AOS_WORKER_CONCURRENCY: '0' }, t);
        try {
          const token = (await exchange(adminKeyA.key, other)).access_token;
          // The control: each is a good token where it was minted.
          expect((await bearer(token, other)({ method: 'GET', url: '/tenant' })).statusCode).toBe(200);
          set(token);
        } finally {
          await other.close();
        }
      }
    }, 60_000);

    const claimsOf = () => decodeJwt(pair.access_token);

    it('an expired token, seen before or not (the clock moved past exp and the 30 s of skew)', async () => {
      const fresh = (await exchange(adminKeyA.key)).access_token;
      expect((await bearer(pair.access_token)({ method: 'GET', url: '/tenant' })).statusCode).toBe(200);
      const [seen, unseen, controlNow] = await later((ACCESS_TTL_S + 60) * 1000, async () => [
        await bearer(pair.access_token)({ method: 'GET', url: '/tenant' }),
        await bearer(fresh)({ method: 'GET', url: '/tenant' }),
        Date.now(),
      ]);
      expect(controlNow).toBeGreaterThan(Date.now() + ACCESS_TTL_S * 1000);
      expectRefused(seen, pair.access_token, /^Bearer token refused: it expired$/);
      expectRefused(unseen, fresh, /^Bearer token refused: it expired$/);
      // Back to now: the same token works again (nothing was marked on it).
      expect((await bearer(fresh)({ method: 'GET', url: '/tenant' })).statusCode).toBe(200);
    });

    it('a token for another audience (same keys, same issuer)', async () => {
      expect(decodeJwt(otherAudience)).toMatchObject({ iss: OWN_ISSUER, aud: 'urn:aos:elsewhere' });
      expectRefused(
        await bearer(otherAudience)({ method: 'GET', url: '/tenant' }),
        otherAudience,
        /^Bearer token refused: it is meant for another audience$/,
      );
    });

    it('a token of another issuer (same keys)', async () => {
      expect(decodeJwt(otherIssuer)).toMatchObject({ iss: 'https://aos.elsewhere.example' });
      expectRefused(
        await bearer(otherIssuer)({ method: 'GET', url: '/tenant' }),
        otherIssuer,
        /^Bearer token refused: it comes from an issuer this AOS does not accept$/,
      );
    });

    it('alg none: the real claims and kid, unsigned', async () => {
      const { kid } = decodeProtectedHeader(pair.access_token);
      for (const alg of ['none', 'None']) {
        const unsigned = `${b64({ alg, typ: 'at+jwt', kid })}.${b64(claimsOf())}.`;
        expectRefused(
          await bearer(unsigned)({ method: 'GET', url: '/tenant' }),
          unsigned,
          /^Bearer token refused: its algorithm is not accepted$/,
        );
      }
    });

    it('signed by a key of ours (the real kid and claims, or an unknown kid), or with a tampered payload', async () => {
      const { kid } = decodeProtectedHeader(pair.access_token);
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const forge = (header: JWTHeaderParameters) =>
        new SignJWT(claimsOf()).setProtectedHeader(header).sign(privateKey);
      const sameKid = await forge({ alg: 'EdDSA', typ: 'at+jwt', kid });
      expectRefused(
        await bearer(sameKid)({ method: 'GET', url: '/tenant' }),
        sameKid,
        /^Bearer token refused: its signature does not verify$/,
      );
      const unknownKid = await forge({ alg: 'EdDSA', typ: 'at+jwt', kid: 'not-a-kid-of-aos' });
      expectRefused(
        await bearer(unknownKid)({ method: 'GET', url: '/tenant' }),
        unknownKid,
        /^Bearer token refused: the token was signed by a key this AOS does not have$/,
      );
      const noKid = await forge({ alg: 'EdDSA', typ: 'at+jwt' });
      expectRefused(
        await bearer(noKid)({ method: 'GET', url: '/tenant' }),
        noKid,
        /^Bearer token refused: the token names no kid$/,
      );
      // The real signature over claims widened to another scope.
      const [h, , s] = pair.access_token.split('.');
      const widened = `${h}.${b64({ ...claimsOf(), scope: 'admin operator' })}.${s}`;
      expectRefused(
        await bearer(widened)({ method: 'GET', url: '/tenant' }),
        widened,
        /^Bearer token refused: its signature does not verify$/,
      );
      // Not a JWT, though shaped like one.
      expectRefused(
        await bearer('abc.def.ghi')({ method: 'GET', url: '/tenant' }),
        'abc.def.ghi',
        /^Bearer token refused: it is not a JWT$/,
      );
    });

    it('the good token still works after all of that, and X-AOS-Tenant naming another tenant is 404', async () => {
      expect((await bearer(pair.access_token)({ method: 'GET', url: '/tenant' })).statusCode).toBe(200);
      const elsewhere = await bearer(pair.access_token)({
        method: 'GET',
        url: '/agents',
        headers: { 'x-aos-tenant': tenantB.slug },
      });
      expect(elsewhere.statusCode).toBe(404);
    });
  });

  describe('signing key rotation', () => {
    it('a new kid signs; the old verifies; the other instance verifies the new kid at once', async () => {
      const before = await exchange(adminKeyA.key);
      const oldKid = decodeProtectedHeader(before.access_token).kid!;
      const listed = await t.request({ method: 'GET', url: '/signing-keys' });
      expect(listed.statusCode).toBe(200);
      expect(listed.json().items).toContainEqual({
        kid: oldKid,
        alg: 'EdDSA',
        created_at: expect.any(String),
        retired_at: null,
      });
      // Operator only.
      const byTenant = await t.request({
        method: 'POST',
        url: '/signing-keys/rotate',
        auth: false,
        headers: { 'x-aos-key': adminKeyA.key },
      });
      expect(byTenant.statusCode).toBe(403);

      const rotated = await t.request({ method: 'POST', url: '/signing-keys/rotate' });
      expect(rotated.statusCode).toBe(201);
      const newKid = rotated.json().kid as string;
      expect(rotated.json()).toEqual({ kid: newKid, alg: 'EdDSA', created_at: expect.any(String), retired_at: null });
      expect(newKid).not.toBe(oldKid);

      const kids = (await jwks()).keys.map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
      const items = (await t.request({ method: 'GET', url: '/signing-keys' })).json().items as {
        kid: string;
        retired_at: string | null;
      }[];
      expect(items.find((k) => k.kid === newKid)!.retired_at).toBeNull();
      expect(items.find((k) => k.kid === oldKid)!.retired_at).toEqual(expect.stringMatching(/Z$/));
      expect(items.filter((k) => k.retired_at === null)).toHaveLength(1);

      // Minted before: still good, here and there.
      expect((await bearer(before.access_token)({ method: 'GET', url: '/tenant' })).statusCode).toBe(200);
      expect((await bearer(before.access_token, second)({ method: 'GET', url: '/tenant' })).statusCode).toBe(200);
      // Minted after: the new kid. The second instance publishes it at once (its JWKS reads the
      // keys again), and verifies a token that names it.
      const after = await exchange(adminKeyA.key);
      expect(decodeProtectedHeader(after.access_token).kid).toBe(newKid);
      expect((await jwks(second)).keys.map((k) => k.kid)).toContain(newKid);
      const there = await bearer(after.access_token, second)({ method: 'GET', url: '/tenant' });
      expect(there.statusCode).toBe(200);
      expect(there.json()).toMatchObject(tenantA);
      expect((await jwks(second)).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
      // Refreshing the token minted before hands out one of the new key.
      const refreshed = await grant({ grant_type: 'refresh_token', refresh_token: before.refresh_token });
      expect(decodeProtectedHeader(refreshed.json<Pair>().access_token).kid).toBe(newKid);
    });
  });

  describe('an external OpenID Connect issuer', () => {
    let agentOfB: string;
    let agentOfA: string;

    beforeAll(async () => {
      const made = await t.request({
        method: 'POST',
        url: '/agents',
        payload: { name: 'of-b', planner: 'rule-based' },
        headers: { 'x-aos-tenant': tenantB.slug },
      });
      expect(made.statusCode).toBe(201);
      agentOfB = made.json().id;
      const ofA = await t.request({
        method: 'POST',
        url: '/agents',
        payload: { name: 'of-a', planner: 'rule-based' },
        headers: { 'x-aos-tenant': tenantA.slug },
      });
      agentOfA = ofA.json().id;
    });

    const user = (claims: Record<string, unknown> = {}, options: Partial<Parameters<Issuer['token']>[1]> = {}) =>
      issuer.token({ aos_tenant: tenantB.slug, scope: 'read write', ...claims }, { kid: 'issuer-1', ...options });

    it('a user of B lists B’s agents and creates one as the user; admin routes are 403', async () => {
      const asUser = bearer(await user());
      const listed = await asUser({ method: 'GET', url: '/agents?limit=100' });
      expect(listed.statusCode).toBe(200);
      const ids = listed.json().items.map((a: { id: string }) => a.id);
      expect(ids).toContain(agentOfB);
      expect(ids).not.toContain(agentOfA);

      const created = await asUser({
        method: 'POST',
        url: '/agents',
        payload: { name: 'by-user', planner: 'rule-based' },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json().created_by).toEqual({ tenant_id: tenantB.id, kind: 'user', id: 'user-123' });

      const admin = await asUser({ method: 'GET', url: `/tenants/${tenantB.slug}/keys` });
      expect(admin.statusCode).toBe(403);
      expect(admin.json().detail).toMatch(/admin/);
      // The tenant claim by id works the same; a scope list too; unknown scopes are ignored.
      const byId = bearer(await user({ aos_tenant: tenantB.id, scope: ['read', 'operator', 'root'] }));
      expect((await byId({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
      const readOnly = await byId({ method: 'POST', url: '/agents', payload: { name: 'nope' } });
      expect(readOnly.statusCode).toBe(403);
      expect(readOnly.json().detail).toMatch(/write/);
      expect((await byId({ method: 'GET', url: '/signing-keys' })).statusCode).toBe(403);
    });

    it('refuses an unknown tenant, a missing claim, another audience, an expired token, an agent-typed one, an ID token', async () => {
      const cases: [string, RegExp][] = [
        [await user({ aos_tenant: 'no-such-tenant' }), /its aos_tenant claim names no tenant of this AOS/],
        [await user({ aos_tenant: undefined }), /it has no aos_tenant claim/],
        [await user({ aos_tenant: '' }), /it has no aos_tenant claim/],
        [await user({}, { audience: 'someone-else' }), /it is meant for another audience/],
        [await user({}, { expiresAt: Math.floor(Date.now() / 1000) - 120 }), /it expired/],
        [await user({}, { typ: 'agent+jwt' }), /it is an agent token, not an access token/],
        // An ID token (it carries the sign-in's nonce) proves a sign-in; it grants nothing.
        [await user({ nonce: 'n-0S6_WzA2Mj' }), /it is an ID token, not an access token/],
      ];
      for (const [token, reason] of cases) {
        expectRefused(await bearer(token)({ method: 'GET', url: '/agents' }), token, reason);
      }
      // X-AOS-Tenant naming another tenant than the claim's.
      const named = await bearer(await user())({
        method: 'GET',
        url: '/agents',
        headers: { 'x-aos-tenant': tenantA.slug },
      });
      expect(named.statusCode).toBe(404);
    });

    it('refuses an algorithm that is not pinned (HS256 with a shared secret) and a key the issuer never published', async () => {
      const now = Math.floor(Date.now() / 1000);
      const hs = await new SignJWT({ aos_tenant: tenantB.slug, scope: 'read write' })
        .setProtectedHeader({ alg: 'HS256', kid: 'issuer-1' })
        .setIssuer(issuer.url)
        .setAudience(OIDC_AUDIENCE)
        .setSubject('user-123')
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-or-more!'));
      expectRefused(
        await bearer(hs)({ method: 'GET', url: '/agents' }),
        hs,
        /^Bearer token refused: its algorithm is not accepted$/,
      );
      await issuer.addKey('never-published', 'ES256', false);
      const ghost = await user({}, { kid: 'never-published' });
      expectRefused(
        await bearer(ghost)({ method: 'GET', url: '/agents' }),
        ghost,
        /^Bearer token refused: it was signed by a key the issuer does not publish$/,
      );
    });

    // The sub becomes the actor's id, stored on what the user creates: one jsonb cannot hold (a
    // NUL, a lone surrogate), an empty one or an endless one is refused before anything is written.
    it('refuses a sub that is not 1 to 255 printable ASCII characters (401), instead of a 500 on the first write', async () => {
      for (const sub of ['user\u0000123', 'user\ud800', '', 'x'.repeat(256), 'with space']) {
        const token = await user({}, { sub });
        const res = await bearer(token)({
          method: 'POST',
          url: '/agents',
          payload: { name: 'odd-sub', planner: 'rule-based' },
        });
        expectRefused(res, token, /^Bearer token refused: its sub claim is not 1 to 255 printable ASCII characters$/);
      }
    });

    it('picks up a key the issuer rotated in (a token naming the new kid), within the 5 s cooldown', async () => {
      await issuer.addKey('issuer-2', 'ES256');
      const rotated = await user({}, { kid: 'issuer-2', sub: 'user-456' });
      const hitsBefore = issuer.jwksHits;
      const accepted = await eventually(
        () =>
          bearer(rotated)({
            method: 'POST',
            url: '/agents',
            payload: { name: 'after-rotation', planner: 'rule-based' },
          }),
        (res) => res.statusCode !== 401,
        10_000,
      );
      expect(accepted.statusCode).toBe(201);
      expect(accepted.json().created_by).toEqual({ tenant_id: tenantB.id, kind: 'user', id: 'user-456' });
      expect(issuer.jwksHits).toBeGreaterThan(hitsBefore);
      // And the first key still verifies.
      expect((await bearer(await user())({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
    });
  });

  describe('agent tokens', () => {
    it('refuses a secret on an agent_token connection (422)', async () => {
      const agent = await t.request({
        method: 'POST',
        url: '/agents',
        payload: { name: 'agent-token-secret' },
        headers: { 'x-aos-tenant': tenantA.slug },
      });
      const res = await t.request({
        method: 'POST',
        url: `/agents/${agent.json().id}/connections`,
        headers: { 'x-aos-tenant': tenantA.slug },
        payload: {
          name: 'svc',
          kind: 'http',
          settings: { origin: new URL(target.url('/')).origin, auth: 'agent_token' },
          secret: 'token-0123',
        },
      });
      expect(res.statusCode).toBe(422);
      expect(JSON.stringify(res.json())).toMatch(/secret is not taken with auth agent_token/);
    });

    it('http_call carries a JWT the called service verifies with AOS’s JWKS; AOS refuses it at its own API', async () => {
      const origin = new URL(target.url('/')).origin;
      const remote = createRemoteJWKSet(new URL(`${aosBase}/.well-known/jwks.json`));
      const verified: { payload: JWTPayload; header: JWTHeaderParameters; token: string }[] = [];
      const problems: string[] = [];
      target.route('/whoami', (req, res) => {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!token) {
          problems.push(`no bearer token: ${req.headers.authorization}`);
          res.writeHead(401).end('no token');
          return;
        }
        jwtVerify(token, remote, {
          audience: origin,
          typ: 'agent+jwt',
          issuer: OWN_ISSUER,
          algorithms: ['EdDSA'],
        }).then(
          ({ payload, protectedHeader }) => {
            verified.push({ payload, header: protectedHeader, token });
            res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${String(payload.sub)}`);
          },
          (error: Error) => {
            problems.push(error.message);
            res.writeHead(401).end('refused');
          },
        );
      });

      const asA = bearer((await exchange(adminKeyA.key)).access_token);
      const agent = await asA({ method: 'POST', url: '/agents', payload: { name: 'caller' } });
      expect(agent.statusCode).toBe(201);
      const agentId = agent.json().id as string;
      const connection = await asA({
        method: 'POST',
        url: `/agents/${agentId}/connections`,
        payload: { name: 'svc', kind: 'http', settings: { origin, auth: 'agent_token' } },
      });
      expect(connection.statusCode).toBe(201);

      anthropic.script([
        { tools: [{ name: 'http_call', input: { url: target.url('/whoami'), connection: 'svc' } }] },
        { text: 'The service knows me.' },
      ]);
      const goal = await asA({ method: 'POST', url: `/agents/${agentId}/goals`, payload: { goal: 'who am i?' } });
      expect(goal.statusCode).toBe(202);
      const runId = goal.json().run_id as string;
      const run = await eventually(
        async () => (await asA({ method: 'GET', url: `/agents/${agentId}/runs/${runId}` })).json(),
        (r) => !['pending', 'running'].includes(r.status),
        20_000,
      );
      expect(problems).toEqual([]);
      expect(run.status).toBe('completed');
      expect(run.tool_calls.map((c: { skill_id: string; status: string }) => [c.skill_id, c.status])).toEqual([
        ['http_call', 'succeeded'],
      ]);
      expect(run.tool_calls[0].output.body).toBe(`hello agent:${agentId}`);

      expect(verified).toHaveLength(1);
      const [{ payload, header, token }] = verified;
      expect(header).toMatchObject({ alg: 'EdDSA', typ: 'agent+jwt' });
      expect((await jwks()).keys.map((k) => k.kid)).toContain(header.kid);
      expect(payload).toMatchObject({
        iss: OWN_ISSUER,
        aud: origin,
        sub: `agent:${agentId}`,
        tenant: tenantA.id,
        run: runId,
      });
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
      expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
      // The token is the service's, not the model's nor the run record's.
      expect(JSON.stringify(run)).not.toContain(token);
      expect(JSON.stringify(anthropic.requests.map((r) => r.body))).not.toContain(token);

      // At AOS's own API, on either instance: refused (its typ and aud are not an access token's).
      for (const app of [t, second]) {
        expectRefused(
          await bearer(token, app)({ method: 'GET', url: '/agents' }),
          token,
          /^Bearer token refused: it is not an access token$/,
        );
      }
      // Nor is it exchanged for one.
      const exchanged = await grant({ grant_type: 'api_key', api_key: token });
      expect(exchanged.json()).toMatchObject({ error: 'invalid_grant' });
    });
  });
});
