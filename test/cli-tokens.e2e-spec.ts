import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertClientBuilt, CLI_PATH, run, type CliResult } from './support/cli';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A JWT's header and claims, unverified (the server verifies; the test reads what it says). */
function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, claims };
}

describe('aos token, limits, usage and signing keys against a running server', () => {
  let t: TestApp;
  let url: string;
  let home: string;
  let tenant: { id: string; slug: string };
  let adminKey: string;

  beforeAll(async () => {
    assertClientBuilt();
    home = mkdtempSync(join(tmpdir(), 'aos-cli-tokens-'));
    t = await startTestApp({ HOST: '127.0.0.1', PORT: '0' });
    url = await t.server.listen();
    tenant = json(await aos(['tenants', 'create', 'tokens', '--name', 'Tokens Inc', '--json'], operator()));
    adminKey = json<{ key: string }>(
      await aos(['keys', 'create', '--tenant', 'tokens', '--name', 'admin', '--scopes', 'admin', '--json'], operator()),
    ).key;
  });
  afterAll(async () => {
    await t?.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** The CLI with only the environment given, and no saved login unless the test names one. */
  const aos = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [CLI_PATH, ...args], {
      env: { HOME: home, AOS_CONFIG: join(home, 'none.json'), ...env },
    });
  const json = <T = Record<string, unknown>>(res: CliResult): T => {
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(res.stdout) as T;
  };
  const operator = () => ({ AOS_URL: url, AOS_API_KEY: TEST_API_KEY });
  const admin = () => ({ AOS_URL: url, AOS_API_KEY: adminKey });
  const jwks = async () =>
    (await t.request({ method: 'GET', url: '/.well-known/jwks.json', auth: false })).json<{
      keys: { kid: string }[];
    }>();

  it('aos token prints an access token alone, and it works as a Bearer on GET /tenant', async () => {
    const res = await aos(['token'], admin());
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/\n$/);
    expect(res.stdout.split('\n')).toHaveLength(2);
    const token = res.stdout.trim();
    expect(token).toMatch(JWT);
    expect(res.stdout).not.toContain(adminKey);
    const { header, claims } = decodeJwt(token);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
    expect(claims).toMatchObject({ tenant: tenant.id, scope: 'admin' });

    const own = await t.request({
      method: 'GET',
      url: '/tenant',
      auth: false,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: tenant.id, slug: 'tokens' });

    // As the README spells it, through a shell and curl.
    const curl = await run(
      'sh',
      ['-c', `curl -s -H "Authorization: Bearer $("${process.execPath}" "${CLI_PATH}" token)" "$AOS_URL/tenant"`],
      { env: { ...admin(), HOME: home, AOS_CONFIG: join(home, 'none.json') } },
    );
    expect(curl.code).toBe(0);
    expect(JSON.parse(curl.stdout)).toMatchObject({ id: tenant.id, slug: 'tokens' });
  });

  it('aos token takes the saved login; --json is the whole answer; the operator key and no key are refused', async () => {
    const config = join(home, 'admin.json');
    expect((await aos(['login', '--url', url, '--key', adminKey], { AOS_CONFIG: config })).code).toBe(0);
    const saved = await aos(['token'], { AOS_CONFIG: config });
    expect(saved).toMatchObject({ code: 0, stderr: '' });
    expect(saved.stdout.trim()).toMatch(JWT);

    const grant = json<Record<string, unknown>>(await aos(['token', '--json'], admin()));
    expect(grant).toEqual({
      access_token: expect.stringMatching(JWT),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.stringMatching(/^aosr_/),
      refresh_token_expires_in: expect.any(Number),
      scope: 'admin',
    });

    const refused = await aos(['token'], operator());
    expect(refused).toEqual({
      code: 8,
      stdout: '',
      stderr: 'error: 400 only tenant API keys are exchanged for tokens; send the operator key as it is\n',
    });
    const wrong = await aos(['token'], { AOS_URL: url, AOS_API_KEY: 'aos_abcdefghijkl_' + 'x'.repeat(43) });
    expect(wrong).toMatchObject({ code: 8, stdout: '' });
    expect(wrong.stderr).toMatch(/^error: 400 /);
    expect(wrong.stderr).not.toContain('x'.repeat(43));
    const none = await aos(['token'], { AOS_URL: url });
    expect(none).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: give the tenant key with --key, AOS_API_KEY or aos login\n',
    });
  });

  it('limits set with aos tenants limits show in aos tenant; none removes one', async () => {
    const set = await aos(
      [
        'tenants',
        'limits',
        'tokens',
        '--agents',
        '5',
        '--runs-in-flight',
        '2',
        '--model-tokens-per-day',
        '100000',
        '--on-token-limit',
        'wait',
        '--requests-per-minute',
        '600',
      ],
      operator(),
    );
    const all = 'agents 5, runs in flight 2, model tokens per day 100000, on token limit wait, requests per minute 600';
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(new RegExp(`^limits: +${all}$`, 'm'));

    const shown = await aos(['tenant'], admin());
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(new RegExp(`^slug: +tokens\\n(.*\\n)*limits: +${all}\\n`, 'm'));

    const removed = json<{ limits: Record<string, unknown> }>(
      await aos(
        ['tenants', 'limits', 'tokens', '--model-tokens-per-day', 'none', '--agents', '6', '--json'],
        operator(),
      ),
    );
    expect(removed.limits).toEqual({ agents: 6, runs_in_flight: 2, on_token_limit: 'wait', requests_per_minute: 600 });
    expect(json<{ limits: unknown }>(await aos(['tenant', '--json'], admin())).limits).toEqual(removed.limits);
    // Without an option it only shows them.
    const only = await aos(['tenants', 'limits', 'tokens'], operator());
    expect(only.stdout).toMatch(/^limits: +agents 6, runs in flight 2, on token limit wait, requests per minute 600$/m);

    const bad = await aos(['tenants', 'limits', 'tokens', '--agents', 'many'], operator());
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/--agents <n>.*or none/);
    // The tenant's own admin may read its limits, not change them.
    const forbidden = await aos(['tenants', 'limits', 'tokens', '--agents', '100'], admin());
    expect(forbidden.code).toBe(8);
    expect(forbidden.stderr).toMatch(/^error: 403 /);
  });

  it('aos usage prints the own tenant’s usage; aos tenants usage the same for the operator', async () => {
    const agent = json<{ id: string }>(
      await aos(['agents', 'create', 'counter', '--planner', 'rule-based', '--json'], admin()),
    );
    const goal = await aos(['goal', agent.id, 'remember that usage is counted', '--wait', '--json'], admin());
    expect(goal.code).toBe(0);
    const today = new Date().toISOString().slice(0, 10);

    const usage = await aos(['usage'], admin());
    expect(usage).toMatchObject({ code: 0, stderr: '' });
    expect(usage.stdout).toMatch(new RegExp(`^tenant: +${tenant.id}$`, 'm'));
    expect(usage.stdout).toMatch(/^day +model tokens +model calls +runs$/m);
    expect(usage.stdout).toMatch(new RegExp(`^${today} +0 +0 +completed 1$`, 'm'));

    const mine = json<{ tenant_id: string; to: string; days: unknown[] }>(
      await aos(['usage', '--from', today, '--to', today, '--json'], admin()),
    );
    expect(mine).toEqual({
      tenant_id: tenant.id,
      from: today,
      to: today,
      days: [{ day: today, model_tokens: 0, models: [], runs: { completed: 1 } }],
    });
    expect(
      json(await aos(['tenants', 'usage', 'tokens', '--from', today, '--to', today, '--json'], operator())),
    ).toEqual(mine);
    const empty = await aos(['tenants', 'usage', 'tokens', '--from', '2020-01-01', '--to', '2020-01-31'], operator());
    expect(empty.stdout).toMatch(/no model calls and no runs on these days\n$/);
    expect((await aos(['usage', '--from', 'yesterday'], admin())).code).toBe(2);
    const backwards = await aos(['usage', '--from', today, '--to', '2020-01-01'], admin());
    expect(backwards.code).toBe(8);
  });

  it('aos keys rotate-signing changes the kid in /.well-known/jwks.json and in new tokens', async () => {
    const before = json<{ access_token: string }>(await aos(['token', '--json'], admin())).access_token;
    const oldKid = decodeJwt(before).header.kid as string;
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([oldKid]);

    const refused = await aos(['keys', 'rotate-signing'], admin());
    expect(refused.code).toBe(8);
    expect(refused.stderr).toMatch(/^error: 403 /);

    const rotated = await aos(['keys', 'rotate-signing'], operator());
    expect(rotated.code).toBe(0);
    const kid = /^kid: +(\S+)$/m.exec(rotated.stdout)![1];
    expect(kid).not.toBe(oldKid);
    expect(rotated.stdout).toMatch(/^alg: +EdDSA$/m);
    const kids = (await jwks()).keys.map((k) => k.kid);
    expect(kids).toContain(kid);
    expect(kids).toContain(oldKid);

    const after = (await aos(['token'], admin())).stdout.trim();
    expect(decodeJwt(after).header.kid).toBe(kid);
    // The old key's token verifies until it expires.
    for (const token of [before, after]) {
      const res = await t.request({
        method: 'GET',
        url: '/tenant',
        auth: false,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(200);
    }

    const list = await aos(['keys', 'signing'], operator());
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^kid +alg +created +state$/m);
    expect(list.stdout).toMatch(new RegExp(`^${kid} +EdDSA +\\S+ +signs$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${oldKid} +EdDSA +\\S+ +retired \\S+$`, 'm'));
    const listed = json<{ items: { kid: string; retired_at: string | null }[] }>(
      await aos(['keys', 'signing', '--json'], operator()),
    );
    expect(listed.items.find((k) => k.kid === kid)?.retired_at).toBeNull();
  });
});
