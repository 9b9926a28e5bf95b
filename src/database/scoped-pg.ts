import pg from 'pg';
import { REQUEST_ROLE } from '../../migrations/1765065600000-Tenancy';
import { currentScope, DbScope } from '../common/db-scope';

type Callback = (err: Error | null, result?: unknown) => void;
type QueryConfigLike = string | { text: string; submit?: unknown };

const STARTS_TRANSACTION = /^\s*(START\s+TRANSACTION|BEGIN)\b/i;
const ENDS_TRANSACTION = /^\s*(COMMIT|ROLLBACK|END|ABORT)\s*;?\s*$/i;

/**
 * What a transaction runs first inside a tenant: the request role, the tenant it may see. Outside
 * any scope, the request role alone: no tenant row is visible, none may be written.
 */
export function enterTenantSql(tenantId: string | undefined): string {
  // Utility statements, not queries: SET TRANSACTION may still follow them.
  const role = `SET LOCAL ROLE ${REQUEST_ROLE}`;
  return tenantId === undefined ? role : `${role}; SET LOCAL aos.tenant_id = '${tenantId}'`;
}

/**
 * A connection that knows the scope it was checked out in. Inside a tenant every statement runs
 * in a transaction that first entered the request role and the tenant (SET LOCAL, so nothing
 * outlives it on the pooled connection): a transaction's own START carries them in the same
 * round trip, a lone statement is wrapped in one. Outside any scope the same, without a tenant:
 * work nobody scoped sees no tenant's rows (it fails closed). Only the named cross-tenant tasks
 * run as the service's own role.
 */
class ScopedClient extends pg.Client {
  aosScope: DbScope | undefined;
  private inTransaction = false;

  // pg's overloads (text or config, values or not, callback or promise) are passed through as given.
  override query(...args: unknown[]): never {
    const scope = this.aosScope;
    if (scope?.kind === 'cross-tenant') return (super.query as (...a: unknown[]) => never)(...args);
    const config = args[0] as QueryConfigLike;
    const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as Callback) : undefined;
    const values = args[1] as unknown[] | undefined;
    if (typeof config !== 'string' && config.submit !== undefined) {
      throw new Error('Streaming queries are not available inside a tenant scope');
    }
    const result = this.inScope(scope?.tenantId, config, values);
    if (!callback) return result as never;
    result.then(
      (r) => callback(null, r),
      (e: Error) => callback(e),
    );
    return undefined as never;
  }

  private async inScope(
    tenantId: string | undefined,
    config: QueryConfigLike,
    values: unknown[] | undefined,
  ): Promise<unknown> {
    const run = (c: QueryConfigLike, v?: unknown[]) =>
      (super.query as (c: unknown, v?: unknown) => Promise<unknown>)(c, v);
    const text = typeof config === 'string' ? config : config.text;
    if (this.inTransaction) {
      if (ENDS_TRANSACTION.test(text)) this.inTransaction = false;
      return run(config, values);
    }
    if (STARTS_TRANSACTION.test(text) && (values === undefined || values.length === 0)) {
      const results = await run(`${text}; ${enterTenantSql(tenantId)}`);
      this.inTransaction = true;
      return Array.isArray(results) ? results[0] : results;
    }
    await run(`BEGIN; ${enterTenantSql(tenantId)}`);
    try {
      const result = await run(config, values);
      await run('COMMIT');
      return result;
    } catch (error) {
      await run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}

/** pg's Pool, handing each connection the scope of the code that asked for it. */
class ScopedPool extends pg.Pool {
  constructor(options: pg.PoolConfig = {}) {
    super({ ...options, Client: ScopedClient });
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): void;
  override connect(
    callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<pg.PoolClient> | void {
    // Read now, in the caller's context: the pool may hand the connection over from another's.
    const scope = currentScope();
    if (callback) {
      super.connect((err, client, done) => {
        if (client) (client as unknown as ScopedClient).aosScope = scope;
        callback(err, client, done);
      });
      return;
    }
    return super.connect().then((client) => {
      (client as unknown as ScopedClient).aosScope = scope;
      return client;
    });
  }
}

/** The `pg` module as TypeORM loads it, with the scoped pool. */
export const scopedPg = Object.create(pg, { Pool: { value: ScopedPool } }) as typeof pg;
