import 'reflect-metadata';
import type { AosServer } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { withEnvFile } from './config/env-file';
import { EmbeddedPostgresError } from './database/embedded/diagnostics';
import type { EmbeddedPostgresServer } from './database/embedded/server';
import { onShutdownSignals } from './shutdown';

async function main(): Promise<void> {
  // What exists so far: a signal may arrive at any point of the start.
  const started: { embedded?: EmbeddedPostgresServer; server?: AosServer; stopping?: boolean } = {};
  // Installed before anything starts: a signal during startup must stop the database too.
  onShutdownSignals({
    graceful: (signal) => {
      started.stopping = true;
      process.stderr.write(`${signal} received: shutting down\n`);
      // Still starting: the start finishes, then stops (below); a second signal does not wait.
      if (started.server) finish(started.server.close());
    },
    hurry: (signal) => {
      process.stderr.write(`${signal} received again: stopping the database and exiting now\n`);
      finish(started.embedded?.stop() ?? Promise.resolve(), 1);
    },
  });

  // `.env` in the working directory, when present; variables set in the environment win.
  const env = withEnvFile(process.env);
  // A bad environment is refused before the application's modules load (a second, not two).
  loadConfig(env);
  const { createAosServer } = await import('./bootstrap.js');
  const server = await createAosServer({
    env,
    onEmbedded: (pg) => (started.embedded = pg),
  });
  started.server = server;
  if (started.stopping) return finish(server.close());
  const url = await server.listen();
  process.stderr.write(`AOS listening on ${url} (docs at ${url}/docs)\n`);
}

/** Exits once `done` settles: with `code`, or 1 if it failed. */
function finish(done: Promise<void>, code = 0): void {
  done.then(
    () => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`shutdown failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}

/** One line saying what went wrong and, where it is clear, what to do. */
function startupFailure(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code;
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  if (code === 'EADDRINUSE')
    return `${message}: another process uses the port; set PORT (0 picks a free one) or stop it`;
  if (code === 'EACCES')
    return `${message}: permission denied; check AOS_DATA_DIR and PORT (ports below 1024 need privileges)`;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000') {
    return `cannot use the database in DATABASE_URL: ${message}`;
  }
  return message;
}

main().catch((error: unknown) => {
  // A bad environment or an embedded database that cannot start is the operator's to fix: one
  // clear line, no stack trace.
  if (error instanceof ConfigError || error instanceof EmbeddedPostgresError) {
    process.stderr.write(`aos: ${error.message}\n`);
  } else {
    process.stderr.write(`aos: failed to start: ${startupFailure(error)}\n`);
    // The stack only when asked for: an operator reads the line above.
    if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '') && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
  }
  process.exit(1);
});
