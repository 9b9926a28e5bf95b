import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve(__dirname, '../dist/src/main.js');

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Runs the built service (`npm test` builds first) the way an operator would. */
function startProcess(env: Record<string, string>, cwd?: string): { child: ChildProcess; output: () => string } {
  const { DATABASE_URL: _ignored, PORT: _port, ...inherited } = process.env;
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { ...inherited, LOG_LEVEL: 'info', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the service process', () => {
  it.each([
    [{ PORT: 'eighty' }, /^aos: Invalid environment: PORT must .*\n$/],
    [
      { NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/x' },
      /^aos: AOS_API_KEY is required in production\n$/,
    ],
    [
      { NODE_ENV: 'production', AOS_API_KEY: 'short' },
      /^aos: AOS_API_KEY is shorter than 32 characters; production needs a strong random key\n$/,
    ],
    [
      { NODE_ENV: 'production', AOS_API_KEY: 'k8Jd2mQ9xLr4Tz7Wv1Ns6Yc3Pb5Hg0Fa', AOS_CORS_ORIGINS: '*' },
      /^aos: AOS_CORS_ORIGINS must list explicit origins in production, not "\*"\n$/,
    ],
  ])('refuses to start with %j in one line naming the variable', async (env, message) => {
    const { child, output } = startProcess(env);
    expect(await exited(child)).toBe(1);
    expect(output()).toMatch(message);
  });

  it('reads .env from its working directory, and the environment wins over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aos-dotenv-'));
    writeFileSync(join(dir, '.env'), 'PORT=eighty\nLOG_LEVEL=info\n');
    const fromFile = startProcess({}, dir);
    expect(await exited(fromFile.child)).toBe(1);
    expect(fromFile.output()).toMatch(/^aos: Invalid environment: PORT must .*\(got "eighty"\)\n$/);
    const fromEnv = startProcess({ PORT: 'seventy' }, dir);
    expect(await exited(fromEnv.child)).toBe(1);
    expect(fromEnv.output()).toMatch(/\(got "seventy"\)\n$/);
  });

  it('starts on the embedded database with a generated key, and keeps both across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aos-process-'));
    const env = { AOS_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' };

    const first = startProcess(env);
    await waitFor(() => /listening on (http:\/\/\S+) /.test(first.output()), 60_000);
    const key = /generated a development key \(saved in .*\): (\S+)/.exec(first.output())![1];
    const url = /listening on (http:\/\/\S+) /.exec(first.output())![1];

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { details: Record<string, { status: string }> };
    expect(report.details.embedded_postgres.status).toBe('up');
    const created = await fetch(`${url}/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-aos-key': key },
      body: JSON.stringify({ name: 'survivor' }),
    });
    expect(created.status).toBe(201);
    const agent = (await created.json()) as { id: string };

    // Logs: one JSON line per request with its id, lines inside the request carry the same id,
    // and the API key never reaches the log.
    const traced = await fetch(`${url}/agents/${agent.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-aos-key': key, 'x-request-id': 'trace-process-1' },
      body: JSON.stringify({ status: 'paused' }),
    });
    expect(traced.status).toBe(200);
    const jsonLines = () =>
      first
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'));
    await waitFor(
      () => jsonLines().some((l) => l.includes('trace-process-1') && l.includes('request completed')),
      5_000,
    );
    const lines = jsonLines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'request completed',
        request_id: 'trace-process-1',
        method: 'PATCH',
        status_code: 200,
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'agent status changed', request_id: 'trace-process-1', to: 'paused' }),
    );
    expect(jsonLines().join('\n')).not.toContain(key);

    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);

    const second = startProcess(env);
    await waitFor(() => /listening on (http:\/\/\S+) /.test(second.output()), 60_000);
    expect(second.output()).not.toContain('generated a development key');
    const url2 = /listening on (http:\/\/\S+) /.exec(second.output())![1];
    const fetched = await fetch(`${url2}/agents/${agent.id}`, { headers: { 'x-aos-key': key } });
    expect(fetched.status).toBe(200);
    expect(((await fetched.json()) as { name: string }).name).toBe('survivor');
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
  });
});
