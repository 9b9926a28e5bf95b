import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Client } from 'pg';
import { FakeModelServer } from './support/fake-models';
import { eventually } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';
import { databaseUrl } from './support/test-database';
import { LIMITS_CACHE_MS } from '../src/limits/limits.service';

/**
 * Per-tenant limits end to end: agents (409, under concurrency), daily model tokens (wait or fail,
 * before any model request; a raised limit wakes the run), the usage report, runs in flight over
 * two instances on one database, and requests per minute per credential.
 */

type Request = (options: InjectOptions) => Promise<LightMyRequestResponse>;

interface Run {
  id: string;
  status: string;
  error_message: string | null;
  result: string | null;
  attempts: number;
}

const TOKEN_LIMIT = 'tenant daily model token limit reached';
const finished = (r: Run) => !['pending', 'running'].includes(r.status);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const utcDay = (at: Date) => at.toISOString().slice(0, 10);
const addDays = (day: string, n: number) => utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

describe('tenant limits', () => {
  let t: TestApp;
  let model: FakeModelServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    model = await new FakeModelServer('anthropic').start();
    env = {
      ANTHROPIC_API_KEY: 'sk-ant-test-secret-0123456789',
      ANTHROPIC_BASE_URL: model.baseUrl,
      AOS_ANTHROPIC_MODEL: 'claude-test',
      AOS_LLM_RETRY_BASE_MS: '100',
      AOS_LLM_RETRY_MAX_MS: '200',
      AOS_WORKER_POLL_MS: '100',
      AOS_WORKER_CONCURRENCY: '20',
    };
    t = await startTestApp(env);
  });
  afterEach(() => model.reset());
  afterAll(async () => {
    await t?.close();
    await model.stop();
  });

  const withKey =
    (key: string, app?: TestApp): Request =>
    (options) =>
      (app ?? t).request({ ...options, auth: false, headers: { 'x-aos-key': key, ...options.headers } });

  async function createTenant(slug: string): Promise<string> {
    const res = await t.request({ method: 'POST', url: '/tenants', payload: { slug, name: `Tenant ${slug}` } });
    expect(res.statusCode).toBe(201);
    expect(res.json().limits).toEqual({});
    return res.json().id as string;
  }

  async function mintKey(tenant: string, scopes = ['admin']): Promise<{ id: string; key: string }> {
    const res = await t.request({ method: 'POST', url: `/tenants/${tenant}/keys`, payload: { name: 'k', scopes } });
    expect(res.statusCode).toBe(201);
    return { id: res.json().id, key: res.json().key };
  }

  async function setLimits(tenant: string, limits: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await t.request({ method: 'PATCH', url: `/tenants/${tenant}`, payload: { limits } });
    expect([res.statusCode, res.body]).toEqual([200, expect.any(String)]);
    return res.json().limits;
  }

  async function createAgent(as: Request, body: Record<string, unknown> = {}): Promise<LightMyRequestResponse> {
    return as({ method: 'POST', url: '/agents', payload: { name: 'limited', ...body } });
  }

  async function goal(as: Request, agentId: string, text: string): Promise<string> {
    const res = await as({ method: 'POST', url: `/agents/${agentId}/goals`, payload: { goal: text } });
    expect(res.statusCode).toBe(202);
    return res.json().run_id as string;
  }

  const getRun = async (as: Request, agentId: string, runId: string): Promise<Run> =>
    (await as({ method: 'GET', url: `/agents/${agentId}/runs/${runId}` })).json<Run>();

  const agentCount = async (tenantId: string): Promise<number> => {
    const [{ n }] = await t.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM agents WHERE tenant_id = $1',
      [tenantId],
    );
    return n;
  };

  describe('agents', () => {
    let tenantId: string;
    let asAdmin: Request;

    beforeAll(async () => {
      tenantId = await createTenant('agents-limited');
      asAdmin = withKey((await mintKey(tenantId)).key);
    });

    it('PATCH sets limits (given replaces, null removes, absent keeps) and GET /tenant shows them', async () => {
      expect(await setLimits(tenantId, { agents: 2, runs_in_flight: 7, requests_per_minute: 1000 })).toEqual({
        agents: 2,
        runs_in_flight: 7,
        requests_per_minute: 1000,
      });
      expect(await setLimits(tenantId, { runs_in_flight: null, on_token_limit: 'fail' })).toEqual({
        agents: 2,
        requests_per_minute: 1000,
        on_token_limit: 'fail',
      });
      // A change without limits keeps them.
      const renamed = await t.request({ method: 'PATCH', url: `/tenants/${tenantId}`, payload: { name: 'Renamed' } });
      expect(renamed.json()).toMatchObject({ name: 'Renamed', limits: { agents: 2, on_token_limit: 'fail' } });
      expect(await setLimits(tenantId, { requests_per_minute: null, on_token_limit: null })).toEqual({ agents: 2 });

      const own = await asAdmin({ method: 'GET', url: '/tenant' });
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject({ id: tenantId, limits: { agents: 2 } });
      expect(own.json().limits).toEqual({ agents: 2 });
      const operator = await t.request({ method: 'GET', url: `/tenants/${tenantId}` });
      expect(operator.json().limits).toEqual({ agents: 2 });
      // The tenant's own admin cannot change its limits.
      const self = await asAdmin({ method: 'PATCH', url: `/tenants/${tenantId}`, payload: { limits: { agents: 99 } } });
      expect([self.statusCode, self.json().detail]).toEqual([403, expect.stringMatching(/operator/)]);
    });

    it('refuses bad limits with 422 and keeps the stored ones', async () => {
      const bad: [unknown, RegExp][] = [
        [{ agents: -1 }, /agents/],
        [{ agents: 'two' }, /agents/],
        [{ agents: 1.5 }, /agents/],
        [{ runs_in_flight: -3 }, /runs_in_flight/],
        [{ model_tokens_per_day: '1000' }, /model_tokens_per_day/],
        [{ requests_per_minute: 0 }, /requests_per_minute/],
        [{ on_token_limit: 'sometimes' }, /on_token_limit/],
        [{ bogus: 1 }, /bogus/],
        ['lots', /limits/],
        [[1, 2], /limits/],
      ];
      const wrong: string[] = [];
      for (const [limits, names] of bad) {
        const res = await t.request({ method: 'PATCH', url: `/tenants/${tenantId}`, payload: { limits } });
        if (res.statusCode !== 422 || !names.test(String(res.json().detail)))
          wrong.push(`${JSON.stringify(limits)} → ${res.statusCode} ${res.body}`);
      }
      expect(wrong).toEqual([]);
      expect((await t.request({ method: 'GET', url: `/tenants/${tenantId}` })).json().limits).toEqual({ agents: 2 });
    });

    it('creates up to limits.agents, then 409 naming the limit; a deletion frees a place; null lifts it', async () => {
      expect(await agentCount(tenantId)).toBe(0);
      const first = await createAgent(asAdmin);
      const second = await createAgent(asAdmin);
      expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
      const third = await createAgent(asAdmin);
      expect(third.statusCode).toBe(409);
      expect(third.json().detail).toMatch(/limits\.agents/);
      expect(third.json().detail).toMatch(/\b2\b/);
      expect(await agentCount(tenantId)).toBe(2);
      // The operator acting in the tenant is held to it too: it is the tenant's limit.
      const byOperator = await t.request({
        method: 'POST',
        url: '/agents',
        headers: { 'x-aos-tenant': tenantId },
        payload: { name: 'by-operator' },
      });
      expect(byOperator.statusCode).toBe(409);

      const removed = await asAdmin({ method: 'DELETE', url: `/agents/${first.json().id}` });
      expect(removed.statusCode).toBe(204);
      expect((await createAgent(asAdmin)).statusCode).toBe(201);
      expect((await createAgent(asAdmin)).statusCode).toBe(409);

      expect(await setLimits(tenantId, { agents: null })).toEqual({});
      expect((await asAdmin({ method: 'GET', url: '/tenant' })).json().limits).toEqual({});
      for (let i = 0; i < 3; i++) expect((await createAgent(asAdmin)).statusCode).toBe(201);
      expect(await agentCount(tenantId)).toBe(5);
    });

    it('concurrent creations never pass the limit: 6 at once with limits.agents=3 make exactly 3', async () => {
      const other = await createTenant('agents-racing');
      await setLimits(other, { agents: 3 });
      const asOther = withKey((await mintKey(other)).key);
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => createAgent(asOther, { name: `racer-${i}` })),
      );
      const statuses = answers.map((a) => a.statusCode).sort();
      expect(statuses).toEqual([201, 201, 201, 409, 409, 409]);
      for (const refused of answers.filter((a) => a.statusCode === 409))
        expect(refused.json().detail).toMatch(/limits\.agents/);
      expect(await agentCount(other)).toBe(3);
      // Again from full: none gets through.
      const more = await Promise.all(Array.from({ length: 4 }, () => createAgent(asOther)));
      expect(more.map((a) => a.statusCode)).toEqual([409, 409, 409, 409]);
      expect(await agentCount(other)).toBe(3);
    });
  });

  describe('daily model tokens', () => {
    let tenantId: string;
    let asAdmin: Request;
    let agentId: string;
    let waitingRun: string;
    const answer = () => model.script([{ text: 'the answer', inputTokens: 70, outputTokens: 50 }]);

    beforeAll(async () => {
      tenantId = await createTenant('tokens-limited');
      expect(await setLimits(tenantId, { model_tokens_per_day: 100 })).toEqual({ model_tokens_per_day: 100 });
      asAdmin = withKey((await mintKey(tenantId)).key);
      const agent = await createAgent(asAdmin, { name: 'thinker', max_concurrent_runs: 5 });
      expect(agent.statusCode).toBe(201);
      expect(agent.json().planner).toBe('llm');
      agentId = agent.json().id;
    });

    it('a run below the limit calls the model and spends its tokens', async () => {
      answer();
      const runId = await goal(asAdmin, agentId, 'first question');
      const run = await eventually(() => getRun(asAdmin, agentId, runId), finished, 20_000);
      expect(run).toMatchObject({ status: 'completed', result: 'the answer', attempts: 1 });
      expect(model.requests).toHaveLength(1);
    });

    it('over the limit (wait): the run goes back to pending naming the limit, asks no model, keeps its attempts', async () => {
      answer();
      waitingRun = await goal(asAdmin, agentId, 'second question');
      const run = await eventually(
        () => getRun(asAdmin, agentId, waitingRun),
        (r) => r.error_message !== null || finished(r),
        20_000,
      );
      expect(run.status).toBe('pending');
      expect(run.error_message!.startsWith(TOKEN_LIMIT)).toBe(true);
      expect(run.error_message).toContain('120 of 100 model_tokens_per_day');
      expect(run.error_message).toMatch(/waiting until \d{4}-\d{2}-\d{2}T00:00:00\.000Z/);
      expect(run.attempts).toBe(0);
      expect(model.requests).toHaveLength(0);
      // It stays so: nothing claims it again before the next day.
      await sleep(500);
      expect(await getRun(asAdmin, agentId, waitingRun)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(model.requests).toHaveLength(0);
      const [row] = await t.dataSource.query<{ later: boolean }[]>(
        `SELECT available_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day'
                AS later FROM runs WHERE id = $1`,
        [waitingRun],
      );
      expect(row.later).toBe(true);
    });

    it('a raised limit wakes the waiting run at once: it asks the model and completes', async () => {
      answer();
      await setLimits(tenantId, { model_tokens_per_day: 10_000 });
      const run = await eventually(() => getRun(asAdmin, agentId, waitingRun), finished, 20_000);
      expect(run).toMatchObject({ status: 'completed', result: 'the answer', error_message: null, attempts: 1 });
      expect(model.requests).toHaveLength(1);
      expect(JSON.stringify(model.requests[0].body.messages)).toContain('second question');
    });

    it('over the limit (fail): the run fails with the reason and asks no model', async () => {
      answer();
      expect(await setLimits(tenantId, { model_tokens_per_day: 200, on_token_limit: 'fail' })).toEqual({
        model_tokens_per_day: 200,
        on_token_limit: 'fail',
      });
      const runId = await goal(asAdmin, agentId, 'third question');
      const run = await eventually(() => getRun(asAdmin, agentId, runId), finished, 20_000);
      expect(run.status).toBe('failed');
      expect(run.error_message!.startsWith(TOKEN_LIMIT)).toBe(true);
      expect(run.error_message).toContain('240 of 200 model_tokens_per_day');
      expect(run.error_message).not.toContain('waiting');
      expect(run.result).toBeNull();
      expect(model.requests).toHaveLength(0);
    });

    it('the usage report: the day’s calls and tokens by provider and model, runs by status', async () => {
      const today = utcDay(new Date());
      const expected = {
        tenant_id: tenantId,
        from: addDays(today, -29),
        to: today,
        days: [
          {
            day: today,
            model_tokens: 240,
            models: [{ provider: 'anthropic', model: 'claude-test', calls: 2, input_tokens: 140, output_tokens: 100 }],
            runs: { completed: 2, failed: 1 },
          },
        ],
      };
      const byOperator = await t.request({ method: 'GET', url: `/tenants/${tenantId}/usage` });
      expect(byOperator.statusCode).toBe(200);
      expect(byOperator.json()).toEqual(expected);
      const byAdmin = await asAdmin({ method: 'GET', url: '/tenant/usage' });
      expect(byAdmin.statusCode).toBe(200);
      expect(byAdmin.json()).toEqual(expected);
      // The tenant's admin is not the operator.
      const across = await asAdmin({ method: 'GET', url: `/tenants/${tenantId}/usage` });
      expect(across.statusCode).toBe(403);

      const explicit = await asAdmin({ method: 'GET', url: `/tenant/usage?from=${today}&to=${today}` });
      expect(explicit.json()).toEqual({ ...expected, from: today });
      const before = addDays(today, -1);
      const yesterday = await asAdmin({ method: 'GET', url: `/tenant/usage?from=${before}&to=${before}` });
      expect(yesterday.json()).toEqual({ tenant_id: tenantId, from: before, to: before, days: [] });
      // A year and a day (366 days, both ends included) is the most.
      const year = await asAdmin({ method: 'GET', url: `/tenant/usage?from=${addDays(today, -365)}&to=${today}` });
      expect([year.statusCode, year.json().days]).toEqual([200, expected.days]);
      // Another tenant's report shows none of it.
      const other = await t.request({ method: 'GET', url: '/tenants/agents-limited/usage' });
      expect(other.statusCode).toBe(200);
      expect(other.json().days.flatMap((d: { models: unknown[] }) => d.models)).toEqual([]);
    });

    it('the usage report refuses bad days, from after to, and more than 366 days with 422', async () => {
      const today = utcDay(new Date());
      const wrong: string[] = [];
      for (const query of [
        'from=yesterday',
        'to=2026-1-5',
        'from=2026-13-01&to=2026-12-31',
        'to=2026-13-01',
        'to=2026-02-30',
        'from=2026-02-30&to=2026-03-05',
        'from=2026-04-31&to=2026-05-05',
        'from=2026-03-01&to=2026-02-29',
        `from=${addDays(today, 1)}&to=${today}`,
        `from=${addDays(today, -366)}&to=${today}`,
        'from=2000-01-01&to=2026-01-01',
      ]) {
        for (const [as, url] of [
          [asAdmin, '/tenant/usage'],
          [t.request, `/tenants/${tenantId}/usage`],
        ] as const) {
          const res = await as({ method: 'GET', url: `${url}?${query}` });
          if (res.statusCode !== 422 || typeof res.json().detail !== 'string')
            wrong.push(`${url}?${query} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  });

  describe('requests per minute', () => {
    let tenantId: string;
    const bearer =
      (token: string): Request =>
      (options) =>
        t.request({ ...options, auth: false, headers: { authorization: `Bearer ${token}`, ...options.headers } });

    async function accessToken(key: string): Promise<string> {
      const res = await t.request({
        method: 'POST',
        url: '/auth/token',
        auth: false,
        payload: { grant_type: 'api_key', api_key: key },
      });
      expect([res.statusCode, res.body]).toEqual([200, expect.any(String)]);
      return res.json().access_token as string;
    }

    beforeAll(async () => {
      tenantId = await createTenant('rate-limited');
      expect(await setLimits(tenantId, { requests_per_minute: 3 })).toEqual({ requests_per_minute: 3 });
    });

    it('a key and the tokens minted from it share one bucket: the 4th request is 429 with Retry-After', async () => {
      const { key } = await mintKey(tenantId, ['read']);
      const token = await accessToken(key);
      const asKey = withKey(key);
      const asToken = bearer(token);
      const list = { method: 'GET', url: '/agents' } as const;
      expect((await asKey(list)).statusCode).toBe(200);
      expect((await asToken(list)).statusCode).toBe(200);
      expect((await asKey(list)).statusCode).toBe(200);
      for (const refused of [await asKey(list), await asToken(list)]) {
        expect(refused.statusCode).toBe(429);
        const retryAfter = Number(refused.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(typeof refused.json().detail).toBe('string');
        expect(refused.json().detail).toMatch(/3/);
      }
      // A second token from the same key is the same credential.
      expect((await bearer(await accessToken(key))(list)).statusCode).toBe(429);
    });

    it('another key of the tenant has its own bucket; the operator is not held to it', async () => {
      const first = withKey((await mintKey(tenantId, ['read'])).key);
      const second = withKey((await mintKey(tenantId, ['read'])).key);
      for (let i = 0; i < 3; i++) expect((await first({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
      expect((await first({ method: 'GET', url: '/agents' })).statusCode).toBe(429);
      for (let i = 0; i < 3; i++) expect((await second({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
      expect((await second({ method: 'GET', url: '/agents' })).statusCode).toBe(429);
      for (let i = 0; i < 6; i++) {
        const res = await t.request({ method: 'GET', url: '/agents', headers: { 'x-aos-tenant': tenantId } });
        expect(res.statusCode).toBe(200);
      }
    });

    it('a raised limit applies to the key at once; removing it returns to the service default (none here)', async () => {
      const asKey = withKey((await mintKey(tenantId, ['read'])).key);
      for (let i = 0; i < 3; i++) expect((await asKey({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
      expect((await asKey({ method: 'GET', url: '/agents' })).statusCode).toBe(429);
      await setLimits(tenantId, { requests_per_minute: 5 });
      // Counted so far: 4 of 5.
      expect((await asKey({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
      expect((await asKey({ method: 'GET', url: '/agents' })).statusCode).toBe(429);
      await setLimits(tenantId, { requests_per_minute: null });
      for (let i = 0; i < 5; i++) expect((await asKey({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
    });
  });

  describe('runs in flight, over two instances on one database', () => {
    let second: TestApp;
    let db: Client;

    beforeAll(async () => {
      second = await startTestApp(env, t);
      db = new Client({ connectionString: databaseUrl(t.databaseName) });
      await db.connect();
    });
    afterAll(async () => {
      await db?.end();
      await second?.close();
    });

    it('a tenant with runs_in_flight=2 never runs more than 2 at once, reaches 2, and completes all; another tenant is not held back', async () => {
      const limited = await createTenant('in-flight-limited');
      expect(await setLimits(limited, { runs_in_flight: 2 })).toEqual({ runs_in_flight: 2 });
      const free = await createTenant('in-flight-free');
      const limitedKey = (await mintKey(limited)).key;
      const freeKey = (await mintKey(free)).key;
      const apps = [t, second];
      const agents: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await createAgent(withKey(limitedKey), { name: `worker-${i}`, max_concurrent_runs: 10 });
        expect(res.statusCode).toBe(201);
        agents.push(res.json().id);
      }
      const freeAgent = (await createAgent(withKey(freeKey), { name: 'free', max_concurrent_runs: 10 })).json().id;
      // Slow answers, so runs overlap; the free tenant's slower still, so they surely run together.
      model.turnFor = (r) => ({
        text: 'done',
        delayMs: JSON.stringify(r.body.messages).includes('free goal') ? 1_500 : 400,
      });

      const sampled = { limited: 0, free: 0 };
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const { rows } = await db.query<{ tenant_id: string; running: number }>(
            `SELECT tenant_id, count(*)::int AS running
               FROM runs WHERE tenant_id = ANY($1::uuid[]) AND status = 'running' GROUP BY tenant_id`,
            [[limited, free]],
          );
          for (const row of rows) {
            if (row.tenant_id === limited) sampled.limited = Math.max(sampled.limited, row.running);
            else sampled.free = Math.max(sampled.free, row.running);
          }
          await sleep(20);
        }
      })();

      try {
        const runs = await Promise.all([
          ...Array.from({ length: 8 }, async (_, i) => {
            const as = withKey(limitedKey, apps[i % 2]);
            const agent = agents[i % agents.length];
            return { as, agent, run: await goal(as, agent, `limited goal ${i}`) };
          }),
          ...Array.from({ length: 4 }, async (_, i) => {
            const as = withKey(freeKey, apps[i % 2]);
            return { as, agent: freeAgent, run: await goal(as, freeAgent, `free goal ${i}`) };
          }),
        ]);
        const ended = await Promise.all(
          runs.map((r) => eventually(() => getRun(r.as, r.agent, r.run), finished, 45_000)),
        );
        expect(ended.map((r) => r.status)).toEqual(Array(12).fill('completed'));
      } finally {
        sampling = false;
        await sampler;
      }
      expect(sampled.limited).toBe(2);
      expect(sampled.free).toBeGreaterThan(2);
      // Every run asked the model once.
      expect(model.requests).toHaveLength(12);
    }, 90_000);

    it('a limit raised through an instance without a worker wakes a waiting run, though the workers had the old limit cached', async () => {
      const api = await startTestApp({ ...env, AOS_WORKER_CONCURRENCY: '0' }, t);
      try {
        const tenantId = await createTenant('tokens-three-instances');
        await setLimits(tenantId, { model_tokens_per_day: 100 });
        const key = (await mintKey(tenantId)).key;
        const agentId = (await createAgent(withKey(key), { max_concurrent_runs: 5 })).json().id;
        model.script([{ text: 'the answer', inputTokens: 70, outputTokens: 50 }]);
        const first = await goal(withKey(key), agentId, 'spend the tokens');
        expect((await eventually(() => getRun(withKey(key), agentId, first), finished, 20_000)).status).toBe(
          'completed',
        );
        const waiting = await goal(withKey(key), agentId, 'wait for tokens');
        const run = await eventually(
          () => getRun(withKey(key), agentId, waiting),
          (r) => r.error_message !== null || finished(r),
          20_000,
        );
        expect([run.status, run.error_message?.startsWith(TOKEN_LIMIT)]).toEqual(['pending', true]);
        // Both workers read the tenant's limits afresh (an agent's creation reads them, as a budget check does).
        await sleep(LIMITS_CACHE_MS + 200);
        for (const app of [t, second]) expect((await createAgent(withKey(key, app))).statusCode).toBe(201);

        const raised = await api.request({
          method: 'PATCH',
          url: `/tenants/${tenantId}`,
          payload: { limits: { model_tokens_per_day: 10_000 } },
        });
        expect(raised.statusCode).toBe(200);
        const woken = await eventually(() => getRun(withKey(key), agentId, waiting), finished, 10_000).catch(
          async (error: Error) => {
            const [row] = await db
              .query('SELECT status, error_message, available_at, lease_epoch FROM runs WHERE id = $1', [waiting])
              .then((r) => r.rows);
            throw new Error(`${error.message}; the run now: ${JSON.stringify(row)}`);
          },
        );
        expect(woken).toMatchObject({ status: 'completed', result: 'the answer' });
        expect(model.requests).toHaveLength(2);
      } finally {
        await api.close();
      }
    }, 60_000);
  });
});
