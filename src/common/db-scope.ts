import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from './actor';

/**
 * The work that may read and write every tenant's rows. Anything else runs inside one tenant
 * (`inTenant`), where PostgreSQL itself hides the other tenants' rows. A test lists these
 * against the code that uses them.
 */
export const CROSS_TENANT_TASKS = [
  /** Finding the tenant a presented key belongs to, before any tenant is known. */
  'authentication',
  /** Exchanging keys and refresh tokens for tokens (a refresh token names no tenant). */
  'tokens',
  /** Reading, creating and rotating the keys tokens are signed with (the operator's table). */
  'signing-keys',
  /** Writing keys' last-used times in batches. */
  'key-usage',
  /** The operator's tenant management: create, list, update, delete. */
  'tenant-admin',
  /** Claiming ready runs and renewing, releasing and reclaiming leases. */
  'claims',
  /** Numbering committed events, relaying them to NATS, fanning them out to webhooks. */
  'relay',
  /** Delivering webhooks and recording their outcome. */
  'webhook-delivery',
  /** Removing events, deliveries and retired webhooks past retention. */
  'pruning',
  /** Finding approvals whose time ran out. */
  'expiry',
  /** Gauges over the whole instance (/metrics, /health/details). */
  'metrics',
  /** Startup checks and key rotation over every tenant's sealed secrets. */
  'maintenance',
] as const;
export type CrossTenantTask = (typeof CROSS_TENANT_TASKS)[number];

export type DbScope =
  /** `actor`: who made the request this work serves; none when the engine acts on its own. */
  { kind: 'tenant'; tenantId: string; actor: Actor | null } | { kind: 'cross-tenant'; task: CrossTenantTask };

const scopes = new AsyncLocalStorage<DbScope>();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Runs `work` inside one tenant: every statement it causes sees only that tenant's rows. */
export function inTenant<T>(tenantId: string, work: () => T, actor: Actor | null = null): T {
  // The id reaches SQL as a literal (SET LOCAL takes no parameters): only a UUID may.
  if (!UUID.test(tenantId)) throw new Error(`Not a tenant id: ${JSON.stringify(tenantId)}`);
  return scopes.run({ kind: 'tenant', tenantId: tenantId.toLowerCase(), actor }, work);
}

/** Runs `work` as one of the named cross-tenant tasks, whatever scope it was started from. */
export function crossTenant<T>(task: CrossTenantTask, work: () => T): T {
  return scopes.run({ kind: 'cross-tenant', task }, work);
}

export function currentScope(): DbScope | undefined {
  return scopes.getStore();
}

/** The tenant the current work runs in; throws outside one (a bug, not a client error). */
export function currentTenantId(): string {
  const scope = scopes.getStore();
  if (scope?.kind !== 'tenant') throw new Error('No tenant scope: this work must run inside inTenant()');
  return scope.tenantId;
}

/** Who the current work acts for: the request's actor, or null (the engine, or cross-tenant work). */
export function currentActor(): Actor | null {
  const scope = scopes.getStore();
  return scope?.kind === 'tenant' ? scope.actor : null;
}
