import { DataSource } from 'typeorm';
import { EventsService } from '../src/events/events.service';
import { SseClient } from './support/sse-client';
import { eventually } from './support/target-server';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

/** The events of a rule-based run that writes one memory, in order. */
const RULE_BASED_RUN = [
  'run.created',
  'run.started',
  'run.step.started',
  'run.step.completed',
  'memory.created',
  'run.completed',
];

type Page = { items: { id: number; type: string; run_id: string | null; data: any }[]; next_cursor: string | null };

describe('events', () => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await startTestApp({ HOST: '127.0.0.1', PORT: '0', AOS_SSE_HEARTBEAT_MS: '200' });
    url = await t.server.listen();
  });
  afterAll(async () => {
    await t.close();
  });

  const agent = async (body: Record<string, unknown> = {}) =>
    (await t.request({ method: 'POST', url: '/agents', payload: { name: 'watched', ...body } })).json().id as string;
  const goal = async (agentId: string, text = 'remember the streams') =>
    (await t.request({ method: 'POST', url: `/agents/${agentId}/goals`, payload: { goal: text } })).json()
      .run_id as string;
  const page = async (agentId: string, query = '') =>
    (await t.request({ method: 'GET', url: `/agents/${agentId}/events${query}` })).json<Page>();
  /** The id of the agent's last event once its creation has been sequenced. */
  const settled = async (agentId: string) =>
    (
      await eventually(
        () => page(agentId, '?limit=100'),
        (p) => p.items.length > 0,
      )
    ).items.at(-1)!.id;

  it('records the agent lifecycle, runs, steps and memories as events, oldest first', async () => {
    const a = await agent();
    await t.request({ method: 'POST', url: `/agents/${a}/pause` });
    await t.request({ method: 'PATCH', url: `/agents/${a}`, payload: { name: 'renamed' } });
    const run = await goal(a);
    await t.request({ method: 'POST', url: `/agents/${a}/resume` });
    await t.request({ method: 'GET', url: `/agents/${a}/runs/${run}?wait=10` });
    const memory = (
      await t.request({ method: 'POST', url: `/agents/${a}/memory`, payload: { memory_type: 'context', text: 'x' } })
    ).json().id;
    await t.request({ method: 'DELETE', url: `/agents/${a}/memory/${memory}` });
    const events = await eventually(
      () => page(a, '?limit=100'),
      (p) => p.items.some((e) => e.type === 'memory.deleted'),
    );
    expect(events.items.map((e) => e.type)).toEqual([
      'agent.created',
      'agent.paused',
      'agent.updated',
      'run.created',
      'agent.resumed',
      'run.started',
      'run.step.started',
      'run.step.completed',
      'memory.created',
      'run.completed',
      'memory.created',
      'memory.deleted',
    ]);
    const ids = events.items.map((e) => e.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    expect(events.items[2].data).toEqual({ changes: { name: 'renamed' } });
    expect(events.items.find((e) => e.type === 'run.completed')).toMatchObject({
      run_id: run,
      data: { status: 'completed' },
    });
    expect(events.next_cursor).toBe(String(ids[ids.length - 1]));

    // Paging with after, and type filters (exact or prefix.*).
    const second = await page(a, `?after=${ids[2]}&limit=2`);
    expect(second.items.map((e) => e.id)).toEqual(ids.slice(3, 5));
    expect((await page(a, '?type=run.*&limit=100')).items.map((e) => e.type)).toEqual([
      'run.created',
      'run.started',
      'run.step.started',
      'run.step.completed',
      'run.completed',
    ]);
    expect((await page(a, '?type=memory.created')).items).toHaveLength(2);
    const bad = await t.request({ method: 'GET', url: `/agents/${a}/events?type=run.%25` });
    expect(bad.statusCode).toBe(422);
  });

  it('cuts long strings in event data without breaking them: an emoji at the cut, NUL-free', async () => {
    const a = await agent();
    const goalText = 'g'.repeat(1_999) + '😀 and more';
    const res = await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: goalText } });
    expect(res.statusCode).toBe(202);
    const created = await eventually(
      () => page(a, '?type=run.created'),
      (p) => p.items.length === 1,
    );
    expect(created.items[0].data.goal).toBe('g'.repeat(1_999) + '… (cut)');
  });

  it('ends a stream whose client left before it started: no open stream is left behind', async () => {
    const a = await agent();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const controller = new AbortController();
        const pending = fetch(`${url}/agents/${a}/events/stream`, {
          headers: { 'x-aos-key': TEST_API_KEY },
          signal: controller.signal,
        }).catch(() => undefined);
        controller.abort();
        await pending;
      }),
    );
    const open = async () =>
      Number(
        /^aos_event_streams_open (\d+)$/m.exec(
          (await t.request({ method: 'GET', url: '/metrics', auth: false })).body,
        )?.[1],
      );
    expect(await eventually(open, (n) => n === 0)).toBe(0);
  });

  it('keeps agent.deleted after the agent is gone (for the bus and webhooks)', async () => {
    const a = await agent();
    await t.request({ method: 'DELETE', url: `/agents/${a}` });
    expect((await t.request({ method: 'GET', url: `/agents/${a}/events` })).statusCode).toBe(404);
    const rows = await eventually(
      () => t.dataSource.query(`SELECT type FROM events WHERE agent_id = $1 AND id IS NOT NULL ORDER BY id`, [a]),
      (r: { type: string }[]) => r.length === 2,
    );
    expect(rows.map((r: { type: string }) => r.type)).toEqual(['agent.created', 'agent.deleted']);
  });

  it('streams a run: created, started, steps, completed in order, then ends', async () => {
    const a = await agent();
    await t.request({ method: 'POST', url: `/agents/${a}/pause` });
    const run = await goal(a);
    const stream = await SseClient.open(`${url}/agents/${a}/runs/${run}/events/stream`);
    expect(stream.status).toBe(200);
    expect(stream.headers?.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers?.get('x-request-id')).toBeTruthy();
    await stream.until((c) => c.events.length === 1);
    await t.request({ method: 'POST', url: `/agents/${a}/resume` });
    await stream.finished();
    expect(stream.events.map((e) => e.event)).toEqual(RULE_BASED_RUN);
    const envelope = stream.envelopes[5];
    expect(envelope).toMatchObject({ type: 'run.completed', run_id: run, agent_id: a, data: { status: 'completed' } });
    expect(Object.keys(envelope).sort()).toEqual([
      'actor',
      'agent_id',
      'created_at',
      'data',
      'id',
      'run_id',
      'tenant_id',
      'type',
    ]);
    expect(stream.events.map((e) => Number(e.id))).toEqual(stream.envelopes.map((e) => e.id));

    // A finished run's stream sends its history and ends at once; resumed after the end, it just ends.
    const again = await SseClient.open(`${url}/agents/${a}/runs/${run}/events/stream`);
    await again.finished();
    expect(again.events).toHaveLength(6);
    const resumed = await SseClient.open(`${url}/agents/${a}/runs/${run}/events/stream`, {
      'last-event-id': String(envelope.id),
    });
    await resumed.finished();
    expect(resumed.events).toHaveLength(0);
  });

  it('resumes with Last-Event-ID after a dropped connection: the rest exactly once', async () => {
    const a = await agent();
    const first = await SseClient.open(`${url}/agents/${a}/events/stream`);
    await first.until((c) => c.events.length === 1); // agent.created
    for (let i = 0; i < 3; i++) await goal(a, `goal number ${i}`);
    await first.until((c) => c.events.length >= 3);
    await first.close();
    const seen = first.events.map((e) => Number(e.id));
    const last = seen[seen.length - 1];
    // More happens while no one listens.
    await eventually(
      () => page(a, '?type=run.completed&limit=100'),
      (p) => p.items.length === 3,
    );
    const second = await SseClient.open(`${url}/agents/${a}/events/stream`, { 'last-event-id': String(last) });
    const all = (await page(a, '?limit=100')).items.map((e) => e.id);
    await second.until((c) => c.events.length === all.filter((id) => id > last).length);
    await goal(a, 'one more, live');
    await second.until((c) => c.events.some((e) => e.event === 'run.created' && e.data.includes('one more, live')));
    const resumed = second.events.map((e) => Number(e.id));
    expect(new Set([...seen, ...resumed]).size).toBe(seen.length + resumed.length);
    expect(resumed.slice(0, all.filter((id) => id > last).length)).toEqual(all.filter((id) => id > last));
    expect([...resumed].sort((x, y) => x - y)).toEqual(resumed);
    // An idle stream gets heartbeats.
    await second.until((c) => c.comments.includes('heartbeat'), 2_000);
    await second.close();
  });

  it('answers 404 before any stream for an unknown agent or run, 422 for a bad Last-Event-ID, 410 past retention', async () => {
    const a = await agent();
    const unknown = '8f8a1c2e-2b4f-4b8e-9d8a-1c2e2b4f4b8e';
    for (const path of [`/agents/${unknown}/events/stream`, `/agents/${a}/runs/${unknown}/events/stream`]) {
      const res = await SseClient.open(`${url}${path}`);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ detail: expect.stringMatching(/not found/) });
    }
    const bad = await SseClient.open(`${url}/agents/${a}/events/stream`, { 'last-event-id': 'yesterday' });
    expect(bad.status).toBe(422);
    await t.dataSource.query(`UPDATE event_cursors SET position = 1000000 WHERE name = 'pruned'`);
    try {
      const gone = await SseClient.open(`${url}/agents/${a}/events/stream?after=5`);
      expect(gone.status).toBe(410);
      expect(JSON.parse(gone.body).detail).toMatch(/no longer kept/);
      expect((await t.request({ method: 'GET', url: `/agents/${a}/events?after=5` })).statusCode).toBe(410);
    } finally {
      await t.dataSource.query(`UPDATE event_cursors SET position = 0 WHERE name = 'pruned'`);
    }
  });

  it('long-polls a run: answers when it finishes, or after the wait with the run as it is', async () => {
    const a = await agent();
    await t.request({ method: 'POST', url: `/agents/${a}/pause` });
    const run = await goal(a);
    const started = Date.now();
    const waited = await t.request({ method: 'GET', url: `/agents/${a}/runs/${run}?wait=1` });
    expect(waited.json().status).toBe('pending');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const finishing = t.request({ method: 'GET', url: `/agents/${a}/runs/${run}?wait=30` });
    await t.request({ method: 'POST', url: `/agents/${a}/resume` });
    const done = await finishing;
    expect(done.json().status).toBe('completed');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await t.request({ method: 'GET', url: `/agents/${a}/runs/${run}?wait=61` })).statusCode).toBe(422);
  });

  it('never lets a reader miss an event that commits after a later one (forced interleaving)', async () => {
    const a = await agent();
    const events = t.server.app.get(EventsService);
    const seen = async (after: number) => (await page(a, `?after=${after}&limit=100`)).items;
    const start = await settled(a);

    // Transaction A appends first (it takes the lower insertion number) and stays open.
    // Inside the agent's tenant, as a request's writes are.
    const slow = t.dataSource.createQueryRunner();
    await t.inDefault(() => slow.connect());
    await slow.startTransaction();
    await events.append(slow.manager, [{ agentId: a, type: 'memory.deleted', data: { memory_id: 'first written' } }]);
    // Transaction B appends later and commits.
    await t.inDefault(() =>
      t.server.app
        .get(DataSource)
        .transaction((m) =>
          events.append(m, [{ agentId: a, type: 'memory.deleted', data: { memory_id: 'second written' } }]),
        ),
    );
    const before = await eventually(
      () => seen(start),
      (items) => items.length === 1,
    );
    expect(before[0].data).toEqual({ memory_id: 'second written' });
    const cursor = before[0].id;

    // A commits now; a reader resuming after what it saw still gets A.
    await slow.commitTransaction();
    await slow.release();
    const after = await eventually(
      () => seen(cursor),
      (items) => items.length === 1,
    );
    expect(after[0].data).toEqual({ memory_id: 'first written' });
    expect(after[0].id).toBeGreaterThan(cursor);
  });

  it('a reader paging with after while many transactions commit out of order misses nothing and sees nothing twice', async () => {
    const a = await agent();
    const events = t.server.app.get(EventsService);
    let after = await settled(a);
    const writers = Array.from({ length: 60 }, (_, i) =>
      t.inDefault(() =>
        t.server.app.get(DataSource).transaction(async (m) => {
          await events.append(m, [{ agentId: a, type: 'memory.deleted', data: { memory_id: String(i) } }]);
          // Commit in an order unrelated to the insertion order.
          await new Promise((r) => setTimeout(r, Math.random() * 60));
        }),
      ),
    );
    const seen: number[] = [];
    let writing = true;
    const done = Promise.all(writers).then(() => (writing = false));
    while (writing || seen.length < 60) {
      const items = (await page(a, `?after=${after}&limit=7`)).items;
      for (const item of items) seen.push(Number(item.data.memory_id));
      if (items.length) after = items[items.length - 1].id;
      else await new Promise((r) => setTimeout(r, 5));
      if (!writing && items.length === 0 && seen.length < 60) {
        // Let the sequencer number the last commits.
        await new Promise((r) => setTimeout(r, 50));
        if ((await page(a, `?after=${after}`)).items.length === 0) break;
      }
    }
    await done;
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
  });
});

describe('events across instances', () => {
  let api: TestApp;
  let worker: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ HOST: '127.0.0.1', PORT: '0', AOS_ROLE: 'api' });
    worker = await startTestApp({ AOS_ROLE: 'worker' }, api);
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
  });

  it('a stream on one instance sees the run executed by another', async () => {
    const url = await api.server.listen();
    const a = (await api.request({ method: 'POST', url: '/agents', payload: { name: 'split' } })).json().id;
    await api.request({ method: 'POST', url: `/agents/${a}/pause` });
    const run = (
      await api.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: 'on the worker' } })
    ).json().run_id;
    const stream = await SseClient.open(`${url}/agents/${a}/runs/${run}/events/stream`);
    await stream.until((c) => c.events.length === 1);
    // Resumed through the worker instance: it executes the run and commits its events there.
    await worker.request({ method: 'POST', url: `/agents/${a}/resume` });
    await stream.finished();
    expect(stream.events.map((e) => e.event)).toEqual(RULE_BASED_RUN);
  });
});
