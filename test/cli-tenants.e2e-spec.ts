import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertClientBuilt, CLI_PATH, run } from './support/cli';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

const TENANT_KEY = /^aos_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/;

describe('aos login, tenants and keys against a running server', () => {
  let t: TestApp;
  let url: string;
  /** A home of the tests' own: nothing is read from or saved to the developer's. */
  let home: string;

  beforeAll(async () => {
    assertClientBuilt();
    home = mkdtempSync(join(tmpdir(), 'aos-cli-home-'));
    t = await startTestApp({ HOST: '127.0.0.1', PORT: '0' });
    url = await t.server.listen();
  });
  afterAll(async () => {
    await t?.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** The CLI with only the environment given: no AOS_URL or AOS_API_KEY unless the test sets them. */
  const aos = (args: string[], env: Record<string, string> = {}, input?: string) =>
    run(process.execPath, [CLI_PATH, ...args], { env: { HOME: home, ...env }, input });
  const json = <T = Record<string, unknown>>(res: { code: number | null; stdout: string; stderr: string }): T => {
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(res.stdout) as T;
  };
  const operator = () => ({ AOS_URL: url, AOS_API_KEY: TEST_API_KEY });
  const detailOf = async (key: string) =>
    (await t.request({ method: 'GET', url: '/agents', headers: { 'x-aos-key': key } })).json().detail as string;

  it('login checks the key, then saves URL, key and tenant in a 0600 file that later commands use', async () => {
    const config = join(home, '.config', 'aos', 'config.json');
    const wrong = await aos(['login', '--url', url, '--key', 'not-the-key']);
    expect(wrong).toEqual({ code: 8, stdout: '', stderr: `error: 401 ${await detailOf('not-the-key')}\n` });
    expect(existsSync(config)).toBe(false);

    const login = await aos(['login', '--url', url, '--key', TEST_API_KEY]);
    expect(login.code).toBe(0);
    expect(login.stdout).toBe(`logged in to ${url}\n`);
    expect(login.stderr).toContain(config);
    expect(login.stdout + login.stderr).not.toContain(TEST_API_KEY);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.config', 'aos')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ url, key: TEST_API_KEY });

    // No flag, no variable: the saved login.
    const agent = json<{ id: string }>(await aos(['agents', 'create', 'saved', '--planner', 'rule-based', '--json']));
    expect(json<{ items: { id: string }[] }>(await aos(['agents', 'list', '--json'])).items.map((a) => a.id)).toContain(
      agent.id,
    );

    // XDG_CONFIG_HOME and AOS_CONFIG move the file; --json says where it went.
    const xdg = join(home, 'xdg');
    const saved = json(await aos(['login', '--url', url, '--key', TEST_API_KEY, '--json'], { XDG_CONFIG_HOME: xdg }));
    expect(saved).toEqual({ url, tenant: null, config: join(xdg, 'aos', 'config.json') });
    const elsewhere = join(home, 'elsewhere.json');
    const piped = await aos(['login', '--url', url, '--key-stdin'], { AOS_CONFIG: elsewhere }, `${TEST_API_KEY}\n`);
    expect(piped.code).toBe(0);
    expect(JSON.parse(readFileSync(elsewhere, 'utf8'))).toEqual({ url, key: TEST_API_KEY });
    expect(statSync(elsewhere).mode & 0o777).toBe(0o600);

    // logout removes it; then nothing is sent, and the server says what is missing.
    expect(await aos(['logout'])).toEqual({ code: 0, stdout: `removed ${config}\n`, stderr: '' });
    expect(existsSync(config)).toBe(false);
    const missing = await aos(['agents', 'list', '--url', url]);
    expect(missing).toEqual({ code: 8, stdout: '', stderr: `error: 401 ${await detailOf('')}\n` });
    expect((await aos(['logout'])).stdout).toBe(`not logged in (no ${config})\n`);
  });

  it('the operator creates and manages tenants; --tenant and AOS_TENANT make it act in one', async () => {
    const env = operator();
    const acme = json<{ id: string; slug: string }>(
      await aos(['tenants', 'create', 'acme', '--name', 'Acme Corp', '--json'], env),
    );
    expect(acme).toMatchObject({ slug: 'acme', name: 'Acme Corp', status: 'active' });
    expect((await aos(['tenants', 'list'], env)).stdout).toMatch(/^id +slug +name +status +created\n/);
    expect((await aos(['tenants', 'list'], env)).stdout).toMatch(/ acme +Acme Corp +active /);
    expect((await aos(['tenants', 'show', 'acme'], env)).stdout).toMatch(
      new RegExp(`^id: +${acme.id}\\nslug: +acme\\n`),
    );
    const renamed = json(await aos(['tenants', 'update', acme.id, '--name', 'Acme Inc', '--json'], env));
    expect(renamed).toMatchObject({ id: acme.id, name: 'Acme Inc' });
    expect((await aos(['tenants', 'update', 'acme'], env)).code).toBe(2);
    const taken = await aos(['tenants', 'create', 'acme', '--name', 'Again'], env);
    expect(taken.code).toBe(8);
    expect(taken.stderr).toMatch(/^error: 409 /);

    // An agent made in acme is not in default's list, and is in acme's.
    const inAcme = json<{ id: string }>(
      await aos(['agents', 'create', 'acme-agent', '--planner', 'rule-based', '--tenant', 'acme', '--json'], env),
    );
    const ids = async (extra: string[], more: Record<string, string> = {}) =>
      json<{ items: { id: string }[] }>(
        await aos(['agents', 'list', '--json', ...extra], { ...env, ...more }),
      ).items.map((a) => a.id);
    expect(await ids([])).not.toContain(inAcme.id);
    expect(await ids(['--tenant', 'acme'])).toEqual([inAcme.id]);
    expect(await ids([], { AOS_TENANT: acme.id })).toEqual([inAcme.id]);
    expect(json<{ slug: string }>(await aos(['tenant', '--tenant', 'acme', '--json'], env)).slug).toBe('acme');
    // A login saves the tenant too: later commands act in it with no flag at all.
    const config = join(home, 'operator-in-acme.json');
    const login = await aos(['login', '--tenant', 'acme'], { ...env, AOS_CONFIG: config });
    expect(login).toMatchObject({ code: 0, stdout: `logged in to ${url} in tenant acme\n` });
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ url, key: TEST_API_KEY, tenant: 'acme' });
    expect(statSync(config).mode & 0o777).toBe(0o600);
    const saved = await aos(['agents', 'list', '--json'], { AOS_CONFIG: config });
    expect(json<{ items: { id: string }[] }>(saved).items.map((a) => a.id)).toEqual([inAcme.id]);
    // Tenant routes name theirs in the path: the saved tenant is not sent to them.
    expect((await aos(['tenants', 'list'], { AOS_CONFIG: config })).code).toBe(0);
    const nowhere = await aos(['agents', 'list', '--tenant', 'nowhere'], env);
    expect(nowhere).toEqual({ code: 8, stdout: '', stderr: 'error: 404 Tenant nowhere not found\n' });

    // Deleting: refused while it has agents, unless --cascade.
    expect((await aos(['tenants', 'create', 'doomed', '--name', 'Doomed'], env)).code).toBe(0);
    expect((await aos(['agents', 'create', 'doomed-agent', '--tenant', 'doomed'], env)).code).toBe(0);
    const refused = await aos(['tenants', 'delete', 'doomed'], env);
    expect(refused.code).toBe(8);
    expect(refused.stderr).toMatch(/^error: 409 /);
    expect(json(await aos(['tenants', 'delete', 'doomed', '--cascade', '--json'], env))).toEqual({ deleted: 'doomed' });
    expect((await aos(['tenants', 'show', 'doomed'], env)).code).toBe(8);
  });

  it('an admin key, logged in, manages the keys of its own tenant; a revoked key is refused (401, exit 8)', async () => {
    const env = operator();
    await aos(['tenants', 'create', 'globex', '--name', 'Globex'], env);
    // The operator must name the tenant whose keys it mints.
    const unnamed = await aos(['keys', 'create', '--name', 'admin', '--scopes', 'admin'], env);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toMatch(/^error: give --tenant/);
    const minted = await aos(['keys', 'create', '--name', 'admin', '--scopes', 'admin', '--tenant', 'globex'], env);
    expect(minted.code).toBe(0);
    const adminKey = /^key: +(\S+)$/m.exec(minted.stdout)![1];
    expect(adminKey).toMatch(TENANT_KEY);
    expect(minted.stdout).toMatch(/^scopes: +admin$/m);
    expect(minted.stderr).toMatch(/store the key now: it is not shown again/);

    const config = join(home, 'globex.json');
    const as = (args: string[]) => aos(args, { AOS_CONFIG: config });
    expect((await aos(['login', '--url', url, '--key', adminKey], { AOS_CONFIG: config })).code).toBe(0);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ url, key: adminKey });
    const own = json<{ id: string; slug: string }>(await as(['tenant', '--json']));
    expect(own.slug).toBe('globex');

    const reader = json<{ id: string; key: string; tenant_id: string; scopes: string[] }>(
      await as(['keys', 'create', '--name', 'reader', '--scopes', 'read', '--expires-at', '2099-01-01', '--json']),
    );
    expect(reader).toMatchObject({ tenant_id: own.id, scopes: ['read'], expires_at: '2099-01-01T00:00:00.000Z' });
    expect(reader.key).toMatch(TENANT_KEY);
    const list = await as(['keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^id +name +key +scopes +created by +created +expires +last used\n/);
    expect(list.stdout).toMatch(new RegExp(`\\n${reader.id} +reader +aos_${reader.key.slice(4, 16)}_… +read +key `));
    expect(list.stdout).not.toContain(reader.key);
    expect(list.stdout).not.toContain(adminKey);
    // Its own tenant by name is fine; another tenant is answered as if it did not exist.
    expect((await as(['keys', 'list', '--tenant', 'globex', '--json'])).code).toBe(0);
    const elsewhere = await as(['keys', 'list', '--tenant', 'acme']);
    expect(elsewhere).toEqual({ code: 8, stdout: '', stderr: 'error: 404 Tenant acme not found\n' });

    // The reader may read, not manage keys.
    const readerEnv = { AOS_URL: url, AOS_API_KEY: reader.key };
    expect((await aos(['agents', 'list'], readerEnv)).code).toBe(0);
    const forbidden = await aos(['keys', 'list'], readerEnv);
    expect(forbidden.code).toBe(8);
    expect(forbidden.stderr).toMatch(/^error: 403 /);

    expect(await as(['keys', 'revoke', reader.id])).toEqual({
      code: 0,
      stdout: `revoked key ${reader.id}\n`,
      stderr: '',
    });
    const revoked = await aos(['agents', 'list'], readerEnv);
    expect(revoked).toEqual({ code: 8, stdout: '', stderr: `error: 401 ${await detailOf(reader.key)}\n` });
    expect(revoked.stderr).toBe('error: 401 Invalid API key\n');
    expect(
      json<{ items: { id: string }[] }>(await as(['keys', 'list', '--json'])).items.map((k) => k.id),
    ).not.toContain(reader.id);
  });

  it('sends a saved key only to the server it was saved for', async () => {
    const config = join(home, 'only-there.json');
    expect((await aos(['login', '--url', url, '--key', TEST_API_KEY], { AOS_CONFIG: config })).code).toBe(0);
    const heard: IncomingHttpHeaders[] = [];
    const other: Server = createServer((req, res) => {
      heard.push(req.headers);
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"detail":"who are you"}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const port = (other.address() as { port: number }).port;
      const res = await aos(['agents', 'list', '--url', `http://127.0.0.1:${port}`], { AOS_CONFIG: config });
      expect(res).toEqual({ code: 8, stdout: '', stderr: 'error: 401 who are you\n' });
      expect(heard).toHaveLength(1);
      expect(heard[0]['x-aos-key']).toBeUndefined();
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
    // The same server however spelled (a trailing slash) still gets it.
    expect((await aos(['agents', 'list', '--url', `${url}/`], { AOS_CONFIG: config })).code).toBe(0);
  });

  it('refuses a bad --tenant, or a saved login that would put a secret in its messages: exit 2, no secret', async () => {
    const config = join(home, 'broken.json');
    // Given on the command line (the saved login is not read) ...
    const given: [string[], Record<string, string>][] = [
      [['--tenant', 'acme\nSECRET', 'agents', 'list'], {}],
      [['agents', 'list'], { AOS_TENANT: 'a b SECRET' }],
      [['login', '--key', 'SECRET\nKEY'], {}],
    ];
    // ... or saved: a file `aos login` did not write.
    const saved = [
      'SECRET not json',
      JSON.stringify({ url, key: 'SECRET\nKEY' }),
      JSON.stringify({ url: 'http://sam:SECRET@127.0.0.1:1', key: 'k' }),
      JSON.stringify({ url, key: TEST_API_KEY, tenant: 'SECRET\n' }),
    ];
    const results = [
      ...(await Promise.all(given.map(([args, env]) => aos(args, { ...operator(), AOS_CONFIG: config, ...env })))),
    ];
    for (const text of saved) {
      writeFileSync(config, text, { mode: 0o600 });
      results.push(await aos(['agents', 'list'], { AOS_CONFIG: config }));
    }
    for (const [i, res] of results.entries()) {
      expect({ i, code: res.code, stdout: res.stdout }).toEqual({ i, code: 2, stdout: '' });
      expect(res.stderr).toMatch(/^error: [^\n]+\n$/);
      expect(res.stderr).not.toContain('SECRET');
    }
  });
});
