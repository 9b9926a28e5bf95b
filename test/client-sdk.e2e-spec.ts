import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import type * as Sdk from '../packages/client/src/index.js';
import { findFreePort } from '../src/common/free-port';
import { assertClientBuilt, CLIENT_DIR } from './support/cli';
import { CuttingProxy } from './support/cutting-proxy';
import { TargetServer } from './support/target-server';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

describe('the generated schema of the client', () => {
  it('matches openapi.json (after changing it: npm run generate -w @aos/client)', async () => {
    const spec = JSON.parse(readFileSync(resolve(CLIENT_DIR, '../../openapi.json'), 'utf8'));
    const fresh = COMMENT_HEADER + astToString(await openapiTS(spec));
    const checkedIn = readFileSync(resolve(CLIENT_DIR, 'src/generated/schema.ts'), 'utf8');
    if (checkedIn !== fresh) {
      const was = checkedIn.split('\n');
      const now = fresh.split('\n');
      const differs = now.findIndex((text, i) => text !== was[i]);
      const line = differs === -1 ? now.length : differs;
      throw new Error(
        `packages/client/src/generated/schema.ts is stale: run npm run generate -w @aos/client\n` +
          `first difference at line ${line + 1}:\n- ${was[line]}\n+ ${now[line]}`,
      );
    }
  });
});

describe('the client SDK against a running server', () => {
  let t: TestApp;
  let url: string;
  let target: TargetServer;
  let sdk: typeof Sdk;
  let client: Sdk.AosClient;

  beforeAll(async () => {
    assertClientBuilt();
    target = await new TargetServer().start();
    target.route('/slow', (_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('slow answer'), 150);
    });
    t = await startTestApp({
      HOST: '127.0.0.1',
      PORT: '0',
      AOS_SSE_HEARTBEAT_MS: '200',
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
    });
    url = await t.server.listen();
    // The package as it is published: the built ESM behind its exports map. Typed from its
    // sources, so typechecking needs no build.
    const published: string = '@aos/client';
    sdk = (await import(published)) as typeof Sdk;
    client = new sdk.AosClient({ baseUrl: url, apiKey: TEST_API_KEY });
  });
  afterAll(async () => {
    await t?.close();
    await target?.stop();
  });

  const ruleBased = (extra: Partial<Sdk.CreateAgent> = {}) =>
    client.createAgent({ name: 'sdk', planner: 'rule-based', ...extra });
  /** A goal whose plan fetches `n` slow URLs: a run of 2n + 6 events that takes a while. */
  const slowGoal = (n: number) =>
    `Read ${Array.from({ length: n }, (_, i) => target.url(`/slow?page=${i}`)).join(' and ')}`;

  it('waitForRun long-polls until the run is settled and returns it', async () => {
    const agent = await ruleBased();
    const { run_id } = await client.submitGoal(agent.id, { goal: 'remember the quarterly report' });
    const run = await client.waitForRun(agent.id, run_id, { timeoutMs: 20_000 });
    expect(run).toMatchObject({ id: run_id, status: 'completed' });
    expect(run.tool_calls.map((c) => [c.skill_id, c.status])).toEqual([['memory_write', 'succeeded']]);
  });

  it('waitForRun settles on waiting_approval, and gives up at the caller’s timeout with the run as it was', async () => {
    const careful = await ruleBased({ approval: 'always' });
    const { run_id } = await client.submitGoal(careful.id, { goal: 'remember the eggs' });
    const waiting = await client.waitForRun(careful.id, run_id, { timeoutMs: 20_000 });
    expect(waiting.status).toBe('waiting_approval');
    expect(waiting.pending_approvals).toMatchObject([{ skill: 'memory_write', input: { text: 'remember the eggs' } }]);
    await client.approveRun(careful.id, run_id, { tool_call_id: waiting.pending_approvals[0].tool_call_id, by: 'sdk' });
    expect((await client.waitForRun(careful.id, run_id, { timeoutMs: 20_000 })).status).toBe('completed');

    const paused = await ruleBased();
    await client.pauseAgent(paused.id);
    const pending = await client.submitGoal(paused.id, { goal: 'wait for me' });
    const started = Date.now();
    const error = await client.waitForRun(paused.id, pending.run_id, { timeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sdk.AosTimeoutError);
    expect((error as Sdk.AosTimeoutError).run).toMatchObject({ id: pending.run_id, status: 'pending' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('turns refusals into AosApiError with the server’s status and detail, and no answer into AosConnectionError', async () => {
    const unauthenticated = await t.request({ method: 'GET', url: '/agents', headers: { 'x-aos-key': 'not-the-key' } });
    const wrongKey = new sdk.AosClient({ baseUrl: url, apiKey: 'not-the-key' });
    const refused = await wrongKey.listAgents().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(sdk.AosApiError);
    expect(refused).toMatchObject({ status: 401, detail: unauthenticated.json().detail });
    expect((refused as Sdk.AosApiError).requestId).toEqual(expect.any(String));

    const missing = '8f8a1c2e-2b4f-4b8e-9d8a-1c2e2b4f4b8e';
    await expect(client.getAgent(missing)).rejects.toMatchObject({ status: 404, detail: `Agent ${missing} not found` });
    const invalid = await client.createAgent({ name: '' }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 422 });
    expect((invalid as Sdk.AosApiError).errors.map((e) => e.field)).toEqual(['name']);

    const closed = `http://127.0.0.1:${await findFreePort()}`;
    const nobody = new sdk.AosClient({ baseUrl: closed, apiKey: TEST_API_KEY });
    const unreachable = await nobody.listAgents().catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(sdk.AosConnectionError);
    expect((unreachable as Error).message).toBe(`cannot reach AOS at ${closed}: connection refused`);
  });

  it('resumes a run’s event stream after dropped connections: every event once, in order, to the end', async () => {
    const proxy = await new CuttingProxy(Number(new URL(url).port), {
      afterEvents: 2,
      mode: 'cut',
      maxCuts: 4,
    }).start();
    try {
      const viaProxy = new sdk.AosClient({ baseUrl: proxy.url, apiKey: TEST_API_KEY });
      const agent = await ruleBased();
      const { run_id } = await viaProxy.submitGoal(agent.id, { goal: slowGoal(4) });
      const reconnects: number[] = [];
      const seen: Sdk.AosEvent[] = [];
      for await (const event of viaProxy.runEvents(agent.id, run_id, {
        reconnectDelayMs: 50,
        onReconnect: ({ lastEventId }) => reconnects.push(lastEventId),
      })) {
        seen.push(event);
      }
      expect(proxy.cuts).toBe(4);
      expect(reconnects).toHaveLength(4);

      // The server's own log of the run, read as a page: the stream must be exactly that.
      const logged = (await client.listEvents(agent.id, { limit: 100 })).items.filter((e) => e.run_id === run_id);
      const ids = seen.map((e) => e.id);
      expect(ids).toEqual(logged.map((e) => e.id));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
      expect(seen.map((e) => e.type)).toEqual(logged.map((e) => e.type));
      // created, started, memory_write and four http_calls (step started, completed, memory each), tainted, completed.
      expect(seen).toHaveLength(19);
      expect(seen[0].type).toBe('run.created');
      expect(seen.at(-1)).toMatchObject({ type: 'run.completed', data: { status: 'completed' } });
      // Each reconnect resumed from the last event yielded before it.
      for (const lastEventId of reconnects) expect(ids).toContain(lastEventId);
    } finally {
      await proxy.stop();
    }
  });

  it('reconnects a stream that went silent (no heartbeat through a stalled connection)', async () => {
    const proxy = await new CuttingProxy(Number(new URL(url).port), {
      afterEvents: 1,
      mode: 'stall',
      maxCuts: 1,
    }).start();
    try {
      const viaProxy = new sdk.AosClient({ baseUrl: proxy.url, apiKey: TEST_API_KEY });
      const agent = await ruleBased();
      const { run_id } = await viaProxy.submitGoal(agent.id, { goal: slowGoal(1) });
      const errors: unknown[] = [];
      const seen: Sdk.AosEvent[] = [];
      for await (const event of viaProxy.runEvents(agent.id, run_id, {
        idleTimeoutMs: 1_000,
        reconnectDelayMs: 50,
        onReconnect: ({ error }) => errors.push(error),
      })) {
        seen.push(event);
      }
      expect(proxy.cuts).toBe(1);
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toMatch(/no data for 1000 ms/);
      const logged = (await client.listEvents(agent.id, { limit: 100 })).items.filter((e) => e.run_id === run_id);
      expect(seen.map((e) => e.id)).toEqual(logged.map((e) => e.id));
      expect(seen.at(-1)?.type).toBe('run.completed');
    } finally {
      await proxy.stop();
    }
  });

  it('ends a filtered run stream with the run, though the filter hides the terminal event', async () => {
    const agent = await ruleBased();
    const { run_id } = await client.submitGoal(agent.id, { goal: slowGoal(1) });
    const types: string[] = [];
    for await (const event of client.runEvents(agent.id, run_id, { type: 'run.step.*' })) types.push(event.type);
    expect(types).toEqual(['run.step.started', 'run.step.completed', 'run.step.started', 'run.step.completed']);
    expect((await client.getRun(agent.id, run_id)).status).toBe('completed');
  });

  it('manages tenants and keys; `tenant` makes the operator act in a tenant, streams included', async () => {
    const acme = await client.createTenant({ slug: 'sdk-acme', name: 'Acme' });
    expect(acme).toMatchObject({ slug: 'sdk-acme', name: 'Acme', status: 'active' });
    const slugs = (await client.listTenants({ limit: 100 })).items.map((x) => x.slug);
    expect(slugs).toEqual(expect.arrayContaining(['default', 'sdk-acme']));
    expect(await client.getTenant('sdk-acme')).toEqual(acme);

    const inAcme = new sdk.AosClient({ baseUrl: url, apiKey: TEST_API_KEY, tenant: 'sdk-acme' });
    expect(await inAcme.getOwnTenant()).toEqual(acme);
    expect((await client.getOwnTenant()).slug).toBe('default');
    const agent = await inAcme.createAgent({ name: 'in-acme', planner: 'rule-based' });
    expect((await client.listAgents({ limit: 100 })).items.map((a) => a.id)).not.toContain(agent.id);
    await expect(client.getAgent(agent.id)).rejects.toMatchObject({ status: 404 });
    // The stream carries the tenant too: without it the agent would not be found.
    for await (const event of inAcme.agentEvents(agent.id)) {
      expect(event).toMatchObject({ type: 'agent.created', agent_id: agent.id, tenant_id: acme.id });
      break;
    }

    const created = await client.createKey(acme.id, { name: 'sdk-admin', scopes: ['admin'] });
    expect(created).toMatchObject({ tenant_id: acme.id, scopes: ['admin'], key: expect.stringMatching(/^aos_/) });
    const admin = new sdk.AosClient({ baseUrl: url, apiKey: created.key });
    expect((await admin.getOwnTenant()).id).toBe(acme.id);
    expect((await admin.listAgents()).items.map((a) => a.id)).toEqual([agent.id]);
    // The tenant-wide stream: acme's agent only.
    for await (const event of admin.tenantEvents()) {
      expect(event).toMatchObject({ type: 'agent.created', agent_id: agent.id, tenant_id: acme.id });
      break;
    }
    const keys = await admin.listKeys('sdk-acme');
    expect(keys.items).toEqual([expect.objectContaining({ id: created.id, prefix: created.prefix })]);
    expect(JSON.stringify(keys)).not.toContain(created.key);
    await admin.revokeKey(acme.id, created.id);
    await expect(admin.listAgents()).rejects.toMatchObject({ status: 401 });

    expect(await client.updateTenant('sdk-acme', { name: 'Acme Corp' })).toMatchObject({ name: 'Acme Corp' });
    await expect(client.deleteTenant('sdk-acme')).rejects.toMatchObject({ status: 409 });
    await client.deleteTenant('sdk-acme', { cascade: true });
    await expect(client.getTenant(acme.id)).rejects.toMatchObject({ status: 404 });
  });

  it('streams every event of an agent, history first, for as long as the caller reads', async () => {
    const agent = await ruleBased();
    const { run_id } = await client.submitGoal(agent.id, { goal: 'remember the agent stream' });
    const seen: Sdk.AosEvent[] = [];
    for await (const event of client.agentEvents(agent.id)) {
      seen.push(event);
      if (event.type === 'run.completed') break;
    }
    expect(seen[0]).toMatchObject({ type: 'agent.created', run_id: null });
    expect(seen.filter((e) => e.run_id === run_id).map((e) => e.type)).toEqual([
      'run.created',
      'run.started',
      'run.step.started',
      'run.step.completed',
      'memory.created',
      'run.completed',
    ]);
    // Resuming from a position returns only what came after it.
    const after = seen[2].id;
    const resumed: number[] = [];
    for await (const event of client.agentEvents(agent.id, { after })) {
      resumed.push(event.id);
      if (event.id === seen.at(-1)!.id) break;
    }
    expect(resumed).toEqual(seen.slice(3).map((e) => e.id));
  });
});
