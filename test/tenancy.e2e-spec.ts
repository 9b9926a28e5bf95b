import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { REQUEST_ROLE } from '../migrations/1765065600000-Tenancy';
import { TENANT_TABLES } from '../migrations/tenant-tables';
import { SseClient } from './support/sse-client';
import { startTestApp, TestApp } from './support/test-app';
import { databaseUrl } from './support/test-database';

/**
 * Tenancy end to end: isolation over every route of the served OpenAPI document, row-level
 * security in the database itself, a schema keyed by tenant, scopes, revocation and deletion.
 */

/** Nothing listens here: webhooks and connections may name it, deliveries and tests fail fast. */
const DEAD_HOST = '127.0.0.1:9';
const ENV = {
  AOS_WEBHOOK_ALLOW_HOSTS: DEAD_HOST,
  AOS_CONNECTION_ALLOW_HOSTS: DEAD_HOST,
  AOS_WEBHOOK_RETRY_BASE_MS: '60000',
  AOS_WEBHOOK_RETRY_MAX_MS: '60000',
};
const KEY_FORMAT = /^aos_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/;
/** How long a streaming route may take to answer before it counts as an opened stream. */
const STREAM_ANSWER_MS = 3_000;

type Request = (options: InjectOptions) => Promise<LightMyRequestResponse>;

interface Tenant {
  id: string;
  slug: string;
}

/** What a tenant owns, by the path parameter names of the document. */
interface Owned {
  tenant: string;
  agent: string;
  run: string;
  memory: string;
  webhook: string;
  connection: string;
  toolCall: string | undefined;
  key: string;
}

interface Operation {
  method: string;
  path: string;
  scopes: string[];
  params: string[];
  hasBody: boolean;
}

/** Path parameters naming something a tenant owns. */
const OWNED_PARAMS: Record<string, (o: Owned) => string> = {
  id: (o) => o.agent,
  agent_id: (o) => o.agent,
  run_id: (o) => o.run,
  other_run_id: (o) => o.run,
  prov_id: (o) => o.run,
  memory_id: (o) => o.memory,
  webhook_id: (o) => o.webhook,
  connection_id: (o) => o.connection,
  tool_call_id: (o) => o.toolCall ?? randomUUID(),
  key_id: (o) => o.key,
  tenant_id: (o) => o.tenant,
};
/** Path parameters naming something every tenant shares (the skill catalog). */
const SHARED_PARAMS = new Set(['skill_id']);

/** A body each write operation would accept, so a 422 cannot stand in for the 404 under test. */
function bodyFor(op: Operation, o: Owned): InjectOptions['payload'] {
  const key = `${op.method} ${op.path}`;
  switch (key) {
    case 'POST /agents':
      return { name: 'made-by-b' };
    case 'PATCH /agents/{id}':
      return { name: 'renamed-by-b' };
    case 'POST /agents/{id}/connections':
      return httpConnection('from-b');
    case 'PATCH /agents/{id}/connections/{connection_id}':
      return { name: 'renamed-by-b' };
    case 'POST /agents/{id}/goals':
      return { goal: 'remember that b was here' };
    case 'POST /agents/{id}/memory':
      return { memory_type: 'context', text: 'written by b' };
    case 'POST /agents/{id}/runs/{run_id}/approve':
    case 'POST /agents/{id}/runs/{run_id}/reject':
      return { tool_call_id: o.toolCall ?? randomUUID(), reason: 'b answers' };
    case 'POST /agents/{id}/runs/{run_id}/replay':
      return { mode: 'recorded' };
    case 'POST /agents/{id}/webhooks':
      return { url: `http://${DEAD_HOST}/from-b` };
    case 'PATCH /agents/{id}/webhooks/{webhook_id}':
      return { description: 'changed by b' };
    case 'POST /tenants/{tenant_id}/keys':
      return { name: 'minted-by-b', scopes: ['admin'] };
    case 'POST /tenants':
      return { slug: `b-made-${Date.now().toString(36)}`, name: 'Made by B' };
    case 'PATCH /tenants/{tenant_id}':
      return { name: 'Renamed by B' };
    default:
      return undefined;
  }
}

function httpConnection(name: string) {
  return { name, kind: 'http', settings: { origin: `http://${DEAD_HOST}` }, secret: 'token-0123' };
}

function operationsOf(doc: { paths: Record<string, Record<string, unknown>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const op = raw as {
        'x-aos-scopes'?: string[];
        parameters?: { in: string; name: string }[];
        requestBody?: unknown;
      };
      if (!op['x-aos-scopes']) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        scopes: op['x-aos-scopes'],
        params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  // Reads first, then writes; what stops or deletes last, so a leak cannot hide the next one.
  const rank = (op: Operation) =>
    op.method === 'GET' ? 0 : op.method === 'DELETE' ? 3 : /\/(stop|cancel)$/.test(op.path) ? 2 : 1;
  return ops.sort((x, y) => rank(x) - rank(y));
}

function fill(path: string, value: (param: string) => string): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(value(name)));
}

/** Streams without an owned parameter: they stream the caller's own tenant (checked over HTTP). */
const TENANT_STREAMS = new Set(['/events/stream']);

/** Injects, but gives up on a route that streams instead of answering. */
async function answered(request: Request, options: InjectOptions): Promise<LightMyRequestResponse | 'streaming'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'streaming'>((resolve) => {
    timer = setTimeout(() => resolve('streaming'), STREAM_ANSWER_MS);
  });
  try {
    return await Promise.race([request(options), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function poll<T>(fn: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('tenancy', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, unknown>> };
  let tenantA: Tenant;
  let tenantB: Tenant;
  let defaultTenant: Tenant;
  let a: Owned;
  let b: Owned;
  let adminKeyA: string;
  let adminKeyB: string;
  let skillId: string;

  /** As the operator acting in a tenant (none: `default`). */
  const operatorIn =
    (tenant?: string): Request =>
    (options) =>
      t.request({ ...options, headers: { ...(tenant ? { 'x-aos-tenant': tenant } : {}), ...options.headers } });
  /** As a tenant key. */
  const withKey =
    (key: string, app?: TestApp): Request =>
    (options) =>
      (app ?? t).request({ ...options, auth: false, headers: { 'x-aos-key': key, ...options.headers } });

  async function createTenant(slug: string): Promise<Tenant> {
    const res = await t.request({ method: 'POST', url: '/tenants', payload: { slug, name: `Tenant ${slug}` } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      slug,
      name: `Tenant ${slug}`,
      status: 'active',
      limits: {},
      created_at: expect.stringMatching(/Z$/),
    });
    return { id: body.id, slug };
  }

  async function mintKey(
    tenant: string,
    scopes: string[],
    as: Request = t.request,
  ): Promise<{ id: string; key: string }> {
    const res = await as({ method: 'POST', url: `/tenants/${tenant}/keys`, payload: { name: 'k', scopes } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.key).toMatch(KEY_FORMAT);
    expect(body).toMatchObject({ tenant_id: tenantIdOf(tenant), scopes });
    return { id: body.id, key: body.key };
  }

  const tenantIdOf = (ref: string) =>
    [tenantA, tenantB, defaultTenant].find((x) => x?.id === ref || x?.slug === ref)?.id;

  /** An agent with a finished run, a memory, a webhook and a connection, made through `as`. */
  async function populate(as: Request, tenant: string): Promise<Omit<Owned, 'key'>> {
    const agent = await as({ method: 'POST', url: '/agents', payload: { name: 'owned' } });
    expect(agent.statusCode).toBe(201);
    const agentId = agent.json().id as string;
    const goal = await as({
      method: 'POST',
      url: `/agents/${agentId}/goals`,
      payload: { goal: 'remember that the sky is blue' },
    });
    expect(goal.statusCode).toBe(202);
    const runId = goal.json().run_id as string;
    const run = await poll(
      async () => (await as({ method: 'GET', url: `/agents/${agentId}/runs/${runId}?wait=20` })).json(),
      (r) => !['pending', 'running'].includes(r.status),
      30_000,
    );
    expect(run.status).not.toMatch(/^(pending|running)$/);
    const memory = await as({
      method: 'POST',
      url: `/agents/${agentId}/memory`,
      payload: { memory_type: 'context', text: 'the sky is blue' },
    });
    expect(memory.statusCode).toBe(201);
    const webhook = await as({
      method: 'POST',
      url: `/agents/${agentId}/webhooks`,
      payload: { url: `http://${DEAD_HOST}/hook` },
    });
    expect(webhook.statusCode).toBe(201);
    const connection = await as({
      method: 'POST',
      url: `/agents/${agentId}/connections`,
      payload: httpConnection('api'),
    });
    expect(connection.statusCode).toBe(201);
    return {
      tenant,
      agent: agentId,
      run: runId,
      memory: memory.json().id,
      webhook: webhook.json().id,
      connection: connection.json().id,
      toolCall: (run.tool_calls as { id: string }[] | undefined)?.[0]?.id,
    };
  }

  const idsOf = (o: Owned) =>
    [o.tenant, o.agent, o.run, o.memory, o.webhook, o.connection, o.toolCall, o.key].filter(
      (x): x is string => x !== undefined,
    );

  beforeAll(async () => {
    t = await startTestApp(ENV);
    doc = (await t.request({ method: 'GET', url: '/openapi.json', auth: false })).json();
    tenantA = await createTenant('tenant-a');
    tenantB = await createTenant('tenant-b');
    const own = await t.request({ method: 'GET', url: '/tenant' });
    expect(own.statusCode).toBe(200);
    defaultTenant = { id: own.json().id, slug: own.json().slug };
    expect(defaultTenant.slug).toBe('default');

    const keyA = await mintKey(tenantA.id, ['admin']);
    adminKeyA = keyA.key;
    a = { ...(await populate(operatorIn(tenantA.id), tenantA.id)), key: keyA.id };
    const keyB = await mintKey(tenantB.slug, ['admin']);
    adminKeyB = keyB.key;
    b = { ...(await populate(withKey(adminKeyB), tenantB.id)), key: keyB.id };
    skillId = (await t.request({ method: 'GET', url: '/skills' })).json().items[0].skill_id;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('seeded a run with a tool call in each tenant', () => {
    expect(a.toolCall).toEqual(expect.any(String));
    expect(b.toolCall).toEqual(expect.any(String));
  });

  describe('cross-tenant, every operation of the served document', () => {
    it('maps every path parameter and request body of the document', () => {
      const unknown = new Set<string>();
      for (const op of operationsOf(doc))
        for (const p of op.params) if (!(p in OWNED_PARAMS) && !SHARED_PARAMS.has(p)) unknown.add(p);
      expect([...unknown]).toEqual([]);
      // And every operation taking a body has a valid one here (see bodyFor).
      const bodiless = operationsOf(doc)
        .filter((op) => op.hasBody && bodyFor(op, a) === undefined)
        .map((op) => `${op.method} ${op.path}`);
      expect(bodiless).toEqual([]);
    });

    it('B’s own ids work with B’s admin key (the control: the bodies are valid, the routes exist)', async () => {
      const failures: string[] = [];
      for (const op of operationsOf(doc)) {
        // Not DELETE nor stop: B's agent serves the next sweep.
        if (op.scopes.includes('operator') || op.method === 'DELETE' || op.params.length === 0) continue;
        if (op.path.endsWith('/stop')) continue;
        const url = fill(op.path, (p) => (SHARED_PARAMS.has(p) ? skillId : OWNED_PARAMS[p](b)));
        const res = await answered(withKey(adminKeyB), {
          method: op.method,
          url,
          payload: op.hasBody ? bodyFor(op, b) : undefined,
        });
        if (res === 'streaming') continue; // a stream opened: the route answers B
        // 409: a state conflict (approving a finished run, a stopped agent), not a refusal.
        if ([400, 401, 403, 404, 422].includes(res.statusCode) || res.statusCode >= 500)
          failures.push(`${op.method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
      expect(failures).toEqual([]);
    }, 120_000);

    it.each([
      ['B’s admin key', () => withKey(adminKeyB), false],
      // The operator manages every tenant's keys by design: /tenants/{tenant_id}/… is not a leak for it.
      ['the operator acting in B', () => operatorIn(tenantB.slug), true],
      ['the operator acting in default', () => operatorIn(), true],
    ])(
      'A’s ids are 404 to %s on every tenant operation; lists show none of A',
      async (_who, caller, operator) => {
        const as = caller();
        const forbidden = idsOf(a);
        const failures: string[] = [];
        for (const op of operationsOf(doc)) {
          if (op.scopes.includes('operator') || (operator && op.params.includes('tenant_id'))) continue;
          const owned = op.params.filter((p) => !SHARED_PARAMS.has(p));
          const url = fill(op.path, (p) => (SHARED_PARAMS.has(p) ? skillId : (OWNED_PARAMS[p]?.(a) ?? randomUUID())));
          const res = await answered(as, {
            method: op.method,
            url,
            payload: op.hasBody ? bodyFor(op, a) : undefined,
          });
          const label = `${op.method} ${op.path} (${url})`;
          if (res === 'streaming') {
            // A stream of the caller's own tenant is the tenant-wide one: its content is checked below.
            if (owned.length > 0 || !TENANT_STREAMS.has(op.path))
              failures.push(`${label} → opened a stream instead of 404`);
            continue;
          }
          if (owned.length > 0) {
            if (res.statusCode !== 404) failures.push(`${label} → ${res.statusCode} ${res.body.slice(0, 200)}`);
          } else {
            const leaked = forbidden.filter((id) => res.body.includes(id));
            if (leaked.length > 0) failures.push(`${label} → ${res.statusCode} shows A's ${leaked.join(', ')}`);
            if (res.statusCode >= 500) failures.push(`${label} → ${res.statusCode}`);
          }
        }
        expect(failures).toEqual([]);
      },
      120_000,
    );

    it('B’s own parent with A’s child is 404 too (B’s agent and A’s run, memory, webhook, connection, key…)', async () => {
      const failures: string[] = [];
      let tried = 0;
      for (const op of operationsOf(doc)) {
        if (op.scopes.includes('operator')) continue;
        const owned = op.params.filter((p) => !SHARED_PARAMS.has(p));
        for (const fromA of owned.slice(1)) {
          tried++;
          const url = fill(op.path, (p) =>
            SHARED_PARAMS.has(p) ? skillId : p === fromA ? OWNED_PARAMS[p](a) : OWNED_PARAMS[p](b),
          );
          const res = await answered(withKey(adminKeyB), {
            method: op.method,
            url,
            payload: op.hasBody ? bodyFor(op, a) : undefined,
          });
          const label = `${op.method} ${op.path} with A's ${fromA} (${url})`;
          if (res === 'streaming') failures.push(`${label} → opened a stream instead of 404`);
          else if (res.statusCode !== 404) failures.push(`${label} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
      expect(tried).toBeGreaterThan(10);
      expect(failures).toEqual([]);
    }, 120_000);

    it('the tenant-wide stream replays and streams the caller’s tenant only', async () => {
      const url = await t.server.listen();
      const [ofA, ofB] = await Promise.all([
        SseClient.open(`${url}/events/stream?after=0`, { 'x-aos-key': adminKeyA }),
        SseClient.open(`${url}/events/stream?after=0`, { 'x-aos-key': adminKeyB }),
      ]);
      try {
        expect([ofA.status, ofB.status]).toEqual([200, 200]);
        await ofA.until((c) => c.envelopes.some((e) => e.run_id === a.run));
        // Live: a new memory of A reaches A's stream, and B's stays free of A.
        const written = await withKey(adminKeyA)({
          method: 'POST',
          url: `/agents/${a.agent}/memory`,
          payload: { text: 'live in a', memory_type: 'context' },
        });
        await ofA.until((c) =>
          c.envelopes.some((e) => e.type === 'memory.created' && e.data.memory_id === written.json().id),
        );
        await ofB.until((c) => c.envelopes.some((e) => e.run_id === b.run));
        const tenants = (c: SseClient) => [...new Set(c.envelopes.map((e) => (e as { tenant_id?: string }).tenant_id))];
        expect(tenants(ofA)).toEqual([tenantA.id]);
        expect(tenants(ofB)).toEqual([tenantB.id]);
        const leaked = idsOf(a).filter((id) => JSON.stringify(ofB.envelopes).includes(id));
        expect(leaked).toEqual([]);
      } finally {
        await Promise.all([ofA.close(), ofB.close()]);
      }
    });

    it('the same with A named by slug, and B’s key naming A in X-AOS-Tenant is 404', async () => {
      const bySlug = await withKey(adminKeyB)({ method: 'GET', url: `/tenants/${tenantA.slug}/keys` });
      expect(bySlug.statusCode).toBe(404);
      const minted = await withKey(adminKeyB)({
        method: 'POST',
        url: `/tenants/${tenantA.slug}/keys`,
        payload: { name: 'x', scopes: ['read'] },
      });
      expect(minted.statusCode).toBe(404);
      for (const tenant of [tenantA.id, tenantA.slug]) {
        const res = await withKey(adminKeyB)({ method: 'GET', url: '/agents', headers: { 'x-aos-tenant': tenant } });
        expect(res.statusCode).toBe(404);
        expect(res.body).not.toContain(a.agent);
      }
    });

    it('operator-only operations are 403 to B’s admin key, whichever tenant they name', async () => {
      const failures: string[] = [];
      for (const op of operationsOf(doc)) {
        if (!op.scopes.includes('operator')) continue;
        for (const tenant of [tenantA.id, tenantB.id, tenantB.slug]) {
          const url = fill(op.path, (p) => (p === 'tenant_id' ? tenant : randomUUID()));
          const res = await withKey(adminKeyB)({
            method: op.method,
            url,
            payload: op.hasBody ? bodyFor(op, a) : undefined,
          });
          if (res.statusCode !== 403 || !/operator/.test(String(res.json().detail)))
            failures.push(`${op.method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
          if (op.params.length === 0) break;
        }
      }
      expect(failures).toEqual([]);
    });

    it('left everything of A as it was', async () => {
      const asA = withKey(adminKeyA);
      const agent = await asA({ method: 'GET', url: `/agents/${a.agent}` });
      expect(agent.statusCode).toBe(200);
      expect(agent.json()).toMatchObject({ name: 'owned', status: 'active' });
      expect((await asA({ method: 'GET', url: `/agents/${a.agent}/runs/${a.run}` })).statusCode).toBe(200);
      const hook = await asA({ method: 'GET', url: `/agents/${a.agent}/webhooks/${a.webhook}` });
      expect(hook.json()).toMatchObject({ id: a.webhook, description: null });
      const conn = await asA({ method: 'GET', url: `/agents/${a.agent}/connections/${a.connection}` });
      expect(conn.json()).toMatchObject({ id: a.connection, name: 'api' });
      const memories = (await asA({ method: 'GET', url: `/agents/${a.agent}/recall?limit=100` })).json();
      expect(memories.items.map((m: { id: string }) => m.id)).toContain(a.memory);
      expect(JSON.stringify(memories)).not.toContain('written by b');
      const runs = (await asA({ method: 'GET', url: `/agents/${a.agent}/runs` })).json();
      expect(runs.items.map((r: { id: string }) => r.id)).toEqual([a.run]);
      const keys = (await asA({ method: 'GET', url: `/tenants/${tenantA.id}/keys` })).json();
      expect(keys.items.map((k: { id: string }) => k.id)).toEqual([a.key]);
    });
  });

  describe('lists show only the caller’s rows', () => {
    it('B sees none of A’s agents, A sees its own, the operator without a tenant sees default’s', async () => {
      const fromB = (await withKey(adminKeyB)({ method: 'GET', url: '/agents?limit=100' })).json();
      const idsB = fromB.items.map((x: { id: string }) => x.id);
      expect(idsB).toContain(b.agent);
      expect(idsB).not.toContain(a.agent);
      expect(fromB.items.every((x: { created_by: { tenant_id: string } }) => x.created_by.tenant_id === b.tenant)).toBe(
        true,
      );

      const fromA = (await withKey(adminKeyA)({ method: 'GET', url: '/agents?limit=100' })).json();
      expect(fromA.items.map((x: { id: string }) => x.id)).toEqual([a.agent]);

      const made = await t.request({ method: 'POST', url: '/agents', payload: { name: 'in-default' } });
      expect(made.json().created_by).toEqual({ tenant_id: defaultTenant.id, kind: 'operator', id: 'operator' });
      const fromOperator = (await t.request({ method: 'GET', url: '/agents?limit=100' })).json();
      const idsDefault = fromOperator.items.map((x: { id: string }) => x.id);
      expect(idsDefault).toContain(made.json().id);
      expect(idsDefault).not.toContain(a.agent);
      expect(idsDefault).not.toContain(b.agent);
      const tenantsSeen = fromOperator.items.map((x: { created_by: { tenant_id: string } }) => x.created_by.tenant_id);
      expect(new Set(tenantsSeen)).toEqual(new Set([defaultTenant.id]));

      const tenants = (await t.request({ method: 'GET', url: '/tenants?limit=100' })).json();
      expect(tenants.items.map((x: Tenant) => x.slug).sort()).toEqual(['default', 'tenant-a', 'tenant-b']);
    });

    it('GET /tenant answers the caller’s own tenant', async () => {
      expect((await withKey(adminKeyA)({ method: 'GET', url: '/tenant' })).json()).toMatchObject(tenantA);
      expect((await withKey(adminKeyB)({ method: 'GET', url: '/tenant' })).json()).toMatchObject(tenantB);
      expect((await operatorIn(tenantB.slug)({ method: 'GET', url: '/tenant' })).json()).toMatchObject(tenantB);
    });
  });

  describe('row-level security, without the code’s filters', () => {
    let db: Client;
    beforeAll(async () => {
      db = new Client({ connectionString: databaseUrl(t.databaseName) });
      await db.connect();
      // A owns a refresh token (an exchange of its key) and a day of model usage, so those tables
      // are compared with rows in them, not 0 with 0.
      const exchanged = await t.request({
        method: 'POST',
        url: '/auth/token',
        auth: false,
        payload: { grant_type: 'api_key', api_key: adminKeyA },
      });
      expect(exchanged.statusCode).toBe(200);
      await db.query(
        `INSERT INTO model_usage (tenant_id, day, provider, model, calls, input_tokens, output_tokens)
         VALUES ($1, current_date, 'anthropic', 'rls-check', 1, 10, 5)`,
        [a.tenant],
      );
    });
    afterAll(async () => {
      await db?.end();
    });

    const count = async (sql: string, params: unknown[] = []) =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, params)).rows[0].n);

    it('the request role is neither superuser nor BYPASSRLS, and every tenant table forces RLS', async () => {
      const role = await db.query('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1', [REQUEST_ROLE]);
      expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
      const tables = await db.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
        `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY($1) ORDER BY c.relname`,
        [[...TENANT_TABLES]],
      );
      expect(tables.rows).toEqual(
        [...TENANT_TABLES].sort().map((relname) => ({ relname, relrowsecurity: true, relforcerowsecurity: true })),
      );
      const policies = await db.query<{ tablename: string; policyname: string; roles: string[] }>(
        `SELECT tablename, policyname, roles::text[] AS roles FROM pg_policies WHERE schemaname = 'public'`,
      );
      for (const table of TENANT_TABLES) {
        expect(policies.rows).toContainEqual({
          tablename: table,
          policyname: `${table}_tenant_isolation`,
          roles: [REQUEST_ROLE],
        });
      }
    });

    it('unset: no row of any tenant table; A set: exactly A’s rows, and no row may be written into B', async () => {
      await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      try {
        // As the service's own role first, in the same snapshot: what A owns.
        const owned: Record<string, number> = {};
        for (const table of TENANT_TABLES) owned[table] = await count(`"${table}" WHERE tenant_id = $1`, [a.tenant]);
        for (const table of [
          'agents',
          'api_keys',
          'refresh_tokens',
          'model_usage',
          'runs',
          'tool_calls',
          'memories',
          'connections',
          'webhooks',
          'events',
        ])
          expect([table, owned[table] > 0]).toEqual([table, true]);

        await db.query(`SET LOCAL ROLE ${REQUEST_ROLE}`);
        const unset: Record<string, number> = {};
        for (const table of TENANT_TABLES) unset[table] = await count(`"${table}"`);
        expect(unset).toEqual(Object.fromEntries(TENANT_TABLES.map((x) => [x, 0])));

        await db.query(`SELECT set_config('aos.tenant_id', $1, true)`, [a.tenant]);
        const seen: Record<string, number> = {};
        for (const table of TENANT_TABLES) seen[table] = await count(`"${table}"`);
        expect(seen).toEqual(owned);
        for (const other of [b.tenant, defaultTenant.id]) {
          expect(await count('agents WHERE tenant_id = $1', [other])).toBe(0);
          expect(await count('runs WHERE tenant_id = $1', [other])).toBe(0);
          const updated = await db.query(`UPDATE agents SET name = 'hijacked' WHERE tenant_id = $1`, [other]);
          expect(updated.rowCount).toBe(0);
          const deleted = await db.query('DELETE FROM memories WHERE tenant_id = $1', [other]);
          expect(deleted.rowCount).toBe(0);
        }
        await db.query('SAVEPOINT intrude');
        await expect(
          db.query(`INSERT INTO agents (tenant_id, name) VALUES ($1, 'intruder')`, [b.tenant]),
        ).rejects.toThrow(/row-level security/);
        await db.query('ROLLBACK TO SAVEPOINT intrude');
        // The signing keys are the operator's: a request cannot read them at all.
        await expect(db.query('SELECT count(*) FROM signing_keys')).rejects.toThrow(/permission denied/);
        await db.query('ROLLBACK TO SAVEPOINT intrude');
        // Moving A's row into B is refused the same way.
        await expect(db.query('UPDATE agents SET tenant_id = $1 WHERE id = $2', [b.tenant, a.agent])).rejects.toThrow(
          /row-level security/,
        );
      } finally {
        await db.query('ROLLBACK');
      }
    });

    it('the schema is distributable by tenant: tenant_id leads into every key, unique index and foreign key', async () => {
      const withTenant = (
        await db.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.columns
            WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
        )
      ).rows.map((r) => r.table_name);
      expect(withTenant).toEqual(expect.arrayContaining([...TENANT_TABLES]));
      // A table holding tenant rows outside TENANT_TABLES would escape row-level security.
      expect(withTenant.filter((x) => !(TENANT_TABLES as readonly string[]).includes(x))).toEqual([]);

      const constraints = await db.query<{
        conname: string;
        contype: string;
        tbl: string;
        ftbl: string | null;
        cols: string[];
        fcols: string[] | null;
      }>(
        `SELECT c.conname, c.contype::text AS contype, r.relname AS tbl, f.relname AS ftbl,
                ARRAY(SELECT a.attname::text FROM unnest(c.conkey) k(n)
                        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS cols,
                CASE WHEN c.confrelid = 0 THEN NULL ELSE
                ARRAY(SELECT a.attname::text FROM unnest(c.confkey) k(n)
                        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) END AS fcols
           FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
           JOIN pg_namespace n ON n.oid = r.relnamespace
           LEFT JOIN pg_class f ON f.oid = c.confrelid
          WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f')`,
      );
      const indexes = await db.query<{ idx: string; tbl: string; cols: string[] }>(
        `SELECT i.relname AS idx, r.relname AS tbl,
                ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) k(n)
                        JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.n) AS cols
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class r ON r.oid = x.indrelid
           JOIN pg_namespace n ON n.oid = r.relnamespace
          WHERE n.nspname = 'public' AND x.indisunique`,
      );
      const hasTenant = (table: string | null) => table !== null && withTenant.includes(table);
      const bad: string[] = [];
      for (const c of constraints.rows) {
        const local = hasTenant(c.tbl);
        const remote = c.contype === 'f' && hasTenant(c.ftbl);
        if (local && !c.cols.includes('tenant_id')) bad.push(`${c.tbl}.${c.conname} (${c.cols.join(', ')})`);
        if (remote && !c.fcols!.includes('tenant_id'))
          bad.push(`${c.tbl}.${c.conname} → ${c.ftbl} (${c.fcols!.join(', ')})`);
        // Referencing a tenant table from a table without tenant_id cannot follow the distribution.
        if (remote && !local) bad.push(`${c.tbl}.${c.conname} → ${c.ftbl}: ${c.tbl} has no tenant_id`);
      }
      for (const i of indexes.rows)
        if (hasTenant(i.tbl) && !i.cols.includes('tenant_id')) bad.push(`${i.tbl}.${i.idx} (${i.cols.join(', ')})`);
      expect(bad).toEqual([]);
      // And the one key into tenants is the tenant column itself.
      expect(constraints.rows).toContainEqual(
        expect.objectContaining({ conname: 'api_keys_tenant_id_fkey', ftbl: 'tenants', cols: ['tenant_id'] }),
      );
    });
  });

  describe('scopes and actors', () => {
    let readKey: string;
    let write: { id: string; key: string };
    beforeAll(async () => {
      readKey = (await mintKey(tenantA.id, ['read'], withKey(adminKeyA))).key;
      write = await mintKey(tenantA.slug, ['write']);
    });

    it('read: lists, but 403 naming write on a write', async () => {
      const asRead = withKey(readKey);
      expect((await asRead({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
      const denied = await asRead({ method: 'POST', url: '/agents', payload: { name: 'nope' } });
      expect(denied.statusCode).toBe(403);
      expect(denied.json().detail).toMatch(/write/);
      // 403 for a missing scope comes before looking anything up, even of another tenant.
      const other = await asRead({ method: 'POST', url: `/agents/${b.agent}/pause` });
      expect(other.statusCode).toBe(403);
    });

    it('write: creates agents, but 403 naming admin on minting keys; admin keys cannot reach another tenant', async () => {
      const asWrite = withKey(write.key);
      const created = await asWrite({ method: 'POST', url: '/agents', payload: { name: 'by-write-key' } });
      expect(created.statusCode).toBe(201);
      const actor = { tenant_id: tenantA.id, kind: 'key', id: write.id };
      expect(created.json().created_by).toEqual(actor);

      const goal = await asWrite({
        method: 'POST',
        url: `/agents/${created.json().id}/goals`,
        payload: { goal: 'hi' },
      });
      expect(goal.statusCode).toBe(202);
      const run = await asWrite({ method: 'GET', url: `/agents/${created.json().id}/runs/${goal.json().run_id}` });
      expect(run.json().submitted_by).toEqual(actor);
      // Events are sequenced after the commit: wait for the run's.
      const events = await poll(
        async () => (await asWrite({ method: 'GET', url: `/agents/${created.json().id}/events?limit=100` })).json(),
        (page) => page.items.some((e: { type: string }) => e.type === 'run.created'),
        10_000,
      );
      const createdEvent = events.items.find((e: { type: string }) => e.type === 'agent.created');
      expect(createdEvent).toMatchObject({ tenant_id: tenantA.id, actor });
      const runEvent = events.items.find((e: { type: string }) => e.type === 'run.created');
      expect(runEvent).toMatchObject({ tenant_id: tenantA.id, actor });

      const mint = await asWrite({
        method: 'POST',
        url: `/tenants/${tenantA.id}/keys`,
        payload: { name: 'x', scopes: ['read'] },
      });
      expect(mint.statusCode).toBe(403);
      expect(mint.json().detail).toMatch(/admin/);

      const across = await withKey(adminKeyA)({
        method: 'POST',
        url: `/tenants/${tenantB.id}/keys`,
        payload: { name: 'x', scopes: ['admin'] },
      });
      expect(across.statusCode).toBe(404);
      const tenant = await withKey(adminKeyA)({
        method: 'POST',
        url: '/tenants',
        payload: { slug: 'by-admin', name: 'By admin' },
      });
      expect(tenant.statusCode).toBe(403);
      expect(tenant.json().detail).toMatch(/operator/);
    });

    it('write: cannot loosen an agent’s policy fields, nor manage webhooks and connections; admin can', async () => {
      const asWrite = withKey(write.key);
      // The defaults, named explicitly, are not a change.
      const plain = await asWrite({
        method: 'POST',
        url: '/agents',
        payload: { name: 'defaults', approval: 'side_effects', skills: null, egress_trusted: [] },
      });
      expect(plain.statusCode).toBe(201);
      for (const payload of [
        { name: 'loose', approval: 'none' },
        { name: 'loose', egress_trusted: ['https://api.example.com'] },
        { name: 'loose', skills: ['http_call'] },
        { name: 'loose', remember_tool_results: false },
      ]) {
        const res = await asWrite({ method: 'POST', url: '/agents', payload });
        expect([payload, res.statusCode, res.json().detail]).toEqual([payload, 403, expect.stringMatching(/admin/)]);
      }
      const id = plain.json().id as string;
      const patched = await asWrite({ method: 'PATCH', url: `/agents/${id}`, payload: { approval: 'none' } });
      expect([patched.statusCode, patched.json().detail]).toEqual([403, expect.stringMatching(/approval.*admin/)]);
      // A write key still changes the rest, and repeating the current policy is no change.
      const renamed = await asWrite({
        method: 'PATCH',
        url: `/agents/${id}`,
        payload: { name: 'renamed', approval: 'side_effects' },
      });
      expect(renamed.statusCode).toBe(200);
      const byAdmin = await withKey(adminKeyA)({
        method: 'PATCH',
        url: `/agents/${id}`,
        payload: { approval: 'none' },
      });
      expect([byAdmin.statusCode, byAdmin.json().approval]).toEqual([200, 'none']);

      const hook = await asWrite({
        method: 'POST',
        url: `/agents/${id}/webhooks`,
        payload: { url: 'https://example.com/h' },
      });
      expect([hook.statusCode, hook.json().detail]).toEqual([403, expect.stringMatching(/admin/)]);
      const details = await asWrite({ method: 'GET', url: '/health/details' });
      expect([details.statusCode, details.json().detail]).toEqual([403, expect.stringMatching(/operator/)]);
    });

    it('a bad credential is 401 before anything else, even on a route that does not exist', async () => {
      const fake = `aos_${'a'.repeat(12)}_${'b'.repeat(43)}`;
      const tampered = `${adminKeyA.slice(0, -1)}${adminKeyA.endsWith('A') ? 'B' : 'A'}`;
      const wrong: string[] = [];
      for (const key of ['nope', fake, tampered]) {
        for (const [method, url] of [
          ['GET', '/agents'],
          ['POST', '/agents'],
          ['GET', `/agents/${a.agent}`],
          ['GET', `/agents/${randomUUID()}/no-such-route`],
          ['PUT', `/agents/${a.agent}`],
          ['POST', '/tenants'],
        ] as const) {
          const res = await withKey(key)({ method, url, payload: method === 'POST' ? { bogus: 1 } : undefined });
          if (res.statusCode !== 401) wrong.push(`${method} ${url} with key ${key} → ${res.statusCode} ${res.body}`);
        }
      }
      const unrouted = `/agents/${randomUUID()}/no-such-route`;
      const missing = await t.request({ method: 'GET', url: unrouted, auth: false });
      if (missing.statusCode !== 401)
        wrong.push(`GET ${unrouted} without a key → ${missing.statusCode} ${missing.body}`);
      expect(wrong).toEqual([]);
    });
  });

  describe('revocation', () => {
    it('this instance refuses a revoked key at once, another instance within 5 s', async () => {
      const second = await startTestApp(ENV, t);
      try {
        const { id, key } = await mintKey(tenantA.id, ['read'], withKey(adminKeyA));
        expect((await withKey(key)({ method: 'GET', url: '/agents' })).statusCode).toBe(200);
        // The other instance has it cached as valid.
        expect((await withKey(key, second)({ method: 'GET', url: '/agents' })).statusCode).toBe(200);

        const revoked = await withKey(adminKeyA)({ method: 'DELETE', url: `/tenants/${tenantA.id}/keys/${id}` });
        expect(revoked.statusCode).toBe(204);
        expect((await withKey(key)({ method: 'GET', url: '/agents' })).statusCode).toBe(401);
        const started = Date.now();
        const status = await poll(
          async () => (await withKey(key, second)({ method: 'GET', url: '/agents' })).statusCode,
          (s) => s === 401,
          5_000,
        );
        expect(status).toBe(401);
        expect(Date.now() - started).toBeLessThanOrEqual(5_500);
        const keys = (await withKey(adminKeyA)({ method: 'GET', url: `/tenants/${tenantA.id}/keys?limit=100` })).json();
        expect(keys.items.map((k: { id: string }) => k.id)).not.toContain(id);
      } finally {
        await second.server.close();
      }
    }, 60_000);
  });

  describe('tenant deletion', () => {
    it('refuses a slug shaped like a UUID and a key that would already be expired; a slug in capitals finds its tenant', async () => {
      const uuidSlug = await t.request({ method: 'POST', url: '/tenants', payload: { slug: randomUUID(), name: 'x' } });
      expect([uuidSlug.statusCode, uuidSlug.json().detail]).toEqual([422, expect.stringMatching(/UUID/)]);
      const past = await t.request({
        method: 'POST',
        url: `/tenants/${tenantB.id}/keys`,
        payload: { name: 'late', scopes: ['read'], expires_at: '2020-01-01T00:00:00Z' },
      });
      expect([past.statusCode, past.json().detail]).toEqual([422, expect.stringMatching(/expires_at/)]);
      const upper = await t.request({ method: 'GET', url: `/tenants/${tenantB.slug.toUpperCase()}` });
      expect([upper.statusCode, upper.json().id]).toEqual([200, tenantB.id]);
    });

    it('409 while A has agents, 204 with cascade; then A’s keys are refused and A is gone; default stays', async () => {
      const refused = await t.request({ method: 'DELETE', url: `/tenants/${tenantA.id}` });
      expect(refused.statusCode).toBe(409);
      expect((await withKey(adminKeyA)({ method: 'GET', url: '/agents' })).statusCode).toBe(200);

      const deleted = await t.request({ method: 'DELETE', url: `/tenants/${tenantA.slug}?cascade=true` });
      expect(deleted.statusCode).toBe(204);
      expect((await withKey(adminKeyA)({ method: 'GET', url: '/agents' })).statusCode).toBe(401);
      expect((await t.request({ method: 'GET', url: `/tenants/${tenantA.id}` })).statusCode).toBe(404);
      expect((await operatorIn(tenantA.id)({ method: 'GET', url: '/agents' })).statusCode).toBe(404);
      // Its agents (and what hangs off them) and keys are gone; its events may stay for the relay, and
      // its webhooks, retired, until they have sent agent.deleted.
      const hooks = await poll(
        () =>
          t.dataSource.query<{ id: string; retired: boolean }[]>(
            'SELECT id, retired_at IS NOT NULL AS retired FROM webhooks WHERE tenant_id = $1',
            [tenantA.id],
          ),
        (rows) => rows.every((h) => h.retired),
        10_000,
      );
      expect(hooks.filter((h) => !h.retired)).toEqual([]);
      for (const table of ['agents', 'runs', 'memories', 'connections', 'api_keys']) {
        const [{ n }] = await t.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM "${table}" WHERE tenant_id = $1`,
          [tenantA.id],
        );
        expect([table, n]).toEqual([table, 0]);
      }
      // B is untouched.
      expect((await withKey(adminKeyB)({ method: 'GET', url: `/agents/${b.agent}` })).statusCode).toBe(200);

      const keep = await t.request({ method: 'DELETE', url: '/tenants/default' });
      expect(keep.statusCode).toBe(409);
      const keepCascade = await t.request({ method: 'DELETE', url: `/tenants/${defaultTenant.id}?cascade=true` });
      expect(keepCascade.statusCode).toBe(409);
      expect((await t.request({ method: 'GET', url: '/tenants/default' })).statusCode).toBe(200);
    });
  });
});
