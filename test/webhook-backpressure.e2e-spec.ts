import { EventPruner } from '../src/events/event-pruner';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher';
import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

type Webhook = { id: string; enabled: boolean; disabled_reason: string | null; consecutive_failures: number };

/**
 * One bad webhook receiver cannot hold the rest: a run of failures disables it, a disabled one
 * holds no event retention, an enabled one holds at most AOS_WEBHOOK_MAX_BACKLOG_HOURS, and the
 * sender serves healthy endpoints while dead ones time out.
 */
describe('webhook back-pressure', () => {
  let t: TestApp;
  let receivers: TargetServer;
  const healthyAt: number[] = [];

  beforeAll(async () => {
    receivers = await new TargetServer().start();
    receivers.route('/broken', (_req, res) => res.writeHead(500).end('down'));
    // Never answers: the sender's attempt times out.
    receivers.route('/hang', () => undefined);
    receivers.route('/healthy', (req, res) => {
      req.resume();
      req.on('end', () => {
        healthyAt.push(Date.now());
        res.writeHead(204).end();
      });
    });
    t = await startTestApp({
      AOS_WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receivers.port}`,
      AOS_WEBHOOK_RETRY_BASE_MS: '50',
      AOS_WEBHOOK_RETRY_MAX_MS: '100',
      AOS_WEBHOOK_TIMEOUT_MS: '1500',
      AOS_WEBHOOK_DISABLE_AFTER_FAILURES: '4',
      AOS_EVENT_POLL_MS: '50',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receivers?.stop();
  });

  const agent = async () =>
    (await t.request({ method: 'POST', url: '/agents', payload: { name: 'hooked' } })).json().id as string;
  const hook = async (agentId: string, path: string) => {
    const res = await t.request({
      method: 'POST',
      url: `/agents/${agentId}/webhooks`,
      payload: { url: receivers.url(path) },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const webhook = async (agentId: string, id: string) =>
    (await t.request({ method: 'GET', url: `/agents/${agentId}/webhooks/${id}` })).json<Webhook>();
  const note = (agentId: string, text: string) =>
    t.request({ method: 'POST', url: `/agents/${agentId}/memory`, payload: { memory_type: 'context', text } });
  const holds = () => t.server.app.get(WebhookDispatcher);

  it('disables an endpoint after a run of failed attempts, with webhook.disabled and a metric', async () => {
    const a = await agent();
    const id = await hook(a, '/broken');
    await note(a, 'one');
    const disabled = await eventually(
      () => webhook(a, id),
      (w) => !w.enabled,
      15_000,
    );
    expect(disabled.disabled_reason).toMatch(/^disabled after 4 failed attempts in a row .*answered 500/);
    expect(disabled.consecutive_failures).toBe(4);
    // Events get their public ids just after their commit (the sequencer): wait for it.
    const events = await eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${a}/events?type=webhook.disabled` })).json().items,
      (items: unknown[]) => items.length > 0,
      5_000,
    );
    expect(events).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ webhook_id: id, reason: 'failures' }) }),
    ]);
    const metrics = (await t.request({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^aos_webhooks_disabled_total\{reason="failures"\} 1$/m);
    // Enabled again by a person: its count starts over.
    const enabled = await t.request({
      method: 'PATCH',
      url: `/agents/${a}/webhooks/${id}`,
      payload: { enabled: true },
    });
    expect(enabled.json()).toMatchObject({ enabled: true, consecutive_failures: 0, disabled_reason: null });
    await t.request({ method: 'PATCH', url: `/agents/${a}/webhooks/${id}`, payload: { enabled: false } });
  });

  it('a disabled endpoint holds no retention; an enabled one holds at most its backlog cap', async () => {
    const a = await agent();
    const id = await hook(a, '/broken');
    // Leased by an instance that is not there: nothing sends, its deliveries stay pending while the test looks.
    await t.dataSource.query(
      `UPDATE webhooks SET lease_owner = 'elsewhere', lease_expires_at = now() + interval '1 hour' WHERE id = $1`,
      [id],
    );
    await note(a, 'kept for the receiver');
    const [{ event_id: eventId }] = await eventually(
      () =>
        t.dataSource.query<{ event_id: string }[]>(`SELECT event_id FROM webhook_deliveries WHERE webhook_id = $1`, [
          id,
        ]),
      (rows) => rows.length > 0,
    );
    // Old enough for retention to remove, were nothing holding it.
    await t.dataSource.query(`UPDATE events SET created_at = now() - interval '30 days' WHERE id <= $1`, [eventId]);
    const pruner = t.server.app.get(EventPruner);
    await pruner.pruneNow();
    const kept = await t.dataSource.query(`SELECT 1 FROM events WHERE id = $1`, [eventId]);
    expect(kept).toHaveLength(1);

    // Queued longer ago than the backlog cap (72 h): it holds nothing any more, and is dropped for it.
    await t.dataSource.query(
      `UPDATE webhook_deliveries SET created_at = now() - interval '73 hours', next_attempt_at = now() + interval '1 hour'
        WHERE webhook_id = $1`,
      [id],
    );
    expect(await holds().dropOverCap()).toBeGreaterThanOrEqual(1);
    const [dropped] = await t.dataSource.query<{ status: string; last_error: string }[]>(
      `SELECT status, last_error FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2`,
      [id, eventId],
    );
    expect(dropped).toEqual({ status: 'failed', last_error: expect.stringMatching(/^dropped: .*MAX_BACKLOG_HOURS/) });
    expect((await t.request({ method: 'GET', url: '/metrics' })).body).toMatch(
      /^aos_webhook_deliveries_dropped_total [1-9]/m,
    );
    await pruner.pruneNow();
    expect(await t.dataSource.query(`SELECT 1 FROM events WHERE id = $1`, [eventId])).toHaveLength(0);

    // A disabled endpoint with a fresh pending delivery holds nothing either.
    await note(a, 'for a disabled receiver');
    const [{ event_id: next }] = await eventually(
      () =>
        t.dataSource.query<{ event_id: string }[]>(
          `SELECT event_id FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending'`,
          [id],
        ),
      (rows) => rows.length > 0,
    );
    await t.request({ method: 'PATCH', url: `/agents/${a}/webhooks/${id}`, payload: { enabled: false } });
    await t.dataSource.query(`UPDATE events SET created_at = now() - interval '30 days' WHERE id <= $1`, [next]);
    await pruner.pruneNow();
    expect(await t.dataSource.query(`SELECT 1 FROM events WHERE id = $1`, [next])).toHaveLength(0);
  });

  it('serves a healthy endpoint at once while twenty dead ones time out', async () => {
    const dead = await agent();
    for (let i = 0; i < 20; i++) await hook(dead, '/hang');
    const alive = await agent();
    await hook(alive, '/healthy');
    await note(dead, 'for the dead');
    // Every dead endpoint has failed at least once (timed out), and they keep retrying.
    await eventually(
      () =>
        t.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM webhooks WHERE agent_id = $1 AND consecutive_failures > 0`,
          [dead],
        ),
      (rows) => rows[0].n === 20,
      20_000,
    );
    await t.dataSource.query(`UPDATE webhooks SET consecutive_failures = 1 WHERE agent_id = $1`, [dead]);
    healthyAt.length = 0;
    const sent = Date.now();
    await note(alive, 'for the living');
    await eventually(
      () => Promise.resolve(healthyAt.length),
      (n) => n >= 1,
      10_000,
    );
    // Sixteen slots, of which the failing endpoints may hold eight: the healthy one never waits
    // for a 1.5 s timeout of theirs.
    expect(healthyAt[0] - sent).toBeLessThan(1_200);
    for (const w of (await t.request({ method: 'GET', url: `/agents/${dead}/webhooks?limit=100` })).json().items)
      await t.request({ method: 'DELETE', url: `/agents/${dead}/webhooks/${(w as { id: string }).id}` });
  });
});
