import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve(__dirname, '../dist/src/main.js');

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** The postgres processes whose command line names one of `dirs` (their cluster lives there). */
function postgresProcesses(dirs: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (/(^|\/)postgres /.test(cmdline) && dirs.some((d) => cmdline.includes(d))) pids.push(Number(entry));
  }
  return pids;
}

/** Whether a process still runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

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

  describe('stops its embedded PostgreSQL however it is told to stop', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aos-signals-'));
    const runtimeDir = mkdtempSync(join(tmpdir(), 'aos-signals-rt-'));
    // Reachable by the postgres system user as root: a clone in a mode-0700 folder copies the binaries here.
    chmodSync(runtimeDir, 0o755);
    const env = { AOS_DATA_DIR: dataDir, AOS_EMBEDDED_PG_RUNTIME_DIR: runtimeDir, PORT: '0', HOST: '127.0.0.1' };
    const ours = () => postgresProcesses([dataDir, runtimeDir]);
    const groups = new Set<number>();
    afterEach(() => {
      // A failed case must not leave its group (npm, node) running …
      for (const pid of groups) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      groups.clear();
    });
    afterAll(async () => {
      // … nor a database: ours are stopped the way the service would stop them.
      for (const pid of ours()) process.kill(pid, 'SIGINT');
      await waitFor(() => ours().filter(alive).length === 0, 30_000);
    });

    /** `npm run start:prod` in a process group of its own, as a terminal runs it (npm forwards signals). */
    function startGroup(): { child: ChildProcess; output: () => string } {
      const { DATABASE_URL: _ignored, PORT: _port, ...inherited } = process.env;
      const child = spawn('npm', ['run', '--silent', 'start:prod'], {
        cwd: resolve(__dirname, '..'),
        env: { ...inherited, LOG_LEVEL: 'warn', NODE_ENV: 'development', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      running.add(child);
      groups.add(child.pid!);
      child.once('exit', () => running.delete(child));
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      return { child, output: () => output };
    }

    it.each([
      ['SIGINT', 1],
      ['SIGINT', 2],
      ['SIGTERM', 2],
      ['SIGHUP', 1],
    ] as const)('%s to the process group (%i×): the database stops before the service exits', async (signal, times) => {
      const group = startGroup();
      await waitFor(() => group.output().includes('listening on'), 60_000);
      const postgres = ours();
      expect(postgres.length).toBeGreaterThan(0);
      for (let i = 0; i < times; i++) process.kill(-group.child.pid!, signal);
      await exited(group.child);
      // Every process of the group is gone, and so is its database.
      await waitFor(() => postgres.every((pid) => !alive(pid)), 10_000);
      expect(ours().filter(alive)).toEqual([]);
    });

    it('after a kill -9 the next start stops the orphaned postmaster and starts its own', async () => {
      const first = startProcess(env);
      await waitFor(() => first.output().includes('listening on'), 60_000);
      const orphans = ours();
      first.child.kill('SIGKILL');
      await exited(first.child);
      // The service died without a word: its database runs on, holding the cluster.
      expect(orphans.filter(alive).length).toBeGreaterThan(0);

      const second = startProcess(env);
      await waitFor(() => second.output().includes('listening on'), 60_000);
      expect(second.output()).toMatch(/stopping the embedded PostgreSQL \(pid \d+\) a previous process left running/);
      expect(orphans.filter(alive)).toEqual([]);
      const url = /listening on (http:\/\/\S+) /.exec(second.output())![1];
      expect((await fetch(`${url}/health`)).status).toBe(200);
      second.child.kill('SIGINT');
      expect(await exited(second.child)).toBe(0);
      expect(ours().filter(alive)).toEqual([]);
    });

    it('refuses to take over the database of an instance that still runs on the same data directory', async () => {
      const first = startProcess(env);
      await waitFor(() => first.output().includes('listening on'), 60_000);
      const second = startProcess(env);
      expect(await exited(second.child)).toBe(1);
      expect(second.output()).toMatch(/belongs to another running AOS process \(pid \d+\)/);
      const url = /listening on (http:\/\/\S+) /.exec(first.output())![1];
      expect((await fetch(`${url}/health`)).status).toBe(200);
      first.child.kill('SIGTERM');
      expect(await exited(first.child)).toBe(0);
    });
  });
});
