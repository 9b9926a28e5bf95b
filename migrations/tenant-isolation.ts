import type { QueryRunner } from 'typeorm';

/**
 * Row-level security on a tenant table, as every migration that adds one applies it: FORCE, the
 * request role sees and writes only the session's tenant (none when unset), the service's own
 * role keeps a policy for cross-tenant work, and the request role gets its grants.
 */
export async function isolateTenantTable(q: QueryRunner, table: string, requestRole: string): Promise<void> {
  await q.query(`ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY`);
  await q.query(`ALTER TABLE "${table}" FORCE ROW LEVEL SECURITY`);
  await q.query(
    `CREATE POLICY "${table}_tenant_isolation" ON "${table}" TO ${requestRole}
       USING (tenant_id = aos_current_tenant()) WITH CHECK (tenant_id = aos_current_tenant())`,
  );
  // The service's own role: claims, reclaims, the relay, pruning and expiry (src/common/db-scope.ts).
  await q.query(`CREATE POLICY "${table}_cross_tenant" ON "${table}" TO CURRENT_USER USING (true) WITH CHECK (true)`);
  await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON "${table}" TO ${requestRole}`);
}
