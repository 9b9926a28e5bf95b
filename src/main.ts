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

main().catch((error: unknown) => {
  // A bad environment or an embedded database that cannot start is the operator's to fix: one
  // clear line, no stack trace.
  if (error instanceof ConfigError || error instanceof EmbeddedPostgresError) {
    process.stderr.write(`aos: ${error.message}\n`);
  } else {
    process.stderr.write(
      `aos: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
