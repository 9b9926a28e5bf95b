import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { EventPruner } from '../src/events/event-pruner';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher';
import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';
import { dropTestDatabase } from './support/test-database';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  envelope: { id: number; type: string; agent_id: string; run_id: string | null; data: Record<string, unknown> };
}

type Answer = (hit: number, req: IncomingMessage, res: ServerResponse) => void;

/** A webhook receiver on 127.0.0.1 that records every request (headers and raw body). */
class Receiver {
  readonly received: Received[] = [];
  readonly server = new TargetServer();

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  url(path: string, host = '127.0.0.1'): string {
    return this.server.url(path, host);
  }

  on(path: string, answer: Answer = (_hit, _req, res) => res.writeHead(204).end()): void {
    this.server.route(path, (req, res, hit) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        this.received.push({ path, headers: req.headers, body, envelope: JSON.parse(body) });
        answer(hit, req, res);
      });
    });
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }
}

const verify = (secret: string, r: Received) =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });

describe('webhooks', () => {
  let receiver: Receiver;
  let t: TestApp;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp({
      AOS_WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.server.port}`,
      AOS_WEBHOOK_RETRY_BASE_MS: '100',
      AOS_WEBHOOK_RETRY_MAX_MS: '200',
      AOS_WEBHOOK_TIMEOUT_MS: '700',
      AOS_EVENT_POLL_MS: '50',
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.server.stop();
  });

  const agent = async () =>
    (await t.request({ method: 'POST', url: '/agents', payload: { name: 'hooked' } })).json().id as string;
  const hook = async (agentId: string, body: Record<string, unknown>) =>
    t.request({ method: 'POST', url: `/agents/${agentId}/webhooks`, payload: body });
  const goal = async (agentId: string, text = 'note the hooks') =>
    (await t.request({ method: 'POST', url: `/agents/${agentId}/goals`, payload: { goal: text } })).json()
      .run_id as string;
  const deliveries = async (agentId: string, webhookId: string) =>
    (await t.request({ method: 'GET', url: `/agents/${agentId}/webhooks/${webhookId}/deliveries?limit=100` })).json()
      .items as {
      event_id: number;
      event_type: string;
      status: string;
      attempts: number;
      last_status_code: number | null;
      last_error: string | null;
      next_attempt_at: string | null;
    }[];

  it('POSTs every event as its envelope, in order, signed per Standard Webhooks (verified by the reference library)', async () => {
    receiver.on('/all');
    receiver.on('/runs');
    const a = await agent();
    const all = await hook(a, { url: receiver.url('/all'), description: 'everything' });
    expect(all.statusCode).toBe(201);
    const created = all.json();
    expect(created).toMatchObject({
      agent_id: a,
      url: receiver.url('/all'),
      events: null,
      enabled: true,
      description: 'everything',
    });
    expect(created.secret).toMatch(/^whsec_/);
    const runs = (await hook(a, { url: receiver.url('/runs'), events: ['run.*'] })).json();
    const run = await goal(a);
    await eventually(
      async () => receiver.at('/all').map((r) => r.envelope.type),
      (types) => types.includes('run.completed'),
    );
    await eventually(
      async () => receiver.at('/runs').map((r) => r.envelope.type),
      (types) => types.includes('run.completed'),
    );
    const page = (await t.request({ method: 'GET', url: `/agents/${a}/events?limit=100` })).json();
    const logged = page.items.map((e: { id: number }) => e.id);
    const got = receiver.at('/all');
    // Everything from the run on, in event order, each once (agent.created may precede the webhook).
    expect(got.map((r) => r.envelope.id)).toEqual(logged.slice(logged.length - got.length));
    expect(got.map((r) => r.envelope.type)).toEqual(
      expect.arrayContaining(['run.created', 'run.started', 'run.completed']),
    );
    for (const r of got) {
      expect(verify(created.secret, r)).toEqual(r.envelope);
      expect(r.headers['webhook-id']).toBe(String(r.envelope.id));
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.envelope).toMatchObject({ agent_id: a });
    }
    expect(() => verify(runs.secret, got[0])).toThrow();
    expect(receiver.at('/runs').every((r) => r.envelope.type.startsWith('run.') && r.envelope.run_id === run)).toBe(
      true,
    );
    expect(receiver.at('/runs').length).toBe(
      page.items.filter((e: { type: string }) => e.type.startsWith('run.')).length,
    );

    const listed = (await t.request({ method: 'GET', url: `/agents/${a}/webhooks` })).json();
    expect(listed.items.map((w: { id: string }) => w.id)).toEqual([runs.id, created.id]);
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    const ledger = await deliveries(a, created.id);
    expect(ledger.every((d) => d.status === 'delivered' && d.attempts === 1 && d.last_status_code === 204)).toBe(true);
  });

  it('retries a failing receiver with backoff: fails twice, then 200 — three attempts, then the next event', async () => {
    receiver.on('/flaky', (hit, _req, res) => res.writeHead(hit <= 2 ? 500 : 200).end());
    const a = await agent();
    const w = (await hook(a, { url: receiver.url('/flaky'), events: ['run.created', 'run.completed'] })).json();
    await goal(a);
    const got = await eventually(
      async () => receiver.at('/flaky'),
      (r) => r.some((x) => x.envelope.type === 'run.completed'),
    );
    expect(got.map((r) => r.envelope.type)).toEqual(['run.created', 'run.created', 'run.created', 'run.completed']);
    expect(new Set(got.slice(0, 3).map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Each attempt is signed afresh, and verifies.
    for (const r of got) expect(verify(w.secret, r)).toEqual(r.envelope);
    const ledger = await deliveries(a, w.id);
    expect(ledger.map((d) => [d.event_type, d.status, d.attempts, d.last_status_code])).toEqual([
      ['run.completed', 'delivered', 1, 200],
      ['run.created', 'delivered', 3, 200],
    ]);
  });

  it('times out a slow receiver and tries again', async () => {
    receiver.on('/slow', (hit, _req, res) => {
      if (hit === 1) setTimeout(() => res.writeHead(200).end(), 2_000);
      else res.writeHead(200).end();
    });
    const a = await agent();
    const w = (await hook(a, { url: receiver.url('/slow'), events: ['run.created'] })).json();
    await goal(a);
    const ledger = await eventually(
      () => deliveries(a, w.id),
      (d) => d[0]?.status === 'delivered',
    );
    expect(ledger[0]).toMatchObject({ attempts: 2, last_status_code: 200 });
    expect(receiver.at('/slow')).toHaveLength(2);
  });

  it('disables the endpoint on 410: nothing more is queued while disabled; re-enabling resumes what was', async () => {
    let gone = true;
    receiver.on('/gone', (_hit, _req, res) => res.writeHead(gone ? 410 : 200).end());
    const a = await agent();
    const w = (await hook(a, { url: receiver.url('/gone'), events: ['run.*'] })).json();
    const settle = async (run: string) => t.request({ method: 'GET', url: `/agents/${a}/runs/${run}?wait=10` });
    await settle(await goal(a, 'first'));
    const disabled = await eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${a}/webhooks/${w.id}` })).json(),
      (x) => x.enabled === false,
    );
    expect(disabled.disabled_reason).toMatch(/410/);
    const before = await deliveries(a, w.id);
    expect(before.at(-1)).toMatchObject({
      event_type: 'run.created',
      status: 'failed',
      attempts: 1,
      last_status_code: 410,
    });
    const queued = before
      .filter((d) => d.status === 'pending')
      .map((d) => d.event_id)
      .reverse();

    // While disabled: no attempt, and the new run's events are not queued.
    const second = await goal(a, 'second');
    await settle(second);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.at('/gone')).toHaveLength(1);
    expect((await deliveries(a, w.id)).map((d) => d.event_id)).toEqual(before.map((d) => d.event_id));

    gone = false;
    const enabled = await t.request({
      method: 'PATCH',
      url: `/agents/${a}/webhooks/${w.id}`,
      payload: { enabled: true },
    });
    expect(enabled.json()).toMatchObject({ enabled: true, disabled_reason: null });
    expect(enabled.json().secret).toBeUndefined();
    const third = await goal(a, 'third');
    const got = await eventually(
      async () =>
        receiver
          .at('/gone')
          .slice(1)
          .map((r) => r.envelope),
      (envelopes) => envelopes.some((e) => e.type === 'run.completed' && e.run_id === third),
    );
    // What was queued before the 410 goes first, in event order; then the new run; never the second.
    expect(got.slice(0, queued.length).map((e) => e.id)).toEqual(queued);
    expect(got.slice(queued.length).every((e) => e.run_id === third)).toBe(true);
    expect(got.some((e) => e.run_id === second)).toBe(false);
  });

  it('rotates the secret: the new one is shown once, and both sign during the grace period', async () => {
    receiver.on('/rotated');
    const a = await agent();
    const w = (await hook(a, { url: receiver.url('/rotated'), events: ['run.created'] })).json();
    const rotated = await t.request({
      method: 'PATCH',
      url: `/agents/${a}/webhooks/${w.id}`,
      payload: { rotate_secret: true },
    });
    expect(rotated.statusCode).toBe(200);
    const fresh = rotated.json().secret;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(w.secret);
    expect(Date.parse(rotated.json().previous_secret_expires_at)).toBeGreaterThan(Date.now() + 3_600_000);
    await goal(a);
    const [r] = await eventually(
      async () => receiver.at('/rotated'),
      (x) => x.length === 1,
    );
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(fresh, r)).toEqual(r.envelope);
    expect(verify(w.secret, r)).toEqual(r.envelope);
  });

  it('delivers agent.deleted and what was still queued, then removes the agent’s webhooks', async () => {
    receiver.on('/farewell');
    let down = true;
    receiver.on('/backlog', (_hit, _req, res) => res.writeHead(down ? 503 : 200).end());
    const a = await agent();
    const farewell = (await hook(a, { url: receiver.url('/farewell'), events: ['agent.*'] })).json();
    await hook(a, { url: receiver.url('/farewell'), events: ['memory.*'] });
    // A run.* webhook whose receiver is down: its run events are still queued when the agent goes.
    const backlog = (await hook(a, { url: receiver.url('/backlog'), events: ['run.*'] })).json();
    await t.request({ method: 'GET', url: `/agents/${a}/runs/${await goal(a)}?wait=10` });
    await eventually(
      () => deliveries(a, backlog.id),
      (d) => d.some((x) => x.event_type === 'run.completed') && d.every((x) => x.status === 'pending'),
    );
    expect((await t.request({ method: 'DELETE', url: `/agents/${a}` })).statusCode).toBe(204);
    await eventually(
      async () => receiver.at('/farewell').map((r) => r.envelope),
      (envelopes) => envelopes.some((e) => e.type === 'agent.deleted' && e.agent_id === a),
    );
    // Its routes answer 404 with the agent's; the memory.* one is gone, the other two are retired.
    expect((await t.request({ method: 'GET', url: `/agents/${a}/webhooks/${farewell.id}` })).statusCode).toBe(404);
    const left = async () =>
      (await t.dataSource.query<{ id: string }[]>('SELECT id FROM webhooks WHERE agent_id = $1', [a])).map((r) => r.id);
    expect(await left()).toEqual([backlog.id]);
    down = false;
    // In order, the run's last event last; then the retired webhook goes.
    const got = await eventually(
      async () => receiver.at('/backlog').filter((r) => r.envelope.agent_id === a),
      (r) => r.some((x) => x.envelope.type === 'run.completed'),
    );
    expect(got.at(-1)!.envelope.type).toBe('run.completed');
    await eventually(left, (ids) => ids.length === 0);
  });

  it('obeys the SSRF policy at creation: private addresses only when listed in AOS_WEBHOOK_ALLOW_HOSTS', async () => {
    const a = await agent();
    for (const url of [
      receiver.url('/x', 'localhost'),
      `http://127.0.0.1:${receiver.server.port + 1}/x`,
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x',
      'http://10.0.0.7/x',
    ]) {
      const refused = await hook(a, { url });
      expect(refused.statusCode).toBe(422);
      expect(refused.json().detail).toMatch(/not a public address.*AOS_WEBHOOK_ALLOW_HOSTS/);
    }
    const unresolvable = await hook(a, { url: 'https://receiver.invalid/hook' });
    expect(unresolvable.statusCode).toBe(422);
    expect(unresolvable.json().detail).toMatch(/could not be resolved/);
    // Webhooks' allow-list is theirs alone: http_call still may not reach the same receiver.
    receiver.on('/not-for-skills');
    const run = await goal(a, `get ${receiver.url('/not-for-skills')}`);
    const finished = await eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${a}/runs/${run}?wait=5` })).json(),
      (r) => r.status === 'partial' || r.status === 'failed',
    );
    expect(finished.error_message).toMatch(/SSRF.*AOS_HTTP_ALLOW_HOSTS/);
    expect(receiver.server.count('/not-for-skills')).toBe(0);
  });

  it('validates its input and answers 404/409 like the rest of the API', async () => {
    const a = await agent();
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await hook(unknown, { url: receiver.url('/x') })).statusCode).toBe(404);
    for (const [body, message] of [
      [{}, /url/],
      [{ url: 'ftp://example.com/' }, /http or https/],
      [{ url: 'not a url' }, /absolute/],
      [{ url: 'https://user:pw@example.com/' }, /credentials/],
      [{ url: receiver.url('/x'), events: ['run.nope'] }, /unknown event type run\.nope/],
      [{ url: receiver.url('/x'), events: [] }, /at least one/],
      [{ url: receiver.url('/x'), events: ['run.*', 'run.*'] }, /unique/],
      [{ url: receiver.url('/x'), secret: 'mine' }, /secret/],
    ] as const) {
      const res = await hook(a, body);
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toMatch(message);
    }
    const w = (await hook(a, { url: receiver.url('/x') })).json();
    const path = `/agents/${a}/webhooks/${w.id}`;
    expect((await t.request({ method: 'PATCH', url: path, payload: { enabled: 'yes' } })).statusCode).toBe(422);
    expect((await t.request({ method: 'PATCH', url: path, payload: { url: 'http://a.b/' } })).statusCode).toBe(422);
    const patched = await t.request({
      method: 'PATCH',
      url: path,
      payload: { events: ['memory.*'], description: 'mem' },
    });
    expect(patched.json()).toMatchObject({ events: ['memory.*'], description: 'mem', enabled: true });
    expect((await t.request({ method: 'GET', url: `/agents/${a}/webhooks/${unknown}` })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: `/agents/${a}/webhooks/nope` })).statusCode).toBe(422);
    expect((await t.request({ method: 'GET', url: `${path}/deliveries?status=lost` })).statusCode).toBe(422);
    expect((await t.request({ method: 'DELETE', url: path })).statusCode).toBe(204);
    expect((await t.request({ method: 'DELETE', url: path })).statusCode).toBe(404);

    for (let i = 0; i < 20; i++) expect((await hook(a, { url: receiver.url(`/n${i}`) })).statusCode).toBe(201);
    const over = await hook(a, { url: receiver.url('/n20') });
    expect(over.statusCode).toBe(409);
    expect(over.json().detail).toMatch(/20 webhooks/);
  });
});

describe('webhooks under a stricter policy', () => {
  let receiver: Receiver;
  let t: TestApp;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp({
      AOS_WEBHOOK_RETRY_BASE_MS: '100',
      AOS_WEBHOOK_RETRY_MAX_MS: '200',
      AOS_EVENT_POLL_MS: '50',
      // The deliveries below are made 30 days old: past the default backlog cap (72 h), which
      // webhook-backpressure.e2e-spec.ts tests; here a pending one must still hold its event.
      AOS_WEBHOOK_MAX_BACKLOG_HOURS: '1000',
      // The refused address fails every attempt: not so often that it is disabled meanwhile.
      AOS_WEBHOOK_DISABLE_AFTER_FAILURES: '1000',
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.server.stop();
  });

  it('checks the address connected to at every delivery, and retention keeps what a pending delivery needs', async () => {
    receiver.on('/private');
    const bystander = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'bystander' } })).json().id;
    await t.request({ method: 'POST', url: `/agents/${bystander}/goals`, payload: { goal: 'old news' } });
    const a = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'rebound' } })).json().id;
    // A URL that passed its check at creation and now reaches a private address (DNS changed):
    // registered behind the API's back, as the check at creation would refuse it today.
    const [{ id }] = await t.dataSource.query<{ id: string }[]>(
      `INSERT INTO webhooks (tenant_id, agent_id, url, secret)
       SELECT tenant_id, id, $2, 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' FROM agents WHERE id = $1 RETURNING id`,
      [a, receiver.url('/private')],
    );
    await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: 'tell the private receiver' } });
    const ledger = await eventually(
      async () =>
        (await t.request({ method: 'GET', url: `/agents/${a}/webhooks/${id}/deliveries?limit=100` })).json().items as {
          event_id: number;
          attempts: number;
          last_error: string | null;
          status: string;
        }[],
      (d) => d.length > 0 && d.at(-1)!.attempts >= 2,
    );
    const head = ledger.at(-1)!;
    expect(head.status).toBe('pending');
    expect(head.last_error).toMatch(/not a public address \(loopback\).*AOS_WEBHOOK_ALLOW_HOSTS/);
    expect(receiver.at('/private')).toHaveLength(0);

    // Everything is old now; retention deletes up to the pending delivery's event and no further.
    await t.dataSource.query(`UPDATE events SET created_at = now() - interval '30 days'`);
    const deleted = await t.server.app.get(EventPruner).pruneNow();
    expect(deleted).toBeGreaterThan(0);
    const [{ oldest }] = await t.dataSource.query<{ oldest: string }[]>('SELECT min(id) AS oldest FROM events');
    expect(Number(oldest)).toBe(head.event_id);
    const res = await t.request({ method: 'GET', url: `/agents/${bystander}/events?after=1` });
    expect(res.statusCode).toBe(410);

    // The delivery log follows retention too: finished deliveries go, pending ones stay.
    await t.dataSource.query(`UPDATE webhook_deliveries SET created_at = now() - interval '30 days'`);
    await t.dataSource.query(`UPDATE webhook_deliveries SET status = 'delivered' WHERE event_id <> $1`, [
      head.event_id,
    ]);
    expect(await t.server.app.get(WebhookDispatcher).pruneDeliveries()).toBe(ledger.length - 1);
    const left = await t.dataSource.query<{ event_id: string }[]>('SELECT event_id FROM webhook_deliveries');
    expect(left.map((r) => Number(r.event_id))).toEqual([head.event_id]);
    // A webhook left disabled that long: its queued deliveries expire, and retention may go on.
    await t.dataSource.query('UPDATE webhooks SET enabled = false WHERE id = $1', [id]);
    await t.server.app.get(WebhookDispatcher).pruneDeliveries();
    expect(await t.dataSource.query('SELECT event_id FROM webhook_deliveries')).toEqual([]);
  });
});

describe('webhook secrets at rest', () => {
  it('are sealed: a secret stored in the clear is sealed at the next start and still signs; without a key the start stops', async () => {
    const receiver = await new Receiver().start();
    receiver.on('/sealed');
    const env = {
      AOS_WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.server.port}`,
      AOS_EVENT_POLL_MS: '50',
    };
    const first = await startTestApp(env);
    try {
      const a = (await first.request({ method: 'POST', url: '/agents', payload: { name: 'sealed' } })).json().id;
      const created = (
        await first.request({ method: 'POST', url: `/agents/${a}/webhooks`, payload: { url: receiver.url('/sealed') } })
      ).json();
      const [row] = await first.dataSource.query<{ secret: string | null; secret_ciphertext: string }[]>(
        'SELECT secret, secret_ciphertext FROM webhooks WHERE id = $1',
        [created.id],
      );
      expect(row.secret).toBeNull();
      expect(row.secret_ciphertext).toMatch(/^v1\./);
      expect(row.secret_ciphertext).not.toContain(created.secret.slice(6, 20));

      // A webhook from before secrets were sealed: its secret in the clear.
      const legacy = 'whsec_bGVnYWN5LXNlY3JldC1sZWdhY3ktc2VjcmV0LTEyMzQ=';
      const [{ id }] = await first.dataSource.query<{ id: string }[]>(
        `INSERT INTO webhooks (tenant_id, agent_id, url, secret) SELECT tenant_id, id, $2, $3 FROM agents WHERE id = $1 RETURNING id`,
        [a, receiver.url('/sealed'), legacy],
      );
      await first.server.close();

      // Production without AOS_SECRET_KEY: one line saying what to set, no start.
      await expect(
        startTestApp({ ...env, NODE_ENV: 'production', AOS_SECRET_KEY: '', AOS_METRICS_PUBLIC: 'true' }, first),
      ).rejects.toThrow(
        /^webhook secrets are (sealed|stored in the clear).*AOS_SECRET_KEY is not set|set AOS_SECRET_KEY/,
      );

      const second = await startTestApp(env, first);
      try {
        const [sealed] = await second.dataSource.query<{ secret: string | null; secret_ciphertext: string | null }[]>(
          'SELECT secret, secret_ciphertext FROM webhooks WHERE id = $1',
          [id],
        );
        expect(sealed).toEqual({ secret: null, secret_ciphertext: expect.stringMatching(/^v1\./) });
        await second.request({
          method: 'POST',
          url: `/agents/${a}/memory`,
          payload: { memory_type: 'context', text: 'signed with the old secret' },
        });
        await eventually(
          () => Promise.resolve(receiver.at('/sealed').filter((r) => r.envelope.type === 'memory.created')),
          (got) => got.length >= 2,
        );
        const signedWithLegacy = receiver
          .at('/sealed')
          .filter((r) => r.envelope.type === 'memory.created')
          .filter((r) => {
            try {
              verify(legacy, r);
              return true;
            } catch {
              return false;
            }
          });
        expect(signedWithLegacy).toHaveLength(1);
      } finally {
        await second.server.close();
      }
    } finally {
      await dropTestDatabase(first.databaseName);
      await receiver.server.stop();
    }
  });
});
