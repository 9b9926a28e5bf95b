import { Client } from 'pg';

/**
 * The PostgreSQL server the e2e tests use: DATABASE_URL when set, else the embedded server that
 * global-setup started (its admin URL is handed over in AOS_TEST_ADMIN_URL).
 */
export function adminUrl(): string {
  const url = process.env.AOS_TEST_ADMIN_URL;
  if (!url) throw new Error('AOS_TEST_ADMIN_URL is not set: run the e2e tests through jest (global-setup)');
  return url;
}

export function databaseUrl(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database for one test file, so no test depends on another's leftovers. */
export async function createTestDatabase(prefix = 'aos_test'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  return { name, url: databaseUrl(name) };
}

export async function dropTestDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
