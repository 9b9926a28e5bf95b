import pg from 'pg';
import { REQUEST_ROLE } from '../../migrations/1765065600000-Tenancy';
import { currentScope, DbScope } from '../common/db-scope';

type Callback = (err: Error | null, result?: unknown) => void;

/** What a connection's session is set to: the service's role, the request role alone, or a tenant. */
type Session = 'service' | 'no-tenant' | { tenant: string };

const sameSession = (a: Session | undefined, b: Session) =>
  a !== undefined && (typeof a === 'string' || typeof b === 'string' ? a === b : a.tenant === b.tenant);

/** The statements that put a connection's session where `to` says. */
export function sessionSql(to: Session): string {
  if (to === 'service') return 'RESET ROLE; RESET aos.tenant_id';
  if (to === 'no-tenant') return `SET ROLE ${REQUEST_ROLE}; RESET aos.tenant_id`;
  // The id reached inTenant() as a checked UUID: a literal is safe (SET takes no parameters).
  return `SET ROLE ${REQUEST_ROLE}; SET aos.tenant_id = '${to.tenant}'`;
}

function sessionFor(scope: DbScope | undefined): Session {
  if (scope?.kind === 'cross-tenant') return 'service';
  return scope?.kind === 'tenant' ? { tenant: scope.tenantId } : 'no-tenant';
}

/**
 * A connection that knows the scope it was checked out in, and puts its session there before the
 * first statement of the checkout when it is not there already: inside a tenant the request role
 * and the tenant; outside any scope the request role alone (no tenant row is visible, none may be
 * written: work nobody scoped fails closed); the named cross-tenant tasks the service's own role.
 * A connection handed to the same tenant again (the common case) costs nothing; a switch costs one
 * round trip, before any transaction of the checkout begins (so no rollback can undo it).
 */
class ScopedClient extends pg.Client {
  aosScope: DbScope | undefined;
  private session: Session | undefined = 'service';

  // pg's overloads (text or config, values or not, callback or promise) are passed through as given.
  override query(...args: unknown[]): never {
    const want = sessionFor(this.aosScope);
    const pass = (...a: unknown[]) => (super.query as (...x: unknown[]) => never)(...a);
    if (sameSession(this.session, want)) return pass(...args);
    const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as Callback) : undefined;
    if (typeof args[0] !== 'string' && (args[0] as { submit?: unknown }).submit !== undefined) {
      throw new Error('A streaming query cannot be the first statement of a checkout');
    }
    // Unknown until the switch succeeds: a failed one is tried again next time.
    this.session = undefined;
    const result = (pass(sessionSql(want)) as unknown as Promise<unknown>).then(() => {
      this.session = want;
      return pass(...args);
    });
    if (!callback) return result as never;
    result.then(
      (r) => callback(null, r),
      (e: Error) => callback(e),
    );
    return undefined as never;
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
