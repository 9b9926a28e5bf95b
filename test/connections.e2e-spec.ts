import { randomBytes } from 'node:crypto';
import { databaseText } from './support/database-text';
import { DovecotTestServer } from './support/dovecot-server';
import { RadicaleTestServer } from './support/radicale-server';
import { SmtpTestServer } from './support/smtp-test-server';
import { TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

describe('connections', () => {
  let smtp: SmtpTestServer;
  let imap: DovecotTestServer;
  let caldav: RadicaleTestServer;
  let api: TargetServer;
  /** An origin that redirects to `away`, another origin (by name). */
  let hop: TargetServer;
  let away: TargetServer;
  let t: TestApp;
  const token = `tok-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    smtp = new SmtpTestServer();
    imap = new DovecotTestServer();
    caldav = new RadicaleTestServer();
    api = new TargetServer();
    hop = new TargetServer();
    away = new TargetServer();
    await Promise.all([smtp.start(), imap.start(), caldav.start(), api.start(), hop.start(), away.start()]);
    await caldav.createCalendar('work');
    api.route('/', (req, res) =>
      res.writeHead(req.headers.authorization === `Bearer ${token}` ? 200 : 401).end('hello'),
    );
    t = await startTestApp({
      AOS_CONNECTION_ALLOW_HOSTS: [
        ...[smtp.port, imap.port, caldav.port, api.port, hop.port].map((p) => `127.0.0.1:${p}`),
        `localhost:${away.port}`,
      ].join(','),
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([smtp?.stop(), imap?.destroy(), caldav?.destroy(), api?.stop(), hop?.stop(), away?.stop()]);
  });

  const agent = async () =>
    (await t.request({ method: 'POST', url: '/agents', payload: { name: 'connected' } })).json().id as string;
  const connect = (agentId: string, body: Record<string, unknown>) =>
    t.request({ method: 'POST', url: `/agents/${agentId}/connections`, payload: body });

  it('creates one connection per kind, never returns a secret, and logs in with each (test)', async () => {
    const a = await agent();
    const bodies = {
      smtp: {
        name: 'outbox',
        kind: 'smtp',
        settings: { host: '127.0.0.1', port: smtp.port, tls: 'none', username: smtp.user, from: 'agent@example.com' },
        secret: smtp.password,
      },
      imap: {
        name: 'inbox',
        kind: 'imap',
        settings: { host: '127.0.0.1', port: imap.port, tls: 'none', username: imap.user },
        secret: imap.password,
      },
      caldav: {
        name: 'cal',
        kind: 'caldav',
        settings: { url: caldav.url, username: caldav.user },
        secret: caldav.password,
      },
      http: { name: 'api', kind: 'http', settings: { origin: `http://127.0.0.1:${api.port}` }, secret: token },
    };
    const created: Record<string, any> = {};
    for (const [kind, body] of Object.entries(bodies)) {
      const res = await connect(a, body);
      expect(res.statusCode).toBe(201);
      created[kind] = res.json();
      expect(created[kind]).toMatchObject({ name: body.name, kind, has_secret: true });
      expect(res.body).not.toContain(String(body.secret));
    }
    expect(created.imap.settings).toEqual({
      host: '127.0.0.1',
      port: imap.port,
      tls: 'none',
      username: imap.user,
      mailbox: 'INBOX',
    });
    expect(created.http.settings).toEqual({ origin: `http://127.0.0.1:${api.port}`, auth: 'bearer' });

    const listed = await t.request({ method: 'GET', url: `/agents/${a}/connections` });
    expect(listed.json().items).toHaveLength(4);
    for (const secret of [smtp.password, imap.password, caldav.password, token])
      expect(listed.body).not.toContain(secret);

    const test = async (kind: string) =>
      (await t.request({ method: 'POST', url: `/agents/${a}/connections/${created[kind].id}/test` })).json();
    expect(await test('smtp')).toMatchObject({ ok: true, message: 'the SMTP server accepted the login' });
    expect(await test('imap')).toMatchObject({ ok: true, details: { mailboxes: expect.arrayContaining(['INBOX']) } });
    const cal = await test('caldav');
    expect(cal.ok).toBe(true);
    expect(JSON.stringify(cal.details)).toContain('/alice/work/');
    expect(await test('http')).toMatchObject({ ok: true, details: { status: 200 } });

    // A rotated (wrong) secret: the server's refusal comes back, the secret never does.
    const patched = await t.request({
      method: 'PATCH',
      url: `/agents/${a}/connections/${created.imap.id}`,
      payload: { secret: 'not-the-Password-99' },
    });
    expect(patched.statusCode).toBe(200);
    const refused = await test('imap');
    expect(refused.ok).toBe(false);
    expect(JSON.stringify(refused)).not.toContain('not-the-Password-99');

    // Sealed at rest: no plaintext anywhere in the database.
    const dump = await databaseText(t.dataSource);
    for (const secret of [smtp.password, imap.password, caldav.password, token, 'not-the-Password-99']) {
      expect(dump).not.toContain(secret);
    }
    expect(dump).toMatch(/v1\.[\w-]+\.[\w-]+\.[\w-]+/);
  });

  it('validates settings per kind and refuses private hosts that are not listed', async () => {
    const a = await agent();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'x', kind: 'fax', settings: {}, secret: 's' }, /kind must be one of/],
      [{ name: 'x', kind: 'smtp', settings: { port: 25, from: 'agent@example.com' } }, /settings\.host is required/],
      [
        { name: 'x', kind: 'smtp', settings: { host: 'mail.example.com', port: 70000, from: 'agent@example.com' } },
        /port must not be greater than 65535/,
      ],
      [
        { name: 'x', kind: 'smtp', settings: { host: 'http://mail', from: 'agent@example.com' } },
        /host must be a host name/,
      ],
      [
        { name: 'x', kind: 'smtp', settings: { host: 'mail.example.com', from: 'nobody' } },
        /from must be an email address/,
      ],
      [{ name: 'x', kind: 'imap', settings: { host: 'imap.example.com', username: 'u' } }, /secret is required/],
      [
        { name: 'x', kind: 'imap', settings: { host: 'imap.example.com', username: 'u', extra: 1 }, secret: 's3cret' },
        /settings\.extra should not exist/,
      ],
      [
        { name: 'x', kind: 'caldav', settings: { url: 'ftp://cal', username: 'u' }, secret: 's3cret' },
        /url must be an absolute http/,
      ],
      [
        { name: 'x', kind: 'http', settings: { origin: 'https://api.example.com/v1' }, secret: 't0ken' },
        /origin must be an http\(s\) origin/,
      ],
      [
        { name: 'x', kind: 'http', settings: { origin: 'https://api.example.com', auth: 'headers' }, secret: 'plain' },
        /object of header/,
      ],
      [
        {
          name: 'x',
          kind: 'http',
          settings: { origin: 'https://api.example.com', auth: 'headers' },
          secret: { Host: 'h' },
        },
        /not allowed: Host/,
      ],
      [
        { name: 'bad name!', kind: 'http', settings: { origin: 'https://api.example.com' }, secret: 't' },
        /name must be/,
      ],
      [
        { name: 'x', kind: 'http', settings: { origin: 'https://api.example.com' }, secret: 'line\nbreak' },
        /no line breaks/,
      ],
      [
        { name: 'x', kind: 'http', settings: { origin: 'https://api.example.com' }, secret: ['array'] },
        /secret must be a string or an object/,
      ],
      [
        { name: 'x', kind: 'imap', settings: { host: '10.1.2.3', username: 'u' }, secret: 's3cret' },
        /not a public address.*AOS_CONNECTION_ALLOW_HOSTS/,
      ],
      [
        { name: 'x', kind: 'smtp', settings: { host: '127.0.0.1', port: 2525, from: 'agent@example.com' } },
        /not a public address \(loopback\)/,
      ],
      [
        {
          name: 'x',
          kind: 'caldav',
          settings: { url: 'http://169.254.169.254/dav/', username: 'u' },
          secret: 's3cret',
        },
        /linkLocal/,
      ],
      [
        { name: 'x', kind: 'imap', settings: { host: 'mail.invalid', username: 'u' }, secret: 's3cret' },
        /could not be resolved/,
      ],
      // Odd hosts that look like addresses but are none: a 422, not a crash.
      ...['1:2', 'a:b', '[abc]', '[1.2.3.4]', '::1]'].map((host): [Record<string, unknown>, RegExp] => [
        { name: 'x', kind: 'imap', settings: { host, username: 'u' }, secret: 's3cret' },
        /host must be a host name or IP address/,
      ]),
    ];
    for (const [body, message] of cases) {
      const res = await connect(a, body);
      expect({ status: res.statusCode, body: res.json() }).toMatchObject({ status: 422 });
      expect(res.json().detail).toMatch(message);
    }
    const ok = {
      name: 'api',
      kind: 'http',
      settings: { origin: 'https://api.example.com', auth: 'headers' },
      secret: { 'X-Api-Key': 'k3y-value' },
    };
    // No DNS here: an allowed origin for the sake of this check, by name.
    const headers = await t.request({
      method: 'POST',
      url: `/agents/${a}/connections`,
      payload: { ...ok, settings: { ...ok.settings, origin: `http://127.0.0.1:${api.port}` } },
    });
    expect(headers.statusCode).toBe(201);
    expect(headers.json().settings).toEqual({
      origin: `http://127.0.0.1:${api.port}`,
      auth: 'headers',
      headers: ['X-Api-Key'],
    });
    expect(
      (await connect(a, { ...ok, settings: { ...ok.settings, origin: `http://127.0.0.1:${api.port}` } })).statusCode,
    ).toBe(409);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await connect(unknown, ok)).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: `/agents/${a}/connections/${unknown}` })).statusCode).toBe(404);
    expect(
      (await t.request({ method: 'DELETE', url: `/agents/${a}/connections/${headers.json().id}` })).statusCode,
    ).toBe(204);
    expect(
      (await t.request({ method: 'DELETE', url: `/agents/${a}/connections/${headers.json().id}` })).statusCode,
    ).toBe(404);
  });

  it('keeps the stored secret where it was: a new destination, login or auth form needs the secret again', async () => {
    const a = await agent();
    const imapSettings = { host: '127.0.0.1', port: imap.port, tls: 'none', username: imap.user };
    const created = (
      await connect(a, { name: 'inbox', kind: 'imap', settings: imapSettings, secret: imap.password })
    ).json().id as string;
    const patch = (id: string, payload: Record<string, unknown>) =>
      t.request({ method: 'PATCH', url: `/agents/${a}/connections/${id}`, payload });

    for (const changed of [{ port: smtp.port }, { username: 'mallory' }, { tls: 'starttls' }]) {
      const res = await patch(created, { settings: { ...imapSettings, ...changed } });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toMatch(/secret is required when settings\.\w+ change/);
    }
    // The same destination (the mailbox may change), or a new one with its secret: accepted.
    expect((await patch(created, { settings: { ...imapSettings, mailbox: 'Archive' } })).statusCode).toBe(200);
    expect(
      (await patch(created, { settings: { ...imapSettings, username: 'mallory' }, secret: 'n3w-Secret' })).statusCode,
    ).toBe(200);

    // bearer ⇄ headers: the stored secret never changes form without a new one.
    const origin = `http://127.0.0.1:${api.port}`;
    const bearer = (await connect(a, { name: 'api', kind: 'http', settings: { origin }, secret: token })).json()
      .id as string;
    const switched = await patch(bearer, { settings: { origin, auth: 'headers' } });
    expect(switched.statusCode).toBe(422);
    expect(switched.json().detail).toMatch(/settings\.auth/);
    expect(JSON.stringify(switched.json())).not.toContain(token.slice(0, 10));
  });

  it('sends no credential header to another origin on a redirect', async () => {
    const a = await agent();
    const seen: Record<string, string | undefined>[] = [];
    away.route('/landing', (req, res) => {
      seen.push({ key: req.headers['x-api-key'] as string | undefined, auth: req.headers.authorization });
      res.writeHead(200).end('ok');
    });
    hop.route('/', (_req, res) => res.writeHead(302, { location: away.url('/landing', 'localhost') }).end());
    const res = await connect(a, {
      name: 'keyed',
      kind: 'http',
      settings: { origin: `http://127.0.0.1:${hop.port}`, auth: 'headers' },
      secret: { 'X-Api-Key': 'k3y-that-must-stay', Authorization: 'Token also-secret' },
    });
    expect(res.statusCode).toBe(201);
    const tested = await t.request({ method: 'POST', url: `/agents/${a}/connections/${res.json().id}/test` });
    expect(tested.json()).toMatchObject({ ok: true });
    expect(seen).toEqual([{ key: undefined, auth: undefined }]);
  });

  it('refuses to start with a key that does not open the stored secrets; rotates with the previous key', async () => {
    const a = await agent();
    const created = await connect(a, {
      name: 'cal',
      kind: 'caldav',
      settings: { url: caldav.url, username: caldav.user },
      secret: caldav.password,
    });
    expect(created.statusCode).toBe(201);
    const oldKey = t.server.config.secrets.key!.toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const allow = { AOS_CONNECTION_ALLOW_HOSTS: `127.0.0.1:${caldav.port}` };

    await expect(startTestApp({ ...allow, AOS_SECRET_KEY: newKey }, t)).rejects.toThrow(
      // Whichever sealed store is checked first: the token signing keys are sealed with it too.
      /AOS_SECRET_KEY does not open the stored (connection secrets|token signing keys).*AOS_SECRET_KEY_PREVIOUS/,
    );
    await expect(startTestApp({ ...allow, AOS_SECRET_KEY: 'too-short' }, t)).rejects.toThrow(
      /AOS_SECRET_KEY must be 32 random bytes in base64/,
    );

    // Rotation: the new key, the old one as previous; every secret is sealed again with the new key.
    const rotated = await startTestApp({ ...allow, AOS_SECRET_KEY: newKey, AOS_SECRET_KEY_PREVIOUS: oldKey }, t);
    await rotated.close();
    const keyIds = await t.dataSource.query<{ secret_key_id: string }[]>(
      'SELECT DISTINCT secret_key_id FROM connections',
    );
    expect(keyIds).toHaveLength(1);
    // The token signing keys too, under the same key as the connections.
    const signing = await t.dataSource.query<{ private_key_id: string }[]>(
      'SELECT DISTINCT private_key_id FROM signing_keys',
    );
    expect(signing).toEqual([{ private_key_id: keyIds[0].secret_key_id }]);
    // Now the new key alone opens them, and the old one alone no longer does.
    const after = await startTestApp({ ...allow, AOS_SECRET_KEY: newKey }, t);
    try {
      const res = await after.request({ method: 'POST', url: `/agents/${a}/connections/${created.json().id}/test` });
      expect(res.json()).toMatchObject({ ok: true });
    } finally {
      await after.close();
    }
    await expect(startTestApp({ ...allow, AOS_SECRET_KEY: oldKey }, t)).rejects.toThrow(/does not open/);
  });
});
