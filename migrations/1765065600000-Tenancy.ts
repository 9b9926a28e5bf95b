import { MigrationInterface, QueryRunner } from 'typeorm';
import { isolateTenantTable } from './tenant-isolation';

/** The role requests run as (the pool enters it for every scoped checkout): no login, no BYPASSRLS. */
export const REQUEST_ROLE = 'aos_request';

/** Every table a tenant owns, parents first. */
export const TENANT_TABLES = [
  'agents',
  'api_keys',
  'runs',
  'tool_calls',
  'model_calls',
  'memories',
  'connections',
  'webhooks',
  'webhook_deliveries',
  'events',
] as const;

const PRE_TENANCY = TENANT_TABLES.filter((t) => t !== 'api_keys');
const OPERATOR = `jsonb_build_object('tenant_id', t.id, 'kind', 'operator', 'id', 'operator')`;

/** Foreign keys that become composite, as (table, name, columns, parent, parent columns, action). */
const FOREIGN_KEYS: [string, string, string, string, string, string][] = [
  ['runs', 'runs_agent_id_fkey', 'agent_id', 'agents', 'id', 'ON DELETE CASCADE'],
  ['tool_calls', 'tool_calls_run_id_fkey', 'run_id', 'runs', 'id', 'ON DELETE CASCADE'],
  ['model_calls', 'model_calls_run_id_fkey', 'run_id', 'runs', 'id', 'ON DELETE CASCADE'],
  ['memories', 'memories_agent_id_fkey', 'agent_id', 'agents', 'id', 'ON DELETE CASCADE'],
  // Only the run column is cleared: the memory stays in its tenant.
  ['memories', 'memories_run_id_fkey', 'run_id', 'runs', 'id', 'ON DELETE SET NULL (run_id)'],
  ['connections', 'connections_agent_id_fkey', 'agent_id', 'agents', 'id', 'ON DELETE CASCADE'],
  ['webhook_deliveries', 'webhook_deliveries_webhook_id_fkey', 'webhook_id', 'webhooks', 'id', 'ON DELETE CASCADE'],
];

/** Unique indexes that gain tenant_id in front, as (name, table, columns, predicate). */
const UNIQUE_INDEXES: [string, string, string, string][] = [
  ['runs_agent_idempotency_key_idx', 'runs', 'agent_id, idempotency_key', ''],
  ['memories_run_step_idx', 'memories', 'run_id, step_index', ''],
  ['model_calls_run_call_idx', 'model_calls', 'run_id, call_index', ''],
  ['tool_calls_run_step_idx', 'tool_calls', 'run_id, step_index', ''],
  ['webhook_deliveries_webhook_event_idx', 'webhook_deliveries', 'webhook_id, event_id', ''],
  ['connections_agent_name_key', 'connections', 'agent_id, name', ''],
  ['events_id_key', 'events', 'id', 'WHERE id IS NOT NULL'],
];

/** Lookups by id alone, for cross-tenant work: (name, table, columns). */
const LOOKUP_INDEXES: [string, string, string][] = [
  ['runs_id_idx', 'runs', 'id'],
  ['events_id_idx', 'events', 'id'],
  ['events_pk_idx', 'events', 'pk'],
  ['webhooks_id_idx', 'webhooks', 'id'],
  ['webhook_deliveries_id_idx', 'webhook_deliveries', 'id'],
];

/**
 * Tenancy: a tenants table (every earlier row moves into `default`), tenant API keys, the actor
 * of what a request created, and isolation in the database: `tenant_id` on every tenant table, in
 * every primary key, unique index and foreign key (so the schema can be distributed by tenant),
 * and row-level security (FORCE) comparing it with the session's `aos.tenant_id`, which
 * denies every row when the setting is unset. Requests enter `aos_request` (no superuser, no
 * BYPASSRLS); the service's own role keeps a policy of its own for cross-tenant work.
 */
export class Tenancy1765065600000 implements MigrationInterface {
  name = 'Tenancy1765065600000';

  public async up(q: QueryRunner): Promise<void> {
    // Roles belong to the cluster, so another database may have made it already (even right now).
    await q.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${REQUEST_ROLE}') THEN
        BEGIN
          CREATE ROLE ${REQUEST_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
        EXCEPTION
          WHEN duplicate_object OR unique_violation THEN NULL;
          WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'AOS needs a role ${REQUEST_ROLE} it may not create: ask the DBA to run CREATE ROLE ${REQUEST_ROLE} NOLOGIN; GRANT ${REQUEST_ROLE} TO %;', current_user;
        END;
      END IF;
      -- A role that is no superuser may SET ROLE only to a role it is a member of with SET
      -- (PostgreSQL 16 grants the creator of a role ADMIN, but not SET).
      IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
         AND NOT pg_has_role(current_user, '${REQUEST_ROLE}',
                             CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) THEN
        BEGIN
          EXECUTE format('GRANT ${REQUEST_ROLE} TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE EXCEPTION 'AOS must be able to enter the role ${REQUEST_ROLE}: ask the DBA to run GRANT ${REQUEST_ROLE} TO %;', current_user;
        END;
      END IF;
    END $$`);
    await q.query(
      `CREATE FUNCTION aos_current_tenant() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
         AS $$ SELECT NULLIF(current_setting('aos.tenant_id', true), '')::uuid $$`,
    );
    await q.query(`CREATE TYPE "tenant_status" AS ENUM ('active', 'suspended')`);
    await q.query(
      `CREATE TABLE "tenants" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "slug" character varying(40) NOT NULL,
        "name" character varying(200) NOT NULL,
        "status" "tenant_status" NOT NULL DEFAULT 'active',
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "tenants_slug_check" CHECK ("slug" ~ '^[a-z0-9-]{1,40}$'),
        CONSTRAINT "tenants_pkey" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants" ("slug")`);
    await q.query(`CREATE INDEX "tenants_created_at_id_idx" ON "tenants" ("created_at", "id")`);
    await q.query(`INSERT INTO tenants (slug, name) VALUES ('default', 'Default tenant')`);

    for (const table of PRE_TENANCY) {
      await q.query(`ALTER TABLE "${table}" ADD "tenant_id" uuid`);
      await q.query(`UPDATE "${table}" SET tenant_id = (SELECT id FROM tenants WHERE slug = 'default')`);
      await q.query(
        `ALTER TABLE "${table}" ALTER "tenant_id" SET NOT NULL, ALTER "tenant_id" SET DEFAULT aos_current_tenant()`,
      );
    }

    // Who created or submitted it: every earlier row came through the operator key.
    for (const table of ['agents', 'connections', 'webhooks']) {
      await q.query(`ALTER TABLE "${table}" ADD "created_by" jsonb`);
      await q.query(`UPDATE "${table}" x SET created_by = ${OPERATOR} FROM tenants t WHERE t.id = x.tenant_id`);
    }
    await q.query(`ALTER TABLE "runs" ADD "submitted_by" jsonb`);
    await q.query(`UPDATE "runs" x SET submitted_by = ${OPERATOR} FROM tenants t WHERE t.id = x.tenant_id`);
    // The body's `by` stays a free note; who answered is now the actor.
    await q.query(`ALTER TABLE "tool_calls" RENAME COLUMN "approved_by" TO "answered_by_note"`);
    await q.query(
      `UPDATE tool_calls SET answered_by_note = rejected_by WHERE rejected_by IS NOT NULL AND answered_by_note IS NULL`,
    );
    await q.query(`ALTER TABLE "tool_calls" DROP COLUMN "rejected_by"`);
    await q.query(`ALTER TABLE "tool_calls" ADD "approved_by" jsonb, ADD "rejected_by" jsonb`);
    await q.query(`ALTER TABLE "events" ADD "actor" jsonb`);

    await q.query(
      `CREATE TABLE "api_keys" (
        "tenant_id" uuid NOT NULL DEFAULT aos_current_tenant(),
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" character varying(200) NOT NULL,
        "prefix" character varying(32) NOT NULL,
        "digest" bytea NOT NULL,
        "scopes" text[] NOT NULL,
        "created_by" jsonb NOT NULL,
        "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP(3) WITH TIME ZONE,
        "last_used_at" TIMESTAMP(3) WITH TIME ZONE,
        "revoked_at" TIMESTAMP(3) WITH TIME ZONE,
        CONSTRAINT "api_keys_pkey" PRIMARY KEY ("tenant_id", "id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys" ("tenant_id", "prefix")`);
    // The credential check finds a key by its visible prefix before it knows the tenant.
    await q.query(`CREATE INDEX "api_keys_prefix_idx" ON "api_keys" ("prefix")`);
    await q.query(`CREATE INDEX "api_keys_created_at_id_idx" ON "api_keys" ("tenant_id", "created_at", "id")`);
    // A key cannot outlive its tenant. (Agents are checked by the tenant's deletion instead: their
    // rows outlive it only while webhooks still deliver its last events.)
    await q.query(
      `ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE`,
    );

    // Keys: drop what references a primary key, widen the keys, reference them again.
    for (const [table, name] of FOREIGN_KEYS) await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${name}"`);
    for (const table of PRE_TENANCY) {
      const pk = table === 'events' ? 'pk' : 'id';
      await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${table}_pkey"`);
      await q.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${table}_pkey" PRIMARY KEY ("tenant_id", "${pk}")`);
    }
    for (const [name, table, columns, where] of UNIQUE_INDEXES) {
      await q.query(`DROP INDEX "${name}"`);
      await q.query(`CREATE UNIQUE INDEX "${name}" ON "${table}" (tenant_id, ${columns}) ${where}`);
    }
    for (const [table, name, column, parent, parentColumn, action] of FOREIGN_KEYS) {
      await q.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${name}" FOREIGN KEY ("tenant_id", "${column}")
           REFERENCES "${parent}" ("tenant_id", "${parentColumn}") ${action}`,
      );
    }
    // Cross-tenant work (claims, leases, the relay, the sequencer, deliveries, pruning) finds rows
    // by id alone, which a (tenant_id, id) key cannot serve: plain, non-unique indexes do.
    for (const [name, table, columns] of LOOKUP_INDEXES) {
      await q.query(`CREATE INDEX "${name}" ON "${table}" (${columns})`);
    }
    // Agent lists are per tenant now.
    await q.query(`DROP INDEX "agents_created_at_id_idx"`);
    await q.query(`DROP INDEX "agents_status_created_at_id_idx"`);
    await q.query(`CREATE INDEX "agents_created_at_id_idx" ON "agents" ("tenant_id", "created_at", "id")`);
    await q.query(
      `CREATE INDEX "agents_status_created_at_id_idx" ON "agents" ("tenant_id", "status", "created_at", "id")`,
    );

    for (const table of TENANT_TABLES) await isolateTenantTable(q, table, REQUEST_ROLE);
    await q.query(`GRANT SELECT ON "tenants", "event_cursors" TO ${REQUEST_ROLE}`);
    await q.query(`GRANT USAGE ON SEQUENCE "events_pk_seq" TO ${REQUEST_ROLE}`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE ALL ON "tenants", "event_cursors" FROM ${REQUEST_ROLE}`);
    await q.query(`REVOKE ALL ON SEQUENCE "events_pk_seq" FROM ${REQUEST_ROLE}`);
    for (const table of TENANT_TABLES) {
      await q.query(`REVOKE ALL ON "${table}" FROM ${REQUEST_ROLE}`);
      await q.query(`DROP POLICY "${table}_cross_tenant" ON "${table}"`);
      await q.query(`DROP POLICY "${table}_tenant_isolation" ON "${table}"`);
      await q.query(`ALTER TABLE "${table}" NO FORCE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE "${table}" DISABLE ROW LEVEL SECURITY`);
    }
    for (const [name] of LOOKUP_INDEXES) await q.query(`DROP INDEX "${name}"`);
    await q.query(`DROP INDEX "agents_created_at_id_idx"`);
    await q.query(`DROP INDEX "agents_status_created_at_id_idx"`);
    await q.query(`CREATE INDEX "agents_created_at_id_idx" ON "agents" ("created_at", "id")`);
    await q.query(`CREATE INDEX "agents_status_created_at_id_idx" ON "agents" ("status", "created_at", "id")`);
    await q.query(`DROP TABLE "api_keys"`);
    for (const [table, name] of FOREIGN_KEYS) await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${name}"`);
    for (const [name, table, columns, where] of UNIQUE_INDEXES) {
      await q.query(`DROP INDEX "${name}"`);
      await q.query(`CREATE UNIQUE INDEX "${name}" ON "${table}" (${columns}) ${where}`);
    }
    for (const table of PRE_TENANCY) {
      const pk = table === 'events' ? 'pk' : 'id';
      await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${table}_pkey"`);
      await q.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${table}_pkey" PRIMARY KEY ("${pk}")`);
    }
    for (const [table, name, column, parent, parentColumn, action] of FOREIGN_KEYS) {
      const plain = action.replace(' (run_id)', '');
      await q.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${name}" FOREIGN KEY ("${column}") REFERENCES "${parent}" ("${parentColumn}") ${plain}`,
      );
    }
    await q.query(`ALTER TABLE "events" DROP COLUMN "actor"`);
    await q.query(`ALTER TABLE "tool_calls" DROP COLUMN "approved_by", DROP COLUMN "rejected_by"`);
    await q.query(`ALTER TABLE "tool_calls" ADD "rejected_by" character varying(200)`);
    await q.query(
      `UPDATE tool_calls SET rejected_by = answered_by_note, answered_by_note = NULL WHERE status = 'rejected'`,
    );
    await q.query(`ALTER TABLE "tool_calls" RENAME COLUMN "answered_by_note" TO "approved_by"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "submitted_by"`);
    for (const table of ['agents', 'connections', 'webhooks'])
      await q.query(`ALTER TABLE "${table}" DROP COLUMN "created_by"`);
    for (const table of PRE_TENANCY) await q.query(`ALTER TABLE "${table}" DROP COLUMN "tenant_id"`);
    await q.query(`DROP TABLE "tenants"`);
    await q.query(`DROP TYPE "tenant_status"`);
    await q.query(`DROP FUNCTION aos_current_tenant()`);
  }
}
