import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresServer } from '../../src/database/embedded/server';

declare global {
  var __AOS_TEST_PG__: EmbeddedPostgresServer | undefined;
}

/**
 * With DATABASE_URL set the tests use that server (its database becomes the admin connection);
 * otherwise they start the same embedded PostgreSQL the app uses, so a fresh machine needs nothing.
 */
export default async function globalSetup(): Promise<void> {
  // Each project that needs a server runs this; the first one started it for all.
  if (process.env.AOS_TEST_ADMIN_URL) return;
  if (process.env.DATABASE_URL) {
    process.env.AOS_TEST_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'aos-test-pg-'));
  const server = new EmbeddedPostgresServer({ dataDir, port: 0, database: 'postgres' });
  await server.start();
  globalThis.__AOS_TEST_PG__ = server;
  process.env.AOS_TEST_ADMIN_URL = server.url('postgres');
}
