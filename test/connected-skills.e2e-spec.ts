import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { ConnectionsService } from '../src/connections/connections.service';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { ALL_ENTITIES } from '../src/entities';
import { databaseText } from './support/database-text';
import { createTestDatabase, dropTestDatabase } from './support/test-database';
import { CalendarCreateEventSkill } from '../src/skills/calendar-create-event/calendar-create-event.skill';
import { DovecotTestServer } from './support/dovecot-server';
import { FakeModelServer } from './support/fake-models';
import { RadicaleTestServer } from './support/radicale-server';
import { headers, messageIdOf, SmtpTestServer } from './support/smtp-test-server';
import { eventually } from './support/target-server';
import { startTestApp, TEST_API_KEY, TEST_SECRET_KEY, TestApp } from './support/test-app';

const MAIL = [
  'From: Dana Reviewer <dana@example.com>',
  'To: agent@example.com',
  'Subject: Review on Tuesday?',
  'Message-ID: <review-request@example.com>',
  'Date: Wed, 25 Nov 2026 09:00:00 +0000',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Could we review the quarterly report on Tuesday 1 December at 14:00 UTC, for an hour?',
  '',
].join('\r\n');

type Run = {
  status: string;
  result: string | null;
  error_message: string | null;
  pending_approvals: { tool_call_id: string; skill: string; input: Record<string, unknown>; expires_at: string }[];
  tool_calls: {
    id: string;
    step: number;
    skill_id: string;
    status: string;
    output: any;
    error?: string | null;
    approved_by: string | null;
    rejected_by: string | null;
    approval_reason: string | null;
  }[];
};

describe('connected skills with approvals', () => {
  let smtp: SmtpTestServer;
  let imap: DovecotTestServer;
  let caldav: RadicaleTestServer;
  let model: FakeModelServer;
  let calendarUrl: string;
  let t: TestApp;

  beforeAll(async () => {
    smtp = new SmtpTestServer();
    imap = new DovecotTestServer();
    caldav = new RadicaleTestServer();
    model = new FakeModelServer('anthropic');
    await Promise.all([smtp.start(), imap.start(), caldav.start(), model.start()]);
    calendarUrl = await caldav.createCalendar('work');
    await imap.deliver(MAIL);
    t = await startTestApp({
      ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
      ANTHROPIC_BASE_URL: model.baseUrl,
      AOS_CONNECTION_ALLOW_HOSTS: [smtp.port, imap.port, caldav.port].map((p) => `127.0.0.1:${p}`).join(','),
      AOS_WORKER_POLL_MS: '100',
      AOS_APPROVAL_TTL_MS: '60000',
    });
  });
  afterEach(() => model.reset());
  afterAll(async () => {
    await t?.close();
    await Promise.all([smtp?.stop(), imap?.destroy(), caldav?.destroy(), model?.stop()]);
  });

  async function connectedAgent(body: Record<string, unknown> = {}): Promise<string> {
    const a = (
      await t.request({ method: 'POST', url: '/agents', payload: { name: 'assistant', planner: 'llm', ...body } })
    ).json().id;
    const add = async (payload: Record<string, unknown>) =>
      expect((await t.request({ method: 'POST', url: `/agents/${a}/connections`, payload })).statusCode).toBe(201);
    await add({
      name: 'outbox',
      kind: 'smtp',
      settings: { host: '127.0.0.1', port: smtp.port, tls: 'none', username: smtp.user, from: 'agent@example.com' },
      secret: smtp.password,
    });
    await add({
      name: 'inbox',
      kind: 'imap',
      settings: { host: '127.0.0.1', port: imap.port, tls: 'none', username: imap.user },
      secret: imap.password,
    });
    await add({
      name: 'calendar',
      kind: 'caldav',
      settings: { url: caldav.url, username: caldav.user, calendar: 'work' },
      secret: caldav.password,
    });
    return a;
  }
  const goal = async (a: string, text: string) =>
    (await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: text } })).json().run_id as string;
  const run = async (a: string, r: string, wait = 0) =>
    (await t.request({ method: 'GET', url: `/agents/${a}/runs/${r}${wait ? `?wait=${wait}` : ''}` })).json<Run>();
  const answer = (a: string, r: string, verb: 'approve' | 'reject', payload: Record<string, unknown>) =>
    t.request({ method: 'POST', url: `/agents/${a}/runs/${r}/${verb}`, payload });

  it('reads the newest mail, books the event and replies; both wait for approval; the reply arrives once', async () => {
    const a = await connectedAgent();
    expect((await t.request({ method: 'GET', url: `/agents/${a}` })).json().approval).toBe('side_effects');
    model.script([
      { tools: [{ name: 'email_search', input: { connection: 'inbox', limit: 1 } }] },
      { tools: [{ name: 'email_read', input: { connection: 'inbox', uid: 1 } }] },
      {
        tools: [
          {
            name: 'calendar_create_event',
            input: {
              connection: 'calendar',
              summary: 'Quarterly report review',
              start: '2026-12-01T14:00:00Z',
              end: '2026-12-01T15:00:00Z',
              attendees: ['dana@example.com'],
            },
          },
          {
            name: 'email_send',
            input: {
              connection: 'outbox',
              to: ['dana@example.com'],
              subject: 'Re: Review on Tuesday?',
              text: 'Booked: Tuesday 1 December, 14:00–15:00 UTC.',
              in_reply_to: '<review-request@example.com>',
            },
          },
        ],
      },
      { text: 'Booked the review and replied to Dana.' },
    ]);
    const r = await goal(a, 'Answer the newest mail and book what it asks for.');

    const waiting = await run(a, r, 10);
    expect(waiting.status).toBe('waiting_approval');
    expect(waiting.pending_approvals.map((p) => p.skill)).toEqual(['calendar_create_event', 'email_send']);
    // Reads ran without a person; the mail's body became what the model read.
    const read = waiting.tool_calls.find((c) => c.skill_id === 'email_read')!;
    expect(read.output).toMatchObject({ subject: 'Review on Tuesday?', message_id: '<review-request@example.com>' });
    expect(read.output.text).toContain('Tuesday 1 December at 14:00 UTC');
    // ...and a memory of the agent, found by recall.
    const recalled = (
      await t.request({
        method: 'GET',
        url: `/agents/${a}/recall?query=${encodeURIComponent('quarterly report Tuesday')}`,
      })
    ).json().items as { memory_type: string; text: string }[];
    expect(recalled.some((m) => m.memory_type === 'skill_result' && m.text.includes('Tuesday 1 December'))).toBe(true);
    expect(smtp.received).toHaveLength(0);
    expect(await caldav.listEventUids(calendarUrl)).toEqual([]);

    // One call approved: the run still waits on the other.
    const [event, reply] = waiting.pending_approvals;
    const one = await answer(a, r, 'approve', { tool_call_id: event.tool_call_id, by: 'dana', reason: 'fine' });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      status: 'waiting_approval',
      pending_approvals: [{ tool_call_id: reply.tool_call_id }],
    });
    expect((await answer(a, r, 'approve', { tool_call_id: event.tool_call_id })).statusCode).toBe(409);
    expect((await answer(a, r, 'approve', { by: 'dana' })).statusCode).toBe(200);

    const done = await eventually(
      () => run(a, r, 10),
      (x) => x.status !== 'pending' && x.status !== 'running',
      20_000,
    );
    expect(done).toMatchObject({ status: 'completed', result: 'Booked the review and replied to Dana.' });
    expect(done.tool_calls.find((c) => c.skill_id === 'email_send')).toMatchObject({
      status: 'succeeded',
      approved_by: { kind: 'operator', id: 'operator' },
      answered_by_note: 'dana',
    });
    expect(done.tool_calls.find((c) => c.skill_id === 'calendar_create_event')).toMatchObject({
      status: 'succeeded',
      approved_by: { kind: 'operator', id: 'operator' },
      answered_by_note: 'dana',
      approval_reason: 'fine',
    });
    // The model was asked once per turn: nothing repeated across the waits.
    expect(model.requests.map((q) => q.turn)).toEqual([0, 1, 2, 3]);

    // The reply: once, with the step's Message-ID, answering the mail.
    expect(smtp.received).toHaveLength(1);
    const sendStep = done.tool_calls.find((c) => c.skill_id === 'email_send')!.step;
    expect(messageIdOf(smtp.received[0].raw)).toBe(`aos.${r}.${sendStep}@example.com`);
    expect(headers(smtp.received[0].raw)['in-reply-to']).toEqual(['<review-request@example.com>']);
    expect(smtp.received[0].to).toEqual(['dana@example.com']);

    // The event: once, even when the call is forced to run again for the same step.
    const eventStep = done.tool_calls.find((c) => c.skill_id === 'calendar_create_event')!;
    expect(await caldav.listEventUids(calendarUrl)).toEqual([`${r}-${eventStep.step}@aos`]);
    const connection = await t.inDefault(() =>
      t.server.app.get(CalendarCreateEventSkill).execute(
        {
          connection: 'calendar',
          summary: 'Quarterly report review',
          start: '2026-12-01T14:00:00Z',
          end: '2026-12-01T15:00:00Z',
        },
        {
          signal: new AbortController().signal,
          egress: null,
          agentId: a,
          runId: r,
          stepIndex: eventStep.step,
          memory: { recall: () => Promise.resolve([]) },
          connections: {
            get: (name, kind) => t.server.app.get(ConnectionsService).resolveForRun(a, name, kind),
          },
        },
      ),
    );
    expect(connection.output).toMatchObject({ created: false, uid: `${r}-${eventStep.step}@aos` });
    expect(await caldav.listEventUids(calendarUrl)).toEqual([`${r}-${eventStep.step}@aos`]);

    // The approvals are events (webhooks deliver them like any other).
    const types = (await t.request({ method: 'GET', url: `/agents/${a}/events?limit=100&type=run.*` }))
      .json()
      .items.map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'run.approval.requested',
        'run.waiting_approval',
        'run.approval.granted',
        'run.completed',
      ]),
    );
    // The waiting event names the calls, so a consumer can ask a person without reading the run.
    const waitingEvent = (
      await t.request({ method: 'GET', url: `/agents/${a}/events?limit=100&type=run.waiting_approval` })
    ).json().items[0];
    expect(waitingEvent.data.pending_approvals.map((p: { skill: string }) => p.skill).sort()).toEqual([
      'calendar_create_event',
      'email_send',
    ]);
    expect(waitingEvent.data.pending_approvals[0]).toMatchObject({
      tool_call_id: expect.any(String),
      input: expect.any(Object),
      expires_at: expect.any(String),
    });
  });

  it('a rejected call reaches the model as a refusal with the reason; the run says so', async () => {
    const a = await connectedAgent();
    model.script([
      {
        tools: [
          {
            name: 'email_send',
            input: { connection: 'outbox', to: ['ceo@example.com'], subject: 'Hi', text: 'Hello' },
          },
        ],
      },
      { text: 'I did not send the mail: the reviewer said it goes to the wrong person.' },
    ]);
    const r = await goal(a, 'Say hello to the CEO.');
    const waiting = await run(a, r, 10);
    expect(waiting.status).toBe('waiting_approval');
    const rejected = await answer(a, r, 'reject', { by: 'sam', reason: 'wrong person' });
    expect(rejected.statusCode).toBe(200);
    const done = await eventually(
      () => run(a, r, 10),
      (x) => x.status === 'completed' || x.status === 'failed',
      20_000,
    );
    expect(done.status).toBe('completed');
    expect(done.result).toMatch(/did not send/);
    expect(done.tool_calls[0]).toMatchObject({
      status: 'rejected',
      rejected_by: { kind: 'operator', id: 'operator' },
      answered_by_note: 'sam',
      approval_reason: 'wrong person',
    });
    // What the model read: an error result with who and why.
    const toolResult = model.requests[1].body.messages.at(-1).content[0];
    expect(toolResult).toMatchObject({ type: 'tool_result', is_error: true });
    expect(JSON.stringify(toolResult)).toMatch(/\(sam\) rejected this call.*wrong person/);
    expect(smtp.received.filter((m) => m.to.includes('ceo@example.com'))).toHaveLength(0);
    expect((await answer(a, r, 'approve', {})).statusCode).toBe(409);
  });

  it('always: a planned step waits too; stop cancels a waiting run and closes its approvals', async () => {
    const a = (
      await t.request({
        method: 'POST',
        url: '/agents',
        payload: { name: 'careful', planner: 'rule-based', approval: 'always' },
      })
    ).json().id;
    const r = await goal(a, 'remember the milk');
    const waiting = await run(a, r, 10);
    expect(waiting.status).toBe('waiting_approval');
    expect(waiting.pending_approvals).toMatchObject([{ skill: 'memory_write', input: { text: 'remember the milk' } }]);
    expect((await t.request({ method: 'POST', url: `/agents/${a}/stop` })).statusCode).toBe(200);
    const stopped = await run(a, r);
    expect(stopped.status).toBe('cancelled');
    expect(stopped.pending_approvals).toEqual([]);
    expect(stopped.tool_calls[0].status).toBe('cancelled');
    expect((await answer(a, r, 'approve', {})).statusCode).toBe(409);
  });
  it('bad mail (an unreadable date, NUL in headers and names) and a MINUTELY event do not break the skills', async () => {
    await imap.deliver(
      [
        'From: =?UTF-8?Q?Da=00na?= <dana@example.com>',
        'To: agent@example.com',
        'Subject: =?UTF-8?Q?a=00b?=',
        'Message-ID: <odd@example.com>',
        'Date: the day after tomorrow',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'See the file.',
        '--b',
        'Content-Type: text/plain; name="=?UTF-8?Q?f=00.txt?="',
        'Content-Disposition: attachment; filename="=?UTF-8?Q?f=00.txt?="',
        '',
        'x',
        '--b--',
        '',
      ].join('\r\n'),
      'Odd',
    );
    const busyUrl = await caldav.createCalendar('busy');
    const put = await fetch(`${busyUrl}tick.ics`, {
      method: 'PUT',
      headers: {
        authorization: `Basic ${Buffer.from(`${caldav.user}:${caldav.password}`).toString('base64')}`,
        'content-type': 'text/calendar',
      },
      body: [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//AOS//e2e//EN',
        'BEGIN:VEVENT',
        'UID:tick@aos.test',
        'DTSTAMP:20261101T000000Z',
        // Radicale expands the rule itself to filter by time (in Python, from DTSTART): a rule from
        // years ago would hold up the test server; the unit tests take those on.
        'DTSTART:20261101T000000Z',
        'DURATION:PT1M',
        'RRULE:FREQ=MINUTELY',
        'SUMMARY:tick',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    });
    expect(put.status).toBe(201);

    const a = await connectedAgent();
    model.script([
      {
        tools: [
          { name: 'email_search', input: { connection: 'inbox', mailbox: 'Odd' } },
          { name: 'email_read', input: { connection: 'inbox', mailbox: 'Odd', uid: 1 } },
          { name: 'email_search', input: { connection: 'inbox', mailbox: 'Nope' } },
          {
            name: 'calendar_list_events',
            input: {
              connection: 'calendar',
              calendar: 'busy',
              start: '2026-11-10T00:00:00Z',
              end: '2026-11-10T01:00:00Z',
            },
          },
        ],
      },
      { text: 'Read it.' },
    ]);
    const r = await goal(a, 'Read the odd mail and look at the busy calendar.');
    const done = await eventually(
      () => run(a, r, 10),
      (x) => x.status !== 'pending' && x.status !== 'running',
      30_000,
    );
    expect(done.status).toBe('completed');
    const [search, read, missing, listing] = done.tool_calls;
    expect(search).toMatchObject({ status: 'succeeded', output: { total: 1 } });
    expect(search.output.messages[0]).toMatchObject({ subject: 'ab', date: null, from: ['Dana <dana@example.com>'] });
    expect(read).toMatchObject({
      status: 'succeeded',
      output: { subject: 'ab', date: null, from: ['Dana <dana@example.com>'], attachments: [{ filename: 'f.txt' }] },
    });
    // The server's own words, not "[object Object]".
    expect(missing.status).toBe('failed');
    expect(missing.error).toMatch(/Mailbox doesn't exist/);
    expect(missing.error).not.toContain('[object Object]');
    expect(listing).toMatchObject({ status: 'succeeded', output: { calendar: 'busy', truncated: true } });
    expect(listing.output.events).toHaveLength(50);
    expect(listing.output.events[0]).toMatchObject({ uid: 'tick@aos.test', start: '2026-11-10T00:00:00.000Z' });
  });
});

describe('approvals that nobody answers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AOS_APPROVAL_TTL_MS: '600', AOS_WORKER_POLL_MS: '100' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('expire after AOS_APPROVAL_TTL_MS: the run is cancelled, saying which call', async () => {
    const a = (
      await t.request({
        method: 'POST',
        url: '/agents',
        payload: { name: 'slow', planner: 'rule-based', approval: 'always' },
      })
    ).json().id;
    const r = (
      await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: 'remember the eggs' } })
    ).json().run_id;
    const cancelled = await eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${a}/runs/${r}?wait=5` })).json(),
      (x) => x.status === 'cancelled',
      10_000,
    );
    expect(cancelled.error_message).toMatch(/nobody answered the approval of memory_write \(step 0\)/);
    expect(cancelled.tool_calls[0]).toMatchObject({ status: 'expired' });
    const types = (await t.request({ method: 'GET', url: `/agents/${a}/events?limit=100` }))
      .json()
      .items.map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'run.approval.requested',
        'run.waiting_approval',
        'run.approval.expired',
        'run.cancelled',
      ]),
    );
  });
});

describe('secrets, with the service running as a process at LOG_LEVEL=trace', () => {
  let smtp: SmtpTestServer;
  let imap: DovecotTestServer;
  let model: FakeModelServer;
  let database: { name: string; url: string };
  let child: ChildProcess;
  let output = '';

  beforeAll(async () => {
    smtp = new SmtpTestServer();
    imap = new DovecotTestServer();
    model = new FakeModelServer('anthropic');
    await Promise.all([smtp.start(), imap.start(), model.start()]);
    await imap.deliver(MAIL);
    database = await createTestDatabase();
    // The built service (`npm test` builds first), every line it writes kept.
    child = spawn(process.execPath, [resolve(__dirname, '../dist/src/main.js')], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'trace',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: database.url,
        AOS_API_KEY: TEST_API_KEY,
        AOS_SECRET_KEY: TEST_SECRET_KEY,
        ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
        ANTHROPIC_BASE_URL: model.baseUrl,
        AOS_CONNECTION_ALLOW_HOSTS: [smtp.port, imap.port].map((p) => `127.0.0.1:${p}`).join(','),
        AOS_WORKER_POLL_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await Promise.all([smtp?.stop(), imap?.destroy(), model?.stop()]);
    if (database) await dropTestDatabase(database.name);
  });

  it('keeps every secret out of answers, trace logs, provenance, events, errors and the database', async () => {
    const base = (await eventually(
      async () => /AOS listening on (\S+)/.exec(output)?.[1],
      (u) => u !== undefined,
      30_000,
    ))!;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { 'x-aos-key': TEST_API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };
    const bodies: string[] = [];
    const a = JSON.parse((await call('POST', '/agents', { name: 'careful', planner: 'llm' })).text).id as string;
    for (const payload of [
      {
        name: 'outbox',
        kind: 'smtp',
        settings: { host: '127.0.0.1', port: smtp.port, tls: 'none', username: smtp.user, from: 'agent@example.com' },
        secret: smtp.password,
      },
      {
        name: 'inbox',
        kind: 'imap',
        settings: { host: '127.0.0.1', port: imap.port, tls: 'none', username: imap.user },
        secret: imap.password,
      },
      {
        name: 'wrong',
        kind: 'imap',
        settings: { host: '127.0.0.1', port: imap.port, tls: 'none', username: imap.user },
        secret: 'wrong-Secret-55aa01',
      },
    ]) {
      const res = await call('POST', `/agents/${a}/connections`, payload);
      expect(res.status).toBe(201);
      bodies.push(res.text);
      const id = JSON.parse(res.text).id as string;
      bodies.push((await call('POST', `/agents/${a}/connections/${id}/test`)).text);
    }
    model.script([
      { tools: [{ name: 'email_search', input: { connection: 'wrong', limit: 1 } }] },
      { tools: [{ name: 'email_read', input: { connection: 'inbox', uid: 1 } }] },
      {
        tools: [
          {
            name: 'email_send',
            input: { connection: 'outbox', to: ['dana@example.com'], subject: 'Re', text: 'Done.' },
          },
        ],
      },
      { text: 'Replied.' },
    ]);
    const r = JSON.parse((await call('POST', `/agents/${a}/goals`, { goal: 'Answer the newest mail.' })).text)
      .run_id as string;
    const waiting = await eventually(
      async () => JSON.parse((await call('GET', `/agents/${a}/runs/${r}?wait=5`)).text),
      (x) => x.status === 'waiting_approval',
      20_000,
    );
    bodies.push((await call('POST', `/agents/${a}/runs/${r}/approve`, { by: 'dana' })).text);
    const done = await eventually(
      async () => JSON.parse((await call('GET', `/agents/${a}/runs/${r}?wait=5`)).text),
      (x) => x.status === 'completed' || x.status === 'failed',
      20_000,
    );
    expect(done.status).toBe('completed');
    expect(waiting.tool_calls[0]).toMatchObject({ skill_id: 'email_search', status: 'failed' });
    expect(waiting.tool_calls[0].error).toMatch(/AUTHENTICATIONFAILED|Authentication failed|auth/i);
    expect(smtp.received).toHaveLength(1);
    for (const path of [
      `/agents/${a}/runs/${r}`,
      `/agents/${a}/provenance/${r}`,
      `/agents/${a}/events?limit=100`,
      `/agents/${a}/connections`,
      `/agents/${a}/recall?limit=100`,
    ]) {
      bodies.push((await call('GET', path)).text);
    }
    bodies.push(JSON.stringify(model.requests.map((q) => q.body)));
    const dataSource = await new DataSource(
      buildDataSourceOptions({ url: database.url, entities: ALL_ENTITIES, migrationsRun: false }),
    ).initialize();
    try {
      bodies.push(await databaseText(dataSource));
    } finally {
      await dataSource.destroy();
    }
    expect(output.split('\n').length).toBeGreaterThan(50);
    expect(output).toContain('request completed');
    const everything = [...bodies, output].join('\n');
    for (const secret of [smtp.password, imap.password, 'wrong-Secret-55aa01']) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });
});
