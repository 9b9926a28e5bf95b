import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { DataSource } from 'typeorm';
import { AosServer, createAosServer } from '../../src/bootstrap';
import { crossTenant, inTenant } from '../../src/common/db-scope';
import { createTestDatabase, dropTestDatabase } from './test-database';

export const TEST_API_KEY = 'test-key-0123456789-abcdefghijklmnopqrstuvwxyz';
/** The tests' AOS_SECRET_KEY (32 bytes in base64): no test writes a key file. */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestApp {
  server: AosServer;
  /** The database of this app alone, dropped by close(). */
  databaseName: string;
  /** The app's database as the service's own role (tests inspect and arrange every tenant's rows). */
  dataSource: DataSource;
  /** The tenant every pre-tenancy row and the operator key without X-AOS-Tenant land in. */
  defaultTenantId: string;
  /** Runs `work` inside the default tenant, as a request of the operator would (services called directly). */
  inDefault<T>(work: () => T): T;
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
  const dataSource = asServiceRole(server.app.get(DataSource));
  const [{ id: defaultTenantId }] = await dataSource.query<{ id: string }[]>(
    `SELECT id FROM tenants WHERE slug = 'default'`,
  );
  return {
    server,
    databaseName: database.name,
    dataSource,
    defaultTenantId,
    inDefault: (work) => inTenant(defaultTenantId, work),
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

/** The DataSource whose `query` and `transaction` run as the service's own role, across tenants. */
export function asServiceRole(dataSource: DataSource): DataSource {
  return new Proxy(dataSource, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if ((key === 'query' || key === 'transaction') && typeof value === 'function') {
        return (...args: unknown[]) =>
          crossTenant('maintenance', () => (value as (...a: unknown[]) => unknown).apply(target, args));
      }
      return value;
    },
  });
}
