import 'reflect-metadata';
import { createAosServer } from './bootstrap';
import { ConfigError } from './config/app-config';
import { withEnvFile } from './config/env-file';
import { EmbeddedPostgresError } from './database/embedded-postgres.server';

async function main(): Promise<void> {
  // `.env` in the working directory, when present; variables set in the environment win.
  const server = await createAosServer({ env: withEnvFile(process.env) });
  const url = await server.listen();
  process.stderr.write(`AOS listening on ${url} (docs at ${url}/docs)\n`);

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${signal} received: shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
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
