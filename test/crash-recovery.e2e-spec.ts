import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { FakeModelServer } from './support/fake-models';
import { eventually, TargetServer } from './support/target-server';
import { TEST_API_KEY } from './support/test-app';
import { createTestDatabase, dropTestDatabase } from './support/test-database';

const MAIN = resolve(__dirname, '../dist/src/main.js');

/** The built service as a child process, so that it can be killed like a crashed server. */
async function startInstance(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: '0',
      AOS_API_KEY: TEST_API_KEY,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  return new Promise((resolveStart, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+) /.exec(output);
      if (match) resolveStart({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}: ${output}`)));
  });
}

describe('crash recovery', () => {
  let target: TargetServer;
  let database: { name: string; url: string };
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    target = await new TargetServer().start();
    database = await createTestDatabase('aos_crash');
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await target.stop();
    await dropTestDatabase(database.name);
  });

  it('a run whose process was killed mid-run is picked up by a new process and completes, finished calls not repeated', async () => {
    target.text('/fast', 'fast answer');
    // The first call hangs (the process is killed while it waits); the call made after recovery answers.
    target.route('/slow', (_req, res, hit) => {
      if (hit > 1) res.writeHead(200, { 'content-type': 'text/plain' }).end('slow answer');
    });
    const env = {
      DATABASE_URL: database.url,
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_RUN_LEASE_MS: '2000',
      AOS_HTTP_TIMEOUT_MS: '20000',
    };
    const first = await startInstance(env);
    children.push(first.child);
    const headers = { 'content-type': 'application/json', 'x-aos-key': TEST_API_KEY };
    const agent = (await (
      await fetch(`${first.url}/agents`, { method: 'POST', headers, body: JSON.stringify({ name: 'survivor' }) })
    ).json()) as { id: string };
    const accepted = await fetch(`${first.url}/agents/${agent.id}/goals`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ goal: `first ${target.url('/fast')} then ${target.url('/slow')}` }),
    });
    expect(accepted.status).toBe(202);
    const { run_id } = (await accepted.json()) as { run_id: string };

    await eventually(
      async () => target.count('/slow'),
      (n) => n === 1,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startInstance(env);
    children.push(second.child);
    const run = await eventually(
      async () =>
        (await (await fetch(`${second.url}/agents/${agent.id}/runs/${run_id}`, { headers })).json()) as {
          status: string;
          attempts: number;
          tool_calls: { skill_id: string; status: string; attempts: number }[];
        },
      (r) => r.status === 'completed' || r.status === 'failed' || r.status === 'partial',
      30_000,
    );
    expect(run.status).toBe('completed');
    expect(run.attempts).toBe(2);
    expect(target.count('/fast')).toBe(1); // finished before the crash: its recorded output was reused
    expect(target.count('/slow')).toBe(2); // interrupted GET: idempotent, so it ran again
    expect(run.tool_calls.map((c) => [c.skill_id, c.status, c.attempts])).toEqual([
      ['memory_write', 'succeeded', 1],
      ['http_call', 'succeeded', 1],
      ['http_call', 'succeeded', 2],
    ]);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });
});

describe('crash recovery of the agent loop', () => {
  let target: TargetServer;
  let anthropic: FakeModelServer;
  let database: { name: string; url: string };
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    target = await new TargetServer().start();
    anthropic = await new FakeModelServer('anthropic').start();
    database = await createTestDatabase('aos_crash_loop');
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await target.stop();
    await anthropic.stop();
    await dropTestDatabase(database.name);
  });

  const env = () => ({
    DATABASE_URL: database.url,
    AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
    AOS_RUN_LEASE_MS: '2000',
    AOS_HTTP_TIMEOUT_MS: '20000',
    ANTHROPIC_API_KEY: 'test-key',
    ANTHROPIC_BASE_URL: anthropic.baseUrl,
  });
  const headers = { 'content-type': 'application/json', 'x-aos-key': TEST_API_KEY };

  async function submit(url: string, goal: string): Promise<{ agentId: string; runId: string }> {
    const agent = (await (
      await fetch(`${url}/agents`, { method: 'POST', headers, body: JSON.stringify({ name: 'mind' }) })
    ).json()) as { id: string; planner: string };
    expect(agent.planner).toBe('llm');
    const accepted = (await (
      await fetch(`${url}/agents/${agent.id}/goals`, { method: 'POST', headers, body: JSON.stringify({ goal }) })
    ).json()) as { run_id: string };
    return { agentId: agent.id, runId: accepted.run_id };
  }

  async function finishedRun(url: string, agentId: string, runId: string) {
    return eventually(
      async () =>
        (await (await fetch(`${url}/agents/${agentId}/runs/${runId}`, { headers })).json()) as {
          status: string;
          attempts: number;
          result: string | null;
          model_calls: { index: number; attempts: number; status: string }[];
          tool_calls: { skill_id: string; status: string; attempts: number }[];
        },
      (r) => !['pending', 'running'].includes(r.status),
      30_000,
    );
  }

  it('killed during a tool call: completed model calls are not requested again, finished tool calls not repeated', async () => {
    anthropic.reset();
    target.route('/hang-once', (_req, res, hit) => {
      if (hit > 1) res.writeHead(200, { 'content-type': 'text/plain' }).end('answered at last');
    });
    anthropic.script([
      {
        tools: [
          { name: 'memory_write', input: { memory_type: 'context', text: 'started the slow lookup' } },
          { name: 'http_call', input: { url: target.url('/hang-once') } },
        ],
      },
      { text: 'The lookup answered at last.' },
    ]);
    const first = await startInstance(env());
    children.push(first.child);
    const { agentId, runId } = await submit(first.url, 'Look it up');
    await eventually(
      async () => target.count('/hang-once'),
      (n) => n === 1,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startInstance(env());
    children.push(second.child);
    const run = await finishedRun(second.url, agentId, runId);
    expect(run.status).toBe('completed');
    expect(run.result).toBe('The lookup answered at last.');
    expect(run.attempts).toBe(2);
    // The fake counts what it answered: each turn once, so model call 0 was replayed from the record.
    expect(anthropic.answeredTurns()).toEqual([0, 1]);
    expect(run.model_calls.map((c) => [c.index, c.status, c.attempts])).toEqual([
      [0, 'succeeded', 1],
      [1, 'succeeded', 1],
    ]);
    // memory_write finished before the crash: reused. The GET was interrupted: idempotent, so repeated.
    expect(run.tool_calls.map((c) => [c.skill_id, c.status, c.attempts])).toEqual([
      ['memory_write', 'succeeded', 1],
      ['http_call', 'succeeded', 2],
    ]);
    expect(target.count('/hang-once')).toBe(2);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });

  it('killed while a model call is in flight: that call is made again, the earlier ones are not', async () => {
    anthropic.reset();
    anthropic.script(
      [{ tools: [{ name: 'memory_write', input: { memory_type: 'context', text: 'one' } }] }, { text: 'Done.' }],
      (request, attempt) => (request.turn === 1 && attempt === 1 ? 'hang' : undefined),
    );
    const first = await startInstance(env());
    children.push(first.child);
    const { agentId, runId } = await submit(first.url, 'Write one thing');
    await eventually(
      async () => anthropic.requests.filter((r) => r.turn === 1).length,
      (n) => n === 1,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startInstance(env());
    children.push(second.child);
    const run = await finishedRun(second.url, agentId, runId);
    expect(run.status).toBe('completed');
    expect(anthropic.answeredTurns()).toEqual([0, 1]);
    expect(anthropic.requests.map((r) => r.turn)).toEqual([0, 1, 1]);
    expect(run.model_calls.map((c) => [c.index, c.attempts])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(run.tool_calls.map((c) => c.attempts)).toEqual([1]);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });

  it('a model-live replay killed mid-run resumes from its own record: served calls stay served, answered turns are not asked again', async () => {
    anthropic.reset();
    const turns = [
      { tools: [{ name: 'memory_write', input: { memory_type: 'context', text: 'replayed fact' } }] },
      { text: 'Noted.' },
    ];
    // The replay's own turn 1 (the second request for turn 1 in all) hangs once.
    anthropic.script(turns, (request, attempt) => (request.turn === 1 && attempt === 2 ? 'hang' : undefined));
    const first = await startInstance(env());
    children.push(first.child);
    const { agentId, runId } = await submit(first.url, 'Note the fact');
    const original = await finishedRun(first.url, agentId, runId);
    expect(original.status).toBe('completed');
    const replay = (await (
      await fetch(`${first.url}/agents/${agentId}/runs/${runId}/replay`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ mode: 'model_live' }),
      })
    ).json()) as { run_id: string };
    await eventually(
      async () => anthropic.requests.filter((r) => r.turn === 1).length,
      (n) => n === 2,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startInstance(env());
    children.push(second.child);
    const run = (await finishedRun(second.url, agentId, replay.run_id)) as unknown as {
      status: string;
      result: string | null;
      attempts: number;
      replay_of: string;
      tool_calls: { skill_id: string; status: string; replayed_from: string | null }[];
    };
    expect(run).toMatchObject({ status: 'completed', result: 'Noted.', replay_of: runId, attempts: 2 });
    // Original: turns 0 and 1; the replay: 0, then 1 (hung, killed), then 1 again on the new instance.
    expect(anthropic.requests.map((r) => r.turn)).toEqual([0, 1, 0, 1, 1]);
    expect(run.tool_calls.map((c) => [c.skill_id, c.status, c.replayed_from !== null])).toEqual([
      ['memory_write', 'succeeded', true],
    ]);
    // The served memory_write wrote nothing: the agent holds the original's memory once.
    const memories = (await (await fetch(`${second.url}/agents/${agentId}/recall?limit=100`, { headers })).json()) as {
      items: { text: string }[];
    };
    expect(memories.items.filter((m) => m.text === 'replayed fact')).toHaveLength(1);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });
});

describe('graceful shutdown', () => {
  let target: TargetServer;
  let database: { name: string; url: string };

  beforeAll(async () => {
    target = await new TargetServer().start();
    database = await createTestDatabase('aos_drain');
  });
  afterAll(async () => {
    await target.stop();
    await dropTestDatabase(database.name);
  });

  async function submitTo(url: string, goal: string) {
    const headers = { 'content-type': 'application/json', 'x-aos-key': TEST_API_KEY };
    const agent = (await (
      await fetch(`${url}/agents`, { method: 'POST', headers, body: JSON.stringify({ name: 'drain' }) })
    ).json()) as { id: string };
    const accepted = (await (
      await fetch(`${url}/agents/${agent.id}/goals`, { method: 'POST', headers, body: JSON.stringify({ goal }) })
    ).json()) as { run_id: string };
    return accepted.run_id;
  }

  async function runRow(runId: string) {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      return (
        await client.query<{ status: string; attempts: number }>('SELECT status, attempts FROM runs WHERE id = $1', [
          runId,
        ])
      ).rows[0];
    } finally {
      await client.end();
    }
  }

  it('SIGTERM lets a running step finish within the grace period', async () => {
    target.route('/slowish', (_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('done'), 1_000);
    });
    const instance = await startInstance({
      DATABASE_URL: database.url,
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_SHUTDOWN_GRACE_MS: '10000',
    });
    const runId = await submitTo(instance.url, `get ${target.url('/slowish')}`);
    await eventually(
      async () => target.count('/slowish'),
      (n) => n === 1,
    );
    instance.child.kill('SIGTERM');
    const code = await new Promise((r) => instance.child.once('exit', r));
    expect(code).toBe(0);
    expect(await runRow(runId)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('SIGTERM releases a run that outlives the grace period, without counting the attempt', async () => {
    target.route('/forever', () => undefined);
    const instance = await startInstance({
      DATABASE_URL: database.url,
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_SHUTDOWN_GRACE_MS: '300',
      AOS_HTTP_TIMEOUT_MS: '30000',
    });
    const runId = await submitTo(instance.url, `get ${target.url('/forever')}`);
    await eventually(
      async () => target.count('/forever'),
      (n) => n === 1,
    );
    instance.child.kill('SIGTERM');
    const code = await new Promise((r) => instance.child.once('exit', r));
    expect(code).toBe(0);
    expect(await runRow(runId)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(target.closedEarly).toContain('/forever');
  });
});
