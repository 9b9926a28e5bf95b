/** Telling the operator what went wrong with the embedded PostgreSQL, and what to do, in one line. */

export const SYSTEM_USER = 'postgres';
export const USE_DATABASE_URL = 'or set DATABASE_URL to use a PostgreSQL server of your own';

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

/** Splits a process' output into lines: each logged, the last few kept for error messages. */
export class OutputTail {
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

export function spawnFailure(
  program: string,
  error: Error,
  account: { uid: number } | undefined,
): EmbeddedPostgresError {
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
export function asEmbeddedPostgresError(error: unknown): EmbeddedPostgresError {
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
