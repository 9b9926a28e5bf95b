/**
 * The references' credential check (bare and Nest floor alike): the work AOS's credential check
 * does per request, with no framework and no row-level security around it.
 *
 *   - The operator key (AOS_API_KEY): the SHA-256 of what was sent, compared in constant time with
 *     the operator key's; it acts in the tenant `default`, whose row is read at most once per 2 s.
 *   - A tenant key `aos_<prefix>_<secret>`: the key rows with that prefix (with their tenant's
 *     status), read by one SELECT at most once per 2 s per prefix — AOS caches them as long — then
 *     per request the SHA-256 of the secret compared in constant time with each row's digest, and
 *     the revoked / expired / suspended / scope checks.
 *
 * So, as in AOS, a request with a tenant key costs a digest and a compare against a cached row plus
 * its own query; the lookup's SELECT is paid once per cache period.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';

const CACHE_MS = 2_000;
const KEY = /^aos_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const RANK: Record<string, number> = { read: 1, write: 2, admin: 3, operator: 4 };

/** Who made a request, as AOS records it on what the request created. */
export interface ReferenceActor {
  tenant_id: string;
  kind: 'operator' | 'key';
  id: string;
}

interface KeyRow {
  tenant_id: string;
  id: string;
  digest: Buffer;
  scopes: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  tenant_status: string;
}

/** A value read from the database, kept for CACHE_MS (the promise, so concurrent misses share one read). */
class Cached<V> {
  private readonly entries = new Map<string, { value: Promise<V>; until: number }>();

  constructor(private readonly read: (key: string) => Promise<V>) {}

  get(key: string): Promise<V> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && entry.until > now) return entry.value;
    const value = this.read(key);
    this.entries.set(key, { value, until: now + CACHE_MS });
    value.catch(() => this.entries.delete(key));
    return value;
  }
}

export class ReferenceCredentials {
  private readonly operatorDigest: Buffer;
  private readonly keys: Cached<KeyRow[]>;
  private readonly tenants: Cached<string | undefined>;

  constructor(pool: Pool, operatorKey: string) {
    this.operatorDigest = hash('sha256', operatorKey, 'buffer');
    this.keys = new Cached(async (prefix) => {
      const { rows } = await pool.query<KeyRow>(
        `SELECT k.tenant_id, k.id, k.digest, k.scopes, k.expires_at, k.revoked_at, t.status AS tenant_status
           FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.prefix = $1`,
        [prefix],
      );
      return rows;
    });
    this.tenants = new Cached(async (slug) => {
      const { rows } = await pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
      return rows[0]?.id;
    });
  }

  /** The actor of a credential allowed `required` (read, write), or undefined (a 401). */
  async check(presented: unknown, required: 'read' | 'write'): Promise<ReferenceActor | undefined> {
    if (typeof presented !== 'string' || presented === '') return undefined;
    if (timingSafeEqual(hash('sha256', presented, 'buffer'), this.operatorDigest)) {
      const tenantId = await this.tenants.get('default');
      return tenantId === undefined ? undefined : { tenant_id: tenantId, kind: 'operator', id: 'operator' };
    }
    const parsed = KEY.exec(presented);
    if (!parsed) return undefined;
    const records = await this.keys.get(parsed[1]);
    const digest = hash('sha256', parsed[2], 'buffer');
    const record = records.find((r) => r.digest.length === digest.length && timingSafeEqual(r.digest, digest));
    if (!record || record.revoked_at !== null || record.tenant_status !== 'active') return undefined;
    if (record.expires_at !== null && record.expires_at.getTime() <= Date.now()) return undefined;
    if (!record.scopes.some((s) => RANK[s] >= RANK[required])) return undefined;
    return { tenant_id: record.tenant_id, kind: 'key', id: record.id };
  }
}
