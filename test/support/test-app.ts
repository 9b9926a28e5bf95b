import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { DataSource } from 'typeorm';
import { AosServer, createAosServer } from '../../src/bootstrap';
import { createTestDatabase, dropTestDatabase } from './test-database';

export const TEST_API_KEY = 'test-key-0123456789-abcdefghijklmnopqrstuvwxyz';
/** The tests' AOS_SECRET_KEY (32 bytes in base64): no test writes a key file. */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestApp {
  server: AosServer;
  /** The database of this app alone, dropped by close(). */
  databaseName: string;
  dataSource: DataSource;
  /** HTTP through Fastify's inject, with the API key unless the request sets its own headers. */
  request(options: InjectOptions & { auth?: boolean }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * Boots the real app (same bootstrap as main.ts) on a fresh database of its own, or on the database
 * of another test app (`shareWith`: two instances of one deployment; the first one drops it).
 */
export async function startTestApp(env: Record<string, string> = {}, shareWith?: TestApp): Promise<TestApp> {
  const database = shareWith
    ? { name: shareWith.databaseName, url: shareWith.server.config.databaseUrl! }
    : await createTestDatabase();
  let server: AosServer;
  try {
    server = await createAosServer({
      env: {
        NODE_ENV: 'test',
        AOS_API_KEY: TEST_API_KEY,
        AOS_SECRET_KEY: TEST_SECRET_KEY,
        DATABASE_URL: database.url,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...env,
      },
    });
  } catch (error) {
    if (!shareWith) await dropTestDatabase(database.name);
    throw error;
  }
  return {
    server,
    databaseName: database.name,
    dataSource: server.app.get(DataSource),
    request: ({ auth = true, headers, ...options }) =>
      server.app.inject({
        ...options,
        headers: { ...(auth ? { 'x-aos-key': TEST_API_KEY } : {}), ...headers },
      }),
    async close() {
      await server.close();
      if (!shareWith) await dropTestDatabase(database.name);
    },
  };
}
