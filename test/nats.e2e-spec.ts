import { jetstreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { NATS_STREAM } from '../src/events/nats-relay';
import { NatsTestServer } from './support/nats-server';
import { eventually } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

/** The value of one sample of a Prometheus page. */
function sample(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

describe('NATS JetStream relay', () => {
  let nats: NatsTestServer;
  let t: TestApp;
  let nc: NatsConnection | undefined;

  beforeAll(async () => {
    nats = await new NatsTestServer().start();
    t = await startTestApp({ AOS_NATS_URL: nats.url, AOS_EVENT_POLL_MS: '100' });
  });
  afterAll(async () => {
    await nc?.close();
    await t.close();
    await nats.destroy();
  });

  const eventIds = async (): Promise<number[]> =>
    (await t.dataSource.query<{ id: string }[]>('SELECT id FROM events WHERE id IS NOT NULL ORDER BY id')).map((r) =>
      Number(r.id),
    );

  /** Every message the stream holds: subject, Nats-Msg-Id and the envelope's id. */
  async function streamMessages() {
    nc ??= await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const jsm = await jetstreamManager(nc);
    // The relay creates the stream when it first connects: until then there is nothing to read.
    const info = await jsm.streams.info(NATS_STREAM).catch((error: unknown) => {
      if (error instanceof Error && error.name === 'StreamNotFoundError') return undefined;
      throw error;
    });
    if (!info) return [];
    const messages: { subject: string; msgId: string | undefined; id: number }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(NATS_STREAM, { seq });
      if (!m) continue;
      const envelope = JSON.parse(new TextDecoder().decode(m.data)) as { id: number };
      messages.push({ subject: m.subject, msgId: m.header?.get('Nats-Msg-Id'), id: envelope.id });
    }
    return messages;
  }

  const published = async () =>
    sample((await t.request({ method: 'GET', url: '/metrics', auth: false })).body, 'aos_nats_published_total');

  it('publishes every event to AOS_EVENTS on aos.events.<tenant>.<agent>.<type> with the event id as Nats-Msg-Id', async () => {
    const created = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'bus' } })).json();
    const [agent, tenant] = [created.id, created.created_by.tenant_id];
    await t.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal: 'onto the bus' } });
    const messages = await eventually(
      async () => ({ messages: await streamMessages(), ids: await eventIds() }),
      ({ messages: m, ids }) => ids.length >= 6 && m.length === ids.length,
      15_000,
    );
    expect(messages.messages.map((m) => m.id)).toEqual(messages.ids);
    for (const m of messages.messages) {
      expect(m.msgId).toBe(String(m.id));
      expect(m.subject).toMatch(new RegExp(`^aos\\.events\\.${tenant}\\.${agent}\\.(agent|run|memory)\\.[a-z_.]+$`));
    }
    expect(await published()).toBe(messages.ids.length);
    const health = (await t.request({ method: 'GET', url: '/health', auth: false })).json();
    expect(health.details.nats).toEqual({ status: 'up' });
    // The relay's state and lag are for operators, behind the key.
    const details = (await t.request({ method: 'GET', url: '/health/details' })).json();
    expect(details.details.nats).toMatchObject({ status: 'up', relay: 'up', lag_events: expect.any(Number) });
  });

  it('survives a NATS outage: events made meanwhile arrive after it is back, none published twice', async () => {
    const before = await eventIds();
    // The test's own client is closed across the outage so it reads afresh once NATS is back.
    await nc?.close();
    nc = undefined;
    await nats.stop();
    // Readiness does not depend on NATS; the overall health says it is degraded.
    await eventually(
      async () => (await t.request({ method: 'GET', url: '/health', auth: false })).json().details?.nats?.status,
      (status) => status === 'degraded',
    );
    expect((await t.request({ method: 'GET', url: '/health/ready', auth: false })).statusCode).toBe(200);
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'offline' } })).json().id;
    for (let i = 0; i < 3; i++) {
      await t.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal: `while down ${i}` } });
    }
    const during = await eventually(
      () => eventIds(),
      (ids) => ids.length >= before.length + 10,
    );
    await nats.start();
    const after = await eventually(
      async () => ({ messages: await streamMessages(), ids: await eventIds() }),
      ({ messages, ids }) => ids.length >= during.length && messages.length === ids.length,
      30_000,
    );
    // Everything arrived, in order, once — and the relay published each exactly once (JetStream's
    // duplicate window would hide a second publish from the stream, not from this counter).
    expect(after.messages.map((m) => m.id)).toEqual(after.ids);
    expect(await published()).toBe(after.ids.length);
  });

  it('relays from one instance at a time; when the leader loses its lock, whoever takes it resumes from the kept position', async () => {
    const standby = await startTestApp({ AOS_NATS_URL: nats.url, AOS_EVENT_POLL_MS: '100' }, t);
    try {
      const publishedBy = async (app: TestApp) =>
        sample((await app.request({ method: 'GET', url: '/metrics', auth: false })).body, 'aos_nats_published_total');
      const agent = (await standby.request({ method: 'POST', url: '/agents', payload: { name: 'two' } })).json().id;
      await standby.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal: 'first' } });
      await eventually(
        async () => ({ messages: await streamMessages(), ids: await eventIds() }),
        ({ messages, ids }) => messages.length === ids.length,
        15_000,
      );
      expect(await publishedBy(standby)).toBe(0);

      // The leader's lock connection dies (as with a crashed instance): whichever instance takes
      // the lock next resumes from the position the leader kept, and nothing goes twice.
      await t.dataSource.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'aos-nats-relay' AND datname = current_database()`,
      );
      await standby.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal: 'second' } });
      const after = await eventually(
        async () => ({ messages: await streamMessages(), ids: await eventIds() }),
        ({ messages, ids }) => messages.length === ids.length && ids.length > 0,
        15_000,
      );
      expect(after.messages.map((m) => m.id)).toEqual(after.ids);
      expect((await publishedBy(t)) + (await publishedBy(standby))).toBe(after.ids.length);
    } finally {
      await standby.close();
    }
  });
});
