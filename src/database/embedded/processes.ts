import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Account } from './account';
import { EmbeddedPostgresError, OutputTail } from './diagnostics';

const STOP_TIMEOUT_MS = 30_000;

export function spawnOptions(account: Account | undefined, cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: 'C' };
  delete env.LC_ALL; // would override LC_MESSAGES
  return { env, cwd, ...(account ? { uid: account.uid, gid: account.gid } : {}) };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  timedOut: boolean;
  output: string[];
}

/** Runs a program to its end, its output logged and its last lines kept. */
export function runToExit(
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
export async function stopChild(child: ChildProcess): Promise<void> {
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
 * A previous process killed with SIGKILL (or anything that gave it no time to stop its database)
 * leaves its postgres running with the cluster locked. Its postmaster.pid names it; `ownerFile`
 * names the AOS process that started it. A live owner means another instance uses this data
 * directory: that is refused, not interrupted. An orphan is asked to shut down fast (SIGINT), then
 * immediately (SIGQUIT); the next start recovers the cluster as after a crash.
 */
export async function stopOrphan(clusterDir: string, ownerFile: string, log: (message: string) => void): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // A reused pid may belong to anything: only a postgres gets the signal (checked where /proc exists).
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline !== undefined && !cmdline.includes('postgres')) return;
  const owner = Number((await readFile(ownerFile, 'utf8').catch(() => '')).trim());
  if (owner !== process.pid && isAlive(owner)) {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL of this data directory (pid ${pid}) belongs to another running AOS process (pid ${owner}): ` +
        `stop that one, or set AOS_DATA_DIR to another folder`,
    );
  }
  log(`stopping the embedded PostgreSQL (pid ${pid}) a previous process left running`);
  for (const [signal, waitMs] of [
    ['SIGINT', STOP_TIMEOUT_MS],
    ['SIGQUIT', 10_000],
  ] as const) {
    process.kill(pid, signal);
    for (let waited = 0; waited < waitMs && isAlive(pid); waited += 100) await sleep(100);
    if (!isAlive(pid)) return;
  }
  throw new EmbeddedPostgresError(
    `the embedded PostgreSQL a previous process left running (pid ${pid}) does not stop: stop it (kill ${pid}) and start again`,
  );
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
