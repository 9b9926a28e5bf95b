import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { EmbeddedPostgresError, SYSTEM_USER, USE_DATABASE_URL } from './diagnostics';

/** Who runs PostgreSQL: ourselves, or (as root) the `postgres` system user. */
export interface Account {
  uid: number;
  gid: number;
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The `postgres` system user, created when missing (PostgreSQL refuses to run as root). */
export async function postgresAccount(log: (message: string, level?: 'debug' | 'info') => void): Promise<Account> {
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

export function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(new Error(stderr.trim() || error.message), { code: error.code }));
      else resolveRun(stdout);
    });
  });
}
